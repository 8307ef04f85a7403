"""Rows of a message table and the one decoder that walks them.

A message is a tuple of rows that reads like the standard's table: ``u8("num_sounds")``,
``mac("pev_mac")``, ``key("nmk", 16)``. :func:`decode_rows` turns bytes into
:class:`~v2gsniff.dissectors.Field` objects with offsets relative to the MME payload, and
stops with a specific message (never an exception) when the bytes run out.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from v2gsniff.dissectors._api import Field, mac_text

Enum = Mapping[int, str]
Values = Mapping[str, Any]
"""Values of the fields decoded so far in a message, by name (for counts and conditions)."""


class Row:
    """One line of a message table (a plain class: every command makes the tables at start-up, and
    a frozen dataclass costs ten times as much to create; rows are read-only by convention)."""

    __slots__ = ("name", "width", "kind", "enum", "secret", "count", "rows", "when", "unit", "item", "size")

    def __init__(self, name: str, width: int, kind: str, enum: Enum | None = None, secret: bool = False,
                 count: str | None = None, rows: tuple[Row, ...] = (), when: Callable[[Values], bool] | None = None,
                 unit: str = "", item: str = "", size: Callable[[Values], int] | None = None) -> None:
        self.name = name
        """snake_case field name."""
        self.width = width
        """Bytes per item (per element for lists; 0 for ``rest``)."""
        self.kind = kind
        """``uint`` (little-endian), ``uint_be``, ``mac``, ``bytes``, ``text``, ``list``, ``group``, ``rest``."""
        self.enum = enum
        """Display names of integer values."""
        self.secret = secret
        """Key material, redacted unless the user asks for keys."""
        self.count = count
        """For ``list``/``group``: the earlier field holding the number of items."""
        self.rows = rows
        """For ``group``: the rows of one item."""
        self.when = when
        """The row is present only when this holds for the fields before it."""
        self.unit = unit
        """Appended to the display of integers (``dB``)."""
        self.item = item
        """Name of one element of a ``list``/``group``."""
        self.size = size
        """For ``var``: the byte length, computed from earlier fields."""

    def __repr__(self) -> str:
        return f"Row({self.name!r}, {self.width}, {self.kind!r})"


def u8(name: str, enum: Enum | None = None, unit: str = "",
       when: Callable[[Values], bool] | None = None) -> Row:
    return Row(name, 1, "uint", enum=enum, unit=unit, when=when)


def u16(name: str, enum: Enum | None = None) -> Row:
    """Little-endian, as HomePlug AV transmits multi-octet numbers."""
    return Row(name, 2, "uint", enum=enum)


def mac(name: str) -> Row:
    return Row(name, 6, "mac")


def raw(name: str, width: int, when: Callable[[Values], bool] | None = None) -> Row:
    return Row(name, width, "bytes", when=when)


def key(name: str, width: int, when: Callable[[Values], bool] | None = None) -> Row:
    """Key material (NMK, NEK, DAK): a ``secret`` field."""
    return Row(name, width, "bytes", secret=True, when=when)


def ident(name: str, width: int = 17) -> Row:
    """An identifier such as PEV_ID/EVSE_ID: bytes, shown as ASCII when printable."""
    return Row(name, width, "ident")


def text(name: str, width: int) -> Row:
    """A NUL-padded ASCII string (IDs, version strings)."""
    return Row(name, width, "text")


def counted(name: str, count: str, item: str, width: int = 1, unit: str = "",
            when: Callable[[Values], bool] | None = None) -> Row:
    """``count`` unsigned integers of ``width`` bytes each."""
    return Row(name, width, "list", count=count, item=item, unit=unit, when=when)


def group(name: str, count: str, item: str, *rows: Row) -> Row:
    """``count`` structures, each laid out as ``rows``."""
    return Row(name, sum(r.width for r in rows), "group", count=count, rows=rows, item=item)


def var(name: str, size: Callable[[Values], int], secret: bool = False) -> Row:
    """Bytes whose length an earlier field gives (AMDATA, a version string)."""
    return Row(name, 0, "var", secret=secret, size=size)


def rest(name: str, secret: bool = False, when: Callable[[Values], bool] | None = None) -> Row:
    """Every remaining byte (variable-length trailers)."""
    return Row(name, 0, "rest", secret=secret, when=when)


class Decoded:
    """What :func:`decode_rows` produced (read-only by convention; one per HomePlug frame)."""

    __slots__ = ("fields", "end", "error", "values")

    def __init__(self, fields: tuple[Field, ...], end: int, error: str | None = None,
                 values: dict[str, Any] | None = None) -> None:
        self.fields = fields
        self.end = end
        """Offset after the last byte consumed."""
        self.error = error
        self.values: dict[str, Any] = values if values is not None else {}


class _Short(Exception):
    def __init__(self, needed: int) -> None:
        self.needed = needed


def enum_text(value: int, enum: Enum | None, unit: str = "") -> str | None:
    if enum is not None:
        label = enum.get(value)
        return f"{label} ({value})" if label is not None else f"unknown ({value})"
    return f"{value} {unit}" if unit else None


def _one(row: Row, buf: bytes, pos: int) -> Field:
    """A fixed-width row at ``pos``; the caller has checked the length."""
    chunk = buf[pos : pos + row.width]
    if row.kind == "uint":
        v = int.from_bytes(chunk, "little")
        return Field(row.name, v, pos, row.width, enum_text(v, row.enum, row.unit))
    if row.kind == "uint_be":
        v = int.from_bytes(chunk, "big")
        return Field(row.name, v, pos, row.width, enum_text(v, row.enum, row.unit))
    if row.kind == "mac":
        return Field(row.name, chunk, pos, row.width, mac_text(chunk))
    if row.kind == "ident":
        shown = chunk.rstrip(b"\0")
        printable = bool(shown) and all(0x20 <= b < 0x7F for b in shown)
        return Field(row.name, chunk, pos, row.width, shown.decode("ascii") if printable else chunk.hex())
    if row.kind == "text":
        s = chunk.split(b"\0", 1)[0].decode("ascii", "replace")
        return Field(row.name, s, pos, row.width, secret=row.secret)
    return Field(row.name, chunk, pos, row.width, secret=row.secret)


def decode_rows(rows: tuple[Row, ...], buf: bytes, start: int, what: str) -> Decoded:
    """Decode ``rows`` from ``buf[start:]``; ``what`` names the message in error texts."""
    out: list[Field] = []
    values: dict[str, Any] = {}
    pos = start
    try:
        pos = _walk(rows, buf, pos, out, values)
    except _Short as short:
        error = f"{what}: {len(buf)} bytes, needs {short.needed}"
        return Decoded(tuple(out), len(buf), error, values)
    return Decoded(tuple(out), pos, None, values)


def _walk(rows: tuple[Row, ...], buf: bytes, pos: int, out: list[Field], values: dict[str, Any]) -> int:
    for row in rows:
        if row.when is not None and not row.when(values):
            continue
        if row.kind == "rest":
            f = Field(row.name, buf[pos:], pos, len(buf) - pos, secret=row.secret)
            out.append(f)
            values[row.name] = f.value
            pos = len(buf)
            continue
        if row.kind == "var":
            n = max(0, row.size(values)) if row.size else 0
            if pos + n > len(buf):
                raise _Short(pos + n)
            f = Field(row.name, buf[pos : pos + n], pos, n, secret=row.secret)
            out.append(f)
            values[row.name] = f.value
            pos += n
            continue
        if row.kind in ("list", "group"):
            n = int(values.get(row.count or "", 0))
            size = n * row.width
            if pos + size > len(buf):
                raise _Short(pos + size)
            children = _items(row, buf, pos, n)
            value = [c.value for c in children] if row.kind == "list" else None
            out.append(Field(row.name, value, pos, size, children=children))
            values[row.name] = value
            pos += size
            continue
        if pos + row.width > len(buf):
            raise _Short(pos + row.width)
        f = _one(row, buf, pos)
        out.append(f)
        values[row.name] = f.value
        pos += row.width
    return pos


def _items(row: Row, buf: bytes, pos: int, n: int) -> tuple[Field, ...]:
    items: list[Field] = []
    for i in range(n):
        at = pos + i * row.width
        if row.kind == "list":
            v = int.from_bytes(buf[at : at + row.width], "little")
            items.append(Field(row.item, v, at, row.width, enum_text(v, None, row.unit)))
        else:
            sub: list[Field] = []
            _walk(row.rows, buf, at, sub, {})
            items.append(Field(row.item, None, at, row.width, children=tuple(sub)))
    return tuple(items)


Decoder = Callable[[bytes, int, str], Decoded]
"""A hand-written body decoder: (payload, body offset, message name) -> Decoded."""


class Message(NamedTuple):
    """One message table: the MMTYPE it decodes, its rows and where the table comes from."""

    mmtype: int
    """Full MMTYPE including the variant bits (0x6064 = CM_SLAC_PARM.REQ)."""
    rows: tuple[Row, ...]
    reference: str
    """The clause or table of the standard (or vendor source) the rows follow."""
    oui: bytes | None = None
    """Vendor OUI for manufacturer/vendor-specific MMEs."""
    derive: Callable[[Decoded], tuple[Field, ...]] | None = None
    """Computed fields (no bytes of their own) appended after the decoded ones."""
    decoder: Decoder | None = None
    """Used instead of ``rows`` when the layout is not a plain table."""

    def decode(self, buf: bytes, start: int, what: str) -> Decoded:
        d = self.decoder(buf, start, what) if self.decoder else decode_rows(self.rows, buf, start, what)
        if self.derive is not None and d.error is None:
            d = Decoded(d.fields + self.derive(d), d.end, d.error, d.values)
        return d


def average_attenuation(d: Decoded) -> tuple[Field, ...]:
    """The mean of the attenuation profile (``aag``) in dB, as dsV2Gshark and pyPLC show it."""
    aag = d.values.get("aag")
    if not aag:
        return ()
    f = next(x for x in d.fields if x.name == "aag")
    avg = round(sum(aag) / len(aag), 2)
    return (Field("average_attenuation", avg, f.offset, 0, f"{avg:.2f} dB"),)
