"""SessionTracker: records in, charging sessions out (sans-io; the one mutable type of this package).

Grouping rules, in record order:

- SLAC messages open a session when none is open, or when the open one already carries V2G
  traffic and the SLAC run is a new one; otherwise they are a restart of the open session's SLAC.
- An SDPRequest, TLS handshake or supportedAppProtocolReq on a new connection opens a session
  when the open one already has a SessionID and has stopped or lost its connection (or, for a
  new SupportedAppProtocol, simply has a SessionID); otherwise they are retries of the open one.
- A TCP connection belongs to the session that saw its first TLS or V2G message; only those
  connections' FIN/RST are session events (chargers often open unrelated connections).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from v2gsniff.dissectors import exi
from v2gsniff.sniffer.findings.model import Finding, RuleSet
from v2gsniff.sniffer.model import Record

from .body import V2G, BodyMemo, as_list, message_of, v2g_of
from .bpt import BptSignals
from .identity import host_of, mac_from_ipv6, mac_vendor, normalise_evccid, normalise_mac
from .inventory import Inventory
from .model import (
    Charger,
    Ending,
    Evidence,
    Handshake,
    Phase,
    SapOffer,
    SeriesPoint,
    Session,
    Slac,
    Vehicle,
    short_name,
)
from .phases import SLAC_NAMES, TLS_HANDSHAKE, phase_of
from .posture import posture
from .series import SERIES_PHASES, control_mode, point, series_values

SILENCE = 10.0
"""Seconds without a message before the end of a capture that count as the session going silent."""

_ISO20_SERVICE_TRANSFER = {1: "AC", 2: "DC", 3: "WPT", 4: "DC", 5: "AC", 6: "DC", 7: "DC", 8: "DC", 9: "DC"}
_PAYMENT = {"ExternalPayment": "EIM", "Contract": "PnC", "EIM": "EIM", "PnC": "PnC"}


def is_ok(code: str) -> bool:
    """OK_* and (ISO 15118-20) WARNING_* codes: the SECC goes on (a warning is a finding, not a failure)."""
    return code.upper().startswith(("OK", "WARNING"))


@dataclass
class _Draft:
    """Everything known about one session while records arrive."""

    index: int
    first_frame: int
    start: float
    last_frame: int = 0
    end: float = 0.0
    run_ids: list[str] = field(default_factory=list)
    slac_pev: str | None = None
    slac_evse: str | None = None
    nid: str | None = None
    attenuation: float | None = None
    matched: bool = False
    slac_frames: list[int] = field(default_factory=list)
    sdp_requests: list[str] = field(default_factory=list)
    sdp_answer: str | None = None
    ev_host: str | None = None
    streams: list[int] = field(default_factory=list)
    closed: dict[int, tuple[str, str, int, float]] = field(default_factory=dict)
    main_stream: int | None = None
    tls_version: str | None = None
    tls_cipher: str | None = None
    tls_seen: bool = False
    decrypted: bool = False
    alerts: list[str] = field(default_factory=list)
    handshakes: dict[int, Handshake] = field(default_factory=dict)
    protocol: str | None = None
    negotiated: str | None = None
    sap_code: str | None = None
    decided_by: int | None = None
    session_id: str | None = None
    evccid: str | None = None
    evseid: str | None = None
    spans: list[list[Any]] = field(default_factory=list)
    first_v2g: int | None = None
    stop: tuple[str, int, float] | None = None
    stop_answered: bool = False
    bpt: BptSignals = field(default_factory=BptSignals)
    series: list[SeriesPoint] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    v2g: int = 0
    schema_seen: str | None = None
    energy: str | None = None
    auth: str | None = None
    notes: list[str] = field(default_factory=list)

    def seen(self, frame: int, time: float) -> None:
        self.last_frame = max(self.last_frame, frame)
        self.end = max(self.end, time)

    def span(self, phase: str, frame: int, time: float, ok: bool = True) -> None:
        last = self.spans[-1] if self.spans else None
        if last is not None and last[0] == phase:
            last[2], last[4], last[6] = time, frame, last[6] + 1
            last[5] = last[5] and ok
        else:
            self.spans.append([phase, time, time, frame, frame, ok, 1])

    @property
    def stopped_or_closed(self) -> bool:
        return self.stop is not None or (self.main_stream is not None and self.main_stream in self.closed)


class SessionTracker:
    """Ties SLAC, SDP, TCP/TLS and V2G records into sessions. Mutable.

    Call ``observe`` for every record in capture order; read ``sessions`` at any time (a snapshot
    of immutable ``Session`` objects, rebuilt only after a change); call ``finish`` at the end of
    the capture to settle how open sessions ended.
    """

    def __init__(self, capture: str | None = None, *, inventory: Inventory | None = None,
                 label: str | None = None, silence: float = SILENCE, rules: RuleSet | None = None) -> None:
        self.capture = capture
        self.inventory = inventory
        self.label = label
        self.silence = silence
        self.revision = 0
        """Increases whenever ``sessions`` would change."""
        self._drafts: list[_Draft] = []
        self._owner: dict[int, _Draft] = {}
        self._last: tuple[int, float] = (0, 0.0)
        self._finished = False
        self._cache: tuple[int, list[Session]] | None = None
        # Per message body: most messages repeat, and these walk the whole body.
        self._messages = BodyMemo(message_of)
        self._values = BodyMemo(series_values)
        self._modes = BodyMemo(control_mode)
        # imported here: the findings family reads sessions' body helpers, so a top-level import
        # would be circular when the findings are imported first
        from v2gsniff.sniffer.findings.check import FindingsCheck

        self.check = FindingsCheck(rules, self._values, self._messages)
        self._handlers = {"homeplug": self._slac, "sdp": self._sdp, "tcp": self._tcp, "tls": self._tls,
                          "v2g": self._v2g}
        self._taken: Record | None = None
        """The last SLAC/SDP record a session took (``session_of``)."""
        """The record-level findings (``Session.findings`` takes each session's share)."""

    # -- entry points ---------------------------------------------------------------------

    def observe(self, record: Record) -> list[Finding]:
        """Take one record; returns the findings it makes evident (``FindingsCheck.feed``)."""
        found = self.check.feed(record)
        if found:
            self.revision += 1
        if record.frame:
            self._last = (max(self._last[0], record.frame), max(self._last[1], record.time))
        kind = record.kind
        handler = self._handlers.get(kind)
        self._taken = None
        if handler is not None and handler(record):
            self.revision += 1
            if kind in ("homeplug", "sdp"):
                self._taken = record
        return found

    def session_of(self, record: Record) -> int | None:
        """The id of the session the last observed ``record`` belongs to, as far as it is known yet:
        its TCP connection's session, or for SLAC/SDP the session that took it (``None``: none)."""
        if record.kind in ("homeplug", "sdp"):
            cur = self._current
            return cur.index if self._taken is record and cur is not None else None
        extra = record.extra
        stream = extra.get("stream") if extra else None
        owner = self._owner.get(stream) if type(stream) is int else None
        return owner.index if owner is not None else None

    def finish(self) -> list[Session]:
        if not self._finished:
            self.check.finish()
        self._finished = True
        self.revision += 1
        return self.sessions

    @property
    def sessions(self) -> list[Session]:
        if self._cache is None or self._cache[0] != self.revision:
            self._cache = (self.revision, [self._freeze(i, d) for i, d in enumerate(self._drafts)])
        return list(self._cache[1])

    # -- drafts ---------------------------------------------------------------------------

    @property
    def _current(self) -> _Draft | None:
        return self._drafts[-1] if self._drafts else None

    def _new(self, r: Record, same_link: bool = False) -> _Draft:
        d = _Draft(len(self._drafts) + 1, r.frame, r.time, bpt=BptSignals(self._modes))
        prev = self._current
        if same_link and prev is not None:
            # No new SLAC run: the link (and so the PEV and EVSE modems) is the previous session's.
            d.slac_pev, d.slac_evse, d.ev_host = prev.slac_pev, prev.slac_evse, prev.ev_host
        self._drafts.append(d)
        return d

    def _draft_for_connection(self, r: Record, opening: bool) -> _Draft:
        cur = self._current
        if cur is None or (opening and cur.session_id is not None and cur.stopped_or_closed):
            return self._new(r, same_link=True)
        return cur

    def _own(self, d: _Draft, stream: int) -> None:
        if stream >= 0 and stream not in self._owner:
            self._owner[stream] = d
            d.streams.append(stream)

    # -- records --------------------------------------------------------------------------

    def _slac(self, r: Record) -> bool:
        if r.name not in SLAC_NAMES:
            return False
        f = r.fields
        run_id = f.get("run_id") if isinstance(f.get("run_id"), str) else None
        cur = self._current
        opening = r.name.startswith(("CM_SLAC_PARM", "CM_SLAC_MATCH"))
        pev = normalise_mac(r.src) if r.name == "CM_SLAC_PARM.REQ" else None
        if cur is None:
            d = self._new(r)
        elif pev and cur.slac_pev and pev != cur.slac_pev:
            d = self._new(r)  # another vehicle on the same charger
        elif cur.v2g or cur.sdp_answer:
            # Past SLAC: a new run (or any run after the session lost its connection) is a new
            # session; the same run repeated while the session runs is link-layer noise.
            if opening and (run_id not in cur.run_ids or cur.stopped_or_closed):
                d = self._new(r)
            else:
                return False
        else:
            d = cur
        if run_id and run_id not in d.run_ids:
            d.run_ids.append(run_id)
        if r.name == "CM_SLAC_PARM.REQ":
            d.slac_pev = normalise_mac(r.src) or d.slac_pev
        elif r.name == "CM_SLAC_PARM.CNF":
            d.slac_evse = d.slac_evse or normalise_mac(r.src)
            d.slac_pev = d.slac_pev or normalise_mac(r.dst)
        elif r.name.startswith("CM_SLAC_MATCH"):
            d.slac_pev = normalise_mac(f.get("pev_mac")) or d.slac_pev
            d.slac_evse = normalise_mac(f.get("evse_mac")) or d.slac_evse
            if r.name.endswith(".CNF"):
                d.matched = True
                d.nid = f.get("nid") if isinstance(f.get("nid"), str) else d.nid
                d.slac_evse = normalise_mac(r.src) or d.slac_evse
        elif r.name == "CM_ATTEN_CHAR.IND":
            text = str(f.get("average_attenuation", "")).split(" ")[0]
            try:
                d.attenuation = float(text)
            except ValueError:
                pass
        d.slac_frames.append(r.frame)
        d.span("SLAC", r.frame, r.time, r.error is None)
        d.seen(r.frame, r.time)
        return True

    def _sdp(self, r: Record) -> bool:
        if r.name not in ("SDPRequest", "SDPResponse"):
            return False
        security = r.fields.get("security")
        if r.name == "SDPRequest":
            d = self._draft_for_connection(r, opening=True)
            if isinstance(security, str) and (not d.sdp_requests or d.sdp_requests[-1] != security):
                d.sdp_requests.append(security)
                d.evidence.append(Evidence(f"EV asks for {security} in SDP", r.name, r.frame))
            d.ev_host = host_of(r.src) or d.ev_host
        else:
            cur = self._current
            if cur is None:
                return False
            d = cur
            if isinstance(security, str) and security != d.sdp_answer:
                d.sdp_answer = security
                d.evidence.append(Evidence(f"SECC answers {security} on port {r.fields.get('secc_port')}",
                                           r.name, r.frame))
        d.span("SDP", r.frame, r.time, r.error is None)
        d.seen(r.frame, r.time)
        return True

    def _tcp(self, r: Record) -> bool:
        stream = r.extra.get("stream")
        d = self._owner.get(stream) if isinstance(stream, int) else None
        if d is None or not isinstance(stream, int) or stream in d.closed:
            return False
        if "RST" in r.name or "FIN" in r.name:
            side = "EV" if r.extra.get("dir") == "ev->evse" else "EVSE"
            d.closed[stream] = ("TCP RST" if "RST" in r.name else "TCP FIN", f"from {side}", r.frame, r.time)
            d.seen(r.frame, r.time)
            return True
        return False

    def _tls(self, r: Record) -> bool:
        stream = r.extra.get("stream")
        if not isinstance(stream, int):
            return False
        d = self._owner.get(stream)
        if d is None:
            if r.name != "ClientHello":
                return False
            d = self._draft_for_connection(r, opening=True)
            self._own(d, stream)
        f = r.fields
        if r.name == "ServerHello":
            d.tls_seen = True
            d.tls_version = f.get("version") if isinstance(f.get("version"), str) else d.tls_version
            d.tls_cipher = f.get("cipher_suite_name") or f.get("cipher_suite") or d.tls_cipher
            d.evidence.append(Evidence(f"TLS handshake: {d.tls_version} {d.tls_cipher}", r.name, r.frame))
        elif r.name == "ClientHello":
            d.tls_seen = True
        elif r.name == "Alert":
            d.alerts.append(f"{f.get('level', '?')} {f.get('description', '?')} (frame {r.frame})")
        if r.name in TLS_HANDSHAKE and r.name != "Alert" and not d.v2g:
            d.span("TLS", r.frame, r.time, r.error is None)
        d.seen(r.frame, r.time)
        return True

    def _v2g(self, r: Record) -> bool:
        v = v2g_of(r, self._messages)
        if v is None:
            return False
        d = self._owner.get(v.stream)
        if d is None:
            cur = self._current
            if cur is None or (v.name == "supportedAppProtocolReq" and cur.session_id is not None):
                d = self._new(r, same_link=True)
            else:
                d = cur
            self._own(d, v.stream)
        d.v2g += 1
        d.main_stream = v.stream
        if d.schema_seen is None and v.schema and v.schema not in ("apphand", "iso20-cm"):
            d.schema_seen = v.schema
        if v.tls:
            d.decrypted = True
        phase = phase_of(v.name)
        code = v.response_code
        ok = code is None or is_ok(code)
        if phase is not None:
            d.span(phase, v.frame, v.time, ok)
        if d.first_v2g is None:
            d.first_v2g = v.frame
        self._content(d, v, phase)
        d.seen(v.frame, v.time)
        return True

    def _content(self, d: _Draft, v: V2G, phase: str | None) -> None:
        c = v.content
        name = v.name
        if name == "supportedAppProtocolReq":
            offers = [_offer(x) for x in as_list(c.get("AppProtocol")) if isinstance(x, dict)]
            offers.sort(key=lambda o: o.priority)
            d.handshakes[v.stream] = Handshake(v.stream, v.frame, tuple(offers), tls_version=v.tls)
            listed = ", ".join(f"{o.priority}:{o.name}" for o in offers)
            d.evidence.append(Evidence(f"EV offers {listed}", name, v.frame))
        elif name == "supportedAppProtocolRes":
            hs = d.handshakes.get(v.stream)
            schema_id = c.get("SchemaID") if isinstance(c.get("SchemaID"), int) else None
            code = v.response_code
            ns = None
            if hs is not None and code and is_ok(code):
                ns = next((o.namespace for o in hs.offers if o.schema_id == schema_id), None)
            if hs is not None:
                d.handshakes[v.stream] = Handshake(hs.stream, hs.req_frame, hs.offers, v.frame, code,
                                                   schema_id, ns, hs.tls_version)
            d.sap_code, d.decided_by = code, v.stream
            if ns is not None:
                d.negotiated, d.protocol = ns, exi.NAMESPACES.get(ns, ns)
            d.evidence.append(Evidence(f"SECC answers {code}" + (f", selects {short_name(ns)}" if ns else ""),
                                       name, v.frame))
        elif name == "SessionSetupReq":
            d.evccid = normalise_evccid(c.get("EVCCID")) or d.evccid
            if d.evccid:
                d.evidence.append(Evidence(f"EVCCID {d.evccid}", name, v.frame))
        elif name == "SessionSetupRes":
            sid = v.session_id
            if sid and set(sid) - {"0"}:
                if d.session_id and sid != d.session_id:
                    d.notes.append(f"SessionID changes from {d.session_id} to {sid} at frame {v.frame}")
                d.session_id = sid
            evseid = c.get("EVSEID")
            if isinstance(evseid, str) and evseid.strip("0"):
                d.evseid = _evseid(evseid)
                d.evidence.append(Evidence(f"EVSEID {d.evseid}", name, v.frame))
        elif name in ("PaymentServiceSelectionReq", "ServicePaymentSelectionReq", "AuthorizationReq"):
            option = c.get("SelectedPaymentOption") or c.get("SelectedAuthorizationService")
            if isinstance(option, str):
                d.auth = _PAYMENT.get(option, option)
        elif name == "SessionStopReq":
            reason = c.get("ChargingSession")
            d.stop = (reason if isinstance(reason, str) else "", v.frame, v.time)
        elif name == "SessionStopRes" and d.stop is not None:
            d.stop_answered = True
        if name == "ServiceSelectionReq":
            sel = c.get("SelectedEnergyTransferService")
            if isinstance(sel, dict):
                d.energy = _ISO20_SERVICE_TRANSFER.get(sel.get("ServiceID"), d.energy)  # type: ignore[arg-type]
        mode = c.get("RequestedEnergyTransferMode") or c.get("EVRequestedEnergyTransferType")
        if isinstance(mode, str) and mode[:2] in ("AC", "DC"):
            d.energy = mode[:2]
        elif d.energy is None and phase in ("CableCheck", "PreCharge"):
            d.energy = "DC"
        elif d.energy is None and name.startswith("ChargingStatus"):
            d.energy = "AC"
        d.bpt.observe(v, phase)
        if phase in SERIES_PHASES:
            pt = point(v, self._values)
            if pt is not None:
                d.series.append(pt)
                d.bpt.flow(pt, phase)

    # -- snapshots ------------------------------------------------------------------------

    def _freeze(self, i: int, d: _Draft) -> Session:
        final = self._finished
        handshakes = tuple(d.handshakes[s] for s in sorted(d.handshakes, key=lambda s: d.handshakes[s].req_frame))
        decided = d.handshakes.get(d.decided_by) if d.decided_by is not None else None
        if decided is None and handshakes:
            decided = handshakes[-1]
        pev_mac = d.slac_pev or mac_from_ipv6(d.ev_host)
        vehicle = Vehicle(d.evccid, pev_mac, mac_vendor(pev_mac), self.label)
        if self.inventory is not None:
            vehicle = self.inventory.apply(vehicle)
        charger = Charger(d.evseid, d.slac_evse, mac_vendor(d.slac_evse))
        slac = None
        if d.slac_frames:
            slac = Slac(tuple(d.run_ids), d.slac_pev, d.slac_evse, d.nid, d.attenuation, d.matched,
                        d.slac_frames[0], d.slac_frames[-1])
        protocol, notes = d.protocol, list(d.notes)
        if protocol is None and not handshakes and d.schema_seen:
            protocol = d.schema_seen
            notes.append(f"SupportedAppProtocol not captured; protocol {protocol} inferred from the messages")
        bpt = d.bpt.result(protocol)
        tls = posture(d.sdp_requests, d.sdp_answer, d.tls_version, d.tls_cipher, d.tls_seen, d.decrypted,
                      d.alerts, handshakes)
        phases = tuple(Phase(s[0], s[1], s[2], s[3], s[4], s[5], s[6]) for s in d.spans)
        from v2gsniff.sniffer.findings.session import failures_of, session_findings

        nxt = self._drafts[i + 1] if i + 1 < len(self._drafts) else None
        unmatched = None
        # The capture's last SLAC attempt may simply be cut by the end of the capture: it is judged
        # only when a later session began or the EV already gave up on an earlier RunID.
        gave_up = nxt is not None or len(d.run_ids) > 1
        if final and d.slac_frames and not d.matched and not d.v2g and not d.sdp_answer and gave_up:
            unmatched = (d.slac_frames[-1], d.end)
        findings = self._findings_of(d, nxt) + session_findings(
            tls, bpt, slac_unmatched=unmatched, v2g_frame=d.first_v2g, protocol=protocol)
        findings = sorted((f._replace(session=d.index) for f in findings), key=lambda f: f.frame)
        failures = failures_of(findings)
        return Session(
            id=d.index, capture=self.capture, vehicle=vehicle, charger=charger, protocol=protocol,
            negotiated_namespace=d.negotiated, sap_offers=decided.offers if decided else (),
            sap_response_code=d.sap_code, handshakes=handshakes, session_id=d.session_id, slac=slac,
            streams=tuple(d.streams), phases=phases, failures=failures,
            ended_by=self._ending(d, nxt), bpt=bpt, tls=tls, series=tuple(d.series),
            evidence=tuple(d.evidence) + bpt.evidence, first_frame=d.first_frame, last_frame=d.last_frame,
            start=d.start, end=d.end, energy_transfer=d.energy, authorization=d.auth, notes=tuple(notes),
            findings=tuple(findings),
        )

    def _findings_of(self, d: _Draft, nxt: _Draft | None) -> list[Finding]:
        """This session's share of the record-level findings: those of its TCP connections, and
        link-level ones (SLAC, visibility) between its first frame and the next session's."""
        streams = set(d.streams)
        until = nxt.first_frame if nxt is not None else None
        return [f for stream, f in self.check.findings
                if (stream in streams if stream is not None
                    else f.frame >= d.first_frame and (until is None or f.frame < until))]

    def _ending(self, d: _Draft, nxt: _Draft | None) -> Ending | None:
        closed = d.closed.get(d.main_stream) if d.main_stream is not None else None
        if d.stop is not None:
            reason, frame, time = d.stop
            detail = f"ChargingSession={reason}" if reason else "SessionStopReq"
            if not d.stop_answered:
                detail += ", no SessionStopRes"
            if closed:
                detail += f"; then {closed[0]} {closed[1]}"
            return Ending("SessionStop", detail, frame, time)
        if closed:
            return Ending(closed[0], closed[1], closed[2], closed[3])
        if nxt is not None:
            return Ending("silence", f"next session starts at frame {nxt.first_frame}", d.last_frame, d.end)
        if not self._finished:
            return None
        gap = self._last[1] - d.end
        if gap > self.silence:
            return Ending("silence", f"{gap:.0f} s without messages before the capture ends", d.last_frame, d.end)
        return Ending("capture end", "capture ends while the session is open", self._last[0], self._last[1])


def _offer(x: dict[str, Any]) -> SapOffer:
    def num(key: str) -> int:
        value = x.get(key)
        return value if isinstance(value, int) else -1

    return SapOffer(str(x.get("ProtocolNamespace", "")), num("VersionNumberMajor"), num("VersionNumberMinor"),
                    num("SchemaID"), num("Priority"))


def _evseid(value: str) -> str:
    """DIN sends the EVSEID as hex bytes of ASCII text: show the text when it is printable."""
    if len(value) % 2 == 0 and all(c in "0123456789abcdefABCDEF" for c in value):
        try:
            text = bytes.fromhex(value).decode("ascii")
        except (ValueError, UnicodeDecodeError):
            return value
        if text.isprintable() and len(text) >= 3:
            return text
    return value
