"""Sequence rules: the message order each standard allows, per TCP connection, and SessionID use."""

from __future__ import annotations

from .grammar import STANDARDS, allowed_after, energy_mode, stops
from .model import Finding, Rule
from .view import PAYLOAD_TYPE_OF, Message

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
                   "message sequence of DIN SPEC 70121 (DC), ISO 15118-2 and ISO 15118-20 (AC and DC): which request "
                   "may follow the previous one (findings/grammar.py lists them per standard)",
                   "A request the standard does not allow after the previous one (a phase skipped or out of order)")
REPEATED_REQUEST = Rule("sequence.repeated-request", "warning", "ev",
                        "one-shot setup requests are sent once per session unless they failed",
                        "A setup request was repeated after a successful answer")
PAYLOAD_TYPE = Rule("sequence.payload-type", "error", "unknown",
                    "ISO 15118-20 V2GTP header: the payload type names the message set (0x8001 SupportedAppProtocol, "
                    "0x8002 CommonMessages, 0x8003 AC, 0x8004 DC, 0x8005 ACDP, 0x8006 WPT; DIN SPEC 70121 and "
                    "ISO 15118-2 use 0x8001); a receiver picks the schema by it",
                    "A message sent with another message set's V2GTP payload type")
CAPTURE_GAP = Rule("sequence.capture-gap", "info", "unknown",
                   "a request, a response or a wait may hide in bytes the capture lost: the connection's order, "
                   "timing and value checks start afresh after them",
                   "The capture lost bytes of a V2G connection: its order and timing are judged afresh from there")
RULES = (FIRST_REQUEST, REQUEST_BEFORE_RESPONSE, RESPONSE_WITHOUT_REQUEST, RESPONSE_MISMATCH, NO_RESPONSE,
         SESSION_ID, PHASE_ORDER, REPEATED_REQUEST, PAYLOAD_TYPE, CAPTURE_GAP)

_ONE_SHOT = frozenset({"supportedAppProtocol", "SessionSetup", "ServiceDiscovery", "ServicePaymentSelection",
                       "PaymentServiceSelection", "ServiceSelection", "AuthorizationSetup"})


class Sequence:
    """Order of one TCP connection's messages. Mutable."""

    __slots__ = ("pending", "session_id", "handshake_done", "setup_seen", "answered_ok", "stopped", "requests",
                 "failed", "wrong_types", "last", "mode", "delivered", "misordered")

    def __init__(self) -> None:
        self.pending: Message | None = None
        self.session_id: str | None = None
        self.handshake_done = False
        self.setup_seen = False
        self.answered_ok: set[str] = set()
        self.stopped = False
        self.requests = 0
        self.failed = False
        self.wrong_types: set[tuple[str, str | None]] = set()
        """(payload type, message set) pairs already reported: once per pair and connection."""
        self.last: str | None = None
        """Stem of the last request answered OK (what the grammar judges the next request by)."""
        self.mode: str | None = None
        """``AC``/``DC``: the energy transfer the EV asked for."""
        self.delivered = False
        """A PowerDelivery request came: a renegotiation may go straight back to it."""
        self.misordered: set[tuple[str, str]] = set()
        """(previous, next) request stems already reported out of order."""

    def message(self, m: Message) -> list[Finding]:
        if m.quiet:
            # the charge loop's short way: a request while none is open, in a phase already begun,
            # or the answer to the open request, with the assigned SessionID, breaks nothing here
            sid, assigned = m.session_id, self.session_id
            if sid is None or not assigned or sid == assigned:
                if m.is_request:
                    if self.pending is None and (self.last == m.stem or not self.setup_seen) \
                            and (self.setup_seen or not self.handshake_done):
                        self.pending = m
                        self.requests += 1
                        return []
                elif (p := self.pending) is not None and p.stem == m.stem:
                    self.pending = None
                    self.answered_ok.add(m.stem)
                    self.last = m.stem
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
            if self.setup_seen:
                out += self._order(m)
            if m.stem in _ONE_SHOT and m.stem in self.answered_ok:
                out.append(REPEATED_REQUEST.finding(f"{m.name} repeated after a successful {m.stem}Res",
                                                    m.frame, m.time, message=m.name))
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
            # after a failure the EV should stop: what it sends then is not judged by the grammar
            self.last = m.stem if p is not None and p.stem == m.stem and (
                code is None or code.upper().startswith(("OK", "WARNING"))) else None
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

    def _order(self, m: Message) -> list[Finding]:
        """The grammar of ``m``'s standard against the last request answered OK."""
        fam = _FAMILY.get(m.schema or "")
        if m.stem == "ChargeParameterDiscovery":
            self.mode = energy_mode(m.name, m.content) or self.mode
        prev, stem = self.last, m.stem
        found: list[Finding] = []
        if fam is not None and prev is not None:
            allowed = allowed_after(fam, prev, stem, m.name, self.mode, self.delivered,
                                    stem == "PowerDelivery" and stops(m.content))
            if allowed is not None and (prev, stem) not in self.misordered:
                self.misordered.add((prev, stem))
                after = ", ".join(sorted(allowed)) or "only SessionStop"
                found.append(PHASE_ORDER.finding(
                    f"{m.name} after {prev}: {STANDARDS[fam]} allows {after} there"
                    + (f" ({self.mode} charging)" if self.mode else ""), m.frame, m.time, message=m.name))
        if stem == "PowerDelivery":
            self.delivered = True
        return found

    def payload_type(self, m: Message) -> list[Finding]:
        """``m`` came in another set's payload type (``m.payload_type``): said once per type and set."""
        key = (m.payload_type or "", m.schema)
        if m.payload_type is None or key in self.wrong_types:
            return []
        self.wrong_types.add(key)
        expected = PAYLOAD_TYPE_OF.get(m.schema or "", "?")
        return [PAYLOAD_TYPE.finding(f"{m.name} ({m.schema}) sent as V2GTP payload type {m.payload_type}; its set's "
                                     f"is {expected} (later {m.schema} messages in {m.payload_type} not repeated)",
                                     m.frame, m.time, message=m.name, side="ev" if m.from_ev else "evse")]

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

    def restart(self) -> None:
        """The capture lost bytes of the connection: the open request and the last answered one are
        unknown (the first response after it may answer a lost request). What was settled before
        stays: the SessionID, the handshake, the one-shot requests answered, the energy mode. After the
        handshake, SessionSetup may be among what was lost: the first request is not judged again."""
        self.pending = None
        self.requests = 0
        self.last = None
        self.setup_seen = self.setup_seen or self.handshake_done

    def abandoned(self) -> None:
        """The EV closed the connection before its timeout ran out: its own choice, nobody's fault."""
        self.pending = None


_FAMILY = {"din": "din", "iso2": "iso2", "iso20-cm": "iso20", "iso20-ac": "iso20", "iso20-dc": "iso20"}


def _sid_path(m: Message) -> str:
    return "/V2G_Message/Header/SessionID" if m.schema in ("din", "iso2") else f"/{m.name}/Header/SessionID"
