"""Frame builders (Ethernet, IPv6, UDP, TCP, ICMPv6) and the ``Wire`` that collects timed frames.

Everything is computed from the seeded RNG and clock of a :class:`Wire`: the same seed gives the
same frames, timestamps included. Checksums are real (RFC 8200 pseudo-header), so Wireshark shows
no "bad checksum" notes.
"""

from __future__ import annotations

import random
import struct
from dataclasses import dataclass, field

ETH_IPV6 = 0x86DD
ETH_HOMEPLUG = 0x88E1
PROTO_TCP = 6
PROTO_UDP = 17
PROTO_ICMPV6 = 58

FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10

BROADCAST = b"\xff" * 6


def mac_text(mac: bytes) -> str:
    return ":".join(f"{b:02x}" for b in mac)


def link_local(mac: bytes) -> bytes:
    """fe80::/64 address with the modified EUI-64 interface ID of ``mac`` (RFC 4291 App. A)."""
    eui = bytes([mac[0] ^ 0x02]) + mac[1:3] + b"\xff\xfe" + mac[3:6]
    return b"\xfe\x80" + b"\0" * 6 + eui


def solicited_node(addr: bytes) -> bytes:
    return bytes.fromhex("ff0200000000000000000001ff") + addr[13:]


def multicast_mac(addr: bytes) -> bytes:
    return b"\x33\x33" + addr[12:]


def checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total: int = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def _pseudo(src: bytes, dst: bytes, proto: int, length: int) -> bytes:
    return src + dst + struct.pack("!IxxxB", length, proto)


def ethernet(dst: bytes, src: bytes, ethertype: int, payload: bytes, pad: bool = False) -> bytes:
    frame = dst + src + struct.pack("!H", ethertype) + payload
    if pad and len(frame) < 60:
        frame += b"\0" * (60 - len(frame))
    return frame


def ipv6(src: bytes, dst: bytes, proto: int, payload: bytes, hop_limit: int = 64, flow: int = 0) -> bytes:
    head = struct.pack("!IHBB", (6 << 28) | (flow & 0xFFFFF), len(payload), proto, hop_limit)
    return head + src + dst + payload


def udp(src: bytes, dst: bytes, sport: int, dport: int, payload: bytes) -> bytes:
    length = 8 + len(payload)
    head = struct.pack("!HHHH", sport, dport, length, 0)
    csum = checksum(_pseudo(src, dst, PROTO_UDP, length) + head + payload) or 0xFFFF
    return head[:6] + struct.pack("!H", csum) + payload


def tcp(src: bytes, dst: bytes, sport: int, dport: int, seq: int, ack: int, flags: int,
        payload: bytes = b"", window: int = 64240, options: bytes = b"") -> bytes:
    options += b"\0" * (-len(options) % 4)
    offset = (20 + len(options)) // 4
    head = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF,
                       offset << 4, flags, window, 0, 0) + options
    csum = checksum(_pseudo(src, dst, PROTO_TCP, len(head) + len(payload)) + head + payload)
    return head[:16] + struct.pack("!H", csum) + head[18:] + payload


def icmpv6(src: bytes, dst: bytes, icmp_type: int, body: bytes) -> bytes:
    msg = struct.pack("!BBH", icmp_type, 0, 0) + body
    csum = checksum(_pseudo(src, dst, PROTO_ICMPV6, len(msg)) + msg)
    return msg[:2] + struct.pack("!H", csum) + msg[4:]


@dataclass(frozen=True)
class Host:
    """One side of the link: its MAC and IPv6 link-local address."""

    mac: bytes
    ip: bytes

    @classmethod
    def from_mac(cls, mac: bytes) -> Host:
        return cls(mac, link_local(mac))


@dataclass
class Wire:
    """Seeded clock, RNG and the frames written so far (plus key-log lines for TLS scenarios)."""

    seed: int
    rng: random.Random = field(init=False)
    now: float = field(init=False)
    frames: list[tuple[float, bytes]] = field(default_factory=list)
    keylog: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        # A fixed epoch per seed: a weekday in 2024, within office hours, millisecond jitter.
        day = 1_704_067_200 + (self.seed % 300) * 86_400
        self.now = day + 8 * 3600 + self.rng.randrange(9 * 3600) + self.rng.randrange(1_000_000) / 1e6

    def wait(self, seconds: float, jitter: float = 0.1) -> float:
        """Advance the clock by ``seconds`` (+/- ``jitter`` of it) and return the new time."""
        spread = seconds * jitter
        self.now += max(1e-6, seconds + self.rng.uniform(-spread, spread))
        return self.now

    def emit(self, frame: bytes, after: float = 0.0, jitter: float = 0.1) -> float:
        if after:
            self.wait(after, jitter)
        self.frames.append((round(self.now, 6), frame))
        return self.now

    def randbytes(self, n: int) -> bytes:
        return self.rng.randbytes(n)

    # -- IP helpers ------------------------------------------------------------------------------
    def ip_frame(self, src: Host, dst: Host | bytes, proto: int, payload: bytes, hop_limit: int = 64) -> bytes:
        if isinstance(dst, Host):
            dst_mac, dst_ip = dst.mac, dst.ip
        else:
            dst_mac, dst_ip = multicast_mac(dst), dst
        return ethernet(dst_mac, src.mac, ETH_IPV6, ipv6(src.ip, dst_ip, proto, payload, hop_limit))

    def neighbor_discovery(self, asker: Host, target: Host) -> None:
        """Neighbor Solicitation to the target's solicited-node address and the solicited answer."""
        ns_body = b"\0\0\0\0" + target.ip + b"\x01\x01" + asker.mac
        dst = solicited_node(target.ip)
        msg = icmpv6(asker.ip, dst, 135, ns_body)
        self.emit(self.ip_frame(asker, dst, PROTO_ICMPV6, msg, 255))
        na_body = struct.pack("!I", 0x60000000) + target.ip + b"\x02\x01" + target.mac
        msg = icmpv6(target.ip, asker.ip, 136, na_body)
        self.emit(self.ip_frame(target, asker, PROTO_ICMPV6, msg, 255), 0.0004)

    def udp_frame(self, src: Host, dst: Host | bytes, sport: int, dport: int, payload: bytes) -> bytes:
        dst_ip = dst.ip if isinstance(dst, Host) else dst
        return self.ip_frame(src, dst, PROTO_UDP, udp(src.ip, dst_ip, sport, dport, payload),
                             1 if isinstance(dst, bytes) else 64)


MSS = 1220
"""Segment size of a 1280-byte IPv6 minimum-MTU path, as embedded TCP stacks choose it."""


class TcpConversation:
    """One TCP connection: handshake, data segments each acknowledged by the peer, FIN teardown."""

    def __init__(self, wire: Wire, client: Host, server: Host, cport: int, sport: int) -> None:
        self.wire = wire
        self.client, self.server = client, server
        self.cport, self.sport = cport, sport
        self.seq = {True: wire.rng.getrandbits(32), False: wire.rng.getrandbits(32)}
        """Next sequence number to send, keyed by ``from_client``."""

    def _segment(self, from_client: bool, flags: int, payload: bytes = b"", options: bytes = b"") -> bytes:
        src, dst = (self.client, self.server) if from_client else (self.server, self.client)
        sp, dp = (self.cport, self.sport) if from_client else (self.sport, self.cport)
        ack = self.seq[not from_client] if flags & ACK else 0
        seg = tcp(src.ip, dst.ip, sp, dp, self.seq[from_client], ack, flags, payload, options=options)
        self.seq[from_client] += len(payload) + (1 if flags & (SYN | FIN) else 0)
        return self.wire.ip_frame(src, dst, PROTO_TCP, seg)

    def connect(self, rtt: float = 0.0006) -> None:
        opts = struct.pack("!BBH", 2, 4, MSS) + b"\x04\x02" + b"\x01\x03\x03\x07"
        w = self.wire
        w.emit(self._segment(True, SYN, options=opts))
        w.emit(self._segment(False, SYN | ACK, options=opts[:6]), rtt / 2)
        w.emit(self._segment(True, ACK), rtt / 2)

    def send(self, from_client: bool, data: bytes, ack_delay: float = 0.0003) -> None:
        """``data`` in MSS-sized segments (PSH on the last), then the peer's pure ACK."""
        w = self.wire
        for i in range(0, len(data), MSS):
            chunk = data[i : i + MSS]
            last = i + MSS >= len(data)
            w.emit(self._segment(from_client, ACK | (PSH if last else 0), chunk), 0.00005 if i else 0.0)
        w.emit(self._segment(not from_client, ACK), ack_delay)

    def close(self, client_first: bool = True) -> None:
        w = self.wire
        w.emit(self._segment(client_first, FIN | ACK))
        w.emit(self._segment(not client_first, FIN | ACK), 0.0005)
        w.emit(self._segment(client_first, ACK), 0.0003)
