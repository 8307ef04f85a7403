"""SECC Discovery Protocol (ISO 15118-2 §7.10.1, DIN SPEC 70121 §8.7.3.1), UDP port 15118."""

from __future__ import annotations

import struct

from v2gsniff.dissectors._api import Field, Layer
from v2gsniff.dissectors.ipv6 import addr_text
from v2gsniff.dissectors.v2gtp import HEADER_LEN, PayloadType, dissect_v2gtp

SDP_PORT = 15118

SECURITY = {0x00: "TLS", 0x10: "no TLS"}
TRANSPORT = {0x00: "TCP", 0x10: "UDP"}

MESSAGE_NAMES = {
    PayloadType.SDP_REQUEST: "SDPRequest",
    PayloadType.SDP_RESPONSE: "SDPResponse",
    PayloadType.SDP_REQUEST_WIRELESS: "SDPRequestWireless",
    PayloadType.SDP_RESPONSE_WIRELESS: "SDPResponseWireless",
    PayloadType.SDP_REQUEST_EMSP: "SDPRequestEMSP",
    PayloadType.SDP_RESPONSE_EMSP: "SDPResponseEMSP",
}


def _security(b: int, off: int) -> Field:
    return Field("security", b, off, 1, SECURITY.get(b, f"reserved 0x{b:02x}"))


def _transport(b: int, off: int) -> Field:
    return Field("transport", b, off, 1, TRANSPORT.get(b, f"reserved 0x{b:02x}"))


def dissect_sdp(buf: bytes) -> Layer:
    """An SDP message including its V2GTP header; field offsets are relative to ``buf``."""
    hdr = dissect_v2gtp(buf)
    if hdr.error and not hdr.error.startswith("V2GTP payload length"):
        return Layer("sdp", "SDP", 0, len(buf), hdr.fields, hdr.error)
    ptype = hdr.get("payload_type")
    plen = hdr.get("payload_length")
    name = MESSAGE_NAMES.get(ptype)
    if name is None:
        return Layer("sdp", "SDP", 0, len(buf), hdr.fields, f"payload type 0x{ptype:04x} is not an SDP message")
    body = buf[HEADER_LEN : HEADER_LEN + plen]
    fields = list(hdr.fields)
    o = HEADER_LEN
    error = None
    if ptype in (PayloadType.SDP_REQUEST, PayloadType.SDP_REQUEST_EMSP, PayloadType.SDP_REQUEST_WIRELESS):
        if len(body) < 2:
            error = f"{name}: payload {len(body)} bytes, needs 2"
        else:
            fields += [_security(body[0], o), _transport(body[1], o + 1)]
            if len(body) > 2:
                fields.append(Field("additional", body[2:], o + 2, len(body) - 2))
    else:
        if len(body) < 20:
            error = f"{name}: payload {len(body)} bytes, needs 20"
        else:
            addr = body[0:16]
            (port,) = struct.unpack_from("!H", body, 16)
            fields += [
                Field("secc_address", addr, o, 16, addr_text(addr)),
                Field("secc_port", port, o + 16, 2),
                _security(body[18], o + 18),
                _transport(body[19], o + 19),
            ]
            if len(body) > 20:
                fields.append(Field("additional", body[20:], o + 20, len(body) - 20))
    if error is None and hdr.error:
        error = hdr.error
    elif error is None and ptype in (PayloadType.SDP_REQUEST, PayloadType.SDP_RESPONSE):
        expected = 2 if ptype == PayloadType.SDP_REQUEST else 20
        if plen != expected:
            error = f"{name}: payload length {plen}, the standard fixes {expected}"
    return Layer("sdp", name, 0, HEADER_LEN + len(body), tuple(fields), error)
