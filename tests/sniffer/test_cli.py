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


def test_the_program_freezes_its_objects_at_its_end_and_a_caller_s_invocation_does_not() -> None:
    # Frozen objects are left out of the shutdown's full collections; a caller that goes on (a test,
    # a script passing its own arguments) keeps a collector that still frees its cycles.
    code = ("import atexit, gc, sys; atexit.register(lambda: print(gc.get_freeze_count() > 0)); "
            "from v2gsniff.sniffer.cli import main; sys.argv = ['v2gsniff', '--version']; main()")
    out = subprocess.run([sys.executable, "-P", "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.splitlines()[-1] == "True"
    from v2gsniff.sniffer.cli import main

    frozen = gc.get_freeze_count()
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0, result.output
    assert gc.get_freeze_count() == frozen
