"""What a charging session is, as the tracker reports it: small frozen dataclasses.

Every value here is JSON-ready through ``to_json`` (the report's JSON format is documented in
``v2gsniff.sniffer.report``); the tracker (``tracker.py``) is the only mutable thing.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from v2gsniff.sniffer.pnc import PncSection

from v2gsniff.dissectors import exi
from v2gsniff.sniffer.findings.model import Finding as Finding  # re-exported: Session.findings holds them

BPT_OUTCOMES = (
    "bpt-working",
    "bpt-negotiated-no-discharge",
    "bpt-offered-not-selected",
    "no-bpt-offered",
    "protocol-without-bpt",
    "handshake-failed",
)
"""The BPT outcome of a session, from best to worst evidence of bidirectional power transfer."""

SCHEMA_SHORT_NAMES = exi.SCHEMA_SHORT_NAMES
"""Schema names (``Session.protocol``) spelled as ``SHORT_NAMES`` spells their namespaces."""


def short_name(namespace: str | None) -> str:
    if not namespace:
        return "-"
    return exi.SHORT_NAMES.get(namespace, namespace)


def _json(value: Any) -> Any:
    if hasattr(value, "to_json"):
        return value.to_json()
    if isinstance(value, tuple | list):
        return [_json(v) for v in value]
    return value


class _Json:
    """``to_json`` over the dataclass fields, in declaration order."""

    def to_json(self) -> dict[str, Any]:
        return {f.name: _json(getattr(self, f.name)) for f in fields(self)}  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class Evidence(_Json):
    """The message behind one statement of the report."""

    statement: str
    """What is claimed, e.g. ``"SECC offers BPT services 5"``."""
    message: str
    """Message name as its standard spells it."""
    frame: int
    """Frame that carries (completes) the message."""


@dataclass(frozen=True, slots=True)
class Phase(_Json):
    """One contiguous stretch of a session spent in one phase (a phase can recur, e.g. PowerDelivery)."""

    name: str
    start: float
    """Epoch seconds of the first message."""
    end: float
    """Epoch seconds of the last message."""
    first_frame: int
    last_frame: int
    ok: bool
    """No response in this stretch carried a non-OK code."""
    messages: int = 0

    @property
    def duration(self) -> float:
        return self.end - self.start

    def to_json(self) -> dict[str, Any]:
        out = _Json.to_json(self)
        out["duration"] = round(self.duration, 6)
        return out


@dataclass(frozen=True, slots=True)
class Failure(_Json):
    """A response code that is not OK (or a request that never got an answer)."""

    phase: str
    message: str
    code: str
    frame: int
    time: float


@dataclass(frozen=True, slots=True)
class SapOffer(_Json):
    """One AppProtocol entry of a supportedAppProtocolReq."""

    namespace: str
    version_major: int
    version_minor: int
    schema_id: int
    priority: int

    @property
    def name(self) -> str:
        return short_name(self.namespace)


@dataclass(frozen=True, slots=True)
class Handshake(_Json):
    """A SupportedAppProtocol exchange on one TCP connection."""

    stream: int
    req_frame: int
    offers: tuple[SapOffer, ...]
    """In priority order."""
    res_frame: int | None = None
    response_code: str | None = None
    schema_id: int | None = None
    negotiated_namespace: str | None = None
    tls_version: str | None = None
    """``None`` for plain TCP, else the TLS version of the connection that carried it."""


@dataclass(frozen=True, slots=True)
class Vehicle(_Json):
    """Who the EV is: protocol identity, link identity, and what the user's inventory says."""

    evccid: str | None = None
    pev_mac: str | None = None
    modem_vendor: str | None = None
    label: str | None = None
    brand: str | None = None
    model: str | None = None
    trim: str | None = None
    software: str | None = None
    identified_by: str | None = None
    """Where brand/model/trim/software come from: ``inventory`` (exact match) or ``path`` (the
    capture's path, ``--vehicle-from-path``); ``None`` when nobody said."""

    @property
    def name(self) -> str:
        """Best human name: label, brand+model, EVCCID or MAC."""
        if self.label:
            return self.label
        if self.brand or self.model:
            return " ".join(x for x in (self.brand, self.model) if x)
        return self.evccid or self.pev_mac or "unknown vehicle"


@dataclass(frozen=True, slots=True)
class Charger(_Json):
    evseid: str | None = None
    evse_mac: str | None = None
    modem_vendor: str | None = None

    @property
    def name(self) -> str:
        return self.evseid or self.evse_mac or "unknown charger"


@dataclass(frozen=True, slots=True)
class Slac(_Json):
    """The SLAC run(s) of a session: restarts are kept together."""

    run_ids: tuple[str, ...] = ()
    pev_mac: str | None = None
    evse_mac: str | None = None
    nid: str | None = None
    attenuation_db: float | None = None
    """Average attenuation of the last CM_ATTEN_CHAR.IND."""
    matched: bool = False
    """A CM_SLAC_MATCH.CNF was seen."""
    first_frame: int = 0
    last_frame: int = 0


@dataclass(frozen=True, slots=True)
class Ending(_Json):
    """How a session ended: ``SessionStop``, ``TCP FIN``, ``TCP RST``, ``silence`` or ``capture end``."""

    kind: str
    detail: str
    frame: int
    time: float


@dataclass(frozen=True, slots=True)
class TlsPosture(_Json):
    """What the EV asked for in SDP, what the SECC answered, and the TLS handshake seen."""

    ev_requests: tuple[str, ...] = ()
    """Security of each SDPRequest in order, repeats folded (``"TLS"``, ``"no TLS"``)."""
    secc_answer: str | None = None
    """Security of the last SDPResponse."""
    version: str | None = None
    """Negotiated TLS version (ServerHello), if a handshake was seen."""
    cipher: str | None = None
    decryptable: bool | None = None
    """``None`` without TLS; otherwise whether V2G messages were decrypted."""
    alerts: tuple[str, ...] = ()
    findings: tuple[Finding, ...] = ()
    """The -20 transport findings (rules ``tls.iso20-offer``/``tls.iso20-select``); also in ``Session.findings``."""

    @property
    def ev_asked_tls(self) -> bool | None:
        return None if not self.ev_requests else "TLS" in self.ev_requests

    @property
    def summary(self) -> str:
        asked = {None: "no SDP", True: "EV asks TLS", False: "EV asks no TLS"}[self.ev_asked_tls]
        parts = [asked]
        if self.secc_answer:
            parts.append(f"SECC {self.secc_answer}")
        if self.version:
            parts.append(f"{self.version} {self.cipher or ''}".strip())
            parts.append("decrypted" if self.decryptable else "not decryptable")
        return ", ".join(parts)


SERIES_FIELDS = (
    "ev_target_voltage", "ev_target_current", "ev_target_power", "ev_present_voltage", "ev_present_power",
    "evse_present_voltage", "evse_present_current", "evse_present_power", "soc",
    "ev_max_voltage", "ev_max_current", "ev_max_power", "evse_max_voltage", "evse_max_current",
    "evse_max_power", "ev_max_discharge_power", "evse_max_discharge_power",
    "ev_max_discharge_current", "evse_max_discharge_current",
)
"""Series value names (volts, amperes, watts, percent)."""


@dataclass(frozen=True, slots=True)
class SeriesPoint:
    """Physical values carried by one message (``None`` where the message has none)."""

    time: float
    frame: int
    message: str
    values: tuple[tuple[str, float], ...]
    """(name, value) pairs; names from ``SERIES_FIELDS``."""

    def get(self, name: str) -> float | None:
        for key, value in self.values:
            if key == name:
                return value
        return None

    def to_json(self) -> dict[str, Any]:
        return {"time": round(self.time, 6), "frame": self.frame, "message": self.message, **dict(self.values)}


@dataclass(frozen=True, slots=True)
class Bpt(_Json):
    """Bidirectional power transfer: what was offered, chosen and seen flowing."""

    outcome: str
    """One of ``BPT_OUTCOMES``."""
    non_standard_discharge: bool = False
    """DIN/ISO-2 session in which energy flowed from the vehicle anyway (negative current or power)."""
    offered_services: tuple[int, ...] = ()
    """ISO 15118-20 energy transfer ServiceIDs in ServiceDiscoveryRes."""
    selected_service: int | None = None
    parameters: tuple[tuple[str, int | str], ...] = ()
    """ServiceDetailRes parameters of the selected parameter set (ControlMode, BPTChannel ...)."""
    control_mode: str | None = None
    """``Scheduled`` or ``Dynamic``, from the charge-loop messages."""
    channel: str | None = None
    """PowerDeliveryReq BPT_ChannelSelection (``Charge``/``Discharge``)."""
    discharge_limits: tuple[tuple[str, float], ...] = ()
    min_current: float | None = None
    """Lowest present current (EVSE present) of the charge loop, amperes."""
    min_power: float | None = None
    """Lowest present power (EVSE or EV present) of the charge loop, watts."""
    evidence: tuple[Evidence, ...] = ()


@dataclass(frozen=True, slots=True)
class Session:
    """One charging session: SLAC, SDP, TCP/TLS connections and the V2G messages of one SessionID."""

    id: int
    """1-based within a capture."""
    capture: str | None
    vehicle: Vehicle
    charger: Charger
    protocol: str | None
    """Negotiated schema (``din``, ``iso2``, ``iso20-dc`` ...) or ``None``."""
    negotiated_namespace: str | None
    sap_offers: tuple[SapOffer, ...]
    """The EV's offers in priority order (of the handshake that decided the session)."""
    sap_response_code: str | None
    handshakes: tuple[Handshake, ...]
    session_id: str | None
    slac: Slac | None
    streams: tuple[int, ...]
    phases: tuple[Phase, ...]
    failures: tuple[Failure, ...]
    ended_by: Ending | None
    """``None`` while the session is still open (live)."""
    bpt: Bpt
    tls: TlsPosture
    series: tuple[SeriesPoint, ...]
    evidence: tuple[Evidence, ...]
    first_frame: int
    last_frame: int
    start: float
    end: float
    energy_transfer: str | None = None
    """``AC``, ``DC``, ``WPT`` ... when the messages tell."""
    authorization: str | None = None
    """``EIM`` or ``PnC`` (Contract/ExternalPayment in ISO-2 terms) when the messages tell."""
    notes: tuple[str, ...] = field(default=())
    pnc: PncSection | None = None
    """Plug & Charge checks (chains, signatures, contract ID), when the session carried any."""
    findings: tuple[Finding, ...] = field(default=())
    """What broke which rule in this session, in frame order (``v2gsniff.sniffer.findings``);
    ``failures`` are derived from them."""

    @property
    def duration(self) -> float:
        return self.end - self.start

    @property
    def protocol_name(self) -> str:
        """The negotiated protocol in the one spelling used everywhere (``DIN``, ``ISO-20-DC``), or ``-``."""
        if self.negotiated_namespace:
            return short_name(self.negotiated_namespace)
        return SCHEMA_SHORT_NAMES.get(self.protocol or "", self.protocol or "-")

    @property
    def last_phase(self) -> str | None:
        return self.phases[-1].name if self.phases else None

    @property
    def furthest_phase(self) -> str | None:
        from .phases import rank

        return max((p.name for p in self.phases), key=rank, default=None)

    @property
    def bpt_outcome(self) -> str:
        return self.bpt.outcome

    @property
    def non_standard_discharge(self) -> bool:
        return self.bpt.non_standard_discharge

    @property
    def first_failure(self) -> Failure | None:
        return self.failures[0] if self.failures else None

    def phase_time(self, name: str) -> float | None:
        """Total seconds spent in phase ``name`` (``None`` if never reached)."""
        spans = [p.duration for p in self.phases if p.name == name]
        return sum(spans) if spans else None

    def phase_completed(self, name: str) -> bool | None:
        """Whether phase ``name`` finished: every stretch answered OK and the session went on to a
        later step (SessionStop or WeldingDetection right after it ends an abort, not a success);
        ``None`` when the phase was never reached."""
        from .phases import rank

        stretches = [i for i, p in enumerate(self.phases) if p.name == name]
        if not stretches:
            return None
        if not all(self.phases[i].ok for i in stretches):
            return False
        return any(rank(p.name) > rank(name) and p.name not in ("WeldingDetection", "SessionStop")
                   for p in self.phases[stretches[0] + 1:])

    def to_json(self, series: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "capture": self.capture,
            "first_frame": self.first_frame,
            "last_frame": self.last_frame,
            "start": round(self.start, 6),
            "end": round(self.end, 6),
            "duration": round(self.duration, 6),
            "vehicle": self.vehicle.to_json(),
            "charger": self.charger.to_json(),
            "protocol": self.protocol,
            "negotiated_namespace": self.negotiated_namespace,
            "sap_offers": [o.to_json() for o in self.sap_offers],
            "sap_response_code": self.sap_response_code,
            "handshakes": [h.to_json() for h in self.handshakes],
            "session_id": self.session_id,
            "energy_transfer": self.energy_transfer,
            "authorization": self.authorization,
            "slac": self.slac.to_json() if self.slac else None,
            "streams": list(self.streams),
            "phases": [p.to_json() for p in self.phases],
            "last_phase": self.last_phase,
            "furthest_phase": self.furthest_phase,
            "failures": [f.to_json() for f in self.failures],
            "ended_by": self.ended_by.to_json() if self.ended_by else None,
            "bpt_outcome": self.bpt.outcome,
            "non_standard_discharge": self.bpt.non_standard_discharge,
            "bpt": self.bpt.to_json(),
            "tls": {**self.tls.to_json(), "ev_asked_tls": self.tls.ev_asked_tls},
            "evidence": [e.to_json() for e in self.evidence],
            "notes": list(self.notes),
            "pnc": self.pnc.to_json() if self.pnc is not None else None,
            "findings": [f.to_json() for f in self.findings],
        }
        if series:
            out["series"] = [p.to_json() for p in self.series]
        return out
