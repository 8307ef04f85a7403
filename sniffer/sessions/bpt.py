"""Bidirectional power transfer: collect the signals of one session and decide its outcome.

ISO 15118-20 signals: ServiceDiscoveryRes energy services (AC_BPT 5, DC_BPT 6, DC_ACDP_BPT 7,
MCS_BPT 9), ServiceDetailRes parameter sets, the ServiceSelectionReq choice, BPT discharge limits in
ChargeParameterDiscovery, the charge-loop control mode and PowerDeliveryReq's BPT_ChannelSelection.
Energy flowing from the vehicle shows as negative present current or power in the charge loop; in a
DIN/ISO-2 session that is reported as non-standard discharge.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .body import V2G, as_list, physical, walk
from .model import Bpt, Evidence, SeriesPoint
from .phases import stem
from .series import control_mode

BPT_SERVICES = {5: "AC_BPT", 6: "DC_BPT", 7: "DC_ACDP_BPT", 9: "MCS_BPT"}
"""ISO 15118-20 energy transfer ServiceIDs that carry BPT (MCS_BPT from the MCS extension)."""

DISCHARGE_CURRENT = -1.0
"""Amperes below which a present current counts as discharge (readings around 0 A are noise)."""
DISCHARGE_POWER = -100.0
"""Watts below which a present power counts as discharge."""


class BptSignals:
    """Mutable collector, one per session draft. ``mode_of`` stands in for :func:`control_mode`
    (the tracker passes a :class:`~.body.BodyMemo` of it)."""

    def __init__(self, mode_of: Callable[[Any], str | None] = control_mode) -> None:
        self.mode_of = mode_of
        self.offered: tuple[int, ...] = ()
        self.details: dict[int, dict[int, tuple[tuple[str, int | str], ...]]] = {}
        self.selected: tuple[int, int | None] | None = None
        self.mode: str | None = None
        self.channel: str | None = None
        self.limits: dict[str, float] = {}
        self.min_current: tuple[float, int] | None = None
        self.min_power: tuple[float, int] | None = None
        self.evidence: list[Evidence] = []

    def observe(self, msg: V2G, phase: str | None) -> None:
        s = stem(msg.name)
        c = msg.content
        if msg.name == "ServiceDiscoveryRes" and msg.schema == "iso20-cm":
            listed = c.get("EnergyTransferServiceList")
            services = [x.get("ServiceID") for x in as_list(listed.get("Service") if isinstance(listed, dict) else None)
                        if isinstance(x, dict)]
            self.offered = tuple(x for x in services if isinstance(x, int))
            bpt = [x for x in self.offered if x in BPT_SERVICES]
            text = ", ".join(f"{x} {BPT_SERVICES[x]}" for x in bpt) if bpt else "none"
            self.evidence.append(Evidence(f"SECC offers energy services {list(self.offered)}; BPT: {text}",
                                          msg.name, msg.frame))
        elif msg.name == "ServiceDetailRes" and isinstance(c.get("ServiceID"), int):
            sets: dict[int, tuple[tuple[str, int | str], ...]] = {}
            plist = c.get("ServiceParameterList")
            for ps in as_list(plist.get("ParameterSet") if isinstance(plist, dict) else None):
                if isinstance(ps, dict) and isinstance(ps.get("ParameterSetID"), int):
                    sets[ps["ParameterSetID"]] = tuple(_parameter(p) for p in as_list(ps.get("Parameter")))
            self.details[c["ServiceID"]] = sets
        elif msg.name == "ServiceSelectionReq":
            sel = c.get("SelectedEnergyTransferService")
            if isinstance(sel, dict) and isinstance(sel.get("ServiceID"), int):
                pid = sel.get("ParameterSetID")
                self.selected = (sel["ServiceID"], pid if isinstance(pid, int) else None)
                name = BPT_SERVICES.get(sel["ServiceID"], "no BPT")
                self.evidence.append(Evidence(f"EV selects service {sel['ServiceID']} ({name}), parameter set {pid}",
                                              msg.name, msg.frame))
        elif s == "ChargeParameterDiscovery":
            for key, node in walk(c):
                value = physical(node)
                if "Discharge" in key and value is not None and key not in self.limits:
                    self.limits[key] = value
            if any("Discharge" in k for k in self.limits) and not any(
                    e.message == msg.name for e in self.evidence):
                self.evidence.append(Evidence("BPT discharge limits exchanged", msg.name, msg.frame))
        elif msg.name == "PowerDeliveryReq" and isinstance(c.get("BPT_ChannelSelection"), str):
            self.channel = c["BPT_ChannelSelection"]
            self.evidence.append(Evidence(f"PowerDelivery BPT channel {self.channel}", msg.name, msg.frame))
        if phase == "ChargeLoop" and self.mode is None:
            self.mode = self.mode_of(c)
            if self.mode:
                self.evidence.append(Evidence(f"charge loop control mode {self.mode}", msg.name, msg.frame))

    def flow(self, pt: SeriesPoint, phase: str | None) -> None:
        """Track the lowest present current/power of the charge loop."""
        if phase != "ChargeLoop":
            return
        cur = pt.get("evse_present_current")
        if cur is not None and (self.min_current is None or cur < self.min_current[0]):
            self.min_current = (cur, pt.frame)
        for name in ("evse_present_power", "ev_present_power"):
            pw = pt.get(name)
            if pw is not None and (self.min_power is None or pw < self.min_power[0]):
                self.min_power = (pw, pt.frame)

    @property
    def discharge(self) -> tuple[str, int] | None:
        """(statement, frame) when energy flowed from the vehicle."""
        if self.min_current and self.min_current[0] <= DISCHARGE_CURRENT:
            return f"negative present current {self.min_current[0]:g} A", self.min_current[1]
        if self.min_power and self.min_power[0] <= DISCHARGE_POWER:
            return f"negative present power {self.min_power[0]:g} W", self.min_power[1]
        return None

    def result(self, protocol: str | None, flow_message: str = "charge loop") -> Bpt:
        evidence = list(self.evidence)
        discharge = self.discharge
        if discharge:
            evidence.append(Evidence(f"energy from the vehicle: {discharge[0]}", flow_message, discharge[1]))
        selected = self.selected[0] if self.selected else None
        params: tuple[tuple[str, int | str], ...] = ()
        if self.selected and self.selected[1] is not None:
            params = self.details.get(self.selected[0], {}).get(self.selected[1], ())
        non_standard = False
        if protocol is None:
            outcome = "handshake-failed"
        elif not protocol.startswith("iso20"):
            outcome = "protocol-without-bpt"
            non_standard = discharge is not None
        elif discharge and (selected is None or selected in BPT_SERVICES):
            outcome = "bpt-working"
        elif selected in BPT_SERVICES:
            outcome = "bpt-negotiated-no-discharge"
        elif any(x in BPT_SERVICES for x in self.offered):
            outcome = "bpt-offered-not-selected"
        else:
            outcome = "no-bpt-offered"
            non_standard = discharge is not None
        return Bpt(
            outcome, non_standard, self.offered, selected, params, self.mode, self.channel,
            tuple(sorted(self.limits.items())),
            self.min_current[0] if self.min_current else None,
            self.min_power[0] if self.min_power else None,
            tuple(evidence),
        )


def _parameter(p: Any) -> tuple[str, int | str]:
    if not isinstance(p, dict):
        return ("?", str(p))
    name = str(p.get("@Name", "?"))
    for key in ("intValue", "shortValue", "byteValue", "boolValue", "finiteString"):
        if key in p:
            v = p[key]
            return (name, v if isinstance(v, int | str) else str(v))
    phys = physical(p.get("rationalNumber"))
    return (name, str(phys) if phys is not None else "?")
