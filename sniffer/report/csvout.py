"""The report as CSV: one row per vehicle, one value per cell, units in the headers.

Numbers are plain numbers (seconds), so a spreadsheet can sort and average them; durations come
as min/median/max of the sessions that completed the phase, with the aborted ones counted apart.
Where a vehicle has several values they are joined by a space (protocols, offer lists such as
``DIN>ISO-2``: values without spaces) or by `` | `` (chargers, captures: names that may hold one).
"""

from __future__ import annotations

import csv
import io
from statistics import median

from .build import Report, VehicleReport

PHASE_COLUMNS = ("ok sessions", "min s", "median s", "max s", "aborted sessions")


def header() -> list[str]:
    out = ["vehicle", "brand", "brand source", "model", "model source", "trim/year", "software version",
           "modem vendor", "randomised EVCCID", "SupportedAppProtocol offers", "BPT outcome", "BPT working",
           "sessions", "protocols negotiated", "AC/DC", "EV asked TLS", "TLS versions", "furthest phase"]
    for phase in ("CableCheck", "PreCharge"):
        out += [f"{phase} {c}" for c in PHASE_COLUMNS]
    return out + ["chargers", "captures", "key"]


def _fact(v: VehicleReport, field: str) -> list[str]:
    fact = getattr(v.identity, field, None) if v.identity else None
    if fact:
        return [fact.value, fact.source]
    return [getattr(v.vehicle, field) or "", ""]


def _phase(v: VehicleReport, phase: str) -> list[object]:
    ok = v.phase_seconds(phase)
    numbers: list[object] = [round(min(ok), 3), round(median(ok), 3), round(max(ok), 3)] if ok else ["", "", ""]
    return [len(ok), *numbers, len(v.phase_aborted_seconds(phase))]


def _yes_no(values: set[bool | None]) -> str:
    values.discard(None)
    return "" if not values else "mixed" if len(values) > 1 else "yes" if values.pop() else "no"


def row(v: VehicleReport) -> list[object]:
    offers = [">".join(o.name.replace(" ", "") for o in hs.offers) for s in v.sessions for hs in s.handshakes]
    return [
        v.name, *_fact(v, "brand"), *_fact(v, "model"), _fact(v, "trim")[0], _fact(v, "software")[0],
        v.vehicle.modem_vendor or "", "yes" if v.identity and v.identity.randomised else "no",
        " ".join(dict.fromkeys(o for o in offers if o)), v.bpt_outcome, v.bpt_text, len(v.sessions),
        " ".join(p.replace(" ", "") for p in v.protocols), " ".join(v.energy),
        _yes_no({s.tls.ev_asked_tls for s in v.sessions}),
        " ".join(dict.fromkeys(s.tls.version.replace(" ", "") for s in v.sessions if s.tls.version)),
        v.furthest_phase or "", *_phase(v, "CableCheck"), *_phase(v, "PreCharge"),
        " | ".join(v.chargers), " | ".join(v.captures), v.key,
    ]


def render_csv(report: Report) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header())
    for v in report.vehicles:
        writer.writerow(row(v))
    return buf.getvalue()
