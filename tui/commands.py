"""``v2gsniff open FILE...``: the terminal UI over captures (registered through ``v2gsniff.commands``)."""

from __future__ import annotations

import sys

import click

from v2gsniff.sniffer.commands.decode import pnc_options


@click.command("open")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--keylog", "keylogs", multiple=True, type=click.Path(dir_okay=False),
              help="NSS key log file for TLS decryption; repeatable.")
@pnc_options
def open_command(files: tuple[str, ...], keylogs: tuple[str, ...], trust: tuple[str, ...], oem_key: str | None) -> None:
    """Browse captures in the terminal UI: sessions, messages, detail tree, hex and plots.

    Press ? in the UI for the keys and the filter syntax.
    """
    from v2gsniff.sniffer.commands import exits
    from v2gsniff.sniffer.commands.decode import pnc_checker
    from v2gsniff.sniffer.setup import AnalysisSetup

    setup = AnalysisSetup(trust, oem_key)
    pnc_checker(setup)  # what is wrong with the files, said before the screen switches

    # Piped input ('-') is spooled and the keys come from /dev/tty; the screen needs stdout.
    if not exits.has_terminal(stdin_needed="-" not in files):
        exits.fail(f"{exits.NO_TERMINAL}; 'v2gsniff decode' prints the same captures as text")

    from .launch import run_open

    sys.exit(run_open(list(files), list(keylogs), setup))
