"""The one flow every command and the UI share: a capture source in, records out to addons.

    engine = Engine([Sessions(), RecordWriter(...)])
    engine.read(["capture.pcapng"])

An :class:`Engine` owns the decoder (:class:`~v2gsniff.sniffer.pipeline.Decoder`, one per
capture) and hands what it produces to its addons, in the order given, by calling the addon's
method named after each hook (an addon defines only the hooks it wants; see :class:`Addon`).
Reading files, following a live feed, progress and capture errors are handled here once, so a
new consumer (a writer, a check, a findings rule set, the UI) is an addon, never another loop.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, NamedTuple, Protocol

from v2gsniff.sniffer.capture import CaptureError, CaptureReader
from v2gsniff.sniffer.capture.remote import open_any
from v2gsniff.sniffer.model import DecryptionSecrets, RawFrame, Record
from v2gsniff.sniffer.pipeline import Decoder
from v2gsniff.sniffer.streams.tls.keylog import KeyLog

PROGRESS_FRAMES = 512
"""Frames between two ``progress`` hooks."""
BATCH_RECORDS = 64
"""Records of consecutive frames that ``Engine.run`` passes to the stages and sinks at once."""
LINK_KINDS = frozenset({"down", "up", "drops"})
"""``kind`` of a live source's link events (:class:`~v2gsniff.sniffer.capture.live.LinkEvent`)."""

HOOKS = ("capture_start", "transform", "records", "findings", "settle", "link_event", "capture_problem", "progress",
         "batch_end", "capture_end")


class Addon(Protocol):
    """What an addon may define; every hook is optional (only the methods present are called).

    ``capture_start(engine)``: a capture begins (``engine.capture`` names it; a fresh decoder).
    ``transform(records) -> records``: a stage before every ``records`` hook, in addon order: it
    returns the records the next stage (and finally the sinks) receives; it may add to them (the
    PnC verdicts of a signed message, the findings a record makes evident, right after it).
    ``records(records)``: the records one frame (or the end of the capture) completed, in order; a
    file run (``run``) hands over those of several consecutive frames at once.
    ``findings(records)``: judgements about the capture as records (``engine.judge``), e.g. the
    visibility check's; writers show them whatever filter the decoded records pass through.
    ``link_event(event)``: a live interface went down, came back, or the kernel dropped frames.
    ``capture_problem(engine, problem)``: the capture could not be read to its end (what was
    read is still decoded and finished).
    ``progress(engine, done, total)``: bytes read of a capture file of ``total`` bytes.
    ``batch_end(engine)``: a live source's batch is decoded (flush output, periodic checks).
    ``settle(engine) -> records``: the capture's last records are through; what only its end can
    settle (findings of unanswered requests) goes to the ``records`` hooks, past the stages.
    ``capture_end(engine)``: the capture is finished; its last records have been delivered.
    """


# The source items are NamedTuples, like RawFrame: a frozen dataclass costs every start-up its
# exec'd methods (~0.6 ms each), and a decode of a small capture is mostly start-up.
class CaptureStart(NamedTuple):
    """A source item: a new capture begins (frame numbers start again)."""

    name: str
    reader: CaptureReader | None = None
    """The open file, for progress; ``None`` when it could not be opened (a problem follows)."""


class CaptureProblem(NamedTuple):
    """A source item: reading the current capture stopped early; ``message`` says why."""

    name: str
    message: str
    error: BaseException
    """The error itself (the CLI's exit status for it: ``commands/exits.py``)."""


def capture_items(paths: Iterable[str | os.PathLike[str]], names: Sequence[str] | None = None) -> Iterator[Any]:
    """Every file's items, each file after a :class:`CaptureStart` (named by ``names`` or its path);
    a read error ends that file with a :class:`CaptureProblem` (the frames before it are kept) and
    the next file still opens."""
    for i, path in enumerate(paths):
        name = names[i] if names is not None else os.fspath(path)
        try:
            reader = open_any(path)  # a local path, or an fsspec URL (``report s3://…``)
        except CaptureError as err:
            yield CaptureStart(name)
            yield CaptureProblem(name, str(err), err)
            continue
        with reader:
            yield CaptureStart(name, reader)
            try:
                yield from reader
            except CaptureError as err:
                yield CaptureProblem(name, str(err), err)


class Engine:
    """Frames in, records to addons. Mutable; one thread drives it."""

    def __init__(self, addons: Iterable[object] = (), *, keylog: KeyLog | None = None, show_keys: bool = False,
                 xml: bool = False, capture: str = "capture") -> None:
        self.addons = list(addons)
        self.keylog = keylog
        """Secrets shared by every capture read (each capture's decoder adds what it learns)."""
        self.show_keys = show_keys
        self.xml = xml
        self.capture = capture
        """Name of the current (or last) capture."""
        self.decoder: Decoder | None = None
        """The current (or last) capture's decoder: its ``stats`` stay readable after the end."""
        self.reader: CaptureReader | None = None
        self.problems: list[CaptureProblem] = []
        """Every capture that could not be read to its end, in order."""
        self._open = False
        self._hooks: dict[str, list[Callable[..., Any]]] = {
            name: [getattr(a, name) for a in self.addons if callable(getattr(a, name, None))] for name in HOOKS
        }
        self._on_records = self._hooks["records"]
        self._stages = self._hooks["transform"]
        self._quiet: tuple[int, float] = (-1, 0.0)
        """(frames decoded, monotonic clock) when ``idle`` last saw that count change."""

    # -- captures --------------------------------------------------------------------------

    def start(self, name: str, reader: CaptureReader | None = None) -> Decoder:
        """Begin a capture (finishing the one before): a fresh decoder, ``capture_start`` hooks."""
        self.finish()
        self.capture, self.reader = name, reader
        if self.keylog is None:
            self.keylog = KeyLog()
        self.decoder = Decoder(show_keys=self.show_keys, keylog=self.keylog, xml=self.xml)
        self._open = True
        for hook in self._hooks["capture_start"]:
            hook(self)
        return self.decoder

    def finish(self) -> None:
        """End the current capture: the decoder's last records, then ``capture_end`` hooks."""
        if not self._open:
            return
        assert self.decoder is not None
        self.emit(self.decoder.finish())
        for settle in self._hooks["settle"]:
            self._deliver(settle(self) or [])
        for hook in self._hooks["capture_end"]:
            hook(self)
        self._open = False
        self.reader = None

    # -- items -----------------------------------------------------------------------------

    def feed(self, item: RawFrame | DecryptionSecrets) -> None:
        """Decode one frame (or secrets block) and hand its records to the addons."""
        decoder = self.decoder if self._open else self.start(self.capture)
        assert decoder is not None
        records = decoder.feed(item)
        if records:
            self._pass(records)

    def _pass(self, records: list[Record]) -> None:
        """Decoded records through the stages, then to the ``records`` hooks."""
        for stage in self._stages:
            records = stage(records)
        for hook in self._on_records:
            hook(records)

    def put(self, item: Any) -> None:
        """Any source item: frames and secrets, :class:`CaptureStart`/:class:`CaptureProblem`,
        live link events, or ready-made records (passed on as they are)."""
        if isinstance(item, RawFrame | DecryptionSecrets):
            self.feed(item)
        elif isinstance(item, CaptureStart):
            self.start(item.name, item.reader)
        elif isinstance(item, CaptureProblem):
            self.problem(item)
        elif isinstance(item, Record):
            self.emit([item])
        elif getattr(item, "kind", None) in LINK_KINDS:
            for hook in self._hooks["link_event"]:
                hook(item)

    def emit(self, records: list[Record]) -> None:
        """Records from elsewhere than this frame's decode (the decoder's last ones, link events,
        ready-made records) to the ``records`` hooks."""
        if records:
            if not self._open:
                self.start(self.capture)
            self._pass(records)

    def _deliver(self, records: list[Record]) -> None:
        if records:
            for hook in self._on_records:
                hook(records)

    def judge(self, findings: list[Record]) -> None:
        """Judgements about the capture (as records) to the ``findings`` hooks."""
        if findings:
            for hook in self._hooks["findings"]:
                hook(findings)

    def problem(self, problem: CaptureProblem) -> None:
        if not self._open:
            self.start(problem.name)
        self.problems.append(problem)
        for hook in self._hooks["capture_problem"]:
            hook(self, problem)

    # -- sources ---------------------------------------------------------------------------

    def run(self, items: Iterable[Any]) -> None:
        """Every item of a source, then the end of the capture (``capture_end``).

        The records of consecutive frames pass the stages and sinks together, in batches of about
        ``BATCH_RECORDS`` (``feed`` passes each frame's at once, as a live feed needs): one pass per
        batch instead of one per frame. Any other item, and the end, hand over what waits first."""
        put = self.put
        progress = self._hooks["progress"]
        decoder = self.decoder if self._open else None
        pending: list[Record] = []
        n = 0
        for item in items:
            if type(item) is RawFrame:  # nearly every item
                if decoder is None:
                    decoder = self.start(self.capture)
                records = decoder.feed(item)
                if records:
                    pending += records
                    if len(pending) >= BATCH_RECORDS:
                        self._pass(pending)
                        pending = []
                if progress:
                    n += 1
                    if not n % PROGRESS_FRAMES:
                        self._progress(progress)
            else:
                if pending:
                    self._pass(pending)
                    pending = []
                put(item)  # may begin another capture, with another decoder
                decoder = self.decoder if self._open else None
        if pending:
            self._pass(pending)
        self.finish()

    def read(self, paths: Iterable[str | os.PathLike[str]], names: Sequence[str] | None = None) -> None:
        """Decode capture files (``"-"`` is standard input) one after the other."""
        self.run(capture_items(paths, names))

    def run_live(self, source: Any) -> None:
        """Follow a live source (``read_batch()`` gives lists of items, ``None`` at its end; ``stop()``)
        until it ends or Ctrl-C; ``batch_end`` hooks after each batch."""
        put = self.put
        batch_end = self._hooks["batch_end"]
        try:
            while True:
                batch = source.read_batch()
                if batch is None:
                    break
                for item in batch:
                    put(item)
                self.idle()
                for hook in batch_end:
                    hook(self)
        except KeyboardInterrupt:
            source.stop()  # Ctrl-C: what was decoded stays; the open connections finish below
        self.finish()

    def idle(self) -> None:
        """Between a live source's batches: what only time releases (``Decoder.idle``) goes to the
        addons. Capture time runs on past the last frame by the wall-clock time since frames stopped."""
        decoder = self.decoder if self._open else None
        if decoder is None:
            return
        frames, clock = decoder.stats.frames, time.monotonic()
        if frames != self._quiet[0]:
            self._quiet = (frames, clock)
        self.emit(decoder.idle(self.last_time + clock - self._quiet[1]))

    @property
    def last_time(self) -> float:
        """Capture time of the last frame decoded (0 before any)."""
        last = self.decoder.last_frame if self.decoder is not None else None
        return last.time if last is not None else 0.0

    def _progress(self, hooks: list[Callable[..., Any]]) -> None:
        reader = self.reader
        if reader is not None and reader.size:
            for hook in hooks:
                hook(self, reader.bytes_read, reader.size)


def decode_file(path: str | os.PathLike[str], **options: Any) -> tuple[list[Record], str | None]:
    """Every record of one capture (what ``decode`` prints, findings aside) and why reading stopped
    early (``None`` when it did not): for tests and scripts. ``options`` go to :class:`Engine`."""
    from v2gsniff.sniffer.addons.keep import Keep

    keep = Keep()
    engine = Engine([keep], **options)
    engine.read([path])
    return keep.kept, engine.problems[-1].message if engine.problems else None
