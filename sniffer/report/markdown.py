"""The report as Markdown: the vehicle table, the vehicle x charger matrix, one section per vehicle."""

from __future__ import annotations

from datetime import datetime, timezone

from v2gsniff.sniffer.sessions import Session, short_name

from .build import BPT_TEXT, Report, VehicleReport

COLUMNS = (
    "Vehicle", "Brand", "Model", "Trim/year", "Software version", "Priority / SupportedAppProtocols",
    "BPT working", "Sessions", "Protocols negotiated", "AC/DC", "TLS", "Furthest phase", "Failure reasons",
    "Findings", "CableCheck", "PreCharge", "Chargers seen",
)


def cell(text: object) -> str:
    value = "-" if text is None or text == "" else str(text)
    return value.replace("|", "\\|").replace("\n", " ")


def row(values: list[object]) -> str:
    return "| " + " | ".join(cell(v) for v in values) + " |"


def table_rows(v: VehicleReport) -> list[object]:
    ident = v.vehicle
    return [
        ident.name, ident.brand, ident.model, ident.trim, ident.software, "<br>".join(v.offers),
        v.bpt_text, len(v.sessions), ", ".join(v.protocols), ", ".join(v.energy), "; ".join(v.tls),
        v.furthest_phase, "; ".join(v.failures), v.findings_text, v.phase_text("CableCheck"), v.phase_text("PreCharge"),
        ", ".join(v.chargers),
    ]


def when(t: float) -> str:
    return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def render_markdown(report: Report) -> str:
    out: list[str] = ["# V2G compatibility report", ""]
    n_sessions = len(report.sessions)
    out.append(f"{len(report.captures)} captures, {n_sessions} sessions, {len(report.vehicles)} vehicles"
               + (f"; inventory: `{report.inventory}`" if report.inventory else "") + ".")
    out.append("")
    for problem in report.problems:
        out.append(f"> **Note:** {problem}")
        out.append("")
    out += ["## Vehicles", "", row(list(COLUMNS)), "|" + "---|" * len(COLUMNS)]
    out += [row(table_rows(v)) for v in report.vehicles]
    if not report.vehicles:
        out.append("")
        out.append("No charging sessions were found in these captures.")
    out.append("")
    chargers = report.chargers
    if report.vehicles and chargers:
        out += ["## Vehicle × charger", "", row(["Vehicle", *chargers]), "|" + "---|" * (len(chargers) + 1)]
        out += [row([v.vehicle.name, *(report.cell(v, c) for c in chargers)]) for v in report.vehicles]
        out.append("")
    notes = [c for c in report.captures if c.message]
    if notes:
        out += ["## Captures with notes", ""]
        out += [f"- `{c.capture}`: {c.message}" for c in notes]
        out.append("")
    out += ["## Vehicles in detail", ""]
    for v in report.vehicles:
        out += vehicle_section(v)
    return "\n".join(out).rstrip() + "\n"


def identity_line(v: VehicleReport) -> str:
    ident = v.vehicle
    parts = [f"EVCCID `{ident.evccid}`" if ident.evccid else "EVCCID not seen"]
    if ident.pev_mac:
        parts.append(f"PEV MAC `{ident.pev_mac}` ({ident.modem_vendor or 'vendor unknown'})")
    if ident.trim or ident.software:
        parts.append(f"trim/year {ident.trim or '-'}, software {ident.software or '-'}")
    return "; ".join(parts)


def vehicle_section(v: VehicleReport) -> list[str]:
    out = [f"### {v.vehicle.name}", "", identity_line(v) + ".", "",
           f"BPT: **{v.bpt_text}**. Captures: " + ", ".join(f"`{c}`" for c in v.captures) + ".", ""]
    out += [row(["Session", "Start", "Frames", "Charger", "Protocol", "Last phase", "Duration", "BPT outcome",
                 "Ended by", "First failure"]), "|" + "---|" * 10]
    for s in v.sessions:
        out.append(row(session_row(s)))
    out.append("")
    out += findings_section(v)
    for s in v.sessions:
        out += session_details(s)
    return out


FINDINGS_PER_RULE = 5
"""Findings listed per rule in a vehicle section (the rest are counted)."""


def findings_section(v: VehicleReport) -> list[str]:
    """The vehicle's findings grouped by rule, each with its sessions and evidence frames."""
    groups = v.findings_by_rule()
    if not groups:
        return []
    out = ["#### Findings", ""]
    for rule, items in groups:
        f0 = items[0][1]
        out.append(f"- **{rule}** ({f0.severity}, {f0.side}; {f0.requirement}): {len(items)}×")
        for s, f in items[:FINDINGS_PER_RULE]:
            frames = ", ".join(str(x) for x in f.evidence)
            out.append(f"  - {session_name(s)}, frame {f.frame}: {f.text} (evidence: frames {frames})")
        if len(items) > FINDINGS_PER_RULE:
            out.append(f"  - … and {len(items) - FINDINGS_PER_RULE} more")
    out.append("")
    return out


def session_name(s: Session) -> str:
    return f"{s.capture} #{s.id}"


def session_row(s: Session) -> list[object]:
    first = s.first_failure
    return [
        session_name(s), when(s.start), f"{s.first_frame}–{s.last_frame}",
        f"{s.charger.name} ({s.charger.evse_mac or 'MAC unknown'})", short_name(s.negotiated_namespace),
        s.last_phase, f"{s.duration:.1f} s", s.bpt_outcome + (" (non-standard discharge)"
                                                              if s.non_standard_discharge else ""),
        f"{s.ended_by.kind}: {s.ended_by.detail}" if s.ended_by else "open",
        f"**{first.message} {first.code}** (frame {first.frame})" if first else "-",
    ]


def session_details(s: Session) -> list[str]:
    out = [f"#### {session_name(s)}", ""]
    for hs in s.handshakes:
        offers = ", ".join(f"{o.priority}: `{o.namespace}` {o.version_major}.{o.version_minor} "
                           f"SchemaID {o.schema_id}" for o in hs.offers)
        schema = f"SchemaID {hs.schema_id}" if hs.schema_id is not None else "no SchemaID"
        answer = (f"{hs.response_code}, {schema} → {short_name(hs.negotiated_namespace)} "
                  f"(frame {hs.res_frame})" if hs.res_frame else "no answer")
        out.append(f"- SupportedAppProtocol (stream {hs.stream}, frame {hs.req_frame}, "
                   f"{hs.tls_version or 'plain TCP'}): {offers}; SECC: {answer}")
    out.append(f"- BPT: {BPT_TEXT[s.bpt_outcome]}" + "".join(
        f"; {e.statement} ({e.message}, frame {e.frame})" for e in s.bpt.evidence))
    out.append(f"- TLS: {s.tls.summary}" + "".join(f"; alert {a}" for a in s.tls.alerts))
    for f in s.tls.findings:
        out.append(f"- Finding {f.requirement.strip('[]')}: {f.text} (frame {f.frame})")
    if s.phases:
        out.append("- Phases: " + " → ".join(f"{p.name} {p.duration:.1f} s" + ("" if p.ok else " ✗")
                                             for p in s.phases))
    for fail in s.failures:
        out.append(f"- Failure in {fail.phase}: {fail.message} {fail.code} (frame {fail.frame})")
    for note in s.notes:
        out.append(f"- Note: {note}")
    out.append("")
    return out
