"""Decode a real capture once per test session and share the records between tests."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from v2gsniff.sniffer.capture import CaptureError, open_capture
from v2gsniff.sniffer.model import Record
from v2gsniff.sniffer.pipeline import Decoder


@cache
def decode_file(path: Path) -> tuple[tuple[Record, ...], str | None]:
    """All records of a capture and the capture error that ended it, if any."""
    decoder = Decoder()
    records: list[Record] = []
    error = None
    with open_capture(path) as reader:
        try:
            for item in reader:
                records.extend(decoder.feed(item))
        except CaptureError as err:
            error = str(err)
    records.extend(decoder.finish())
    return tuple(records), error
