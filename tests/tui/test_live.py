"""The live mode of the app: follow new messages unless the user moved away; link events in place."""

from __future__ import annotations

import asyncio
import gc
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from textual.widgets import Static

from tests.tui.pilot import DIN, real, wait_done
from v2gsniff.sniffer.capture import open_capture
from v2gsniff.sniffer.model import Record
from v2gsniff.tui import app as app_module
from v2gsniff.tui.app import V2GSniffApp
from v2gsniff.tui.feed import BUSY_RECORDS, Batch, Pump
from v2gsniff.tui.launch import capture_items
from v2gsniff.tui.messages import RecordsArrived
from v2gsniff.tui.widgets.detail_tree import DetailTree
from v2gsniff.tui.widgets.hex_view import HexView
from v2gsniff.tui.widgets.message_list import MessageList
from v2gsniff.tui.widgets.sessions import SessionsPane


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


def flood() -> Batch:
    """The DIN capture's records as one batch, as a busy live capture hands them over."""
    batches: list[Batch] = []
    Pump(batches.append).run(capture_items([real(DIN)]))
    records = [r for b in batches for r in b.records]
    assert len(records) >= BUSY_RECORDS
    sessions = [b.sessions for b in batches if b.sessions is not None][-1]
    return Batch(records=records, sessions=sessions, counters=batches[-1].counters)


def quiet(gate: threading.Event) -> Iterator[Any]:
    """A live source that brings nothing until ``gate`` (the test posts the batches itself)."""
    gate.wait(20)
    yield from ()


@pytest.mark.parametrize("calm", [False, True])
def test_records_pouring_in_show_first_and_the_rest_waits_for_the_calm(
        calm: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows at once; the sessions pane after them; the detail panes and garbage collection once
    no large batch came for a while (or when the app ends)."""
    if not calm:
        monkeypatch.setattr(app_module, "CALM_SECONDS", 60.0)
        monkeypatch.setattr(app_module, "DETAIL_SECONDS", 60.0)
    batch = flood()
    gate = threading.Event()
    app = V2GSniffApp(lambda: quiet(gate), title="qca0 (test)", live=True)
    assert gc.isenabled()

    async def main() -> None:
        async with app.run_test(size=(160, 50)) as pilot:
            lst = app.query_one(MessageList)
            app.post_message(RecordsArrived(batch))
            await pilot.pause()
            await pilot.pause()
            newest = app.store.records[-1]
            assert lst.follow and lst.index == len(app.store.records) - 1
            assert len(app.query_one(SessionsPane).sessions) == 1
            if not calm:
                assert not gc.isenabled() and detail_record(app) is None
            else:
                deadline = time.monotonic() + 10
                while (detail_record(app) is not newest or not gc.isenabled()) and time.monotonic() < deadline:
                    await pilot.pause(0.05)
                assert detail_record(app) is newest and gc.isenabled()
            gate.set()
            await pilot.press("q")

    try:
        asyncio.run(main())
        assert gc.isenabled()  # back on when the app ends, calm or not
    finally:
        gc.enable()
