"""Which dissector takes a layer's payload: the one protocol dispatch, declared once.

Ethernet (or a Linux cooked header) names its payload by EtherType, IPv6 by next header, UDP
by port. The decoding pipeline's fast paths and the full layer trees (``sniffer/layers.py``)
both follow these tables; nothing else dispatches on those numbers.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from functools import cache

from v2gsniff.dissectors._api import Layer
from v2gsniff.dissectors.ethernet import ETHERTYPE_HOMEPLUG, ETHERTYPE_IPV6
from v2gsniff.dissectors.ipv6 import NH_ICMPV6, NH_TCP, NH_UDP
from v2gsniff.dissectors.sdp import SDP_PORT

ETHERTYPES: dict[int, str] = {ETHERTYPE_HOMEPLUG: "homeplug", ETHERTYPE_IPV6: "ipv6"}
"""EtherType -> protocol of the link layer's payload (others carry no CCS communication)."""
NEXT_HEADERS: dict[int, str] = {NH_ICMPV6: "icmpv6", NH_UDP: "udp", NH_TCP: "tcp"}
"""IPv6 next header (after any extension headers) -> protocol."""
UDP_PORTS: dict[int, str] = {SDP_PORT: "sdp"}
"""UDP port (source or destination) -> protocol. TCP payloads go to the stream reassembler."""

DISSECTORS: dict[str, str] = {
    "homeplug": "v2gsniff.dissectors.homeplug:dissect_homeplug",
    "ipv6": "v2gsniff.dissectors.ipv6:dissect_ipv6",
    "icmpv6": "v2gsniff.dissectors.icmpv6:dissect_icmpv6",
    "udp": "v2gsniff.dissectors.transport:dissect_udp",
    "tcp": "v2gsniff.dissectors.transport:dissect_tcp",
    "sdp": "v2gsniff.dissectors.sdp:dissect_sdp",
}
"""Protocol -> its dissector, as ``module:function``: loaded when first needed (captures without
HomePlug frames never load the HomePlug tables)."""


@cache
def dissector(protocol: str) -> Callable[[bytes], Layer]:
    """The dissector of ``protocol`` (a key of :data:`DISSECTORS`)."""
    module, _, name = DISSECTORS[protocol].partition(":")
    func: Callable[[bytes], Layer] = getattr(importlib.import_module(module), name)
    return func


def udp_protocol(src_port: int, dst_port: int) -> str | None:
    """The protocol of a UDP payload by either port (the server's port names it)."""
    return UDP_PORTS.get(src_port) or UDP_PORTS.get(dst_port)


def upper(layer: Layer) -> str | None:
    """The protocol of ``layer``'s payload, or ``None`` when nothing here decodes it."""
    if layer.payload_offset < 0:
        return None
    if layer.protocol == "ipv6":
        return NEXT_HEADERS.get(layer.get("next_header"))
    if layer.protocol == "udp":
        return udp_protocol(layer.get("src_port"), layer.get("dst_port"))
    return None


def payload_end(layer: Layer, available: int) -> int:
    """Where ``layer``'s payload ends in a buffer of ``available`` bytes from the layer's start:
    IPv6 at its payload length, UDP at its length field (when that is consistent), else the end."""
    if layer.protocol == "ipv6":
        plen: int = layer.get("payload_length")
        return min(available, 40 + plen)
    if layer.protocol == "udp":
        length: int = layer.get("length")
        return length if 8 <= length <= available else available
    return available


def dissect_from(protocol: str | None, data: bytes, pos: int, end: int | None = None) -> list[Layer]:
    """The layers of ``data[pos:end]`` from ``protocol`` up, offsets absolute in ``data``."""
    out: list[Layer] = []
    end = len(data) if end is None else end
    while protocol is not None:
        layer = dissector(protocol)(data[pos:end])
        out.append(layer._replace(offset=layer.offset + pos))
        nxt = upper(layer)
        if nxt is None:
            break
        end = pos + payload_end(layer, end - pos)
        pos += layer.payload_offset
        protocol = nxt
    return out
