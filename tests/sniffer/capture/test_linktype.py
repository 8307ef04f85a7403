"""Link headers: Ethernet (with VLAN tags), Linux cooked v1 and v2."""

from __future__ import annotations

import struct

from v2gsniff.sniffer.capture import LinkError, LinkFrame, decode_link, to_ethernet
from v2gsniff.sniffer.model import LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2, RawFrame

DST = bytes.fromhex("ffffffffffff")
SRC = bytes.fromhex("0201020304a5")
PAYLOAD = b"\x01\x00\xa0" + bytes(40)


def frame(linktype: int, data: bytes) -> RawFrame:
    return RawFrame(1, 0.0, linktype, data)


def test_ethernet() -> None:
    got = to_ethernet(frame(LINKTYPE_ETHERNET, DST + SRC + b"\x88\xe1" + PAYLOAD))
    assert got == LinkFrame(0x88E1, PAYLOAD, "02:01:02:03:04:a5", "ff:ff:ff:ff:ff:ff", None)


def test_ethernet_with_vlan_and_qinq_tags() -> None:
    tagged = DST + SRC + b"\x81\x00" + struct.pack("!H", (5 << 13) | 42) + b"\x86\xdd" + PAYLOAD
    assert to_ethernet(frame(1, tagged)) == LinkFrame(
        0x86DD, PAYLOAD, "02:01:02:03:04:a5", "ff:ff:ff:ff:ff:ff", 42
    )
    qinq = DST + SRC + b"\x88\xa8\x00\x07\x81\x00\x00\x09\x88\xe1" + PAYLOAD
    got = decode_link(frame(1, qinq))
    assert isinstance(got, LinkFrame) and (got.ethertype, got.vlan, got.payload) == (0x88E1, 7, PAYLOAD)


def test_short_frames_say_why() -> None:
    assert decode_link(frame(1, DST + SRC)) == LinkError(
        "Ethernet frame too short: 12 bytes, header needs 14"
    )
    got = decode_link(frame(1, DST + SRC + b"\x81\x00\x00"))
    assert isinstance(got, LinkError) and "VLAN tag" in got.reason
    assert to_ethernet(frame(1, b"")) is None


def test_linux_cooked_v1() -> None:
    header = struct.pack("!HHH", 4, 1, 6) + SRC + b"\0\0" + b"\x86\xdd"
    got = to_ethernet(frame(LINKTYPE_LINUX_SLL, header + PAYLOAD))
    assert got == LinkFrame(0x86DD, PAYLOAD, "02:01:02:03:04:a5", None, None)
    vlan = struct.pack("!HHH", 0, 1, 6) + SRC + b"\0\0" + b"\x81\x00" + b"\x00\x0c\x88\xe1"
    got = to_ethernet(frame(LINKTYPE_LINUX_SLL, vlan + PAYLOAD))
    assert got is not None and (got.ethertype, got.vlan, got.payload) == (0x88E1, 12, PAYLOAD)


def test_linux_cooked_v2() -> None:
    header = b"\x88\xe1" + b"\0\0" + struct.pack("!IHBB", 3, 1, 0, 6) + SRC + b"\0\0"
    assert len(header) == 20
    got = to_ethernet(frame(LINKTYPE_LINUX_SLL2, header + PAYLOAD))
    assert got == LinkFrame(0x88E1, PAYLOAD, "02:01:02:03:04:a5", None, None)
    no_addr = b"\x86\xdd" + b"\0\0" + struct.pack("!IHBB", 3, 772, 0, 0) + bytes(8)
    got = to_ethernet(frame(LINKTYPE_LINUX_SLL2, no_addr + PAYLOAD))
    assert got is not None and got.src_mac is None and got.ethertype == 0x86DD
    assert isinstance(decode_link(frame(LINKTYPE_LINUX_SLL2, header[:19])), LinkError)


def test_unsupported_link_type() -> None:
    got = decode_link(frame(105, b"\x08\x00" + bytes(30)))
    assert got == LinkError("link type 105 (IEEE 802.11) is not supported (Ethernet, SLL, SLL2 are)")
    assert to_ethernet(frame(228, bytes(20))) is None
