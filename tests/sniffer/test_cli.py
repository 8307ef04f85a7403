"""The CLI tunes the garbage collector for its commands only, never at import."""

from __future__ import annotations

import gc
import subprocess
import sys

import click
from click.testing import CliRunner


def test_importing_the_cli_leaves_the_collector_alone() -> None:
    code = "import gc; t = gc.get_threshold(); import v2gsniff.sniffer.cli; print(gc.get_threshold() == t)"
    out = subprocess.run([sys.executable, "-P", "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"


def test_a_command_runs_with_the_cli_threshold_and_the_old_one_comes_back() -> None:
    from v2gsniff.sniffer.cli import GC_THRESHOLD, main

    seen: list[tuple[int, ...]] = []

    @click.command("probe")
    def probe() -> None:
        seen.append(gc.get_threshold())

    main.add_command(probe)
    before = gc.get_threshold()
    try:
        result = CliRunner().invoke(main, ["probe"])
    finally:
        main.commands.pop("probe")
    assert result.exit_code == 0, result.output
    assert seen == [GC_THRESHOLD]
    assert gc.get_threshold() == before
