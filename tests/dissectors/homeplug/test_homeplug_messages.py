"""Message by message, with bytes copied from the real captures in ../shared/captures/real.

Each hex literal is the Ethernet payload after ethertype 0x88E1 (MMV onwards), as the
capture holds it (46-octet payloads end in Ethernet padding).
"""

from __future__ import annotations

import pytest

from v2gsniff.dissectors import Layer
from v2gsniff.dissectors.homeplug import dissect_homeplug
from v2gsniff.dissectors.homeplug.vendor import ac_max_current, cp_state

# everest-logfiles__VW_id.4_iso_15118-2_AC_2023-04-14T09-52-17.069Z-3_config-ac-iso2.dump, frames 5..33
VW_SLAC_PARM_REQ = "0164600000000053bcbd922f88284800000000000000000000000000000000000000000000000000000000000000"
VW_SLAC_PARM_CNF = "0165600000ffffffffffff0a0601007dfa06ab91000053bcbd922f88284800000000000000000000000000000000"
VW_START_ATTEN = "016a60000000000a0601007dfa06ab9153bcbd922f88284800000000000000000000000000000000000000000000"
VW_MNBC_SOUND = ("0176600000000000000000000000000000000000000000000953bcbd922f8828480000000000000000"
                 "de2cc2d5fb5da6510b752f803bb21aba")
VW_ATTEN_CHAR_IND = (
    "016e6000000000007dfa06ab9153bcbd922f882848000000000000000000000000000000000000000000000000000000"
    "000000000000000a3a1a18161615151a191c1e1e1b1a1a1c1d1e1f201e1e1e1d1d1e1d1d1a1615161617171715141313"
    "13131717181b1c1b1a1b1e1b1d1e1d1e1e1e2a")
VW_ATTEN_CHAR_RSP = ("016f6000000000007dfa06ab9153bcbd922f882848000000000000000000000000000000000000000000"
                     "0000000000000000000000000000")
VW_ATTEN_PROFILE = ("0186600000007dfa06ab913a001d20171714161c1b1d1f1e1b1b1b1d1e1f212121202120202120211d1918"
                    "18191a1a1a171615141414171b211c1c1b1c1c201e1e1f1f1f1f202c")
VW_SLAC_MATCH_REQ = ("017c60000000003e000000000000000000000000000000000000007dfa06ab9100000000000000000000000000"
                     "00000000a2bf183d0a0b53bcbd922f8828480000000000000000")
VW_SLAC_MATCH_CNF = ("017d600000000056000000000000000000000000000000000000007dfa06ab9100000000000000000000000000"
                     "00000000a2bf183d0a0b53bcbd922f8828480000000000000000a0a2c2a87f1e050038375a4c49585436345632"
                     "43444a3551")
VW_SET_KEY_REQ = "010860000001aaaaaaaa000000000400000000a0a2c2a87f1e050138375a4c4958543634563243444a3551000000"
VW_SET_KEY_CNF = "010960000001acb5a59faaaaaaaa040000ff00000000000000000000000000000000000000000000000000000000"
# ccs32__2023-04-05_wt32_alpi_first_charge.pcapng frame 2 (first 60 of 283 octets kept; the rest is padding)
CCS32_SW_VER_CNF = ("0001a000b0520020264d41432d514341373432302d312e332e312e323134312d30302d32303136303432382d43"
                    "5300ffffffffffffffffff00000000")
# ccs32 frame 100: CM_GET_KEY.REQ
CCS32_GET_KEY_REQ = "010c6000000001bceac68e7c2d02aaaaaaaa04000000000000000000000000000000000000000000000000000000"
# dsV2Gshark__ISO-2_DC_BatteryDataExchange_DS5366_RiseV2G.pcapng frame 21 (zero OUI, HPAV 1.0 header)
DS_ATTEN_CHARACTERISTICS = (
    "004ea1000000a0cec8ca5fa23a0010000000000000001819191c1b1b1f1a1a1b1a1a19191818181717171717171717161717"
    "171717171717181818181819191b1b1b1b1b1c1c1c1f1e1e1f202121242d")
# dsV2Gshark__IEC61851_AC_PWM_Basic.pcapng frame 11: ST/IoTecha CP state, 22 % PWM at 1 kHz, 8.946 V
DS_STP_CPSTATE = "012ea200000080e100000000000316e803f222000000000000000000000000000000000000000000000000000000"
# dsV2Gshark__ISO-2_DC_SalesTariffSchedule_DS5366_RiseV2G.pcapng frame 87
DS_BRG_INFO_CNF = "0121600000010201a0cec8ca5fa20000000000000000000000000000000000000000000000000000000000000000"
# dsV2Gshark__DIN_DC_DS5366_Josev.pcapng frame 12
DS_NW_INFO_CNF = "0139600000010fe52f7bf825030a010288fca61c7c88000000000000000000000000000000000000000000000000"
# tux-iso15118-sim__ABB-Normal.pcapng frame 24
ABB_CC_ASSOC_CNF = "013100000000172e34824b5d0a01020f000000000000000000000000000000000000000000000000000000000000"
# dsV2Gshark__IEC61851_AC_PWM_Basic.pcapng frame 2 (first part of the JSON kept, then closed)
DS_SCS_DIAG = (
    "0102800000644d706453504143452053435320446961677c6473563247736861726b7c76317c53435320446961676e6f73"
    "7469637c7b225050205265736973746f72205b4f686d5d22203a20302c22435020537461746522203a202253746174655f"
    "4131227d")


def dis(hexstr: str) -> Layer:
    return dissect_homeplug(bytes.fromhex(hexstr))


def span(layer: Layer, name: str) -> tuple[int, int]:
    f = layer.field(name)
    assert f is not None, name
    return f.offset, f.length


def test_header_of_green_phy_message() -> None:
    layer = dis(VW_SLAC_PARM_REQ)
    assert (layer.protocol, layer.offset, layer.length, layer.error) == ("homeplug", 0, 46, None)
    assert layer.get("mmv") == 1 and layer.field("mmv").display == "HomePlug AV 1.1 / Green PHY"  # type: ignore[union-attr]
    assert layer.get("mmtype") == 0x6064 and span(layer, "mmtype") == (1, 2)
    assert (layer.get("nf_mi"), layer.get("fn_mi"), layer.get("fmsn")) == (0, 0, 0)
    assert span(layer, "fmsn") == (4, 1)


def test_cm_slac_parm_req() -> None:
    layer = dis(VW_SLAC_PARM_REQ)
    assert layer.name == "CM_SLAC_PARM.REQ"
    assert layer.get("application_type") == 0
    assert layer.field("application_type").display == "PEV-EVSE association (0)"  # type: ignore[union-attr]
    assert layer.get("security_type") == 0 and span(layer, "security_type") == (6, 1)
    assert layer.get("run_id") == bytes.fromhex("53bcbd922f882848") and span(layer, "run_id") == (7, 8)
    assert layer.field("cipher_suite") is None
    assert span(layer, "padding") == (15, 31)


def test_cm_slac_parm_cnf() -> None:
    layer = dis(VW_SLAC_PARM_CNF)
    assert layer.name == "CM_SLAC_PARM.CNF" and layer.error is None
    assert layer.field("msound_target").display == "ff:ff:ff:ff:ff:ff"  # type: ignore[union-attr]
    assert (layer.get("num_sounds"), layer.get("time_out"), layer.get("resp_type")) == (10, 6, 1)
    assert layer.field("forwarding_sta").display == "00:7d:fa:06:ab:91"  # type: ignore[union-attr]
    assert span(layer, "forwarding_sta") == (14, 6)
    assert layer.get("run_id") == bytes.fromhex("53bcbd922f882848") and span(layer, "run_id") == (22, 8)


def test_cm_start_atten_char_ind() -> None:
    layer = dis(VW_START_ATTEN)
    assert layer.name == "CM_START_ATTEN_CHAR.IND" and layer.error is None
    assert (layer.get("num_sounds"), layer.get("time_out"), layer.get("resp_type")) == (10, 6, 1)
    assert layer.field("forwarding_sta").display == "00:7d:fa:06:ab:91"  # type: ignore[union-attr]
    assert span(layer, "run_id") == (16, 8)


def test_cm_mnbc_sound_ind() -> None:
    layer = dis(VW_MNBC_SOUND)
    assert layer.name == "CM_MNBC_SOUND.IND" and layer.error is None
    assert span(layer, "sender_id") == (7, 17) and layer.get("sender_id") == bytes(17)
    assert layer.get("cnt") == 9 and span(layer, "cnt") == (24, 1)
    assert span(layer, "run_id") == (25, 8) and span(layer, "rnd") == (41, 16)
    assert layer.field("padding") is None


def test_cm_atten_char_ind_with_profile_average() -> None:
    layer = dis(VW_ATTEN_CHAR_IND)
    assert layer.name == "CM_ATTEN_CHAR.IND" and layer.error is None
    assert layer.field("source_address").display == "00:7d:fa:06:ab:91"  # type: ignore[union-attr]
    assert (layer.get("num_sounds"), layer.get("num_groups")) == (10, 58)
    aag = layer.get("aag")
    assert len(aag) == 58 and aag[:3] == [0x1A, 0x18, 0x16] and aag[-1] == 0x2A
    assert span(layer, "aag") == (57, 58)
    avg = layer.field("average_attenuation")
    assert avg is not None and avg.value == round(sum(aag) / 58, 2) and avg.display == f"{avg.value:.2f} dB"
    assert avg.length == 0


def test_cm_atten_char_rsp() -> None:
    layer = dis(VW_ATTEN_CHAR_RSP)
    assert layer.name == "CM_ATTEN_CHAR.RSP" and layer.error is None
    assert layer.get("result") == 0 and layer.field("result").display == "success (0)"  # type: ignore[union-attr]
    assert span(layer, "result") == (55, 1)


def test_cm_atten_profile_ind() -> None:
    layer = dis(VW_ATTEN_PROFILE)
    assert layer.name == "CM_ATTEN_PROFILE.IND" and layer.error is None
    assert layer.field("pev_mac").display == "00:7d:fa:06:ab:91"  # type: ignore[union-attr]
    assert layer.get("num_groups") == 58 and span(layer, "aag") == (13, 58)
    assert layer.get("average_attenuation") == round(sum(layer.get("aag")) / 58, 2)


def test_cm_slac_match_req() -> None:
    layer = dis(VW_SLAC_MATCH_REQ)
    assert layer.name == "CM_SLAC_MATCH.REQ" and layer.error is None
    assert layer.get("mvf_length") == 0x3E and span(layer, "mvf_length") == (7, 2)
    assert layer.field("pev_mac").display == "00:7d:fa:06:ab:91"  # type: ignore[union-attr]
    assert layer.field("evse_mac").display == "a2:bf:18:3d:0a:0b"  # type: ignore[union-attr]
    assert span(layer, "pev_id") == (9, 17) and span(layer, "evse_mac") == (49, 6)
    assert layer.get("run_id") == bytes.fromhex("53bcbd922f882848")


def test_cm_slac_match_cnf_redacts_nmk() -> None:
    layer = dis(VW_SLAC_MATCH_CNF)
    assert layer.name == "CM_SLAC_MATCH.CNF" and layer.error is None
    assert layer.get("mvf_length") == 0x56
    assert layer.get("nid") == bytes.fromhex("a0a2c2a87f1e05") and span(layer, "nid") == (71, 7)
    nmk = layer.field("nmk")
    assert nmk is not None and nmk.secret and (nmk.offset, nmk.length) == (79, 16)
    assert nmk.value == b"87ZLIXT64V2CDJ5Q"
    assert nmk.text() == "<redacted>" and nmk.jsonable() == "<redacted>"
    assert nmk.text(show_keys=True) == nmk.value.hex()


def test_cm_set_key_req_and_cnf() -> None:
    req = dis(VW_SET_KEY_REQ)
    assert req.name == "CM_SET_KEY.REQ" and req.error is None
    assert req.get("key_type") == 1 and req.field("key_type").display == "NMK (AES-128) (1)"  # type: ignore[union-attr]
    assert req.get("my_nonce") == bytes.fromhex("aaaaaaaa") and req.get("pid") == 4
    assert req.get("nid") == bytes.fromhex("a0a2c2a87f1e05") and req.get("new_eks") == 1
    key = req.field("new_key")
    assert key is not None and key.secret and (key.offset, key.length) == (27, 16)
    assert key.jsonable() == "<redacted>" and key.value == b"87ZLIXT64V2CDJ5Q"
    cnf = dis(VW_SET_KEY_CNF)
    assert cnf.name == "CM_SET_KEY.CNF" and cnf.error is None
    assert cnf.get("result") == 1 and cnf.get("your_nonce") == bytes.fromhex("aaaaaaaa")
    assert cnf.get("pmn") == 0xFF and span(cnf, "cco_capability") == (18, 1)


def test_cm_get_key_req() -> None:
    layer = dis(CCS32_GET_KEY_REQ)
    assert layer.name == "CM_GET_KEY.REQ" and layer.error is None
    assert (layer.get("request_type"), layer.get("requested_key_type")) == (0, 1)
    assert layer.get("nid") == bytes.fromhex("bceac68e7c2d02") and span(layer, "nid") == (7, 7)
    assert layer.field("hash_key") is None


def test_cm_brg_info_and_nw_info() -> None:
    brg = dis(DS_BRG_INFO_CNF)
    assert brg.name == "CM_BRG_INFO.CNF" and (brg.get("bsf"), brg.get("btei"), brg.get("nbda")) == (1, 2, 1)
    bda = brg.field("bda")
    assert bda is not None and bda.children[0].children[0].display == "a0:ce:c8:ca:5f:a2"
    nw = dis(DS_NW_INFO_CNF)
    assert nw.name == "CM_NW_INFO.CNF" and nw.get("num_nws") == 1
    net = {f.name: f for f in nw.field("networks").children[0].children}  # type: ignore[union-attr]
    assert net["nid"].value == bytes.fromhex("0fe52f7bf82503") and net["snid"].value == 0x0A
    assert net["station_role"].display == "central coordinator (2)"
    assert net["cco_mac"].display == "88:fc:a6:1c:7c:88" and net["cco_mac"].offset == 16


def test_cc_assoc_cnf() -> None:
    layer = dis(ABB_CC_ASSOC_CNF)
    assert layer.name == "CC_ASSOC.CNF" and layer.error is None
    assert layer.get("result") == 0 and layer.get("nid") == bytes.fromhex("172e34824b5d0a")
    assert (layer.get("snid"), layer.get("tei"), layer.get("lease_time")) == (1, 2, 15)


def test_vs_sw_ver_cnf_firmware_string() -> None:
    layer = dis(CCS32_SW_VER_CNF)
    assert layer.name == "VS_SW_VER.CNF" and layer.error is None
    assert layer.get("mmv") == 0 and layer.field("nf_mi") is None
    assert layer.field("oui").display == "00:b0:52 (Qualcomm Atheros)"  # type: ignore[union-attr]
    assert layer.get("device_id") == 0x20 and layer.get("version_length") == 38
    assert layer.get("version") == b"MAC-QCA7420-1.3.1.2141-00-20160428-CS\0"
    assert span(layer, "version") == (9, 38)


def test_vs_attenuation_characteristics_with_zero_oui() -> None:
    layer = dis(DS_ATTEN_CHARACTERISTICS)
    assert layer.name == "VS_ATTENUATION_CHARACTERISTICS.IND" and layer.error is None
    assert layer.get("oui") == bytes(3)
    assert layer.field("source_address").display == "a0:ce:c8:ca:5f:a2"  # type: ignore[union-attr]
    assert layer.get("num_groups") == 58 and span(layer, "aag") == (22, 58)
    assert layer.get("aag")[0] == 0x18 and layer.get("aag")[-1] == 0x2D
    assert layer.get("average_attenuation") == round(sum(layer.get("aag")) / 58, 2)


def test_stp_cpstate_ind() -> None:
    layer = dis(DS_STP_CPSTATE)
    assert layer.name == "STP_CPSTATE.IND" and layer.error is None
    assert (layer.get("duty_cycle"), layer.get("frequency"), layer.get("voltage")) == (22, 1000, 8946)
    assert span(layer, "duty_cycle") == (14, 1) and span(layer, "voltage") == (17, 2)
    assert layer.get("cp_state") == "B2" and layer.get("ac_max_current") == 13.2


def test_spidcom_cp_state_ind_synthetic() -> None:
    # No SPIDCOM frame exists in the captures; layout from dsV2Gshark: changed, Hz, per mille, mV.
    payload = bytes.fromhex("010ea1000000" "13d7") + bytes([0x06]) + (1000).to_bytes(2, "little") \
        + (50).to_bytes(2, "little") + (6020).to_bytes(2, "little")
    layer = dissect_homeplug(payload)
    assert layer.name == "SPIDCOM_CP_STATE.IND" and layer.error is None
    assert layer.get("duty_cycle") == 50 and layer.get("cp_state") == "C2"
    assert "HLC" in layer.field("cp_state").display  # type: ignore[union-attr]


def test_dspace_scs_diag() -> None:
    layer = dis(DS_SCS_DIAG)
    assert layer.name == "DSPACE_SCS_DIAG.IND" and layer.error is None
    assert (layer.get("prefix"), layer.get("tool"), layer.get("version")) == ("dSPACE SCS Diag", "dsV2Gshark", 1)
    assert layer.get("info") == "SCS Diagnostic"
    js = layer.field("json")
    assert js is not None and {c.name: c.value for c in js.children} == {"PP Resistor [Ohm]": 0, "CP State": "State_A1"}
    assert layer.get("cp_state") == "A1"


def test_validate_and_amp_map_synthetic() -> None:
    # CM_VALIDATE and CM_AMP_MAP appear in no capture here; bytes built from the ISO 15118-3 tables.
    req = dissect_homeplug(bytes.fromhex("0178600000" "00" "05" "01"))
    assert req.name == "CM_VALIDATE.REQ" and (req.get("signal_type"), req.get("timer"), req.get("result")) == (0, 5, 1)
    cnf = dissect_homeplug(bytes.fromhex("0179600000" "00" "03" "02"))
    assert cnf.name == "CM_VALIDATE.CNF" and cnf.field("result").display == "success (2)"  # type: ignore[union-attr]
    amp = dissect_homeplug(bytes.fromhex("011c600000" "0300" "1234"))
    assert amp.name == "CM_AMP_MAP.REQ" and amp.get("amlen") == 3 and amp.get("amdata") == b"\x12\x34"
    amp_cnf = dissect_homeplug(bytes.fromhex("011d600000" "00"))
    assert amp_cnf.name == "CM_AMP_MAP.CNF" and amp_cnf.get("res_type") == 0


@pytest.mark.parametrize(("a", "b"), [(VW_SET_KEY_REQ, "new_key"), (VW_SLAC_MATCH_CNF, "nmk")])
def test_no_key_bytes_in_default_json(a: str, b: str) -> None:
    from v2gsniff.dissectors import fields_to_json

    layer = dis(a)
    dumped = repr(fields_to_json(layer.fields))
    assert "38375a4c" not in dumped and "87ZLIXT" not in dumped
    assert fields_to_json(layer.fields, show_keys=True)[b] == "38375a4c4958543634563243444a3551"  # type: ignore[call-overload]


def test_cp_helpers() -> None:
    assert cp_state(12.0, 100, 0) == "A1" and cp_state(9.1, 5, 1000) == "B2" and cp_state(0.2, 0, 0) == "E/F"
    assert ac_max_current(5) is None and ac_max_current(9) == 6.0 and ac_max_current(90) == 65.0
