"""Public HomePlug AV MMEs whose key fields are cheap to decode (HomePlug AV 1.1 clause 11).

The others are named (see :mod:`.names`) and keep their body as raw bytes.
"""

from __future__ import annotations

from types import MappingProxyType

from v2gsniff.dissectors.homeplug.fields import Message, group, mac, raw, rest, u8, u16
from v2gsniff.dissectors.homeplug.slac import CCO_CAPABILITY, KEY_TYPE, PID

REQUEST_TYPE = MappingProxyType({0x00: "direct", 0x01: "relayed"})
GET_KEY_RESULT = MappingProxyType({
    0x00: "key granted", 0x01: "request refused", 0x02: "unsupported method/key type",
})
STATION_ROLE = MappingProxyType({0x00: "station", 0x01: "proxy coordinator", 0x02: "central coordinator"})
ACCESS = MappingProxyType({0x00: "in-home network", 0x01: "access network"})
BRIDGE = MappingProxyType({0x00: "not a bridge", 0x01: "bridge"})
ASSOC_REQ_TYPE = MappingProxyType({0x00: "new", 0x01: "renew"})
ASSOC_RESULT = MappingProxyType({
    0x00: "success", 0x01: "failure: temporary resource exhaustion",
    0x02: "failure: permanent resource exhaustion", 0x03: "failure: unknown",
})

CC_ASSOC_REQ = Message(0x0030, (
    u8("req_type", ASSOC_REQ_TYPE),
    raw("nid", 7),
    u8("cco_capability", CCO_CAPABILITY),
    u8("proxy_networking_capability"),
), "HomePlug AV 1.1, clause 11, CC_ASSOC.REQ")

CC_ASSOC_CNF = Message(0x0031, (
    u8("result", ASSOC_RESULT),
    raw("nid", 7),
    u8("snid"),
    u8("tei"),
    u16("lease_time"),
), "HomePlug AV 1.1, clause 11, CC_ASSOC.CNF")
"""``lease_time`` is in minutes."""

CM_ENCRYPTED_PAYLOAD_IND = Message(0x6006, (
    u8("peks"),
    u8("avln_status"),
    u8("pid", PID),
    u16("prn"),
    u8("pmn"),
    raw("iv", 16),
    u16("len"),
    rest("encrypted_payload"),
), "HomePlug AV 1.1, clause 11, CM_ENCRYPTED_PAYLOAD.IND")

CM_ENCRYPTED_PAYLOAD_RSP = Message(0x6007, (
    u8("result"),
    u8("pid", PID),
    u16("prn"),
), "HomePlug AV 1.1, clause 11, CM_ENCRYPTED_PAYLOAD.RSP")

CM_GET_KEY_REQ = Message(0x600C, (
    u8("request_type", REQUEST_TYPE),
    u8("requested_key_type", KEY_TYPE),
    raw("nid", 7),
    raw("my_nonce", 4),
    u8("pid", PID),
    u16("prn"),
    u8("pmn"),
    rest("hash_key", secret=True, when=lambda v: v.get("requested_key_type") == 0x04),
), "HomePlug AV 1.1, clause 11, CM_GET_KEY.REQ")
"""After SLAC the host asks its modem for the NEK/NMK of the new network."""

CM_GET_KEY_CNF = Message(0x600D, (
    u8("result", GET_KEY_RESULT),
    u8("requested_key_type", KEY_TYPE),
    raw("my_nonce", 4),
    raw("your_nonce", 4),
    raw("nid", 7),
    u8("eks"),
    u8("pid", PID),
    u16("prn"),
    u8("pmn"),
    # The key (16 octets, or the 384-octet hash key) and whatever follows: always redacted.
    rest("key", secret=True),
), "HomePlug AV 1.1, clause 11, CM_GET_KEY.CNF")

CM_BRG_INFO_CNF = Message(0x6021, (
    u8("bsf", BRIDGE),
    u8("btei"),
    u8("nbda"),
    group("bda", "nbda", "bridged_address", mac("mac")),
), "HomePlug AV 1.1, clause 11, CM_BRG_INFO.CNF")
"""Which MAC addresses a bridging station (the modem) forwards to."""

CM_NW_INFO_CNF = Message(0x6039, (
    u8("num_nws"),
    group(
        "networks", "num_nws", "network",
        raw("nid", 7),
        u8("snid"),
        u8("tei"),
        u8("station_role", STATION_ROLE),
        mac("cco_mac"),
        u8("access", ACCESS),
        u8("num_cord_nws"),
    ),
), "HomePlug AV 1.1, clause 11, CM_NW_INFO.CNF")
"""The AVLNs the station belongs to: after SLAC, one network with the EVSE's NID."""

CM_NW_STATS_CNF = Message(0x6049, (
    u8("num_stas"),
    group(
        "stations", "num_stas", "station",
        mac("da"),
        u8("avg_phy_dr_tx", unit="Mbit/s"),
        u8("avg_phy_dr_rx", unit="Mbit/s"),
    ),
), "HomePlug AV 1.1, clause 11, CM_NW_STATS.CNF")

AV_MESSAGES = (
    CC_ASSOC_REQ, CC_ASSOC_CNF, CM_ENCRYPTED_PAYLOAD_IND, CM_ENCRYPTED_PAYLOAD_RSP,
    CM_GET_KEY_REQ, CM_GET_KEY_CNF, CM_BRG_INFO_CNF, CM_NW_INFO_CNF, CM_NW_STATS_CNF,
)
"""Public HomePlug AV messages with decoded bodies (besides SLAC)."""

