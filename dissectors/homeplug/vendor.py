"""Vendor MMEs seen on real chargers: Qualcomm Atheros, ST/IoTecha, SPIDCOM and dSPACE.

Layouts come from the vendors' public material: Qualcomm's open-plc-utils (``mme/*.h``,
``plcsnif(7)``) and, for the control-pilot (CP) indications of test systems, dSPACE's
dsV2Gshark (``v2ghpscs.lua``). Offsets in comments are from the start of the MME.
"""

from __future__ import annotations

import json
from types import MappingProxyType
from typing import Any

from v2gsniff.dissectors._api import Field
from v2gsniff.dissectors.homeplug.fields import (
    Decoded,
    Message,
    Row,
    average_attenuation,
    counted,
    key,
    mac,
    raw,
    u8,
    u16,
    var,
)
from v2gsniff.dissectors.homeplug.names import DSPACE, QUALCOMM, SPIDCOM, ST_IOTECHA, ZERO_OUI

DEVICE_ID = MappingProxyType({
    0x00: "unknown", 0x01: "INT6000", 0x02: "INT6300", 0x03: "INT6400", 0x04: "AR7400",
    0x05: "AR6405", 0x20: "QCA7450/QCA7420", 0x21: "QCA6410/QCA6411", 0x22: "QCA7000",
})
MSTATUS = MappingProxyType({0x00: "success"})
SNIFFER_CONTROL = MappingProxyType({0x00: "disable", 0x01: "enable", 0x02: "no change (query)"})
DIRECTION = MappingProxyType({0x00: "transmit", 0x01: "receive"})

VS_SW_VER_CNF = Message(0xA001, (
    u8("status", MSTATUS),
    u8("device_id", DEVICE_ID),
    u8("version_length"),
    var("version", lambda v: int(v["version_length"])),
), "open-plc-utils, VS_SW_VER.CNF (Qualcomm Atheros)", oui=QUALCOMM)
"""Firmware version of the modem, e.g. ``MAC-QCA7420-1.3.1.2141-00-20160428-CS``
(Wireshark: GET_SW.CNF). The rest of the fixed 253-octet version area follows as padding."""

VS_SET_KEY_REQ = Message(0xA050, (
    u8("eks"),
    key("nmk", 16),
    u8("peks"),
    mac("rda"),
    key("dak", 16),
), "open-plc-utils, VS_SET_KEY.REQ (Qualcomm Atheros)", oui=QUALCOMM)
"""Sets the modem's NMK (and the remote device's DAK) directly."""

VS_SNIFFER_REQ = Message(0xA034, (
    u8("sniffer_control", SNIFFER_CONTROL),
), "open-plc-utils plcsnif(7), VS_SNIFFER.REQ (Qualcomm Atheros)", oui=QUALCOMM)

VS_SNIFFER_CNF = Message(0xA035, (
    u8("status", MSTATUS),
    u8("sniffer_state", SNIFFER_CONTROL),
    mac("sniffer_da"),
), "open-plc-utils plcsnif(7), VS_SNIFFER.CNF (Qualcomm Atheros)", oui=QUALCOMM)

VS_SNIFFER_IND = Message(0xA036, (
    u8("sniff_type"),
    u8("direction", DIRECTION),
    Row("systime", 8, "uint"),
    Row("beacon_time", 4, "uint"),
    raw("frame_control", 16),
    raw("beacon_body", 136),
), "open-plc-utils plcsnif(7), VS_SNIFFER.IND (Qualcomm Atheros)", oui=QUALCOMM)
"""A PHY delimiter (frame control) and beacon body, not frame contents."""

_ATTEN_ROWS = (
    mac("source_address"),
    u8("num_groups"),
    raw("reserved", 9),
    counted("aag", "num_groups", "attenuation", unit="dB"),
)

VS_ATTENUATION_CHARACTERISTICS_IND = Message(
    0xA14E, _ATTEN_ROWS, "dsV2Gshark v2ghpscs.lua, VS_ATTENUATION_CHARACTERISTICS (Qualcomm Atheros)",
    oui=QUALCOMM, derive=average_attenuation)
"""A Qualcomm EVSE modem's attenuation report to its host (HomePlug AV 1.0 header, no FMI)."""

VS_ATTENUATION_CHARACTERISTICS_IND_ZERO_OUI = Message(
    0xA14E, _ATTEN_ROWS, "dsV2Gshark v2ghpscs.lua, VS_ATTENUATION_CHARACTERISTICS (OUI 00:00:00)",
    oui=ZERO_OUI, derive=average_attenuation)
"""The same report as sent by dSPACE test systems, with a zero OUI."""


def cp_state(voltage: float, duty_cycle: float, frequency: int) -> str:
    """The IEC 61851-1 control-pilot state (A1..D2, E/F) from the pilot's high level and PWM.

    States are the nominal levels 12/9/6/3 V with 1 V tolerance; the digit is 2 when a
    1 kHz PWM is on. "-" means the values fit no state.
    """
    if frequency > 0 and duty_cycle in (0, 100):
        return "-"
    for name, level in (("A", 12.0), ("B", 9.0), ("C", 6.0), ("D", 3.0)):
        if abs(voltage - level) <= 1.0:
            pwm = 0 < duty_cycle < 100 and 950 < frequency < 1050
            return name + ("2" if pwm else "1")
    return "E/F" if voltage <= 1.0 else "-"


def ac_max_current(duty_cycle: float) -> float | None:
    """The current a PWM duty cycle allows (IEC 61851-1 Table A.8); None outside 8-97 %.

    5 % means "use high-level communication" and gives no current.
    """
    if duty_cycle < 8 or duty_cycle >= 97:
        return None
    if duty_cycle < 10:
        return 6.0
    if duty_cycle < 85:
        return round(duty_cycle * 0.6, 2)
    if duty_cycle < 96:
        return round((duty_cycle - 64) * 2.5, 2)
    return 80.0


def _cp_fields(d: Decoded, duty_cycle: float, at: int) -> tuple[Field, ...]:
    volts = int(d.values["voltage"]) / 1000
    state = cp_state(volts, duty_cycle, int(d.values["frequency"]))
    out = [Field("cp_state", state, at, 0, state + (" (HLC requested, 5 %)" if round(duty_cycle) == 5 else ""))]
    amps = ac_max_current(duty_cycle)
    if amps is not None:
        out.append(Field("ac_max_current", amps, at, 0, f"{amps:g} A"))
    return tuple(out)


def _iotecha_cp(d: Decoded) -> tuple[Field, ...]:
    return _cp_fields(d, float(d.values["duty_cycle"]), 8)


def _spidcom_cp(d: Decoded) -> tuple[Field, ...]:
    return _cp_fields(d, int(d.values["duty_cycle"]) / 10, 8)


STP_CPSTATE_IND = Message(0xA22E, (
    raw("reserved", 5),
    u8("flags"),
    u8("duty_cycle", unit="%"),
    u16("frequency"),
    u16("voltage"),
), "dsV2Gshark v2ghpscs.lua, ST/IoTecha CP state (STP_CPSTATE.IND)", oui=ST_IOTECHA, derive=_iotecha_cp)
"""Pilot duty cycle (%), frequency (Hz) and high level (mV); ``flags`` is not documented."""

SPIDCOM_CP_STATE_IND = Message(0xA10E, (
    u8("changed", MappingProxyType({
        0: "none", 1: "frequency", 2: "duty cycle", 3: "frequency, duty cycle", 4: "voltage",
        5: "frequency, voltage", 6: "duty cycle, voltage", 7: "frequency, duty cycle, voltage",
    })),
    u16("frequency"),
    u16("duty_cycle"),
    u16("voltage"),
), "dsV2Gshark v2ghpscs.lua, SPIDCOM CP state indication", oui=SPIDCOM, derive=_spidcom_cp)
"""Frequency (Hz), duty cycle (per mille) and pilot voltage (mV); ``changed`` is a bit mask."""


def _scs_diag(buf: bytes, start: int, what: str) -> Decoded:
    """``dSPACE SCS Diag|<tool>|v<version>|<info>|<json>`` in ASCII."""
    body = buf[start:]
    parts = body.split(b"|", 4)
    if len(parts) < 5 or not parts[2].startswith(b"v") or not parts[4].lstrip().startswith(b"{"):
        f = Field("text", body.decode("utf-8", "replace"), start, len(body))
        return Decoded((f,), len(buf), f"{what}: not 'prefix|tool|vN|info|{{json}}' text")
    out: list[Field] = []
    pos = start
    for name, part in zip(("prefix", "tool", "version", "info"), parts, strict=False):
        value: Any = part.decode("utf-8", "replace")
        if name == "version":
            value = int(part[1:]) if part[1:].isdigit() else value
        out.append(Field(name, value, pos, len(part)))
        pos += len(part) + 1
    raw_json = parts[4].rstrip(b"\0")
    try:
        parsed = json.loads(raw_json)
    except (ValueError, RecursionError) as exc:
        out.append(Field("json", raw_json.decode("utf-8", "replace"), pos, len(raw_json)))
        return Decoded(tuple(out), len(buf), f"{what}: JSON part does not parse ({exc})")
    items = parsed.items() if isinstance(parsed, dict) else ()
    kids = tuple(Field(str(k), v if isinstance(v, (int, float, str, bool)) else json.dumps(v), pos, 0)
                 for k, v in items)
    out.append(Field("json", raw_json.decode("utf-8", "replace"), pos, len(raw_json), children=kids))
    state = parsed.get("CP State") if isinstance(parsed, dict) else None
    if isinstance(state, str):
        shown = state.removeprefix("State_")
        out.append(Field("cp_state", shown, pos, 0))
    return Decoded(tuple(out), start + len(parts[0]) + len(parts[1]) + len(parts[2]) + len(parts[3]) + 4
                   + len(raw_json))


DSPACE_SCS_DIAG_IND = Message(0x8002, (), "dsV2Gshark v2ghpscs.lua, dSPACE SCS diagnostic message",
                              oui=DSPACE, decoder=_scs_diag)
"""Test-system diagnostics as JSON (CP state, PP resistor, voltages, contactor, firmware)."""

VENDOR_MESSAGES = (
    VS_SW_VER_CNF, VS_SET_KEY_REQ, VS_SNIFFER_REQ, VS_SNIFFER_CNF, VS_SNIFFER_IND,
    VS_ATTENUATION_CHARACTERISTICS_IND, VS_ATTENUATION_CHARACTERISTICS_IND_ZERO_OUI,
    STP_CPSTATE_IND, SPIDCOM_CP_STATE_IND, DSPACE_SCS_DIAG_IND,
)
"""Vendor MMEs with decoded bodies."""

__all__ = ["VENDOR_MESSAGES", "ac_max_current", "cp_state"]
