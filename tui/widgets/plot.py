"""Target vs present voltage, current and power of the selected session, drawn in braille dots.

Drawn here (no plotting dependency): each character cell holds 2×4 dots; the EV's target is
one colour, the EVSE's present value another, cells where both pass a third.
"""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

from v2gsniff.sniffer.sessions import SeriesPoint, Session

TARGET, PRESENT, BOTH = "cyan", "bright_yellow", "bright_white"
_BITS = ((0x01, 0x02, 0x04, 0x40), (0x08, 0x10, 0x20, 0x80))
"""Braille dot bit for (column, row) inside a cell."""

Points = list[tuple[float, float]]


def _power(p: SeriesPoint, direct: str, volts: str, amps: str) -> float | None:
    value = p.get(direct)
    if value is not None:
        return value
    v, a = p.get(volts), p.get(amps)
    return v * a if v is not None and a is not None else None


def series_of(session: Session) -> dict[str, tuple[Points, Points]]:
    """(target, present) points per quantity; power in kW (computed as V×A when not sent)."""
    out: dict[str, tuple[Points, Points]] = {"Voltage V": ([], []), "Current A": ([], []), "Power kW": ([], [])}
    if not session.series:
        return out
    t0 = session.series[0].time
    for p in session.series:
        x = p.time - t0
        pairs = (
            ("Voltage V", p.get("ev_target_voltage"), p.get("evse_present_voltage")),
            ("Current A", p.get("ev_target_current"), p.get("evse_present_current")),
        )
        for name, target, present in pairs:
            if target is not None:
                out[name][0].append((x, target))
            if present is not None:
                out[name][1].append((x, present))
        target_p = p.get("ev_target_power")
        if target_p is None and p.get("ev_target_voltage") is not None and p.get("ev_target_current") is not None:
            target_p = p.get("ev_target_voltage") * p.get("ev_target_current")  # type: ignore[operator]
        present_p = _power(p, "evse_present_power", "evse_present_voltage", "evse_present_current")
        if target_p is not None:
            out["Power kW"][0].append((x, target_p / 1000))
        if present_p is not None:
            out["Power kW"][1].append((x, present_p / 1000))
    return out


def chart(series: tuple[Points, Points], width: int, height: int) -> list[Text]:
    """``height`` lines of ``width`` cells: a y-axis label column and the braille plot."""
    margin = 7
    cols = max(1, width - margin)
    allpts = series[0] + series[1]
    if not allpts or height < 1:
        return [Text(" " * margin + "no values", style="dim")] + [Text("") for _ in range(max(0, height - 1))]
    xs = [p[0] for p in allpts]
    ys = [p[1] for p in allpts]
    x0, x1 = min(xs), max(xs)
    y0, y1 = min(0.0, min(ys)), max(ys)
    if y1 == y0:
        y1 = y0 + 1.0
    if x1 == x0:
        x1 = x0 + 1.0
    wdots, hdots = cols * 2, height * 4
    cells = [[0] * cols for _ in range(height)]
    owner = [[0] * cols for _ in range(height)]

    def dot(px: int, py: int, who: int) -> None:
        if 0 <= px < wdots and 0 <= py < hdots:
            r, c = py // 4, px // 2
            cells[r][c] |= _BITS[px % 2][py % 4]
            owner[r][c] |= who

    for who, pts in ((1, series[0]), (2, series[1])):
        prev: tuple[int, int] | None = None
        for x, y in sorted(pts):
            px = round((x - x0) / (x1 - x0) * (wdots - 1))
            py = hdots - 1 - round((y - y0) / (y1 - y0) * (hdots - 1))
            if prev is None:
                dot(px, py, who)
            else:
                steps = max(abs(px - prev[0]), abs(py - prev[1]), 1)
                for i in range(1, steps + 1):
                    dot(prev[0] + (px - prev[0]) * i // steps, prev[1] + (py - prev[1]) * i // steps, who)
            prev = (px, py)
    lines: list[Text] = []
    for r in range(height):
        label = f"{y1:>6.4g} " if r == 0 else f"{y0:>6.4g} " if r == height - 1 else " " * margin
        line = Text(label[:margin], style="dim")
        for c in range(cols):
            bits = cells[r][c]
            if bits:
                line.append(chr(0x2800 + bits), style={1: TARGET, 2: PRESENT, 3: BOTH}[owner[r][c]])
            else:
                line.append(" ")
        lines.append(line)
    return lines


class PowerPlot(Widget):
    """Redrawn from the selected session's series on every update (live sessions grow)."""

    DEFAULT_CSS = """
    PowerPlot { height: 100%; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.session: Session | None = None
        self._drawn: tuple[object, ...] | None = None

    def show(self, session: Session | None) -> None:
        """Plot ``session``. Live, a new snapshot of the same session comes twice a second: it is
        redrawn only when its series grew or changed (points only append, so the count and the
        last point tell)."""
        self.session = session
        key = None if session is None else (session.capture, session.id, len(session.series),
                                             session.series[-1] if session.series else None)
        if key != self._drawn:
            self._drawn = key
            self.refresh()

    def render(self) -> Text:
        width, height = self.size.width, self.size.height
        if self.session is None:
            return Text("no session selected", style="dim")
        data = series_of(self.session)
        per = max(1, (height - len(data)) // len(data))
        out = Text()
        for name, pair in data.items():
            target, present = pair
            head = Text(f"{name:<10}", style="bold")
            head.append(" target ", style="dim")
            head.append(f"{target[-1][1]:.1f}" if target else "-", style=TARGET)
            head.append(" present ", style="dim")
            head.append(f"{present[-1][1]:.1f}" if present else "-", style=PRESENT)
            out.append_text(head)
            out.append("\n")
            for line in chart(pair, width, per):
                out.append_text(line)
                out.append("\n")
        out.rstrip()
        return out
