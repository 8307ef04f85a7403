"""IPv6 with its extension headers (RFC 8200)."""

from __future__ import annotations

import struct

from v2gsniff.dissectors._api import Field, Layer

NH_HOP_BY_HOP = 0
NH_TCP = 6
NH_UDP = 17
NH_ROUTING = 43
NH_FRAGMENT = 44
NH_ESP = 50
NH_AH = 51
NH_ICMPV6 = 58
NH_NONE = 59
NH_DEST_OPTS = 60

NEXT_HEADER_NAMES = {
    NH_HOP_BY_HOP: "Hop-by-Hop Options",
    NH_TCP: "TCP",
    NH_UDP: "UDP",
    NH_ROUTING: "Routing",
    NH_FRAGMENT: "Fragment",
    NH_ESP: "ESP",
    NH_AH: "Authentication Header",
    NH_ICMPV6: "ICMPv6",
    NH_NONE: "No Next Header",
    NH_DEST_OPTS: "Destination Options",
}

_EXTENSIONS = {NH_HOP_BY_HOP, NH_ROUTING, NH_DEST_OPTS, NH_AH, NH_FRAGMENT}


_GROUPS = struct.Struct("!8H")


def addr_text(b: bytes) -> str:
    """Compressed textual IPv6 address (RFC 5952: lower case, the longest run of two or more
    zero groups, the first of equal runs, becomes ``::``)."""
    groups = _GROUPS.unpack(b)
    start, length, i = -1, 1, 0
    while i < 8:
        if groups[i]:
            i += 1
            continue
        j = i + 1
        while j < 8 and not groups[j]:
            j += 1
        if j - i > length:
            start, length = i, j - i
        i = j
    texts = [f"{g:x}" for g in groups]
    if start < 0:
        return ":".join(texts)
    return ":".join(texts[:start]) + "::" + ":".join(texts[start + length :])


def dissect_ipv6(buf: bytes) -> Layer:
    """IPv6 header plus extension headers; ``next_header`` is the upper-layer protocol.

    ``payload_offset`` points at the upper-layer header; the upper layer ends at
    ``40 + payload_length`` (a capture may add Ethernet padding after it).
    """
    if len(buf) < 40:
        return Layer("ipv6", "IPv6", 0, len(buf), (), f"IPv6: {len(buf)} bytes, needs 40")
    vtf, plen, nh, hlim = struct.unpack_from("!IHBB", buf, 0)
    version = vtf >> 28
    src, dst = buf[8:24], buf[24:40]
    fields = [
        Field("version", version, 0, 1),
        Field("traffic_class", (vtf >> 20) & 0xFF, 0, 2),
        Field("flow_label", vtf & 0xFFFFF, 1, 3),
        Field("payload_length", plen, 4, 2),
        Field("hop_limit", hlim, 7, 1),
        Field("src", src, 8, 16, addr_text(src)),
        Field("dst", dst, 24, 16, addr_text(dst)),
    ]
    if version != 6:
        return Layer("ipv6", "IPv6", 0, 40, tuple(fields), f"IP version {version}, expected 6")
    off = 40
    end = min(len(buf), 40 + plen)
    error = None
    while nh in _EXTENSIONS:
        if off + 8 > end:
            error = f"{NEXT_HEADER_NAMES[nh]} header cut short at byte {off}"
            break
        nxt, hlen = buf[off], buf[off + 1]
        if nh == NH_FRAGMENT:
            size = 8
            (fo,) = struct.unpack_from("!H", buf, off + 2)
            fields.append(Field("fragment_offset", fo >> 3, off + 2, 2))
            if fo >> 3 or fo & 1:
                error = "fragmented IPv6 packet (reassembly of IPv6 fragments is not supported)"
                fields.append(Field("extension", NEXT_HEADER_NAMES[nh], off, size))
                off += size
                nh = nxt
                break
        elif nh == NH_AH:
            size = (hlen + 2) * 4
        else:
            size = (hlen + 1) * 8
        fields.append(Field("extension", NEXT_HEADER_NAMES[nh], off, size))
        off += size
        nh = nxt
    fields.append(Field("next_header", nh, 6, 1, NEXT_HEADER_NAMES.get(nh, str(nh))))
    return Layer("ipv6", "IPv6", 0, off, tuple(fields), error, payload_offset=off if off <= end else -1)
