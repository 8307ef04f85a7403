"""Pilot tests of the whole UI on real captures: what each pane shows after keys a person presses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from click.testing import CliRunner
from textual.pilot import Pilot
from textual.widgets import Input, OptionList, Static

from tests.tui.pilot import (
    DIN,
    THREE,
    TLS,
    VW_AC,
    assert_snapshot,
    real,
    run_app,
    screen_text,
    widget_lines,
    with_segment_lost,
)
from v2gsniff.sniffer.commands.decode import decode
from v2gsniff.sniffer.layers import record_layers
from v2gsniff.tui.app import V2GSniffApp
from v2gsniff.tui.help import HelpScreen
from v2gsniff.tui.widgets.detail_tree import DetailTree
from v2gsniff.tui.widgets.filter_bar import FilterBar
from v2gsniff.tui.widgets.hex_view import HexView
from v2gsniff.tui.widgets.message_list import MessageList
from v2gsniff.tui.widgets.plot import PowerPlot
from v2gsniff.tui.widgets.sessions import SessionsPane


def labels(tree: DetailTree) -> list[str]:
    """Labels of the tree's visible lines."""
    out = []
    for line in range(tree.last_line + 1):
        node = tree.get_node_at_line(line)
        if node is not None:
            out.append(str(node.label))
    return out


def node(tree: DetailTree, key: str) -> Any:
    found = [n for n in _walk(tree.root) if n.data is not None and n.data.key == key]
    assert found, f"no node {key}"
    return found[0]


def _walk(n: Any) -> Any:
    yield n
    for c in n.children:
        yield from _walk(c)


async def type_filter(pilot: Pilot[Any], text: str, submit: bool = True) -> None:
    await pilot.press("slash")
    await pilot.press("ctrl+a", "ctrl+k")  # start from an empty input
    await pilot.press(*list(text))
    if submit:
        await pilot.press("enter")
    await pilot.pause(0.05)


def session_detail(app: V2GSniffApp) -> str:
    return str(app.query_one("#session-detail", Static).render())


def test_din_capture_sessions_pane_and_plot() -> None:
    async def body(app: V2GSniffApp, pilot: Pilot[Any]) -> None:
        assert len(app.store.sessions) == 1
        s = app.store.sessions[0].session
        pane = app.query_one(SessionsPane)
        prompt = str(pane.query_one(OptionList).get_option_at_index(0).prompt)
        assert "#1" in prompt and "DIN" in prompt
        text = session_detail(app)
        for phase in ("SLAC", "SDP", "SupportedAppProtocol", "SessionSetup", "CableCheck", "PreCharge",
                      "ChargeLoop", "SessionStop"):
            assert f"✓ {phase}" in text
        assert "· TLS" in text  # not reached: shown dim, not hidden
        assert "1. DIN 2.0" in text and "← chosen" in text and "OK_SuccessfulNegotiation" in text
        assert s.bpt.outcome in text
        # The plot shows the last target and present values of the session's series.
        plot = app.query_one(PowerPlot)
        assert plot.session is s
        last_target = [p.get("ev_target_voltage") for p in s.series if p.get("ev_target_voltage") is not None][-1]
        assert f"target {last_target:.1f}" in str(plot.render())
        assert any(0x2800 < ord(ch) <= 0x28FF for ch in str(plot.render()))  # braille dots drawn
        # The message list starts at the first message and the status bar counts everything.
        lst = app.query_one(MessageList)
        assert lst.cursor == 0 and app.store.records[lst.index].frame == 1
        status = str(app.query_one("#status", Static).render())
        c = app.store.counters
        assert f"frames {c.frames}" in status and f"messages {c.messages}/{c.messages}" in status
        assert "errors 0" in status and "done" in status
        assert_snapshot(app, "din-loaded")

    run_app([DIN], body)


def test_filter_then_move_through_current_demand() -> None:
    async def body(app: V2GSniffApp, pilot: Pilot[Any]) -> None:
        await type_filter(pilot, "v2g and name ~ ^CurrentDemand")
        view = [app.store.records[i] for i in app.store.view]
        assert view and {r.name for r in view} == {"CurrentDemandReq", "CurrentDemandRes"}
        lst = app.query_one(MessageList)
        assert app.focused is lst
        shown = widget_lines(lst)
        assert "message" in shown[0] and "CurrentDemandReq" in shown[1] and "EV→SE" in shown[1]
        assert "CurrentDemandRes" in shown[2] and "SE→EV" in shown[2]
        await pilot.press("j")
        assert lst.cursor == 1
        record = app.store.records[lst.index]
        assert record.name == "CurrentDemandRes"
        tree = app.query_one(DetailTree)
        assert tree.record is record
        texts = labels(tree)
        assert "v2g: CurrentDemandRes" in texts
        assert any(t.startswith("EXI (din)") for t in texts)
        present = record.message.body["EVSEPresentVoltage"].physical
        assert any(t.startswith("EVSEPresentVoltage: ") and f"{present:g}" in t for t in labels_all(tree))
        hexv = app.query_one(HexView)
        assert hexv.data == record.data
        assert widget_lines(hexv)[0].startswith("reassembled V2GTP message, TCP stream 0")
        # G goes to the last row, g g back to the first.
        await pilot.press("G")
        assert lst.cursor == len(app.store.view) - 1
        await pilot.press("g", "g")
        assert lst.cursor == 0
        assert_snapshot(app, "din-current-demand")

    run_app([DIN], body)


def labels_all(tree: DetailTree) -> list[str]:
    return [str(n.label) for n in _walk(tree.root)]


def test_invalid_filter_is_shown_while_typing_and_not_applied() -> None:
    async def body(app: V2GSniffApp, pilot: Pilot[Any]) -> None:
        before = list(app.store.view)
        await type_filter(pilot, "name ~", submit=False)
        inp = app.query_one("#filter-input", Input)
        status = str(app.query_one("#filter-status", Static).render())
        assert inp.has_class("-invalid") and "needs a value" in status
        await pilot.press("enter")
        assert app.store.view == before
        await pilot.press(*list(" SessionSetup"))
        assert inp.has_class("-valid") and not inp.has_class("-invalid")
        await pilot.press("enter")
        assert {app.store.records[i].name for i in app.store.view} == {"SessionSetupReq", "SessionSetupRes"}
        await pilot.press("c")  # clear
        assert app.store.view == before

    run_app([DIN], body)


def test_tree_highlights_the_selected_fields_bytes() -> None:
    async def body(app: V2GSniffApp, pilot: Pilot[Any]) -> None:
        await type_filter(pilot, "name == CM_SLAC_PARM.REQ")
        lst = app.query_one(MessageList)
        record = app.store.records[lst.index]
        tree, hexv = app.query_one(DetailTree), app.query_one(HexView)
        hp = record_layers(record)[-1]
        run_id = hp.field("run_id")
        assert run_id is not None
        tree.move_cursor(node(tree, "homeplug/run_id"))
        await pilot.pause(0.05)
        assert hexv.span == (hp.offset + run_id.offset, hp.offset + run_id.offset + 8)
        assert hexv.highlighted_bytes().hex() == run_id.value.hex()
        assert f"selected 8 bytes at {hp.offset + run_id.offset}" in widget_lines(hexv)[0]
        # Moving with the keys keeps tree and hex in step: the Ethernet source MAC is bytes 6..12.
        tree.move_cursor(node(tree, "eth"))
        await pilot.press("d", "l", "j", "j")
        assert tree.cursor_node is not None and tree.cursor_node.data.key == "eth/src"
        assert hexv.span == (6, 12)
        assert hexv.highlighted_bytes() == record.data[6:12]
        assert str(tree.cursor_node.label).endswith(record.src)

    run_app([DIN], body)


def test_expanded_nodes_stay_open_for_the_same_kind() -> None:
    async def body(app: V2GSniffApp, pilot: Pilot[Any]) -> None:
        await type_filter(pilot, "name == CurrentDemandReq")
        tree = app.query_one(DetailTree)
        header = node(tree, "exi/V2G_Message/Header")
        assert not header.is_expanded
        header.expand()
        await pilot.pause(0.05)
        await pilot.press("j")
        await pilot.pause(0.05)
        assert tree.record is not None and tree.record.name == "CurrentDemandReq"
        assert node(tree, "exi/V2G_Message/Header").is_expanded
        assert any(t.startswith("SessionID: ") for t in labels(tree))
        # Another kind has its own memory: SessionSetupReq starts with its defaults.
        await type_filter(pilot, "name == SessionSetupReq")
        assert not node(tree, "exi/V2G_Message/Header").is_expanded

    run_app([DIN], body)


def test_tls_capture_shows_decrypted_bytes() -> None:
    async def body(app: V2GSniffApp, pilot: Pilot[Any]) -> None:
        await type_filter(pilot, "name == SessionSetupReq")
        lst, hexv = app.query_one(MessageList), app.query_one(HexView)
        record = app.store.records[lst.index]
        assert record.extra.get("tls")
        assert widget_lines(hexv)[0].startswith("decrypted TLS data, TCP stream")
        assert "TLS" in session_detail(app) and "decrypted" in session_detail(app)

    run_app([TLS], body)


def test_errors_and_gaps_are_visible_in_place(tmp_path: Path) -> None:
    # The EV's ServiceDiscoveryReq (frame 58, 21 bytes at stream offset 98) left out of the capture.
    damaged = with_segment_lost(VW_AC, 58, tmp_path)

    async def body(app: V2GSniffApp, pilot: Pilot[Any]) -> None:
        gaps = [r for r in app.store.records if r.kind == "gap"]
        assert [(g.fields["stream_offset"], g.fields["missing_bytes"]) for g in gaps] == [(98, 21)]
        status = str(app.query_one("#status", Static).render())
        assert "gaps 1 (21 B lost)" in status and f"errors {app.store.counters.errors}" in status
        lst = app.query_one(MessageList)
        await pilot.press("n")  # next error, gap or error/warning finding, without any filter
        record = app.store.records[lst.index]
        while not record.error:  # an error or warning finding on the way (none blames the loss itself)
            assert app.store.severity_at(lst.index) in ("error", "warning")
            await pilot.press("n")
            record = app.store.records[lst.index]
        assert "⚠" in widget_lines(lst)[lst.cursor - lst.scroll_offset.y + 1]
        await pilot.press("e")
        assert app.query_one(FilterBar).input.value == "errors"
        assert all(app.store.records[i].error for i in app.store.view)
        assert any(app.store.records[i].kind == "gap" for i in app.store.view)
        assert_snapshot(app, "gap-errors-only")

    run_app([damaged], body)


def test_select_a_session_shows_only_its_messages() -> None:
    async def body(app: V2GSniffApp, pilot: Pilot[Any]) -> None:
        assert [u.number for u in app.store.sessions] == [1, 2, 3]
        await pilot.press("s")
        await pilot.press("down")
        pane = app.query_one(SessionsPane)
        assert pane.selected is not None and pane.selected.number == 2
        second = pane.selected.session
        assert "Session #2" in session_detail(app)
        assert second.bpt.outcome in session_detail(app)
        assert app.query_one(PowerPlot).session is second
        await pilot.press("enter")
        await pilot.pause(0.05)
        assert app.query_one(FilterBar).input.value == "session == 2"
        rows = [app.store.records[i] for i in app.store.view]
        assert rows and all(second.first_frame <= r.frame <= second.last_frame for r in rows)
        assert app.focused is app.query_one(MessageList)

    run_app([THREE], body)


def test_help_is_generated_from_the_bindings() -> None:
    async def body(app: V2GSniffApp, pilot: Pilot[Any]) -> None:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = str(app.screen.query_one("#help-text", Static).render())
        for b in [*app.BINDINGS, *MessageList.BINDINGS, *DetailTree.BINDINGS]:
            assert b.description in text  # type: ignore[union-attr]
        assert "Filter syntax" in text and "session == 2" in text
        assert_snapshot(app, "help")
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)

    run_app([DIN], body)


def test_backslash_maximises_the_focused_pane_and_tab_cycles() -> None:
    async def body(app: V2GSniffApp, pilot: Pilot[Any]) -> None:
        lst = app.query_one(MessageList)
        assert app.focused is lst
        await pilot.press("backslash")
        assert app.screen.maximized is lst
        await pilot.press("backslash")
        assert app.screen.maximized is None
        await pilot.press("tab")
        assert app.focused is app.query_one(DetailTree)
        await pilot.press("tab")
        assert app.focused is app.query_one(HexView)

    run_app([DIN], body)


def test_mouse_click_selects_a_message() -> None:
    async def body(app: V2GSniffApp, pilot: Pilot[Any]) -> None:
        lst = app.query_one(MessageList)
        await pilot.click(MessageList, offset=(10, 5))  # border, header, then rows 0, 1, 2, 3
        assert lst.cursor == 3
        assert app.query_one(DetailTree).record is app.store.records[lst.index]

    run_app([DIN], body)


def test_two_captures_number_sessions_across_files() -> None:
    async def body(app: V2GSniffApp, pilot: Pilot[Any]) -> None:
        assert [(u.number, u.capture.endswith(name)) for u, name in
                zip(app.store.sessions, [DIN, THREE, THREE, THREE], strict=True)] == [
            (1, True), (2, True), (3, True), (4, True)]
        await type_filter(pilot, "session == 4")
        assert app.store.view
        assert all(app.store.capture_of(i).endswith(THREE) for i in app.store.view)

    run_app([DIN, THREE], body)


def test_filter_bar_names_an_unknown_field_as_decode_does() -> None:
    """``fields.EVTargetCurent`` (one r) matches nothing because no record has it: the bar says so
    while typing and once applied, with the names that come closest, in decode's words."""
    warned = CliRunner().invoke(decode, [real(DIN), "--filter", "fields.EVTargetCurent > 10"]).stderr
    sentence = warned.split("v2gsniff: warning: --filter: ", 1)[1].strip()
    assert sentence.startswith("no record has a field 'EVTargetCurent' (fields.EVTargetCurent); did you mean ")
    assert "fields.EVTargetCurrent," in sentence

    async def body(app: V2GSniffApp, pilot: Pilot[Any]) -> None:
        await type_filter(pilot, "fields.EVTargetCurent > 10", submit=False)
        status = app.query_one("#filter-status", Static)
        assert status.has_class("-unknown") and str(status.render()) == "⚠ " + sentence
        assert app.query_one("#filter-input", Input).has_class("-valid")  # valid: it may be applied
        await pilot.press("enter")
        await pilot.pause(0.1)
        assert app.store.view == [] and str(status.render()) == "⚠ " + sentence
        top = "".join(line.split("▎", 1)[-1].strip() + " " for line in screen_text(app).splitlines()[:3])
        assert top.strip() == "⚠ " + sentence  # whole, on the screen, beside the filter
        await type_filter(pilot, "fields.EVTargetCurrent > 10", submit=False)
        assert not status.has_class("-unknown") and str(status.render()) == "✓ Enter applies"

    run_app([DIN], body)
