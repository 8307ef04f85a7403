"""Timing rules: response times, loop budgets and idle gaps against each standard's limits.

Figures are those public implementations encode (../shared/reference/timing-and-limits.md lists
them with sources: Josev, RISE-V2G, EVerest, pyPLC/ccs32clara, ISO 15118-4 test ports); where they
disagree the rule says which figure it takes.  Timestamps come from a third-party capture host, so
a tolerance is added: 0.25 s to second-scale limits and 10 ms to sub-second ones (the -3/-4 test
ports' transmission-delay allowance).
"""

from __future__ import annotations

from .model import Finding, Rule
from .view import Message

RESPONSE_TIMEOUT = Rule(
    "timing.response-timeout", "error", "evse",
    "V2G_EVCC_Msg_Timeout: DIN SPEC 70121 Table 75, ISO 15118-2 / -20 message timeout tables "
    "(2 s; 5 s ServiceDetail/CertificateInstallation/CertificateUpdate/PaymentDetails/PowerDelivery in -2; "
    "0.25 s CurrentDemand; 0.5 s -20 charge loop; figures of Josev and RISE-V2G). The charge-loop figures "
    "are warnings: EV stacks (pyPLC, ccs32clara) wait up to 5 s there and cars keep charging",
    "A response came after the EV's message timeout (reported once per message type and connection)")
PERFORMANCE = Rule(
    "timing.performance", "warning", "evse",
    "V2G_SECC_Msg_Performance_Time: 1.5 s, 4.5 s PowerDelivery/CertificateInstallation/ServiceDetail, "
    "0.25 s -20 charge loop (ISO 15118-2/-20; the 25 ms -2 CurrentDemand figure is not checked: "
    "capture-host latency alone exceeds it)",
    "A response was slower than the SECC performance time")
SEQUENCE_TIMEOUT = Rule(
    "timing.sequence-timeout", "error", "ev",
    "V2G_SECC_Sequence_Timeout 60 s ([V2G2-443], [V2G-DC-432]): the EV idles, the SECC should close",
    "The EV let more than 60 s pass between a response and its next request")
LOOP_SEQUENCE = Rule(
    "timing.loop-sequence", "warning", "ev",
    "V2G_SECC_Sequence_Timeout after an AC/DC_ChargeLoopRes: 0.5 s (ISO 15118-20 Tables 216/217 as excerpted "
    "in ../shared/reference/timing-and-limits.md; EDF eVDriveFlow, Josev defines it). A warning: EVerest "
    "libiso15118 keeps 60 s there, so SECCs differ in whether they end the session",
    "The EV sent its next request more than 0.5 s after an ISO 15118-20 ChargeLoopRes")
ONGOING = Rule(
    "timing.ongoing", "error", "evse",
    "V2G_EVCC_Ongoing_Timeout 60 s ([V2G20-1582]; Josev, RISE-V2G): EVSEProcessing=Ongoing must end",
    "The SECC kept answering Ongoing for longer than the EV may wait")
# The timeout is the EV's to enforce ("the EVCC shall stop"); the SECC's own bound is tighter (its
# performance time). A session whose EV went on to PreCharge did not fail: the SECC was slow, a
# warning. One whose EV then gave up (SessionStop, stop, silence) failed by it: an error.
CABLE_CHECK = Rule(
    "timing.cable-check", "error", "evse",
    "V2G_EVCC_CableCheck_Timeout 40 s (DIN SPEC 70121 Table 77, ISO 15118-2/-20; Josev, RISE-V2G), first "
    "CableCheckReq to last CableCheckRes; a warning when the EV goes on to PreCharge after it",
    "CableCheck took longer than the EV may wait")
PRE_CHARGE = Rule(
    "timing.pre-charge", "error", "both",
    "V2G_EVCC_PreCharge_Timeout 7 s (DIN SPEC 70121 Table 77, ISO 15118-2), 10 s (-20, Josev only)",
    "PreCharge took longer than the EV may wait before PowerDelivery")
COMMUNICATION_SETUP = Rule(
    "timing.communication-setup", "error", "unknown",
    "V2G_EVCC_CommunicationSetup_Timeout 20 s (DIN SPEC 70121, ISO 15118-2/-20; Josev, RISE-V2G), measured "
    "from CM_SLAC_MATCH.CNF (the data link is up) to SessionSetupRes; 18 s SECC performance time: a warning",
    "Communication setup (SDP, TCP, TLS, handshake, SessionSetup) took too long after the SLAC match")
RULES = (RESPONSE_TIMEOUT, PERFORMANCE, SEQUENCE_TIMEOUT, LOOP_SEQUENCE, ONGOING, CABLE_CHECK, PRE_CHARGE,
         COMMUNICATION_SETUP)

MSG_TIMEOUT: dict[str, tuple[dict[str, float], float]] = {
    "din": ({"CurrentDemand": 0.25}, 2.0),
    "iso2": ({"ServiceDetail": 5.0, "CertificateInstallation": 5.0, "CertificateUpdate": 5.0,
              "PowerDelivery": 5.0, "PaymentDetails": 5.0, "CurrentDemand": 0.25}, 2.0),
    "iso20": ({"ServiceDetail": 5.0, "CertificateInstallation": 5.0, "ChargeLoop": 0.5}, 2.0),
}
"""Family -> (per message stem, default) V2G_EVCC_Msg_Timeout, seconds."""
PERFORMANCE_TIME: dict[str, tuple[dict[str, float | None], float]] = {
    "iso2": ({"PowerDelivery": 4.5, "CertificateInstallation": 4.5, "ServiceDetail": 4.5, "PaymentDetails": 4.5,
              "CertificateUpdate": 4.5, "CurrentDemand": None}, 1.5),
    "iso20": ({"ServiceDetail": 4.5, "CertificateInstallation": 4.5, "ChargeLoop": 0.25}, 1.5),
}
"""Family -> (per stem, default) V2G_SECC_Msg_Performance_Time; None: not checked. DIN states none."""
COMMUNICATION_SETUP_S = 20.0
COMMUNICATION_SETUP_PERFORMANCE_S = 18.0
SEQUENCE_TIMEOUT_S = 60.0
LOOP_SEQUENCE_S = 0.5
"""-20 V2G_SECC_Sequence_Timeout after a ChargeLoopRes (the loop's own, instead of 60 s)."""
ONGOING_TIMEOUT_S = 60.0
CABLE_CHECK_TIMEOUT_S = 40.0
PRE_CHARGE_TIMEOUT_S = {"din": 7.0, "iso2": 7.0, "iso20": 10.0}
_ONGOING_STEMS = frozenset({"ChargeParameterDiscovery", "Authorization", "ContractAuthentication",
                            "ServiceDetail", "ScheduleExchange"})


_LIMITS: dict[tuple[str, str], tuple[float, float]] = {}
"""(family, stem) -> (the shortest limit with its tolerance, the message timeout): filled on first use."""


def _limits(fam: str, stem: str) -> tuple[float, float]:
    table, default = MSG_TIMEOUT[fam]
    limit = table.get(stem, default)
    bound = limit + tolerance(limit)
    if fam in PERFORMANCE_TIME:
        perf = PERFORMANCE_TIME[fam][0].get(stem, PERFORMANCE_TIME[fam][1])
        if perf is not None:
            bound = min(bound, perf + tolerance(perf))
    return bound, limit


def _gap_bound(fam: str | None, stem: str) -> float:
    """The longest the EV may wait after a response of ``stem`` (with tolerance) without a finding."""
    if fam == "iso20" and stem == "ChargeLoop":
        return LOOP_SEQUENCE_S + tolerance(LOOP_SEQUENCE_S)
    return SEQUENCE_TIMEOUT_S + 0.25


def _bound(fam: str, stem: str) -> float:
    """The shortest limit (with its tolerance) a response of ``stem`` may take without a finding."""
    limits = _LIMITS.get((fam, stem))
    if limits is None:
        limits = _LIMITS[(fam, stem)] = _limits(fam, stem)
    return limits[0]


def tolerance(limit: float) -> float:
    return 0.25 if limit >= 1.0 else 0.01


def family(schema: str | None) -> str | None:
    if schema is None:
        return None
    return "iso20" if schema.startswith("iso20") else schema if schema in ("din", "iso2") else None


class Timing:
    """Clocks of one TCP connection. Mutable."""

    __slots__ = ("request", "last_response", "ongoing", "cable_check", "cable_late", "pre_charge", "fired")

    def __init__(self) -> None:
        self.request: Message | None = None
        self.last_response: Message | None = None
        self.ongoing: Message | None = None
        """First request of a run that the SECC answers Ongoing."""
        self.cable_check: Message | None = None
        self.cable_late: tuple[Message, float] | None = None
        """(CableCheckRes, elapsed) past the timeout: judged by what the EV does next."""
        self.pre_charge: Message | None = None
        self.fired: set[object] = set()

    def message(self, m: Message, fam: str | None) -> list[Finding]:
        if m.quiet:
            # the charge loop's short way: a request within the sequence timeout, or an answer
            # within the performance time (or of no request timed here), is all that happens
            if m.is_request:
                last = self.last_response
                if (last is None or m.time - last.time <= _gap_bound(fam, last.stem)) and self.cable_late is None:
                    self.request = m
                    return []
            elif m.is_response:
                req = self.request
                if req is None or fam is None or req.stem != m.stem or m.time - req.time <= _bound(fam, m.stem):
                    self.request, self.last_response = None, m
                    return []
        out: list[Finding] = []
        if m.is_request:
            last = self.last_response
            if last is not None and m.time - last.time > SEQUENCE_TIMEOUT_S + 0.25:
                out.append(SEQUENCE_TIMEOUT.finding(
                    f"{m.time - last.time:.1f} s from {last.name} to {m.name} (limit {SEQUENCE_TIMEOUT_S:.0f} s)",
                    m.frame, m.time, message=m.name, evidence=(last.frame, m.frame)))
            elif last is not None and m.time - last.time > _gap_bound(fam, last.stem) and "loop" not in self.fired:
                self.fired.add("loop")
                out.append(LOOP_SEQUENCE.finding(
                    f"{(m.time - last.time) * 1000:.0f} ms from {last.name} to {m.name} (limit "
                    f"{LOOP_SEQUENCE_S * 1000:.0f} ms); later ones not repeated", m.frame, m.time, message=m.name,
                    evidence=(last.frame, m.frame)))
            self.request = m
            if self.cable_late is not None and m.stem != "CableCheck":
                out += self._cable_late(m)
            if m.stem == "CableCheck" and self.cable_check is None:
                self.cable_check = m
            if m.stem == "PreCharge" and self.pre_charge is None:
                self.pre_charge = m
            if m.stem == "PowerDelivery" and self.pre_charge is not None:
                out += self._pre_charge(m, fam, m.time)
            return out
        if not m.is_response:
            return out
        req, self.request, self.last_response = self.request, None, m
        if req is not None and req.stem == m.stem and fam is not None:
            out += self._response_time(req, m, fam)
        processing = m.processing
        if m.stem in _ONGOING_STEMS and processing is not None:
            if not processing.startswith("Ongoing"):
                self.ongoing = None
            else:
                if self.ongoing is None or self.ongoing.stem != m.stem:
                    self.ongoing = req
                    self.fired.discard("ongoing")
                first = self.ongoing
                if first is not None and "ongoing" not in self.fired \
                        and m.time - first.time > ONGOING_TIMEOUT_S + 0.25:
                    self.fired.add("ongoing")
                    out.append(ONGOING.finding(
                        f"{m.stem} still Ongoing {m.time - first.time:.1f} s after frame {first.frame} "
                        f"(limit {ONGOING_TIMEOUT_S:.0f} s)", m.frame, m.time, message=m.name,
                        evidence=(first.frame, m.frame)))
        if m.stem == "CableCheck" and self.cable_check is not None and "cable" not in self.fired:
            elapsed = m.time - self.cable_check.time
            if elapsed > CABLE_CHECK_TIMEOUT_S + 0.25:
                self.fired.add("cable")
                self.cable_late = (m, elapsed)
        return out

    def restart(self) -> None:
        """The capture lost bytes of the connection: no clock runs across them (a lost response, or a
        lost PowerDeliveryReq, would make a wait look longer than it was). What was reported stays
        reported, and a late CableCheck is still judged by the next request."""
        self.request = self.last_response = self.ongoing = self.pre_charge = None
        if self.cable_late is None:
            self.cable_check = None

    def _cable_late(self, nxt: Message | None) -> list[Finding]:
        """The late CableCheck, now that the EV's next request (``None``: none came) shows its choice."""
        assert self.cable_late is not None and self.cable_check is not None
        res, elapsed = self.cable_late
        self.cable_late = None
        went_on = nxt is not None and nxt.stem == "PreCharge"
        if nxt is None:
            then = "no request followed"
        elif went_on:
            then = f"the EV went on with {nxt.name} (frame {nxt.frame})"
        else:
            then = f"the EV gave up ({nxt.name}, frame {nxt.frame})"
        return [CABLE_CHECK.finding(
            f"CableCheck has run {elapsed:.1f} s since frame {self.cable_check.frame} "
            f"(limit {CABLE_CHECK_TIMEOUT_S:.0f} s); {then}", res.frame, res.time, message=res.name,
            evidence=(self.cable_check.frame, res.frame) + ((nxt.frame,) if nxt is not None else ()),
            severity="warning" if went_on else None)]

    def close(self, fam: str | None, now: float) -> list[Finding]:
        """At the end: a late CableCheck nothing followed, a PreCharge that never reached PowerDelivery
        (judged against the capture's end)."""
        out = self._cable_late(None) if self.cable_late is not None else []
        if self.pre_charge is not None and "pre" not in self.fired:
            out += self._pre_charge(None, fam, now)
        return out

    def _response_time(self, req: Message, res: Message, fam: str) -> list[Finding]:
        took = res.time - req.time
        stem = req.stem
        limits = _LIMITS.get((fam, stem))
        if limits is None:
            limits = _LIMITS[(fam, stem)] = _limits(fam, stem)
        if took <= limits[0]:
            return []  # the common case: within the performance time (or the timeout, where none is set)
        limit = limits[1]
        if took > limit + tolerance(limit):
            if ("late", stem) in self.fired:
                return []
            self.fired.add(("late", stem))
            return [RESPONSE_TIMEOUT.finding(
                f"{res.name} after {took * 1000:.0f} ms (EV timeout {limit:g} s); later ones not repeated",
                res.frame, res.time, message=res.name, evidence=(req.frame, res.frame),
                severity="warning" if limit < 1.0 else None)]
        perf: float | None = None
        if fam in PERFORMANCE_TIME:
            perf_table, perf_default = PERFORMANCE_TIME[fam]
            perf = perf_table.get(stem, perf_default)
        if perf is not None and took > perf + tolerance(perf) and ("slow", stem) not in self.fired:
            self.fired.add(("slow", stem))
            return [PERFORMANCE.finding(
                f"{res.name} after {took * 1000:.0f} ms (SECC performance time {perf:g} s)", res.frame, res.time,
                message=res.name, evidence=(req.frame, res.frame))]
        return []

    def _pre_charge(self, m: Message | None, fam: str | None, now: float) -> list[Finding]:
        first = self.pre_charge
        self.pre_charge = None
        if first is None or fam is None:
            return []
        limit = PRE_CHARGE_TIMEOUT_S[fam]
        elapsed = now - first.time
        if elapsed <= limit + tolerance(limit):
            return []
        self.fired.add("pre")
        end = f"PowerDeliveryReq at frame {m.frame}" if m is not None else "the end of the capture, no PowerDelivery"
        frames = (first.frame, m.frame) if m is not None else (first.frame,)
        return [PRE_CHARGE.finding(f"{elapsed:.1f} s from the first PreChargeReq to {end} (limit {limit:g} s)",
                                   m.frame if m is not None else first.frame, now, message="PreChargeReq",
                                   evidence=frames)]


def communication_setup(matched: tuple[int, float], res: Message) -> list[Finding]:
    """SLAC match (frame, time) to the SessionSetupRes that ends communication setup."""
    took = res.time - matched[1]
    if took <= COMMUNICATION_SETUP_PERFORMANCE_S + 0.25:
        return []
    severity = "error" if took > COMMUNICATION_SETUP_S + 0.25 else "warning"
    return [COMMUNICATION_SETUP.finding(
        f"{took:.1f} s from CM_SLAC_MATCH.CNF (frame {matched[0]}) to SessionSetupRes "
        f"(limit {COMMUNICATION_SETUP_S:g} s, SECC performance {COMMUNICATION_SETUP_PERFORMANCE_S:g} s)",
        res.frame, res.time, message=res.name, evidence=(matched[0], res.frame), severity=severity)]
