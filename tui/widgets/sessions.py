"""The sessions pane: one line per charging session, and for the selected one its phase ladder
(SLAC → SDP → TLS → SupportedAppProtocol → ... → SessionStop, durations coloured by outcome),
the SupportedAppProtocol offers by priority, the BPT outcome and the TLS posture."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from v2gsniff.sniffer.output.inert import inert_line
from v2gsniff.sniffer.sessions import PHASES, Session

from ..store import UiSession

_BPT_STYLE = {"bpt-working": "bold green", "bpt-negotiated-no-discharge": "yellow", "bpt-offered-not-selected": "yellow",
              "handshake-failed": "bold red"}


def session_prompt(u: UiSession) -> Text:
    s = u.session
    ok = not s.failures and (s.ended_by is None or s.ended_by.kind == "SessionStop")
    mark = ("●", "yellow") if s.ended_by is None else ("✓", "green") if ok else ("✗", "red")
    t = Text()
    t.append(f"{mark[0]} ", style=mark[1])
    t.append(f"#{u.number} ", style="bold")
    t.append(f"{s.protocol_name:<9.9} ", style="cyan")
    t.append(f"{inert_line(s.vehicle.name)[:17]:<17} ")
    t.append(f"{s.last_phase or '-'}", style="dim")
    return t


def ladder(s: Session) -> Text:
    """The phase ladder in session order: total seconds per phase, green when every stretch was OK."""
    t = Text()
    reached = {p.name for p in s.phases}
    ended_in = s.last_phase
    ending = s.ended_by
    for name in PHASES:
        stretches = [p for p in s.phases if p.name == name]
        if not stretches:
            t.append(f"  · {name}\n", style="dim")
            continue
        ok = all(p.ok for p in stretches)
        seconds = sum(p.duration for p in stretches)
        times = f" ×{len(stretches)}" if len(stretches) > 1 else ""
        style = "green" if ok else "bold red"
        t.append(f"  {'✓' if ok else '✗'} {name:<24}", style=style)
        t.append(f"{seconds:>8.2f} s{times}", style=style)
        if name == ended_in and ending is not None and ending.kind != "SessionStop":
            t.append(f"  ← {ending.kind}", style="bold yellow")
        t.append("\n")
    if not reached:
        t.append("  (no phase seen yet)\n", style="dim")
    return t


FINDINGS_SHOWN = 8
"""Findings listed in the session pane (the rest are counted)."""
_SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}
_MARK = {"error": "✗", "warning": "!", "info": "i"}


def session_text(u: UiSession) -> Text:
    s = u.session
    t = Text()
    t.append(f"Session #{u.number}", style="bold")
    if u.capture:
        t.append(f"  {inert_line(u.capture.rsplit('/', 1)[-1])[:40]}", style="dim")
    t.append("\n")
    t.append("vehicle  ", style="dim")
    t.append(f"{inert_line(s.vehicle.name)}\n")
    t.append("charger  ", style="dim")
    t.append(f"{inert_line(s.charger.name)}\n")
    t.append("protocol ", style="dim")
    t.append(inert_line(s.protocol_name), style="cyan")
    if s.energy_transfer or s.authorization:
        t.append(f"  {' '.join(x for x in (s.energy_transfer, s.authorization) if x)}")
    t.append(f"\nframes   {s.first_frame}-{s.last_frame}, {s.duration:.1f} s\n", style="")
    t.append("\nPhases\n", style="bold underline")
    t.append_text(ladder(s))
    if s.ended_by is not None:
        style = "green" if s.ended_by.kind == "SessionStop" and not s.failures else "yellow"
        t.append(inert_line(f"  ended by {s.ended_by.kind}: {s.ended_by.detail} (frame {s.ended_by.frame})") + "\n",
                 style=style)
    else:
        t.append("  still open\n", style="yellow")
    for f in s.failures[:5]:
        t.append(inert_line(f"  ✗ {f.message} {f.code} (frame {f.frame})") + "\n", style="red")
    if s.findings:
        t.append("\nFindings\n", style="bold underline")
        for finding in s.findings[:FINDINGS_SHOWN]:
            t.append(f"  {_MARK[finding.severity]} {finding.rule}", style=_SEVERITY_STYLE[finding.severity])
            t.append(inert_line(f" [{finding.side}] {finding.text} (frame {finding.frame})") + "\n")
        if len(s.findings) > FINDINGS_SHOWN:
            t.append(f"  … {len(s.findings) - FINDINGS_SHOWN} more (v2gsniff check)\n", style="dim")
    t.append("\nSupportedAppProtocol\n", style="bold underline")
    if not s.sap_offers:
        t.append("  no handshake seen\n", style="dim")
    for offer in sorted(s.sap_offers, key=lambda o: o.priority):
        chosen = s.negotiated_namespace == offer.namespace and s.sap_response_code is not None
        t.append(inert_line(f"  {offer.priority}. {offer.name} {offer.version_major}.{offer.version_minor} "
                            f"id {offer.schema_id}"), style="bold green" if chosen else "")
        t.append("  ← chosen\n" if chosen else "\n", style="green")
    if s.sap_response_code:
        code_ok = s.sap_response_code.startswith("OK")
        t.append(f"  {inert_line(s.sap_response_code)}\n", style="green" if code_ok else "bold red")
    t.append("\nBPT ", style="bold underline")
    t.append(f" {s.bpt.outcome}", style=_BPT_STYLE.get(s.bpt.outcome, ""))
    if s.bpt.non_standard_discharge:
        t.append("  (energy flowed from the vehicle)", style="yellow")
    if s.bpt.offered_services:
        t.append(f"\n  offered services {', '.join(map(str, s.bpt.offered_services))}")
    if s.bpt.selected_service is not None:
        t.append(f"; selected {s.bpt.selected_service}")
    if s.bpt.control_mode:
        t.append(f"; {s.bpt.control_mode}")
    t.append("\n\nTLS ", style="bold underline")
    t.append(f" {inert_line(s.tls.summary)}\n")
    return t


class SessionsPane(Vertical):
    DEFAULT_CSS = """
    SessionsPane > OptionList { height: auto; max-height: 8; }
    SessionsPane > VerticalScroll { height: 1fr; }
    """

    class Chosen(Message):
        """A session was highlighted (``select`` when Enter was pressed: show only its messages)."""

        def __init__(self, number: int, select: bool) -> None:
            super().__init__()
            self.number = number
            self.select = select

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.sessions: list[UiSession] = []
        self._announced = -1
        self._prompts: list[Text] = []
        self._detail: Text | None = None

    def compose(self) -> ComposeResult:
        yield OptionList(id="session-list")
        with VerticalScroll(id="session-detail-scroll"):
            yield Static("no session yet", id="session-detail")

    @property
    def selected(self) -> UiSession | None:
        ol = self.query_one(OptionList)
        i = ol.highlighted
        return self.sessions[i] if i is not None and 0 <= i < len(self.sessions) else None

    def update_sessions(self, sessions: list[UiSession]) -> None:
        """Show a new snapshot. Live, one arrives twice a second and usually only the newest
        session changed: only changed lines are replaced and new ones added, so the list keeps
        its scroll position and nothing else is redrawn."""
        ol = self.query_one(OptionList)
        keep = ol.highlighted
        prompts = [session_prompt(u) for u in sessions]
        known = len(self._prompts)
        same = len(sessions) >= known and all(
            (a.number, a.capture, a.session.id) == (b.number, b.capture, b.session.id)
            for a, b in zip(self.sessions, sessions, strict=False))
        self.sessions = sessions
        if same:
            for i, (old, new) in enumerate(zip(self._prompts, prompts, strict=False)):
                if old != new:
                    ol.replace_option_prompt_at_index(i, new)
            ol.add_options([Option(p, id=str(u.number)) for u, p in zip(sessions[known:], prompts[known:], strict=True)])
        else:
            ol.clear_options()
            ol.add_options([Option(p, id=str(u.number)) for u, p in zip(sessions, prompts, strict=True)])
        self._prompts = prompts
        if sessions and (ol.highlighted is None or not same):
            ol.highlighted = min(keep, len(sessions) - 1) if keep is not None else 0
        self._show()

    def _show(self) -> None:
        u = self.selected
        text = session_text(u) if u else Text("no session yet")
        if text != self._detail:  # a layout each time: only when the text changed
            self._detail = text
            self.query_one("#session-detail", Static).update(text)

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        self._show()
        u = self.selected
        if u is not None and u.number != self._announced:
            self._announced = u.number
            self.post_message(self.Chosen(u.number, select=False))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        u = self.selected
        if u is not None:
            self.post_message(self.Chosen(u.number, select=True))
