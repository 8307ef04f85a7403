"""Link rules: SLAC timers (ISO 15118-3), TLS posture of -20 sessions, and what the capture cannot see."""

from __future__ import annotations

from v2gsniff.sniffer.analysis.visibility import VisibilityFinding
from v2gsniff.sniffer.model import Record

from .model import Finding, Rule

ISO20_OFFER_WITHOUT_TLS13 = Rule("tls.iso20-offer", "error", "ev", "[V2G20-1237]",
                                 "The EV offers ISO 15118-20 over plain TCP or TLS older than 1.3")
ISO20_SELECT_WITHOUT_TLS13 = Rule("tls.iso20-select", "error", "evse", "[V2G20-2356]",
                                  "The SECC selects ISO 15118-20 over plain TCP or TLS older than 1.3")
SDP_SECURITY = Rule("sequence.sdp-security", "error", "ev",
                    "SDP: the EV connects with the security (TLS or not) the SECC's SDP response announced",
                    "The connection does not use the security the SDP response announced")
SLAC_RESPONSE = Rule("timing.slac-response", "warning", "unknown",
                     "TT_match_response 200 ms (ISO 15118-3; pyslac, EVerest libslac, ISO 15118-3 test env.)",
                     "A SLAC request or indication was answered after TT_match_response")
SLAC_MATCHING = Rule("timing.slac-matching", "warning", "unknown",
                     "TT_matching_repetition 10 s (ISO 15118-3; pyslac, libslac), counted from the first "
                     "answered CM_SLAC_PARM.REQ (requests the EVSE ignores while not ready are not a run) of an "
                     "attempt (a new CM_SLAC_PARM.REQ after 10 s of quiet starts another)",
                     "SLAC took longer than TT_matching_repetition to match")
NO_SLAC_MATCH = Rule("link.no-slac-match", "error", "unknown",
                     "ISO 15118-3: a SLAC run ends in CM_SLAC_MATCH.CNF before any IP traffic",
                     "SLAC started but never matched")
SLAC_ONLY = Rule("link.slac-only", "info", "unknown",
                 "a third modem sees only SLAC and broadcasts (HomePlug unicast is not passed to it)",
                 "The capture sees only SLAC: the session itself is invisible from here")
ONE_DIRECTION = Rule("link.one-direction", "info", "unknown",
                     "a bystander modem sees at most stray frames of one direction",
                     "The capture sees only one direction of a TCP connection")
RULES = (ISO20_OFFER_WITHOUT_TLS13, ISO20_SELECT_WITHOUT_TLS13, SDP_SECURITY, SLAC_RESPONSE, SLAC_MATCHING,
         NO_SLAC_MATCH, SLAC_ONLY, ONE_DIRECTION)

TT_MATCH_RESPONSE = 0.2
TT_MATCHING_REPETITION = 10.0
# request/indication -> its answer, and who answers (ISO 15118-3 Figure A.x message pairs)
_ANSWERS = {"CM_SLAC_PARM.REQ": ("CM_SLAC_PARM.CNF", "evse"), "CM_ATTEN_CHAR.IND": ("CM_ATTEN_CHAR.RSP", "ev"),
            "CM_SLAC_MATCH.REQ": ("CM_SLAC_MATCH.CNF", "evse"), "CM_VALIDATE.REQ": ("CM_VALIDATE.CNF", "evse")}
_ANSWER_OF = {answer: (ask, side) for ask, (answer, side) in _ANSWERS.items()}


class Slac:
    """SLAC timers over the capture's HomePlug records. Mutable."""

    __slots__ = ("asked", "first_parm", "fired", "last_parm")

    def __init__(self) -> None:
        self.asked: dict[str, Record] = {}
        self.first_parm: Record | None = None
        self.fired: set[str] = set()
        self.last_parm = 0.0

    def record(self, r: Record) -> list[Finding]:
        name = r.name
        out: list[Finding] = []
        if name in _ANSWERS:
            self.asked[name] = r  # a retry restarts the clock
            if name == "CM_SLAC_PARM.REQ":
                if r.time - self.last_parm > TT_MATCHING_REPETITION:
                    self.first_parm = None  # a quiet spell this long ends the window: a new attempt
                self.last_parm = r.time
        elif name in _ANSWER_OF:
            ask, side = _ANSWER_OF[name]
            first = self.asked.pop(ask, None)
            if first is not None:
                if name == "CM_SLAC_PARM.CNF" and self.first_parm is None:
                    self.first_parm = first
                took = r.time - first.time
                if took > TT_MATCH_RESPONSE + 0.01 and name not in self.fired:
                    self.fired.add(name)
                    out.append(SLAC_RESPONSE.finding(f"{name} {took * 1000:.0f} ms after {ask} "
                                                     f"(TT_match_response {TT_MATCH_RESPONSE * 1000:.0f} ms)",
                                                     r.frame, r.time, message=name, side=side,
                                                     evidence=(first.frame, r.frame)))
            if name == "CM_SLAC_MATCH.CNF":
                start, self.first_parm = self.first_parm, None
                if start is not None and r.time - start.time > TT_MATCHING_REPETITION + 0.25:
                    out.append(SLAC_MATCHING.finding(f"{r.time - start.time:.1f} s from the first answered "
                                                     "CM_SLAC_PARM.REQ to CM_SLAC_MATCH.CNF", r.frame, r.time, message=name,
                                                     evidence=(start.frame, r.frame)))
        return out


def visibility_finding(v: VisibilityFinding) -> Finding:
    """A visibility check result as a finding of this family (same meaning, same text)."""
    rule = SLAC_ONLY if v.kind == "slac-only" else ONE_DIRECTION
    return rule.finding(v.message, v.frame, v.time)
