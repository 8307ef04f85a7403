"""What the rules read of a ``v2g`` record: one small view, built once per record.

Charge loops repeat the same payloads and the decoder hands every record of the same bytes the
same body object, so everything that depends on the body alone (names, codes, physical values,
status codes) is computed once per distinct body; a record adds only its stream, side, frame and time.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from v2gsniff.dissectors.exi.errors import FacetViolation
from v2gsniff.sniffer.model import Record, SharedTail
from v2gsniff.sniffer.sessions.body import BodyMemo, as_list, message_of
from v2gsniff.sniffer.sessions.phases import phase_of, stem
from v2gsniff.sniffer.sessions.series import Values, series_values

from .values import implausible


class Message(NamedTuple):
    name: str
    stem: str
    """``DC_CableCheckReq`` -> ``CableCheck`` (pairs a response with its request)."""
    phase: str | None
    content: Mapping[str, Any]
    header: Mapping[str, Any]
    is_request: bool
    is_response: bool
    response_code: str | None
    session_id: str | None
    processing: str | None
    """EVSEProcessing (``Finished``/``Ongoing`` ...), when the message has it."""
    values: Mapping[str, float]
    """Physical values by series name (``sessions.series``); empty outside the power phases."""
    status: tuple[Any, Any, Any]
    """(EVSEStatusCode, EVSEIsolationStatus, EVErrorCode) of a charge-loop message, else Nones."""
    implausible: tuple[tuple[str, float, str], ...]
    """(name, value, quantity) of values no CCS equipment reaches (``values.implausible``)."""
    schema: str | None
    stream: int
    from_ev: bool
    frame: int
    time: float
    violations: tuple[FacetViolation, ...]

    @property
    def offered(self) -> list[str]:
        """Namespaces a supportedAppProtocolReq offers."""
        return [str(x.get("ProtocolNamespace")) for x in as_list(self.content.get("AppProtocol"))
                if isinstance(x, Mapping)]


_NONE3 = (None, None, None)
_POWER_PHASES = frozenset({"ChargeParameterDiscovery", "CableCheck", "PreCharge", "PowerDelivery", "ChargeLoop",
                           "WeldingDetection"})


_STATUS_KEYS = {"EVSEStatusCode": 0, "EVSEIsolationStatus": 1, "EVErrorCode": 2}


def _status(content: Mapping[str, Any]) -> tuple[Any, Any, Any]:
    """EVSEStatusCode, EVSEIsolationStatus and EVErrorCode of a charge-loop message: they sit in its
    status children (DC_EVSEStatus, AC_EVSEStatus, DC_EVStatus; -20 EVSEStatus), one level down."""
    found: list[Any] = [None, None, None]
    for child in content.values():
        if isinstance(child, Mapping):
            for key, i in _STATUS_KEYS.items():
                if found[i] is None and key in child:
                    found[i] = child[key]
    return found[0], found[1], found[2]


def _static(body: Any, values_of: Callable[[Any], Values] = series_values) -> tuple[Any, ...] | None:
    found = message_of(body)
    if found is None:
        return None
    name, content, header = found
    phase = phase_of(name)
    code = content.get("ResponseCode")
    sid = header.get("SessionID")
    processing = content.get("EVSEProcessing")
    values = dict(values_of(content)) if phase in _POWER_PHASES else {}
    status = _status(content) if phase == "ChargeLoop" else _NONE3
    return (name, stem(name), phase, content, header, name.endswith("Req"), name.endswith("Res"),
            code if isinstance(code, str) else None, sid if isinstance(sid, str) else None,
            processing if isinstance(processing, str) else None, values, status, implausible(values))


class Views:
    """Record -> ``Message``. Mutable (its memo).

    ``values_of``: a memo of ``series_values`` to share with the session tracker (which computes
    the same values for its series), so a body is walked once."""

    def __init__(self, values_of: Callable[[Any], Values] | None = None) -> None:
        static = _static if values_of is None else lambda body: _static(body, values_of)
        self._statics = BodyMemo(static)

        def shared(tail: Mapping[str, Any]) -> tuple[Any, ...] | None:
            found = self._statics(tail.get("body"))
            return None if found is None else (*found, tail.get("schema"))

        # a decoded message's shared keys (body, schema) come as one mapping per distinct payload
        self._tails = BodyMemo(shared)

    def of(self, record: Record) -> Message | None:
        extra = record.extra
        head: Mapping[str, Any]
        if type(extra) is SharedTail and "schema" not in extra.head and "body" not in extra.head:
            head = extra.head
            static = self._tails(extra.tail)
        else:
            head = extra
            found = self._statics(extra.get("body"))
            static = None if found is None else (*found, extra.get("schema"))
        if static is None:
            return None
        stream = head.get("stream")
        exi = record.message
        return Message._make((*static, stream if isinstance(stream, int) else -1, head.get("dir") == "ev->evse",
                              record.frame, record.time, exi.violations if exi is not None else ()))
