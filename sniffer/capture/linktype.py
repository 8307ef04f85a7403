"""Take the link-layer header off a frame: Ethernet, Linux cooked v1 (SLL) and v2 (SLL2).

Everything downstream dispatches on the EtherType, so each supported link type comes out as a
:class:`LinkFrame`; 802.1Q/802.1ad tags are removed (the outermost VLAN id is kept).
"""

from __future__ import annotations

import struct
from typing import NamedTuple

from v2gsniff.sniffer.model import LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2, RawFrame

ETHERTYPE_VLAN = 0x8100
ETHERTYPE_QINQ = 0x88A8
_TAGS = (ETHERTYPE_VLAN, ETHERTYPE_QINQ, 0x9100)
ARPHRD_ETHER = 1

LINKTYPE_NAMES = {
    0: "BSD loopback (NULL)",
    1: "Ethernet",
    101: "raw IP",
    105: "IEEE 802.11",
    113: "Linux cooked (SLL)",
    127: "IEEE 802.11 radiotap",
    147: "user-defined (DLT_USER0)",
    228: "raw IPv4",
    229: "raw IPv6",
    276: "Linux cooked v2 (SLL2)",
}


class LinkFrame(NamedTuple):
    """A frame's network-layer payload and what its link header said."""

    ethertype: int
    """EtherType of the payload (0x88E1 HomePlug AV, 0x86DD IPv6 ...); values below 0x0600
    are 802.3 lengths or Linux cooked pseudo-protocols (LLC, 802.3 raw)."""
    payload: bytes
    """Bytes after the link header and any VLAN tags."""
    src_mac: str | None
    """Sender MAC as ``aa:bb:cc:dd:ee:ff``, when the link header has it."""
    dst_mac: str | None
    """Destination MAC; Linux cooked headers do not record it."""
    vlan: int | None = None
    """Outermost 802.1Q VLAN id, ``None`` when untagged."""


class LinkError(NamedTuple):
    """Why a frame's link header could not be taken off."""

    reason: str


def mac_str(b: bytes) -> str:
    return ":".join(f"{x:02x}" for x in b)


def linktype_name(linktype: int) -> str:
    name = LINKTYPE_NAMES.get(linktype)
    return f"{linktype} ({name})" if name else str(linktype)


def _untag(ethertype: int, data: bytes, pos: int, what: str) -> tuple[int, int, int | None] | LinkError:
    """Skip VLAN tags starting at ``pos`` (just after an EtherType field)."""
    vlan: int | None = None
    while ethertype in _TAGS:
        if len(data) < pos + 4:
            return LinkError(f"{what} frame ends inside a VLAN tag ({len(data)} bytes)")
        tci, ethertype = struct.unpack_from("!HH", data, pos)
        if vlan is None:
            vlan = tci & 0x0FFF
        pos += 4
    return ethertype, pos, vlan


def _ethernet(data: bytes) -> LinkFrame | LinkError:
    if len(data) < 14:
        return LinkError(f"Ethernet frame too short: {len(data)} bytes, header needs 14")
    untagged = _untag(int.from_bytes(data[12:14], "big"), data, 14, "Ethernet")
    if isinstance(untagged, LinkError):
        return untagged
    ethertype, pos, vlan = untagged
    return LinkFrame(ethertype, data[pos:], mac_str(data[6:12]), mac_str(data[0:6]), vlan)


def _cooked(
    data: bytes, header: int, proto_at: int, addr_len: int, addr_at: int, what: str
) -> LinkFrame | LinkError:
    if len(data) < header:
        return LinkError(f"{what} frame too short: {len(data)} bytes, header needs {header}")
    src = mac_str(data[addr_at : addr_at + 6]) if addr_len == 6 else None
    untagged = _untag(int.from_bytes(data[proto_at : proto_at + 2], "big"), data, header, what)
    if isinstance(untagged, LinkError):
        return untagged
    ethertype, pos, vlan = untagged
    return LinkFrame(ethertype, data[pos:], src, None, vlan)


def decode_link(frame: RawFrame) -> LinkFrame | LinkError:
    """The frame's payload and EtherType, or why not (short frame, unsupported link type)."""
    data = frame.data
    if frame.linktype == LINKTYPE_ETHERNET:
        return _ethernet(data)
    if frame.linktype == LINKTYPE_LINUX_SLL:
        # packet type(2) ARPHRD(2) address length(2) address(8) protocol(2)
        addr_len = int.from_bytes(data[4:6], "big") if len(data) >= 6 else 0
        return _cooked(data, 16, 14, addr_len, 6, "Linux cooked (SLL)")
    if frame.linktype == LINKTYPE_LINUX_SLL2:
        # protocol(2) reserved(2) ifindex(4) ARPHRD(2) packet type(1) address length(1) address(8)
        addr_len = data[11] if len(data) >= 12 else 0
        return _cooked(data, 20, 0, addr_len, 12, "Linux cooked v2 (SLL2)")
    return LinkError(f"link type {linktype_name(frame.linktype)} is not supported (Ethernet, SLL, SLL2 are)")


def to_ethernet(frame: RawFrame) -> LinkFrame | None:
    """:func:`decode_link` for callers that only need the good case."""
    result = decode_link(frame)
    return result if isinstance(result, LinkFrame) else None
