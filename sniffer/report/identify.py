"""Which sessions are one vehicle, and what is known about it, with where each fact came from.

Evidence, strongest first: a label (``--label``), an inventory match (exact), the capture's path
(``--vehicle-from-path``), then what the traffic itself says: the EVCCID or PEV MAC shared between
sessions, the maker in a VIN-shaped EVCCID (its WMI), the maker an OUI is registered to.

Names from paths compare without case, spaces or punctuation (``ModelY``, ``Model_Y``); a path that
names a model but no brand (``..._with_Ioniq_...``) joins the one vehicle of that model named in full.
A path names the capture's vehicle, not every session in it: a session whose address is the only
vehicle of a capture filed under another name is that vehicle (``reconcile``).

Declared ratings (EVMaximumVoltageLimit, EVMaximumCurrentLimit, EVEnergyCapacity) are not used to
join cars: in the real corpus an Audi Q4 declares exactly what an ID.3 declares (413 V, 500 A), and
two different EV emulators (pyPLC, ccs32) declare the same set because they share code.

Cars that draw a new address per session (Volkswagen Group modems; locally administered MACs)
would otherwise give one row per session. Sessions whose only identity looks random are grouped
by a fingerprint instead: modem OUI, SupportedAppProtocol offer list (priority order) and what SDP
asked for. That row says so ("EVCCID randomised per session, N sessions"); it stands for one car
model, or for several of one maker that speak exactly alike.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from v2gsniff.sniffer.sessions import Session, short_name
from v2gsniff.sniffer.sessions.identity import (
    RANDOMISING_OUIS,
    evccid_mac,
    locally_administered,
    mac_make,
    may_be_random,
    vin_maker,
)

SOURCES = {
    "inventory": "inventory: EVCCID or MAC listed in --vehicles (exact)",
    "path": "path: read from the capture's path by --vehicle-from-path (as filed)",
    "VIN WMI": "VIN WMI: the EVCCID is a VIN; its first three characters name the maker",
    "modem OUI": "modem OUI: the PLC modem's address is registered to this car maker",
}
"""Where a Brand/Model value came from, as the report's legend explains it."""


@dataclass(frozen=True, slots=True)
class Known:
    """One fact about a vehicle and its source (a key of ``SOURCES``)."""

    value: str
    source: str

    @property
    def cell(self) -> str:
        return self.value if self.source == "inventory" else f"{self.value} ({self.source})"


@dataclass(frozen=True, slots=True)
class Identity:
    name: str
    brand: Known | None = None
    model: Known | None = None
    trim: Known | None = None
    software: Known | None = None
    ids: tuple[str, ...] = ()
    """Distinct EVCCIDs (non-MAC) and PEV MACs of the sessions."""
    randomised: bool = False
    """Grouped by fingerprint: the sessions' EVCCID/MAC changes from session to session."""
    fingerprint: str | None = None
    """What the grouped sessions have in common, in words."""

    @property
    def sessions_note(self) -> str | None:
        return "EVCCID randomised per session" if self.randomised else None


def id_tokens(s: Session) -> list[str]:
    v = s.vehicle
    out = []
    if v.evccid:
        mac = evccid_mac(v.evccid)
        out.append(f"mac:{mac}" if mac else f"evccid:{v.evccid.upper()}")
    if v.pev_mac and f"mac:{v.pev_mac}" not in out:
        out.append(f"mac:{v.pev_mac}")
    return out


def fold(text: str | None) -> str:
    """A name as compared: no case, spaces or punctuation (``Model_Y``, ``ModelY`` and ``model y`` are one)."""
    return "".join(c for c in (text or "").casefold() if c.isalnum())


def name_token(s: Session) -> str | None:
    """A user-given identity: the label, or brand/model/trim from the inventory or the path."""
    v = s.vehicle
    if v.label:
        return f"label:{v.label}"
    if v.identified_by and (v.brand or v.model):
        return "named:" + "/".join(fold(x) for x in (v.brand, v.model, v.trim))
    return None


def _fixed_tokens(s: Session) -> list[str]:
    """The session's addresses that name one car (not those drawn at random)."""
    return [t for t in id_tokens(s) if not (t.startswith("mac:") and may_be_random(t[4:]))]


def reconcile(sessions: list[Session]) -> list[Session]:
    """Path labels name a capture's vehicle; a session in a capture of several addresses whose
    address is, elsewhere, the only vehicle of a capture filed under another name takes that name
    (EVerest's EQE capture of 2023-10-04 also holds, two hours on, a session with the address of
    that day's BYD capture). The session says so in its notes."""
    by_capture: dict[str | None, list[Session]] = defaultdict(list)
    for s in sessions:
        if s.vehicle.identified_by == "path":
            by_capture[s.capture].append(s)
    owners: dict[str, dict[str, Session]] = defaultdict(dict)
    crowded: set[str | None] = set()
    for capture, members in by_capture.items():
        addresses = {t for s in members for t in _fixed_tokens(s)}
        if len(addresses) > 1:
            crowded.add(capture)
        elif len(addresses) == 1 and all(_fixed_tokens(s) for s in members):
            owners[addresses.pop()].setdefault(name_token(members[0]) or "", members[0])
    out = []
    for s in sessions:
        if s.capture in crowded and s.vehicle.identified_by == "path":
            claims = {n: o for t in _fixed_tokens(s) for n, o in owners.get(t, {}).items() if n != name_token(s)}
            if len(claims) == 1:
                owner = next(iter(claims.values()))
                filed = " ".join(x for x in (s.vehicle.brand, s.vehicle.model) if x)
                s = dataclasses.replace(
                    s, vehicle=dataclasses.replace(s.vehicle, brand=owner.vehicle.brand, model=owner.vehicle.model,
                                                   trim=owner.vehicle.trim, software=owner.vehicle.software),
                    notes=(*s.notes, f"filed under {filed}, but its address is the only vehicle of "
                                     f"{owner.capture} (filed under {owner.vehicle.brand} {owner.vehicle.model})"))
        out.append(s)
    return out


class _Sets:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        while self.parent.setdefault(x, x) != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: str, b: str) -> None:
        self.parent[self.find(b)] = self.find(a)


def _offers(s: Session) -> tuple[str, ...]:
    for hs in s.handshakes:
        if hs.offers:
            return tuple(o.namespace for o in sorted(hs.offers, key=lambda o: o.priority))
    return ()


def _oui(s: Session) -> str | None:
    mac = s.vehicle.pev_mac or evccid_mac(s.vehicle.evccid)
    if mac is None:
        return None
    return "locally administered" if locally_administered(mac) else mac[:8]


def fingerprint(s: Session) -> tuple[str, tuple[str, ...], tuple[str, ...]] | None:
    """(modem OUI, offer list, SDP security requests), or ``None`` without an offer list."""
    oui, offers = _oui(s), _offers(s)
    if oui is None or not offers:
        return None
    return oui, offers, s.tls.ev_requests


def _randomising(groups: list[list[Session]]) -> frozenset[str]:
    """Known randomising OUIs, plus any OUI seen with two addresses and one fingerprint in one capture."""
    seen: dict[tuple[object, ...], set[str]] = defaultdict(set)
    for members in groups:
        for s in members:
            fp = fingerprint(s)
            if fp and s.vehicle.pev_mac and not locally_administered(s.vehicle.pev_mac):
                seen[(s.capture, fp[0], fp[1], fp[2])].add(s.vehicle.pev_mac)
    found = {str(key[1]) for key, macs in seen.items() if len(macs) > 1}
    return RANDOMISING_OUIS | found


def group(sessions: Iterable[Session]) -> list[tuple[list[Session], bool]]:
    """Sessions of one vehicle together (order of first appearance), and whether the group was
    made by fingerprint because the vehicle's address changes per session."""
    sessions = list(sessions)
    sets = _Sets()
    claimed: dict[str, set[str]] = defaultdict(set)
    for s in sessions:
        name = name_token(s)
        if name:
            sets.find(name)
            for t in id_tokens(s):
                claimed[t].add(name)
    _join_partial_names(sets)
    for s in sessions:
        if name_token(s):
            continue
        toks = id_tokens(s) or [f"unknown:{s.capture}"]
        for t in toks[1:]:
            sets.union(toks[0], t)
        # An unnamed session joins the one named vehicle that shares its EVCCID or MAC.
        names = set().union(*(claimed.get(t, set()) for t in toks))
        if len(names) == 1:
            sets.union(names.pop(), toks[0])
    groups: dict[str, list[Session]] = {}
    for s in sessions:
        groups.setdefault(sets.find(name_token(s) or (id_tokens(s) or [f"unknown:{s.capture}"])[0]), []).append(s)
    return _merge_random(list(groups.values()))


def _join_partial_names(sets: _Sets) -> None:
    """A name without a brand (``named:/ioniq/``) joins the one name in full with its model (and trim,
    when it has one); with none or several it stays a vehicle of its own."""
    names = [n for n in list(sets.parent) if n.startswith("named:")]
    full = [n.split(":", 1)[1].split("/") for n in names if not n.startswith("named:/")]
    for n in names:
        brand, model, trim = n.split(":", 1)[1].split("/")
        if brand or not model:
            continue
        match = [f for f in full if f[1] == model and (not trim or f[2] == trim)]
        if len(match) == 1:
            sets.union("named:" + "/".join(match[0]), n)


def _merge_random(groups: list[list[Session]]) -> list[tuple[list[Session], bool]]:
    randomising = _randomising(groups)
    out: list[tuple[list[Session], bool]] = []
    by_fp: dict[tuple[object, ...], list[Session]] = {}
    for members in groups:
        fp = _random_fingerprint(members, randomising)
        if fp is None:
            out.append((members, False))
        elif fp in by_fp:
            by_fp[fp].extend(members)
        else:
            by_fp[fp] = members
            out.append((members, True))
    # A fingerprint that gathered one address only is an ordinary vehicle.
    return [(m, flag and len({t for s in m for t in id_tokens(s)}) > 1) for m, flag in out]


def _random_fingerprint(members: list[Session], randomising: frozenset[str]) -> tuple[object, ...] | None:
    if any(name_token(s) for s in members) or len({s.capture for s in members}) != 1:
        return None
    macs = {s.vehicle.pev_mac or evccid_mac(s.vehicle.evccid) for s in members}
    if None in macs or not all(may_be_random(m, randomising) for m in macs):
        return None
    fps = {fp for s in members if (fp := fingerprint(s))}
    return fps.pop() if len(fps) == 1 else None


def describe(members: list[Session], randomised: bool = False) -> Identity:
    """What is known about the vehicle of ``members`` (one group of ``group``)."""
    vs = [s.vehicle for s in members]
    ids = distinct(t.split(":", 1)[1] for s in members for t in id_tokens(s))

    def known(field: str) -> Known | None:
        seen: dict[str, str] = {}  # one value per folded spelling, as first written
        for v in vs:
            if v.identified_by and (x := getattr(v, field)):
                seen.setdefault(fold(x), x)
        values = list(seen.values())
        source = next((v.identified_by for v in vs if v.identified_by and getattr(v, field)), None)
        return Known(", ".join(values), source) if values and source else None

    brand = known("brand")
    if brand is None:
        maker = next((m for v in vs if (m := vin_maker(v.evccid))), None)
        brand = Known(maker, "VIN WMI") if maker else None
    if brand is None:
        make = next((m for v in vs if (m := mac_make(v.pev_mac or evccid_mac(v.evccid)))), None)
        brand = Known(make, "modem OUI") if make else None
    model, trim, software = known("model"), known("trim"), known("software")
    fp_text = None
    if randomised:
        fp = next(f for s in members if (f := fingerprint(s)))
        vendor = next((v.modem_vendor for v in vs if v.modem_vendor), fp[0])
        asks = "/".join(fp[2]) or "no SDP"
        fp_text = (f"modem {vendor}, offers {' > '.join(short_name(n) for n in fp[1])}, SDP {asks}")
    label = next((v.label for v in vs if v.label), None)
    if label:
        name = label
    elif model or brand and brand.source != "modem OUI" and brand.source != "VIN WMI":
        name = " ".join(x.value for x in (brand, model) if x)
    elif randomised and fp_text:
        who = brand.value if brand else next((v.modem_vendor for v in vs if v.modem_vendor), "unknown")
        name = f"{who} EV ({fp_text.split(', ', 1)[1]})"
    else:
        name = next((v.evccid for v in vs if v.evccid), None) or next(
            (v.pev_mac for v in vs if v.pev_mac), "unknown vehicle")
    return Identity(name, brand, model, trim, software, tuple(ids), randomised, fp_text)


def distinct(items: Iterable[str | None]) -> list[str]:
    """The non-empty items in first-seen order, each once (a dict, not list scans)."""
    return list(dict.fromkeys(x for x in items if x))
