"""The report: golden Markdown (reviewed by hand), HTML structure, JSON keys, CSV, vehicle grouping."""

from __future__ import annotations

import csv
import io
import json
from html.parser import HTMLParser

from tests.conftest import need_shared
from tests.sniffer.report.real import GOLDEN, GOLDEN_CAPTURES, ROOT, result_of
from v2gsniff.sniffer.report import FORMAT, build, render_csv, render_html, render_json, render_markdown
from v2gsniff.sniffer.sessions import load_inventory


def _report():  # type: ignore[no-untyped-def]
    need_shared()
    inventory = load_inventory(ROOT / "captures" / "vehicles.example.toml")
    return build([result_of(n) for n in GOLDEN_CAPTURES], inventory)


def test_markdown_matches_the_reviewed_golden_file() -> None:
    """tests/sniffer/report/golden/report_subset.md was read and checked by hand against the
    captures; if this fails, review the difference before touching the golden file."""
    text = render_markdown(_report()).replace(str(ROOT) + "/", "")
    expected = (GOLDEN / "report_subset.md").read_text(encoding="utf-8")
    assert text == expected


class _Sections(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.sections: dict[str, str] = {}
        self.links: list[str] = []
        self.tags: list[str] = []
        self._current: str | None = None
        self._h2 = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.tags.append(tag)
        if tag == "section":
            self._current = a.get("id")
        if tag == "a" and a.get("href"):
            self.links.append(str(a["href"]))
        if tag == "h2" and self._current:
            self._h2 = True
        for value in a.values():
            assert not (value or "").startswith(("http://", "https://", "//")) or tag == "svg"

    def handle_data(self, data: str) -> None:
        if self._h2 and self._current:
            self.sections[self._current] = data
            self._h2 = False


def test_html_is_self_contained_and_has_a_page_per_vehicle() -> None:
    report = _report()
    page = render_html(report)
    parser = _Sections()
    parser.feed(page)
    assert "script" not in parser.tags and "link" not in parser.tags, "no scripts or external resources"
    assert sorted(parser.sections.values()) == sorted(v.name for v in report.vehicles)
    for anchor in parser.sections:
        assert f"#{anchor}" in parser.links
    assert page.count("<svg") >= len(report.vehicles), "timelines and plots are inline SVG"
    assert "Current [A]" in page and "polyline" in page


def test_json_lists_every_session_with_the_documented_keys() -> None:
    report = _report()
    data = json.loads(render_json(report))
    assert data["format"] == FORMAT
    assert len(data["sessions"]) == sum(len(result_of(n).sessions) for n in GOLDEN_CAPTURES)
    for s in data["sessions"]:
        assert {"capture", "first_frame", "last_frame", "sap_offers", "sap_response_code", "negotiated_namespace",
                "bpt_outcome", "tls", "vehicle", "charger", "phases", "failures", "ended_by", "series"} <= set(s)
        for offer in s["sap_offers"]:
            assert set(offer) == {"namespace", "version_major", "version_minor", "schema_id", "priority"}
        assert {"evccid", "pev_mac", "modem_vendor", "brand", "model"} <= set(s["vehicle"])
        assert {"evseid", "evse_mac"} <= set(s["charger"])
    bpt = [s for s in data["sessions"] if s["capture"] == "dsV2Gshark__ISO-20_BPT_AC_DS5366_Josev.pcapng"][0]
    assert bpt["bpt_outcome"] == "bpt-negotiated-no-discharge"
    assert [f["requirement"] for f in bpt["tls"]["findings"]] == ["[V2G20-1237]", "[V2G20-2356]"]


def test_csv_has_one_row_per_vehicle_with_the_thesis_columns_one_value_per_cell() -> None:
    report = _report()
    rows = list(csv.DictReader(io.StringIO(render_csv(report))))
    assert len(rows) == len(report.vehicles)
    for col in ("brand", "model", "trim/year", "software version", "SupportedAppProtocol offers", "BPT working"):
        assert col in rows[0]
    vw = [r for r in rows if r["brand"] == "Volkswagen"][0]
    assert vw["brand source"] == "inventory" and vw["SupportedAppProtocol offers"] == "DIN>ISO-2"
    # Durations are numbers in seconds, min <= median <= max, of completed phases only.
    for r in rows:
        for phase in ("CableCheck", "PreCharge"):
            cells = [r[f"{phase} {c} s"] for c in ("min", "median", "max")]
            if int(r[f"{phase} ok sessions"]):
                lo, mid, hi = (float(c) for c in cells)
                assert lo <= mid <= hi
            else:
                assert cells == ["", "", ""]
    tesla = [r for r in rows if r["brand"] == "Tesla"][0]
    assert tesla["brand source"] == "modem OUI" and tesla["sessions"] == "2"


def test_sessions_of_one_vehicle_are_grouped_by_identity_not_file_name() -> None:
    report = _report()
    sim = [v for v in report.vehicles if v.vehicle.brand == "Josev"][0]
    assert {s.capture for s in sim.sessions} == {"dsV2Gshark__ISO-20_BPT_AC_DS5366_Josev.pcapng",
                                                 "dsV2Gshark__ISO-20_TLS13_DC_DS5366_Josev.pcapng"}
    assert sim.bpt_outcome == "bpt-negotiated-no-discharge" and sim.findings == ["V2G20-1237", "V2G20-2356"]
    tesla = [v for v in report.vehicles if v.vehicle.pev_mac == "98:ed:5c:b4:28:d3"][0]
    assert len(tesla.sessions) == 2 and tesla.chargers == ["DE*PNX*E12345*1"]
