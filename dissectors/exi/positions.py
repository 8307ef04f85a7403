"""Where each element and value of a decoded EXI stream lies, bit for bit (``decode_with_positions``).

EXI is bit-packed, so an element has no byte offset of its own: its bits start with the event code
that opens it (SE), run through its attributes, content and children, and end with the event code
that closes it (EE).  The plain decode does not track any of this (it is the hot path).  The
``Tracer`` here is handed to ``decode_stream`` only by ``decode_with_positions``: it wraps the
decoder's element and value readers and notes the bit position before and after each, so a
positioned decode reads the very same bits as the plain one, a few times slower.

Bit ``n`` is bit ``7 - n % 8`` of byte ``n // 8`` of the EXI stream (EXI writes most significant bit
first), so bit 8 is the first bit after the 0x80 header byte.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar, cast

from .model import Element, ExiMessage

F = TypeVar("F", bound=Callable[..., Any])


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


def _path_at(positioned: PositionedMessage, bit: int) -> str:
    """Path (ExiError's form) of the innermost element whose bits hold ``bit``: the value's element,
    or for an attribute value the element that carries it."""
    names: list[str] = []
    level = list(zip(positioned.message.elements, positioned.elements, strict=True))
    while level:
        for el, bits in level:
            if bits.span.start <= bit < bits.span.end:
                names.append(el.name)
                level = list(zip(el.children, bits.children, strict=True))
                break
        else:
            break
    return "/" + "/".join(names)


@dataclass(slots=True)
class _Frame:
    """The element being decoded: its children's bits so far and its last typed value (mutable)."""

    children: list[ElementBits] = field(default_factory=list)
    value: Bits | None = None


class Tracer:
    """Notes positions during one ``decode_stream`` (mutable; use once).

    ``mark`` is the end of the last event noted in the current element, so the next element starts
    there: the bits between are its own event code (and, for undeclared elements, its name).
    """

    def __init__(self) -> None:
        self.here: Callable[[], int] = lambda: 0
        self.mark = 8  # the document's first event code follows the header byte
        self.frames = [_Frame()]

    def result(self, message: ExiMessage) -> PositionedMessage:
        positioned = PositionedMessage(message, tuple(self.frames[0].children), self.here())
        if message.violations:
            message.violations = tuple(v._replace(path=_path_at(positioned, v.bit)) for v in message.violations)
        return positioned

    def element(self, inner: F) -> F:
        """Wrap ``element(qname, state, depth, attrs)``: one ``ElementBits`` per element decoded."""

        def traced(*args: Any) -> Any:
            start = self.mark
            self.mark = self.here()
            frame = _Frame()
            self.frames.append(frame)
            el = inner(*args)
            self.frames.pop()
            end = self.mark = self.here()
            typed = el.value is not None and el.dtype >= 0
            self.frames[-1].children.append(
                ElementBits(Bits(start, end), frame.value if typed else None, tuple(frame.children))
            )
            return el

        return cast(F, traced)

    def any_element(self, inner: F) -> F:
        """Wrap ``any_element(depth)``: the element's bits start before its event code and name.

        Some undeclared elements never reach ``element`` (an empty one of the built-in grammar);
        they get a leaf here."""

        def traced(*args: Any) -> Any:
            start = self.mark
            siblings = self.frames[-1].children
            before = len(siblings)
            el = inner(*args)
            end = self.mark = self.here()
            if len(siblings) > before:
                siblings[-1] = replace(siblings[-1], span=Bits(start, end))
            else:
                siblings.append(ElementBits(Bits(start, end), None))
            return el

        return cast(F, traced)

    def value(self, inner: F) -> F:
        """Wrap ``read_value(datatype)``: the last one in an element is its content (attributes come first)."""

        def traced(*args: Any) -> Any:
            start = self.here()
            x = inner(*args)
            end = self.mark = self.here()
            self.frames[-1].value = Bits(start, end)
            return x

        return cast(F, traced)

    def ends_event(self, inner: F) -> F:
        """Wrap a reader that ends an event without being a value (untyped text, an ``xsi:type`` name)."""

        def traced(*args: Any) -> Any:
            x = inner(*args)
            self.mark = self.here()
            return x

        return cast(F, traced)
