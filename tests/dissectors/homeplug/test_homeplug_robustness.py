"""Short, cut and random input gives an error Layer, never an exception."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from v2gsniff.dissectors.homeplug import dissect_homeplug

SLAC_MATCH_CNF = bytes.fromhex(
    "017d600000000056000000000000000000000000000000000000007dfa06ab9100000000000000000000000000"
    "00000000a2bf183d0a0b53bcbd922f8828480000000000000000a0a2c2a87f1e050038375a4c4958543634563243444a3551")


def test_start_atten_char_cut_short_keeps_what_was_decoded() -> None:
    layer = dissect_homeplug(bytes.fromhex("016a60000000000a0601007dfa"))
    assert layer.name == "CM_START_ATTEN_CHAR.IND"
    assert layer.error == "CM_START_ATTEN_CHAR.IND: 13 bytes, needs 16"
    assert (layer.get("num_sounds"), layer.get("time_out"), layer.get("resp_type")) == (10, 6, 1)
    assert layer.field("forwarding_sta") is None and layer.length == 13


def test_every_prefix_of_a_real_message_decodes_without_raising() -> None:
    for n in range(len(SLAC_MATCH_CNF)):
        layer = dissect_homeplug(SLAC_MATCH_CNF[:n])
        assert layer.error is not None, n
        assert layer.protocol == "homeplug" and layer.length == n
    assert dissect_homeplug(SLAC_MATCH_CNF).error is None


def test_header_errors() -> None:
    assert dissect_homeplug(b"").error == "MME header: 0 bytes, needs 3"
    assert dissect_homeplug(b"\x01\x64").error == "MME header: 2 bytes, needs 3"
    assert dissect_homeplug(b"\x01\x64\x60\x00").error == "MME header: 4 bytes, needs 5"
    cut = dissect_homeplug(bytes.fromhex("0001a000b0"))
    assert cut.name == "VS_UNKNOWN_0xA001.CNF (OUI missing)" and "vendor OUI" in (cut.error or "")


def test_bad_counts_and_text() -> None:
    # num_groups says 200 attenuation values, 3 are present.
    layer = dissect_homeplug(bytes.fromhex("0186600000007dfa06ab91c800010203"))
    assert layer.error == "CM_ATTEN_PROFILE.IND: 16 bytes, needs 213" and layer.get("num_groups") == 200
    diag = dissect_homeplug(bytes.fromhex("0102800000644d70") + b"not|a diag")
    assert diag.name == "DSPACE_SCS_DIAG.IND" and "not 'prefix|tool|vN|info|{json}'" in (diag.error or "")
    bad_json = dissect_homeplug(bytes.fromhex("0102800000644d70") + b"a|b|v1|c|{\"x\": \xff")
    assert bad_json.error is not None and bad_json.error.startswith("DSPACE_SCS_DIAG.IND: JSON part")


def test_fragments_are_kept_raw() -> None:
    layer = dissect_homeplug(bytes.fromhex("0164601107") + b"\x00" * 10)
    assert layer.name == "CM_SLAC_PARM.REQ" and (layer.get("nf_mi"), layer.get("fn_mi"), layer.get("fmsn")) == (1, 1, 7)
    assert layer.get("fragment") == b"\x00" * 10 and layer.error is None


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=600))
def test_random_bytes_never_raise(data: bytes) -> None:
    layer = dissect_homeplug(data)
    assert layer.protocol == "homeplug" and layer.length == len(data)
    for f in layer.walk():
        assert 0 <= f.offset <= len(data) and f.offset + f.length <= len(data)
        f.text()
        f.jsonable()


@settings(max_examples=400, deadline=None)
@given(st.sampled_from([0x6064, 0x6065, 0x606A, 0x6076, 0x606E, 0x606F, 0x6086, 0x6078, 0x6079, 0x607C,
                        0x607D, 0x6008, 0x6009, 0x601C, 0x601D, 0x600C, 0x600D, 0x6021, 0x6039, 0x6049,
                        0x0030, 0x0031, 0x6006, 0x6007, 0xA001, 0xA14E, 0xA22E, 0xA10E, 0x8002, 0xA050, 0xA036]),
       st.sampled_from([b"", bytes.fromhex("00b052"), bytes.fromhex("0080e1"), bytes.fromhex("0013d7"),
                        bytes.fromhex("644d70"), bytes(3)]),
       st.integers(0, 2), st.binary(max_size=300))
def test_random_bodies_of_known_messages_never_raise(mmtype: int, oui: bytes, mmv: int, body: bytes) -> None:
    head = bytes([mmv]) + mmtype.to_bytes(2, "little") + (b"\x00\x00" if mmv else b"")
    layer = dissect_homeplug(head + oui + body)
    for f in layer.walk():
        assert f.offset + f.length <= layer.length
