"""Value rules: what the physical values of a charge loop say about each side."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from v2gsniff.sniffer.bounded import BoundedDict

from .model import Finding, Rule

if TYPE_CHECKING:  # the view imports this module's implausible(); rules only annotate with Message
    from .view import Message

LIMIT_TOLERANCE = 0.05
"""Present values may exceed the announced maximum by this fraction (meter and regulation error)."""
LIMIT_SLACK = {"voltage": 5.0, "current": 2.0, "power": 500.0}
"""... plus this absolute margin (V, A, W), so small limits are not judged on noise."""
PRECHARGE_TOLERANCE_V = 20.0
"""PreCharge should end with the EVSE voltage within this of the EV target (pyPLC and EVerest use 10-20 V)."""
SOC_JUMP = 10.0
"""Percentage points between consecutive SoC reports that a battery cannot move."""
PLAUSIBLE = {"voltage": 1500.0, "current": 1500.0, "power": 2_000_000.0}
"""Magnitudes no CCS/MCS equipment reaches: a wrong multiplier or unit is the likelier cause."""
FLOWING_A = 1.0
"""Present current above which power is flowing."""

OVER_OWN_LIMIT = Rule("values.evse-present-over-limit", "error", "evse",
                      "the EVSE's present values stay within its own announced maximum limits",
                      "The EVSE reports a present voltage, current or power above its own maximum")
TARGET_OVER_EVSE = Rule("values.ev-target-over-evse-max", "info", "ev",
                        "the EV should request within the EVSE's announced maximum (the EVSE limits anyway)",
                        "The EV requests more than the EVSE's announced maximum")
PRECHARGE_MISMATCH = Rule("values.precharge-voltage", "warning", "evse",
                          "PreCharge adapts the EVSE voltage to the EV's battery voltage before the contactors "
                          f"close (tolerance {PRECHARGE_TOLERANCE_V:g} V)",
                          "PreCharge ended with the EVSE voltage far from the EV's target")
SOC_JUMP_RULE = Rule("values.soc", "warning", "ev",
                     f"SoC moves slowly; a jump over {SOC_JUMP:g} points between reports is a wrong value",
                     "The EV's state of charge jumps")
IMPLAUSIBLE = Rule("values.implausible", "warning", "unknown",
                   "PhysicalValue Multiplier/Unit or RationalNumber Exponent giving a magnitude no CCS "
                   "equipment reaches",
                   "A value whose magnitude is implausible (wrong multiplier or unit?)")
STATUS_WHILE_FLOWING = Rule("values.status-while-flowing", "warning", "unknown",
                            "while current flows the EVSE is Ready, isolation Valid, and the EV reports NO_ERROR",
                            "A status or error code other than ready/valid while power flows")
NON_STANDARD_DISCHARGE = Rule("values.non-standard-discharge", "warning", "both",
                              "DIN SPEC 70121 and ISO 15118-2 have no bidirectional transfer: energy flows "
                              "to the vehicle only",
                              "Energy flowed from the vehicle in a protocol without BPT")
RULES = (OVER_OWN_LIMIT, TARGET_OVER_EVSE, PRECHARGE_MISMATCH, SOC_JUMP_RULE, IMPLAUSIBLE, STATUS_WHILE_FLOWING,
         NON_STANDARD_DISCHARGE)

_UNIT = {"voltage": "V", "current": "A", "power": "W"}
_KEYS = tuple((q, f"evse_max_{q}", f"evse_present_{q}", f"ev_target_{q}") for q in ("voltage", "current", "power"))


def maxima(values: dict[str, float]) -> tuple[tuple[str, float], ...]:
    """(quantity, limit) of the positive EVSE maximum limits among a message's values."""
    return tuple((q, values[key]) for q, key, _present, _target in _KEYS if values.get(key, 0) > 0)


def implausible(values: dict[str, float]) -> tuple[tuple[str, float, str], ...]:
    """(name, value, quantity) of the values whose magnitude no CCS equipment reaches."""
    out = []
    for name, value in values.items():
        q = _quantity(name)
        if q is not None and abs(value) > PLAUSIBLE[q]:
            out.append((name, value, q))
    return tuple(out)


@lru_cache(256)  # series names come from one fixed table
def _quantity(name: str) -> str | None:
    q = name[name.rfind("_") + 1:]
    return q if q in PLAUSIBLE else None


class Values:
    """Physical values of one TCP connection. Mutable."""

    __slots__ = ("evse_max", "fired", "soc", "pre_target", "pre_present", "flowing", "checked", "version")

    def __init__(self) -> None:
        self.evse_max: dict[str, float] = {}
        self.fired: set[object] = set()
        self.soc: tuple[float, Message] | None = None
        self.pre_target: float | None = None
        self.pre_present: tuple[float, Message] | None = None
        self.flowing = False
        # values objects (one per distinct message body) already judged against the limits as they
        # stood (``version``): a repeated charge-loop message has nothing new to say about them
        self.checked: BoundedDict[int, tuple[object, int]] = BoundedDict(1024)
        self.version = 0

    def message(self, m: Message) -> list[Finding]:
        values = m.values
        if not values and m.stem != "PowerDelivery":
            return []
        out: list[Finding] = []
        limits = self.evse_max
        for q, limit in m.maxima:
            if limits.get(q) != limit:
                limits[q] = limit
                self.version += 1
        seen = self.checked.get(id(values))
        if seen is None or seen[0] is not values or seen[1] != self.version:
            self.checked.put(id(values), (values, self.version))
            self._limits(m, "ev" if m.from_ev else "evse", out)
        self._dynamic(m, out)
        return out

    def restart(self) -> None:
        """The capture lost bytes of the connection: the reports before it are not the last ones before
        what follows (a lost PreChargeRes, SoC reports apart by the loss). The announced limits stay."""
        self.soc = self.pre_present = self.pre_target = None

    def _limits(self, m: Message, side: str, out: list[Finding]) -> None:
        """Rules that depend on the message's values and the announced limits only."""
        get = m.values.get
        limits = self.evse_max
        fired = self.fired
        # (quantity, its max/present/target keys): the per-message path builds no strings
        for q, _max, present_key, target_key in _KEYS:
            limit = limits.get(q)
            if limit is None:
                continue
            bound = limit * (1 + LIMIT_TOLERANCE) + LIMIT_SLACK[q]
            present = get(present_key)
            if present is not None and present > bound and present_key not in fired:
                fired.add(present_key)
                out.append(OVER_OWN_LIMIT.finding(
                    f"EVSE present {q} {present:g} {_UNIT[q]} above its own maximum {limit:g} {_UNIT[q]}",
                    m.frame, m.time, message=m.name))
            target = get(target_key)
            if target is not None and target > bound and target_key not in fired:
                fired.add(target_key)
                out.append(TARGET_OVER_EVSE.finding(
                    f"EV target {q} {target:g} {_UNIT[q]} above the EVSE maximum {limit:g} {_UNIT[q]}",
                    m.frame, m.time, message=m.name))
        for name, value, q in m.implausible:
            if ("implausible", name) not in fired:
                fired.add(("implausible", name))
                out.append(IMPLAUSIBLE.finding(f"{name} = {value:g} {_UNIT[q]} in {m.name}", m.frame, m.time,
                                               message=m.name, side=side))

    def _dynamic(self, m: Message, out: list[Finding]) -> None:
        """Rules that compare a message with earlier ones (SoC, PreCharge) or need the flow state."""
        values = m.values
        soc = values.get("soc")
        if soc is not None and m.from_ev:
            prev = self.soc
            if prev is not None and prev[0] != soc and abs(soc - prev[0]) > SOC_JUMP and "soc" not in self.fired:
                self.fired.add("soc")
                out.append(SOC_JUMP_RULE.finding(f"SoC {prev[0]:g} % (frame {prev[1].frame}) then {soc:g} %",
                                                 m.frame, m.time, message=m.name, evidence=(prev[1].frame, m.frame)))
            self.soc = (soc, m)
        if m.quiet:  # a charge-loop message: no PreCharge to follow, no status fault to report
            current = values.get("evse_present_current")
            if current is not None:
                self.flowing = current > FLOWING_A
            return
        if m.stem == "PreCharge":
            if m.from_ev and "ev_target_voltage" in values:
                self.pre_target = values["ev_target_voltage"]
            elif not m.from_ev and "evse_present_voltage" in values:
                self.pre_present = (values["evse_present_voltage"], m)
        elif m.stem == "PowerDelivery" and m.from_ev and self.pre_present is not None \
                and self.pre_target is not None:
            present, res = self.pre_present
            self.pre_present = None
            if abs(present - self.pre_target) > PRECHARGE_TOLERANCE_V:
                out.append(PRECHARGE_MISMATCH.finding(
                    f"PreCharge ends at {present:g} V for an EV target of {self.pre_target:g} V",
                    res.frame, res.time, message=res.name, evidence=(res.frame, m.frame)))
        current = values.get("evse_present_current")
        if current is not None:
            self.flowing = m.phase == "ChargeLoop" and current > FLOWING_A
        if self.flowing and m.phase == "ChargeLoop" and "status" not in self.fired:
            bad = m.faults[m.from_ev]
            if bad:
                self.fired.add("status")
                out.append(STATUS_WHILE_FLOWING.finding(f"{', '.join(bad)} in {m.name} while current flows",
                                                        m.frame, m.time, message=m.name,
                                                        side="ev" if m.from_ev else "evse"))
