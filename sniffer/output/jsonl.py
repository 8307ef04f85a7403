"""JSON Lines output: one object per record (format documented in README.md)."""

from __future__ import annotations

import json
from typing import IO, Any

from v2gsniff.sniffer.model import Record

# Decoded bodies are shared between records of identical payloads (the decoder caches them),
# so their JSON text is encoded once and reused; charge loops repeat most messages verbatim.
_BODY_CACHE = 4096


class JsonlWriter:
    """Writes ``Record.to_json()`` objects, one per line."""

    def __init__(self, stream: IO[str], extra: dict[str, Any] | None = None) -> None:
        self._stream = stream
        self._extra = extra or {}
        self._encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=_default)
        self._bodies: dict[int, tuple[Any, str]] = {}

    def write(self, r: Record) -> None:
        obj = r.to_json()
        if self._extra:
            obj.update(self._extra)
        body = obj.pop("body", None)
        text = self._encoder.encode(obj)
        if body is not None:
            hit = self._bodies.get(id(body))
            if hit is None or hit[0] is not body:
                if len(self._bodies) >= _BODY_CACHE:
                    self._bodies.clear()
                hit = self._bodies[id(body)] = (body, self._encoder.encode(body))
            text = f'{text[:-1]},"body":{hit[1]}}}'
        self._stream.write(text + "\n")

    def close(self) -> None:
        self._stream.flush()


def _default(o: object) -> Any:
    if isinstance(o, bytes | bytearray):
        return o.hex()
    if isinstance(o, set | frozenset | tuple):
        return list(o)
    return str(o)
