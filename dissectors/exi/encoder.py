"""EXI stream encoder: element tree -> bytes with the V2G options (exi.md §1).

The declared productions are written by the compiled encoders (``encoders/_enc_*.py``, made by
``tools/exigen/compile_encoder.py``): one straight-line function per type grammar.  This module is
their run time: the value writers they call, and what no state declares in place, read from the
grammar tables as data -- attributes (declared or not, xsi:type, xsi:nil), undeclared children
and text (SE(*), CH[untyped], second-level EE), wildcards, the string tables of undeclared qnames
(§7.4), and values that are not already of their datatype's Python type (XML text).  Each of these
hands the next declared state back to the compiled code.

The output is one Python int ``a`` with a leading 1 bit before the stream: writing ``w`` bits of
``v`` is ``a << w | v``, and the length of the stream is ``a.bit_length() - 1``.

Elements without character content (``value is None``) that the grammar cannot end with a
declared EE are closed with the second-level EE, as EXIficient does; an empty string/bytes value is
written as a zero-length CH (OpenV2G's form).  Values may be typed (as decoded) or XML text (as
parsed by ``from_xml``).

A value outside a schema facet is refused (``FacetError``) unless the encoder is lenient: then a
value the datatype's bits can carry (an n-bit integer past its bound, an over-long string) is
written typed, exactly as a decoded out-of-facet value came, and one they cannot carry falls back
to CH[untyped] as EXIficient does.

Content the schema does not declare at its place (an unknown element, even an empty one; text or
an attribute it has no place for; a value its type does not allow) is written with the non-strict
second-level events, as a faulty peer's message decodes, unless the encoder validates: then it is
an ``ExiError`` naming the path and what the schema expects there.
"""

from __future__ import annotations

import base64
import binascii
import importlib
from functools import cache
from typing import Any

from .errors import ExiError
from .facets import bounds_violated, violated
from .grammar import (
    AT,
    AT_ANY,
    CH,
    CH_ANY,
    D_B64,
    D_BOOL,
    D_ENUM,
    D_HEX,
    D_INT,
    D_NBIT,
    D_STRING,
    D_UINT,
    EE,
    FST,
    SCHEMA_MODULES,
    SE_ANY,
    ST,
    Grammar,
    State,
    bits_for,
)
from .model import XSI_NS, Element, ExiMessage

XS_NS = "http://www.w3.org/2001/XMLSchema"
_TRUE = {"true": True, "1": True, "false": False, "0": False}


class FacetError(ExiError):
    """A value outside a schema facet, refused by the strict encoder (never caught as 'try untyped')."""


class Fail(Exception):
    """Internal failure; compiled functions add their element names on the way out (free otherwise)."""

    def __init__(self, message: str, bit: int | None, facet: bool = False, names: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.bit = bit
        self.facet = facet  # a FacetError: never retried as CH[untyped]
        self.names: list[str] = names if names is not None else []


class Chars:
    """Character content among an element's children: its value, or a text chunk of mixed content.

    Its ``name`` matches no declared element, so a compiled state without CH sends it to ``escape``."""

    __slots__ = ("value",)
    name = ""
    ns = ""

    def __init__(self, value: Any) -> None:
        self.value = value


# -- value writers (the compiled code calls these for variable-length values) -------------------
def uint(a: int, v: int) -> int:
    """EXI Unsigned Integer: 7-bit groups, least significant first, high bit = more follows."""
    while v >= 0x80:
        a = a << 8 | 0x80 | (v & 0x7F)
        v >>= 7
    return a << 8 | v


def sint(a: int, v: int) -> int:
    """EXI Integer: a sign bit, then the magnitude (minus one when negative) as Unsigned Integer."""
    return uint(a << 1 | 1, -v - 1) if v < 0 else uint(a << 1, v)


def chars(a: int, text: str) -> int:
    if text.isascii():  # every character is one 7-bit group: the bytes themselves
        return a << 8 * len(text) | int.from_bytes(text.encode("ascii"), "big") if text else a
    for ch in text:
        a = uint(a, ord(ch))
    return a


def string(a: int, text: str) -> int:
    """A String value (length + 2: no string table hit, valuePartitionCapacity 0) and its characters."""
    return chars(uint(a, len(text) + 2), text)


def binary(a: int, data: bytes) -> int:
    a = uint(a, len(data))
    return a << 8 * len(data) | int.from_bytes(data, "big") if data else a


def _text(value: Any) -> str:
    return "" if value is None else str(value)


@cache
def compiled(schema: str) -> Any:
    """The compiled encoder module of a schema set."""
    return importlib.import_module(f"{__package__}.encoders._enc{SCHEMA_MODULES[schema]}")


class Enc:
    """Per-encode state of the rare paths: grammar tables, compiled functions, string tables."""

    __slots__ = ("g", "lenient", "validate", "fn", "compiled_states", "uris", "names", "learned")

    def __init__(self, g: Grammar, lenient: bool, module: Any, validate: bool = False) -> None:
        self.g = g
        self.lenient = lenient
        self.validate = validate
        self.fn: dict[int, Any] = module.FUNCTIONS
        self.compiled_states: int = module.STATES
        self.uris: list[str] | None = None
        self.names: list[list[str]] = []
        self.learned: set[tuple[str, str]] = set()

    @staticmethod
    def fail(msg: str, a: int) -> Fail:
        return Fail(msg, a.bit_length() - 1)

    def refuse(self, a: int, st: State, what: str, child: str | None = None) -> None:
        """When validating, content the schema does not declare here is an error (module docstring)."""
        if self.validate:
            f = self.fail(f"{what} is not declared here; the schema expects {self.g.expected(st, child)}", a)
            if child is not None:
                f.names.append(child)
            raise f

    # -- values that are not already of their datatype's Python type ---------------------------
    def facets(self, x: Any, dti: int, child: str | None) -> None:
        """The compiled code's check of a string/binary value (any length is representable)."""
        self.check(x, self.g.dtypes[dti][1], None, True, 0, child)

    def check(self, x: Any, checks: Any, bounds: tuple[Any, Any] | None, representable: bool, a: int,
              child: str | None = None) -> None:
        """Refuse ``x`` if it breaks a facet, unless lenient and the datatype's bits can carry it
        (``child``: the simple-typed child the compiled code wrote inline, for the error's path)."""
        broken: list[tuple[str, Any]] = []
        bound = bounds_violated(x, *bounds) if bounds is not None else None
        if bound is not None:
            broken.append(bound)
        if checks:
            broken += violated(x, checks)
        if not broken:
            return
        if not self.lenient:
            facet, limit = broken[0]
            raise Fail(f"value {x!r} violates {facet} {limit!r} (encode leniently to keep it)", None, True,
                       [child] if child else None)
        if not representable:
            raise self.fail(f"value {x} cannot be carried by this datatype's bits", a)

    def value(self, a: int, dt: tuple[Any, ...], value: Any) -> int:
        """``value`` (typed or XML text) written as datatype ``dt``; Fail when it is not one."""
        kind = dt[0]
        try:
            if kind in (D_NBIT, D_UINT, D_INT):
                x = value if isinstance(value, int) and not isinstance(value, bool) else int(str(value).strip())
                if kind == D_NBIT:
                    if not dt[2] <= x <= dt[3] or dt[4]:
                        self.check(x, dt[4], (dt[2], dt[3]), 0 <= x - dt[2] < 1 << dt[1], a)
                    return a << dt[1] | (x - dt[2]) if dt[1] else a
                if (dt[1] is not None and x < dt[1]) or (dt[2] is not None and x > dt[2]) or dt[3]:
                    self.check(x, dt[3], (dt[1], dt[2]), kind == D_INT or x >= 0, a)
                return uint(a, x) if kind == D_UINT else sint(a, x)
            if kind == D_BOOL:
                return a << 1 | (value if isinstance(value, bool) else _TRUE[str(value).strip()])
            if kind == D_ENUM:
                index = dt[3].get(value if type(value) is str else str(value).strip())
                if index is None:
                    raise self.fail(f"{value!r} is not one of the enumeration values", a)
                return a << dt[1] | index if dt[1] else a
            if kind == D_STRING:
                text = str(value)
                if dt[1]:
                    self.check(text, dt[1], None, True, a)
                return string(a, text)
            if kind == D_HEX or kind == D_B64:
                if isinstance(value, (bytes, bytearray)):
                    data = bytes(value)
                elif kind == D_HEX:
                    data = bytes.fromhex("".join(str(value).split()))
                else:
                    data = base64.b64decode("".join(str(value).split()), validate=True)
                if dt[1]:
                    self.check(data, dt[1], None, True, a)
                return binary(a, data)
            raise self.fail(f"datatype {dt[1]} is not supported", a)
        except (ValueError, KeyError, TypeError, binascii.Error) as exc:
            raise self.fail(f"invalid value {value!r}: {exc}", a) from None

    def try_value(self, a: int, dt: tuple[Any, ...], value: Any) -> int | None:
        """``a`` with the typed value, or None if value is invalid for dt (a facet refusal raises)."""
        try:
            return self.value(a, dt, value)
        except Fail as f:
            if f.facet:
                raise
            return None

    def reason(self, m: dict[Any, int], st: State, value: Any) -> str:
        """Why ``value`` is not one of the CH production's type (its encoding's own error)."""
        try:
            self.value(1, self.g.dtypes[st.prods[m[CH]][1]], value)
        except Fail as f:
            return f.message
        return "not of this type"

    # -- qnames through the string tables (undeclared content, exi.md §7.4) --------------------
    def qname(self, a: int, uri: str, local: str) -> int:
        if self.uris is None:
            self.uris = list(self.g.uris)
            self.names = [list(p) for p in self.g.local_names]
        uris = self.uris
        width = bits_for(len(uris) + 1)
        if uri in uris:
            i = uris.index(uri)
            a = a << width | (i + 1)
        else:
            a = chars(uint(a << width, len(uri)), uri)
            uris.append(uri)
            self.names.append([])
            i = len(uris) - 1
        part = self.names[i]
        if local in part:
            return uint(a, 0) << bits_for(len(part)) | part.index(local)
        part.append(local)
        return chars(uint(a, len(local) + 1), local)

    # -- second-level events -------------------------------------------------------------------
    def second(self, a: int, st: State, event: str) -> int:
        events = st.second_level()
        if event not in events:
            raise self.fail(f"{event} is not possible here", a)
        return (a << st.width | len(st.prods)) << bits_for(len(events)) | events.index(event)

    def end(self, a: int, s: int) -> int:
        """EE where the state declares none: the second-level EE."""
        return self.second(a, self.g.states[s], "EE")

    def escape(self, a: int, s: int, c: Any) -> tuple[int, int]:
        """An item the compiled state does not declare: text (CH), or an element by SE(*); (a, next state)."""
        if c.__class__ is Chars:
            return self.characters(a, s, c.value)
        g = self.g
        st = g.states[s]
        m = st.encode_map or g.encode_map(st)
        if SE_ANY in m:
            code = m[SE_ANY]
            return self.any_element(a << st.width | code, c), st.prods[code][3]
        self.refuse(a, st, f"element {c.name}" + (f" ({{{c.ns}}})" if c.ns else ""), c.name)
        a = self.any_element(self.second(a, st, "SE(*)"), c)
        return a, st.content2 if st.kind == FST or st.kind == ST else s

    def characters(self, a: int, s: int, value: Any) -> tuple[int, int]:
        """Character content at state s: typed if a CH is declared and the value is one, else untyped."""
        g = self.g
        st = g.states[s]
        m = st.encode_map or g.encode_map(st)
        if CH in m:
            code = m[CH]
            typed = self.try_value(a << st.width | code, g.dtypes[st.prods[code][1]], value)
            if typed is not None:
                return typed, st.prods[code][3]
        elif CH_ANY in m:
            code = m[CH_ANY]
            return string(a << st.width | code, _text(value)), st.prods[code][3]
        if self.validate:
            if CH in m:
                raise self.fail(f"{value!r} is not a valid value here ({self.reason(m, st, value)})", a)
            self.refuse(a, st, f"text {value!r}")
        a = string(self.second(a, st, "CH"), _text(value))  # CH[untyped]
        return a, st.content2 if st.kind == FST or st.kind == ST else s

    # -- attributes, and the items a compiled function walks -----------------------------------
    def head(self, a: int, e: Element, s: int) -> tuple[int, int, list[Any]]:
        """Attributes of ``e`` and its children with its character content as ``Chars`` items.

        Returns (a, state, items), or state -1 when the element is already written (its xsi:type
        named another type grammar, whose compiled function wrote the rest)."""
        try:
            typed = -1
            if e.attrs:
                a, s, typed = self.attributes(a, e, s)
            texts = e.texts
            if texts is None:
                items: list[Any] = e.children if e.value is None else [Chars(e.value), *e.children]
            elif texts:
                items = []
                for index, child in enumerate(e.children):
                    items += [Chars(t) for k, t in texts if k == index]
                    items.append(child)
                items += [Chars(t) for k, t in texts if k >= len(e.children)]
            else:
                items = e.children
            if s >= self.compiled_states:  # TypeEmpty after xsi:nil="true": no compiled state
                for c in items:
                    a, s = self.escape(a, s, c)
                st = self.g.states[s]
                m = st.encode_map or self.g.encode_map(st)
                return (a << st.width | m[EE] if EE in m else self.second(a, st, "EE")), -1, []
        except Fail as f:
            f.names.append(e.name)
            raise
        if typed >= 0:  # the rest is the named type's, written by its compiled function
            rest = Element(e.ns, e.name, None, e.children, e.value, e.dtype, e.texts)
            return self.fn[typed](a, rest, s, self), -1, []
        return a, s, items

    def attributes(self, a: int, e: Element, s: int) -> tuple[int, int, int]:
        """(a, state, start of the xsi:type grammar or -1) after the attributes of ``e``."""
        g = self.g
        states = g.states
        attrs = dict(e.attrs)
        xsi_type = attrs.pop((XSI_NS, "type"), None)
        nil = attrs.pop((XSI_NS, "nil"), None)
        typed = -1
        if xsi_type is not None:
            tq = _type_qname(xsi_type)
            if tq not in g.types:
                raise self.fail(f"xsi:type {tq} is not a type of schema {g.name}", a)
            a = self.qname(self.second(a, states[s], "xsi:type"), *tq)
            s = typed = g.types[tq]
        if nil is not None:
            if nil is True or nil is False or str(nil).strip() in _TRUE:
                flag = nil if isinstance(nil, bool) else _TRUE[str(nil).strip()]
                a = self.second(a, states[s], "xsi:nil") << 1 | (1 if flag else 0)
                if flag:
                    s = g.type_empty(s)
                    typed = -1
            else:  # not a Boolean: AT(*)[untyped] (exi.md §7.2 b)
                if self.validate:
                    raise self.fail(f"xsi:nil {nil!r} is not a boolean", a)
                a = self.second(a, states[s], "AT-untyped")
                a = a << bits_for(states[s].n_at + 1) | states[s].n_at
                a = string(self.qname(a, XSI_NS, "nil"), _text(nil))
        for (ans, alocal), value in sorted(attrs.items(), key=lambda kv: (kv[0][1], kv[0][0])):
            a, s = self.attribute(a, s, ans, alocal, value)
        return a, s, typed

    def attribute(self, a: int, s: int, ans: str, alocal: str, value: Any) -> tuple[int, int]:
        g = self.g
        st = g.states[s]
        m = st.encode_map or g.encode_map(st)
        qid = g.qname_ids.get((ans, alocal))
        code = m.get(("A", qid)) if qid is not None else None
        if code is not None:
            _ev, _a, dt, nxt = st.prods[code]
            typed = self.try_value(a << st.width | code, g.dtypes[dt], value)
            if typed is not None:
                return typed, nxt
            # schema-invalid value: AT(qname)[untyped], part 3 = its index among the ATs
            if self.validate:
                raise self.fail(f"attribute {alocal}: {value!r} is not a valid value", a)
            ats = [p for p in st.prods if p[0] == AT]
            a = self.second(a, st, "AT-untyped") << bits_for(len(ats) + 1) | ats.index(st.prods[code])
            return string(a, _text(value)), nxt
        gdt = g.global_attributes.get(qid) if qid is not None else None
        # typed apart (from a lone leading 1) before the qname goes into the string tables
        bits = self.try_value(1, g.dtypes[gdt], value) if gdt is not None else None
        if AT_ANY in m or gdt is None or bits is not None:
            if AT_ANY not in m:
                self.refuse(a, st, f"attribute {alocal}")
            a = a << st.width | m[AT_ANY] if AT_ANY in m else self.second(a, st, "AT(*)")
            a = self.qname(a, ans, alocal)
            if bits is None:
                return string(a, _text(value)), s
            n = bits.bit_length() - 1
            return a << n | (bits ^ 1 << n), s
        # global attribute with an invalid value: AT(*)[untyped]
        self.refuse(a, st, f"attribute {alocal} = {value!r}")
        a = self.second(a, st, "AT-untyped") << bits_for(st.n_at + 1) | st.n_at
        return string(self.qname(a, ans, alocal), _text(value)), s

    # -- elements no state declares --------------------------------------------------------------
    def any_element(self, a: int, e: Element) -> int:
        g = self.g
        a = self.qname(a, e.ns, e.name)
        qid = g.qname_ids.get((e.ns, e.name))
        if qid is not None and qid in g.global_elements:
            start = g.global_elements[qid]
            return int(self.fn[start](a, e, start, self))
        # built-in grammar under the profile: AT(*) xsi:type first (exi.md §7.4 items 3-4)
        q = (e.ns, e.name)
        if q in self.learned:
            a = a << 1 | 1
        a = self.qname(a << 2 | 1, XSI_NS, "type")
        tq = _type_qname(e.attrs.get((XSI_NS, "type"), (XS_NS, "anyType")))
        if tq not in g.types:
            raise self.fail(f"xsi:type {tq} is not a type of schema {g.name}", a)
        a = self.qname(a, *tq)
        self.learned.add(q)
        rest = {k: v for k, v in e.attrs.items() if k != (XSI_NS, "type")}
        start = g.types[tq]
        return int(self.fn[start](a, Element(e.ns, e.name, rest, e.children, e.value, e.dtype, e.texts), start, self))

    def root(self, a: int, s: int, e: Element) -> int:
        """A root element the document/fragment grammar does not declare: SE(*) or an error."""
        g = self.g
        st = g.states[s]
        m = st.encode_map or g.encode_map(st)
        if SE_ANY not in m or self.validate:
            raise ExiError(f"{{{e.ns}}}{e.name} cannot be a root element of schema {g.name}")
        return self.any_element(a << st.width | m[SE_ANY], e)


def _type_qname(value: Any) -> tuple[str, str]:
    if isinstance(value, tuple) and len(value) == 2:
        return (str(value[0]), str(value[1]))
    text = str(value)
    if text.startswith("{"):
        ns, _, local = text[1:].partition("}")
        return (ns, local)
    raise ExiError(f"xsi:type value {text!r} must be a (namespace, name) pair or '{{ns}}name'")


def encode_message(msg: ExiMessage, g: Grammar, lenient: bool = False, validate: bool = False) -> bytes:
    """Encode a message (document or fragment) with grammar set ``g`` (``lenient``, ``validate``:
    module docstring)."""
    mod = compiled(g.name)
    x = Enc(g, lenient, mod, validate)
    a: int = 0x180  # the leading 1, then the header byte 0x80
    try:
        if msg.fragment:
            for e in msg.elements:
                a = mod.fragment(a, e, x)
            a = a << mod.ED[0] | mod.ED[1]
        else:
            a = mod.document(a, msg.root, x)
    except Fail as f:
        path = "/" + "/".join(reversed(f.names))
        raise (FacetError if f.facet else ExiError)(f.message, f.bit, path) from None
    n = a.bit_length() - 1
    pad = -n % 8
    return (a << pad).to_bytes((n + pad) // 8 + 1, "big")[1:]
