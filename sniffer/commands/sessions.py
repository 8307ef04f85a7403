"""``v2gsniff sessions FILE...``: one line per charging session."""

from __future__ import annotations

import sys

import click

from v2gsniff.sniffer.commands.report import run
from v2gsniff.sniffer.output.inert import inert_json, inert_line
from v2gsniff.sniffer.sessions import Session, short_name


def session_line(s: Session) -> str:
    """capture#id vehicle charger protocol last-phase outcome duration (tab-separated; the values'
    own control characters, tabs and newlines escaped)."""
    proto = short_name(s.negotiated_namespace) if s.negotiated_namespace else (s.protocol or "-")
    outcome = s.bpt_outcome + ("+non-standard-discharge" if s.non_standard_discharge else "")
    ended = s.ended_by.kind if s.ended_by else "open"
    return "\t".join(inert_line(v) for v in [f"{s.capture}#{s.id}", s.vehicle.name, s.charger.name, proto,
                                             s.last_phase or "-", outcome, f"{s.duration:.1f}s", ended])


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path())
@click.option("--vehicles", type=click.Path(dir_okay=False), help="Vehicle inventory (TOML).")
@click.option("--label", help="Name the vehicle of a single capture.")
@click.option("--jobs", "-j", type=click.IntRange(1, 256), default=1, show_default=True)
@click.option("--format", "fmt", type=click.Choice(["text", "jsonl"]), default="text", show_default=True)
def sessions(files: tuple[str, ...], vehicles: str | None, label: str | None, jobs: int, fmt: str) -> None:
    """One line per charging session: vehicle, charger, protocol, last phase, BPT outcome, duration."""
    import json

    results, _problems, inventory = run(files, vehicles, label, jobs, sys.stderr.isatty())
    if fmt == "text":
        click.echo("\t".join(["session", "vehicle", "charger", "protocol", "last phase", "outcome",
                              "duration", "ended by"]))
    for r in results:
        for s in r.sessions:
            if inventory is not None:
                import dataclasses

                s = dataclasses.replace(s, vehicle=inventory.apply(s.vehicle))
            click.echo(session_line(s) if fmt == "text" else inert_json(json.dumps(s.to_json(series=False))))
