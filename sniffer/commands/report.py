"""``v2gsniff report PATH...``: per-vehicle compatibility report over captures and directories."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from v2gsniff.sniffer.capture import CaptureError
from v2gsniff.sniffer.commands.decode import keylog_option, load_keylogs, pnc_checker, pnc_options
from v2gsniff.sniffer.commands.exits import EXIT_CODES_HELP, EXIT_NOT_FOUND, exit_code_for, fail, warn
from v2gsniff.sniffer.output.inert import inert_json, inert_text
from v2gsniff.sniffer.report import (
    RENDERERS,
    CaptureResult,
    build,
    markdown_files,
    render_table,
)
from v2gsniff.sniffer.report.cache import AnalysisCache
from v2gsniff.sniffer.report.collect import Keep, capture_names, path_labels, reconciled, sized_captures
from v2gsniff.sniffer.report.fleet import Analyse, FleetUnavailable, Summary, analyse_all
from v2gsniff.sniffer.report.html import SESSION_SECTIONS_LIMIT, render_html
from v2gsniff.sniffer.sessions import Inventory, InventoryError, load_inventory
from v2gsniff.sniffer.sessions.pathlabel import PathPattern, PatternError, compile_pattern
from v2gsniff.sniffer.setup import AnalysisSetup


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


def path_patterns(texts: tuple[str, ...]) -> list[PathPattern]:
    """``--vehicle-from-path`` values, checked before any capture is read (a bad one is a usage error)."""
    try:
        return [compile_pattern(t) for t in texts]
    except PatternError as err:
        raise click.BadParameter(str(err), param_hint="'--vehicle-from-path'") from None


def run(paths: tuple[str, ...], vehicles: str | None, label: str | None, jobs: int,
        progress: bool, from_path: tuple[str, ...] = (), setup: AnalysisSetup | None = None, *,
        fleet: FleetOptions | None = None, messages: bool = False, series: bool = True,
        keep: Callable[[list[str], Inventory | None], Keep] | None = None,
        ) -> tuple[list[CaptureResult], list[str], Inventory | None]:
    """Shared by ``report``, ``sessions``, ``check`` and ``export``: find, decode and track; problems
    are reported, not fatal. ``fleet`` adds ``--dask``/``--cache``; a summary line closes a run of
    several captures. ``series=False`` drops the sessions' time series in the workers (for outputs
    without plots). ``keep``, given the capture names and the inventory, makes the hook that sees
    each result as it arrives (named by ``--vehicle-from-path`` already) and says what to keep."""
    fleet = fleet or FleetOptions()
    patterns = path_patterns(from_path)
    found, problems = sized_captures(paths)
    files = [f for f, _ in found]
    for problem in problems:
        warn(problem.split(": ", 1)[0], problem.split(": ", 1)[-1])
    inventory = load_vehicles(vehicles, problems)
    setup = setup or AnalysisSetup()
    # says once what is wrong with the --trust/--oem-key/--keylog files; each worker loads them again
    pnc_checker(setup)
    load_keylogs(setup.keylogs)
    if fleet.cache:
        try:  # an unusable cache URL is one message now, not one per capture later
            AnalysisCache(fleet.cache)
        except CaptureError as err:
            fail(f"--cache: {err}")  # a usage error, as every option the run cannot use
    work = Analyse(fleet.cache, messages, series)
    names = capture_names(files, paths)
    then = keep(names, inventory) if keep else None

    def arrived(index: int, result: CaptureResult) -> CaptureResult:
        (result,) = path_labels([result], paths, patterns)
        return then(index, result) if then else result

    bar = _Progress(len(files), progress)
    try:
        results = analyse_all(files, jobs=jobs, dask=fleet.dask, label=label, work=work, progress=bar,
                              names=names, setup=setup, sizes=[size for _, size in found], keep=arrived)
    except FleetUnavailable as err:
        fail(str(err))
    finally:
        bar.close()
    if patterns:  # path labels against every capture's addresses (needs them all)
        results = reconciled(results)
    for r in results:
        if r.message:
            warn(r.capture, r.message)
    if len(files) > 1 or fleet.dask or fleet.cache:
        click.echo(f"v2gsniff: {Summary.of(results, cached=bool(fleet.cache))}", err=True)
    return results, problems, inventory


def exit_status(results: list[CaptureResult], problems: list[str]) -> int:
    """The highest exit code of the inputs: a missing path is 3, then as ``decode`` for captures."""
    codes = [exit_code_for(r.failure) for r in results if r.failure is not None]
    codes += [EXIT_NOT_FOUND for p in problems if not p.startswith("vehicle inventory")]
    return max(codes, default=0)


@dataclass(frozen=True)
class FleetOptions:
    dask: str | None = None
    cache: str | None = None


def fleet_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """``--dask``, ``--cache`` and ``--progress``, shared by ``report``, ``check`` and ``export``."""
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


@click.command(epilog=EXIT_CODES_HELP)
@click.argument("paths", nargs=-1, required=True, type=click.Path(allow_dash=True))
@click.option("--vehicles", type=click.Path(dir_okay=False),
              help="Inventory (TOML) mapping EVCCID or MAC to brand, model, trim/year, software.")
@click.option("--label", help="Name the vehicle of all captures given (one car, many captures).")
@click.option("--vehicle-from-path", "from_path", multiple=True, metavar="PATTERN",
              help="Read brand/model/trim/software from each capture's path relative to its PATH: "
                   "'{brand}/{model}/**' or a regex with named groups brand, model, trim, software. "
                   "Repeatable; the first pattern that matches wins.")
@click.option("--format", "fmt", type=click.Choice(sorted(RENDERERS)), default="md", show_default=True)
@click.option("-o", "--output", type=click.Path(allow_dash=True), default="-",
              help="Write the report here (default: standard output). For md, a directory (existing, "
                   "or ending in /) gets report.md and its plots as SVG files.")
@click.option("--jobs", "-j", type=click.IntRange(1, 256), default=1, show_default=True,
              help="Captures decoded in parallel (with --dask local: the number of workers).")
@pnc_options
@keylog_option
@click.option("--sessions", "session_pages", type=click.Choice(["auto", "all", "none"]), default="auto",
              show_default=True, help="HTML: a section per session with timeline and plots; 'auto' leaves "
              f"them out past {SESSION_SECTIONS_LIMIT} sessions.")
@fleet_options
def report(paths: tuple[str, ...], vehicles: str | None, label: str | None, from_path: tuple[str, ...],
           fmt: str, output: str, jobs: int, trust: tuple[str, ...], oem_key: str | None, keylogs: tuple[str, ...],
           session_pages: str, dask: str | None, cache: str | None, progress: bool | None) -> None:
    """Which protocols each vehicle speaks, with which charger it worked, and whether BPT works.

    PATHS are capture files and directories (searched recursively; '-' reads a capture from
    standard input), or fsspec URLs (s3://bucket/prefix/, gs://..., file://...). The report has
    one row per vehicle, a vehicle x charger matrix and a section per vehicle with the evidence
    (message and frame) behind each statement.
    """
    md_folder = fmt == "md" and output != "-" and (output.endswith("/") or Path(output).is_dir())
    plots = fmt == "json" or md_folder or (fmt == "html" and session_pages != "none")
    results, problems, inventory = run(paths, vehicles, label, jobs,
                                       sys.stderr.isatty() if progress is None else progress, from_path,
                                       AnalysisSetup(trust, oem_key, keylogs), fleet=FleetOptions(dask, cache), series=plots)
    if not results and problems:
        fail("no captures to report on", EXIT_NOT_FOUND)
    made = build(results, inventory, problems)
    if md_folder:
        for name, content in markdown_files(made).items():
            (Path(output) / name).parent.mkdir(parents=True, exist_ok=True)
            (Path(output) / name).write_text(content, encoding="utf-8")
        sys.exit(exit_status(results, problems))
    if Path(output).is_dir():
        raise click.BadParameter(f"{output} is a directory; only --format md writes into one", param_hint="'-o'")
    if fmt == "table":
        to_terminal = output == "-" and sys.stdout.isatty()
        text = render_table(made, shutil.get_terminal_size().columns if to_terminal else 120, to_terminal)
    else:
        text = render_html(made, sessions=session_pages) if fmt == "html" else RENDERERS[fmt](made)
        text = inert_json(text) if fmt == "json" else inert_text(text)
    if output == "-":
        click.echo(text, nl=False)
    else:
        Path(output).write_text(text, encoding="utf-8")
    sys.exit(exit_status(results, problems))
