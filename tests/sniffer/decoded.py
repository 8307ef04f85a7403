"""Decode a real capture once per test session and share the records between tests."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from v2gsniff.sniffer import engine
from v2gsniff.sniffer.model import Record


@cache
def decode_file(path: Path) -> tuple[tuple[Record, ...], str | None]:
    """All records of a capture and the capture error that ended it, if any."""
    records, error = engine.decode_file(path)
    return tuple(records), error
