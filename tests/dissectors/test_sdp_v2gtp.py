"""SDP and the V2GTP header, on real messages and on deliberately broken ones."""

from __future__ import annotations

import pytest

from v2gsniff.dissectors.sdp import dissect_sdp
from v2gsniff.dissectors.v2gtp import PAYLOAD_TYPE_NAMES, PayloadType, dissect_v2gtp, parse_header

# UDP payloads of frames 109 and 113 of ccs32__2023-04-05_wt32_alpi_first_charge.pcapng
SDP_REQUEST = bytes.fromhex("01fe9000000000021000")
SDP_RESPONSE = bytes.fromhex("01fe900100000014fe80000000000000a86cd1fffe0a6294c7a61000")


def test_sdp_request_security_and_transport() -> None:
    sdp = dissect_sdp(SDP_REQUEST)
    assert sdp.name == "SDPRequest" and sdp.error is None
    assert sdp.field("security").text() == "no TLS"  # type: ignore[union-attr]
    assert sdp.field("transport").text() == "TCP"  # type: ignore[union-attr]
    assert sdp.field("security").offset == 8  # type: ignore[union-attr]


def test_sdp_request_for_tls() -> None:
    assert dissect_sdp(SDP_REQUEST[:8] + b"\x00\x00").field("security").text() == "TLS"  # type: ignore[union-attr]


def test_sdp_response_address_and_port() -> None:
    sdp = dissect_sdp(SDP_RESPONSE)
    assert sdp.name == "SDPResponse" and sdp.error is None
    assert sdp.field("secc_address").text() == "fe80::a86c:d1ff:fe0a:6294"  # type: ignore[union-attr]
    assert sdp.get("secc_port") == 51110
    assert sdp.field("security").text() == "no TLS"  # type: ignore[union-attr]


def test_sdp_errors_are_specific() -> None:
    assert dissect_sdp(SDP_RESPONSE[:20]).error == "SDPResponse: payload 12 bytes, needs 20"
    assert "inverse version" in (dissect_sdp(b"\x01\xff" + SDP_REQUEST[2:]).error or "")
    assert dissect_sdp(b"\x01\xfe\x80\x01\x00\x00\x00\x00").error == "payload type 0x8001 is not an SDP message"


@pytest.mark.parametrize("ptype", list(PayloadType))
def test_every_payload_type_is_named(ptype: PayloadType) -> None:
    hdr = bytes([1, 0xFE]) + int(ptype).to_bytes(2, "big") + (0).to_bytes(4, "big")
    layer = dissect_v2gtp(hdr)
    assert layer.error is None
    assert layer.name == PAYLOAD_TYPE_NAMES[ptype]
    assert parse_header(hdr) == (ptype, 0)


def test_v2gtp_header_checks() -> None:
    assert dissect_v2gtp(bytes.fromhex("02fd800100000000")).error == "V2GTP version 2, expected 1"
    assert dissect_v2gtp(bytes.fromhex("01fe123400000000")).error == "unknown V2GTP payload type 0x1234"
    assert parse_header(bytes.fromhex("01fe8001ffffffff")) is None  # absurd length: not a header
