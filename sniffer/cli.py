"""Command line entry point: a click group; each command lives in sniffer/commands/.

Commands of optional parts (the terminal UI) register through the ``v2gsniff.commands``
entry-point group, so the core never imports them.
"""

from __future__ import annotations

from importlib.metadata import entry_points

import click

from v2gsniff.sniffer import __version__
from v2gsniff.sniffer.commands.decode import decode
from v2gsniff.sniffer.commands.exi import exi
from v2gsniff.sniffer.commands.live import live
from v2gsniff.sniffer.commands.report import report
from v2gsniff.sniffer.commands.sessions import sessions
from v2gsniff.sniffer.commands.simulate import simulate


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="v2gsniff")
def main() -> None:
    """v2gsniff: see what an EV and a charger said to each other.

    Decodes HomePlug GreenPHY/SLAC, SDP, V2GTP, TLS and EXI (DIN 70121, ISO 15118-2/-20)
    from pcap/pcapng captures.
    """


main.add_command(decode)
main.add_command(exi)
main.add_command(live)
main.add_command(sessions)
main.add_command(report)
main.add_command(simulate)

for _ep in entry_points(group="v2gsniff.commands"):
    try:
        _cmd = _ep.load()
    except ImportError as _err:  # an optional part that is broken must not break the CLI
        _cmd = None
        _problem = f"{_ep.name}: {_err}"

        @click.command(_ep.name, help=f"Unavailable: {_problem}")
        def _unavailable(problem: str = _problem) -> None:
            raise click.ClickException(f"this command cannot load ({problem})")

        main.add_command(_unavailable)
    if isinstance(_cmd, click.Command):
        main.add_command(_cmd, _ep.name)
