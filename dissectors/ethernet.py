"""Ethernet II with optional IEEE 802.1Q tags."""

from __future__ import annotations

import struct

from v2gsniff.dissectors._api import Field, Layer, mac_text

ETHERTYPE_IPV6 = 0x86DD
ETHERTYPE_HOMEPLUG = 0x88E1
ETHERTYPE_VLAN = 0x8100

ETHERTYPE_NAMES = {
    0x0800: "IPv4",
    0x0806: "ARP",
    ETHERTYPE_IPV6: "IPv6",
    ETHERTYPE_HOMEPLUG: "HomePlug AV",
    0x887B: "HomePlug 1.0",
    ETHERTYPE_VLAN: "802.1Q",
}


def dissect_ethernet(buf: bytes) -> Layer:
    """Ethernet header; ``payload_offset`` points after the last VLAN tag."""
    if len(buf) < 14:
        return Layer("eth", "Ethernet", 0, len(buf), (), f"Ethernet: {len(buf)} bytes, needs 14")
    dst, src = buf[0:6], buf[6:12]
    fields = [
        Field("dst", dst, 0, 6, mac_text(dst)),
        Field("src", src, 6, 6, mac_text(src)),
    ]
    off = 12
    (etype,) = struct.unpack_from("!H", buf, off)
    while etype == ETHERTYPE_VLAN:
        if len(buf) < off + 6:
            return Layer("eth", "Ethernet", 0, len(buf), tuple(fields), "802.1Q tag cut short")
        (tci,) = struct.unpack_from("!H", buf, off + 2)
        fields.append(Field("vlan", tci & 0x0FFF, off + 2, 2, f"VLAN {tci & 0x0FFF} prio {tci >> 13}"))
        off += 4
        (etype,) = struct.unpack_from("!H", buf, off)
    fields.append(Field("ethertype", etype, off, 2, f"0x{etype:04x} {ETHERTYPE_NAMES.get(etype, '')}".rstrip()))
    return Layer("eth", "Ethernet", 0, off + 2, tuple(fields), payload_offset=off + 2)
