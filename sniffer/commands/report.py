"""``v2gsniff report PATH...``: per-vehicle compatibility report over captures and directories."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from v2gsniff.sniffer.capture import CaptureError
from v2gsniff.sniffer.report import RENDERERS, CaptureResult, build, find_captures
from v2gsniff.sniffer.report.cache import AnalysisCache
from v2gsniff.sniffer.report.fleet import Analyse, FleetUnavailable, Summary, analyse_all
from v2gsniff.sniffer.report.html import SESSION_SECTIONS_LIMIT, render_html
from v2gsniff.sniffer.sessions import Inventory, InventoryError, load_inventory


class _Progress:
    """A rich progress bar over files on stderr (when asked, or by default on a terminal, for several)."""

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
        progress: bool, *, fleet: FleetOptions | None = None, messages: bool = False,
        series: bool = True) -> tuple[list[CaptureResult], list[str], Inventory | None]:
    """Shared by ``report``, ``sessions`` and ``export``: find, decode and track; problems are
    reported, not fatal. ``fleet`` adds ``--dask``/``--cache``; a summary line closes the run.
    ``series=False`` drops the sessions' time series in the workers (for outputs without plots)."""
    fleet = fleet or FleetOptions()
    files, problems = find_captures(paths)
    for problem in problems:
        click.echo(f"v2gsniff: {problem}", err=True)
    if label is not None and len(files) != 1:
        raise click.UsageError(f"--label names the vehicle of a single capture; {len(files)} captures given")
    inventory = load_vehicles(vehicles, problems)
    if fleet.cache:
        try:  # an unusable cache URL is one message now, not one per capture later
            AnalysisCache(fleet.cache)
        except CaptureError as err:
            raise click.ClickException(f"--cache: {err}") from err
    work = Analyse(fleet.cache, messages, series)
    bar = _Progress(len(files), progress)
    try:
        results = analyse_all(files, jobs=jobs, dask=fleet.dask, label=label, work=work, progress=bar)
    except FleetUnavailable as err:
        raise click.ClickException(str(err)) from err
    finally:
        bar.close()
    for r in results:
        if r.message:
            click.echo(f"v2gsniff: {r.capture}: {r.message}", err=True)
    if len(files) > 1 or fleet.dask or fleet.cache:
        click.echo(f"v2gsniff: {Summary.of(results)}", err=True)
    return results, problems, inventory


@dataclass(frozen=True)
class FleetOptions:
    dask: str | None = None
    cache: str | None = None


def fleet_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """``--dask``, ``--cache`` and ``--progress``, shared by ``report`` and ``export``."""
    f = click.option("--progress/--no-progress", default=None,
                     help="Progress bar on standard error (default: when it is a terminal).")(f)
    f = click.option("--cache", metavar="DIR|URL",
                     help="Keep each capture's analysis here (by content hash and analysis version); "
                          "a rerun decodes only new or changed captures.")(f)
    f = click.option("--dask", metavar="SCHEDULER|local",
                     help="Run the per-capture analysis as Dask tasks on this scheduler "
                          "(tcp://host:8786), or on a LocalCluster of --jobs workers with 'local' "
                          "(needs v2gsniff[fleet]).")(f)
    return f


@click.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--vehicles", type=click.Path(dir_okay=False),
              help="Inventory (TOML) mapping EVCCID or MAC to brand, model, trim/year, software.")
@click.option("--label", help="Name the vehicle of a single capture.")
@click.option("--format", "fmt", type=click.Choice(sorted(RENDERERS)), default="md", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True), default="-",
              help="Write the report here (default: standard output).")
@click.option("--jobs", "-j", type=click.IntRange(1, 256), default=1, show_default=True,
              help="Captures decoded in parallel (with --dask local: the number of workers).")
@click.option("--sessions", "session_pages", type=click.Choice(["auto", "all", "none"]), default="auto",
              show_default=True, help="HTML: a section per session with timeline and plots; 'auto' leaves "
              f"them out past {SESSION_SECTIONS_LIMIT} sessions.")
@fleet_options
def report(paths: tuple[str, ...], vehicles: str | None, label: str | None, fmt: str, output: str,
           jobs: int, session_pages: str, dask: str | None, cache: str | None, progress: bool | None) -> None:
    """Which protocols each vehicle speaks, with which charger it worked, and whether BPT works.

    PATHS are capture files and directories (searched recursively), or fsspec URLs
    (s3://bucket/prefix/, gs://..., file://...). The report has one row per vehicle, a
    vehicle x charger matrix and a section per vehicle with the evidence (message and frame)
    behind each statement.
    """
    results, problems, inventory = run(paths, vehicles, label, jobs,
                                       sys.stderr.isatty() if progress is None else progress,
                                       fleet=FleetOptions(dask, cache),
                                       series=fmt == "json" or (fmt == "html" and session_pages != "none"))
    if not results and problems:
        raise click.ClickException("no captures to report on")
    built = build(results, inventory, problems)
    text = render_html(built, sessions=session_pages) if fmt == "html" else RENDERERS[fmt](built)
    if output == "-":
        click.echo(text, nl=False)
    else:
        Path(output).write_text(text, encoding="utf-8")
