"""The message list's own geometry: rows it scrolls to are on screen, not under a scrollbar."""

from __future__ import annotations

from typing import Any

from textual._compositor import LayoutUpdate
from textual.pilot import Pilot
from textual.strip import Strip

from tests.tui.pilot import DIN, region_lines, run_app
from v2gsniff.tui.app import V2GSniffApp
from v2gsniff.tui.widgets.message_list import CURSOR_FOCUSED, MessageList


def on_screen_rows(app: V2GSniffApp, lst: MessageList) -> list[str]:
    """The list rows as the composited screen shows them (below the header line)."""
    return region_lines(app, lst)[1:]


def test_after_G_the_last_message_is_on_screen() -> None:
    async def body(app: V2GSniffApp, pilot: Pilot[Any]) -> None:
        lst = app.query_one(MessageList)
        region = lst.scrollable_content_region
        assert len(app.store.view) > region.height  # more messages than the pane holds
        await pilot.press("G")
        await pilot.pause()
        assert lst.cursor == len(app.store.view) - 1
        # The screen shows the last message's row (its frame number and name) as the bottom row...
        rows = on_screen_rows(app, lst)
        last = app.store.records[app.store.view[-1]]
        assert rows and rows[-1].split()[0] == str(last.frame) and last.name in rows[-1]
        # ...because the cursor's line is inside the region the scrollbars leave (line 0 is the header).
        assert 1 <= lst.cursor - lst.scroll_offset.y + 1 < region.height
        # No horizontal scrollbar: the rows are cut to the pane's width, nothing to scroll to.
        assert not lst.show_horizontal_scrollbar
        # Page up then back down: the last row is still the bottom line shown.
        await pilot.press("pageup", "G")
        await pilot.pause()
        assert on_screen_rows(app, lst)[-1] == rows[-1]

    run_app([DIN], body)


def test_following_live_keeps_the_newest_message_on_screen() -> None:
    async def body(app: V2GSniffApp, pilot: Pilot[Any]) -> None:
        lst = app.query_one(MessageList)
        assert lst.follow and lst.cursor == len(app.store.view) - 1
        rows = on_screen_rows(app, lst)
        last = app.store.records[app.store.view[-1]]
        assert rows[-1].split()[0] == str(last.frame) and last.name in rows[-1]
        # Rows are appended without a layout of the screen: the scrollbar still learns every one,
        # and its thumb sits at the bottom.
        bar = lst.vertical_scrollbar
        assert lst.show_vertical_scrollbar and lst.virtual_size.height == len(app.store.view) + 1
        assert bar.window_virtual_size == lst.virtual_size.height and bar.position == lst.max_scroll_y > 0

    run_app([DIN], body, live=True)


def cursor_lines(app: V2GSniffApp, lst: MessageList) -> list[str]:
    """The rows the screen paints with the cursor's background (as composited, from the widgets'
    line caches: a row the list forgot to repaint keeps its old look)."""
    cursor_bg = CURSOR_FOCUSED.bgcolor
    assert cursor_bg is not None
    update = app.screen._compositor.render_update(full=True)
    assert isinstance(update, LayoutUpdate)
    region = lst.scrollable_content_region
    out = []
    for y in range(region.y + 1, region.bottom):
        line = Strip.join(list(update.strips[y])).crop(region.x, region.right)
        colours = {seg.style.bgcolor.get_truecolor() for seg in line if seg.style and seg.style.bgcolor}
        if cursor_bg.get_truecolor() in colours:
            out.append(line.text.rstrip())
    return out


def test_the_cursor_is_painted_where_it_is_after_scrolling() -> None:
    async def body(app: V2GSniffApp, pilot: Pilot[Any]) -> None:
        lst = app.query_one(MessageList)
        rows = lst.scrollable_content_region.height - 1
        await pilot.press(*["j"] * (rows + 10))  # the list has scrolled
        await pilot.press("k", "k")  # moves within the window: only two rows repaint
        await pilot.pause()
        assert lst.scroll_offset.y > 0
        record = app.store.records[lst.index]
        painted = cursor_lines(app, lst)
        assert len(painted) == 1 and painted[0].split()[0] == str(record.frame)
        assert painted == [on_screen_rows(app, lst)[lst.cursor - lst.scroll_offset.y]]

    run_app([DIN], body)
