"""The message order each standard allows: which request may follow the previous one.

One table per protocol, from the message sequences of DIN SPEC 70121 (DC only), ISO 15118-2 and
ISO 15118-20 (AC and DC), in message stems (``DC_CableCheckReq`` -> ``CableCheck``): request ->
the requests that may follow once it is answered. Around the tables:

- a request may repeat itself (EVSEProcessing Ongoing, the charge loop, retries; the
  repeated-request rule judges one-shot setup messages);
- SessionStop, and PowerDelivery that stops the energy transfer, may follow any request: every
  standard lets the EV end a session (a car that gives up after CableCheck does exactly that);
- DC-only requests (CableCheck, PreCharge, CurrentDemand, WeldingDetection, ``DC_*``) and AC-only
  ones (ChargingStatus, ``AC_*``) must match the mode the EV asked for in ChargeParameterDiscovery;
- in DC, PowerDelivery follows ChargeParameterDiscovery (ScheduleExchange in -20) only on a
  renegotiation, once power was delivered: the first time CableCheck and PreCharge come between;
- requests no table names (value-added services, WPT/ACDP positioning) are not judged.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

GRAMMARS: dict[str, dict[str, frozenset[str]]] = {
    "din": {k: frozenset(v) for k, v in {
        "SessionSetup": {"ServiceDiscovery"},
        "ServiceDiscovery": {"ServicePaymentSelection"},
        "ServicePaymentSelection": {"ContractAuthentication"},
        "ContractAuthentication": {"ChargeParameterDiscovery"},
        "ChargeParameterDiscovery": {"CableCheck"},
        "CableCheck": {"PreCharge"},
        "PreCharge": {"PowerDelivery"},
        "PowerDelivery": {"CurrentDemand", "WeldingDetection"},
        "CurrentDemand": {"PowerDelivery"},
        "WeldingDetection": set(),
        "SessionStop": set(),
    }.items()},
    "iso2": {k: frozenset(v) for k, v in {
        "SessionSetup": {"ServiceDiscovery"},
        "ServiceDiscovery": {"ServiceDetail", "PaymentServiceSelection"},
        "ServiceDetail": {"PaymentServiceSelection"},
        "PaymentServiceSelection": {"CertificateInstallation", "CertificateUpdate", "PaymentDetails", "Authorization"},
        "CertificateInstallation": {"PaymentDetails"},
        "CertificateUpdate": {"PaymentDetails"},
        "PaymentDetails": {"Authorization"},
        "Authorization": {"ChargeParameterDiscovery"},
        "ChargeParameterDiscovery": {"CableCheck", "PowerDelivery"},
        "CableCheck": {"PreCharge"},
        "PreCharge": {"PowerDelivery"},
        "PowerDelivery": {"CurrentDemand", "ChargingStatus", "WeldingDetection", "ChargeParameterDiscovery"},
        "CurrentDemand": {"PowerDelivery", "MeteringReceipt"},
        "ChargingStatus": {"PowerDelivery", "MeteringReceipt"},
        "MeteringReceipt": {"CurrentDemand", "ChargingStatus", "PowerDelivery"},
        "WeldingDetection": set(),
        "SessionStop": set(),
    }.items()},
    "iso20": {k: frozenset(v) for k, v in {
        "SessionSetup": {"AuthorizationSetup"},
        "AuthorizationSetup": {"CertificateInstallation", "Authorization"},
        "CertificateInstallation": {"Authorization"},
        "Authorization": {"ServiceDiscovery"},
        "ServiceDiscovery": {"ServiceDetail", "ServiceSelection"},
        "ServiceDetail": {"ServiceSelection"},
        "ServiceSelection": {"ChargeParameterDiscovery"},
        "ChargeParameterDiscovery": {"ScheduleExchange"},
        "ScheduleExchange": {"CableCheck", "PowerDelivery"},
        "CableCheck": {"PreCharge"},
        "PreCharge": {"PowerDelivery"},
        "PowerDelivery": {"ChargeLoop", "WeldingDetection", "ScheduleExchange"},
        "ChargeLoop": {"PowerDelivery", "MeteringConfirmation"},
        "MeteringConfirmation": {"ChargeLoop", "PowerDelivery"},
        "WeldingDetection": set(),
        "SessionStop": {"ServiceDiscovery"},  # ChargingSession=ServiceRenegotiation
    }.items()},
}
"""Protocol family -> request stem -> the request stems that may follow it (besides itself)."""
STANDARDS = {"din": "DIN SPEC 70121", "iso2": "ISO 15118-2", "iso20": "ISO 15118-20"}
_DC_ONLY = frozenset({"CableCheck", "PreCharge", "CurrentDemand", "WeldingDetection"})
_AC_ONLY = frozenset({"ChargingStatus"})
_KNOWN = {fam: frozenset(table).union(*table.values()) for fam, table in GRAMMARS.items()}
_ENDINGS = frozenset({"SessionStop"})


def energy_mode(name: str, content: Mapping[str, Any]) -> str | None:
    """``AC``/``DC`` a request names (``DC_*``) or asks for (ChargeParameterDiscovery's mode)."""
    if name.startswith(("DC_", "AC_")):
        return name[:2]
    mode = content.get("RequestedEnergyTransferMode") or content.get("EVRequestedEnergyTransferType")
    return mode[:2] if isinstance(mode, str) and mode[:2] in ("AC", "DC") else None


def _kind(name: str, stem: str) -> str | None:
    if name.startswith(("DC_", "AC_")):
        return name[:2]
    return "DC" if stem in _DC_ONLY else "AC" if stem in _AC_ONLY else None


def stops(content: Mapping[str, Any]) -> bool:
    """A PowerDeliveryReq that ends the energy transfer (ChargeProgress Stop; DIN ReadyToChargeState false)."""
    return content.get("ChargeProgress") == "Stop" or content.get("ReadyToChargeState") is False


def allowed_after(fam: str, prev: str, stem: str, name: str, mode: str | None, delivered: bool,
                  stopping: bool) -> frozenset[str] | None:
    """``None`` when request ``stem`` (``name``) may follow ``prev`` in ``fam``; else what may follow.

    ``mode``: the energy transfer the EV asked for; ``delivered``: a PowerDelivery came before (a
    renegotiation may skip CableCheck/PreCharge); ``stopping``: a PowerDelivery that stops."""
    table = GRAMMARS.get(fam)
    if table is None or stem == prev or stem in _ENDINGS or prev not in table or stem not in _KNOWN[fam]:
        return None
    if stopping and stem == "PowerDelivery":
        return None
    nxt = table[prev]
    kind = _kind(name, stem)
    wrong_mode = kind is not None and mode is not None and kind != mode
    first_dc = mode == "DC" and not delivered and prev in ("ChargeParameterDiscovery", "ScheduleExchange")
    if stem in nxt and not wrong_mode and not (first_dc and stem == "PowerDelivery"):
        return None
    return frozenset(s for s in nxt if not (mode == "AC" and s in _DC_ONLY) and not (mode == "DC" and s in _AC_ONLY)
                     and not (first_dc and s == "PowerDelivery"))
