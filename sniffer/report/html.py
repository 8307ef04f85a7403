"""The report as one self-contained HTML file: inline CSS and SVG, no scripts, works offline.

Each vehicle has its own page: a ``<section class="vehicle" id="v-...">`` shown on its own via the
``:target`` selector, with its sessions, phase timelines and target-vs-present plots.

At fleet size (thousands of vehicles) the page stays light: long tables are cut into pages of
``PAGE_ROWS`` rows, each a ``<details>`` (the first open; a closed one is parsed but not laid
out), and past ``SESSION_SECTIONS_LIMIT`` sessions the per-session timelines and plots are left
out unless asked for (``sessions="all"``, the command's ``--sessions all``).
"""

from __future__ import annotations

import re
from html import escape

from v2gsniff.sniffer.sessions import Session, short_name

from .build import Report, VehicleReport
from .markdown import (
    COLUMNS,
    FINDINGS_PER_RULE,
    SESSION_COLUMNS,
    identity_line,
    legend,
    pnc_lines,
    session_row,
    table_rows,
)
from .svg import session_plots

CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#222}
header,main{padding:0 1.5em}
table{border-collapse:collapse;margin:.5em 0 1.5em;font-size:13px}
th,td{border:1px solid #ccc;padding:3px 6px;vertical-align:top;text-align:left}
th{background:#f0f0f0}
section.vehicle{display:none;border-top:3px solid #1f77b4;margin-top:1em}
section.vehicle:target{display:block}
nav a{margin-right:1em}
.t{font-size:13px;font-weight:600}.ax{font-size:11px;fill:#555}.lg{font-size:12px}
.frame{fill:none;stroke:#bbb}.zero{stroke:#888;stroke-dasharray:3 3}
.ok{fill:#8fbf8f}.bad{fill:#e07b7b}
.note{background:#fff4d6;padding:.3em .6em}
code{font-size:12px}
.legend{font-size:12px;color:#444}
@media print{section.vehicle{display:block;break-before:page}nav{display:none}
table{font-size:10px}th,td{padding:1px 3px}svg{max-width:100%;height:auto}}
"""
# Printing shows every vehicle section (on screen one is shown at a time via :target).

PAGE_ROWS = 500
"""Rows per page of the vehicle table, the matrix and the capture notes."""
SESSION_SECTIONS_LIMIT = 200
"""Beyond this many sessions, ``sessions="auto"`` leaves out the per-session sections."""

def anchor(v: VehicleReport) -> str:
    return "v-" + re.sub(r"[^A-Za-z0-9_-]+", "-", v.key).strip("-")


def _cells(values: list[object], tag: str = "td") -> str:
    out = []
    for x in values:
        text = "-" if x is None or x == "" else str(x)
        out.append(f"<{tag}>" + "<br>".join(escape(part) for part in text.split("<br>")) + f"</{tag}>")
    return "<tr>" + "".join(out) + "</tr>"


def _pages(what: str, rows: list[str], header: str = "", tag: str = "table") -> list[str]:
    """``rows`` in one element, or cut into ``PAGE_ROWS``-row pages past that (first page open)."""
    if len(rows) <= PAGE_ROWS:
        return [f"<{tag}>", *([header] if header else []), *rows, f"</{tag}>"]
    out = []
    for start in range(0, len(rows), PAGE_ROWS):
        chunk = rows[start:start + PAGE_ROWS]
        out.append(f"<details{' open' if not start else ''}><summary>{escape(what)} {start + 1}–"
                   f"{start + len(chunk)} of {len(rows)}</summary><{tag}>")
        out += [*([header] if header else []), *chunk, f"</{tag}></details>"]
    return out


def _under(h: list[str], parts: list[str]) -> None:
    """``parts`` after the heading that ends ``h``, its first one on the heading's line (a report
    small enough for one page is byte for byte what it was before pages existed)."""
    h[-1] += parts[0]
    h += parts[1:]


def render_html(report: Report, title: str = "V2G compatibility report", sessions: str = "auto") -> str:
    """``sessions``: ``auto`` (per-session sections up to ``SESSION_SECTIONS_LIMIT``), ``all``, ``none``."""
    n_sessions = len(report.sessions)
    h = [f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{escape(title)}</title>",
         f"<style>{CSS}</style></head><body><header><h1>{escape(title)}</h1>",
         f"<p>{len(report.captures)} captures, {n_sessions} sessions, {len(report.vehicles)} vehicles"
         + (f"; inventory <code>{escape(report.inventory)}</code>" if report.inventory else "") + ".</p>"]
    for problem in report.problems:
        h.append(f'<p class="note">{escape(problem)}</p>')
    with_sessions = sessions == "all" or (sessions == "auto" and n_sessions <= SESSION_SECTIONS_LIMIT)
    if not with_sessions and sessions == "auto":
        h.append(f'<p class="note">Per-session timelines and plots are left out for {n_sessions} sessions '
                 f"(more than {SESSION_SECTIONS_LIMIT}); <code>--sessions all</code> includes them.</p>")
    h.append("</header><main><h2>Vehicles</h2>")
    rows = []
    for v in report.vehicles:
        values = table_rows(v)
        rows.append(_cells(values).replace(f"<td>{escape(str(values[0]))}</td>",
                                           f'<td><a href="#{anchor(v)}">{escape(str(values[0]))}</a></td>', 1))
    _under(h, _pages("Vehicles", rows, _cells(list(COLUMNS), "th")))
    if not report.vehicles:
        h.append("<p>No charging sessions were found in these captures.</p>")
    h += [f'<p class="legend">{escape(line)}</p>' for line in (legend(report, str, str) if report.vehicles else [])]
    chargers = report.chargers
    if report.vehicles and chargers:
        header, cells = report.matrix()
        h.append("<h2>Vehicle × charger</h2>")
        _under(h, _pages("Vehicles" if len(header) == len(chargers) + 1 else "Vehicle–charger pairs",
                         [_cells(list(r)) for r in cells], _cells(list(header), "th")))
    notes = [c for c in report.captures if c.message]
    if notes:
        h.append("<h2>Captures with notes</h2>")
        _under(h, _pages("Captures", [f"<li><code>{escape(c.capture)}</code>: {escape(c.message or '')}</li>"
                                      for c in notes], tag="ul"))
    if len(report.vehicles) <= PAGE_ROWS:  # past that, the vehicle table is the index
        h.append('<h2>Vehicle pages</h2><nav>' + "".join(
            f'<a href="#{anchor(v)}">{escape(v.name)}</a>' for v in report.vehicles) + "</nav>")
    for v in report.vehicles:
        h.append(vehicle_page(v, with_sessions))
    h.append("</main></body></html>")
    return "\n".join(h) + "\n"


def vehicle_page(v: VehicleReport, with_sessions: bool = True) -> str:
    h = [f'<section class="vehicle" id="{anchor(v)}"><h2>{escape(v.name)}</h2>',
         f"<p>{escape(identity_line(v, str, str))}. BPT: <b>{escape(v.bpt_text)}</b>.</p>"]
    if v.failures:
        h.append(f"<p>Failures: {escape('; '.join(v.failures))}.</p>")
    h += [f"<p>Chargers: {escape(', '.join(v.chargers))}.</p><table>", _cells(list(SESSION_COLUMNS), "th")]
    h += [_cells(session_row(s)) for s in v.sessions]
    h.append("</table>")
    groups = v.findings_by_rule()
    if groups:
        h.append("<h3>Findings</h3><ul>")
        for rule, items in groups:
            f0 = items[0][1]
            h.append(f"<li><b>{escape(rule)}</b> ({escape(f0.severity)}, {escape(f0.side)}; "
                     f"{escape(f0.requirement)}): {len(items)}×<ul>")
            h += [f"<li>{escape(f'{s.capture} #{s.id}')}, frame {f.frame}: {escape(f.text)} "
                  f"(evidence: frames {', '.join(str(x) for x in f.evidence)})</li>"
                  for s, f in items[:FINDINGS_PER_RULE]]
            h.append("</ul></li>")
        h.append("</ul>")
    if with_sessions:
        h += [session_block(s) for s in v.sessions]
    h.append("</section>")
    return "\n".join(h)


def session_block(s: Session) -> str:
    h = [f'<h3 id="s-{escape(re.sub(r"[^A-Za-z0-9_-]+", "-", f"{s.capture}-{s.id}"))}">'
         f"{escape(f'{s.capture} #{s.id}')}</h3><ul>"]
    for hs in s.handshakes:
        offers = ", ".join(f"{o.priority}: {o.namespace} {o.version_major}.{o.version_minor} "
                           f"(SchemaID {o.schema_id})" for o in hs.offers)
        answer = (f"{hs.response_code} → {short_name(hs.negotiated_namespace)} (frame {hs.res_frame})"
                  if hs.res_frame else "no answer")
        h.append(f"<li>SupportedAppProtocol, frame {hs.req_frame}, {escape(hs.tls_version or 'plain TCP')}: "
                 f"{escape(offers)}; SECC: {escape(answer)}</li>")
    for e in s.bpt.evidence:
        h.append(f"<li>BPT: {escape(e.statement)} ({escape(e.message)}, frame {e.frame})</li>")
    h.append(f"<li>TLS: {escape(s.tls.summary)}</li>")
    for f in s.tls.findings:
        h.append(f"<li><b>{escape(f.requirement.strip('[]'))}</b>: {escape(f.text)} (frame {f.frame})</li>")
    h += [f"<li>{'↳ ' * depth}{escape(text)}</li>" for depth, text in pnc_lines(s)]
    for fail in s.failures:
        h.append(f"<li>Failure in {escape(fail.phase)}: {escape(fail.message)} {escape(fail.code)} "
                 f"(frame {fail.frame})</li>")
    h.append("</ul>")
    h += [svg for _name, svg in session_plots(s)]
    return "\n".join(x for x in h if x)
