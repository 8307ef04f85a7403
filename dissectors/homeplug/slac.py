"""SLAC messages of ISO 15118-3:2015 Annex A (HomePlug Green PHY 1.1, clause 11).

Each constant is one table of the standard, row by row. All multi-octet numbers are
little-endian (MVFLength 0x003E travels as ``3E 00``).
"""

from __future__ import annotations

from types import MappingProxyType

from v2gsniff.dissectors.homeplug.fields import (
    Message,
    Values,
    average_attenuation,
    counted,
    ident,
    key,
    mac,
    raw,
    u8,
    u16,
    var,
)

APPLICATION_TYPE = MappingProxyType({0x00: "PEV-EVSE association"})
SECURITY_TYPE = MappingProxyType({0x00: "no security", 0x01: "public key signature"})
RESP_TYPE = MappingProxyType({
    0x00: "not transmitted to host (other Green PHY station)",
    0x01: "transmitted to host (HLE of the station)",
})
ATTEN_RESULT = MappingProxyType({0x00: "success", 0x01: "failure"})
SIGNAL_TYPE = MappingProxyType({0x00: "PEV S2 toggles on CP line"})
VALIDATE_RESULT = MappingProxyType({
    0x00: "not ready", 0x01: "ready", 0x02: "success", 0x03: "failure", 0x04: "not required",
})
KEY_TYPE = MappingProxyType({
    0x00: "DAK (AES-128)", 0x01: "NMK (AES-128)", 0x02: "NEK (AES-128)", 0x03: "TEK (AES-128)",
    0x04: "hash key", 0x05: "nonce only (no key)",
})
PID = MappingProxyType({
    0x00: "authentication request by new station",
    0x01: "provision authenticated station with new NEK by CCo",
    0x02: "provision station with NMK using DAK",
    0x03: "provision station with NMK using UKE",
    0x04: "HLE protocol",
})
CCO_CAPABILITY = MappingProxyType({0: "level-0 CCo", 1: "level-1 CCo", 2: "level-2 CCo", 3: "level-3 CCo"})
AMP_MAP_RESULT = MappingProxyType({0x00: "success", 0x01: "failure"})



def _signed(v: Values) -> bool:
    return bool(v.get("security_type") == 1)


CM_SLAC_PARM_REQ = Message(0x6064, (
    u8("application_type", APPLICATION_TYPE),
    u8("security_type", SECURITY_TYPE),
    raw("run_id", 8),
    # Only with public-key security (Green PHY 1.1); never seen on a charger.
    u8("cipher_suite_set_size", when=_signed),
    counted("cipher_suite", "cipher_suite_set_size", "cipher_suite", width=2, when=_signed),
), "ISO 15118-3:2015, Annex A, CM_SLAC_PARM.REQ")
"""The EV asks for SLAC parameters (broadcast)."""

CM_SLAC_PARM_CNF = Message(0x6065, (
    mac("msound_target"),
    u8("num_sounds"),
    u8("time_out", unit="x 100 ms"),
    u8("resp_type", RESP_TYPE),
    mac("forwarding_sta"),
    u8("application_type", APPLICATION_TYPE),
    u8("security_type", SECURITY_TYPE),
    raw("run_id", 8),
), "ISO 15118-3:2015, Annex A, CM_SLAC_PARM.CNF")
"""The EVSE answers with the sounding parameters."""

CM_START_ATTEN_CHAR_IND = Message(0x606A, (
    u8("application_type", APPLICATION_TYPE),
    u8("security_type", SECURITY_TYPE),
    u8("num_sounds"),
    u8("time_out", unit="x 100 ms"),
    u8("resp_type", RESP_TYPE),
    mac("forwarding_sta"),
    raw("run_id", 8),
), "ISO 15118-3:2015, Annex A, CM_START_ATTEN_CHAR.IND")
"""The EV announces the start of sounding."""

CM_MNBC_SOUND_IND = Message(0x6076, (
    u8("application_type", APPLICATION_TYPE),
    u8("security_type", SECURITY_TYPE),
    ident("sender_id"),
    u8("cnt"),
    raw("run_id", 8),
    raw("reserved", 8),
    raw("rnd", 16),
), "ISO 15118-3:2015, Annex A, CM_MNBC_SOUND.IND")
"""One multi-network broadcast sound; ``cnt`` counts down to 0."""

CM_ATTEN_CHAR_IND = Message(0x606E, (
    u8("application_type", APPLICATION_TYPE),
    u8("security_type", SECURITY_TYPE),
    mac("source_address"),
    raw("run_id", 8),
    ident("source_id"),
    ident("resp_id"),
    u8("num_sounds"),
    u8("num_groups"),
    counted("aag", "num_groups", "attenuation", unit="dB"),
), "ISO 15118-3:2015, Annex A, CM_ATTEN_CHAR.IND", derive=average_attenuation)
"""The EVSE reports the attenuation profile it measured (ATTEN_PROFILE: NumGroups, AAG)."""

CM_ATTEN_CHAR_RSP = Message(0x606F, (
    u8("application_type", APPLICATION_TYPE),
    u8("security_type", SECURITY_TYPE),
    mac("source_address"),
    raw("run_id", 8),
    ident("source_id"),
    ident("resp_id"),
    u8("result", ATTEN_RESULT),
), "ISO 15118-3:2015, Annex A, CM_ATTEN_CHAR.RSP")

CM_ATTEN_PROFILE_IND = Message(0x6086, (
    mac("pev_mac"),
    u8("num_groups"),
    raw("reserved", 1),
    counted("aag", "num_groups", "attenuation", unit="dB"),
), "HomePlug Green PHY 1.1, CM_ATTEN_PROFILE.IND (modem to its host)", derive=average_attenuation)
"""The EVSE modem's own attenuation report to its host, one per received sound."""

CM_VALIDATE_REQ = Message(0x6078, (
    u8("signal_type", SIGNAL_TYPE),
    u8("timer", unit="(TP_EV_vald_toggle code)"),
    u8("result", VALIDATE_RESULT),
), "ISO 15118-3:2015, Annex A, CM_VALIDATE.REQ")
"""Optional validation by toggling the control pilot (VRVar: timer, result)."""

CM_VALIDATE_CNF = Message(0x6079, (
    u8("signal_type", SIGNAL_TYPE),
    u8("toggle_num"),
    u8("result", VALIDATE_RESULT),
), "ISO 15118-3:2015, Annex A, CM_VALIDATE.CNF")

_MATCH_VAR = (
    ident("pev_id"),
    mac("pev_mac"),
    ident("evse_id"),
    mac("evse_mac"),
    raw("run_id", 8),
    raw("reserved", 8),
)

CM_SLAC_MATCH_REQ = Message(0x607C, (
    u8("application_type", APPLICATION_TYPE),
    u8("security_type", SECURITY_TYPE),
    u16("mvf_length"),
    *_MATCH_VAR,
), "ISO 15118-3:2015, Annex A, CM_SLAC_MATCH.REQ")
"""The EV asks the chosen EVSE to match (MatchVarField, MVFLength 0x3E)."""

CM_SLAC_MATCH_CNF = Message(0x607D, (
    u8("application_type", APPLICATION_TYPE),
    u8("security_type", SECURITY_TYPE),
    u16("mvf_length"),
    *_MATCH_VAR,
    raw("nid", 7),
    raw("reserved_2", 1),
    key("nmk", 16),
), "ISO 15118-3:2015, Annex A, CM_SLAC_MATCH.CNF")
"""The EVSE confirms with the logical network's NID and NMK (MVFLength 0x56)."""

CM_SET_KEY_REQ = Message(0x6008, (
    u8("key_type", KEY_TYPE),
    raw("my_nonce", 4),
    raw("your_nonce", 4),
    u8("pid", PID),
    u16("prn"),
    u8("pmn"),
    u8("cco_capability", CCO_CAPABILITY),
    raw("nid", 7),
    u8("new_eks"),
    key("new_key", 16, when=lambda v: v.get("key_type") != 0x05),
), "HomePlug AV 1.1, clause 11 / ISO 15118-3:2015, Annex A, CM_SET_KEY.REQ")
"""The host gives its modem the NMK and NID learnt from CM_SLAC_MATCH.CNF."""

CM_SET_KEY_CNF = Message(0x6009, (
    # Qualcomm modems answer 0x01 to every accepted key in all captures here; shown as the number.
    u8("result"),
    raw("my_nonce", 4),
    raw("your_nonce", 4),
    u8("pid", PID),
    u16("prn"),
    u8("pmn"),
    u8("cco_capability", CCO_CAPABILITY),
), "HomePlug AV 1.1, clause 11 / ISO 15118-3:2015, Annex A, CM_SET_KEY.CNF")

CM_AMP_MAP_REQ = Message(0x601C, (
    u16("amlen"),
    var("amdata", lambda v: (int(v["amlen"]) + 1) // 2),
), "HomePlug Green PHY 1.1 / ISO 15118-3:2015, Annex A, CM_AMP_MAP.REQ")
"""Amplitude map: AMLEN carriers, one 4-bit attenuation code each (AMDATA)."""

CM_AMP_MAP_CNF = Message(0x601D, (
    u8("res_type", AMP_MAP_RESULT),
), "HomePlug Green PHY 1.1 / ISO 15118-3:2015, Annex A, CM_AMP_MAP.CNF")

SLAC_MESSAGES = (
    CM_SLAC_PARM_REQ, CM_SLAC_PARM_CNF, CM_START_ATTEN_CHAR_IND, CM_MNBC_SOUND_IND,
    CM_ATTEN_CHAR_IND, CM_ATTEN_CHAR_RSP, CM_ATTEN_PROFILE_IND, CM_VALIDATE_REQ, CM_VALIDATE_CNF,
    CM_SLAC_MATCH_REQ, CM_SLAC_MATCH_CNF, CM_SET_KEY_REQ, CM_SET_KEY_CNF, CM_AMP_MAP_REQ, CM_AMP_MAP_CNF,
)
"""Every SLAC message of ISO 15118-3 Annex A, decoded field by field."""
