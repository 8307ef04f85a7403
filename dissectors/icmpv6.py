"""ICMPv6 (RFC 4443) with Neighbor Discovery (RFC 4861) named and decoded."""

from __future__ import annotations

import struct

from v2gsniff.dissectors._api import Field, Layer, mac_text
from v2gsniff.dissectors.ipv6 import addr_text

ICMPV6_TYPES = {
    1: "Destination Unreachable",
    2: "Packet Too Big",
    3: "Time Exceeded",
    4: "Parameter Problem",
    128: "Echo Request",
    129: "Echo Reply",
    130: "Multicast Listener Query",
    131: "Multicast Listener Report",
    132: "Multicast Listener Done",
    133: "Router Solicitation",
    134: "Router Advertisement",
    135: "Neighbor Solicitation",
    136: "Neighbor Advertisement",
    137: "Redirect",
    143: "Multicast Listener Report v2",
}

_ND_OPTIONS = {1: "source_link_layer_address", 2: "target_link_layer_address", 3: "prefix_information", 5: "mtu"}


def dissect_icmpv6(buf: bytes) -> Layer:
    """ICMPv6 header; NDP messages also carry their target and link-layer address options."""
    if len(buf) < 4:
        return Layer("icmpv6", "ICMPv6", 0, len(buf), (), f"ICMPv6: {len(buf)} bytes, needs 4")
    typ, code, csum = struct.unpack_from("!BBH", buf, 0)
    name = ICMPV6_TYPES.get(typ, f"ICMPv6 type {typ}")
    fields = [Field("type", typ, 0, 1, name), Field("code", code, 1, 1), Field("checksum", csum, 2, 2)]
    error = None
    opt_start = -1
    if typ in (135, 136, 137):
        if len(buf) < 24:
            error = f"{name}: {len(buf)} bytes, needs 24"
        else:
            if typ == 136:
                flags = buf[4]
                fields.append(Field("router", bool(flags & 0x80), 4, 1))
                fields.append(Field("solicited", bool(flags & 0x40), 4, 1))
                fields.append(Field("override", bool(flags & 0x20), 4, 1))
            target = buf[8:24]
            fields.append(Field("target", target, 8, 16, addr_text(target)))
            opt_start = 40 if typ == 137 else 24
    elif typ == 133:
        opt_start = 8
    elif typ == 134:
        opt_start = 16
    if opt_start >= 0 and error is None:
        off = opt_start
        while off + 2 <= len(buf):
            otype, olen = buf[off], buf[off + 1] * 8
            if olen == 0 or off + olen > len(buf):
                error = f"NDP option at byte {off} has a bad length"
                break
            oname = _ND_OPTIONS.get(otype, f"option_{otype}")
            if otype in (1, 2) and olen >= 8:
                mac = buf[off + 2 : off + 8]
                fields.append(Field(oname, mac, off + 2, 6, mac_text(mac)))
            else:
                fields.append(Field(oname, buf[off + 2 : off + olen], off, olen))
            off += olen
    return Layer("icmpv6", name, 0, len(buf), tuple(fields), error)
