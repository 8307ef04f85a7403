"""Sessions of many captures -> a per-vehicle compatibility report (pure; renderers format it).

Vehicles are grouped by identity, never by file name: sessions that share an EVCCID or a PEV MAC
(a DIN/ISO-2 EVCCID that is a MAC counts as that MAC) are one vehicle; ``--label`` names all
sessions of a single capture as one vehicle; the inventory adds brand, model, trim and software.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from statistics import median

from v2gsniff.sniffer.findings.model import SEVERITIES, Finding
from v2gsniff.sniffer.sessions import BPT_OUTCOMES, Inventory, Session, Vehicle
from v2gsniff.sniffer.sessions.identity import evccid_mac
from v2gsniff.sniffer.sessions.phases import rank

from .collect import CaptureResult

BPT_TEXT = {
    "bpt-working": "Yes",
    "bpt-negotiated-no-discharge": "Negotiated, no discharge seen",
    "bpt-offered-not-selected": "No (offered by SECC, not selected)",
    "no-bpt-offered": "No (not offered by SECC)",
    "protocol-without-bpt": "No (protocol without BPT)",
    "handshake-failed": "No (no protocol agreed)",
}


@dataclass(frozen=True, slots=True)
class VehicleReport:
    """All sessions of one vehicle, and the table columns derived from them."""

    key: str
    vehicle: Vehicle
    sessions: tuple[Session, ...]
    charger_ids: tuple[tuple[str, str], ...] = ()
    """EVSE MAC -> EVSEID seen together in any session of the report (names chargers by EVSEID)."""

    @property
    def offers(self) -> list[str]:
        """Distinct offer lists, each as ``1 urn:... NAME, 2 ...`` in priority order."""
        out: list[str] = []
        for s in self.sessions:
            for hs in s.handshakes:
                text = ", ".join(f"{o.priority} {o.namespace} {o.name}" if o.name != o.namespace
                                 else f"{o.priority} {o.namespace}" for o in hs.offers)
                if text and text not in out:
                    out.append(text)
        return out

    @property
    def protocols(self) -> list[str]:
        return _distinct(s.negotiated_namespace and _short(s) for s in self.sessions)

    @property
    def energy(self) -> list[str]:
        return _distinct(s.energy_transfer for s in self.sessions)

    @property
    def bpt_outcome(self) -> str:
        """The best outcome over all sessions."""
        return min((s.bpt_outcome for s in self.sessions), key=BPT_OUTCOMES.index)

    @property
    def non_standard_discharge(self) -> bool:
        return any(s.non_standard_discharge for s in self.sessions)

    @property
    def bpt_text(self) -> str:
        text = BPT_TEXT[self.bpt_outcome]
        return text + "; non-standard discharge (DIN/ISO-2)" if self.non_standard_discharge else text

    @property
    def tls(self) -> list[str]:
        return _distinct(s.tls.summary for s in self.sessions if s.tls.ev_requests or s.tls.version)

    @property
    def findings(self) -> list[str]:
        """The -20 TLS transport requirement ids broken (``V2G20-1237`` ...), distinct."""
        return _distinct(f.requirement.strip("[]") for s in self.sessions for f in s.tls.findings)

    @property
    def severity_counts(self) -> dict[str, int]:
        """Findings of all sessions by severity (every severity present, zero when none)."""
        counts = dict.fromkeys(SEVERITIES, 0)
        for s in self.sessions:
            for f in s.findings:
                counts[f.severity] += 1
        return counts

    @property
    def findings_text(self) -> str:
        """The table cell: errors/warnings and the first error's text."""
        counts = self.severity_counts
        if not counts["error"] and not counts["warning"]:
            return "-"
        text = f"{counts['error']} errors, {counts['warning']} warnings"
        first = next((f for s in self.sessions for f in s.findings if f.severity == "error"), None)
        return f"{text}; first: {first.text}" if first else text

    def findings_by_rule(self) -> list[tuple[str, list[tuple[Session, Finding]]]]:
        """(rule id, [(session, finding)...]) in order of each rule's first finding."""
        groups: dict[str, list[tuple[Session, Finding]]] = {}
        for s in self.sessions:
            for f in s.findings:
                groups.setdefault(f.rule, []).append((s, f))
        return list(groups.items())

    @property
    def furthest_phase(self) -> str | None:
        return max((s.furthest_phase for s in self.sessions if s.furthest_phase), key=rank, default=None)

    @property
    def failures(self) -> list[str]:
        """First failure of each session (``message code``), distinct."""
        return _distinct(f"{s.first_failure.message} {s.first_failure.code}" if s.first_failure else None
                         for s in self.sessions)

    def phase_seconds(self, phase: str) -> list[float]:
        return [t for s in self.sessions if (t := s.phase_time(phase)) is not None]

    def phase_text(self, phase: str) -> str:
        times = self.phase_seconds(phase)
        if not times:
            return "-"
        if len(times) == 1:
            return f"{times[0]:.1f} s"
        return f"{min(times):.1f}–{max(times):.1f} s (median {median(times):.1f})"

    @property
    def chargers(self) -> list[str]:
        return _distinct(charger_name(s, self.charger_ids) for s in self.sessions)

    @property
    def captures(self) -> list[str]:
        return _distinct(s.capture for s in self.sessions)


@dataclass(frozen=True, slots=True)
class CaptureNote:
    capture: str
    sessions: int
    message: str | None


@dataclass(frozen=True, slots=True)
class Report:
    vehicles: tuple[VehicleReport, ...]
    captures: tuple[CaptureNote, ...]
    problems: tuple[str, ...] = ()
    """Problems with inputs (paths, inventory) that the report still worked around."""
    inventory: str | None = None

    @property
    def chargers(self) -> list[str]:
        return sorted({c for v in self.vehicles for c in v.chargers})

    @property
    def sessions(self) -> list[Session]:
        return [s for v in self.vehicles for s in v.sessions]

    def cell(self, vehicle: VehicleReport, charger: str) -> str:
        """Matrix cell: sessions, best protocol and the furthest phase reached with this charger."""
        ss = [s for s in vehicle.sessions if charger_name(s, vehicle.charger_ids) == charger]
        if not ss:
            return ""
        best = max(ss, key=lambda s: rank(s.furthest_phase or ""))
        proto = ", ".join(_distinct(_short(s) for s in ss if s.negotiated_namespace)) or "no protocol"
        return f"{len(ss)}× {proto} → {best.furthest_phase or '-'}"


def build(results: Iterable[CaptureResult], inventory: Inventory | None = None,
          problems: Iterable[str] = ()) -> Report:
    results = list(results)
    sessions = [s for r in results for s in r.sessions]
    if inventory is not None:
        sessions = [dataclasses.replace(s, vehicle=inventory.apply(s.vehicle)) for s in sessions]
    groups = _group(sessions)
    ids: dict[str, str] = {}
    for s in sorted(sessions, key=lambda s: (s.capture or "", s.id)):
        if s.charger.evse_mac and s.charger.evseid:
            ids.setdefault(s.charger.evse_mac, s.charger.evseid)
    charger_ids = tuple(sorted(ids.items()))
    vehicles = []
    for members in groups:
        members.sort(key=lambda s: (s.capture or "", s.id))
        vehicles.append(VehicleReport(_key(members), _merge([s.vehicle for s in members]), tuple(members),
                                      charger_ids))
    vehicles.sort(key=lambda v: (v.vehicle.name.lower(), v.key))
    notes = tuple(CaptureNote(r.capture, len(r.sessions), r.message) for r in results)
    return Report(tuple(vehicles), notes, tuple(problems), inventory.source if inventory else None)


def charger_name(s: Session, charger_ids: tuple[tuple[str, str], ...] = ()) -> str:
    """EVSEID, else the EVSEID another session saw with this EVSE MAC, else the MAC."""
    if s.charger.evseid:
        return s.charger.evseid
    mac = s.charger.evse_mac
    return dict(charger_ids).get(mac, mac) if mac else "unknown charger"


def _tokens(s: Session) -> list[str]:
    v = s.vehicle
    out = []
    if v.label:
        out.append(f"label:{v.label}")
    if v.evccid:
        mac = evccid_mac(v.evccid)
        out.append(f"mac:{mac}" if mac else f"evccid:{v.evccid.upper()}")
    if v.pev_mac:
        out.append(f"mac:{v.pev_mac}")
    return out or [f"unknown:{s.capture}"]


def _group(sessions: list[Session]) -> list[list[Session]]:
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for s in sessions:
        toks = _tokens(s)
        for t in toks[1:]:
            parent[find(t)] = find(toks[0])
    groups: dict[str, list[Session]] = {}
    for s in sessions:
        groups.setdefault(find(_tokens(s)[0]), []).append(s)
    return list(groups.values())


def _key(members: list[Session]) -> str:
    toks = sorted({t for s in members for t in _tokens(s)})
    prefer = [t for t in toks if t.startswith("label:")] or [t for t in toks if t.startswith("evccid:")] or toks
    return prefer[0]


def _merge(vehicles: list[Vehicle]) -> Vehicle:
    """One identity for a group: the first non-empty value of each field (members are sorted)."""
    values = {}
    for f in dataclasses.fields(Vehicle):
        values[f.name] = next((getattr(v, f.name) for v in vehicles if getattr(v, f.name)), None)
    return Vehicle(**values)


def _short(s: Session) -> str:
    from v2gsniff.sniffer.sessions import short_name

    return short_name(s.negotiated_namespace)


def _distinct(items: Iterable[str | None]) -> list[str]:
    out: list[str] = []
    for x in items:
        if x and x not in out:
            out.append(x)
    return out
