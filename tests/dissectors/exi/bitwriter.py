"""Bit-packed EXI writer (MSB first) for tests: streams built bit by bit, and the writer of the
table-driven reference encoder (table_encoder.py).  The product writes into one int (encoder.py)."""

from __future__ import annotations


class BitWriter:
    """Accumulates bits in one Python int; ``getvalue`` zero-pads to whole bytes."""

    __slots__ = ("acc", "nbits")

    def __init__(self) -> None:
        self.acc = 0
        self.nbits = 0

    def write(self, value: int, width: int) -> None:
        if width:
            self.acc = (self.acc << width) | value
            self.nbits += width

    def write_uint(self, value: int) -> None:
        """EXI Unsigned Integer: 7-bit groups, least significant first, high bit = more follows."""
        acc = self.acc
        n = self.nbits
        while value >= 0x80:
            acc = (acc << 8) | 0x80 | (value & 0x7F)
            value >>= 7
            n += 8
        self.acc = (acc << 8) | value
        self.nbits = n + 8

    def write_chars(self, text: str) -> None:
        for ch in text:
            self.write_uint(ord(ch))

    def write_bytes(self, data: bytes) -> None:
        if data:
            self.write(int.from_bytes(data, "big"), len(data) * 8)

    def getvalue(self) -> bytes:
        pad = -self.nbits % 8
        total = self.nbits + pad
        return (self.acc << pad).to_bytes(total // 8, "big")
