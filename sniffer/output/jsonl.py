"""JSON Lines output: one object per record (format documented in README.md), encoded by orjson.

Each line is the JSON of ``Record.to_json()`` with the writer-level keys (``capture``) added and
``body`` last. A decoded message's field map and body are shared by every record of the same
payload (the decoder caches them, read-only): their JSON text is made once and reused as an
``orjson.Fragment``, so a long charge loop costs one encoding per distinct message; a V2G line is
spliced from that kept text and its record's own keys. ``widen_pipe`` gives a pipe on standard
output a larger buffer.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Mapping
from typing import IO, Any

import orjson

from v2gsniff.sniffer.bounded import BoundedDict
from v2gsniff.sniffer.model import Record, SharedTail

from .inert import inert_json

PIPE_SIZE = 1 << 20
"""Bytes a pipe on standard output is widened to (``widen_pipe``)."""
_SHARED = 4096
"""Shared values (field maps, bodies) whose JSON text is kept."""
_BATCH_BYTES = 64 * 1024
"""Bytes of lines handed to the stream in one write: one call per line costs more than its
encoding, and joins much larger than this made malloc grow and trim the heap on every batch."""
# Dataclasses and datetimes go to _default like any unknown type (their str), as with the
# standard json module; keys that are not strings are written as strings (_NON_STR_KEYS, asked
# for only when a line has such keys: the option costs a third of a body's encoding).
_OPTIONS = orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_DATETIME
_LINE = _OPTIONS | orjson.OPT_APPEND_NEWLINE
_NON_STR_KEYS = orjson.OPT_NON_STR_KEYS
_dumps = orjson.dumps
_Fragment = orjson.Fragment
_RECORD_KEYS = frozenset({"frame", "time", "kind", "name", "src", "dst", "fields", "error", "body"})
"""A line's keys before a record's own (and ``body``, which a record's own keys never splice past)."""


class LineSink:
    """Hands finished lines (bytes, newline included) to a stream in batches of about 64 KiB,
    with terminal controls escaped (:func:`inert_lines`); a pipe on the stream is widened first."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream
        widen_pipe(stream)
        buffer = getattr(stream, "buffer", None)
        # orjson makes UTF-8 bytes: a text stream's byte buffer takes them as they are.
        self._write = buffer.write if buffer is not None else (lambda b: stream.write(b.decode()))
        self._pending: list[bytes] = []
        self._size = 0

    def add(self, line: bytes) -> None:
        self._pending.append(line)
        self._size += len(line)
        if self._size >= _BATCH_BYTES:
            self._push()

    def _push(self) -> None:
        self._write(inert_lines(b"".join(self._pending)))
        self._pending.clear()
        self._size = 0

    def flush(self) -> None:
        """Hand every line added so far to the stream and flush it."""
        if self._pending:
            self._push()
        self._stream.flush()

    def close(self) -> None:
        self.flush()


class JsonlWriter(LineSink):
    """Writes one compact JSON object per record and line (UTF-8)."""

    def __init__(self, stream: IO[str], extra: dict[str, Any] | None = None) -> None:
        super().__init__(stream)
        self._extra = dict(extra or {})
        self._shared: BoundedDict[int, tuple[object, orjson.Fragment]] = BoundedDict(_SHARED)
        self._ends: BoundedDict[int, tuple[object, frozenset[str], bytes]] = BoundedDict(_SHARED)
        self._middles: BoundedDict[int, tuple[Any, ...]] = BoundedDict(_SHARED)

    def write(self, r: Record) -> None:
        self.add(self.line(r))

    def line(self, r: Record) -> bytes:
        """The record's line, newline included."""
        extra = r.extra
        if type(extra) is SharedTail and type(r.frame) is int:
            # The usual V2G line, spliced: what the payload and the connection decide (kind ... error,
            # the shared tail) is kept as text; only frame, time and the record's own keys are new.
            tail = extra.tail
            values = r[2:8]  # kind, name, src, dst, fields, error
            kept = self._middles.get(id(tail))
            if kept is None or kept[0] is not tail or kept[1] != values or kept[2] is not values[4]:
                kept = self._middle(r, tail, values)
            head = extra.head
            if head.keys().isdisjoint(kept[3]):
                own = b"," + json_bytes(head)[1:-1] if head else b""
                return b'{"frame":%d,"time":%.6f%s%s%s' % (r.frame, r.time, kept[4], own, kept[5])
        return self._whole(r)

    def _whole(self, r: Record) -> bytes:
        """The record's line from its whole object (what :meth:`line` splices is equal to it)."""
        # The time has six decimals, the same number as Record.to_json's round(time, 6).
        obj: dict[str, Any] = {"frame": r.frame, "time": _Fragment(b"%.6f" % r.time), "kind": r.kind,
                               "name": r.name, "src": r.src, "dst": r.dst, "fields": self._text(r.fields),
                               "error": r.error}
        extra = r.extra
        if type(extra) is SharedTail:
            head = extra.head
            obj.update(head)
            keys, end = self._end(extra.tail)
            if "body" not in head and obj.keys().isdisjoint(keys):
                # its own keys, then the shared tail's text as it is kept
                return json_bytes(obj)[:-1] + end
            tail = extra.tail
            obj.update({k: v for k, v in tail.items() if k not in obj})  # a record's own keys win
            body = tail.get("body")
            if body is not None and "body" not in head:
                obj["body"] = self._text(body)
        elif extra:
            obj.update(extra)
        if self._extra:
            obj.update(self._extra)
        if "body" in obj and next(reversed(obj)) != "body":
            obj["body"] = obj.pop("body")  # last: the one large value of a line
        return json_line(obj)

    def _middle(self, r: Record, tail: Mapping[str, Any], values: tuple[Any, ...]) -> tuple[Any, ...]:
        """What :meth:`line` keeps per tail, for the last record ``values`` (kind, name, src, dst,
        fields, error) it served (a payload's records repeat them: one connection, one direction):
        (tail, values, fields, the keys a record's own keys must not be for the splice, the text of
        kind ... error with its leading comma, the tail's end of line)."""
        keys, end = self._end(tail)
        text = json_bytes({"kind": r.kind, "name": r.name, "src": r.src, "dst": r.dst,
                           "fields": self._text(r.fields), "error": r.error})
        return self._middles.put(id(tail), (tail, values, r.fields, keys | _RECORD_KEYS, b"," + text[1:-1], end))

    def _text(self, value: Any) -> Any:
        """The JSON of a value records share (found again by identity; the entry holds the value,
        so its id cannot be reused while it is kept)."""
        hit = self._shared.get(id(value))
        if hit is None or hit[0] is not value:
            hit = self._shared.put(id(value), (value, _Fragment(json_bytes(value, _OPTIONS))))
        return hit[1]

    def _end(self, tail: Mapping[str, Any]) -> tuple[frozenset[str], bytes]:
        """A shared tail as the end of a line: (its keys and the writer's, the text that follows a
        record's own keys: tail keys, writer keys, ``body`` last, closing brace and newline), kept
        like :meth:`_text`. Equal to building the whole object when no own key is among them."""
        hit = self._ends.get(id(tail))
        if hit is None or hit[0] is not tail:
            obj = dict(tail)
            obj.update(self._extra)
            if "body" in obj and next(reversed(obj)) != "body":
                obj["body"] = obj.pop("body")
            text = json_line(obj)  # b'{"schema":...,"body":{...}}\n'
            end = b"," + text[1:] if len(text) > 3 else b"}\n"
            hit = self._ends.put(id(tail), (tail, frozenset(obj), end))
        return hit[1], hit[2]


def json_line(obj: Any) -> bytes:
    """One compact JSON line, newline included, as every JSONL output of the product writes it."""
    return json_bytes(obj, _LINE)


def json_bytes(obj: Any, option: int = _OPTIONS) -> bytes:
    """The compact JSON of ``obj``. What orjson refuses (a key that is not a string, then an integer
    past 64 bits: xs:integer is unbounded; a lone surrogate a decoded string may hold) is written
    with the non-string-keys option, then by :func:`_writable`'s copy, so a line never costs the
    program its run; the usual line (string keys) is encoded once."""
    try:
        return _dumps(obj, default=_default, option=option)
    except orjson.JSONEncodeError:
        option |= _NON_STR_KEYS
        try:
            return _dumps(obj, default=_default, option=option)
        except orjson.JSONEncodeError:
            return _dumps(_writable(obj), default=_default, option=option)


def _writable(o: Any) -> Any:
    """``o`` with the values orjson refuses as fragments of their exact JSON text (the standard
    json module's): the integer's digits, the string with its surrogates escaped."""
    if type(o) is int:
        return o if _INT_MIN <= o <= _UINT_MAX else _Fragment(b"%d" % o)
    if isinstance(o, str):
        return o if _utf8(o) else _Fragment(json.dumps(o))
    if isinstance(o, Mapping):
        return {_key(k): _writable(v) for k, v in o.items()}
    if isinstance(o, list | tuple | set | frozenset):
        return [_writable(v) for v in o]
    return o


def _key(k: Any) -> Any:
    """A key orjson refuses as text: a wide integer's digits, a string with its surrogates escaped
    as Python writes them (a key cannot be a fragment)."""
    if type(k) is int and not _INT_MIN <= k <= _UINT_MAX:
        return str(k)
    if isinstance(k, str) and not _utf8(k):
        return k.encode("utf-8", "backslashreplace").decode()
    return k


def _utf8(s: str) -> bool:
    try:
        s.encode()
    except UnicodeEncodeError:
        return False
    return True


_INT_MIN, _UINT_MAX = -(2**63), 2**64 - 1


def inert_lines(lines: bytes) -> bytes:
    """The lines with DEL, C1 and bidi controls escaped (:func:`inert_json`); orjson escapes C0.
    ``isascii`` is a flag test: the usual case costs nothing."""
    if lines.isascii() and b"\x7f" not in lines:
        return lines
    return inert_json(lines.decode()).encode()


def _default(o: object) -> Any:
    if isinstance(o, bytes | bytearray):
        return o.hex()
    if isinstance(o, Mapping):
        return dict(o)
    if isinstance(o, set | frozenset | tuple):
        return list(o)
    return str(o)


def widen_pipe(stream: IO[Any]) -> None:
    """On Linux, raise the buffer of the pipe ``stream`` writes to (``| jq``) to ``PIPE_SIZE``: the
    default 64 KiB fills within a few of our writes, and each full pipe puts the writer to sleep
    until the reader catches up (``exi decode --format jsonl | ...`` ran 10-14 % slower than into a
    file). A stream that is no pipe, a pipe already as wide, another system, or a refusal (the
    system's pipe-max-size) leaves everything as it was."""
    try:
        fd = stream.fileno()
        if stat.S_ISFIFO(os.fstat(fd).st_mode):
            import fcntl  # Unix only

            if fcntl.fcntl(fd, fcntl.F_GETPIPE_SZ) < PIPE_SIZE:  # Linux only (AttributeError elsewhere)
                fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, PIPE_SIZE)
    except (AttributeError, ImportError, OSError, ValueError):  # io.UnsupportedOperation is an OSError
        pass
