"""Charging sessions of every capture the engine reads: ``report``, ``sessions`` and the UI."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING

from v2gsniff.sniffer.model import Record
from v2gsniff.sniffer.sessions import Session, SessionTracker

if TYPE_CHECKING:
    from v2gsniff.sniffer.engine import Engine


class Sessions:
    """A :class:`SessionTracker` per capture, fed every record (``label`` names the vehicle);
    ``attach`` completes the finished sessions (the PnC stage's :meth:`~.pnc.Pnc.attach`)."""

    def __init__(self, label: str | None = None,
                 attach: Callable[[Iterable[Session]], tuple[Session, ...]] | None = None) -> None:
        self.label = label
        self.attach = attach
        self.trackers: dict[str, SessionTracker] = {}
        """Capture name -> its tracker, in order of reading (the current one last)."""
        self.tracker: SessionTracker | None = None
        self.finished: dict[str, Sequence[Session]] = {}
        """Capture name -> its sessions, once the capture has ended."""

    def capture_start(self, engine: Engine) -> None:
        self.tracker = self.trackers[engine.capture] = SessionTracker(engine.capture, label=self.label)

    def records(self, records: list[Record]) -> None:
        observe = self.tracker.observe  # type: ignore[union-attr]  # capture_start comes first
        for r in records:
            observe(r)

    def capture_end(self, engine: Engine) -> None:
        assert self.tracker is not None
        sessions = self.tracker.finish()
        self.finished[engine.capture] = self.attach(sessions) if self.attach is not None else sessions
