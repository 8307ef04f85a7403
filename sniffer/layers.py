"""Full layer trees of a frame: the link header, then the protocol dispatch of ``dissectors/dispatch.py``.

The detail views call :func:`dissect_frame` for the frame behind a record, and the pipeline
builds its records from the same trees whenever no fast path applies. Every Layer's ``offset``
is absolute in the frame, so a field's bytes are at ``layer.offset + field.offset``.
"""

from __future__ import annotations

from typing import NamedTuple

from v2gsniff.dissectors import Layer, mac_text
from v2gsniff.dissectors.dispatch import ETHERTYPES, dissect_from
from v2gsniff.dissectors.ethernet import dissect_ethernet
from v2gsniff.sniffer.capture.linktype import LinkError, decode_link
from v2gsniff.sniffer.model import LINKTYPE_ETHERNET, RawFrame, Record


class Link(NamedTuple):
    """What a frame's link header says."""

    layers: tuple[Layer, ...]
    """The link layer as shown (Ethernet; none for Linux cooked headers), or the error layer."""
    protocol: str | None
    """Protocol of the payload (by :data:`~v2gsniff.dissectors.dispatch.ETHERTYPES`)."""
    offset: int
    """Where the payload starts in the frame."""
    src: str
    """Sender MAC (``""`` when the header has none)."""
    dst: str
    error: tuple[str, str] | None = None
    """(which header, why) when the link header cannot be taken off."""


def link_of(data: bytes, linktype: int = LINKTYPE_ETHERNET) -> Link:
    """The link header of a frame and the protocol it carries."""
    if linktype == LINKTYPE_ETHERNET:
        eth = dissect_ethernet(data)
        if eth.error or eth.payload_offset < 0:
            return Link((eth,), None, -1, "", "", ("eth", eth.error or "Ethernet header cut short"))
        return Link((eth,), ETHERTYPES.get(eth.get("ethertype")), eth.payload_offset,
                    mac_text(data[6:12]), mac_text(data[0:6]))
    link = decode_link(RawFrame(0, 0.0, linktype, data))
    if isinstance(link, LinkError):
        return Link((Layer("link", "link layer", 0, len(data), (), link.reason),), None, -1, "", "",
                    ("link layer", link.reason))
    return Link((), ETHERTYPES.get(link.ethertype), len(data) - len(link.payload), link.src_mac or "",
                link.dst_mac or "")


def dissect_frame(data: bytes, linktype: int = LINKTYPE_ETHERNET) -> tuple[Layer, ...]:
    """Every layer of one frame down to the transport payload, offsets absolute in ``data``."""
    link = link_of(data, linktype)
    if link.error:
        return link.layers
    return (*link.layers, *dissect_from(link.protocol, data, link.offset))


def record_layers(r: Record) -> tuple[Layer, ...]:
    """The layers of the frame behind a frame-level record (``()`` for v2g, gap ... records).

    Built when asked for: only detail views need them, and most records are never looked at.
    """
    return dissect_frame(r.data, r.linktype) if r.linktype >= 0 else ()
