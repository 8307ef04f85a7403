"""V2GTP messages to records: which message set each EXI payload belongs to.

The SupportedAppProtocol exchange on a connection decides the set for payload type 0x8001;
ISO 15118-20 names its set in the V2GTP payload type.
"""

from __future__ import annotations

from dataclasses import dataclass

from v2gsniff.dissectors.v2gtp import HEADER_LEN, PayloadType, payload_type_name
from v2gsniff.sniffer.model import Record
from v2gsniff.sniffer.streams.framing import Message

ISO20_SETS: dict[int, str] = {
    PayloadType.ISO20_COMMON: "iso20-cm",
    PayloadType.ISO20_AC: "iso20-ac",
    PayloadType.ISO20_DC: "iso20-dc",
    PayloadType.ISO20_ACDP: "iso20-acdp",
    PayloadType.ISO20_WPT: "iso20-wpt",
}


@dataclass(slots=True)
class _ConnState:
    negotiated: str | None = None
    sap_done: bool = False


class V2GDecoder:
    """Per-connection message-set state. Mutable."""

    def __init__(self) -> None:
        self._conns: dict[int, _ConnState] = {}

    def forget(self, stream: int) -> None:
        """Drop the state of a closed connection."""
        self._conns.pop(stream, None)

    def message_set(self, stream: int, payload_type: int, exi: bytes) -> str | None:
        if payload_type in ISO20_SETS:
            return ISO20_SETS[payload_type]
        if payload_type != PayloadType.EXI or len(exi) < 2 or exi[0] != 0x80:
            return None
        st = self._conns.setdefault(stream, _ConnState())
        # SupportedAppProtocol documents start 80 0x (Req) or 80 4x (Res); DIN and ISO-2
        # V2G_Message documents start 80 9a and 80 98.
        if exi[1] < 0x80 and not st.sap_done:
            if exi[1] >= 0x40:
                st.sap_done = True
            return "apphand"
        if st.negotiated:
            return st.negotiated
        return {0x9A: "din", 0x98: "iso2"}.get(exi[1])

    def message(self, stream: int, from_client: bool, msg: Message, src: str, dst: str,
                base: dict[str, object]) -> Record:
        exi = msg.data[HEADER_LEN:]
        mset = self.message_set(stream, msg.payload_type, exi)
        extra = {**base, "first_frame": msg.first_frame, "offset": msg.offset,
                 "payload_type": f"0x{msg.payload_type:04x}", "message_set": mset, "exi_hex": exi.hex()}
        return Record(
            msg.frame,
            msg.time,
            "v2gtp",
            payload_type_name(msg.payload_type),
            src,
            dst,
            {"payload_type": msg.payload_type, "payload_length": len(exi)},
            None,
            extra=extra,
            data=msg.data,
            summary=f"{mset or '?'} {len(exi)} bytes",
        )
