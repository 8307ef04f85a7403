"""Full layer trees of a frame, built on demand (the pipeline keeps only what records need).

The detail views call :func:`dissect_frame` for the frame behind a record; every Layer's
``offset`` is absolute in the frame, so a field's bytes are at ``layer.offset + field.offset``.
"""

from __future__ import annotations

from v2gsniff.dissectors import Layer
from v2gsniff.dissectors.ethernet import ETHERTYPE_HOMEPLUG, ETHERTYPE_IPV6, dissect_ethernet
from v2gsniff.dissectors.homeplug import dissect_homeplug
from v2gsniff.dissectors.icmpv6 import dissect_icmpv6
from v2gsniff.dissectors.ipv6 import NH_ICMPV6, NH_TCP, NH_UDP, dissect_ipv6
from v2gsniff.dissectors.sdp import SDP_PORT, dissect_sdp
from v2gsniff.dissectors.transport import dissect_tcp, dissect_udp
from v2gsniff.sniffer.capture.linktype import LinkError, decode_link
from v2gsniff.sniffer.model import LINKTYPE_ETHERNET, RawFrame


def _at(layer: Layer, base: int) -> Layer:
    return layer._replace(offset=layer.offset + base)


def dissect_frame(data: bytes, linktype: int = LINKTYPE_ETHERNET) -> tuple[Layer, ...]:
    """Every layer of one frame down to the transport payload, offsets absolute in ``data``."""
    layers: list[Layer] = []
    if linktype == LINKTYPE_ETHERNET:
        eth = dissect_ethernet(data)
        layers.append(eth)
        if eth.error or eth.payload_offset < 0:
            return tuple(layers)
        etype, pos = eth.get("ethertype"), eth.payload_offset
    else:
        link = decode_link(RawFrame(0, 0.0, linktype, data))
        if isinstance(link, LinkError):
            return (Layer("link", "link layer", 0, len(data), (), link.reason),)
        etype, pos = link.ethertype, len(data) - len(link.payload)
    if etype == ETHERTYPE_HOMEPLUG:
        layers.append(_at(dissect_homeplug(data[pos:]), pos))
        return tuple(layers)
    if etype != ETHERTYPE_IPV6:
        return tuple(layers)
    ip = dissect_ipv6(data[pos:])
    layers.append(_at(ip, pos))
    if ip.payload_offset < 0:
        return tuple(layers)
    upper = pos + ip.payload_offset
    end = min(len(data), pos + 40 + ip.get("payload_length"))
    nh = ip.get("next_header")
    if nh == NH_ICMPV6:
        layers.append(_at(dissect_icmpv6(data[upper:end]), upper))
    elif nh == NH_UDP:
        udp = dissect_udp(data[upper:end])
        layers.append(_at(udp, upper))
        if SDP_PORT in (udp.get("src_port"), udp.get("dst_port")):
            layers.append(_at(dissect_sdp(data[upper + 8 : end]), upper + 8))
    elif nh == NH_TCP:
        layers.append(_at(dissect_tcp(data[upper:end]), upper))
    return tuple(layers)
