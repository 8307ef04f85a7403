"""``v2gsniff report PATH...``: per-vehicle compatibility report over captures and directories."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from v2gsniff.sniffer.output.inert import inert_json, inert_line, inert_text
from v2gsniff.sniffer.report import RENDERERS, CaptureResult, build, collect, find_captures
from v2gsniff.sniffer.sessions import Inventory, InventoryError, load_inventory


class _Progress:
    """A rich progress bar over files on stderr (only when it is a terminal and there are several)."""

    def __init__(self, total: int, enabled: bool) -> None:
        self._bar = None
        if enabled and total > 1:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

            self._bar = Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                                 TimeRemainingColumn(), console=Console(stderr=True), transient=True)
            self._bar.start()
            self._task = self._bar.add_task("captures", total=total)

    def __call__(self, result: CaptureResult) -> None:
        if self._bar is not None:
            self._bar.update(self._task, advance=1, description=result.capture[:40])

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()


def load_vehicles(path: str | None, problems: list[str]) -> Inventory | None:
    """The inventory, or ``None`` with the reason added to ``problems`` (the report goes on without it)."""
    if path is None:
        return None
    try:
        return load_inventory(path)
    except InventoryError as err:
        problems.append(f"vehicle inventory not used: {err}")
        click.echo(f"v2gsniff: vehicle inventory not used: {err}", err=True)
        return None


def run(paths: tuple[str, ...], vehicles: str | None, label: str | None, jobs: int,
        progress: bool) -> tuple[list[CaptureResult], list[str], Inventory | None]:
    """Shared by ``report`` and ``sessions``: find, decode and track; problems are reported, not fatal."""
    files, problems = find_captures(paths)
    for problem in problems:
        click.echo(f"v2gsniff: {problem}", err=True)
    if label is not None and len(files) != 1:
        raise click.UsageError(f"--label names the vehicle of a single capture; {len(files)} captures given")
    inventory = load_vehicles(vehicles, problems)
    bar = _Progress(len(files), progress)
    try:
        results = collect(files, jobs, label, bar)
    finally:
        bar.close()
    for r in results:
        if r.message:
            click.echo(inert_line(f"v2gsniff: {r.capture}: {r.message}"), err=True)
    return results, problems, inventory


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--vehicles", type=click.Path(dir_okay=False),
              help="Inventory (TOML) mapping EVCCID or MAC to brand, model, trim/year, software.")
@click.option("--label", help="Name the vehicle of a single capture.")
@click.option("--format", "fmt", type=click.Choice(sorted(RENDERERS)), default="md", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True), default="-",
              help="Write the report here (default: standard output).")
@click.option("--jobs", "-j", type=click.IntRange(1, 256), default=1, show_default=True,
              help="Captures decoded in parallel.")
def report(paths: tuple[str, ...], vehicles: str | None, label: str | None, fmt: str, output: str,
           jobs: int) -> None:
    """Which protocols each vehicle speaks, with which charger it worked, and whether BPT works.

    PATHS are capture files and directories (searched recursively). The report has one row per
    vehicle, a vehicle x charger matrix and a section per vehicle with the evidence (message and
    frame) behind each statement.
    """
    results, problems, inventory = run(paths, vehicles, label, jobs, sys.stderr.isatty())
    if not results and problems:
        raise click.ClickException("no captures to report on")
    text = RENDERERS[fmt](build(results, inventory, problems))
    text = inert_json(text) if fmt == "json" else inert_text(text)
    if output == "-":
        click.echo(text, nl=False)
    else:
        Path(output).write_text(text, encoding="utf-8")
