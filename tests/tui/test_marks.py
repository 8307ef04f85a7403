"""termshark keys on the message list: marks (m a, ' a, ''), counts (42G, 3j) and g g / G."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Static

from tests.tui.pilot import DIN, THREE, run_app, widget_lines
from tests.tui.test_app import type_filter
from v2gsniff.tui.app import V2GSniffApp
from v2gsniff.tui.help import HelpScreen
from v2gsniff.tui.widgets.detail_tree import DetailTree
from v2gsniff.tui.widgets.message_list import MessageList


def shown_row(lst: MessageList, row: int) -> str:
    """The text of view row ``row`` as the list draws it (it must be on screen)."""
    return widget_lines(lst)[row - lst.scroll_offset.y + 1]  # line 0 is the header


def frame_of(app: V2GSniffApp) -> int:
    return app.store.records[app.query_one(MessageList).index].frame


def test_marks_set_jump_and_jump_back() -> None:
    async def body(app: V2GSniffApp, pilot: Pilot[Any]) -> None:
        lst = app.query_one(MessageList)
        await pilot.press("j", "j", "j", "j", "j")
        marked = lst.index
        await pilot.press("m")
        assert lst.border_subtitle == "m"  # waiting for the letter, shown as vim's showcmd does
        await pilot.press("a")
        assert app.store.marks == {"a": marked} and lst.border_subtitle == ""
        assert shown_row(lst, 5).startswith("a ") and not shown_row(lst, 4).startswith("a")
        assert widget_lines(lst)[0].startswith("    frame")  # the gutter has its own column
        # Away with G, back with ' a; the detail tree follows the cursor.
        await pilot.press("G")
        assert lst.cursor == len(app.store.view) - 1
        await pilot.press("apostrophe", "a")
        assert lst.index == marked and lst.cursor == 5
        assert app.query_one(DetailTree).record is app.store.records[marked]
        # '' returns to where the last jump started (the last row), and again comes back.
        await pilot.press("apostrophe", "apostrophe")
        assert lst.cursor == len(app.store.view) - 1
        await pilot.press("apostrophe", "apostrophe")
        assert lst.index == marked
        # A second mark on another message; moving a letter moves its gutter mark.
        await pilot.press("k", "m", "b")
        assert app.store.marks == {"a": marked, "b": marked - 1}
        assert shown_row(lst, 4).startswith("b ")
        await pilot.press("m", "a")
        assert app.store.marks["a"] == marked - 1 and shown_row(lst, 4).startswith("a ")
        assert not shown_row(lst, 5)[:1].strip()
        # Marks belong to messages, not rows: under a filter ' a still finds its message.
        target = app.store.records[marked - 1]
        await type_filter(pilot, f"name == {target.name}")
        await pilot.press("G", "apostrophe", "a")
        assert lst.index == marked - 1
        assert shown_row(lst, lst.cursor).startswith("a ")
        # Unset marks, other keys after m, and hidden messages say so and stay put.
        row = lst.cursor
        await pilot.press("apostrophe", "z")
        assert lst.cursor == row and "mark z is not set" in notes(app)
        await pilot.press("m", "1")
        assert lst.cursor == row and "m wants a letter a-z" in notes(app) and "1" not in app.store.marks
        await pilot.press("m", "escape")
        assert lst.border_subtitle == "" and len(app.store.marks) == 2

    run_app([DIN], body)


def notes(app: V2GSniffApp) -> str:
    return " | ".join(n.message for n in app._notifications)


def test_count_then_G_goes_to_that_frame() -> None:
    async def body(app: V2GSniffApp, pilot: Pilot[Any]) -> None:
        lst = app.query_one(MessageList)
        frames = [app.store.records[i].frame for i in app.store.view]
        # a frame that carries no message (a TCP ACK, say): G goes to the next one's
        wanted = next(a + 1 for a, b in pairwise(frames) if a > 40 and b > a + 1)
        assert wanted not in frames
        await pilot.press(*str(wanted))
        assert lst.border_subtitle == str(wanted) and lst.cursor == 0  # digits only count
        await pilot.press("G")
        following = next(f for f in frames if f >= wanted)
        assert frame_of(app) == following > wanted and lst.border_subtitle == ""
        assert shown_row(lst, lst.cursor).split()[0] == str(following)
        exact = frames[-10]
        await pilot.press(*str(exact), "G")
        assert frame_of(app) == exact and lst.cursor == frames.index(exact)
        # Past the last frame: the last message, as termshark does.
        await pilot.press(*str(frames[-1] + 1000), "G")
        assert lst.cursor == len(frames) - 1
        # g g to the first; G alone to the last; a count in front of j moves that many rows.
        await pilot.press("g", "g")
        assert lst.cursor == 0
        await pilot.press("1", "2", "j")
        assert lst.cursor == 12
        await pilot.press("3", "k")
        assert lst.cursor == 9
        await pilot.press("j")
        assert lst.cursor == 10  # the count was used up
        await pilot.press("4", "2", "g", "g")
        assert frame_of(app) == next(f for f in frames if f >= 42)
        # G and gg are jumps too: '' comes back.
        here = lst.cursor
        await pilot.press("G", "apostrophe", "apostrophe")
        assert lst.cursor == here

    run_app([DIN], body)


def test_frame_numbers_of_several_captures_take_the_first_match() -> None:
    async def body(app: V2GSniffApp, pilot: Pilot[Any]) -> None:
        # Each capture counts its frames from 1; 200G goes to the first capture's frame 200 or next.
        store, lst = app.store, app.query_one(MessageList)
        assert any(store.capture_of(i).endswith(THREE) and store.records[i].frame >= 200 for i in store.view)
        await pilot.press("2", "0", "0", "G")
        assert store.capture_of(lst.index).endswith(DIN)
        assert frame_of(app) >= 200 > store.records[store.view[lst.cursor - 1]].frame

    run_app([DIN, THREE], body)


def test_help_lists_the_new_keys() -> None:
    async def body(app: V2GSniffApp, pilot: Pilot[Any]) -> None:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = str(app.screen.query_one("#help-text", Static).render())
        for line in (
            "m a-z: mark this message",
            "' a-z: jump to that mark; ' ': back to before the last jump",
            "42G: frame 42",
            "g g: first message",
        ):
            assert line in text
        assert "\n  '  " in text  # the apostrophe key by its character, not its name

    run_app([DIN], body)


def test_an_earlier_g_timeout_does_not_cancel_a_later_g() -> None:
    """g g, then 42 g within a second, and the second g late: the first g's timer must not clear it."""

    async def body(app: V2GSniffApp, pilot: Pilot[Any]) -> None:
        lst = app.query_one(MessageList)
        frames = [app.store.records[i].frame for i in app.store.view]
        await pilot.press("G", "g", "g")
        assert lst.cursor == 0
        await pilot.pause(0.6)
        await pilot.press("4", "2", "g")
        await pilot.pause(0.6)  # the first g's 1 s timeout has passed, this g's has not
        await pilot.press("g")
        assert frame_of(app) == next(f for f in frames if f >= 42)

    run_app([DIN], body)
