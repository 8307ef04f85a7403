"""V2GTP messages to ``v2g`` records: pick each EXI payload's message set, decode it.

The SupportedAppProtocol exchange on a connection decides the set for payload type 0x8001
(SchemaID → namespace → schema); ISO 15118-20 names its set in the V2GTP payload type. A
message whose first bytes contradict the negotiated set is decoded by the set it matches and
carries a ``finding``. Namespaces we cannot decode are named, never guessed at.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, NamedTuple

from v2gsniff.dissectors import exi
from v2gsniff.dissectors.v2gtp import HEADER_LEN, PayloadType, payload_type_name
from v2gsniff.sniffer.model import Record, SharedTail
from v2gsniff.sniffer.redaction import REDACTED, carries_private_key, redact_json, redact_xml
from v2gsniff.sniffer.services import SERVICE_MESSAGES, ServiceDirectory
from v2gsniff.sniffer.streams.framing import Message
from v2gsniff.sniffer.v2gvalues import key_values

ISO20_SETS: dict[int, str] = {
    PayloadType.ISO20_COMMON: "iso20-cm",
    PayloadType.ISO20_AC: "iso20-ac",
    PayloadType.ISO20_DC: "iso20-dc",
    PayloadType.ISO20_ACDP: "iso20-acdp",
    PayloadType.ISO20_WPT: "iso20-wpt",
}

# Second byte of a V2G_Message document (DocContent index of V2G_Message, exi.md §1).
_DOC_BYTE = {0x9A: "din", 0x98: "iso2"}
_EXI = int(PayloadType.EXI)  # a plain int: comparing with an IntEnum member costs 3x, once per message


_PT_TEXT = {int(t): f"0x{int(t):04x}" for t in PayloadType}

CACHE_SIZE = 2048
"""Distinct payloads whose decode result is kept."""


_new = tuple.__new__


class _Decoded(NamedTuple):
    message: exi.ExiMessage
    name: str
    tail: dict[str, Any]
    """payload_type, schema, namespace, exi_hex and body: the record keys these bytes decide."""
    fields: dict[str, Any]
    summary: str


class _ConnState:
    __slots__ = ("offers", "negotiated", "unsupported", "sap_done")

    def __init__(self) -> None:
        self.offers: dict[int, str] = {}
        """SchemaID -> namespace from the supportedAppProtocolReq."""
        self.negotiated: str | None = None
        """Schema name agreed in the supportedAppProtocolRes."""
        self.unsupported: str | None = None
        """Namespace agreed that this codec cannot decode."""
        self.sap_done = False


class V2GDecoder:
    """Per-connection message-set state and the EXI decode step. Mutable."""

    def __init__(self, xml: bool = False, show_keys: bool = False) -> None:
        self.xml = xml
        """Add namespaced XML to each record (``--xml``)."""
        self.show_keys = show_keys
        """Keep private keys in certificate messages (else their values and EXI hex are redacted)."""
        self._conns: dict[int, _ConnState] = {}
        self.services = ServiceDirectory()
        """Value-added services announced so far (which ports carry which service)."""

    def forget(self, stream: int) -> None:
        """Drop the state of a closed connection."""
        self._conns.pop(stream, None)

    def _schema(self, st: _ConnState, payload_type: int, message: bytes) -> tuple[str | None, str | None]:
        """(schema to decode with, finding) for one payload."""
        if payload_type in ISO20_SETS:
            return ISO20_SETS[payload_type], None
        if payload_type != _EXI:
            return None, None
        # the first two EXI bytes follow the 8-byte V2GTP header
        second = message[HEADER_LEN + 1] if len(message) > HEADER_LEN + 1 and message[HEADER_LEN] == 0x80 else -1
        # SupportedAppProtocol documents start 80 0x (Req) or 80 4x (Res).
        if 0 <= second < 0x80 and not st.sap_done:
            return "apphand", None
        looks = _DOC_BYTE.get(second)
        if st.negotiated:
            if st.negotiated.startswith("iso20"):
                # -20 names its sets by payload type: 0x8001 here is the sender's mistake, and the
                # bytes are no DIN/ISO-2 document (``_decode_any`` finds the -20 set that fits)
                return st.negotiated, None
            if looks and looks != st.negotiated:
                return looks, f"header says {looks} but SupportedAppProtocol negotiated {st.negotiated}"
            return st.negotiated, None
        if st.unsupported:
            return None, None
        if 0 <= second < 0x80:
            return "apphand", None
        return looks, None

    def message(self, stream: int, from_client: bool, msg: Message, src: str, dst: str,
                base: dict[str, object]) -> Record:
        """The record of one V2GTP message; ``base`` (its own keys so far: stream, direction, TLS) is
        taken over as the start of its keys, not copied: a fresh dict per message."""
        data, ptype, frame, time, first_frame, offset = msg  # a NamedTuple's fields, read at once
        st = self._conns.get(stream)
        if st is None:
            st = self._conns[stream] = _ConnState()
        schema, finding = self._schema(st, ptype, data)
        result = None if schema is None else _decode(schema, data, self.show_keys)
        if type(result) is not _Decoded and schema is not None and st.negotiated \
                and st.negotiated.startswith("iso20"):
            schema, result = _decode_any(schema, data, self.show_keys, st.negotiated, result)
        if type(result) is _Decoded:
            message, name, tail, fields, summary = result
            head: dict[str, Any] = base
            head["first_frame"], head["offset"] = first_frame, offset
            if finding:
                head["finding"] = finding
            if self.xml:
                text = message.to_xml()
                head["xml"] = text if self.show_keys or not carries_private_key(message) else redact_xml(text)
            if schema == "apphand":
                self._sap(st, message)
            elif name in SERVICE_MESSAGES:
                self.services.observe(message, frame)
            # the tuple made directly (no NamedTuple __new__ call), in Record's field order: per message
            return _new(Record, (frame, time, "v2g", name, src, dst, fields, None, SharedTail(head, tail), -1, data,
                                 summary, message))
        # Nothing decoded: the same keys, with what is known.
        exi_bytes = data[HEADER_LEN:]
        extra: dict[str, Any] = {**base, "first_frame": first_frame, "offset": offset,
                                 "payload_type": _PT_TEXT.get(ptype) or f"0x{ptype:04x}", "schema": schema,
                                 "namespace": None, "exi_hex": exi_bytes.hex()}
        if finding:
            extra["finding"] = finding
        if schema is not None:
            return Record(frame, time, "v2g", f"{schema} message", src, dst, {},
                          f"EXI decode error ({schema}): {result}", extra=extra, data=data)
        if st.unsupported:
            reason = exi.UNSUPPORTED_NAMESPACES.get(st.unsupported, "no schema for it")
            return Record(frame, time, "v2g", "unsupported message set", src, dst, {},
                          f"negotiated namespace {st.unsupported} is not supported: {reason}",
                          extra=extra, data=data, summary=st.unsupported)
        return Record(frame, time, "v2g", payload_type_name(ptype), src, dst, {},
                      f"cannot tell the message set of payload type 0x{ptype:04x} "
                      f"(no SupportedAppProtocol exchange seen, first bytes {exi_bytes[:2].hex()})",
                      extra=extra, data=data)

    def _sap(self, st: _ConnState, msg: exi.ExiMessage) -> None:
        root = msg.root
        if msg.name == "supportedAppProtocolReq":
            for ap in root.findall("AppProtocol"):
                ns, sid = ap.get("ProtocolNamespace"), ap.get("SchemaID")
                if ns is not None and sid is not None:
                    st.offers[int(sid.value)] = str(ns.value)
        elif msg.name == "supportedAppProtocolRes":
            st.sap_done = True
            code, sid = root.get("ResponseCode"), root.get("SchemaID")
            if code is not None and str(code.value).startswith("OK") and sid is not None:
                chosen = st.offers.get(int(sid.value))
                if chosen is not None:
                    st.negotiated = exi.NAMESPACES.get(chosen)
                    if st.negotiated is None:
                        st.unsupported = chosen


def _decode_any(schema: str, message: bytes, show_keys: bool, negotiated: str,
                failed: _Decoded | str | None) -> tuple[str, _Decoded | str | None]:
    """An ISO 15118-20 message its payload type's set cannot decode, tried with the other sets of
    the negotiated protocol (CommonMessages and the negotiated one): a sender that puts a message
    in the wrong payload type (0x8001, or another set's) still shows what it said. The first set
    that decodes wins; none: the first error stands."""
    for other in ("iso20-cm", negotiated):
        if other != schema:
            result = _decode(other, message, show_keys)
            if type(result) is _Decoded:
                return other, result
    return schema, failed


# Decoding is a pure function of (schema, bytes), and charge loops repeat the same messages:
# most real captures hold under 5 % distinct payloads. Decoded messages are therefore shared
# between records and must be treated as read-only.
@lru_cache(CACHE_SIZE)
def _decode(schema: str, message: bytes, show_keys: bool = False) -> _Decoded | str:
    """Decode the EXI body of a whole V2GTP ``message``: the result, or why it failed (private
    keys redacted unless ``show_keys``)."""
    data = message[HEADER_LEN:]
    try:
        msg = exi.decode(data, schema)
    except exi.ExiError as err:
        return str(err)
    fields, summary = key_values(msg)
    ptype = int.from_bytes(message[2:4], "big")
    # the message set's namespace (MsgDef for DIN/ISO-2), as SupportedAppProtocol names it; the
    # payload type as sent (``sequence.payload-type`` judges whether it names the message's set)
    tail = {"payload_type": _PT_TEXT.get(ptype) or f"0x{ptype:04x}", "schema": schema,
            "namespace": msg.nodes()[0][0], "exi_hex": data.hex(), "body": msg.to_json()}
    if not show_keys and carries_private_key(msg):
        tail.update(exi_hex=REDACTED, body=redact_json(tail["body"]))
    return _Decoded(msg, msg.name, tail, fields, summary)
