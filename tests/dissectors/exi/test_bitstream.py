"""Bit writer: MSB-first packing and EXI Unsigned Integer groups."""

from __future__ import annotations

from v2gsniff.dissectors.exi.bitstream import BitWriter


def test_bits_are_msb_first_and_zero_padded() -> None:
    w = BitWriter()
    w.write(0x80, 8)
    w.write(0b1001101, 7)  # DIN V2G_Message in DocContent
    w.write(0, 1)
    assert w.getvalue() == bytes([0x80, 0x9A])
    w.write(1, 1)
    assert w.nbits == 17 and w.getvalue() == bytes([0x80, 0x9A, 0x80])


def test_unsigned_integer_groups_least_significant_first() -> None:
    for value, encoded in [(0, "00"), (127, "7f"), (128, "8001"), (300, "ac02"), (2**21, "80808001")]:
        w = BitWriter()
        w.write_uint(value)
        assert w.getvalue().hex() == encoded


def test_bytes_and_chars() -> None:
    w = BitWriter()
    w.write(1, 1)
    w.write_bytes(b"\xff")
    w.write_chars("A")
    assert w.getvalue() == bytes([0xFF, 0xA0, 0x80])
