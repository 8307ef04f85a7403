"""JSON Lines output: one object per record (format documented in README.md)."""

from __future__ import annotations

import json
from typing import IO, Any

from v2gsniff.sniffer.model import Record


class JsonlWriter:
    """Writes ``Record.to_json()`` objects, one per line."""

    def __init__(self, stream: IO[str], extra: dict[str, Any] | None = None) -> None:
        self._stream = stream
        self._extra = extra or {}
        self._encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=_default)

    def write(self, r: Record) -> None:
        obj = r.to_json()
        if self._extra:
            obj.update(self._extra)
        self._stream.write(self._encoder.encode(obj) + "\n")

    def close(self) -> None:
        self._stream.flush()


def _default(o: object) -> Any:
    if isinstance(o, bytes | bytearray):
        return o.hex()
    if isinstance(o, set | frozenset | tuple):
        return list(o)
    return str(o)
