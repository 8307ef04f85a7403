"""Per-vehicle compatibility reports over many captures (Markdown, CSV, JSON, HTML).

    results = collect(find_captures(["captures/"])[0], jobs=2)
    report = build(results, inventory)
    text = render_markdown(report)

``build`` is pure (sessions in, ``Report`` out); the renderers only format. The JSON format is
documented in ``v2gsniff.sniffer.report.jsonout``. At fleet scale ``fleet`` runs the same
per-capture work on a Dask cluster and through ``cache`` (``--dask``, ``--cache``), and
``tables`` writes the analysis as Parquet tables (``export``).
"""

from __future__ import annotations

from .build import BPT_TEXT, Report, VehicleReport, build
from .collect import CaptureResult, analyse_file, collect, find_captures
from .csvout import render_csv
from .html import render_html
from .jsonout import FORMAT, render_json, report_json
from .markdown import markdown_files, render_markdown
from .table import render_table

RENDERERS = {"md": render_markdown, "csv": render_csv, "json": render_json, "html": render_html,
             "table": render_table}
"""``--format`` value -> renderer (``table`` takes ``width`` and ``color`` too)."""

__all__ = [
    "BPT_TEXT",
    "FORMAT",
    "RENDERERS",
    "CaptureResult",
    "Report",
    "VehicleReport",
    "analyse_file",
    "build",
    "collect",
    "find_captures",
    "markdown_files",
    "render_csv",
    "render_html",
    "render_json",
    "render_markdown",
    "render_table",
    "report_json",
]
