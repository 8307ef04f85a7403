"""Where each element and value of a decoded EXI stream lies, bit for bit (``decode_with_positions``).

EXI is bit-packed, so an element has no byte offset of its own: its bits start with the event code
that opens it (SE), run through its attributes, content and children, and end with the event code
that closes it (EE).  The plain decode does not track any of this (it is the hot path); the
positions variant of the compiled decoders (``compiled/_*_positions.py``, same code without inlined
children, plus ``runtime.TraceCtx.span`` calls) notes both ends of every element and typed value.

Bit ``n`` is bit ``7 - n % 8`` of byte ``n // 8`` of the EXI stream (EXI writes most significant bit
first), so bit 8 is the first bit after the 0x80 header byte.
"""

from __future__ import annotations

from dataclasses import dataclass

from .model import Element, ExiMessage


@dataclass(frozen=True, slots=True)
class Bits:
    """Bits ``start <= n < end`` of the EXI stream."""

    start: int
    end: int

    @property
    def byte_range(self) -> tuple[int, int]:
        """The bytes ``lo <= i < hi`` that hold these bits (the first and last may be shared)."""
        return self.start // 8, (self.end + 7) // 8

    def __len__(self) -> int:
        return self.end - self.start


@dataclass(frozen=True, slots=True)
class ElementBits:
    """The bits of one element and of its typed value; ``children`` run parallel to ``Element.children``."""

    span: Bits
    """From the first bit of the event code that starts the element to the last of the one that ends it."""
    value: Bits | None
    """The typed character value's own bits (no event codes); ``None`` without typed content
    (complex content, untyped or mixed text, an empty element)."""
    children: tuple[ElementBits, ...] = ()
    """One per child element, in document order."""


@dataclass(frozen=True, slots=True)
class PositionedMessage:
    """A decoded message and, parallel to ``message.elements``, where its elements' bits are."""

    message: ExiMessage
    elements: tuple[ElementBits, ...]
    end: int
    """Bit after the last event of the stream; only zero padding follows."""

    @property
    def root(self) -> ElementBits:
        return self.elements[0]

    def walk(self) -> list[tuple[Element, ElementBits]]:
        """Every element with its bits, parents before children (document order)."""
        out: list[tuple[Element, ElementBits]] = []

        def visit(el: Element, bits: ElementBits) -> None:
            out.append((el, bits))
            for pair in zip(el.children, bits.children, strict=True):
                visit(*pair)

        for pair in zip(self.message.elements, self.elements, strict=True):
            visit(*pair)
        return out
