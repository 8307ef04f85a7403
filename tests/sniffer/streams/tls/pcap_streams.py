"""Test-only: TCP payload chunks of the TLS connection and UDP key-log payloads of a clean capture.

Real pipeline reassembly lives in v2gsniff.sniffer.streams.tcp; this helper only needs the
dsV2Gshark captures, which have no loss, so it orders segments by sequence number and drops
bytes it has already seen (retransmissions).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

SHARED = Path(__file__).resolve().parents[4].parent / "shared"
REAL = SHARED / "captures" / "real"
KEYLOG_PORT = 52345


@dataclass
class CaptureStreams:
    chunks: list[tuple[bool, bytes, int, float]] = field(default_factory=list)
    """(from_client, new in-order bytes, frame, time) for the first TLS connection, capture order."""
    keylog_payloads: list[tuple[int, bytes]] = field(default_factory=list)
    """(frame, UDP payload) of datagrams to or from port 52345."""
    client: tuple[str, int] | None = None
    server: tuple[str, int] | None = None


def read_capture(path: Path) -> CaptureStreams:
    from scapy.layers.inet import TCP, UDP
    from scapy.layers.inet6 import IPv6
    from scapy.utils import PcapNgReader

    out = CaptureStreams()
    next_seq: dict[bool, int] = {}
    with PcapNgReader(str(path)) as reader:
        for frame, pkt in enumerate(reader, 1):
            if IPv6 not in pkt:
                continue
            ip = pkt[IPv6]
            if UDP in pkt:
                udp = pkt[UDP]
                if KEYLOG_PORT in (udp.sport, udp.dport):
                    out.keylog_payloads.append((frame, bytes(udp.payload)))
                continue
            if TCP not in pkt:
                continue
            tcp = pkt[TCP]
            src, dst = (ip.src, tcp.sport), (ip.dst, tcp.dport)
            payload = bytes(tcp.payload)
            if out.client is None:
                if tcp.flags.S and not tcp.flags.A:
                    out.client, out.server = src, dst
                    next_seq[True] = tcp.seq + 1
                continue
            if {src, dst} != {out.client, out.server}:
                continue
            from_client = src == out.client
            if tcp.flags.S:
                next_seq[from_client] = tcp.seq + 1
                continue
            if not payload:
                continue
            expected = next_seq.setdefault(from_client, tcp.seq)
            skip = (expected - tcp.seq) % (1 << 32)
            if skip >= len(payload):
                continue  # retransmission
            assert skip == 0 or skip < len(payload), "gap in a capture assumed clean"
            out.chunks.append((from_client, payload[skip:], frame, float(pkt.time)))
            next_seq[from_client] = (tcp.seq + len(payload)) % (1 << 32)
    return out
