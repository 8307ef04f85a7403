"""The UI's input side, run in a worker thread: items in, coalesced :class:`Batch`\\ es out.

A source is what an :class:`~v2gsniff.sniffer.engine.Engine` takes: ``RawFrame |
DecryptionSecrets | LinkEvent`` (``LinkEvent`` is duck-typed: ``kind``/``time``/``message``/``dropped``),
the markers :class:`CaptureStart` (a new file begins: fresh decoder and session tracker) and
:class:`CaptureProblem` (a file could not be read to its end), and ready-made ``Record``\\ s, passed
through untouched (benchmarks feed them). The :class:`Pump` is the UI's engine addon; nothing here
touches a widget: ``emit`` is called with each batch and the app posts it to itself.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from v2gsniff.sniffer.addons import Pnc, Sessions
from v2gsniff.sniffer.commands.exits import exit_code_for
from v2gsniff.sniffer.engine import CaptureProblem, CaptureStart, Engine  # noqa: F401 - the UI's markers
from v2gsniff.sniffer.model import RawFrame, Record
from v2gsniff.sniffer.sessions import Session
from v2gsniff.sniffer.setup import AnalysisSetup
from v2gsniff.sniffer.streams.tls import KeyLog

EMIT_SECONDS = 0.05
"""Longest time records wait before they are shown (bursts are coalesced up to this); a
record after a quiet spell is shown at once."""
BUSY_EMIT_SECONDS = 0.1
"""The longest window while records pour in (the last batch had :data:`BUSY_RECORDS` or more):
each batch costs the UI a repaint of the list, and rows that scroll by hundreds at a time are not
read anyway, so fewer, larger batches leave more of the one GIL to decoding. The window actually
used is bounded by :data:`LATENCY_SECONDS`."""
LATENCY_SECONDS = 0.075
"""Under load, the window plus the time the consumer took to show the last batch stays within
this (with ``handshake``): a record should be on screen within 0.1 s of its arrival, and the
rest is left for reading, decoding and the terminal."""
BUSY_RECORDS = 200
EMIT_RECORDS = 20000
"""A batch this big goes out even while the consumer has not taken the previous one."""
BUSY_POLL = 0.005
"""How often a live read looks again whether a busy consumer has taken its batch."""
READ_SECONDS = 0.002
"""A live source whose last read drained it (a short batch) is read again no sooner than this:
frames that stream in are then taken tens at a time, not a poll and a wake-up each (which cost
about as much as decoding one). Delays a frame by at most this; the first after a pause not at all."""
SHORT_READ = 256
SESSION_SECONDS = 0.5
"""Sessions are re-snapshotted at most this often while records arrive (and at the end)."""
BUSY_SESSION_SECONDS = 1.0
"""The same while records pour in: a snapshot of every session, and the sessions pane it
repaints, cost more the more sessions there are, and they take time from decoding and from the
rows (which should show within 0.1 s)."""


@dataclass(slots=True)
class Counters:
    frames: int = 0
    messages: int = 0
    errors: int = 0
    gaps: int = 0
    lost_bytes: int = 0
    drops: int = 0
    link: str = ""
    """Last link state for live capture (``""`` for files)."""


@dataclass(slots=True)
class Batch:
    """What the worker hands to the UI in one go."""

    records: list[Record] = field(default_factory=list)
    captures: list[tuple[int, str]] = field(default_factory=list)
    """(index of the first record, capture name) for each capture that started in this batch."""
    sessions: dict[str, list[Session]] | None = None
    """Per capture name, when they changed."""
    counters: Counters = field(default_factory=Counters)
    done: bool = False
    exit_code: int = 0


class Pump:
    """Decodes a source and calls ``emit`` with batches. One per source; runs in one thread.

    With ``handshake`` the consumer calls :meth:`taken` once it has shown a batch, and no
    further batch goes out before that (unless :data:`EMIT_RECORDS` pile up): records keep
    being decoded and join the next batch, so a busy UI gets fewer, larger batches and
    repaints at the rate it can sustain instead of falling behind a queue of small ones.
    """

    def __init__(self, emit: Callable[[Batch], object], *, keylog: KeyLog | None = None,
                 cancelled: Callable[[], bool] = lambda: False, default_capture: str = "capture",
                 handshake: bool = False, clock: Callable[[], float] = time.monotonic,
                 setup: AnalysisSetup | None = None) -> None:
        self.emit = emit
        self.clock = clock
        self.handshake = handshake
        self._unread = threading.Event()
        """Set while a batch is out that the consumer has not taken (``handshake`` only)."""
        self.keylog = keylog if keylog is not None else KeyLog()
        self.cancelled = cancelled
        self.counters = Counters()
        self.exit_code = 0
        self._sessions = Sessions()
        self._revisions: dict[str, int] = {}
        # signed messages and certificate chains get their verdicts before the tracker and the UI see them
        self.engine = Engine([Pnc(setup), self._sessions, self], keylog=self.keylog, capture=default_capture)
        """The engine this pump is an addon of (after the PnC stage and the session tracker)."""
        self._batch = Batch()
        self._total = 0
        self._last_emit = clock()
        self._busy = False
        """The last batch had :data:`BUSY_RECORDS` or more: records pour in."""
        self._sent_at = 0.0  # when the batch out was emitted (``handshake``)
        self._showing = 0.0
        """How long the consumer took from emit to :meth:`taken` for the last batch it took."""
        self._last_sessions = 0.0
        self._emitted = Counters()

    # -- driving ---------------------------------------------------------------------------

    def run(self, source: Iterable[Any], live: bool = False) -> None:
        """Consume ``source`` to its end (or until cancelled); the last batch has ``done``."""
        try:
            for chunk in _chunks(source, live, self._wait):
                if self.cancelled():
                    break
                for i, item in enumerate(chunk, 1):
                    self.item(item)
                    if not i % 256:  # a backlog read in one chunk: records fall due while it is decoded
                        self.maybe_emit()
                if live:
                    self.engine.idle()
                self.maybe_emit()
        finally:
            self.engine.finish()
            self.flush(done=True)

    def item(self, item: Any) -> None:
        if type(item) is RawFrame:  # nearly every item: no other checks
            self.counters.frames += 1
            self.engine.feed(item)
        else:
            self.engine.put(item)

    # -- engine hooks ----------------------------------------------------------------------

    def capture_start(self, engine: Engine) -> None:
        self._batch.captures.append((self._total, engine.capture))

    def capture_problem(self, engine: Engine, problem: CaptureProblem) -> None:
        engine.emit([Record(0, time.time(), "error", "capture unreadable", error=f"{problem.name}: {problem.message}",
                            extra={"capture": problem.name})])
        self.exit_code = max(self.exit_code, exit_code_for(problem.error))

    def records(self, records: list[Record]) -> None:
        c = self.counters
        for r in records:
            c.messages += 1
            if r.error:
                c.errors += 1
            if r.kind == "gap":
                c.gaps += 1
                c.lost_bytes += int(r.fields.get("missing_bytes", 0) or 0)
        self._batch.records.extend(records)
        self._total += len(records)

    def link_event(self, ev: Any) -> None:
        kind, message = ev.kind, str(getattr(ev, "message", ""))
        dropped = int(getattr(ev, "dropped", 0) or 0)
        when = float(getattr(ev, "time", 0.0) or time.time())
        self.counters.link = "up" if kind == "drops" and self.counters.link in ("", "up") else kind
        error = None
        if kind == "drops":
            self.counters.drops += dropped
            error = f"{dropped} frames dropped by the capture: {message}"
        elif kind == "down":
            error = message or "interface down"
        name = {"down": "interface down", "up": "interface up", "drops": "frames dropped"}[kind]
        decoder = self.engine.decoder
        frame = decoder.stats.frames if decoder is not None else 0
        self.engine.emit([Record(frame, when, "link", name, fields={"dropped": dropped} if dropped else {},
                                 error=error, summary=message)])

    # -- batches ---------------------------------------------------------------------------

    def taken(self) -> None:
        """The consumer has shown the last batch (any thread may call this)."""
        self._showing = self.clock() - self._sent_at
        self._unread.clear()

    def maybe_emit(self) -> None:
        due = self.clock() - self._last_emit >= self._window()
        if len(self._batch.records) >= EMIT_RECORDS or (due and not self._unread.is_set()):
            self.flush()

    def _wait(self) -> float:
        """How long a live read may block: no longer than until pending records are due (or,
        when they are due but the consumer is busy, until it looks again)."""
        if not self._batch.records:  # nothing due: block, but look again at least every BUSY_POLL under load
            return max(self._window(), BUSY_POLL)
        left = self._window() - (self.clock() - self._last_emit)
        if left <= 0 and self._unread.is_set():
            return BUSY_POLL
        return max(0.0, left)

    def flush(self, done: bool = False) -> None:
        now = self.clock()
        batch, self._batch = self._batch, Batch()
        every = BUSY_SESSION_SECONDS if self._busy else SESSION_SECONDS
        if done or now - self._last_sessions >= every:
            self._last_sessions = now
            trackers = self._sessions.trackers
            changed = {name: t for name, t in trackers.items() if self._revisions.get(name) != t.revision}
            if changed:
                for name, t in changed.items():
                    self._revisions[name] = t.revision
                batch.sessions = {name: t.sessions for name, t in trackers.items()}
        batch.counters = replace(self.counters)
        batch.done = done
        batch.exit_code = self.exit_code
        if batch.records or batch.sessions is not None or batch.captures or done or batch.counters != self._emitted:
            # Only records actually sent start the coalescing window: after a quiet spell (or a
            # batch of sessions or counters alone) the next record goes out at once.
            if batch.records:
                self._last_emit = now
                self._busy = len(batch.records) >= BUSY_RECORDS
            self._emitted = batch.counters
            if self.handshake:
                self._sent_at = now
                self._unread.set()  # before emit: the consumer may take it at once
            self.emit(batch)

    def _window(self) -> float:
        """How long records may wait now: :data:`EMIT_SECONDS`; under load as long as
        :data:`BUSY_EMIT_SECONDS` allows, but short enough that a record's wait plus the consumer's
        showing it (as long as it took for the last batch it took) stays within :data:`LATENCY_SECONDS`."""
        if not self._busy:
            return EMIT_SECONDS
        # A consumer slower than the budget gets the next batch as soon as it takes the last (never
        # a negative wait: a live read's timeout, which a UI slow to start made one once).
        return max(0.0, min(BUSY_EMIT_SECONDS, LATENCY_SECONDS - self._showing))


def _chunks(source: Iterable[Any], live: bool, wait: Callable[[], float] = lambda: EMIT_SECONDS,
            ) -> Iterator[list[Any]]:
    """Items in chunks. Live sources are polled with a timeout (``read_batch``, or a reader
    thread for a plain iterator) of ``wait()`` seconds, so that pending records are flushed
    when they are due even if nothing else arrives."""
    read_batch = getattr(source, "read_batch", None)
    if not callable(read_batch) and live:
        read_batch = _Polled(source).read_batch
    if callable(read_batch):
        drained_at = None  # when the last read returned a short batch
        while True:
            if drained_at is not None:
                rest = READ_SECONDS - (time.monotonic() - drained_at)
                if rest > 0:
                    time.sleep(rest)
            batch = read_batch(wait())
            if batch is None:
                return
            drained_at = time.monotonic() if 0 < len(batch) < SHORT_READ else None
            yield list(batch)
    chunk: list[Any] = []
    for item in source:
        chunk.append(item)
        if len(chunk) >= 256:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class _Polled:
    """A plain (possibly blocking) iterator read by a daemon thread, offered with a timeout."""

    _END = object()

    def __init__(self, source: Iterable[Any]) -> None:
        self._queue: queue.Queue[Any] = queue.Queue(4096)
        self._done = False
        threading.Thread(target=self._run, args=(source,), name="ui-source", daemon=True).start()

    def _run(self, source: Iterable[Any]) -> None:
        try:
            for item in source:
                self._queue.put(item)
        finally:
            self._queue.put(self._END)

    def read_batch(self, timeout: float) -> list[Any] | None:
        if self._done:
            return None
        out: list[Any] = []
        try:
            item = self._queue.get(timeout=timeout)
            while True:
                if item is self._END:
                    self._done = True
                    return out or None
                out.append(item)
                if len(out) >= 1024:
                    return out
                item = self._queue.get_nowait()
        except queue.Empty:
            return out
