"""The UI's record store and the worker's pump, without widgets, on real captures."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.tui.pilot import THREE, real
from v2gsniff.sniffer.capture import open_capture
from v2gsniff.sniffer.filters import compile_filter
from v2gsniff.sniffer.model import Record
from v2gsniff.sniffer.pipeline import Decoder
from v2gsniff.tui import feed
from v2gsniff.tui.feed import (
    BUSY_POLL,
    BUSY_RECORDS,
    EMIT_SECONDS,
    LATENCY_SECONDS,
    READ_SECONDS,
    SHORT_READ,
    Batch,
    Pump,
)
from v2gsniff.tui.launch import capture_items
from v2gsniff.tui.store import RecordStore


def pump(paths: list[str]) -> list[Batch]:
    out: list[Batch] = []
    Pump(out.append).run(capture_items(paths))
    return out


def test_pump_counts_like_the_decoder_and_coalesces() -> None:
    path = real(THREE)
    batches = pump([path])
    decoder = Decoder()
    expected = []
    with open_capture(path) as reader:
        for item in reader:
            expected.extend(decoder.feed(item))
    expected.extend(decoder.finish())
    got = [r for b in batches for r in b.records]
    assert [(r.frame, r.name) for r in got] == [(r.frame, r.name) for r in expected]
    last = batches[-1]
    assert last.done and last.counters.frames == decoder.stats.frames
    assert last.counters.messages == len(expected) and last.counters.errors == decoder.stats.errors
    assert len(batches) < 10  # a file is handed over in a few bursts, not per record
    sessions = [b.sessions for b in batches if b.sessions is not None][-1]
    assert [len(v) for v in sessions.values()] == [3]


class Trickle:
    """A live source: a few frames every few milliseconds (``read_batch`` as LiveFeed has it)."""

    def __init__(self, items: list[Any], per_read: int = 10, every: float = 0.004) -> None:
        self.items, self.per_read, self.every = items, per_read, every

    def read_batch(self, timeout: float) -> list[Any] | None:
        if not self.items:
            return None
        time.sleep(min(timeout, self.every))
        out, self.items = self.items[:self.per_read], self.items[self.per_read:]
        return out


def test_a_busy_consumer_gets_the_records_of_the_meantime_in_one_batch() -> None:
    with open_capture(real(THREE)) as reader:
        items = list(reader)  # 749 frames: about 0.3 s of trickle
    busy: list[Batch] = []
    Pump(busy.append, handshake=True).run(Trickle(items), live=True)  # never says taken
    # The first batch, then nothing until the end: every record still comes, in order.
    assert len(busy) == 2 and busy[-1].done
    assert [r.frame for b in busy for r in b.records] == [r.frame for b in pump([real(THREE)]) for r in b.records]

    prompt: list[Batch] = []
    eager = Pump(lambda b: (prompt.append(b), eager.taken()), handshake=True)
    eager.run(Trickle(items), live=True)
    # Taken at once: a batch each coalescing window, as without the handshake.
    assert len(prompt) > 4
    assert [r.frame for b in prompt for r in b.records] == [r.frame for b in busy for r in b.records]


def test_records_pouring_in_wait_longer_so_batches_grow() -> None:
    """Under load the coalescing window widens (fewer repaints); a trickle gets the short one back."""
    now = [0.0]
    out: list[Batch] = []
    p = Pump(out.append, clock=lambda: now[0])

    def arrive(n: int, at: float) -> None:
        now[0] = at
        for _ in range(n):
            p.item(Record(1, at, "homeplug", "CM_SLAC_PARM.REQ"))
        p.maybe_emit()

    first = EMIT_SECONDS + 0.001
    arrive(BUSY_RECORDS, first)
    assert [len(b.records) for b in out] == [BUSY_RECORDS]
    arrive(1, first + EMIT_SECONDS + 0.001)  # due in the normal window, but records are pouring in
    assert len(out) == 1
    second = first + LATENCY_SECONDS + 0.001  # no consumer to wait for: the window is the whole budget
    arrive(1, second)
    assert [len(b.records) for b in out] == [BUSY_RECORDS, 2]
    arrive(1, second + EMIT_SECONDS + 0.001)  # two records were not a load: the short window again
    assert [len(b.records) for b in out] == [BUSY_RECORDS, 2, 1]


def test_under_load_the_window_leaves_the_consumer_its_time_within_the_latency_budget() -> None:
    """A record waits for its batch no longer than the budget minus what showing the last batch took."""
    now = [0.0]
    out: list[Batch] = []
    p = Pump(out.append, clock=lambda: now[0], handshake=True)

    def arrive(n: int, at: float) -> None:
        now[0] = at
        for _ in range(n):
            p.item(Record(1, at, "homeplug", "CM_SLAC_PARM.REQ"))
        p.maybe_emit()

    def shown(after: float) -> None:
        now[0] += after
        p.taken()

    t = EMIT_SECONDS + 0.001
    arrive(BUSY_RECORDS, t)
    shown(0.02)  # the consumer took 20 ms: the next batch may wait the rest of the budget
    window = LATENCY_SECONDS - 0.02
    arrive(BUSY_RECORDS, t + window - 0.002)
    assert len(out) == 1
    arrive(1, t + window + 0.001)
    assert [len(b.records) for b in out] == [BUSY_RECORDS, BUSY_RECORDS + 1]
    arrive(BUSY_RECORDS, now[0] + 0.001)
    assert len(out) == 2  # not taken yet
    shown(LATENCY_SECONDS)  # a consumer slower than the budget: the next batch as soon as it took this one
    arrive(1, now[0])
    assert [len(b.records) for b in out] == [BUSY_RECORDS, BUSY_RECORDS + 1, BUSY_RECORDS + 1]
    # Slower still (a UI starting up): the live read's timeout stays a valid one, and nothing due
    # means blocking for a while, not spinning (a negative timeout once ended `live -` with a traceback).
    shown(LATENCY_SECONDS * 3)
    assert p._wait() == BUSY_POLL


class FakeTime:
    """The clock ``feed`` reads: sleeping only moves it on."""

    def __init__(self) -> None:
        self.now = 100.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_a_drained_live_source_is_read_again_after_a_pause(monkeypatch: pytest.MonkeyPatch) -> None:
    """Frames that stream in are taken some at a time, not one read (a poll and a wake-up) each."""
    clock = FakeTime()
    monkeypatch.setattr(feed, "time", clock)
    sizes = [1, 3, SHORT_READ, SHORT_READ, 2]
    reads: list[float] = []

    class Source:
        def read_batch(self, timeout: float) -> list[int] | None:
            reads.append(clock.now)
            return list(range(sizes.pop(0))) if sizes else None

    got = [len(chunk) for chunk in feed._chunks(Source(), live=True)]
    assert got == [1, 3, SHORT_READ, SHORT_READ, 2]
    gaps = [round(b - a, 9) for a, b in zip(reads, reads[1:], strict=False)]
    # After a short read (the source was drained) the next waits; after a full one it does not.
    assert gaps == [READ_SECONDS, READ_SECONDS, 0.0, 0.0, READ_SECONDS]


def test_store_maps_records_to_sessions_and_filters() -> None:
    store = RecordStore()
    for b in pump([real(THREE)]):
        store.add(b)
    assert [u.number for u in store.sessions] == [1, 2, 3]
    for u in store.sessions:
        mine = [store.records[i] for i in range(len(store.records)) if store.session_number(i) == u.number]
        assert mine
        # By TCP connection when the record has one (a FIN may come after the session's last
        # message), otherwise by the session's frame span.
        assert all(r.extra["stream"] in u.session.streams for r in mine if "stream" in r.extra)
        assert all(u.session.first_frame <= r.frame <= u.session.last_frame for r in mine if "stream" not in r.extra)
    store.set_filter(compile_filter("session == 3 and v2g"))
    assert store.view and all(store.session_number(i) == 3 for i in store.view)
    row = store.first_row_of_session(3)
    assert row == 0


def test_unreadable_capture_is_an_error_record_and_an_exit_code() -> None:
    batches = pump(["/nonexistent/capture.pcapng"])
    records = [r for b in batches for r in b.records]
    assert [r.name for r in records] == ["capture unreadable"]
    assert records[0].error is not None and "/nonexistent/capture.pcapng" in records[0].error
    assert batches[-1].exit_code == 3


def test_run_open_fails_before_the_screen_for_a_missing_file() -> None:
    from v2gsniff.tui.launch import run_open

    assert run_open(["/nonexistent/capture.pcapng"], []) == 3


def test_open_command_is_registered_through_the_entry_point() -> None:
    import click

    from v2gsniff.sniffer.cli import main

    ctx = click.Context(main)
    assert "open" in main.list_commands(ctx)
    cmd = main.get_command(ctx, "open")
    assert cmd is not None and cmd.callback is not None


def test_a_live_session_that_stops_after_a_lost_request_shows_its_last_answer_before_the_end(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.sniffer.test_pipeline_idle import _lost_request
    from v2gsniff.sniffer import pipeline

    monkeypatch.setattr(pipeline, "HOLE_WAIT", 0.3)  # real time passes: keep it short
    frames, request, answer = _lost_request("iso2_dc.pcapng", None)

    class Quiet:
        """The frames, then a quiet link for a second, then the end."""

        def __init__(self) -> None:
            self.items: list[Any] = list(frames)
            self.until = 0.0

        def read_batch(self, timeout: float) -> list[Any] | None:
            if self.items:
                out, self.items = self.items, []
                self.until = time.monotonic() + 1.0
                return out
            if time.monotonic() > self.until:
                return None
            time.sleep(min(timeout, 0.02))
            return []

    batches: list[Batch] = []
    Pump(batches.append).run(Quiet(), live=True)
    shown = [(r.frame, r.name) for b in batches if not b.done for r in b.records]
    assert (answer.frame, answer.name) in shown and (request.frame, request.name) not in shown
