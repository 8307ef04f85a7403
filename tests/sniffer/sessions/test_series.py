"""series_values: the physical values of a message, read in one scan of its body."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import REAL, real_captures
from tests.sniffer.decoded import decode_file
from v2gsniff.sniffer.sessions.body import message_of, physical, walk
from v2gsniff.sniffer.sessions.series import _KEYS, _PHASE_SUMS, _SOC, series_values


def by_walk(content: Any) -> tuple[tuple[str, float], ...]:
    """The definition, spelled out over the flat (key, value) list of ``walk``: first element of a
    name wins, SoC is the first integer, _L2/_L3 phase powers add to the first phase's value."""
    values: dict[str, float] = {}
    phases: dict[str, float] = {}
    for key, node in walk(content):
        if key in _SOC and isinstance(node, int):
            values.setdefault("soc", float(node))
            continue
        base = key[:-3] if key[-3:] in ("_L2", "_L3") else key
        if base not in _KEYS or physical(node) is None:
            continue
        value = physical(node)
        assert value is not None
        if base != key:
            if base in _PHASE_SUMS:
                phases[_KEYS[base]] = phases.get(_KEYS[base], 0.0) + value
        else:
            values.setdefault(_KEYS[base], value)
    for name, value in phases.items():
        if name in values:
            values[name] += value
    for power, voltage, current in (("evse_present_power", "evse_present_voltage", "evse_present_current"),
                                    ("ev_target_power", "ev_target_voltage", "ev_target_current")):
        if power not in values and voltage in values and current in values:
            values[power] = round(values[voltage] * values[current], 6)
    return tuple(sorted(values.items()))


def test_phases_first_wins_and_soc() -> None:
    pv = {"Value": 5, "Exponent": 2}
    content = {"EVSEPresentActivePower": {"Value": 1, "Exponent": 3}, "EVSEPresentActivePower_L2": pv,
               "EVSEPresentActivePower_L3": pv, "X": [{"EVSEPresentVoltage": {"Value": 4, "Multiplier": 2}},
                                                      {"EVSEPresentVoltage": {"Value": 9, "Multiplier": 0}}],
               "DC_EVStatus": {"EVRESSSOC": 42}, "PresentSOC": 7, "EVSEPresentCurrent": [pv, pv]}
    assert dict(series_values(content)) == {"evse_present_power": 2000.0, "evse_present_voltage": 400.0,
                                            "evse_present_current": 500.0, "soc": 42.0}
    assert series_values(content) == by_walk(content)


@pytest.mark.parametrize("name", real_captures())
def test_every_real_message_as_the_walk_defines(name: str) -> None:
    records, _error = decode_file(REAL / name)
    seen: set[int] = set()
    for r in records:
        body = r.extra.get("body") if r.kind == "v2g" else None
        if body is None or id(body) in seen:
            continue
        seen.add(id(body))
        found = message_of(body)
        if found is not None:
            assert series_values(found[1]) == by_walk(found[1]), (r.frame, r.name)
