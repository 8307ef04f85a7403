"""Every SLAC MMTYPE (and the vendor families seen on chargers) resolves to its name."""

from __future__ import annotations

import pytest

from v2gsniff.dissectors.homeplug import DEFAULT_REGISTRY, MMTYPE_NAMES, MmeNames, mme_name
from v2gsniff.dissectors.homeplug.slac import SLAC_MESSAGES

QCA = bytes.fromhex("00b052")

SLAC = {
    0x6064: "CM_SLAC_PARM.REQ", 0x6065: "CM_SLAC_PARM.CNF", 0x606A: "CM_START_ATTEN_CHAR.IND",
    0x6076: "CM_MNBC_SOUND.IND", 0x606E: "CM_ATTEN_CHAR.IND", 0x606F: "CM_ATTEN_CHAR.RSP",
    0x6086: "CM_ATTEN_PROFILE.IND", 0x6078: "CM_VALIDATE.REQ", 0x6079: "CM_VALIDATE.CNF",
    0x607C: "CM_SLAC_MATCH.REQ", 0x607D: "CM_SLAC_MATCH.CNF", 0x6008: "CM_SET_KEY.REQ",
    0x6009: "CM_SET_KEY.CNF", 0x601C: "CM_AMP_MAP.REQ", 0x601D: "CM_AMP_MAP.CNF",
}


@pytest.mark.parametrize(("mmtype", "name"), sorted(SLAC.items()))
def test_every_slac_mmtype_resolves_and_has_a_table(mmtype: int, name: str) -> None:
    assert mme_name(mmtype, None) == name
    assert DEFAULT_REGISTRY.message(mmtype, None) is not None


def test_slac_tables_cover_exactly_the_slac_messages() -> None:
    assert {m.mmtype for m in SLAC_MESSAGES} == set(SLAC)
    assert all(m.reference for m in SLAC_MESSAGES)


@pytest.mark.parametrize(("mmtype", "oui", "name"), [
    (0x6038, None, "CM_NW_INFO.REQ"), (0x600D, None, "CM_GET_KEY.CNF"), (0x6021, None, "CM_BRG_INFO.CNF"),
    (0x6006, None, "CM_ENCRYPTED_PAYLOAD.IND"), (0x6035, None, "CM_STA_CAP.CNF"), (0x6049, None, "CM_NW_STATS.CNF"),
    (0x6041, None, "CM_HFID.CNF"), (0x6062, None, "CM_STA_IDENTIFY.IND"), (0x0014, None, "CC_DISCOVER_LIST.REQ"),
    (0x003A, None, "CC_SET_TEI_MAP.IND"), (0x2006, None, "PH_PROXY_APPOINT.IND"), (0x4012, None, "NN_REL_NET.IND"),
    (0xA000, QCA, "VS_SW_VER.REQ"), (0xA038, QCA, "VS_NW_INFO.REQ"), (0xA050, QCA, "VS_SET_KEY.REQ"),
    (0xA01C, QCA, "VS_RS_DEV.REQ"), (0xA0B8, QCA, "VS_PL_LINK_STATUS.REQ"), (0xA034, QCA, "VS_SNIFFER.REQ"),
    (0xA036, QCA, "VS_SNIFFER.IND"), (0xA024, QCA, "VS_RD_MOD.REQ"), (0xA020, QCA, "VS_WR_MOD.REQ"),
    (0xA0B0, QCA, "VS_MODULE_OPERATION.REQ"), (0xA062, QCA, "VS_HOST_ACTION.IND"),
    (0xA14E, QCA, "VS_ATTENUATION_CHARACTERISTICS.IND"), (0xA14E, bytes(3), "VS_ATTENUATION_CHARACTERISTICS.IND"),
    (0x8002, bytes.fromhex("644d70"), "DSPACE_SCS_DIAG.IND"), (0xA10E, bytes.fromhex("0013d7"), "SPIDCOM_CP_STATE.IND"),
    (0xA22E, bytes.fromhex("0080e1"), "STP_CPSTATE.IND"),
    # The same MMTYPE means something else under another OUI.
    (0xA10E, bytes.fromhex("0080e1"), "STP_TEST_SOUND_QUIET.IND"), (0xA000, bytes.fromhex("0080e1"), "STP_DISCOVER.REQ"),
])
def test_public_and_vendor_names(mmtype: int, oui: bytes | None, name: str) -> None:
    assert mme_name(mmtype, oui) == name


def test_unknown_types_are_named_by_number() -> None:
    assert mme_name(0x7FF0, None) == "MMTYPE_0x7FF0.REQ"
    assert mme_name(0xA1B2, bytes.fromhex("aabbcc")) == "VS_UNKNOWN_0xA1B2.IND (OUI aa:bb:cc)"
    assert mme_name(0xA1F3, QCA) == "VS_UNKNOWN_0xA1F3.RSP (OUI 00:b0:52)"
    assert mme_name(0xC001, None) == "MMTYPE_0xC001.CNF"


def test_registries_are_explicit_objects() -> None:
    mine = MmeNames({0x6064: "MY_PARM"}, {})
    assert mine.name(0x6065, None) == "MY_PARM.CNF"
    assert mme_name(0x6065, None) == "CM_SLAC_PARM.CNF"
    assert all(base & 3 == 0 for base in MMTYPE_NAMES)
    with pytest.raises(TypeError):
        MMTYPE_NAMES[0x6064] = "X"  # type: ignore[index]
