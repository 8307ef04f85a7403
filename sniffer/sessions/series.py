"""Time-series values of one message: targets, present values, SoC and limits as floats."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .body import V2G, physical, walk
from .model import SeriesPoint

# Element local name -> series name. DIN/ISO-2 and ISO-20 spell the same quantity differently;
# the first element of a name in document order wins (ISO-20 _L2/_L3 phases are added below).
_KEYS = {
    "EVTargetVoltage": "ev_target_voltage",
    "EVTargetCurrent": "ev_target_current",
    "EVTargetPower": "ev_target_power",
    "EVPresentVoltage": "ev_present_voltage",
    "EVPresentActivePower": "ev_present_power",
    "EVSEPresentVoltage": "evse_present_voltage",
    "EVSEPresentCurrent": "evse_present_current",
    "EVSEPresentActivePower": "evse_present_power",
    "EVMaximumVoltageLimit": "ev_max_voltage",
    "EVMaximumVoltage": "ev_max_voltage",
    "EVMaxVoltage": "ev_max_voltage",
    "EVMaximumCurrentLimit": "ev_max_current",
    "EVMaximumChargeCurrent": "ev_max_current",
    "EVMaxCurrent": "ev_max_current",
    "EVMaximumPowerLimit": "ev_max_power",
    "EVMaximumChargePower": "ev_max_power",
    "EVSEMaximumVoltageLimit": "evse_max_voltage",
    "EVSEMaximumVoltage": "evse_max_voltage",
    "EVSEMaximumCurrentLimit": "evse_max_current",
    "EVSEMaximumChargeCurrent": "evse_max_current",
    "EVSEMaxCurrent": "evse_max_current",
    "EVSEMaximumPowerLimit": "evse_max_power",
    "EVSEMaximumChargePower": "evse_max_power",
    "EVMaximumDischargePower": "ev_max_discharge_power",
    "EVSEMaximumDischargePower": "evse_max_discharge_power",
    "EVMaximumDischargeCurrent": "ev_max_discharge_current",
    "EVSEMaximumDischargeCurrent": "evse_max_discharge_current",
}
_SOC = ("EVRESSSOC", "PresentSOC")
_PHASE_SUMS = {"EVSEPresentActivePower": "evse_present_power", "EVPresentActivePower": "ev_present_power"}

SERIES_PHASES = frozenset({
    "ChargeParameterDiscovery", "CableCheck", "PreCharge", "PowerDelivery", "ChargeLoop", "WeldingDetection",
})
"""Phases whose messages contribute points."""


Values = tuple[tuple[str, float], ...]


def point(msg: V2G, values_of: Callable[[Any], Values] | None = None) -> SeriesPoint | None:
    """The series point of one message, or ``None`` when it carries no such value.
    ``values_of`` stands in for :func:`series_values` (a :class:`~.body.BodyMemo` of it)."""
    values = (values_of or series_values)(msg.content)
    if not values:
        return None
    return SeriesPoint(msg.time, msg.frame, msg.name, values)


def series_values(content: Any) -> Values:
    """The (series name, value) pairs of a message's content, sorted by name."""
    values: dict[str, float] = {}
    extra_phases: dict[str, float] = {}
    for key, node in walk(content):
        if key in _SOC and isinstance(node, int) and "soc" not in values:
            values["soc"] = float(node)
            continue
        base = key[:-3] if key.endswith(("_L2", "_L3")) else key
        name = _KEYS.get(base)
        if name is None:
            continue
        value = physical(node)
        if value is None:
            continue
        if base != key:
            if base in _PHASE_SUMS:
                extra_phases[name] = extra_phases.get(name, 0.0) + value
            continue
        values.setdefault(name, value)
    for name, value in extra_phases.items():
        if name in values:
            values[name] += value
    _derive(values, "evse_present_power", "evse_present_voltage", "evse_present_current")
    _derive(values, "ev_target_power", "ev_target_voltage", "ev_target_current")
    return tuple(sorted(values.items()))


def _derive(values: dict[str, float], power: str, voltage: str, current: str) -> None:
    if power not in values and voltage in values and current in values:
        values[power] = round(values[voltage] * values[current], 6)


def control_mode(content: Any) -> str | None:
    """``Scheduled``/``Dynamic`` (with ``BPT_`` when the BPT variant is used) from an ISO-20 message."""
    for key, _ in walk(content):
        if key.endswith("ControlMode") and ("Scheduled" in key or "Dynamic" in key):
            mode = "Scheduled" if "Scheduled" in key else "Dynamic"
            return f"BPT {mode}" if key.startswith("BPT_") else mode
    return None
