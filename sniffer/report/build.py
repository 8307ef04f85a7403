"""Sessions of many captures -> a per-vehicle compatibility report (pure; renderers format it).

Vehicles are grouped by identity, never by file name (``identify.py``): sessions that share an
EVCCID or a PEV MAC are one vehicle; a label, an inventory match or the capture's path names them;
cars that randomise their address are grouped by fingerprint. A message that belongs to no
session (no vehicle identity, no handshake, a stray response) is a note of its capture.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from statistics import median

from v2gsniff.sniffer.findings.model import SEVERITIES, Finding
from v2gsniff.sniffer.sessions import BPT_OUTCOMES, Inventory, Session, Vehicle
from v2gsniff.sniffer.sessions.phases import rank

from .collect import CaptureResult
from .identify import Identity, describe, distinct, group, id_tokens, name_token

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
    """EVSE MAC -> EVSEID seen together in any session of the report, for the MACs of this vehicle's
    sessions (names its chargers by EVSEID)."""
    identity: Identity | None = None
    """What is known about the vehicle and where it came from (``None``: only ``vehicle``)."""

    @property
    def name(self) -> str:
        return self.identity.name if self.identity else self.vehicle.name

    @property
    def sessions_text(self) -> str:
        note = self.identity.sessions_note if self.identity else None
        return f"{len(self.sessions)} ({note})" if note else str(len(self.sessions))

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
        return distinct(s.negotiated_namespace and s.protocol_name for s in self.sessions)

    @property
    def energy(self) -> list[str]:
        return distinct(s.energy_transfer for s in self.sessions)

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
        return distinct(s.tls.summary for s in self.sessions if s.tls.ev_requests or s.tls.version)

    @property
    def findings(self) -> list[str]:
        """The -20 TLS transport requirement ids broken (``V2G20-1237`` ...), distinct."""
        return distinct(f.requirement.strip("[]") for s in self.sessions for f in s.tls.findings)

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
        return findings_cell([f for s in self.sessions for f in s.findings])

    def findings_by_rule(self) -> list[tuple[str, list[tuple[Session, Finding]]]]:
        """(rule id, [(session, finding)...]) in order of each rule's first finding."""
        groups: dict[str, list[tuple[Session, Finding]]] = {}
        for s in self.sessions:
            for f in s.findings:
                groups.setdefault(f.rule, []).append((s, f))
        return list(groups.items())

    @property
    def authorization(self) -> list[str]:
        """EIM / PnC of each session, PnC with its verdict ("PnC verified" or why not), distinct."""
        return distinct(authorization(s) for s in self.sessions)

    @property
    def furthest_phase(self) -> str | None:
        return max((s.furthest_phase for s in self.sessions if s.furthest_phase), key=rank, default=None)

    @property
    def failures(self) -> list[str]:
        """First failure of each session (``message code``), distinct."""
        return distinct(f"{s.first_failure.message} {s.first_failure.code}" if s.first_failure else None
                         for s in self.sessions)

    def phase_seconds(self, phase: str) -> list[float]:
        """Seconds spent in ``phase`` by the sessions that completed it (aborts are no duration)."""
        return [t for s in self.sessions if s.phase_completed(phase) and (t := s.phase_time(phase)) is not None]

    def phase_aborted_seconds(self, phase: str) -> list[float]:
        """Seconds until ``phase`` was given up, for sessions that reached it and did not complete it."""
        return [t for s in self.sessions if s.phase_completed(phase) is False
                and (t := s.phase_time(phase)) is not None]

    def phase_text(self, phase: str) -> str:
        """``2.2 s (3 ok), 1 aborted after 1.2 s``: the median of completed phases, then the aborts."""
        ok, aborted = self.phase_seconds(phase), self.phase_aborted_seconds(phase)
        parts = []
        if ok:
            parts.append(f"{median(ok):.1f} s" + (f" ({len(ok)} ok)" if len(ok) > 1 else ""))
        if aborted:
            after = ", ".join(f"{t:.1f}" for t in sorted(aborted))
            parts.append(f"{len(aborted)} aborted after {after} s")
        return ", ".join(parts) or "-"

    @property
    def chargers(self) -> list[str]:
        ids = dict(self.charger_ids)
        return distinct(charger_name(s, ids) for s in self.sessions)

    @property
    def captures(self) -> list[str]:
        return distinct(s.capture for s in self.sessions)


MATRIX_COLUMNS = 40
"""Chargers up to which the matrix has a column each; a fleet's thousands of chargers would make a
table of millions of empty cells, so past this it lists the pairs that met."""


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

    def matrix(self) -> tuple[list[str], list[list[str]]]:
        """Header and rows of the vehicle × charger matrix: a column per charger, or past
        ``MATRIX_COLUMNS`` chargers one (vehicle, charger, cell) row per pair that met."""
        chargers = self.chargers
        if len(chargers) <= MATRIX_COLUMNS:
            return (["Vehicle", *chargers], [[v.name, *(cells.get(c, "") for c in chargers)]
                                             for v in self.vehicles for cells in (self.cells(v),)])
        return (["Vehicle", "Charger", "Sessions"],
                [[v.name, c, text] for v in self.vehicles for c, text in sorted(self.cells(v).items())])

    def cell(self, vehicle: VehicleReport, charger: str) -> str:
        """Matrix cell: protocols, then the outcome of every session with this charger
        (``DIN: 2 ok, 1 failed in CableCheck``)."""
        return self.cells(vehicle).get(charger, "")

    def cells(self, vehicle: VehicleReport) -> dict[str, str]:
        """The vehicle's non-empty matrix cells by charger, from one pass over its sessions (a fleet
        has thousands of chargers: asking ``cell`` for each would scan the sessions each time)."""
        ids = dict(vehicle.charger_ids)
        by_charger: dict[str, list[Session]] = {}
        for s in vehicle.sessions:
            by_charger.setdefault(charger_name(s, ids), []).append(s)
        return {charger: _cell_text(ss) for charger, ss in by_charger.items()}


def _cell_text(ss: list[Session]) -> str:
    proto = ", ".join(distinct(s.protocol_name for s in ss if s.negotiated_namespace)) or "no protocol"
    counts: dict[str, int] = {}
    for s in ss:
        counts[outcome(s)] = counts.get(outcome(s), 0) + 1
    return f"{proto}: " + ", ".join(f"{n} {what}" for what, n in counts.items())


def build(results: Iterable[CaptureResult], inventory: Inventory | None = None,
          problems: Iterable[str] = ()) -> Report:
    results = list(results)
    sessions = [s for r in results for s in r.sessions]
    if inventory is not None:
        sessions = [dataclasses.replace(s, vehicle=inventory.apply(s.vehicle)) for s in sessions]
    strays = [s for s in sessions if is_stray(s)]
    vehicles = vehicle_reports([s for s in sessions if not is_stray(s)])
    notes = tuple(_note(r, [s for s in strays if s.capture == r.capture]) for r in results)
    return Report(tuple(vehicles), notes, tuple(problems), inventory.source if inventory else None)


def vehicle_reports(sessions: list[Session]) -> list[VehicleReport]:
    """The vehicles of ``sessions`` (no strays; the inventory applied), in the report's order."""
    ids: dict[str, str] = {}
    for s in sorted(sessions, key=lambda s: (s.capture or "", s.id)):
        if s.charger.evse_mac and s.charger.evseid:
            ids.setdefault(s.charger.evse_mac, s.charger.evseid)
    vehicles = []
    for members, randomised in group(sessions):
        members.sort(key=lambda s: (s.capture or "", s.id))
        # Only the pairs of this vehicle's chargers: each vehicle's lookups then cost its own
        # sessions, not every pair of the fleet (10,000 vehicles x 10,000 pairs).
        macs = sorted({mac for s in members if (mac := s.charger.evse_mac) in ids})
        vehicles.append(VehicleReport(_key(members, randomised), _merge([s.vehicle for s in members]),
                                      tuple(members), tuple((m, ids[m]) for m in macs),
                                      describe(members, randomised)))
    # Vehicles someone named (label, inventory, path) first, as a lab's table lists its test cars.
    vehicles.sort(key=lambda v: (not (v.key.startswith(("label:", "named:"))), v.name.lower(), v.key))
    return vehicles


def authorization(s: Session) -> str | None:
    """``EIM``, or the PnC verdict of the session's checks (``PnC verified``, ``PnC not verified: ...``)."""
    if s.authorization == "EIM":
        return "EIM"  # a TLS chain may still have been checked: the session's PnC section shows it
    if s.pnc is not None and (s.authorization == "PnC" or s.pnc.signatures):
        return s.pnc.verdict
    if s.authorization == "PnC":
        return "PnC (not checked: no certificate or signature visible, e.g. TLS not decrypted)"
    return s.authorization


def is_stray(s: Session) -> bool:
    """A message or two that belong to no session: the traffic names no vehicle (a label or a path
    names the capture, not this message), no SLAC, no handshake."""
    v = s.vehicle
    return (not (v.evccid or v.pev_mac) and s.slac is None and not s.handshakes
            and not s.tls.ev_requests and sum(p.messages for p in s.phases) <= 2)


def outcome(s: Session) -> str:
    """One session in a few words: ``ok`` (charge loop reached, no failure), ``charged, then failed
    in X``, ``failed in X`` or ``stopped in X`` (X: the last phase before SessionStop)."""
    charged = any(p.name == "ChargeLoop" for p in s.phases)
    if s.first_failure:
        return ("charged, then failed in " if charged else "failed in ") + s.first_failure.phase
    if charged:
        return "ok"
    steps = [p.name for p in s.phases if p.name not in ("SessionStop", "WeldingDetection")]
    return f"stopped in {steps[-1] if steps else s.last_phase or '-'}"


def _note(r: CaptureResult, strays: list[Session]) -> CaptureNote:
    texts = [r.message] if r.message else []
    for s in strays:
        what = ", ".join(f"{p.name} (frames {p.first_frame}–{p.last_frame})" for p in s.phases) or "traffic"
        texts.append(f"stray {what} outside any charging session")
    return CaptureNote(r.capture, len(r.sessions) - len(strays), "; ".join(texts) or None)


def charger_name(s: Session, charger_ids: tuple[tuple[str, str], ...] | Mapping[str, str] = ()) -> str:
    """EVSEID, else the EVSEID another session saw with this EVSE MAC, else the MAC.
    Pass ``charger_ids`` as a dict when naming many sessions (a fleet has thousands of pairs)."""
    if s.charger.evseid:
        return s.charger.evseid
    mac = s.charger.evse_mac
    ids = charger_ids if isinstance(charger_ids, Mapping) else dict(charger_ids)
    return ids.get(mac, mac) if mac else "unknown charger"


def _key(members: list[Session], randomised: bool) -> str:
    names = sorted({t for s in members if (t := name_token(s))})
    if names:  # the fullest name (a model-only path label may have joined one with a brand)
        return max(names, key=lambda n: sum(map(bool, n.split(":", 1)[1].split("/"))))
    toks = sorted({t for s in members for t in id_tokens(s)}) or [f"unknown:{members[0].capture}"]
    if randomised:
        return "random:" + toks[0]
    return ([t for t in toks if t.startswith("evccid:")] or toks)[0]


def _merge(vehicles: list[Vehicle]) -> Vehicle:
    """One identity for a group: the first non-empty value of each field (members are sorted)."""
    values = {}
    for f in dataclasses.fields(Vehicle):
        values[f.name] = next((getattr(v, f.name) for v in vehicles if getattr(v, f.name)), None)
    return Vehicle(**values)


def findings_cell(findings: Sequence[Finding]) -> str:
    """A findings table cell (vehicle table, ``sessions``): errors/warnings counted and the first
    error's text; ``-`` when there is neither."""
    counts = dict.fromkeys(SEVERITIES, 0)
    for f in findings:
        counts[f.severity] += 1
    if not counts["error"] and not counts["warning"]:
        return "-"
    text = ", ".join(f"{counts[k]} {k}{'' if counts[k] == 1 else 's'}" for k in ("error", "warning"))
    first = next((f for f in findings if f.severity == "error"), None)
    return f"{text}; first: {first.text}" if first else text
