"""What the rules read of a ``v2g`` record: one small view, built once per record.

Charge loops repeat the same payloads and the decoder hands every record of the same bytes the
same body object, so everything that depends on the body alone (names, codes, physical values,
status codes) is computed once per distinct body; a record adds only its stream, side, frame and time.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from v2gsniff.dissectors.exi import PAYLOAD_TYPE_SCHEMA
from v2gsniff.dissectors.exi.errors import FacetViolation
from v2gsniff.sniffer.bounded import BoundedDict
from v2gsniff.sniffer.model import Record, SharedTail
from v2gsniff.sniffer.sessions.body import BodyMemo, as_list, message_of
from v2gsniff.sniffer.sessions.body import Message as BodyMessage
from v2gsniff.sniffer.sessions.phases import phase_of, stem
from v2gsniff.sniffer.sessions.series import Values, series_values

from .values import implausible, maxima


class Message:
    """What the rules read of one ``v2g`` record.

    A slotted class, not a NamedTuple: the rules read dozens of its fields per record, and CPython
    3.11 specialises a slot read where a NamedTuple field goes through its descriptor every time
    (the findings of a long charge loop cost ~9 % fewer instructions)."""

    __slots__ = ("name", "stem", "phase", "content", "header", "is_request", "is_response", "response_code",
                 "session_id", "processing", "values", "maxima", "faults", "implausible", "schema", "violations",
                 "payload_type", "quiet", "stream", "from_ev", "frame", "time")

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
    maxima: tuple[tuple[str, float], ...]
    """(quantity, value) of the positive maximum limits the EVSE announces in it (``values.maxima``)."""
    faults: tuple[tuple[str, ...], tuple[str, ...]]
    """Status codes other than ready/valid in a charge-loop message, as the EVSE's and as the EV's
    message would state them (``EVSEStatusCode EVSE_Shutdown``); indexed by ``from_ev``."""
    implausible: tuple[tuple[str, float, str], ...]
    """(name, value, quantity) of values no CCS equipment reaches (``values.implausible``)."""
    schema: str | None
    violations: tuple[FacetViolation, ...]
    payload_type: str | None
    """The V2GTP payload type it came in when that is not its message set's (``0x8001`` for an
    ISO 15118-20 DC message), else ``None``."""
    quiet: bool
    """A charge-loop message whose content alone breaks no rule (OK code, nothing implausible, no
    facet violation or status fault): only the order, timing and values rules have work to do,
    and they take their short way (``Sequence``, ``Timing``, ``Values``)."""
    stream: int
    from_ev: bool
    frame: int
    time: float

    def __init__(self, static: tuple[Any, ...], stream: int, from_ev: bool, frame: int, time: float) -> None:
        """``static``: the fields its body alone decides, ``name`` to ``quiet`` in slot order (``Views``)."""
        (self.name, self.stem, self.phase, self.content, self.header, self.is_request, self.is_response,
         self.response_code, self.session_id, self.processing, self.values, self.maxima, self.faults,
         self.implausible, self.schema, self.violations, self.payload_type, self.quiet) = static
        self.stream = stream
        self.from_ev = from_ev
        self.frame = frame
        self.time = time

    @property
    def offered(self) -> list[str]:
        """Namespaces a supportedAppProtocolReq offers."""
        return [str(x.get("ProtocolNamespace")) for x in as_list(self.content.get("AppProtocol"))
                if isinstance(x, Mapping)]


_NO_FAULTS: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())
_POWER_PHASES = frozenset({"ChargeParameterDiscovery", "CableCheck", "PreCharge", "PowerDelivery", "ChargeLoop",
                           "WeldingDetection"})
_OK_STATUS = frozenset({"EVSE_Ready", "EVSE_NotReady", None})
_OK_ISOLATION = frozenset({"Valid", "Warning", None})
_LEAVES = frozenset({str, int, float, bool, type(None)})


def _faults(content: Mapping[str, Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """EVSEStatusCode, EVSEIsolationStatus and EVErrorCode of a charge-loop message other than
    ready/valid: they sit in its status children (DC_EVSEStatus, AC_EVSEStatus, DC_EVStatus; -20
    EVSEStatus), one level down. (As the EVSE's message, as the EV's message.)"""
    found: list[Any] = [None, None, None]
    for child in content.values():
        if type(child) is dict or (type(child) not in _LEAVES and isinstance(child, Mapping)):
            for i, key in enumerate(("EVSEStatusCode", "EVSEIsolationStatus", "EVErrorCode")):
                if found[i] is None and key in child:
                    found[i] = child[key]
    evse_status, isolation, ev_error = found
    evse: list[str] = []
    if evse_status not in _OK_STATUS:
        evse.append(f"EVSEStatusCode {evse_status}")
    if isolation not in _OK_ISOLATION:
        evse.append(f"EVSEIsolationStatus {isolation}")
    ev = (f"EVErrorCode {ev_error}",) if ev_error not in ("NO_ERROR", None) else ()
    return (tuple(evse), ev) if evse or ev else _NO_FAULTS


def _static(body: Any, values_of: Callable[[Any], Values] = series_values,
            messages: Callable[[Any], BodyMessage | None] = message_of) -> tuple[Any, ...] | None:
    """Everything a message's body alone decides, up to ``schema`` (the view adds the rest)."""
    found = messages(body)
    if found is None:
        return None
    name, content, header = found
    phase = phase_of(name)
    code = content.get("ResponseCode")
    code = code if isinstance(code, str) else None
    sid = header.get("SessionID")
    processing = content.get("EVSEProcessing")
    values = dict(values_of(content)) if phase in _POWER_PHASES else {}
    faults = _faults(content) if phase == "ChargeLoop" else _NO_FAULTS
    return (name, stem(name), phase, content, header, name.endswith("Req"), name.endswith("Res"), code,
            sid if isinstance(sid, str) else None, processing if isinstance(processing, str) else None, values,
            maxima(values), faults, implausible(values))


def _quiet(static: tuple[Any, ...], violations: tuple[FacetViolation, ...], payload_type: str | None) -> bool:
    code = static[7]
    return (static[2] == "ChargeLoop" and (code is None or code.upper().startswith("OK")) and static[9] is None
            and not violations and payload_type is None and static[12] is _NO_FAULTS and not static[13])


PAYLOAD_TYPE_OF = {schema: f"0x{ptype:04x}" for ptype, schemas in PAYLOAD_TYPE_SCHEMA.items()
                   for schema in (schemas if isinstance(schemas, tuple) else (schemas,))}
"""Message set -> the V2GTP payload type that carries it (the inverse of the decoder's table)."""


class Views:
    """Record -> ``Message``. Mutable (its memo).

    ``values_of`` and ``messages_of``: memos of ``series_values`` and ``message_of`` to share with
    the session tracker (which reads the same for its series and phases), so a body is read once."""

    def __init__(self, values_of: Callable[[Any], Values] | None = None,
                 messages_of: Callable[[Any], BodyMessage | None] | None = None) -> None:
        values, messages = values_of or series_values, messages_of or message_of
        self._statics = BodyMemo(lambda body: _static(body, values, messages))
        # a decoded message's shared keys (body, schema) come as one mapping per distinct payload,
        # with one decoded message (and so one set of violations): its whole static part, by id
        self._tails: BoundedDict[int, tuple[Any, tuple[Any, ...] | None]] = BoundedDict(1024)

    def of(self, record: Record) -> Message | None:
        extra = record.extra
        head: Mapping[str, Any]
        if type(extra) is SharedTail and "schema" not in extra.head and "body" not in extra.head:
            head = extra.head
            tail = extra.tail
            hit = self._tails.get(id(tail))
            if hit is not None and hit[0] is tail:
                static = hit[1]
            else:
                static = self._tails.put(id(tail), (tail, self._static(tail, record)))[1]
        else:
            head = extra
            static = self._static(extra, record)
        if static is None:
            return None
        stream = head.get("stream")
        return Message(static, stream if type(stream) is int else -1, head.get("dir") == "ev->evse", record.frame,
                       record.time)

    def _static(self, keys: Mapping[str, Any], record: Record) -> tuple[Any, ...] | None:
        found = self._statics(keys.get("body"))
        if found is None:
            return None
        exi = record.message
        violations = exi.violations if exi is not None else ()
        schema, ptype = keys.get("schema"), keys.get("payload_type")
        expected = PAYLOAD_TYPE_OF.get(schema) if isinstance(schema, str) else None
        wrong = ptype if expected is not None and isinstance(ptype, str) and ptype != expected else None
        return (*found, schema, violations, wrong, _quiet(found, violations, wrong))
