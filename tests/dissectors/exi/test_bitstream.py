"""The encoder's bit writing: one int with a leading 1, MSB first; EXI Unsigned Integer, Integer,
String and binary values (exi.md §2), checked against hand-made bytes and the test BitWriter."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from v2gsniff.dissectors.exi.encoder import binary, chars, sint, string, uint

from .bitwriter import BitWriter


def stream(a: int) -> bytes:
    """The bytes behind an accumulator (what encode_message returns, without the header)."""
    n = a.bit_length() - 1
    pad = -n % 8
    return (a << pad).to_bytes((n + pad) // 8 + 1, "big")[1:]


def test_bits_are_msb_first_and_zero_padded() -> None:
    a = 1 << 8 | 0x80
    a = a << 7 | 0b1001101  # DIN V2G_Message in DocContent
    a <<= 1
    assert stream(a) == bytes([0x80, 0x9A])
    assert stream(a << 1 | 1) == bytes([0x80, 0x9A, 0x80])


def test_unsigned_integer_groups_least_significant_first() -> None:
    for value, encoded in [(0, "00"), (127, "7f"), (128, "8001"), (300, "ac02"), (2**21, "80808001")]:
        assert stream(uint(1, value)).hex() == encoded


def test_integer_is_a_sign_bit_and_the_magnitude() -> None:
    assert stream(sint(1, 5) << 7) == bytes([0x02, 0x80])  # 0, then 00000101
    assert stream(sint(1, -1) << 7) == bytes([0x80, 0x00])  # 1, then 0 (magnitude - 1)


def test_binary_is_length_then_octets_and_ascii_chars_are_one_group_each() -> None:
    a = binary(1 << 1 | 1, b"\xff")  # a 1 bit, length 1, the octet
    # 1 | 00000001 | 11111111 | 01000001 ("A"), zero-padded
    assert stream(chars(a, "A")) == bytes([0x80, 0xFF, 0xA0, 0x80])
    assert stream(chars(1, "\u00e9")) == bytes([0xE9, 0x01])  # past 127: two groups


@given(st.lists(st.one_of(st.tuples(st.just("u"), st.integers(0, 2**70)),
                          st.tuples(st.just("s"), st.text(max_size=8)),
                          st.tuples(st.just("b"), st.binary(max_size=9)),
                          st.tuples(st.just("n"), st.integers(0, 7)))))
def test_the_int_writers_agree_with_the_bit_writer(ops: list[tuple[str, object]]) -> None:
    a = 1
    w = BitWriter()
    for kind, value in ops:
        if kind == "u":
            assert isinstance(value, int)
            a = uint(a, value)
            w.write_uint(value)
        elif kind == "s":
            assert isinstance(value, str)
            a = string(a, value)
            w.write_uint(len(value) + 2)
            w.write_chars(value)
        elif kind == "b":
            assert isinstance(value, bytes)
            a = binary(a, value)
            w.write_uint(len(value))
            w.write_bytes(value)
        else:
            assert isinstance(value, int)
            a = a << 3 | value
            w.write(value, 3)
    assert stream(a) == w.getvalue()
