"""``v2gsniff export PATH... -o DIR --format parquet``: sessions, findings, messages and SAP offers as tables."""

from __future__ import annotations

import sys

import click

from v2gsniff.sniffer.commands.decode import keylog_option
from v2gsniff.sniffer.commands.exits import EXIT_CODES_HELP, EXIT_NOT_FOUND, fail
from v2gsniff.sniffer.commands.report import FleetOptions, exit_status, fleet_options, run
from v2gsniff.sniffer.report.collect import Keep
from v2gsniff.sniffer.report.fleet import FleetUnavailable
from v2gsniff.sniffer.sessions import Inventory
from v2gsniff.sniffer.setup import AnalysisSetup


@click.command(epilog=EXIT_CODES_HELP)
@click.argument("paths", nargs=-1, required=True)
@click.option("-o", "--output", "folder", required=True, type=click.Path(file_okay=False),
              help="Folder for sessions.parquet, findings.parquet, messages.parquet, sap_offers.parquet.")
@click.option("--format", "fmt", type=click.Choice(["parquet"]), default="parquet", show_default=True)
@click.option("--vehicles", type=click.Path(dir_okay=False), help="Vehicle inventory (TOML).")
@click.option("--jobs", "-j", type=click.IntRange(1, 256), default=1, show_default=True,
              help="Captures decoded in parallel (with --dask local: the number of workers).")
@keylog_option
@fleet_options
def export(paths: tuple[str, ...], folder: str, fmt: str, vehicles: str | None, jobs: int, keylogs: tuple[str, ...],
           dask: str | None, cache: str | None, progress: bool | None) -> None:
    """Tables for DuckDB, pandas or Spark: one row per session, finding, V2G message and SAP offer.

    PATHS are capture files, directories or fsspec URLs, as for ``report``; rows join on
    ``capture`` and ``session``. See the README for example queries.
    """
    from v2gsniff.sniffer.report.parquet import ParquetExport
    from v2gsniff.sniffer.report.tables import require_pyarrow

    try:
        require_pyarrow()
    except FleetUnavailable as err:
        fail(str(err))
    tables: list[ParquetExport] = []

    def spool(names: list[str], inventory: Inventory | None) -> Keep:
        tables.append(ParquetExport(folder, names, inventory))
        return tables[0].add

    try:
        results, problems, _ = run(paths, vehicles, None, jobs,
                                   sys.stderr.isatty() if progress is None else progress,
                                   setup=AnalysisSetup(keylogs=keylogs), fleet=FleetOptions(dask, cache),
                                   messages=True, series=False, keep=spool)
        if not results and problems:
            fail("no captures to export", EXIT_NOT_FOUND)
        rows = tables[0].finish(results)
    finally:
        for t in tables:
            t.close()
    click.echo("v2gsniff: " + ", ".join(f"{name} {n} rows" for name, n in rows.items()), err=True)
    sys.exit(exit_status(results, problems))
