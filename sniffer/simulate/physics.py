"""A small battery and power-stage model so values on the wire move the way real ones do.

PreCharge ramps the EVSE output towards the battery voltage; in the charge loop the present current
follows the EV's target with a first-order lag and a little noise; the battery voltage is its
open-circuit voltage plus the IR drop; SoC integrates the energy. Time in the demo captures is
short, so ``capacity_wh`` is deliberately small (the SoC visibly moves within a few dozen cycles).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass
class Battery:
    soc: float
    """State of charge, percent."""
    v_empty: float = 330.0
    v_full: float = 410.0
    resistance: float = 0.06
    capacity_wh: float = 900.0
    max_current: float = 200.0
    max_voltage: float = 420.0

    def ocv(self) -> float:
        return self.v_empty + (self.v_full - self.v_empty) * self.soc / 100.0

    def terminal(self, current: float) -> float:
        return self.ocv() + current * self.resistance

    def flow(self, current: float, seconds: float) -> None:
        """``current`` > 0 charges, < 0 discharges."""
        self.soc += current * self.terminal(current) * seconds / 3600.0 / self.capacity_wh * 100.0
        self.soc = max(0.0, min(100.0, self.soc))


def precharge_ramp(rng: random.Random, target: float, steps: int) -> list[float]:
    """EVSE present voltages over ``steps`` PreCharge cycles, ending within 2 V of ``target``."""
    out = []
    v = 0.0
    for i in range(steps):
        remaining = steps - i
        v += (target - v) / max(1, remaining - 1) if remaining > 1 else target - v
        out.append(max(0.0, min(v + rng.uniform(-1.5, 0.5), target + 1.0)))
    out[-1] = target + rng.uniform(-1.5, 1.5)
    return out


@dataclass(frozen=True)
class LoopStep:
    target_current: float
    present_current: float
    present_voltage: float
    soc: float
    dt: float


def charge_loop(rng: random.Random, battery: Battery, cycles: int, limit: float,
                dt: float = 0.25, switch_at: int | None = None, discharge_limit: float = 0.0,
                ramp: float = 25.0) -> Iterator[LoopStep]:
    """``cycles`` loop steps; the target ramps by ``ramp`` A per step to ``limit`` A and, from step
    ``switch_at``, ramps down through zero to ``-discharge_limit`` A (bidirectional transfer)."""
    target = 0.0
    present = 0.0
    for i in range(cycles):
        goal = limit if switch_at is None or i < switch_at else -discharge_limit
        target += max(-ramp, min(ramp, goal - target))
        if cycles - i <= 3:  # the EV winds down before it stops
            target = max(0.0, target * 0.3) if target > 0 else min(0.0, target * 0.3)
        present += (target - present) * 0.45 + rng.uniform(-0.3, 0.3)
        battery.flow(present, dt)
        yield LoopStep(target, present, battery.terminal(present), battery.soc, dt)
