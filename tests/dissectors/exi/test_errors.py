"""Malformed input always gives ExiError with bit position and element path, never anything else."""

from __future__ import annotations

import pytest

from v2gsniff.dissectors import exi
from v2gsniff.dissectors.exi.errors import FacetViolation

from .bitwriter import BitWriter

SERVICE_DISCOVERY = bytes.fromhex("809a0211d63f74d2297ac9119400")  # DIN, libcbv2g test vector
SAP_RES = bytes.fromhex("80400040")


def test_exi_error_is_a_value_error() -> None:
    assert issubclass(exi.ExiError, ValueError)


@pytest.mark.parametrize("data", [b"", b"\x00", b"\x81\x00", b"$EXI\x80"])
def test_header_other_than_0x80_is_rejected(data: bytes) -> None:
    with pytest.raises(exi.ExiError, match="header|empty"):
        exi.decode(data, "din")


def test_truncation_names_bit_and_path() -> None:
    with pytest.raises(exi.ExiError) as info:
        exi.decode(SERVICE_DISCOVERY[:9], "din")
    # the SessionID length (8 bytes, at bit 18) is checked before its bytes are read
    assert info.value.bit == 18 and info.value.path == "/V2G_Message/Header/SessionID"
    assert str(info.value).startswith("bit 18 in /V2G_Message/Header/SessionID: ")
    assert "ends early" in str(info.value) or "longer than the rest" in str(info.value)


def test_trailing_zero_bytes_are_padding_but_other_bytes_are_garbage() -> None:
    assert exi.decode(SERVICE_DISCOVERY + b"\x00\x00", "din") == exi.decode(SERVICE_DISCOVERY, "din")
    with pytest.raises(exi.ExiError, match="trailing garbage"):
        exi.decode(SERVICE_DISCOVERY + b"\x01", "din")


def test_string_table_hit_is_impossible_with_capacity_zero() -> None:
    # SAP req: AppProtocol/ProtocolNamespace string with length prefix 0 (local value hit)
    data = bytes.fromhex("8000dbab9371d3234b71d1b981899189d191818991d26b9b3a232b30020000040040")
    good = exi.decode(data, "apphand")
    assert good["AppProtocol"]["ProtocolNamespace"].value == "urn:din:70121:2012:MsgDef"
    bad = bytearray(data)
    bad[2] = 0x00  # the 8-bit Unsigned length (bits 10..17) spans bytes 1-2: make it 0
    bad[1] = 0x00
    with pytest.raises(exi.ExiError, match="string table hit|ends early|out of range") as info:
        exi.decode(bytes(bad), "apphand")
    assert info.value.path is not None and info.value.path.startswith("/supportedAppProtocolReq")


def test_enumeration_index_out_of_range() -> None:
    # SAP res ResponseCode has 3 values in 2 bits: index 3 is invalid
    with pytest.raises(exi.ExiError, match="enumeration index 3 out of range"):
        exi.decode(bytes.fromhex("804c00"), "apphand")


def test_nbit_value_past_its_facet_decodes_and_is_listed_and_encode_is_strict_unless_lenient() -> None:
    data = bytes.fromhex("8000dbab9371d3234b71d1b981899189d191818991d26b9b3a232b30020000040040")
    msg = exi.decode(data, "apphand")
    prio = msg["AppProtocol"]["Priority"]
    assert prio.value == 1 and msg.violations == ()
    prio.value = 21  # Priority is 1..20 in 5 bits, so 21 is representable but out of facet
    with pytest.raises(exi.ExiError, match="value 21 violates maxInclusive 20") as info:
        exi.encode(msg)
    assert info.value.path == "/supportedAppProtocolReq/AppProtocol/Priority"
    lenient = exi.encode(msg, lenient=True)
    again = exi.decode(lenient, "apphand")
    assert again["AppProtocol"]["Priority"].value == 21  # typed, as the bits say
    assert exi.encode(again, lenient=True) == lenient  # an out-of-facet message round-trips
    # all five bits set: 31 + 1 = 32, far past 20, still a value the bits carry
    typed = bytearray(data)
    pos = _priority_bit(data)
    for i in range(5):
        typed[(pos + i) // 8] |= 0x80 >> ((pos + i) % 8)
    decoded = exi.decode(bytes(typed), "apphand")
    assert decoded["AppProtocol"]["Priority"].value == 32
    assert decoded.violations == (FacetViolation("/supportedAppProtocolReq/AppProtocol/Priority", 32,
                                                 "maxInclusive", 20, pos),)


def test_a_value_its_bits_cannot_carry_falls_back_to_untyped_when_lenient() -> None:
    msg = exi.decode(bytes.fromhex("8000dbab9371d3234b71d1b981899189d191818991d26b9b3a232b30020000040040"),
                     "apphand")
    msg["AppProtocol"]["Priority"].value = 40  # 5 bits from 1 reach 32 at most: EXIficient's CH[untyped]
    again = exi.decode(exi.encode(msg, lenient=True), "apphand")
    assert again["AppProtocol"]["Priority"].value == "40" and again.violations == ()


def _priority_bit(data: bytes) -> int:
    """Bit offset of the Priority n-bit value: find it by flipping bits until the value changes."""
    base = exi.decode(data, "apphand")["AppProtocol"]["Priority"].value
    for bit in range(8, len(data) * 8):
        flipped = bytearray(data)
        flipped[bit // 8] ^= 0x80 >> (bit % 8)
        try:
            if exi.decode(bytes(flipped), "apphand")["AppProtocol"]["Priority"].value == base + 16:
                return bit
        except (exi.ExiError, KeyError):
            continue
    raise AssertionError("Priority bits not found")


def test_huge_length_prefix_is_rejected_before_allocating() -> None:
    # DIN SessionID (hexBinary) with a length of 2**60 bytes
    w = BitWriter()
    w.write(0x80, 8)
    w.write(0b1001101, 7)  # V2G_Message
    w.write(0, 3)  # SE Header, SE SessionID, CH
    w.write_uint(2**60)
    data = w.getvalue() + b"\x00" * 4
    with pytest.raises(exi.ExiError, match="longer than the rest|ends early"):
        exi.decode(data, "din")


def test_unknown_schema_is_an_exi_error() -> None:
    with pytest.raises(exi.ExiError, match="unknown schema"):
        exi.decode(SAP_RES, "iso15118-2")


def test_non_bytes_input_is_an_exi_error() -> None:
    with pytest.raises(exi.ExiError):
        exi.decode("809a", "din")  # type: ignore[arg-type]


def test_encoding_an_impossible_tree_names_the_path() -> None:
    msg = exi.decode(SERVICE_DISCOVERY, "din")
    msg["Body"]["ServiceDiscoveryReq"]["ServiceCategory"].value = "Coffee"
    out = exi.encode(msg)  # not an enumeration value: EXIficient's CH[untyped] escape
    again = exi.decode(out, "din")
    assert again["Body"]["ServiceDiscoveryReq"]["ServiceCategory"].value == "Coffee"
    with pytest.raises(exi.ExiError, match="expected an ExiMessage"):
        exi.encode(msg.root)  # type: ignore[arg-type]


def test_encoding_a_malformed_tree_is_an_exi_error() -> None:
    msg = exi.decode(SERVICE_DISCOVERY, "din")
    msg["Body"]["ServiceDiscoveryReq"].attrs["bogus"] = 1  # type: ignore[index]  # not a (ns, name) key
    with pytest.raises(exi.ExiError, match="cannot encode this tree"):
        exi.encode(msg)
