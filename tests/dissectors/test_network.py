"""Ethernet, IPv6, ICMPv6, UDP and TCP on frames taken from a real capture.

Frames come from ccs32__2023-04-05_wt32_alpi_first_charge.pcapng (EV side of a DIN session);
values were read off the hex by hand (see comments).
"""

from __future__ import annotations

import pytest

from v2gsniff.dissectors.ethernet import dissect_ethernet
from v2gsniff.dissectors.icmpv6 import dissect_icmpv6
from v2gsniff.dissectors.ipv6 import addr_text, dissect_ipv6
from v2gsniff.dissectors.transport import dissect_tcp, dissect_udp

# frame 109: SDP request from the EV to ff02::1 port 15118
SDP_REQ = bytes.fromhex(
    "333300000001c4dee2b3ed2386dd600000000012110afe80000000000000c69083f3fbcb981e"
    "ff020000000000000000000000000001e7533b0e00125f7401fe9000000000021000"
)
# frame 111: Neighbor Solicitation for the EV's address, with a source link-layer option
NS = bytes.fromhex(
    "3333ffcb981eaa6cd10a629486dd6000000000203afffe80000000000000a86cd1fffe0a6294"
    "ff0200000000000000000001ffcb981e87004c2d00000000fe80000000000000c69083f3fbcb981e0101aa6cd10a6294"
)
# frame 114: the EV's SYN to the SECC port 51110 (0xc7a6)
SYN = bytes.fromhex(
    "aa6cd10a6294c4dee2b3ed2386dd600000000020060afe80000000000000c69083f3fbcb981e"
    "fe80000000000000a86cd1fffe0a6294e754c7a6000000c800000000800203e804fd0000020405a00103030801010402"
)


def test_ethernet_fields_and_payload_offset() -> None:
    eth = dissect_ethernet(SDP_REQ)
    assert eth.error is None
    assert eth.field("dst").text() == "33:33:00:00:00:01"  # type: ignore[union-attr]
    assert eth.field("src").text() == "c4:de:e2:b3:ed:23"  # type: ignore[union-attr]
    assert eth.get("ethertype") == 0x86DD
    assert eth.payload_offset == 14


def test_vlan_tag_is_skipped() -> None:
    tagged = SDP_REQ[:12] + bytes.fromhex("8100a005") + SDP_REQ[12:]
    eth = dissect_ethernet(tagged)
    assert eth.get("vlan") == 5
    assert eth.get("ethertype") == 0x86DD
    assert eth.payload_offset == 18


def test_short_ethernet_is_an_error_not_an_exception() -> None:
    assert dissect_ethernet(b"\x00" * 5).error == "Ethernet: 5 bytes, needs 14"


def test_ipv6_udp_sdp_request() -> None:
    ip = dissect_ipv6(SDP_REQ[14:])
    assert ip.error is None
    assert ip.field("src").text() == "fe80::c690:83f3:fbcb:981e"  # type: ignore[union-attr]
    assert ip.field("dst").text() == "ff02::1"  # type: ignore[union-attr]
    assert ip.get("next_header") == 17
    assert ip.get("payload_length") == 18
    udp = dissect_udp(SDP_REQ[14 + ip.payload_offset :])
    assert (udp.get("src_port"), udp.get("dst_port"), udp.get("length")) == (59219, 15118, 18)


def test_ipv6_extension_headers_are_walked() -> None:
    ip_hdr = bytearray(SDP_REQ[14:54])
    ip_hdr[6] = 0  # next header: hop-by-hop
    hop = bytes([17, 0]) + bytes(6)  # next: UDP, 8 bytes
    body = hop + SDP_REQ[54:]
    ip_hdr[4:6] = len(body).to_bytes(2, "big")
    ip = dissect_ipv6(bytes(ip_hdr) + body)
    assert ip.get("next_header") == 17
    assert ip.payload_offset == 48
    assert [f.value for f in ip.fields if f.name == "extension"] == ["Hop-by-Hop Options"]


def test_ipv6_fragment_is_reported() -> None:
    ip_hdr = bytearray(SDP_REQ[14:54])
    ip_hdr[6] = 44
    frag = bytes([17, 0, 0x00, 0x09, 0, 0, 0, 1])  # offset 1, more fragments
    ip_hdr[4:6] = (8 + 18).to_bytes(2, "big")
    ip = dissect_ipv6(bytes(ip_hdr) + frag + SDP_REQ[54:])
    assert ip.error is not None and "fragment" in ip.error


def test_neighbor_solicitation_is_named_with_target_and_mac() -> None:
    ip = dissect_ipv6(NS[14:])
    icmp = dissect_icmpv6(NS[14 + ip.payload_offset :])
    assert icmp.name == "Neighbor Solicitation"
    assert icmp.field("target").text() == "fe80::c690:83f3:fbcb:981e"  # type: ignore[union-attr]
    assert icmp.field("source_link_layer_address").text() == "aa:6c:d1:0a:62:94"  # type: ignore[union-attr]


def test_tcp_syn_header() -> None:
    tcp = dissect_tcp(SYN[54:])
    assert (tcp.get("src_port"), tcp.get("dst_port")) == (59220, 51110)
    assert tcp.get("seq") == 200
    assert tcp.field("flags").text() == "SYN"  # type: ignore[union-attr]
    assert tcp.payload_offset == 32  # 12 bytes of options


def test_tcp_bad_data_offset() -> None:
    bad = bytearray(SYN[54:74])
    bad[12] = 0x20  # data offset 8 bytes
    assert "data offset" in (dissect_tcp(bytes(bad)).error or "")


@pytest.mark.parametrize(
    "groups",
    [
        (0, 0, 0, 0, 0, 0, 0, 0),
        (0, 0, 0, 0, 0, 0, 0, 1),
        (0xFE80, 0, 0, 0, 0x0665, 0x65FF, 0xFE00, 0x64C3),
        (1, 0, 2, 0, 0, 3, 0, 0),  # equal runs: the first is compressed
        (1, 0, 0, 2, 0, 0, 0, 3),  # the longer run wins
        (1, 0, 2, 3, 4, 5, 6, 7),  # a single zero group stays
        (0, 0, 0, 0, 0, 0xFFFF, 0x0102, 0x0304),
        (0x2001, 0xDB8, 0, 0, 0, 0, 0, 0),
    ],
)
def test_ipv6_address_text_is_rfc5952(groups: tuple[int, ...]) -> None:
    import ipaddress
    import struct

    raw = struct.pack("!8H", *groups)
    assert addr_text(raw) == str(ipaddress.IPv6Address(raw))


def test_ipv6_address_text_matches_the_standard_library_on_random_addresses() -> None:
    import ipaddress
    import random

    rng = random.Random(5952)
    for _ in range(2000):
        # mostly zero groups, so runs of every length and position occur
        raw = b"".join(rng.choice([b"\0\0", b"\0\0", rng.randbytes(2)]) for _ in range(8))
        assert addr_text(raw) == str(ipaddress.IPv6Address(raw))
