"""``v2gsniff simulate SCENARIO -o FILE.pcapng [--keylog FILE] [--seed N]``: write a simulated session."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from v2gsniff.sniffer.commands.exits import EXIT_NOT_FOUND, fail
from v2gsniff.sniffer.simulate import DEFAULT_LOOPS, SCENARIOS, keylog_text, write_pcapng
from v2gsniff.sniffer.simulate import simulate as run


def _list() -> str:
    lines = []
    for s in SCENARIOS:
        tls = f" [TLS {s.tls}, key log]" if s.tls else ""
        lines.append(f"{s.name:28} {s.description}{tls} (report: {s.outcome})")
    return "\n".join(lines)


@click.command("simulate", epilog="Exit codes: 0 written; 2 usage error (unknown scenario, no -o); "
                                  "3 the output cannot be written (missing folder, permission).")
@click.argument("scenario", required=False)
@click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True),
              help="pcapng file to write ('-' for standard output).")
@click.option("--keylog", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the TLS key log (NSS format) here; it is embedded in the capture anyway.")
@click.option("--seed", type=int, default=1, show_default=True, help="Same seed, same bytes.")
@click.option("--loops", type=click.IntRange(4, 10000), default=DEFAULT_LOOPS, show_default=True,
              help="Charge-loop cycles.")
@click.option("--list", "list_", is_flag=True, help="Describe the scenarios and exit.")
def simulate(scenario: str | None, output: str | None, keylog: Path | None, seed: int, loops: int,
             list_: bool) -> None:
    """Write a whole simulated charging session (SLAC to teardown) as pcapng.

    Scenarios: see --list. Timestamps, addresses, keys and values all come from --seed.
    """
    if list_:
        click.echo(_list())
        return
    if scenario is None or output is None:
        raise click.UsageError("give a SCENARIO and -o FILE.pcapng (or --list)")
    if scenario not in SCENARIOS:
        raise click.BadParameter(f"unknown scenario {scenario!r}; one of: {', '.join(SCENARIOS.names())}",
                                 param_hint="SCENARIO")
    wire = run(scenario, seed=seed, loops=loops)
    try:
        if output == "-":
            write_pcapng(wire, sys.stdout.buffer)
            sys.stdout.buffer.flush()
        else:
            write_pcapng(wire, output)
        if keylog is not None:
            keylog.write_text(keylog_text(wire))
    except OSError as err:
        fail(f"{err.filename or output}: cannot write: {err.strerror or err}", EXIT_NOT_FOUND)
    click.echo(f"{output}: {len(wire.frames)} frames, scenario {scenario}, seed {seed}"
               + (f"; key log {keylog}" if keylog is not None else ""), err=True)
