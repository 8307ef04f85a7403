"""Sans-io TCP reassembly for one direction of one connection.

Segments go in as captured (out of order, retransmitted, overlapping); in-order bytes come
out as :class:`Chunk`\\ s, and bytes that never appeared in the capture come out as a
:class:`Gap` with their size and stream offset. A hole is declared lost when the peer has
acknowledged past it (the receiver got bytes the capture missed), when too much data waits
behind it, or at the end of the capture.

A half-stream belongs to one incarnation of a connection (the connection table starts a new one
at a SYN that follows RST or FIN, or whose sequence number does not fit). An incarnation whose
SYN was seen starts at that SYN: an acknowledgment from an earlier incarnation never makes a gap.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

_MOD = 1 << 32
_HALF = 1 << 31

# Bytes allowed to wait behind a hole before we give the hole up as lost. Real V2G
# messages are small; a capture that drops a segment rarely gets it back later.
MAX_PENDING_BYTES = 256 * 1024

# Segments of a connection to wait, after the peer acknowledged past a hole, before the hole
# is declared lost: captures taken on a busy host can show an ACK before the data it acks.
REORDER_WINDOW = 8


# Chunk, Gap, Message, Skipped and StreamEvent are NamedTuples: immutable like the model's
# dataclasses, and several are made for every TCP segment, where their construction cost counts.
class Chunk(NamedTuple):
    """In-order stream bytes and the frame that carried (the end of) them."""

    offset: int
    """Stream offset of the first byte (0 = first byte after the SYN)."""
    data: bytes
    frame: int
    time: float


class ForeignAck(NamedTuple):
    """An acknowledgment that belongs to another incarnation of the connection.

    The stream's SYN was seen, and the peer answered with an ACK for bytes this incarnation
    never sent, not for the SYN: the peer still holds an earlier connection on the same
    addresses and ports and sends a challenge ACK (RFC 5961 section 4). It says nothing about
    this incarnation's bytes, so it is never counted as loss.
    """

    ack: int
    """The raw acknowledgment number."""
    offset: int
    """Where it points, relative to this incarnation's first byte (its SYN + 1)."""
    frame: int
    time: float


class Gap(NamedTuple):
    """Bytes missing from the capture."""

    offset: int
    """Stream offset where the missing bytes start."""
    length: int
    """How many bytes are missing."""
    frame: int
    """The frame at which the loss became certain."""
    time: float
    reason: str


class HalfStream:
    """Reassembles one direction. Mutable; one instance per direction of a connection."""

    def __init__(self) -> None:
        self._base: int | None = None  # sequence number of stream offset 0
        self.next_offset = 0
        """Stream offset of the next byte expected in order."""
        self._pending: dict[int, tuple[bytes, int, float]] = {}
        self._pending_bytes = 0
        self.retransmitted_bytes = 0
        """Bytes received again that had already been delivered."""
        self.lost_bytes = 0
        """Bytes reported in gaps."""
        self.fin = False
        """A FIN was seen in this direction."""
        self._acked = 0  # highest stream offset the peer acknowledged
        self._tick = 0
        self._hole_tick: int | None = None  # tick at which the peer acked past the current hole
        self.isn: int | None = None
        """The initial sequence number, when this direction's SYN was seen."""
        # Set by the SYN until the peer acknowledges it or data follows: until then an acknowledgment
        # may belong to an earlier connection on the same ports (a challenge ACK).
        self._unsynced = False
        self.hole_seen = False
        """Set when bytes may be missing (data came ahead of a hole, or the peer acknowledged bytes not
        seen yet); the connection clears it once :attr:`holed` says nothing is. One attribute to read
        per segment instead of :attr:`holed`'s look."""

    @property
    def started(self) -> bool:
        return self._base is not None

    @property
    def holed(self) -> bool:
        """Bytes are missing before data it holds or before bytes the peer acknowledged: until they
        come or are given up as a :class:`Gap`, what the peer sends may answer bytes not delivered yet."""
        return not (self._hole_tick is None and not self._pending)

    def syn(self, seq: int) -> bool:
        """The SYN fixes the stream start at ``seq + 1`` (a repeated SYN changes nothing).

        Returns whether it did, i.e. whether stream offset 0 is this direction's first byte.
        """
        if self._base is not None:
            return False
        self._base = (seq + 1) % _MOD
        self.isn = seq
        self._unsynced = True
        return True

    def _offset(self, seq: int) -> int:
        assert self._base is not None
        rel = (seq - self._base) % _MOD
        # Sequence numbers wrap; pick the offset closest to where the stream is now.
        cand = (self.next_offset // _MOD) * _MOD + rel
        if cand - self.next_offset > _HALF:
            cand -= _MOD
        elif self.next_offset - cand > _HALF:
            cand += _MOD
        return cand

    def segment(self, seq: int, data: bytes, frame: int, time: float) -> list[Chunk | Gap]:
        """Feed one segment's payload; returns what became deliverable."""
        self._tick += 1
        if not data:
            return self._check_hole(frame, time)
        base = self._base
        if base is None:
            # Capture started mid-connection: the first data seen defines offset 0.
            base = self._base = seq
        nxt = self.next_offset
        if nxt < _HALF:  # _offset, inlined as in ack()
            off = (seq - base) % _MOD
            if off - nxt > _HALF:
                off -= _MOD
        else:
            off = self._offset(seq)
        end = off + len(data)
        if end <= self.next_offset:
            self.retransmitted_bytes += len(data)
            return []
        if off < self.next_offset:
            self.retransmitted_bytes += self.next_offset - off
            data = data[self.next_offset - off :]
            off = self.next_offset
        if off > self.next_offset:
            prev = self._pending.get(off)
            if prev is None or len(prev[0]) < len(data):
                self._pending_bytes += len(data) - (len(prev[0]) if prev else 0)
                self._pending[off] = (data, frame, time)
                self.hole_seen = True
            if self._pending_bytes > MAX_PENDING_BYTES:
                return self._skip_hole(frame, time, "too much data waiting behind a hole")
            return self._check_hole(frame, time)
        self.next_offset = end
        if not self._pending and self._hole_tick is None:
            return [Chunk(off, data, frame, time)]  # in order, nothing waiting: the usual case
        out: list[Chunk | Gap] = [Chunk(off, data, frame, time)]
        out.extend(self._drain())
        out.extend(self._check_hole(frame, time))
        return out

    def take(self, seq: int, n: int) -> int:
        """Accept ``n`` bytes at ``seq`` if they are exactly the next bytes in order and nothing
        waits behind a hole; returns their stream offset, or -1 when :meth:`segment` is needed.

        The same bookkeeping as :meth:`segment` for its commonest case, without a :class:`Chunk`.
        """
        base = self._base
        nxt = self.next_offset
        if base is None or self._pending or self._hole_tick is not None or not n or nxt >= _HALF:
            return -1
        if (seq - base) % _MOD != nxt:
            return -1
        self._tick += 1
        self.next_offset = nxt + n
        return nxt

    def ack(self, ack: int, frame: int, time: float) -> Sequence[Chunk | Gap | ForeignAck]:
        """The peer acknowledged up to ``ack``: a hole before it is missing from the capture.

        The hole is declared lost only after ``REORDER_WINDOW`` more segments, in case the
        data turns up late. Before the peer acknowledged anything of an incarnation whose SYN
        was seen, an acknowledgment of bytes it never sent is a :class:`ForeignAck`.
        """
        self._tick += 1
        base = self._base
        if base is None:
            return []
        nxt = self.next_offset
        if nxt < _HALF:  # _offset, inlined for the first 2 GiB of a stream: one ACK per frame
            acked = (ack - base) % _MOD
            if acked - nxt > _HALF:
                acked -= _MOD
        else:
            acked = self._offset(ack)
            if acked - nxt > _HALF:
                return []
        if self._unsynced:
            # Only the SYN sent so far: the peer can acknowledge that SYN, and nothing else of
            # this incarnation. (Once data flows, the peer has synchronised to it.)
            if acked and not nxt and not self._pending and not self.fin:
                return [ForeignAck(ack, acked, frame, time)]
            self._unsynced = False
        if acked > self._acked:
            self._acked = acked
        if self._hole_tick is None:
            # The ACK of a FIN counts one sequence number that is not a byte.
            if self._acked <= nxt + (1 if self.fin and not self._pending else 0):
                return []
            self._hole_tick = self._tick
            self.hole_seen = True
        return self._check_hole(frame, time)

    def _check_hole(self, frame: int, time: float) -> list[Chunk | Gap]:
        if self._hole_tick is None:
            return []
        limit = self.next_offset + (1 if self.fin and not self._pending else 0)
        if self._acked <= limit:
            self._hole_tick = None
            return []
        if self._tick - self._hole_tick < REORDER_WINDOW:
            return []
        self._hole_tick = None
        nxt = min(self._pending) if self._pending else self._acked
        length = min(nxt, self._acked) - self.next_offset
        self.lost_bytes += length
        self.next_offset += length
        gap = Gap(
            self.next_offset - length,
            length,
            frame,
            time,
            "peer acknowledged bytes the capture does not hold",
        )
        return [gap, *self._drain()]

    def finish(self, frame: int, time: float, reason: str | None = "bytes never captured") -> list[Chunk | Gap]:
        """End of capture, or holes given up: whatever waits behind holes is delivered after gap
        records. ``reason`` is said of the bytes missing before data that waits behind a hole the
        peer did not acknowledge; with ``None`` only holes the peer acknowledged are given up (a
        sender never sends acknowledged bytes again; unacknowledged ones it may)."""
        out: list[Chunk | Gap] = []
        if self._hole_tick is not None:
            self._tick = self._hole_tick + REORDER_WINDOW
            out.extend(self._check_hole(frame, time))
        while self._pending and reason is not None:
            out.extend(self._skip_hole(frame, time, reason))
        return out

    def _skip_hole(self, frame: int, time: float, reason: str) -> list[Chunk | Gap]:
        nxt = min(self._pending)
        length = nxt - self.next_offset
        self.lost_bytes += length
        self.next_offset = nxt
        return [Gap(nxt - length, length, frame, time, reason), *self._drain()]

    def _drain(self) -> list[Chunk | Gap]:
        out: list[Chunk | Gap] = []
        while self._pending:
            off = min(self._pending)
            if off > self.next_offset:
                break
            data, frame, time = self._pending.pop(off)
            self._pending_bytes -= len(data)
            end = off + len(data)
            if end <= self.next_offset:
                self.retransmitted_bytes += len(data)
                continue
            if off < self.next_offset:
                self.retransmitted_bytes += self.next_offset - off
                data = data[self.next_offset - off :]
                off = self.next_offset
            out.append(Chunk(off, data, frame, time))
            self.next_offset = end
        return out
