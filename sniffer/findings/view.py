"""What the rules read of a ``v2g`` record: one small view, built once per record."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from v2gsniff.dissectors.exi.errors import FacetViolation
from v2gsniff.sniffer.model import Record
from v2gsniff.sniffer.sessions.body import BodyMemo, as_list, message_of, v2g_of
from v2gsniff.sniffer.sessions.phases import phase_of, stem


class Message(NamedTuple):
    name: str
    stem: str
    """``DC_CableCheckReq`` -> ``CableCheck`` (pairs a response with its request)."""
    phase: str | None
    schema: str | None
    stream: int
    from_ev: bool
    frame: int
    time: float
    content: Mapping[str, Any]
    header: Mapping[str, Any]
    violations: tuple[FacetViolation, ...]

    @property
    def is_request(self) -> bool:
        return self.name.endswith("Req")

    @property
    def is_response(self) -> bool:
        return self.name.endswith("Res")

    @property
    def response_code(self) -> str | None:
        code = self.content.get("ResponseCode")
        return code if isinstance(code, str) else None

    @property
    def session_id(self) -> str | None:
        sid = self.header.get("SessionID")
        return sid if isinstance(sid, str) else None

    @property
    def processing(self) -> str | None:
        """EVSEProcessing (``Finished``/``Ongoing`` ...), when the message has it."""
        value = self.content.get("EVSEProcessing")
        return value if isinstance(value, str) else None

    @property
    def offered(self) -> list[str]:
        """Namespaces a supportedAppProtocolReq offers."""
        return [str(x.get("ProtocolNamespace")) for x in as_list(self.content.get("AppProtocol"))
                if isinstance(x, Mapping)]


class Views:
    """Record -> ``Message`` (memoised per decoded body, as the session tracker does). Mutable."""

    def __init__(self) -> None:
        self._bodies = BodyMemo(message_of)

    def of(self, record: Record) -> Message | None:
        v = v2g_of(record, self._bodies)
        if v is None:
            return None
        exi = record.message
        violations = getattr(exi, "violations", ()) if exi is not None else ()
        return Message(v.name, stem(v.name), phase_of(v.name), v.schema, v.stream, v.from_ev, v.frame, v.time,
                       v.content, v.header, violations)
