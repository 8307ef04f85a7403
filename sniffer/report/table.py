"""The vehicle table for a terminal (``report --format table``): a quick look, drawn by rich."""

from __future__ import annotations

import io

from .build import Report
from .markdown import known, offer_cells

COLUMNS = ("Vehicle", "Brand", "Model", "Offers", "BPT working", "Sessions", "Protocols", "CableCheck",
           "PreCharge")


def render_table(report: Report, width: int = 120, color: bool = False) -> str:
    """The table as text (with ANSI colours when ``color``), ``width`` columns wide."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{len(report.vehicles)} vehicles, {len(report.sessions)} sessions, "
                        f"{len(report.captures)} captures", header_style="bold", expand=False)
    for name in COLUMNS:
        table.add_column(name, overflow="fold")
    for v in report.vehicles:
        bpt = v.bpt_text
        style = "green" if v.bpt_outcome == "bpt-working" else None
        table.add_row(v.name, known(v, "brand") or "-", known(v, "model") or "-", "\n".join(offer_cells(v)) or "-",
                      f"[{style}]{bpt}[/]" if style else bpt, v.sessions_text, ", ".join(v.protocols) or "-",
                      v.phase_text("CableCheck"), v.phase_text("PreCharge"))
    buf = io.StringIO()
    console = Console(file=buf, width=width, force_terminal=color, no_color=not color, highlight=False,
                      color_system="standard" if color else None)
    console.print(table)
    return buf.getvalue()
