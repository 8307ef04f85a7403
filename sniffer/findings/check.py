"""The findings check: fed records in capture order, it says what broke which rule, as it happens.

``FindingsCheck`` is sans-io and plugs into any record loop: ``feed(record)`` returns the findings
that record makes evident (each about that frame or an earlier one), ``finish()`` those only the
end of the capture can settle.  Record-level rules (schema, sequence, timing, values, response
codes, SLAC timers) run here per TCP connection; rules about a whole session (TLS posture, a
discharge in a protocol without BPT, SLAC without a match) run in ``session_findings`` on the
session the tracker built. A TCP gap restarts its connection's order, timing and value state
(``sequence.capture-gap`` says so): what the capture lost is nobody's fault.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from v2gsniff.dissectors.exi import NAMESPACES
from v2gsniff.sniffer.analysis.visibility import VisibilityCheck
from v2gsniff.sniffer.model import Record
from v2gsniff.sniffer.sessions.body import Message as BodyMessage
from v2gsniff.sniffer.sessions.series import Values as SeriesValues

from . import codes, schema
from .cp import CpTimers
from .link import Slac, visibility_finding
from .model import Finding, RuleSet
from .registry import default_rules
from .sequence import CAPTURE_GAP, Sequence
from .timing import MSG_TIMEOUT, Timing, communication_setup, family
from .values import Values
from .view import Message, Views

NO_RESPONSE_GRACE = 2.0
"""An open request at the end of the capture counts as unanswered only if the capture went on this
long after it (V2G_EVCC_Msg_Timeout of most messages): a capture cut right after a request says
nothing about the answer.  A connection closing on an open request settles it at once."""


class _Connection:
    """Everything known about one TCP connection's V2G conversation. Mutable."""

    __slots__ = ("offers", "negotiated", "family", "sequence", "timing", "values", "last_time", "closes")

    def __init__(self) -> None:
        self.offers: dict[int, str] = {}
        self.negotiated: str | None = None
        self.family: str | None = None
        """Timing family (din, iso2, iso20) of the negotiated set, once the handshake is seen."""
        self.sequence = Sequence()
        self.timing = Timing()
        self.values = Values()
        self.last_time = 0.0
        self.closes: list[tuple[int, float, bool]] = []
        """(frame, time, by the EV) of each FIN/RST of the connection. Judged at the end against the
        request still open then: the FIN of a segment that acknowledges bytes behind a hole comes
        before the messages the reassembler still holds, so the request open when it comes may not
        be the one open when it was sent."""

    def restart(self) -> None:
        """The capture lost bytes of the connection (in clear or in TLS, which is followed on past
        them): judge what follows afresh."""
        self.sequence.restart()
        self.values.restart()
        self.timing.restart()


class FindingsCheck:
    """Record-level findings of one capture. Mutable; one per capture.

    ``rules`` limits which rules report (``RuleSet`` of the enabled ones; default: all);
    ``values_of`` and ``messages_of`` share the session tracker's ``series_values`` and
    ``message_of`` memos, so a body is read once for both."""

    def __init__(self, rules: RuleSet | None = None, values_of: Callable[[Any], SeriesValues] | None = None,
                 messages_of: Callable[[Any], BodyMessage | None] | None = None) -> None:
        self.rules = rules if rules is not None else default_rules()
        self._enabled = {r.id for r in self.rules}
        self.visibility = VisibilityCheck()
        """The bystander-modem check (its results become ``link.*`` findings at ``finish``)."""
        self._views = Views(values_of, messages_of)
        self._slac = Slac()
        self._cp = CpTimers()
        self._connections: dict[int, _Connection] = {}
        self._closing: list[int] = []
        self._matched: tuple[int, float] | None = None
        """The last SLAC match not yet followed by a SessionSetupRes (communication setup runs)."""
        self._now = 0.0
        self.findings: list[tuple[int | None, Finding]] = []
        """Every finding so far with the TCP stream it belongs to (``None``: link-level)."""

    def feed(self, record: Record) -> list[Finding]:
        self.visibility.add(record)
        if record.time > self._now:
            self._now = record.time
        kind = record.kind
        if kind == "v2g":
            m = self._views.of(record)
            if m is None:
                return []
            found = self._message(m)
            return self._keep(m.stream, found) if found else found  # nearly always nothing
        if kind == "homeplug":
            if record.name == "CM_SLAC_MATCH.CNF":
                self._matched = (record.frame, record.time)
            if record.fields and "cp_state" in record.fields:  # a test system's control-pilot indication
                return self._keep(self._cp.stream, self._cp.record(record))
            return self._keep(None, self._slac.record(record))
        if kind == "gap":
            return self._gap(record)
        if kind == "tcp" and ("RST" in record.name or "FIN" in record.name):
            # a connection that closes on an open request may still carry its answer (a late
            # response often rides with the charger's own FIN): settled at the end
            stream = record.extra.get("stream")
            conn = self._connections.get(stream) if isinstance(stream, int) else None
            if conn is not None and isinstance(stream, int):
                if not conn.closes:
                    self._closing.append(stream)
                conn.closes.append((record.frame, record.time, record.extra.get("dir") == "ev->evse"))
        return []

    def _gap(self, record: Record) -> list[Finding]:
        """Bytes the capture lost. The reassembler holds both directions until it gives them up, so the
        gap comes before everything sent after the loss: from there the connection is judged afresh."""
        stream = record.extra.get("stream")
        if not isinstance(stream, int):
            return []
        conn = self._connections.get(stream)
        if conn is None:
            return []  # no V2G message on it yet: nothing judged that the loss could mislead
        conn.restart()
        who = "the EV" if record.extra.get("dir") == "ev->evse" else "the charger"
        fields = record.fields
        tls = "TLS " if record.extra.get("tls") else ""
        return self._keep(stream, [CAPTURE_GAP.finding(
            f"the capture lost {fields.get('missing_bytes')} bytes {who} sent on {tls}stream {stream} (offset "
            f"{fields.get('stream_offset')}): order and timing are judged afresh after them", record.frame,
            record.time)])

    def _settle(self) -> list[Finding]:
        out: list[Finding] = []
        for stream in self._closing:
            conn = self._connections[stream]
            pending = conn.sequence.pending
            if pending is None:
                continue
            # the first FIN/RST after the open request (a FIN in the request's own frame comes before it)
            close = next((c for c in conn.closes if c[0] > pending.frame), None)
            if close is None:
                continue
            at, when, by_ev = close
            if by_ev and when - pending.time < NO_RESPONSE_GRACE:
                conn.sequence.abandoned()  # the EV gave up before its own timeout: its choice
            else:
                out += self._keep(stream, conn.sequence.unanswered(when, 0.0, at))
        return out

    def finish(self) -> list[Finding]:
        out: list[Finding] = self._settle() if self._closing else []
        for stream, conn in self._connections.items():
            fam = family(conn.negotiated)
            out += self._keep(stream, conn.sequence.unanswered(self._now, NO_RESPONSE_GRACE))
            out += self._keep(stream, conn.timing.close(fam, conn.last_time))
        for v in self.visibility.findings():
            out += self._keep(v.stream, [visibility_finding(v)])
        return out

    def _keep(self, stream: int | None, found: list[Finding]) -> list[Finding]:
        if not found:
            return found
        kept = [f for f in found if f.rule in self._enabled]
        self.findings.extend((stream, f) for f in kept)
        return kept

    def _message(self, m: Message) -> list[Finding]:
        conn = self._connections.get(m.stream)
        if conn is None:
            conn = self._connections[m.stream] = _Connection()
        conn.last_time = m.time
        if m.name == "supportedAppProtocolReq":
            conn.offers = _offers(m.content)
        elif m.name == "supportedAppProtocolRes":
            ns = conn.offers.get(m.content.get("SchemaID"))  # type: ignore[arg-type]
            conn.negotiated = NAMESPACES.get(ns) if ns else None
            conn.family = family(conn.negotiated)
        fam = conn.family or _FAMILIES.get(m.schema or "")
        # the schema and code rules only have something to say about a few messages: ask them then
        request = conn.sequence.pending
        out = conn.sequence.message(m)
        if m.payload_type is not None:
            out += conn.sequence.payload_type(m)
        if m.violations or m.name == "supportedAppProtocolReq" or (
                conn.family is not None and _FAMILIES.get(m.schema or "", conn.family) != conn.family):
            out += schema.check(m, conn.negotiated)
        code = m.response_code
        if code is not None and not code.startswith(("OK", "Ok")):
            out += codes.check(m)
        if fam in MSG_TIMEOUT:
            out += conn.timing.message(m, fam)
        if m.values or m.stem == "PowerDelivery":
            out += conn.values.message(m)
        if m.stem == "PowerDelivery" and m.is_response and (code is None or code.startswith(("OK", "Ok"))) \
                and request is not None and request.stem == "PowerDelivery":
            self._cp.power_delivery(request, m)
        if self._matched is not None and m.stem == "SessionSetup" and m.is_response:
            out += communication_setup(self._matched, m)
            self._matched = None
        return out


_FAMILIES = {s: family(s) for s in ("din", "iso2", "iso20-cm", "iso20-ac", "iso20-dc", "iso20-wpt", "iso20-acdp")}


def _offers(content: Any) -> dict[int, str]:
    from v2gsniff.sniffer.sessions.body import as_list

    out: dict[int, str] = {}
    for x in as_list(content.get("AppProtocol")):
        if isinstance(x, dict) and isinstance(x.get("SchemaID"), int):
            out[x["SchemaID"]] = str(x.get("ProtocolNamespace"))
    return out
