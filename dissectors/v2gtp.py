"""V2G Transfer Protocol header (ISO 15118-2 §7.8.3, ISO 15118-20 §7.8.3, DIN SPEC 70121 §8.7.3)."""

from __future__ import annotations

import struct
from enum import IntEnum

from v2gsniff.dissectors._api import Field, Layer

HEADER_LEN = 8
PROTOCOL_VERSION = 0x01

# Longest payload we believe: real messages are a few kB (certificate chains); this only
# guards resynchronisation against treating random bytes as a 4 GB message.
MAX_PAYLOAD = 1 << 20


class PayloadType(IntEnum):
    """V2GTP payload types."""

    EXI = 0x8001
    """SupportedAppProtocol, DIN 70121 and ISO 15118-2 messages."""
    ISO20_COMMON = 0x8002
    ISO20_AC = 0x8003
    ISO20_DC = 0x8004
    ISO20_ACDP = 0x8005
    ISO20_WPT = 0x8006
    ISO20_SCHEDULE_RENEGOTIATION = 0x8101
    ISO20_METERING_CONFIRMATION = 0x8102
    ISO20_ACDP_SYSTEM_STATUS = 0x8103
    ISO20_PARKING_STATUS = 0x8104
    SDP_REQUEST = 0x9000
    SDP_RESPONSE = 0x9001
    SDP_REQUEST_WIRELESS = 0x9002
    SDP_RESPONSE_WIRELESS = 0x9003
    SDP_REQUEST_EMSP = 0x9004
    SDP_RESPONSE_EMSP = 0x9005


PAYLOAD_TYPE_NAMES: dict[int, str] = {
    PayloadType.EXI: "EXI encoded V2G message",
    PayloadType.ISO20_COMMON: "ISO 15118-20 CommonMessages",
    PayloadType.ISO20_AC: "ISO 15118-20 AC messages",
    PayloadType.ISO20_DC: "ISO 15118-20 DC messages",
    PayloadType.ISO20_ACDP: "ISO 15118-20 ACDP messages",
    PayloadType.ISO20_WPT: "ISO 15118-20 WPT messages",
    PayloadType.ISO20_SCHEDULE_RENEGOTIATION: "ISO 15118-20 schedule renegotiation",
    PayloadType.ISO20_METERING_CONFIRMATION: "ISO 15118-20 metering confirmation",
    PayloadType.ISO20_ACDP_SYSTEM_STATUS: "ISO 15118-20 ACDP system status",
    PayloadType.ISO20_PARKING_STATUS: "ISO 15118-20 parking status",
    PayloadType.SDP_REQUEST: "SDP request",
    PayloadType.SDP_RESPONSE: "SDP response",
    PayloadType.SDP_REQUEST_WIRELESS: "SDP request wireless",
    PayloadType.SDP_RESPONSE_WIRELESS: "SDP response wireless",
    PayloadType.SDP_REQUEST_EMSP: "SDP request EMSP",
    PayloadType.SDP_RESPONSE_EMSP: "SDP response EMSP",
}

EXI_PAYLOAD_TYPES = frozenset(range(0x8001, 0x8007)) | frozenset(range(0x8101, 0x8105))
_KNOWN = frozenset(map(int, PAYLOAD_TYPE_NAMES))  # plain ints: an IntEnum key costs a slow compare per look-up
_HEADER = struct.Struct("!BBHI")


def payload_type_name(ptype: int) -> str:
    """The standard's name of a payload type, or its number."""
    return PAYLOAD_TYPE_NAMES.get(ptype, f"unknown payload type 0x{ptype:04x}")


def parse_header(buf: bytes | bytearray, offset: int = 0) -> tuple[int, int] | None:
    """``(payload_type, payload_length)`` if ``buf[offset:]`` starts with a plausible header.

    Plausible means version 1, its inverse, a known payload type and a sane length: the test
    a stream framer uses to find or re-find message boundaries.
    """
    if len(buf) - offset < HEADER_LEN:
        return None
    ver, inv, ptype, plen = _HEADER.unpack_from(buf, offset)
    if ver != PROTOCOL_VERSION or inv != 0xFE or ptype not in _KNOWN or plen > MAX_PAYLOAD:
        return None
    return ptype, plen


def dissect_v2gtp(buf: bytes) -> Layer:
    """The 8-byte header; ``payload_offset`` is 8 when the header is valid."""
    if len(buf) < HEADER_LEN:
        return Layer("v2gtp", "V2GTP", 0, len(buf), (), f"V2GTP: {len(buf)} bytes, needs {HEADER_LEN}")
    ver, inv, ptype, plen = struct.unpack_from("!BBHI", buf, 0)
    fields = (
        Field("version", ver, 0, 1),
        Field("inverse_version", inv, 1, 1, f"0x{inv:02x}"),
        Field("payload_type", ptype, 2, 2, f"0x{ptype:04x} {payload_type_name(ptype)}"),
        Field("payload_length", plen, 4, 4),
    )
    error = None
    if ver != PROTOCOL_VERSION:
        error = f"V2GTP version {ver}, expected {PROTOCOL_VERSION}"
    elif inv != ver ^ 0xFF:
        error = f"V2GTP inverse version 0x{inv:02x} does not match version {ver}"
    elif ptype not in PAYLOAD_TYPE_NAMES:
        error = f"unknown V2GTP payload type 0x{ptype:04x}"
    elif len(buf) - HEADER_LEN < plen:
        error = f"V2GTP payload length {plen} exceeds the {len(buf) - HEADER_LEN} bytes present"
    return Layer("v2gtp", payload_type_name(ptype), 0, HEADER_LEN, fields, error, payload_offset=HEADER_LEN)
