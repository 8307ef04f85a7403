"""Cuts one direction's in-order byte stream into V2GTP messages.

Works the same on cleartext TCP and on decrypted TLS data. After a gap (or garbage) it
resynchronises on the next plausible V2GTP header and says how many bytes it skipped.
"""

from __future__ import annotations

from typing import NamedTuple

from v2gsniff.dissectors.v2gtp import HEADER_LEN, parse_header

# How far we search for a first header before deciding a stream is not V2GTP at all.
PROBE_LIMIT = 64 * 1024


class Message(NamedTuple):
    """One complete V2GTP message (header included)."""

    data: bytes
    payload_type: int
    frame: int
    """The frame that delivered the message's last byte."""
    time: float
    first_frame: int
    """The frame that delivered its first byte."""
    offset: int
    """Stream offset of the header."""


class Skipped(NamedTuple):
    """Bytes that were not part of any V2GTP message."""

    offset: int
    length: int
    frame: int
    time: float
    reason: str


_new = tuple.__new__


class Framer:
    """Mutable per-direction framer: ``feed`` bytes, ``gap`` on loss, ``finish`` at the end."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self._start = 0  # stream offset of _buf[0]
        self._frames: list[tuple[int, int, float]] = []  # (end offset, frame, time) per chunk
        self._synced = False
        self._seen_header = False
        self.not_v2gtp = False
        """Set once the stream showed no V2GTP header within the probe limit."""

    def feed(self, offset: int, data: bytes, frame: int, time: float) -> list[Message | Skipped]:
        if self.not_v2gtp:
            return []
        if not self._buf:
            if len(data) >= HEADER_LEN:
                # The common case: a segment that holds exactly one whole message.
                hdr = parse_header(data)
                if hdr is not None and len(data) == HEADER_LEN + hdr[1]:
                    self._synced = self._seen_header = True
                    self._start = offset + len(data)
                    return [_new(Message, (data, hdr[0], frame, time, frame, offset))]  # Message(...), without its __new__ call
            self._start = offset
        self._buf += data
        self._frames.append((offset + len(data), frame, time))
        return self._cut(frame, time)

    def gap(self, offset: int, length: int, frame: int, time: float) -> list[Message | Skipped]:
        """Bytes were lost: a message in progress cannot complete; resync after the gap."""
        out: list[Message | Skipped] = []
        if self._buf:
            out.append(
                Skipped(
                    self._start,
                    len(self._buf),
                    frame,
                    time,
                    f"incomplete V2GTP message cut by a {length}-byte gap",
                )
            )
        self._buf.clear()
        self._frames.clear()
        self._start = offset + length
        self._synced = False
        return out

    def finish(self, frame: int, time: float) -> list[Message | Skipped]:
        if self._buf and not self.not_v2gtp:
            inside = parse_header(self._buf) is not None
            reason = (
                "stream ends inside a V2GTP message" if inside else "trailing bytes without a V2GTP header"
            )
            out: list[Message | Skipped] = [Skipped(self._start, len(self._buf), frame, time, reason)]
            self._buf.clear()
            return out
        return []

    def _frame_at(self, end_offset: int) -> tuple[int, float]:
        for end, frame, time in self._frames:
            if end >= end_offset:
                return frame, time
        _, frame, time = self._frames[-1]
        return frame, time

    def _consume(self, n: int) -> None:
        del self._buf[:n]
        self._start += n
        while self._frames and self._frames[0][0] <= self._start:
            self._frames.pop(0)

    def _cut(self, frame: int, time: float) -> list[Message | Skipped]:
        out: list[Message | Skipped] = []
        buf = self._buf
        while len(buf) >= HEADER_LEN:
            hdr = parse_header(buf)
            if hdr is None:
                pos = self._find_header()
                if pos < 0:
                    # Keep the last bytes: a header may straddle the next chunk.
                    keep = HEADER_LEN - 1
                    drop = len(buf) - keep
                    if not self._seen_header and self._start + drop > PROBE_LIMIT:
                        self.not_v2gtp = True
                        self._buf.clear()
                        self._frames.clear()
                        return out
                    if drop > 0:
                        out.append(Skipped(self._start, drop, frame, time, self._skip_reason()))
                        self._consume(drop)
                    return out
                out.append(Skipped(self._start, pos, frame, time, self._skip_reason()))
                self._consume(pos)
                continue
            ptype, plen = hdr
            total = HEADER_LEN + plen
            if len(buf) < total:
                break
            self._synced = self._seen_header = True
            first_frame, _ = self._frame_at(self._start + 1)
            end_frame, end_time = self._frame_at(self._start + total)
            out.append(Message(bytes(buf[:total]), ptype, end_frame, end_time, first_frame, self._start))
            self._consume(total)
        return out

    def _skip_reason(self) -> str:
        if not self._seen_header:
            return "bytes before the first V2GTP header (capture started mid-stream?)"
        return "bytes that do not start a valid V2GTP header (resynchronised on the next one)"

    def _find_header(self) -> int:
        buf = self._buf
        pos = buf.find(b"\x01\xfe", 1)
        while pos >= 0:
            if len(buf) - pos < HEADER_LEN:
                return pos  # may complete with the next chunk
            if parse_header(buf, pos) is not None:
                return pos
            pos = buf.find(b"\x01\xfe", pos + 1)
        return -1
