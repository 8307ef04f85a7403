"""Schema-informed EXI codec for the V2G message sets (pure Python, no XSD needed at run time).

Options are those every V2G implementation uses (bit-packed, non-strict, header byte 0x80,
valuePartitionCapacity 0, EXI profile 0/0); grammars are generated from the official XSDs by
``tools/exigen/generate.py`` into ``grammars/`` and compiled to straight-line decoders by
``tools/exigen/compile.py`` into ``compiled/`` (``runtime.py`` holds what they share).

    >>> msg = decode(bytes.fromhex("809a0211d63f74d2297ac9119400"), "din")
    >>> msg.name, msg["Body"]["ServiceDiscoveryReq"]["ServiceCategory"].value
    ('ServiceDiscoveryReq', 'EVCharging')
    >>> encode(msg).hex()
    '809a0211d63f74d2297ac9119400'

Public API: ``SCHEMAS``, ``decode``, ``decode_fragment``, ``decode_with_positions`` (with
``PositionedMessage``, ``ElementBits``, ``Bits``), ``encode``, ``from_xml``, ``ExiError``,
``ExiMessage``, ``Element``, ``physical``, ``NAMESPACES``, ``UNSUPPORTED_NAMESPACES``, ``SHORT_NAMES``
(all three from the one table ``MESSAGE_SETS``),
``PAYLOAD_TYPE_SCHEMA``, ``guess_schemas``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import ExiError
from .grammar import SCHEMA_MODULES, load
from .model import Element, ExiMessage, physical
from .namespaces import (
    MESSAGE_SETS,
    NAMESPACES,
    SCHEMA_SHORT_NAMES,
    SHORT_NAMES,
    UNSUPPORTED_NAMESPACES,
    MessageSet,
)
from .runtime import decode as _decode
from .runtime import decode_positions

if TYPE_CHECKING:
    from .positions import Bits, ElementBits, PositionedMessage

SCHEMAS: tuple[str, ...] = tuple(SCHEMA_MODULES)
"""Schema set names: apphand, din, iso2, iso20-cm, iso20-ac, iso20-dc, iso20-wpt, iso20-acdp, xmldsig."""

PAYLOAD_TYPE_SCHEMA: dict[int, str | tuple[str, ...]] = {
    0x8001: ("apphand", "din", "iso2"),
    0x8002: "iso20-cm",
    0x8003: "iso20-ac",
    0x8004: "iso20-dc",
    0x8005: "iso20-acdp",
    0x8006: "iso20-wpt",
}
"""V2GTP payload type -> schema (0x8001 is shared by SupportedAppProtocol, DIN and ISO-2)."""


def decode(data: bytes, schema: str) -> ExiMessage:
    """Decode one EXI document of ``schema`` (one of ``SCHEMAS``); raises ``ExiError``."""
    return _decode(data, schema, False)


def decode_fragment(data: bytes, schema: str) -> ExiMessage:
    """Decode an EXI fragment (signed-element digests; SignedInfo uses schema "xmldsig")."""
    return _decode(data, schema, True)


def decode_with_positions(data: bytes, schema: str, fragment: bool = False) -> PositionedMessage:
    """Decode as ``decode`` (or ``decode_fragment``) does and say where each element's bits are.

    For one message a person looks at (the UI's hex highlight), not for bulk decoding: it runs the
    compiled positions variant, which reads the same bits as ``decode`` and notes where they are."""
    return decode_positions(data, schema, fragment)


def encode(msg: ExiMessage, schema: str | None = None, *, lenient: bool = False) -> bytes:
    """Encode a message (as decoded or built by ``from_xml``) back to EXI bytes.

    A value outside a schema facet raises ``ExiError`` unless ``lenient``; then it is written as
    its datatype's bits allow (a decoded out-of-facet value round-trips to the same bytes)."""
    if not isinstance(msg, ExiMessage):
        raise ExiError(f"expected an ExiMessage, got {type(msg).__name__}")
    from .encoder import encode_message  # decoding alone (the capture path) never loads it

    g = load(schema or msg.schema)
    try:
        return encode_message(msg, g, lenient)
    except (TypeError, AttributeError, ValueError, IndexError, RecursionError) as exc:
        if isinstance(exc, ExiError):
            raise
        raise ExiError(f"cannot encode this tree: {type(exc).__name__}: {exc}") from None


def from_xml(text: str | bytes, schema: str, fragment: bool = False, *, lenient: bool = False,
             validate: bool = False) -> ExiMessage:
    """Parse XML (namespace aware) into a typed ``ExiMessage`` of ``schema``.

    Values are validated and typed by encoding with the schema's grammar and decoding again, so
    the result is exactly what ``decode`` would produce for those bytes; an out-of-facet value
    raises ``ExiError`` unless ``lenient`` (then it is kept and listed in ``violations``). Content
    the schema does not declare at its place is taken as schema-less content (as a faulty peer
    sends it), or with ``validate`` raises ``ExiError`` with its path and what the schema expects."""
    from .encoder import encode_message
    from .xml import parse_xml

    root = parse_xml(text)
    untyped = ExiMessage(root, schema, fragment)
    return _decode(encode_message(untyped, load(schema), lenient, validate), schema, fragment)


def guess_schemas(data: bytes) -> list[str]:
    """Candidate schemas for a document from its first bytes, most likely first (``--schema auto``).

    DIN (0x80 0x9a) and ISO-2 (0x80 0x98) differ in their second byte; SupportedAppProtocol starts
    0x80 0x00/0x40; ISO-20 messages carry a 6-bit root index, which is tried against each -20 set.
    """
    if len(data) < 2 or data[0] != 0x80:
        return []
    b = data[1]
    if b == 0x9A:
        return ["din"]
    if b == 0x98:
        return ["iso2"]
    out: list[str] = []
    if b in (0x00, 0x40):
        out.append("apphand")
    index = b >> 2
    for name in ("iso20-cm", "iso20-dc", "iso20-ac", "iso20-wpt", "iso20-acdp"):
        g = load(name)
        prods = g.states[g.document].prods
        if index < len(prods) and prods[index][0] == 0 and g.qnames[prods[index][1]][1].endswith(("Req", "Res")):
            out.append(name)
    return out


_POSITION_TYPES = ("Bits", "ElementBits", "PositionedMessage")


def __getattr__(name: str) -> Any:
    # The positioned-decode types load on first use: the capture path never needs them.
    if name in _POSITION_TYPES:
        from . import positions

        return getattr(positions, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "SCHEMAS", "MESSAGE_SETS", "MessageSet", "NAMESPACES", "SHORT_NAMES", "SCHEMA_SHORT_NAMES", "UNSUPPORTED_NAMESPACES",
    "PAYLOAD_TYPE_SCHEMA", "ExiError", "ExiMessage",
    "Element", "decode", "decode_fragment", "decode_with_positions", "PositionedMessage", "ElementBits", "Bits",
    "encode", "from_xml", "guess_schemas", "physical",
]
