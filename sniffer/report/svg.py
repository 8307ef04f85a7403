"""Inline SVG: line plots of target vs present values and phase timelines (no scripts, no CDN)."""

from __future__ import annotations

from html import escape

from v2gsniff.sniffer.sessions import Phase, Session

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e")
MAX_POINTS = 400
"""Points per line; longer series are thinned (keeping each bucket's extremes) to keep pages small."""


PLOTS = (
    ("Voltage", "V", (("EV target", "ev_target_voltage"), ("EVSE present", "evse_present_voltage"))),
    ("Current", "A", (("EV target", "ev_target_current"), ("EVSE present", "evse_present_current"))),
    ("Power", "W", (("EV target", "ev_target_power"), ("EVSE present", "evse_present_power"),
                    ("EV present", "ev_present_power"))),
)
"""Target-vs-present plots of a session: title, unit, (legend, series value name) lines."""

STYLE = (".t{font:600 13px sans-serif}.ax{font:11px sans-serif;fill:#555}.lg{font:12px sans-serif}"
         ".frame{fill:none;stroke:#bbb}.zero{stroke:#888;stroke-dasharray:3 3}.ok{fill:#8fbf8f}.bad{fill:#e07b7b}")
"""The classes the plots use; inside each SVG written as a file of its own (an HTML page has them once)."""


def session_plots(s: Session) -> list[tuple[str, str]]:
    """(name, inline SVG) of a session's phase timeline and target-vs-present plots that have data."""
    out = [("timeline", timeline(s.phases))]
    for title, unit, names in PLOTS:
        lines = [(label, [(p.time - s.start, val) for p in s.series if (val := p.get(key)) is not None])
                 for label, key in names]
        out.append((title.lower(), line_plot(title, unit, lines)))
    return [(name, svg) for name, svg in out if svg]


def standalone(svg: str) -> str:
    """An inline SVG as a file of its own: the XML declaration and its style inside it."""
    head, sep, rest = svg.partition(">")
    return f'<?xml version="1.0" encoding="utf-8"?>\n{head}{sep}<style>{STYLE}</style>{rest}\n'


def thin(points: list[tuple[float, float]], limit: int = MAX_POINTS) -> list[tuple[float, float]]:
    if len(points) <= limit:
        return points
    step = len(points) / (limit / 2)
    out: list[tuple[float, float]] = []
    i = 0.0
    while int(i) < len(points):
        bucket = points[int(i):int(i + step)] or points[int(i):int(i) + 1]
        lo = min(bucket, key=lambda p: p[1])
        hi = max(bucket, key=lambda p: p[1])
        out.extend(sorted({lo, hi}))
        i += step
    return out


def _nice(lo: float, hi: float) -> tuple[float, float]:
    if lo == hi:
        pad = abs(lo) * 0.1 or 1.0
        return lo - pad, hi + pad
    pad = (hi - lo) * 0.05
    return lo - pad, hi + pad


def line_plot(title: str, unit: str, lines: list[tuple[str, list[tuple[float, float]]]],
              width: int = 640, height: int = 200) -> str:
    """A plot of (seconds, value) lines sharing axes; empty string when no line has points."""
    lines = [(name, thin(pts)) for name, pts in lines if pts]
    if not lines:
        return ""
    left, right, top, bottom = 56, 10, 22, 26
    xs = [x for _, pts in lines for x, _ in pts]
    ys = [y for _, pts in lines for _, y in pts]
    x0, x1 = min(xs), max(xs) if max(xs) > min(xs) else min(xs) + 1
    y0, y1 = _nice(min(min(ys), 0.0), max(ys))
    pw, ph = width - left - right, height - top - bottom

    def sx(x: float) -> float:
        return left + (x - x0) / (x1 - x0) * pw

    def sy(y: float) -> float:
        return top + ph - (y - y0) / (y1 - y0) * ph

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">',
             f'<text x="{left}" y="14" class="t">{escape(title)} [{escape(unit)}]</text>',
             f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" class="frame"/>']
    for frac in (0.0, 0.5, 1.0):
        yv = y0 + (y1 - y0) * frac
        parts.append(f'<text x="{left - 4}" y="{sy(yv) + 4:.1f}" class="ax" text-anchor="end">{yv:.4g}</text>')
        xv = x0 + (x1 - x0) * frac
        parts.append(f'<text x="{sx(xv):.1f}" y="{height - 8}" class="ax" text-anchor="middle">{xv:.0f} s</text>')
    if y0 < 0 < y1:
        parts.append(f'<line x1="{left}" x2="{left + pw}" y1="{sy(0):.1f}" y2="{sy(0):.1f}" class="zero"/>')
    for i, (name, pts) in enumerate(lines):
        color = PALETTE[i % len(PALETTE)]
        path = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in pts)
        parts.append(f'<polyline fill="none" stroke="{color}" stroke-width="1.5" points="{path}"/>')
        parts.append(f'<text x="{left + 8 + 170 * i}" y="{top + 14}" fill="{color}" class="lg">'
                     f'{escape(name)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def timeline(phases: tuple[Phase, ...], width: int = 640) -> str:
    """Phases as bars on a time axis (one row per phase name, in order of first appearance)."""
    if not phases:
        return ""
    names: list[str] = []
    for p in phases:
        if p.name not in names:
            names.append(p.name)
    t0 = phases[0].start
    t1 = max(p.end for p in phases)
    span = (t1 - t0) or 1.0
    left, row_h = 170, 16
    height = row_h * len(names) + 24
    pw = width - left - 10
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="phase timeline">']
    for i, name in enumerate(names):
        y = 4 + i * row_h
        total = sum(p.duration for p in phases if p.name == name)
        parts.append(f'<text x="{left - 6}" y="{y + 11}" class="ax" text-anchor="end">'
                     f'{escape(name)} {total:.1f} s</text>')
        for p in phases:
            if p.name != name:
                continue
            x = left + (p.start - t0) / span * pw
            w = max(2.0, p.duration / span * pw)
            cls = "ok" if p.ok else "bad"
            parts.append(f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{row_h - 4}" class="{cls}">'
                         f'<title>{escape(p.name)}: frames {p.first_frame}–{p.last_frame}, '
                         f'{p.duration:.2f} s</title></rect>')
    parts.append(f'<text x="{left}" y="{height - 4}" class="ax">0 s</text>')
    parts.append(f'<text x="{width - 10}" y="{height - 4}" class="ax" text-anchor="end">{span:.1f} s</text>')
    parts.append("</svg>")
    return "".join(parts)
