"""The report as CSV: the vehicle table, one row per vehicle, the same columns as the Markdown table."""

from __future__ import annotations

import csv
import io

from .build import Report
from .markdown import COLUMNS, table_rows


def render_csv(report: Report) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([*COLUMNS, "Key", "BPT outcome", "Captures"])
    for v in report.vehicles:
        values = ["" if x is None else str(x).replace("<br>", " | ") for x in table_rows(v)]
        writer.writerow([*values, v.key, v.bpt_outcome, " ".join(v.captures)])
    return buf.getvalue()
