"""JSON Lines output: one object per record (format documented in README.md).

Each line is the JSON text of ``Record.to_json()`` (writer-level keys such as ``capture``
added, ``body`` last), assembled from pieces rather than by encoding a fresh dict: on a long
capture the writer, not the decoder, would otherwise be the slowest stage.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import IO, Any

from v2gsniff.sniffer.model import Record, SharedTail

from .inert import inert_json

# Decoded bodies and field maps are shared between records of identical payloads (the decoder
# caches them), so their JSON text is made once and found again by identity. Strings repeat
# too (names, addresses, hex of repeated payloads). Both caches are bounded.
_OBJ_CACHE = 4096
_STR_CACHE = 8192
# Lines handed to the stream in one write: one call per line costs more than its encoding.
_BATCH = 256


class JsonlWriter:
    """Writes one compact JSON object per record and line."""

    def __init__(self, stream: IO[str], extra: dict[str, Any] | None = None) -> None:
        self._stream = stream
        self._encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=_default)
        self._objs: dict[int, tuple[object, str]] = {}
        self._strs: dict[str, str] = {}
        self._names: dict[tuple[str, str, str, str], str] = {}
        self._tails: dict[int, tuple[Mapping[str, Any], str, Any]] = {}
        self._pending: list[str] = []  # lines not yet handed to the stream (see flush)
        self._tail = "".join(f",{self._str(k)}:{self._value(v)}" for k, v in (extra or {}).items())

    def write(self, r: Record) -> None:
        pending = self._pending
        pending.append(self.line(r))
        if len(pending) >= _BATCH:
            self._stream.write(inert_json("".join(pending)))
            pending.clear()

    def flush(self) -> None:
        """Hand every line written so far to the stream and flush it."""
        if self._pending:
            self._stream.write(inert_json("".join(self._pending)))
            self._pending.clear()
        self._stream.flush()

    def line(self, r: Record) -> str:
        """The record's line, newline included."""
        # Cache lookups are inlined (``get(x) or ...``): a call per value would double the cost.
        # The time has six decimals, the same number as Record.to_json's round(time, 6).
        s = self._str
        get = self._strs.get
        ident = (r.kind, r.name, r.src, r.dst)
        names = self._names.get(ident)
        if names is None:
            names = self._names_text(ident)
        fields = r.fields
        hit = self._objs.get(id(fields))
        err = r.error
        parts = [
            f'{{"frame":{r.frame},"time":{r.time:.6f},{names},"fields":'
            f'{hit[1] if hit is not None and hit[0] is fields else self._obj(fields)},'
            f'"error":{"null" if err is None else s(err)}'
        ]
        extra = r.extra
        body = None
        shared = None
        if type(extra) is SharedTail:
            # The shared tail's text is made once per distinct payload.
            shared = self._tails.get(id(extra.tail))
            if shared is None or shared[0] is not extra.tail:
                shared = self._tail_text(extra.tail)
            extra = extra.head
        for key, value in extra.items():
            t = type(value)
            if t is int:
                text = str(value)
            elif t is str:
                text = get(value) or s(value)
            elif key == "body":
                body = value
                continue
            else:
                text = self._value(value)
            parts.append(f",{get(key) or s(key)}:{text}")
        if shared is not None:
            parts.append(shared[1])
            body = shared[2]
        if body is not None:
            parts.append(f'{self._tail},"body":{self._obj(body)}}}\n')
        else:
            parts.append(f"{self._tail}}}\n")
        return "".join(parts)

    def _names_text(self, ident: tuple[str, str, str, str]) -> str:
        # kind, name, src and dst repeat together (one conversation's messages): their text is
        # one cache entry.
        if len(self._names) >= _STR_CACHE:
            self._names.clear()
        kind, name, src, dst = (self._str(x) for x in ident)
        text = self._names[ident] = f'"kind":{kind},"name":{name},"src":{src},"dst":{dst}'
        return text

    def _tail_text(self, tail: Mapping[str, Any]) -> tuple[Mapping[str, Any], str, Any]:
        if len(self._tails) >= _OBJ_CACHE:
            self._tails.clear()
        text = "".join(f",{self._str(k)}:{self._value(v)}" for k, v in tail.items() if k != "body")
        entry = self._tails[id(tail)] = (tail, text, tail.get("body"))
        return entry

    def close(self) -> None:
        self.flush()

    def _value(self, v: object) -> str:
        if v is None:
            return "null"
        t = type(v)
        if t is str:
            return self._str(v)  # type: ignore[arg-type]
        if t is int:
            return str(v)
        if t is bool:
            return "true" if v else "false"
        if t is dict or t is list:
            return self._obj(v)
        return self._encoder.encode(v)

    def _str(self, text: str) -> str:
        hit = self._strs.get(text)
        if hit is None:
            if len(self._strs) >= _STR_CACHE:
                self._strs.clear()
            hit = self._strs[text] = self._encoder.encode(text)
        return hit

    def _obj(self, obj: object) -> str:
        if not obj:
            return "[]" if type(obj) is list else "{}"
        hit = self._objs.get(id(obj))
        # The entry holds the object itself, so its id cannot be reused while cached.
        if hit is None or hit[0] is not obj:
            if len(self._objs) >= _OBJ_CACHE:
                self._objs.clear()
            value = obj if type(obj) in (dict, list) else dict(obj)  # type: ignore[call-overload]
            hit = self._objs[id(obj)] = (obj, self._encoder.encode(value))
        return hit[1]


def _default(o: object) -> Any:
    if isinstance(o, bytes | bytearray):
        return o.hex()
    if isinstance(o, set | frozenset | tuple):
        return list(o)
    return str(o)
