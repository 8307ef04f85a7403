"""An independent reader of EXI bits, for tests that check what a decoder says against the bytes.

EXI 1.0 §7.1 written out plainly: bits most significant first, unsigned integers in 7-bit groups
(least significant first, the high bit set when more follow), integers as a sign bit and a
magnitude, binary and strings length-prefixed (string lengths + 2: the V2G profile has no string
table hits). It shares no code with ``v2gsniff.dissectors.exi``.
"""

from __future__ import annotations

from typing import Any

from v2gsniff.dissectors.exi.grammar import D_B64, D_BOOL, D_HEX, D_INT, D_STRING, D_UINT

SELF_DESCRIBING = (D_UINT, D_INT, D_BOOL, D_HEX, D_B64, D_STRING)
"""Datatypes whose value can be read from its bits alone (no grammar needed)."""


class BitReader:
    def __init__(self, data: bytes, bit: int) -> None:
        self.data, self.bit = data, bit

    def bits(self, k: int) -> int:
        out = 0
        for _ in range(k):
            out = out << 1 | (self.data[self.bit // 8] >> (7 - self.bit % 8)) & 1
            self.bit += 1
        return out

    def uint(self) -> int:
        out, shift = 0, 0
        while True:
            group = self.bits(8)
            out |= (group & 0x7F) << shift
            shift += 7
            if group < 0x80:
                return out

    def integer(self) -> int:
        negative = self.bits(1)
        m = self.uint()
        return -m - 1 if negative else m

    def binary(self) -> bytes:
        return bytes(self.bits(8) for _ in range(self.uint()))

    def value(self, dtype: int) -> Any:
        """A value of a :data:`SELF_DESCRIBING` datatype."""
        if dtype == D_UINT:
            return self.uint()
        if dtype == D_INT:
            return self.integer()
        if dtype == D_BOOL:
            return self.bits(1) == 1
        if dtype in (D_HEX, D_B64):
            return self.binary()
        if dtype == D_STRING:
            return "".join(chr(self.uint()) for _ in range(self.uint() - 2))
        raise ValueError(dtype)
