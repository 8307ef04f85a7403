"""Cuts one direction's in-order byte stream into V2GTP messages.

Works the same on cleartext TCP and on decrypted TLS data. After a gap (or garbage) it
resynchronises on the next plausible V2GTP header and says how many bytes it skipped.

A connection that never carried a V2GTP header is not a V2GTP stream (a value-added service,
say): its bytes come out as :class:`AppData`, never as resync errors. A stream whose start was
seen is judged by its first eight bytes; one seen from the middle by whether a header turns up
within ``PROBE_LIMIT`` bytes.
"""

from __future__ import annotations

from typing import NamedTuple

from v2gsniff.dissectors.v2gtp import HEADER_LEN, parse_header

# How far we search for a first header before deciding a stream is not V2GTP at all (only for
# streams whose start the capture missed).
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


class AppData(NamedTuple):
    """In-order bytes of a stream that carries no V2GTP (another application's protocol)."""

    offset: int
    """Stream offset of the first byte."""
    data: bytes
    frame: int
    """The frame that delivered (the last of) these bytes."""
    time: float


class Carried:
    """Shared by the two framers of a connection: whether either direction carried V2GTP."""

    __slots__ = ("v2gtp",)

    def __init__(self) -> None:
        self.v2gtp = False


_new = tuple.__new__


class Framer:
    """Mutable per-direction framer: ``feed`` bytes, ``gap`` on loss, ``finish`` at the end."""

    def __init__(self, carried: Carried | None = None) -> None:
        self._buf = bytearray()
        self._start = 0  # stream offset of _buf[0]
        self._frames: list[tuple[int, int, float]] = []  # (end offset, frame, time) per chunk
        self._seen_header = False
        self._carried = carried if carried is not None else Carried()
        self._probe = 1  # where the search for a first header resumes in _buf
        self.not_v2gtp = False
        """Set once the stream is judged not to be V2GTP: its bytes then come out as :class:`AppData`."""
        self.from_start = False
        """Offset 0 is the stream's first byte (its SYN was seen): a V2GTP stream has a header there."""

    def feed(self, offset: int, data: bytes, frame: int, time: float) -> list[Message | Skipped | AppData]:
        if self.not_v2gtp:
            return [AppData(offset, data, frame, time)]
        if not self._buf:
            if len(data) >= HEADER_LEN:
                # The common case: a segment that holds exactly one whole message.
                hdr = parse_header(data)
                if hdr is not None and len(data) == HEADER_LEN + hdr[1]:
                    if not self._seen_header:
                        self._header_seen()
                    self._start = offset + len(data)
                    return [_new(Message, (data, hdr[0], frame, time, frame, offset))]  # Message(...), without its __new__ call
            self._start = offset
        self._buf += data
        self._frames.append((offset + len(data), frame, time))
        return self._cut(frame, time)

    def gap(self, offset: int, length: int, frame: int, time: float,
            lost: str | None = None) -> list[Message | Skipped | AppData]:
        """Bytes were lost: a message in progress cannot complete; resync after the gap. ``lost``
        says what was lost when it is not ``length`` bytes of this stream (a TLS stream's gap)."""
        out: list[Message | Skipped | AppData] = []
        if self.not_v2gtp:
            return out
        if self._buf and not self._seen_header and parse_header(self._buf) is None:
            out.extend(self._unknown())  # no V2GTP seen yet: nothing to call a message
        elif self._buf:
            out.append(
                Skipped(
                    self._start,
                    len(self._buf),
                    frame,
                    time,
                    f"incomplete V2GTP message cut by {lost or f'a {length}-byte gap'}",
                )
            )
        self._buf.clear()
        self._frames.clear()
        self._start = offset + length
        self._probe = 1
        return out

    def finish(self, frame: int, time: float) -> list[Message | Skipped | AppData]:
        if self._buf and not self.not_v2gtp:
            inside = parse_header(self._buf) is not None
            if not inside and not self._seen_header:
                return self._unknown()  # the stream ended before showing any V2GTP
            reason = (
                "stream ends inside a V2GTP message" if inside else "trailing bytes without a V2GTP header"
            )
            out: list[Message | Skipped | AppData] = [Skipped(self._start, len(self._buf), frame, time, reason)]
            self._buf.clear()
            return out
        return []

    def _header_seen(self) -> None:
        self._seen_header = self._carried.v2gtp = True

    def _unknown(self) -> list[Message | Skipped | AppData]:
        """The buffered bytes as :class:`AppData`, one per chunk that delivered them."""
        out: list[Message | Skipped | AppData] = []
        pos = self._start
        end = self._start + len(self._buf)
        for chunk_end, frame, time in self._frames:
            if chunk_end > pos:
                out.append(AppData(pos, bytes(self._buf[pos - self._start : chunk_end - self._start]), frame, time))
                pos = chunk_end
        if pos < end:  # not expected (every buffered chunk is listed), but never drop bytes
            _, frame, time = self._frames[-1] if self._frames else (0, 0, 0.0)
            out.append(AppData(pos, bytes(self._buf[pos - self._start :]), frame, time))
        self._start = end
        self._buf.clear()
        self._frames.clear()
        self._probe = 1
        return out

    def _not_v2gtp(self) -> list[Message | Skipped | AppData]:
        self.not_v2gtp = True
        return self._unknown()

    def _frame_at(self, end_offset: int) -> tuple[int, float]:
        for end, frame, time in self._frames:
            if end >= end_offset:
                return frame, time
        _, frame, time = self._frames[-1]
        return frame, time

    def _consume(self, n: int) -> None:
        del self._buf[:n]
        self._start += n
        self._probe = 1
        while self._frames and self._frames[0][0] <= self._start:
            self._frames.pop(0)

    def _cut(self, frame: int, time: float) -> list[Message | Skipped | AppData]:
        out: list[Message | Skipped | AppData] = []
        buf = self._buf
        while len(buf) >= HEADER_LEN:
            hdr = parse_header(buf)
            if hdr is None:
                if not self._seen_header:
                    if self.from_start and self._start == 0 and not self._carried.v2gtp:
                        out.extend(self._not_v2gtp())  # a V2GTP stream starts with a header
                        return out
                    pos = self._find_header(self._probe)
                    if pos < 0 or len(buf) - pos < HEADER_LEN:
                        # No header yet: wait for one (the bytes are kept, no error so far).
                        if self._start + len(buf) > PROBE_LIMIT:
                            out.extend(self._not_v2gtp())
                        else:
                            self._probe = pos if pos >= 0 else max(1, len(buf) - 1)
                        return out
                else:
                    pos = self._find_header()
                if pos < 0:
                    # Keep the last bytes: a header may straddle the next chunk.
                    keep = HEADER_LEN - 1
                    drop = len(buf) - keep
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
            if not self._seen_header:
                self._header_seen()
            first_frame, _ = self._frame_at(self._start + 1)
            end_frame, end_time = self._frame_at(self._start + total)
            out.append(Message(bytes(buf[:total]), ptype, end_frame, end_time, first_frame, self._start))
            self._consume(total)
        return out

    def _skip_reason(self) -> str:
        if not self._seen_header:
            return "bytes before the first V2GTP header (capture started mid-stream?)"
        return "bytes that do not start a valid V2GTP header (resynchronised on the next one)"

    def _find_header(self, start: int = 1) -> int:
        buf = self._buf
        pos = buf.find(b"\x01\xfe", start)
        while pos >= 0:
            if len(buf) - pos < HEADER_LEN:
                return pos  # may complete with the next chunk
            if parse_header(buf, pos) is not None:
                return pos
            pos = buf.find(b"\x01\xfe", pos + 1)
        return -1
