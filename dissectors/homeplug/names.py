"""Names of management messages, by base MMTYPE (the two variant bits cleared).

Public MMEs use the names of the HomePlug AV 2.0 specification (clause 11, "MME
Formats") and ISO 15118-3 Annex A; vendor families use their vendor's names (Qualcomm
Atheros: open-plc-utils ``mme/qualcomm.h``; ST/IoTecha: the names Wireshark's homeplug-av
dissector shows; SPIDCOM and dSPACE: dsV2Gshark ``v2ghpscs.lua``). A full name is the base
name plus ``.REQ``/``.CNF``/``.IND``/``.RSP``.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import NamedTuple

from v2gsniff.dissectors._api import mac_text
from v2gsniff.dissectors.homeplug.header import has_oui, variant

MMTYPE_NAMES: Mapping[int, str] = MappingProxyType({
    # Station - Central Coordinator (CC_*)
    0x0000: "CC_CCO_APPOINT",
    0x0004: "CC_BACKUP_APPOINT",
    0x0008: "CC_LINK_INFO",
    0x000C: "CC_HANDOVER",
    0x0010: "CC_HANDOVER_INFO",
    0x0014: "CC_DISCOVER_LIST",
    0x0018: "CC_LINK_NEW",
    0x001C: "CC_LINK_MOD",
    0x0020: "CC_LINK_SQZ",
    0x0024: "CC_LINK_REL",
    0x0028: "CC_DETECT_REPORT",
    0x002C: "CC_WHO_RU",
    0x0030: "CC_ASSOC",
    0x0034: "CC_LEAVE",
    0x0038: "CC_SET_TEI_MAP",
    0x003C: "CC_RELAY",
    0x0040: "CC_BEACON_RELIABILITY",
    0x0044: "CC_ALLOC_MOVE",
    0x0048: "CC_ACCESS_NEW",
    0x004C: "CC_ACCESS_REL",
    0x0050: "CC_DCPPC",
    0x0054: "CC_HP1_DET",
    0x0058: "CC_BLE_UPDATE",
    0x005C: "CC_BCAST_REPEAT",
    0x0060: "CC_MH_LINK_NEW",
    0x0064: "CC_ISP_DETECTION_REPORT",
    0x0068: "CC_ISP_START_RESYNC",
    0x006C: "CC_ISP_FINISH_RESYNC",
    0x0070: "CC_ISP_DETECTED_RESYNC",
    0x0074: "CC_ISP_TRANSMIT_RESYNC",
    0x0078: "CC_POWERSAVE",
    0x007C: "CC_POWERSAVE_EXIT",
    0x0080: "CC_POWERSAVE_LIST",
    0x0084: "CC_POWERSAVE_STOP",
    # Proxy Coordinator (CP_*, PH_*)
    0x2000: "CP_PROXY_APPOINT",
    0x2004: "PH_PROXY_APPOINT",
    0x2008: "CP_PROXY_WAKE",
    # CCo - CCo (NN_*)
    0x4000: "NN_INL",
    0x4004: "NN_NEW_NET",
    0x4008: "NN_ADD_ALLOC",
    0x400C: "NN_REL_ALLOC",
    0x4010: "NN_REL_NET",
    # Station - Station (CM_*)
    0x6000: "CM_UNASSOCIATED_STA",
    0x6004: "CM_ENCRYPTED_PAYLOAD",
    0x6008: "CM_SET_KEY",
    0x600C: "CM_GET_KEY",
    0x6010: "CM_SC_JOIN",
    0x6014: "CM_CHAN_EST",
    0x6018: "CM_TM_UPDATE",
    0x601C: "CM_AMP_MAP",
    0x6020: "CM_BRG_INFO",
    0x6024: "CM_CONN_NEW",
    0x6028: "CM_CONN_REL",
    0x602C: "CM_CONN_MOD",
    0x6030: "CM_CONN_INFO",
    0x6034: "CM_STA_CAP",
    0x6038: "CM_NW_INFO",
    0x603C: "CM_GET_BEACON",
    0x6040: "CM_HFID",
    0x6044: "CM_MME_ERROR",
    0x6048: "CM_NW_STATS",
    0x604C: "CM_LINK_STATS",
    0x6050: "CM_ROUTE_INFO",
    0x6054: "CM_UNREACHABLE",
    0x6058: "CM_MH_CONN_NEW",
    0x605C: "CM_EXTENDED_TONEMASK",
    0x6060: "CM_STA_IDENTIFY",
    # Green PHY / ISO 15118-3 SLAC
    0x6064: "CM_SLAC_PARM",
    0x6068: "CM_START_ATTEN_CHAR",
    0x606C: "CM_ATTEN_CHAR",
    0x6070: "CM_PKCS_CERT",
    0x6074: "CM_MNBC_SOUND",
    0x6078: "CM_VALIDATE",
    0x607C: "CM_SLAC_MATCH",
    0x6080: "CM_SLAC_USER_DATA",
    0x6084: "CM_ATTEN_PROFILE",
})
"""Public MMEs (0x0000-0x7FFF) by base MMTYPE."""

QUALCOMM = b"\x00\xb0\x52"
ST_IOTECHA = b"\x00\x80\xe1"
SPIDCOM = b"\x00\x13\xd7"
DSPACE = b"\x64\x4d\x70"
ZERO_OUI = b"\x00\x00\x00"

QUALCOMM_NAMES: Mapping[int, str] = MappingProxyType({
    0x8000: "MS_PB_ENC",
    0x8004: "MS_ADC_CAP",
    0x8008: "MS_DISCOVER",
    0xA000: "VS_SW_VER",
    0xA004: "VS_WR_MEM",
    0xA008: "VS_RD_MEM",
    0xA00C: "VS_ST_MAC",
    0xA010: "VS_GET_NVM",
    0xA014: "VS_RSVD_1",
    0xA018: "VS_RSVD_2",
    0xA01C: "VS_RS_DEV",
    0xA020: "VS_WR_MOD",
    0xA024: "VS_RD_MOD",
    0xA028: "VS_MOD_NVM",
    0xA02C: "VS_WD_RPT",
    0xA030: "VS_LNK_STATS",
    0xA034: "VS_SNIFFER",
    0xA038: "VS_NW_INFO",
    0xA03C: "VS_RSVD_3",
    0xA040: "VS_CP_RPT",
    0xA044: "VS_ARPC",
    0xA048: "VS_FR_LBK",
    0xA04C: "VS_LBK_STAT",
    0xA050: "VS_SET_KEY",
    0xA054: "VS_MFG_STRING",
    0xA058: "VS_RD_CBLOCK",
    0xA05C: "VS_SET_SDRAM",
    0xA060: "VS_HOST_ACTION",
    0xA064: "VS_RD_BLK_NVM",
    0xA068: "VS_OP_ATTRIBUTES",
    0xA06C: "VS_ENET_SETTINGS",
    0xA070: "VS_TONE_MAP_CHAR",
    0xA074: "VS_NW_INFO_STATS",
    0xA078: "VS_SLAVE_MEM",
    0xA07C: "VS_FAC_DEFAULTS",
    0xA080: "VS_PTS_NVM",
    0xA084: "VS_MULTICAST_INFO",
    0xA088: "VS_CLASSIFICATION",
    0xA08C: "VS_DIAG_STAGE",
    0xA090: "VS_RX_TONE_MAP_CHAR",
    0xA094: "VS_SET_LED_BEHAVIOR",
    0xA098: "VS_WRITE_AND_EXECUTE_APPLET",
    0xA09C: "VS_MDIO_COMMAND",
    0xA0A0: "VS_SLAVE_REG",
    0xA0A4: "VS_BANDWIDTH_LIMITING",
    0xA0A8: "VS_SNID_OPERATION",
    0xA0AC: "VS_NN_MITIGATE",
    0xA0B0: "VS_MODULE_OPERATION",
    0xA0B4: "VS_DIAG_NETWORK_PROBE",
    0xA0B8: "VS_PL_LINK_STATUS",
    0xA0BC: "VS_GPIO_STATE_CHANGE",
    0xA0C0: "VS_CONN_ADD",
    0xA0C4: "VS_CONN_MOD",
    0xA0C8: "VS_CONN_REL",
    0xA0CC: "VS_CONN_INFO",
    0xA0D0: "VS_MULTIPORT_LNK_STA",
    0xA0D4: "VS_RAND_MAC_ADDR",
    0xA0D8: "VS_CUSTOM_INFO",
    0xA0DC: "VS_EM_ID_TABLE",
    0xA0E0: "VS_STANDBY",
    0xA0E4: "VS_SLEEPSCHEDULE",
    0xA0E8: "VS_SLEEPSCHEDULE_NOTIFICATION",
    0xA0F0: "VS_MICROCONTROLLER_DIAG",
    0xA0F4: "VS_DEBUG_INFO",
    0xA0F8: "VS_GET_PROPERTY",
    0xA100: "VS_SET_PROPERTY",
    0xA104: "VS_PHYSWITCH_MDIO",
    0xA108: "VS_FLASH_ERASE",
    0xA10C: "VS_SELFTEST_ONETIME_CONFIG",
    0xA110: "VS_SELFTEST_RESULTS",
    0xA114: "VS_MDU_TRAFFIC_STATS",
    0xA118: "VS_FORWARD_CONFIG",
    0xA148: "VS_ACCESS_LEVEL_CONTROL",
    0xA14C: "VS_ATTENUATION_CHARACTERISTICS",
    0xA200: "VS_HYBRID_INFO",
})
"""Qualcomm Atheros (OUI 00:B0:52) manufacturer- and vendor-specific MMEs."""

ST_IOTECHA_NAMES: Mapping[int, str] = MappingProxyType({
    0x8000: "STP_AUTH_SET_NMK",
    0x8004: "STP_LINK_STATUS",
    0x8008: "STP_DISCOVER_LOCAL",
    0x800C: "STP_SET_MAXGAIN",
    0xA000: "STP_DISCOVER",
    0xA00C: "STP_GET_TEI_LIST",
    0xA010: "STP_GET_TEI_SNAPSHOT",
    0xA014: "STP_GET_BSS_LIST",
    0xA018: "STP_CHANQUAL_REPORT",
    0xA100: "STP_TEST_CHAN_ATTEN_START_RX",
    0xA104: "STP_TEST_CHAN_ATTEN_DATA",
    0xA108: "STP_TEST_CHAN_ATTEN_START_TX",
    0xA10C: "STP_TEST_SOUND_QUIET",
    0xA200: "STP_MFCT_UPDATE_STAGE",
    0xA204: "STP_MFCT_UPDATE_FINISH",
    0xA208: "STP_MFCT_GET_ITEM",
    0xA20C: "STP_MFCT_GET_KEYLIST",
    0xA210: "STP_FUP",
    0xA214: "STP_RESERVED",
    0xA22C: "STP_CPSTATE",
    0xA230: "STP_USER_MESSAGE",
})
"""ST/IoTecha (OUI 00:80:E1) MMEs; 0xA22E carries the control-pilot state."""

VENDOR_NAMES: Mapping[bytes, Mapping[int, str]] = MappingProxyType({
    QUALCOMM: QUALCOMM_NAMES,
    ST_IOTECHA: ST_IOTECHA_NAMES,
    SPIDCOM: MappingProxyType({0xA10C: "SPIDCOM_CP_STATE"}),
    DSPACE: MappingProxyType({0x8000: "DSPACE_SCS_DIAG"}),
    # dSPACE test systems send Qualcomm's 0xA14E with a zero OUI (dsV2Gshark accepts both).
    ZERO_OUI: MappingProxyType({0xA14C: "VS_ATTENUATION_CHARACTERISTICS"}),
})
"""Vendor MME names by OUI, then by base MMTYPE."""


class MmeNames(NamedTuple):
    """An explicit name registry: public names plus per-OUI vendor names."""

    public: Mapping[int, str]
    vendors: Mapping[bytes, Mapping[int, str]]

    def base_name(self, mmtype: int, oui: bytes | None) -> str | None:
        """The name without variant, or None when unknown."""
        base = mmtype & ~3
        if has_oui(mmtype):
            return self.vendors.get(oui or b"", {}).get(base)
        return self.public.get(base)

    def name(self, mmtype: int, oui: bytes | None) -> str:
        """``CM_SLAC_PARM.REQ``; unknown types get ``MMTYPE_0x....`` or ``VS_UNKNOWN_0x.... (OUI ..)``."""
        known = self.base_name(mmtype, oui)
        if known is not None:
            return f"{known}.{variant(mmtype)}"
        if has_oui(mmtype):
            who = mac_text(oui) if oui is not None else "missing"
            return f"VS_UNKNOWN_0x{mmtype:04X}.{variant(mmtype)} (OUI {who})"
        return f"MMTYPE_0x{mmtype:04X}.{variant(mmtype)}"


DEFAULT_NAMES = MmeNames(MMTYPE_NAMES, VENDOR_NAMES)


def mme_name(mmtype: int, oui: bytes | None) -> str:
    """The name of an MME as the HomePlug AV specification (or its vendor) names it."""
    return DEFAULT_NAMES.name(mmtype, oui)
