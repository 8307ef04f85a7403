"""Command line entry point: a click group; each command lives in sniffer/commands/."""

from __future__ import annotations

import click

from v2gsniff.sniffer import __version__
from v2gsniff.sniffer.commands.decode import decode


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="v2gsniff")
def main() -> None:
    """v2gsniff: see what an EV and a charger said to each other.

    Decodes HomePlug GreenPHY/SLAC, SDP, V2GTP and EXI (DIN 70121, ISO 15118-2/-20)
    from pcap/pcapng captures.
    """


main.add_command(decode)
