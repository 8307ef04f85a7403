"""The HTML report at fleet size: 10,000 vehicles in pages, per-session sections only when asked."""

from __future__ import annotations

import dataclasses
import re
from functools import cache
from pathlib import Path

from click.testing import CliRunner

from tests.conftest import REAL, ROOT, need_shared
from v2gsniff.sniffer.commands.report import report
from v2gsniff.sniffer.report import CaptureResult, Report, analyse_file, build, render_markdown
from v2gsniff.sniffer.report.build import MATRIX_COLUMNS
from v2gsniff.sniffer.report.html import PAGE_ROWS, SESSION_SECTIONS_LIMIT, anchor, render_html
from v2gsniff.sniffer.sessions import Vehicle


@cache
def fleet(vehicles: int, chargers: int = 1) -> Report:
    """``vehicles`` cars, one real DIN session each (900 plotted points), renamed per capture, at
    ``chargers`` chargers in turn."""
    need_shared()
    (s,) = analyse_file(REAL / "everest-logfiles__Hyundai_Kona_2017_din_spec_70121_kona1.dump").sessions
    results = []
    for i in range(vehicles):
        name = f"car-{i:05d}.dump"
        car = dataclasses.replace(s, capture=name, vehicle=Vehicle(evccid=f"{i:012X}", brand=f"Brand {i % 7}"),
                                  charger=dataclasses.replace(s.charger, evseid=f"DE*LAB*E{i % chargers:05d}"))
        results.append(CaptureResult(name, name, (car,), 1, 1))
    return build(results)


def test_ten_thousand_vehicles_come_in_pages_without_session_sections() -> None:
    report = fleet(10_000)
    page = render_html(report)
    pages = re.findall(r"<details( open)?><summary>Vehicles (\d+)–(\d+) of 10000</summary><table>(.*?)</table>",
                       page, re.S)
    assert len(pages) == 2 * 10_000 // PAGE_ROWS, "the vehicle table and the matrix, 500 rows a page"
    assert [bool(p[0]) for p in pages[:20]] == [True] + [False] * 19, "only the first page is open"
    assert all(p[3].count("<tr>") == PAGE_ROWS + 1 for p in pages), "each page has its header row"
    assert "<svg" not in page and '<h3 id="s-' not in page
    assert "Per-session timelines and plots are left out for 10000 sessions" in page
    for v in report.vehicles[:: 997]:
        assert page.count(f'href="#{anchor(v)}"') == 1 and page.count(f'id="{anchor(v)}"') == 1
    assert len(page) < 2_500 * 10_000, "about two kilobytes per vehicle (its page, findings included)"


def test_per_session_sections_past_the_limit_only_when_asked() -> None:
    report = fleet(SESSION_SECTIONS_LIMIT + 1)
    assert '<h3 id="s-' not in render_html(report)
    full = render_html(report, sessions="all")
    assert full.count('<h3 id="s-') == SESSION_SECTIONS_LIMIT + 1 and "Current [A]" in full
    assert "left out" not in full
    small = fleet(3)
    assert render_html(small).count('<h3 id="s-') == 3, "below the limit nothing changes"
    assert '<h3 id="s-' not in render_html(small, sessions="none")
    assert "<details" not in render_html(small)


def test_the_command_takes_sessions_and_progress(tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    args = [str(ROOT / "captures"), "--format", "html", "-o", str(out), "--progress"]
    res = CliRunner().invoke(report, [*args, "--sessions", "none"])
    assert res.exit_code == 0, res.output
    assert '<h3 id="s-' not in out.read_text() and "<svg" not in out.read_text()
    n = len(list((ROOT / "captures").glob("*.pcapng")))
    assert f"v2gsniff: {n} captures read ({n} decoded, 0 from cache), 0 failed" in res.stderr
    res = CliRunner().invoke(report, args)
    assert res.exit_code == 0 and out.read_text().count('<h3 id="s-') >= n - 1


def test_thousands_of_chargers_list_the_pairs_that_met() -> None:
    report = fleet(10_000, chargers=5_000)
    assert len(report.chargers) == 5_000 > MATRIX_COLUMNS
    header, rows = report.matrix()
    assert header == ["Vehicle", "Charger", "Sessions"] and len(rows) == 10_000
    assert rows[0][1] == "DE*LAB*E00000" and rows[0][2] == "DIN: 1 ok"
    page = render_html(report)
    assert page.count("Vehicle–charger pairs 1–500 of 10000") == 1 and "<th>DE*LAB*E00001</th>" not in page
    text = render_markdown(report)
    assert "| Vehicle | Charger | Sessions |" in text and len(text) < 3_000 * 10_000, "linear in vehicles"
    wide = fleet(3, chargers=3)
    assert wide.matrix()[0] == ["Vehicle", "DE*LAB*E00000", "DE*LAB*E00001", "DE*LAB*E00002"]
