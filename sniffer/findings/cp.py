"""Control-pilot timers, where the capture carries the CP state (test-system indications: dSPACE,
ST/IoTecha, SPIDCOM; see ``dissectors.homeplug.vendor``): captures without them are not judged."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from v2gsniff.sniffer.model import Record

from .model import Finding, Rule
from .view import Message

CP_STATE = Rule("timing.cp-state", "warning", "ev",
                "[V2G2-847]/[V2G2-848] (ISO 15118-2; [V2G20-847] in -20; Josev, EVerest): the EV is in CP state C "
                "or D 0.25 s after PowerDeliveryRes(Start) at the latest, and back in B 0.25 s after "
                "PowerDeliveryRes(Stop); judged on the capture's CP-state indications (their sampling adds "
                "latency: a warning)",
                "The EV changed its control-pilot state late around PowerDelivery")
RULES = (CP_STATE,)

CP_SWITCH_S = 0.25
TOLERANCE_S = 0.01
"""Sub-second limits get the -3/-4 test ports' 10 ms transmission allowance (``timing``)."""


def cp_letter(state: object) -> str | None:
    """``C2 (HLC requested, 5 %)`` -> ``C``; None for what names no state (``-``)."""
    return state[0] if isinstance(state, str) and state[:1] in ("A", "B", "C", "D", "E", "F") else None


def power_delivery_goal(content: Mapping[str, Any]) -> str | None:
    """The CP states a PowerDeliveryReq asks the EV to reach: ``CD`` to start, ``B`` to stop."""
    if content.get("ChargeProgress") == "Start" or content.get("ReadyToChargeState") is True:
        return "CD"
    if content.get("ChargeProgress") == "Stop" or content.get("ReadyToChargeState") is False:
        return "B"
    return None


class CpTimers:
    """The CP state the capture reports, against PowerDelivery. Mutable; one per capture."""

    __slots__ = ("state", "waiting")

    def __init__(self) -> None:
        self.state: tuple[str, Record] | None = None
        """The last CP state indicated (letter, its record): ``None`` until the capture shows one."""
        self.waiting: tuple[str, Message, Message] | None = None
        """(goal states, PowerDeliveryReq, PowerDeliveryRes) not reached yet."""

    @property
    def stream(self) -> int | None:
        """The TCP stream of the PowerDelivery waited on (its findings belong to that connection)."""
        return self.waiting[2].stream if self.waiting is not None else None

    def record(self, r: Record) -> list[Finding]:
        state = r.fields.get("cp_state")
        letter = cp_letter(state)
        if letter is None:
            return []
        self.state = (letter, r)
        wait = self.waiting
        if wait is None:
            return []
        goal, req, res = wait
        took = r.time - res.time
        late = took > CP_SWITCH_S + TOLERANCE_S
        if letter in goal or late:
            self.waiting = None
        if not late:
            return []
        what = f"CP state {state} only" if letter in goal else f"CP still {state}"
        return [self._late(req, res, goal, f"{what} at frame {r.frame}, {took * 1000:.0f} ms after", r)]

    # No indication after a PowerDelivery before the capture ends proves nothing (the test system
    # may simply stop reporting): only an indication judges, so there is no end-of-capture finding.

    def power_delivery(self, req: Message | None, res: Message) -> None:
        """An OK PowerDeliveryRes (``req``: its request): start the clock, unless the CP is already there."""
        if self.state is None or req is None:
            return  # no CP channel in this capture (or not yet): nothing to judge against
        goal = power_delivery_goal(req.content)
        if goal is not None and self.state[0] not in goal:
            self.waiting = (goal, req, res)

    @staticmethod
    def _late(req: Message, res: Message, goal: str, what: str, at: Record | None) -> Finding:
        wanted = "C/D" if goal == "CD" else "B"
        return CP_STATE.finding(f"{what} PowerDeliveryRes (frame {res.frame}) asked for {wanted} "
                                f"(limit {CP_SWITCH_S * 1000:.0f} ms)", at.frame if at else res.frame,
                                at.time if at else res.time, message=res.name,
                                evidence=(req.frame, res.frame) + ((at.frame,) if at else ()))
