"""The visibility check as an addon: findings when the capture cannot see the whole session."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from v2gsniff.sniffer.analysis.visibility import VisibilityCheck
from v2gsniff.sniffer.model import Record

if TYPE_CHECKING:
    from v2gsniff.sniffer.engine import Engine

CHECK_SECONDS = 1.0
"""Live: wall seconds between two checks."""


class Visibility:
    """Feeds a :class:`VisibilityCheck`; judges at the capture's end and, live, every
    :data:`CHECK_SECONDS` with the live grace periods. Each finding is reported once."""

    def __init__(self) -> None:
        self.visibility = VisibilityCheck()
        self._reported: set[tuple[str, int | None]] = set()
        self._next = time.monotonic() + CHECK_SECONDS

    def capture_start(self, engine: Engine) -> None:
        self.visibility = VisibilityCheck()
        self._reported = set()

    def records(self, records: list[Record]) -> None:
        add = self.visibility.add
        for r in records:
            add(r)

    def batch_end(self, engine: Engine) -> None:
        if time.monotonic() >= self._next:
            self._next = time.monotonic() + CHECK_SECONDS
            self._judge(engine, engine.last_time)

    def capture_end(self, engine: Engine) -> None:
        self._judge(engine, None)

    def _judge(self, engine: Engine, now: float | None) -> None:
        new = [f for f in self.visibility.findings(now) if (f.kind, f.stream) not in self._reported]
        self._reported.update((f.kind, f.stream) for f in new)
        engine.judge([f.to_record() for f in new])
