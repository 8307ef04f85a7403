"""Sequence rules: the message order each standard allows, per TCP connection, and SessionID use."""

from __future__ import annotations

from .model import Finding, Rule
from .view import Message

FIRST_REQUEST = Rule("sequence.first-request", "error", "ev",
                     "DIN SPEC 70121 / ISO 15118-2 / -20 message sequence: SessionSetup follows the handshake",
                     "The first request after SupportedAppProtocol is not SessionSetupReq")
REQUEST_BEFORE_RESPONSE = Rule("sequence.request-before-response", "error", "ev",
                               "V2G is strictly request/response: one request outstanding at a time",
                               "The EV sent a request before the previous one was answered")
RESPONSE_WITHOUT_REQUEST = Rule("sequence.response-without-request", "error", "evse",
                                "V2G is strictly request/response: a response answers the open request",
                                "The SECC sent a response with no request open")
RESPONSE_MISMATCH = Rule("sequence.response-mismatch", "error", "evse",
                         "a response must be the one of the open request",
                         "The SECC answered a request with another message's response")
NO_RESPONSE = Rule("sequence.no-response", "error", "evse",
                   "every request gets its response within V2G_EVCC_Msg_Timeout",
                   "A request was never answered although the capture goes on")
SESSION_ID = Rule("sequence.session-id", "error", "unknown",
                  "the SessionID the SECC assigns in SessionSetupRes is used by both sides until SessionStop",
                  "A message carries another SessionID than the one the SECC assigned")
PHASE_ORDER = Rule("sequence.phase-order", "error", "ev",
                   "DIN SPEC 70121 / ISO 15118-2 / -20 phase order (parameters, cable check, pre-charge, "
                   "power delivery, charge loop)",
                   "A phase started before the phase the standard puts before it")
REPEATED_REQUEST = Rule("sequence.repeated-request", "warning", "ev",
                        "one-shot setup requests are sent once per session unless they failed",
                        "A setup request was repeated after a successful answer")
RULES = (FIRST_REQUEST, REQUEST_BEFORE_RESPONSE, RESPONSE_WITHOUT_REQUEST, RESPONSE_MISMATCH, NO_RESPONSE,
         SESSION_ID, PHASE_ORDER, REPEATED_REQUEST)

# phase -> phases one of which must come first on the connection (DC: CableCheck before PreCharge ...)
_BEFORE = {
    "CableCheck": ("ChargeParameterDiscovery",),
    "PreCharge": ("CableCheck",),
    "ChargeLoop": ("PowerDelivery",),
    "WeldingDetection": ("PowerDelivery",),
}
_ONE_SHOT = frozenset({"supportedAppProtocol", "SessionSetup", "ServiceDiscovery", "ServicePaymentSelection",
                       "PaymentServiceSelection", "ServiceSelection", "AuthorizationSetup"})


class Sequence:
    """Order of one TCP connection's messages. Mutable."""

    __slots__ = ("pending", "session_id", "handshake_done", "setup_seen", "phases", "answered_ok",
                 "stopped", "requests", "failed")

    def __init__(self) -> None:
        self.pending: Message | None = None
        self.session_id: str | None = None
        self.handshake_done = False
        self.setup_seen = False
        self.phases: set[str] = set()
        self.answered_ok: set[str] = set()
        self.stopped = False
        self.requests = 0
        self.failed = False

    def message(self, m: Message) -> list[Finding]:
        if m.quiet:
            # the charge loop's short way: a request while none is open, in a phase already begun,
            # or the answer to the open request, with the assigned SessionID, breaks nothing here
            sid, assigned = m.session_id, self.session_id
            if sid is None or not assigned or sid == assigned:
                if m.is_request:
                    if self.pending is None and m.phase in self.phases and (self.setup_seen or not self.handshake_done):
                        self.pending = m
                        self.requests += 1
                        return []
                elif (p := self.pending) is not None and p.stem == m.stem:
                    self.pending = None
                    self.answered_ok.add(m.stem)
                    return []
        out: list[Finding] = []
        if m.is_request:
            if self.pending is not None:
                open_req = self.pending
                out.append(REQUEST_BEFORE_RESPONSE.finding(
                    f"{m.name} sent while {open_req.name} (frame {open_req.frame}) is unanswered", m.frame,
                    m.time, message=m.name, evidence=(open_req.frame, m.frame)))
            if self.handshake_done and not self.setup_seen and m.stem != "SessionSetup" \
                    and m.name != "supportedAppProtocolReq":
                out.append(FIRST_REQUEST.finding(f"{m.name} is the first request after the handshake",
                                                 m.frame, m.time, message=m.name))
            if m.stem == "SessionSetup":
                self.setup_seen = True
            phase = m.phase
            if phase in _BEFORE and phase not in self.phases and self.setup_seen \
                    and not any(b in self.phases for b in _BEFORE[phase]):
                out.append(PHASE_ORDER.finding(f"{m.name} before any {' or '.join(_BEFORE[phase])} request",
                                               m.frame, m.time, message=m.name))
            if m.stem in _ONE_SHOT and m.stem in self.answered_ok:
                out.append(REPEATED_REQUEST.finding(f"{m.name} repeated after a successful {m.stem}Res",
                                                    m.frame, m.time, message=m.name))
            if phase is not None:
                self.phases.add(phase)
            self.pending = m
            self.requests += 1
        elif m.is_response:
            p = self.pending
            if p is None and self.requests:  # before any request the capture may have started mid-stream
                out.append(RESPONSE_WITHOUT_REQUEST.finding(f"{m.name} answers no open request", m.frame, m.time,
                                                            message=m.name))
            elif p is not None and p.stem != m.stem:
                out.append(RESPONSE_MISMATCH.finding(f"{m.name} answers {p.name} (frame {p.frame})", m.frame,
                                                     m.time, message=m.name, evidence=(p.frame, m.frame)))
            self.pending = None
            code = m.response_code
            if code is None or code.upper().startswith("OK"):
                self.answered_ok.add(m.stem)
            elif code.upper().startswith("FAILED"):
                self.failed = True
            if m.name == "supportedAppProtocolRes":
                self.handshake_done = True
            if m.stem == "SessionSetup" and m.session_id and set(m.session_id) - {"0"}:
                self.session_id = m.session_id
                return out
            if m.stem == "SessionStop":
                self.stopped = True
        sid, assigned = m.session_id, self.session_id
        if assigned and sid is not None and sid != assigned and m.stem != "SessionSetup":
            who = "EV" if m.from_ev else "SECC"
            out.append(SESSION_ID.finding(f"{who} uses SessionID {sid} in {m.name}; the SECC assigned {assigned}",
                                          m.frame, m.time, message=m.name, path=_sid_path(m),
                                          side="ev" if m.from_ev else "evse"))
        return out

    def unanswered(self, now: float, grace: float, closed_at: int | None = None) -> list[Finding]:
        """The open request, if the capture went on ``grace`` seconds past it without an answer
        (``closed_at``: the frame of the FIN/RST that ended the connection meanwhile)."""
        p = self.pending
        if p is None or now - p.time < grace:
            return []
        self.pending = None
        if closed_at is not None and self.failed:
            return []  # after a FAILED response the SECC ends the session: a request then goes unanswered
        how = (f"the connection closes at frame {closed_at} without it" if closed_at is not None
               else f"none in the {now - p.time:.1f} s the capture goes on")
        return [NO_RESPONSE.finding(f"{p.name} got no response: {how}", p.frame, p.time, message=p.name,
                                    evidence=(p.frame,) if closed_at is None else (p.frame, closed_at))]

    def abandoned(self) -> None:
        """The EV closed the connection before its timeout ran out: its own choice, nobody's fault."""
        self.pending = None


def _sid_path(m: Message) -> str:
    return "/V2G_Message/Header/SessionID" if m.schema in ("din", "iso2") else f"/{m.name}/Header/SessionID"
