"""Sessions of a real capture, computed once per test run and shared between test modules."""

from __future__ import annotations

from functools import cache

from tests.conftest import REAL
from tests.sniffer.decoded import decode_file
from v2gsniff.sniffer.sessions import Session, SessionTracker


@cache
def sessions_of(name: str) -> tuple[Session, ...]:
    records, _error = decode_file(REAL / name)
    tracker = SessionTracker(name)
    for record in records:
        tracker.observe(record)
    return tuple(tracker.finish())
