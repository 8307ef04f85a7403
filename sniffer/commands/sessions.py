"""``v2gsniff sessions FILE...``: one line per charging session."""

from __future__ import annotations

import sys

import click

from v2gsniff.sniffer.commands.decode import keylog_option, pnc_options
from v2gsniff.sniffer.commands.exits import EXIT_CODES_HELP, EXIT_NOT_FOUND, fail
from v2gsniff.sniffer.commands.report import exit_status, run
from v2gsniff.sniffer.output.inert import inert_json, inert_line
from v2gsniff.sniffer.report.build import authorization, findings_cell, outcome
from v2gsniff.sniffer.sessions import Session
from v2gsniff.sniffer.setup import AnalysisSetup

COLUMNS = ("session", "vehicle", "charger", "protocol", "last phase", "outcome", "bpt", "duration s", "ended by",
           "authorization", "findings")
"""Header of the text output: ``outcome`` is how the session went (``ok``, ``failed in CableCheck``),
``bpt`` its bidirectional-power-transfer outcome, ``duration s`` seconds, ``authorization`` EIM or
PnC with its verdict, ``findings`` errors/warnings and the first error (as the report's vehicle table)."""


def session_line(s: Session) -> str:
    """One session, tab-separated, in the order of ``COLUMNS`` (the values' own control characters, tabs
    and newlines escaped)."""
    bpt = s.bpt_outcome + ("+non-standard-discharge" if s.non_standard_discharge else "")
    ended = s.ended_by.kind if s.ended_by else "open"
    return "\t".join(inert_line(v) for v in [f"{s.capture}#{s.id}", s.vehicle.name, s.charger.name, s.protocol_name,
                                             s.last_phase or "-", outcome(s), bpt, f"{s.duration:.1f}", ended,
                                             authorization(s) or "-", findings_cell(s.findings)])


@click.command(epilog=EXIT_CODES_HELP)
@click.argument("files", nargs=-1, required=True, type=click.Path(allow_dash=True))
@click.option("--vehicles", type=click.Path(dir_okay=False), help="Vehicle inventory (TOML).")
@click.option("--label", help="Name the vehicle of all captures given.")
@click.option("--vehicle-from-path", "from_path", multiple=True, metavar="PATTERN",
              help="Brand/model from each capture's path (see report --help).")
@click.option("--jobs", "-j", type=click.IntRange(1, 256), default=1, show_default=True)
@click.option("--format", "fmt", type=click.Choice(["text", "jsonl"]), default="text", show_default=True)
@pnc_options
@keylog_option
def sessions(files: tuple[str, ...], vehicles: str | None, label: str | None, from_path: tuple[str, ...],
             jobs: int, fmt: str, trust: tuple[str, ...], oem_key: str | None, keylogs: tuple[str, ...]) -> None:
    """One line per charging session: vehicle, charger, protocol, last phase, outcome, BPT outcome,
    duration in seconds, how it ended, authorization, findings. FILES are captures or directories ('-' for stdin)."""
    import json

    results, problems, inventory = run(files, vehicles, label, jobs, sys.stderr.isatty(), from_path,
                                       AnalysisSetup(trust, oem_key, keylogs), series=False)
    if not results and problems:
        fail("no captures to list", EXIT_NOT_FOUND)
    if fmt == "text":
        click.echo("\t".join(COLUMNS))
    for r in results:
        for s in r.sessions:
            if inventory is not None:
                import dataclasses

                s = dataclasses.replace(s, vehicle=inventory.apply(s.vehicle))
            click.echo(session_line(s) if fmt == "text" else inert_json(json.dumps(s.to_json(series=False))))
    sys.exit(exit_status(results, problems))
