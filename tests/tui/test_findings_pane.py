"""The sessions pane lists a session's findings, coloured by severity."""

from __future__ import annotations

from tests.conftest import REAL, need_shared
from v2gsniff.sniffer.report.collect import analyse_file
from v2gsniff.tui.store import UiSession
from v2gsniff.tui.widgets.sessions import session_text


def test_the_pane_lists_findings_with_their_rule_side_and_frame() -> None:
    need_shared()
    name = "ccs32__2023-04-05_wt32_alpi_first_charge.pcapng"
    second = analyse_file(REAL / name).sessions[1]
    text = session_text(UiSession(2, name, second))
    plain = text.plain
    assert "\nFindings\n" in plain
    line = next(x for x in plain.splitlines() if "sequence.session-id" in x)
    assert "[ev]" in line and "(frame 1355)" in line and line.lstrip().startswith("✗")
    start = plain.index("sequence.session-id")
    styles = {str(span.style) for span in text.spans if span.start <= start < span.end}
    assert "bold red" in styles


def test_a_session_without_findings_has_no_findings_section() -> None:
    need_shared()
    name = "dsV2Gshark__ISO-2_DC_DS5366.pcapng"
    clean = [s for s in analyse_file(REAL / name).sessions if not s.findings]
    assert clean, "this Josev ISO-2 DC session breaks no rule"
    assert "Findings" not in session_text(UiSession(1, name, clean[0])).plain


def test_n_jumps_to_the_next_finding_and_the_gutter_marks_it() -> None:
    from typing import Any

    from textual.pilot import Pilot

    from tests.tui.pilot import run_app, widget_lines
    from v2gsniff.tui.app import V2GSniffApp
    from v2gsniff.tui.widgets.detail_tree import DetailTree
    from v2gsniff.tui.widgets.message_list import MessageList

    async def body(app: V2GSniffApp, pilot: Pilot[Any]) -> None:
        lst = app.query_one(MessageList)
        lst.focus()
        await pilot.press("g", "g")
        assert not any(app.store.records[i].error for i in app.store.view)  # only findings to stop at
        await pilot.press("n")
        first = app.store.records[lst.index]
        assert first.frame == 195 and app.store.severity_at(lst.index) == "error"
        assert widget_lines(lst)[lst.cursor - lst.scroll_offset.y + 1].startswith("✗")
        await pilot.press("n")
        assert app.store.records[lst.index].frame == 1355  # the garbled SessionID
        await pilot.pause(0.3)  # the detail pane follows the cursor after a short delay
        tree = app.query_one(DetailTree)
        labels = [str(n.label) for n in tree.root.children]
        assert any(x.startswith("✗ error sequence.session-id: EV uses SessionID 320000005BAEF2B6") for x in labels)
        await pilot.press("N")
        assert app.store.records[lst.index].frame == 195

    run_app(["ccs32__2023-04-05_wt32_alpi_first_charge.pcapng"], body)
