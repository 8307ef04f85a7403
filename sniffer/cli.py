"""Command line entry point (placeholder until the decode command lands)."""

import click

from v2gsniff.sniffer import __version__


@click.group()
@click.version_option(__version__, prog_name="v2gsniff")
def main() -> None:
    """v2gsniff: see what an EV and a charger said to each other."""
