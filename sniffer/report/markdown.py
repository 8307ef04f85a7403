"""The report as Markdown: the vehicle table, the vehicle x charger matrix, one section per vehicle.

The vehicle table is made to fit a page: protocols by short name (the namespaces are in a legend
below it), long lists (failures, chargers) in the sections. Plots are SVG files written beside
the Markdown by ``markdown_files`` (``report -o DIR``); without them the report says where they are.

Every text that comes from a capture, a file name or an inventory goes in through ``md`` (or ``code``
for identifiers): a charger's EVSEID or a certificate's name can carry HTML or Markdown, and a report
is read rendered. Only the report's own markup (headings, tables, emphasis, ``<br>``) is markup.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timezone

from v2gsniff.sniffer.sessions import Session, short_name

from .build import BPT_TEXT, Report, VehicleReport
from .identify import SOURCES, distinct
from .svg import session_plots, standalone

COLUMNS = (
    "Vehicle", "Brand", "Model", "Trim/year", "Software version", "Priority / SupportedAppProtocols",
    "BPT working", "Sessions", "Protocols negotiated", "AC/DC", "TLS", "Authorization", "Furthest phase",
    "Findings", "CableCheck", "PreCharge",
)

SESSION_COLUMNS = ("Session", "Start", "Frames", "Charger", "Protocol", "Last phase", "Duration", "BPT outcome",
                   "Ended by", "First failure")

NO_PLOTS = ("Phase timelines and voltage, current and power plots are in the HTML report (`--format html`), "
            "or written as SVG files beside the Markdown with `-o DIR`.")


_ACTIVE = re.compile(r"[\\`*<>&|~]|\](?=\()|_+")
"""What Markdown or HTML may act on in running text: emphasis, code, tags and entities, a table's ``|``,
an inline link's ``](``. Brackets alone link nothing: reference definitions start a line, and no
escaped text does (nor ``#``, ``+``, ``-``: they act only there)."""


def _escaped(m: re.Match[str]) -> str:
    found = m.group(0)
    if found[0] == "_":
        # a run of underscores inside a word never emphasises (CommonMark): OK_NewSessionEstablished
        text, start, end = m.string, m.start(), m.end()
        if 0 < start and end < len(text) and text[start - 1].isalnum() and text[end].isalnum():
            return found
        return "\\_" * len(found)
    return "\\" + found


def md(value: object) -> str:
    """Text as Markdown that shows exactly that text: active characters backslash-escaped (CommonMark
    allows it for any ASCII punctuation), line breaks as spaces."""
    return _ACTIVE.sub(_escaped, str(value)).replace("\r", " ").replace("\n", " ")


def code(value: object) -> str:
    """Text as a code span (never in a table here): fenced by more backticks than any run in it
    (CommonMark), so nothing in it ends the span."""
    text = str(value).replace("\r", " ").replace("\n", " ")
    fence = "`" * (max((len(run) for run in re.findall("`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


class Markup(str):
    """Markdown made here (emphasis around escaped text): a cell takes it as it is."""


def cell(text: object) -> str:
    """A table cell: text (``<br>`` between lines, as ``table_rows`` joins them) escaped, or Markup."""
    if isinstance(text, Markup):
        return text
    if text is None or text == "":
        return "-"
    return "<br>".join(md(part) for part in str(text).split("<br>"))


def row(values: list[object]) -> str:
    return "| " + " | ".join(cell(v) for v in values) + " |"


def known(v: VehicleReport, field: str) -> str | None:
    """A Brand/Model/Trim/Software cell: the value and, unless the inventory said it, its source;
    an unknown brand names the modem's vendor instead."""
    fact = getattr(v.identity, field) if v.identity else None
    if fact:
        return str(fact.cell)
    value: str | None = getattr(v.vehicle, field)
    if value is None and field == "brand" and v.vehicle.modem_vendor:
        return f"? (modem: {v.vehicle.modem_vendor})"
    return value


def offer_cells(v: VehicleReport) -> list[str]:
    """Distinct offer lists as ``1 DIN, 2 ISO-2`` (short names; see ``legend``)."""
    out: list[str] = []
    for s in v.sessions:
        for hs in s.handshakes:
            text = ", ".join(f"{o.priority} {o.name}" for o in hs.offers)
            if text and text not in out:
                out.append(text)
    return out


def tls_cell(s: Session) -> str:
    t = s.tls
    if t.ev_asked_tls is None:
        return "no SDP"
    if not t.ev_asked_tls:
        return "no"
    if t.version:
        return f"{t.version}, {'decrypted' if t.decryptable else 'not decrypted'}"
    return f"asked, SECC {t.secc_answer or 'silent'}"


def table_rows(v: VehicleReport) -> list[object]:
    return [
        v.name, known(v, "brand"), known(v, "model"), known(v, "trim"), known(v, "software"),
        "<br>".join(offer_cells(v)), v.bpt_text, v.sessions_text, ", ".join(v.protocols), ", ".join(v.energy),
        "; ".join(distinct(tls_cell(s) for s in v.sessions)),
        "; ".join(v.authorization), v.furthest_phase, v.findings_text,
        v.phase_text("CableCheck"), v.phase_text("PreCharge"),
    ]


def legend(report: Report, quote: Callable[[str], str] = code, text: Callable[[object], str] = md) -> list[str]:
    """Namespaces of the short protocol names used, and the sources Brand/Model cells name (``quote``
    and ``text`` format identifiers and words from the captures: Markdown's by default)."""
    names = sorted({o.namespace for s in report.sessions for hs in s.handshakes for o in hs.offers}
                   | {s.negotiated_namespace for s in report.sessions if s.negotiated_namespace})
    out = ["Protocols: " + "; ".join(f"{text(short_name(n))} = {quote(n)}" for n in names if short_name(n) != n)
           + "."]
    used = {k.source for v in report.vehicles if v.identity
            for k in (v.identity.brand, v.identity.model, v.identity.trim, v.identity.software) if k}
    if used:
        out.append("Sources: " + "; ".join(SOURCES[s] for s in SOURCES if s in used) + ".")
    out.append("TLS: what the EV asked for in SDP and, when TLS was used, its version. CableCheck/PreCharge: "
               "median time of the sessions that completed the phase; aborted attempts are counted apart.")
    return out


def when(t: float) -> str:
    return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def render_markdown(report: Report, plots: bool = False) -> str:
    """The report; ``plots`` says SVG files from ``markdown_files`` sit beside it (``plots/``)."""
    out: list[str] = ["# V2G compatibility report", ""]
    n_sessions = len(report.sessions)
    out.append(f"{len(report.captures)} captures, {n_sessions} sessions, {len(report.vehicles)} vehicles"
               + (f"; inventory: {code(report.inventory)}" if report.inventory else "") + ".")
    out.append("")
    for problem in report.problems:
        out.append(f"> **Note:** {md(problem)}")
        out.append("")
    out += ["## Vehicles", "", row(list(COLUMNS)), "|" + "---|" * len(COLUMNS)]
    out += [row(table_rows(v)) for v in report.vehicles]
    out.append("")
    if report.vehicles:
        for line in legend(report):
            out += [line, ""]
    else:
        out += ["No charging sessions were found in these captures.", ""]
    chargers = report.chargers
    if report.vehicles and chargers:
        header, rows = report.matrix()
        out += ["## Vehicle × charger", "", row(list(header)), "|" + "---|" * len(header)]
        out += [row(list(r)) for r in rows]
        out.append("")
    notes = [c for c in report.captures if c.message]
    if notes:
        out += ["## Captures with notes", ""]
        out += [f"- {code(c.capture)}: {md(c.message)}" for c in notes]
        out.append("")
    out += ["## Vehicles in detail", ""]
    if report.vehicles and not plots:
        out += [NO_PLOTS, ""]
    for v in report.vehicles:
        out += vehicle_section(v, plots)
    return "\n".join(out).rstrip() + "\n"


def markdown_files(report: Report) -> dict[str, str]:
    """``report.md`` and its plots (``plots/<session>-<plot>.svg``), relative file name -> text."""
    files = {"report.md": render_markdown(report, plots=True)}
    for s in report.sessions:
        for name, svg in session_plots(s):
            files[plot_file(s, name)] = standalone(svg)
    return files


def plot_file(s: Session, name: str) -> str:
    return "plots/" + re.sub(r"[^A-Za-z0-9_.-]+", "-", f"{s.capture}-{s.id}-{name}").strip("-") + ".svg"


def identity_line(v: VehicleReport, quote: Callable[[str], str] = code, text: Callable[[object], str] = md) -> str:
    """What identifies the vehicle, in words (``quote`` and ``text`` format identifiers and words from
    the captures: Markdown's by default)."""
    ident = v.vehicle
    if v.identity and v.identity.randomised:
        parts = [f"EVCCID randomised per session, {len(v.sessions)} sessions with "
                 f"{len(v.identity.ids)} addresses ({text(', '.join(v.identity.ids))}); grouped by "
                 f"{text(v.identity.fingerprint)}"]
    else:
        parts = [f"EVCCID {quote(ident.evccid)}" if ident.evccid else "EVCCID not seen"]
        if ident.pev_mac:
            parts.append(f"PEV MAC {quote(ident.pev_mac)} ({text(ident.modem_vendor or 'vendor unknown')})")
    if ident.trim or ident.software:
        parts.append(f"trim/year {text(ident.trim or '-')}, software {text(ident.software or '-')}")
    return "; ".join(parts)


def vehicle_section(v: VehicleReport, plots: bool = False) -> list[str]:
    out = [f"### {md(v.name)}", "", identity_line(v) + ".", "",
           f"BPT: **{md(v.bpt_text)}**. Captures: " + ", ".join(code(c) for c in v.captures) + ".", ""]
    if v.failures:
        out += ["Failures: " + "; ".join(md(f) for f in v.failures) + ".", ""]
    out += ["Chargers: " + ", ".join(md(c) for c in v.chargers) + ".", ""]
    out += [row(list(SESSION_COLUMNS)), "|" + "---|" * len(SESSION_COLUMNS)]
    for s in v.sessions:
        values = session_row(s)
        values[-1] = Markup(f"**{md(values[-1])}**") if values[-1] != "-" else "-"
        out.append(row(values))
    out.append("")
    out += findings_section(v)
    for s in v.sessions:
        out += session_details(s, plots)
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
        out.append(f"- **{md(rule)}** ({md(f0.severity)}, {md(f0.side)}; {md(f0.requirement)}): {len(items)}×")
        for s, f in items[:FINDINGS_PER_RULE]:
            frames = ", ".join(str(x) for x in f.evidence)
            out.append(f"  - {md(session_name(s))}, frame {f.frame}: {md(f.text)} (evidence: frames {frames})")
        if len(items) > FINDINGS_PER_RULE:
            out.append(f"  - … and {len(items) - FINDINGS_PER_RULE} more")
    out.append("")
    return out


def session_name(s: Session) -> str:
    return f"{s.capture} #{s.id}"


def session_row(s: Session) -> list[object]:
    """The cells of a session's row, plain text (each format adds its own emphasis)."""
    first = s.first_failure
    return [
        session_name(s), when(s.start), f"{s.first_frame}–{s.last_frame}",
        f"{s.charger.name} ({s.charger.evse_mac or 'MAC unknown'})", s.protocol_name,
        s.last_phase, f"{s.duration:.1f} s", s.bpt_outcome + (" (non-standard discharge)"
                                                              if s.non_standard_discharge else ""),
        f"{s.ended_by.kind}: {s.ended_by.detail}" if s.ended_by else "open",
        f"{first.message} {first.code} (frame {first.frame})" if first else "-",
    ]


def pnc_lines(s: Session) -> list[tuple[int, str]]:
    """The session's Plug & Charge section as (depth, plain text): the verdict with the contract ID,
    then each chain and signature with its verdict (Markdown and HTML format them)."""
    if s.pnc is None:
        return []
    p = s.pnc
    title = "Plug & Charge" if p.plug_and_charge else "Certificates"
    out = [(0, f"{title}: {p.verdict}" + (f"; contract ID (eMAID) {p.contract_id}" if p.contract_id else ""))]
    for c in p.chains:
        roles = " ← ".join(f"{x.role} {x.common_name or x.error}" for x in c.certificates)
        out.append((1, f"{c.kind} chain in {c.where.message} (frame {c.where.frame}): {c.verdict}; {roles}"))
    for sig in p.signatures:
        refs = ", ".join(f"{r.uri} {r.element or '?'} digest {r.status}" for r in sig.references)
        out.append((1, f"{sig.where.message} (frame {sig.where.frame}) signature {sig.status} ({sig.algorithm}; "
                    f"{sig.text}); {refs}"))
    for f in p.findings:
        out.append((1, f"Finding {f.rule} ({f.severity}, at fault: {f.side}; {f.requirement}): {f.text} "
                    f"(frame {f.frame})"))
    return out


def session_details(s: Session, plots: bool = False) -> list[str]:
    out = [f"#### {md(session_name(s))}", ""]
    for hs in s.handshakes:
        offers = ", ".join(f"{o.priority}: {code(o.namespace)} {o.version_major}.{o.version_minor} "
                           f"SchemaID {o.schema_id}" for o in hs.offers)
        schema = f"SchemaID {hs.schema_id}" if hs.schema_id is not None else "no SchemaID"
        answer = (f"{md(hs.response_code)}, {schema} → {md(short_name(hs.negotiated_namespace))} "
                  f"(frame {hs.res_frame})" if hs.res_frame else "no answer")
        out.append(f"- SupportedAppProtocol (stream {hs.stream}, frame {hs.req_frame}, "
                   f"{md(hs.tls_version or 'plain TCP')}): {offers}; SECC: {answer}")
    out.append(f"- BPT: {md(BPT_TEXT[s.bpt_outcome])}" + "".join(
        f"; {md(e.statement)} ({md(e.message)}, frame {e.frame})" for e in s.bpt.evidence))
    out.append(f"- TLS: {md(s.tls.summary)}" + "".join(f"; alert {md(a)}" for a in s.tls.alerts))
    for f in s.tls.findings:
        out.append(f"- Finding {md(f.requirement.strip('[]'))}: {md(f.text)} (frame {f.frame})")
    out += ["  " * depth + f"- {md(text)}" for depth, text in pnc_lines(s)]
    if s.phases:
        out.append("- Phases: " + " → ".join(f"{md(p.name)} {p.duration:.1f} s" + ("" if p.ok else " ✗")
                                             for p in s.phases))
    for fail in s.failures:
        out.append(f"- Failure in {md(fail.phase)}: {md(fail.message)} {md(fail.code)} (frame {fail.frame})")
    for note in s.notes:
        out.append(f"- Note: {md(note)}")
    out.append("")
    images = [f"![{name}]({plot_file(s, name)})" for name, _svg in session_plots(s)] if plots else []
    if images:
        out += [" ".join(images), ""]
    return out
