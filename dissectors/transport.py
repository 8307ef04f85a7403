"""UDP (RFC 768) and TCP (RFC 9293) headers."""

from __future__ import annotations

import struct

from v2gsniff.dissectors._api import Field, Layer

TCP_FIN = 0x01
TCP_SYN = 0x02
TCP_RST = 0x04
TCP_PSH = 0x08
TCP_ACK = 0x10
TCP_URG = 0x20

_FLAG_NAMES = ((TCP_SYN, "SYN"), (TCP_FIN, "FIN"), (TCP_RST, "RST"), (TCP_PSH, "PSH"), (TCP_ACK, "ACK"), (TCP_URG, "URG"))


def flags_text(flags: int) -> str:
    """``SYN,ACK`` style flag list."""
    return ",".join(name for bit, name in _FLAG_NAMES if flags & bit) or "none"


def dissect_udp(buf: bytes) -> Layer:
    """UDP header; the payload runs to the UDP length (or the buffer end if shorter)."""
    if len(buf) < 8:
        return Layer("udp", "UDP", 0, len(buf), (), f"UDP: {len(buf)} bytes, needs 8")
    sport, dport, length, csum = struct.unpack_from("!HHHH", buf, 0)
    fields = (
        Field("src_port", sport, 0, 2),
        Field("dst_port", dport, 2, 2),
        Field("length", length, 4, 2),
        Field("checksum", csum, 6, 2),
    )
    error = None
    if length < 8:
        error = f"UDP length {length} is below the header size"
    elif length > len(buf):
        error = f"UDP length {length} exceeds the {len(buf)} captured bytes"
    return Layer("udp", "UDP", 0, 8, fields, error, payload_offset=8)


def dissect_tcp(buf: bytes) -> Layer:
    """TCP header (options skipped); ``payload_offset`` is the data offset."""
    if len(buf) < 20:
        return Layer("tcp", "TCP", 0, len(buf), (), f"TCP: {len(buf)} bytes, needs 20")
    sport, dport, seq, ack, off_flags, window = struct.unpack_from("!HHIIHH", buf, 0)
    data_off = (off_flags >> 12) * 4
    flags = off_flags & 0x1FF
    fields = (
        Field("src_port", sport, 0, 2),
        Field("dst_port", dport, 2, 2),
        Field("seq", seq, 4, 4),
        Field("ack", ack, 8, 4),
        Field("flags", flags, 12, 2, flags_text(flags)),
        Field("window", window, 14, 2),
    )
    if data_off < 20 or data_off > len(buf):
        return Layer("tcp", "TCP", 0, len(buf), fields, f"TCP data offset {data_off} is invalid")
    return Layer("tcp", "TCP", 0, data_off, fields, payload_offset=data_off)
