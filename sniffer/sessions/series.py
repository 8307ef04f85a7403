"""Time-series values of one message: targets, present values, SoC and limits as floats."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from .body import V2G, physical, walk

if TYPE_CHECKING:
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
    from .model import SeriesPoint  # the model loads with the tracker: the findings need only the values

    return SeriesPoint(msg.time, msg.frame, msg.name, values)


# key -> (series name, how it counts): the scan below asks this one table per element instead of
# walking the body into a list first
_FIRST, _PHASE, _SOC_KEY = 0, 1, 2
"""The first element of a name wins; an ISO-20 _L2/_L3 phase value adds to the first phase's; SoC."""
_SCAN: dict[str, tuple[str, int]] = {
    **{key: (name, _FIRST) for key, name in _KEYS.items()},
    **{key + suffix: (name, _PHASE) for key, name in _PHASE_SUMS.items() for suffix in ("_L2", "_L3")},
    **{key: ("soc", _SOC_KEY) for key in _SOC},
}
_LEAVES = frozenset({str, int, float, bool, type(None)})


def series_values(content: Any) -> Values:
    """The (series name, value) pairs of a message's content, sorted by name.

    Reads every element in document order, as :func:`~.body.walk` lists them: the first element
    of a name wins, SoC is the first integer EVRESSSOC/PresentSOC, and the ISO-20 _L2/_L3 phase
    powers are added to the first phase's value."""
    values: dict[str, float] = {}
    extra_phases: dict[str, float] = {}
    if isinstance(content, Mapping):
        _scan(content, values, extra_phases)
    for name, value in extra_phases.items():
        if name in values:
            values[name] += value
    _derive(values, "evse_present_power", "evse_present_voltage", "evse_present_current")
    _derive(values, "ev_target_power", "ev_target_voltage", "ev_target_current")
    return tuple(sorted(values.items()))


def _scan(node: Mapping[str, Any], values: dict[str, float], extra_phases: dict[str, float]) -> None:
    for key, value in node.items():
        found = _SCAN.get(key)
        for item in value if isinstance(value, list) else (value,):
            # a value taken is a PhysicalValue/RationalNumber or an integer: nothing of interest below
            if found is not None and _take(found, item, values, extra_phases):
                continue
            if type(item) is dict or (type(item) not in _LEAVES and isinstance(item, Mapping)):
                _scan(item, values, extra_phases)


def _take(found: tuple[str, int], item: Any, values: dict[str, float], extra_phases: dict[str, float]) -> bool:
    """Count ``item`` under ``found``'s series name; False when it is not a value of that kind."""
    name, how = found
    if how == _SOC_KEY:
        if not isinstance(item, int):
            return False
        if name not in values:
            values[name] = float(item)
        return True
    number = physical(item)
    if number is None:
        return False
    if how == _PHASE:
        extra_phases[name] = extra_phases.get(name, 0.0) + number
    elif name not in values:
        values[name] = number
    return True


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
