"""The live mode of the app: follow new messages unless the user moved away; link events in place."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from textual.widgets import Static

from tests.tui.pilot import DIN, real, wait_done
from v2gsniff.sniffer.capture import open_capture
from v2gsniff.sniffer.model import Record
from v2gsniff.tui.app import V2GSniffApp
from v2gsniff.tui.widgets.detail_tree import DetailTree
from v2gsniff.tui.widgets.hex_view import HexView
from v2gsniff.tui.widgets.message_list import MessageList


@dataclass(frozen=True)
class FakeLinkEvent:
    """Shaped like capture.live.LinkEvent (the UI duck-types it)."""

    kind: str
    time: float
    message: str
    dropped: int = 0


def gated_source(path: str, gate: threading.Event) -> Iterator[Any]:
    """The capture's first 200 frames, then (after ``gate``) a link-down/up, drops and the rest."""
    with open_capture(path) as reader:
        items = list(reader)
    yield from items[:200]
    gate.wait(10)
    yield FakeLinkEvent("down", time.time(), "qca0 went down (modem reset)")
    yield FakeLinkEvent("up", time.time(), "qca0 is back; capture goes on")
    yield FakeLinkEvent("drops", time.time(), "kernel buffer full", dropped=7)
    yield from items[200:]


def detail_record(app: V2GSniffApp) -> Record | None:
    """The record the detail tree and the hex pane show (they must agree)."""
    tree, hexv = app.query_one(DetailTree), app.query_one(HexView)
    assert tree.record is hexv.record
    return tree.record


def test_follows_until_the_user_scrolls_away_and_shows_link_events() -> None:
    path = real(DIN)
    gate = threading.Event()
    app = V2GSniffApp(lambda: gated_source(path, gate), title="qca0 (test)", live=True)

    async def main() -> None:
        async with app.run_test(size=(160, 50)) as pilot:
            lst = app.query_one(MessageList)
            deadline = time.monotonic() + 20
            while app.store.counters.frames < 200 and time.monotonic() < deadline:
                await pilot.pause(0.05)
            await pilot.pause(0.3)
            first = len(app.store.view)
            assert first > 0 and lst.follow and lst.cursor == first - 1
            # The detail panes catch up with the newest message (while following they are
            # rebuilt a few times a second, not for every batch).
            newest = app.store.records[lst.index]
            while detail_record(app) is not newest and time.monotonic() < deadline:
                await pilot.pause(0.05)
            assert detail_record(app) is newest
            status = str(app.query_one("#status", Static).render())
            assert "following" in status and "link up" in status
            await pilot.press("k", "k")
            assert not lst.follow
            assert detail_record(app) is app.store.records[lst.index]  # a user's move shows at once
            held = lst.cursor
            gate.set()
            await wait_done(app, pilot)
            assert len(app.store.view) > first
            assert lst.cursor == held  # the user moved away: new messages do not drag the cursor
            status = str(app.query_one("#status", Static).render())
            assert "paused" in status and "drops 7" in status
            names = [app.store.records[i].name for i in app.store.view]
            assert ["interface down", "interface up", "frames dropped"] == [n for n in names if n.startswith(
                ("interface", "frames dropped"))]
            down = next(app.store.records[i] for i in app.store.view if app.store.records[i].name == "interface down")
            assert down.error == "qca0 went down (modem reset)"
            await pilot.press("G")
            assert lst.follow and lst.cursor == len(app.store.view) - 1

    asyncio.run(main())


def test_the_live_commands_feed_drives_the_app() -> None:
    """The object ``v2gsniff live`` hands to run_live (a LiveFeed with read_batch) over a capture stream."""
    from v2gsniff.sniffer.capture.live_feed import LiveFeed, StreamSource

    path = real(DIN)
    feed = LiveFeed(StreamSource(open_capture(path)))
    app = V2GSniffApp(lambda: feed, title="stdin", live=True, on_stop=feed.stop)

    async def main() -> None:
        async with app.run_test(size=(160, 50)) as pilot:
            await wait_done(app, pilot)
            lst = app.query_one(MessageList)
            assert app.store.counters.frames == 443 and len(app.store.sessions) == 1
            assert lst.follow and lst.cursor == len(app.store.view) - 1
            await pilot.press("q")

    asyncio.run(main())
    assert app.return_value == 0
