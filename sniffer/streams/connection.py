"""One TCP connection: two half-streams, TLS detection, V2GTP framing per direction.

The EV is the TCP client (it connects to the port the SECC announced), so "from the
client" means EV→EVSE throughout. While bytes are missing in either direction, both directions'
results wait and then come out in conversation order (``TcpConnection._in_order``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from v2gsniff.dissectors.transport import TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN
from v2gsniff.sniffer.bounded import BoundedDict
from v2gsniff.sniffer.streams.framing import AppData, Carried, Framer, Message, Skipped
from v2gsniff.sniffer.streams.tcp import Chunk, ForeignAck, Gap, HalfStream

# Frames to keep a closed connection around for late retransmissions before flushing it.
CLOSED_LINGER_FRAMES = 200
EVICT_EVERY = 64
"""Frames between two looks for closed connections to evict (besides every FIN or RST). A power
of two: the pipeline's fast path tests ``frame & EVICT_MASK`` to leave those frames to it."""
EVICT_MASK = EVICT_EVERY - 1
HOLE_WAIT = 2.0
"""Seconds of capture time a connection may be silent while bytes the peer acknowledged are missing
before they are given up (``TcpConnection.give_up``): the capture lost them, they never come again.
An EV waits seconds at most for a response (V2G message timeouts are 0.25 to 5 s), so a connection
silent this long has stopped talking; its last messages must not wait for the connection's end."""
UNACKED_WAIT = 20.0
"""The same for bytes missing before data that waits unacknowledged: lost on the wire, the sender
sends them again, after a retransmission timeout that doubles at each try (1 s, 2 s, 4 s ... from
RFC 6298's initial 1 s); past this a connection has been given up by the EV and charger too."""
HOLD_EVENTS = 1024
"""Events of a connection that wait for a hole at most (``TcpConnection._in_order``): past that they
go on in capture order, so a hole the reassembler keeps open long (data waiting that no one
acknowledges) cannot hold a live view back, or grow memory, without bound."""

Endpoint = tuple[str, int]
"""(IPv6 address text, port)."""


class StreamEvent(NamedTuple):
    """Something that happened in one direction of a connection."""

    from_client: bool
    item: Message | Skipped | AppData | Gap | Chunk | ForeignAck
    """A framed message, skipped bytes, data of a stream that is not V2GTP, a gap, (TLS) a raw
    in-order chunk to decrypt, or a challenge ACK (``from_client`` is then the ACK's own direction)."""


_new = tuple.__new__


class TcpConnection:
    """Mutable state of one connection."""

    __slots__ = ("index", "client", "server", "syn_seen", "tls", "streams", "framers", "first_frame",
                 "last_frame", "last_time", "fin", "rst", "previous", "challenge", "_names", "_held", "ev_client",
                 "roles_known")

    def __init__(self, index: int, client: Endpoint, server: Endpoint, first_frame: int = 0,
                 last_frame: int = 0) -> None:
        self.index = index
        """0-based connection number in order of appearance (like tshark's tcp.stream)."""
        self.client = client
        self.server = server
        self.syn_seen = False
        self.tls: bool | None = None
        """None until the first payload byte from the client says whether this is TLS."""
        self.streams = (HalfStream(), HalfStream())
        carried = Carried()
        self.framers = (Framer(carried), Framer(carried))
        self.first_frame = first_frame
        self.last_frame = last_frame
        self.last_time = 0.0
        """Capture time of its last segment."""
        self.fin = [False, False]
        self.rst = False
        self.previous: tuple[int, str] | None = None
        """(index, why it ended) of the earlier incarnation on the same addresses and ports that this
        connection replaced, when the table still held it."""
        self.challenge: tuple[bool, ForeignAck] | None = None
        """The last challenge ACK: (direction of the stream it answered, the ACK)."""
        # Every record of the connection names its endpoints: format them once.
        c, s = f"[{client[0]}]:{client[1]}", f"[{server[0]}]:{server[1]}"
        self._names = ((c, s), (s, c))
        self._held: list[StreamEvent] | None = None
        """Events that wait while bytes are missing in either direction (``_in_order``)."""
        self.ev_client = True
        """The TCP client is the EV (the EV opens the connection to the SECC). Without the SYN the client
        is a guess, the side that spoke first; the first decoded V2G message settles it (``roles_known``)."""
        self.roles_known = False

    def notes(self, from_client: bool, flags: int, seq: int, frame: int) -> list[str]:
        """What a SYN, FIN or RST segment means beyond its flags (for the ``tcp`` record's notes)."""
        out: list[str] = []
        if flags & TCP_SYN and self.previous is not None and frame == self.first_frame:
            index, why = self.previous
            out.append(f"new incarnation of the addresses and ports of stream {index} ({why}): "
                       f"stream {self.index} starts at this SYN")
        challenge = self.challenge
        if flags & TCP_RST and challenge is not None and challenge[0] == from_client and seq == challenge[1].ack:
            out.append(f"answers the challenge ACK of frame {challenge[1].frame}: resets the earlier connection "
                       "the peer still held on these ports (RFC 5961 section 4)")
        return out

    def dir(self, from_client: bool) -> str:
        """``ev->evse`` or ``evse->ev``: the direction of a segment sent by the client or the server."""
        return "ev->evse" if from_client == self.ev_client else "evse->ev"

    def learn_roles(self, from_client: bool, message_name: str) -> bool:
        """The first decoded V2G message says who is the EV: a request comes from it. Returns whether
        the roles were the other way round than guessed (only ever without the SYN)."""
        if self.syn_seen:
            self.roles_known = True
            return False
        if message_name.endswith("Req"):
            ev_client = from_client
        elif message_name.endswith("Res"):
            ev_client = not from_client
        else:
            return False
        self.roles_known = True
        swapped = ev_client != self.ev_client
        self.ev_client = ev_client
        return swapped

    def endpoint_name(self, from_client: bool) -> tuple[str, str]:
        """(source, destination) as ``[address]:port`` for a direction."""
        return self._names[0 if from_client else 1]

    def segment(
        self, from_client: bool, seq: int, ack: int, flags: int, payload: bytes, frame: int, time: float
    ) -> list[StreamEvent]:
        """Feed one captured segment; returns in-order results for both directions."""
        self.last_frame = frame
        self.last_time = time
        mine, peer = self.streams if from_client else self.streams[::-1]
        out: list[StreamEvent] = []
        if flags & TCP_SYN:
            self.syn_seen = True
            if mine.syn(seq):
                # Offset 0 is this direction's first byte: a V2GTP stream starts with a header there.
                self.framers[0 if from_client else 1].from_start = True
            seq += 1
        if flags & TCP_ACK:
            done = peer.ack(ack, frame, time)
            if done:
                out.extend(self._acked(not from_client, done))
        if payload:
            off = mine.take(seq, len(payload)) if self.tls is False else -1
            if off >= 0:  # cleartext in order: straight to the framer
                framer = self.framers[0 if from_client else 1]
                # StreamEvent(from_client, r), without its __new__ call: once per message (a loop, not
                # a comprehension: on 3.11 that is one more function call per segment)
                for r in framer.feed(off, payload, frame, time):
                    out.append(_new(StreamEvent, (from_client, r)))
            else:
                for item in mine.segment(seq, payload, frame, time):
                    out.extend(self._deliver(from_client, item))
        if flags & TCP_FIN:
            mine.fin = True
            self.fin[0 if from_client else 1] = True
        if flags & TCP_RST:
            self.rst = True
        if self._held is None:
            if not out:
                return out
            a, b = self.streams
            if not (a.hole_seen or b.hole_seen):
                return out  # nothing missing: the usual case
        return self._in_order(out)

    def ack_only(self, from_client: bool, ack: int, frame: int, time: float) -> list[StreamEvent]:
        """``segment`` for a bare ACK (no payload, no SYN, FIN or RST): half of a busy capture."""
        self.last_frame = frame
        self.last_time = time
        done = self.streams[1 if from_client else 0].ack(ack, frame, time)
        if self._held is None:
            return self._acked(not from_client, done) if done else []
        return self._in_order(self._acked(not from_client, done) if done else [])

    def _acked(self, from_client: bool, items: Sequence[Chunk | Gap | ForeignAck]) -> list[StreamEvent]:
        """What an acknowledgment released in the stream sent ``from_client``."""
        out: list[StreamEvent] = []
        for item in items:
            if isinstance(item, ForeignAck):
                self.challenge = (from_client, item)
                out.append(StreamEvent(not from_client, item))  # reported in the ACK's own direction
            else:
                out.extend(self._deliver(from_client, item))
        return out

    def finish(self, frame: int, time: float) -> list[StreamEvent]:
        out = self._released(frame, time, "bytes never captured")
        if not self.tls:
            for i, framer in enumerate(self.framers):
                out.extend(StreamEvent(i == 0, m) for m in framer.finish(frame, time))
        return out if self._held is None else self._in_order(out)

    @property
    def waiting(self) -> bool:
        """Bytes are missing in either direction: what came after them waits (``_in_order``)."""
        return self._held is not None or self.streams[0].holed or self.streams[1].holed

    def give_up(self, frame: int, time: float, unacknowledged: bool = False) -> list[StreamEvent]:
        """The connection has been silent with bytes missing: those the peer acknowledged (and, with
        ``unacknowledged``, every missing byte) are given up as gaps at ``frame``, ``time``, and what
        waited behind them comes out (:data:`HOLE_WAIT`, :data:`UNACKED_WAIT`)."""
        reason = f"no retransmission filled the hole in {UNACKED_WAIT:g} s" if unacknowledged else None
        return self._in_order(self._released(frame, time, reason))

    def _released(self, frame: int, time: float, reason: str | None) -> list[StreamEvent]:
        out: list[StreamEvent] = []
        for i, stream in enumerate(self.streams):
            for item in stream.finish(frame, time, reason):
                out.extend(self._deliver(i == 0, item))
        return out

    def _holed(self) -> bool:
        """Whether bytes are missing in either direction (a direction where none are is not looked at
        again until its ``hole_seen`` is set anew)."""
        holed = False
        for stream in self.streams:
            if stream.holed:
                holed = True
            else:
                stream.hole_seen = False
        return holed

    def _in_order(self, out: list[StreamEvent]) -> list[StreamEvent]:
        """``out``, or nothing while bytes are missing in either direction, then all that waited.

        What one side sends may answer bytes of the other that are not delivered yet (behind a hole,
        or acknowledged before the capture shows them): passed on at once, a response would come
        before its request. So both directions wait until the hole is filled or given up, and come
        out as the conversation went: a late segment's bytes before what acknowledged them, or after
        a gap (where the other side's view restarts) both directions in capture order."""
        held = self._held
        if self._holed():
            if held is None:
                held = self._held = out
            else:
                held.extend(out)
            if len(held) <= HOLD_EVENTS:
                return []
            self._held = []  # the hole stays open: what comes next waits again
            return _merged(held)
        self._held = None
        if held is None:
            return out
        if not any(type(e.item) is Gap for e in held) and not any(type(e.item) is Gap for e in out) \
                and {e.from_client for e in out}.isdisjoint({e.from_client for e in held}):
            return out + held  # filled: the late bytes came before the segments that acknowledged them
        return _merged(held + out)

    def _deliver(self, from_client: bool, item: Chunk | Gap) -> list[StreamEvent]:
        tls = self.tls
        if tls is None and isinstance(item, Chunk):
            # TLS starts with a handshake record (type 22, version 3.x); a capture that began after
            # the handshake starts with application data or an alert (23, 21) of version 3.1-3.4.
            data = item.data
            tls = self.tls = len(data) >= 3 and data[1] == 0x03 and (
                data[0] == 0x16 or data[0] in (0x15, 0x17) and 1 <= data[2] <= 4)
        if tls:
            return [StreamEvent(from_client, item)]
        framer = self.framers[0 if from_client else 1]
        if isinstance(item, Gap):
            results = [*framer.gap(item.offset, item.length, item.frame, item.time)]
            return [StreamEvent(from_client, item)] + [StreamEvent(from_client, r) for r in results]
        return [
            StreamEvent(from_client, r) for r in framer.feed(item.offset, item.data, item.frame, item.time)
        ]

    def frame_plaintext(
        self, from_client: bool, offset: int, data: bytes, frame: int, time: float
    ) -> list[StreamEvent]:
        """Frame decrypted application data exactly like cleartext TCP."""
        framer = self.framers[0 if from_client else 1]
        return [StreamEvent(from_client, r) for r in framer.feed(offset, data, frame, time)]

    def plaintext_gap(self, from_client: bool, offset: int, lost: str, frame: int, time: float) -> list[StreamEvent]:
        """Decrypted application data stops joining at ``offset`` (``lost`` says what the capture lost)."""
        framer = self.framers[0 if from_client else 1]
        return [StreamEvent(from_client, r) for r in framer.gap(offset, 0, frame, time, lost)]


def _merged(events: list[StreamEvent]) -> list[StreamEvent]:
    """The two directions' events in capture order, each direction's own order kept (a TLS stream
    decrypts in order), a gap as early as its direction allows: what follows it, from either side,
    comes after the bytes it lost."""
    a = [e for e in events if e.from_client]
    b = [e for e in events if not e.from_client]
    out: list[StreamEvent] = []
    i = j = 0
    while i < len(a) and j < len(b):
        x, y = a[i].item, b[j].item
        if type(x) is Gap or (type(y) is not Gap and x.frame <= y.frame):
            out.append(a[i])
            i += 1
        else:
            out.append(b[j])
            j += 1
    return out + a[i:] + b[j:]


def challenge_note(item: ForeignAck) -> str:
    """The note on a challenge ACK."""
    return (f"challenge ACK (RFC 5961 section 4): acknowledges sequence number {item.ack} ({item.offset:+d} bytes "
            "from this SYN) for an earlier connection on these ports that the peer still holds; no byte of this "
            "connection is missing")


class ConnectionTable:
    """All TCP connections of a capture, keyed by their endpoint pair."""

    def __init__(self) -> None:
        self._by_key: dict[tuple[Endpoint, Endpoint], TcpConnection] = {}
        self._live: dict[int, TcpConnection] = {}
        self._replaced: list[TcpConnection] = []
        self.count = 0
        """Connections seen so far (the next connection's index)."""
        self.flows: BoundedDict[bytes, tuple[TcpConnection, bool]] = BoundedDict(4096)
        """Raw (source, destination address and port) bytes of a frame -> (connection, from client):
        a shortcut for established connections, emptied whenever a connection ends."""
        self.server_ports: set[int] = set()
        """Ports announced in SDP responses (used to tell client from server without a SYN)."""

    def lookup(
        self, src: Endpoint, dst: Endpoint, flags: int, frame: int, seq: int | None = None
    ) -> tuple[TcpConnection, bool]:
        """The connection (incarnation) of a segment and whether it travels from the client.

        A SYN without ACK starts a new incarnation unless it repeats the current one's SYN.
        """
        conn = self._by_key.get((src, dst))
        ended = None
        if conn is not None:
            if not (flags & TCP_SYN and not flags & TCP_ACK and conn.last_frame):
                return conn, conn.client == src
            ended = _ended(conn, src, seq)
            if ended is None:
                return conn, conn.client == src
        if flags & TCP_SYN and not flags & TCP_ACK:
            client, server = src, dst
        elif flags & TCP_SYN:
            client, server = dst, src
        elif dst[1] in self.server_ports and src[1] not in self.server_ports:
            client, server = src, dst
        elif src[1] in self.server_ports and dst[1] not in self.server_ports:
            client, server = dst, src
        else:
            client, server = src, dst
        old = conn
        conn = TcpConnection(self.count, client, server, first_frame=frame, last_frame=frame)
        if old is not None and ended is not None:
            self._close(old)
            self._replaced.append(old)
            conn.previous = (old.index, ended)
        self.count += 1
        self._live[conn.index] = conn
        self._by_key[(client, server)] = conn
        self._by_key[(server, client)] = conn
        return conn, conn.client == src

    def remember(self, key: bytes, flow: tuple[TcpConnection, bool]) -> None:
        """Cache a lookup result under the frame's raw address/port bytes (bounded)."""
        self.flows.put(key, flow)

    def live(self) -> list[TcpConnection]:
        """Connections not yet evicted, oldest first."""
        return list(self._live.values())

    def after_segment(self, flags: int, frame: int) -> list[TcpConnection]:
        """Connections to flush after a segment: evicted at a FIN or RST and every :data:`EVICT_EVERY` frames."""
        if flags & (TCP_FIN | TCP_RST) or not frame & EVICT_MASK:
            return self.evict(frame)
        return []

    def evict(self, frame: int) -> list[TcpConnection]:
        """Closed connections quiet for a while: the caller flushes them; memory stays flat."""
        out, self._replaced = self._replaced, []
        for conn in list(self._live.values()):
            if (conn.rst or all(conn.fin)) and frame - conn.last_frame > CLOSED_LINGER_FRAMES:
                out.append(conn)
                self._close(conn)
        return out

    def _close(self, conn: TcpConnection) -> None:
        self.flows.clear()
        self._live.pop(conn.index, None)
        for key in ((conn.client, conn.server), (conn.server, conn.client)):
            if self._by_key.get(key) is conn:
                del self._by_key[key]


def _ended(conn: TcpConnection, src: Endpoint, seq: int | None) -> str | None:
    """Why a SYN (without ACK) from ``src`` cannot belong to ``conn``, or None when it can."""
    if conn.rst:
        return "it was reset"
    if conn.fin[0] or conn.fin[1]:
        return "it was closed with FIN"
    if src != conn.client:
        return "the SYN comes from its server's side"
    client = conn.streams[0]
    if not client.started or seq is None or client.isn == seq:
        return None  # nothing to contradict, or the SYN repeated
    if client.isn is None:
        return "the SYN arrives after its data"
    return f"the SYN's sequence number {seq} is not its initial {client.isn}"
