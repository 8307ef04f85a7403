"""Run-time support of the compiled decoders (``grammars/_dec_*.py``, made by ``tools/exigen/compile.py``).

The compiled code reads declared productions itself, straight-line, on the whole stream held as one
Python int ``v`` of ``n`` bits (bit ``p`` is ``(v >> (n - p - 1)) & 1``).  A read past the end is a
negative shift, which raises ``ValueError``; each compiled function turns that into "stream ends
early" at its position.  What is left for this module is what no schema declares in place:

* the variable-length value readers (Unsigned, Integer, String, binary) the compiled code calls;
* second-level events behind a state's escape code (exi.md §7.1), wildcard productions (SE(*),
  AT(*), mixed text) and the qname string tables they use (§7.4); they read the grammar tables
  (``grammar.Grammar``) as data and hand every declared state back to the compiled functions;
* the document / fragment frame around the root elements.

Decoded elements are *nodes*: ``[ns, name, attrs, children, value, dtype, texts]`` lists
(``attrs``/``children``/``texts`` ``None`` when empty), the compact form ``model.ExiMessage`` turns
into ``Element`` objects only when asked (``to_json``/``to_xml`` read nodes directly).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any

from .errors import ExiError, FacetViolation
from .facets import bounds_violated, violated
from .grammar import (
    AT,
    AT_ANY,
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
    SE_URI,
    ST,
    Grammar,
    bits_for,
    load,
)
from .model import XSI_NS, ExiMessage

if TYPE_CHECKING:  # positions load only for a positioned decode (the UI), not on the capture path
    from .positions import ElementBits, PositionedMessage

MAX_DEPTH = 64
Node = list[Any]
TypeFn = Callable[[int, int, int, Node, int, "Ctx"], int]
Top = tuple[int, tuple[tuple[str, str, int] | str, ...]]  # a compiled module's DOCUMENT / FRAGMENT


class Fail(Exception):
    """Internal failure; compiled functions add their element names on the way out (free otherwise)."""

    def __init__(self, message: str, bit: int, names: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.bit = bit
        self.names: list[str] = names if names is not None else []


def early(p: int, name: str) -> Fail:
    """The failure of a read that ran past the end of the stream (a negative shift)."""
    return Fail("stream ends early", p, [name])


class Ctx:
    """Per-decode state the rare paths need: grammar tables, compiled functions, string tables."""

    __slots__ = ("schema", "module", "fn", "tables", "learned", "depth", "mark", "found")

    def __init__(self, schema: str, module: Any) -> None:
        self.schema = schema
        self.module = module
        self.fn: dict[int, TypeFn] = module.FUNCTIONS
        self.tables: list[Any] = []
        self.learned: set[tuple[str, str]] = set()
        self.depth = 0
        self.mark = 0  # positions variant: where the event being handled by escape/wild began
        # values the bits carry but a facet forbids: (bit, value, facet, limit, node, inline child)
        self.found: list[tuple[int, Any, str, Any, Node, str | None]] = []

    @property
    def g(self) -> Grammar:
        """The grammar tables: only the rare paths read them, so a plain decode never loads them."""
        return load(self.schema)

    def span(self, node: Node, start: int, end: int, value: bool = False) -> None:
        """Where an element (or its typed value) lies; only the positions variant calls it or keeps it."""

    note = span  # for the elements the rare paths here decode (SE(*))

    def facet(self, value: Any, dti: int, bit: int, e: Node, child: str | None = None) -> None:
        """A value the compiled code's facet test flagged (datatype ``dti`` of the grammar tables)."""
        self.report(value, self.g.dtypes[dti], bit, e, child)

    def report(self, value: Any, dt: tuple[Any, ...], bit: int, e: Node, child: str | None = None) -> None:
        """Note the facets ``value`` of datatype ``dt`` (read at ``bit``) breaks; the value is kept.

        The element is ``e``, or its simple-typed child ``child`` that the compiled code read inline;
        paths are made once the decode is done (``violations``).  Integer bounds come first, then
        the datatype's other facets in their table order (facets.py judges both)."""
        kind = dt[0]
        broken: list[tuple[str, Any]] = []
        if kind == D_NBIT or kind == D_UINT or kind == D_INT:
            bound = bounds_violated(value, *((dt[2], dt[3]) if kind == D_NBIT else (dt[1], dt[2])))
            if bound is not None:
                broken.append(bound)
        checks = dt[-1] if kind == D_NBIT or kind == D_UINT or kind == D_INT else dt[1]
        if checks:
            broken += violated(value, checks)
        self.found.extend((bit, value, facet, limit, e, child) for facet, limit in broken)

    def enum(self, i: int, count: int, bit: int, child: str | None = None) -> None:
        """An enumeration index past the end: always an error (no value to keep)."""
        raise Fail(f"enumeration index {i} out of range (only {count} values)", bit, [child] if child else None)

    # -- second level and wildcards ----------------------------------------------------------------
    def escape(self, v: int, n: int, p: int, e: Node, s: int, code: int) -> tuple[int, int]:
        """A state's escape code (or an out-of-range code): the second-level event; (p, next state or -1)."""
        g = self.g
        st = g.states[s]
        prods = st.prods
        if code > len(prods):
            raise Fail(f"event code {code} out of range ({len(prods)} productions)", p - st.width)
        events = st.second_level()
        w = bits_for(len(events))
        c2 = (v >> (n - p - w)) & ((1 << w) - 1)
        if c2 >= len(events):
            raise Fail(f"second-level event code {c2} out of range", p)
        p += w
        ev = events[c2]
        if ev == "EE":
            return p, -1
        if ev == "xsi:type":
            tq, p = self.qname(v, n, p)
            _attrs(e)[(XSI_NS, "type")] = tq
            return self.resume(v, n, p, e, self.type_state(tq, p)), -1
        if ev == "xsi:nil":
            nil = (v >> (n - p - 1)) & 1 == 1
            p += 1
            _attrs(e)[(XSI_NS, "nil")] = nil
            return (self.type_empty(v, n, p, e, s), -1) if nil else (p, s)
        if ev == "AT(*)":
            p, t = self.any_attribute(v, n, p, e, False)
            if t >= 0:
                return self.resume(v, n, p, e, t), -1
            return p, s
        if ev == "AT-untyped":
            ats = [pr for pr in prods if pr[0] == AT]
            w3 = bits_for(len(ats) + 1)
            k = (v >> (n - p - w3)) & ((1 << w3) - 1)
            p += w3
            if k < len(ats):
                value, p = string(v, n, p)
                _attrs(e)[g.qnames[ats[k][1]]] = value
                return p, ats[k][3]
            if k > len(ats):
                raise Fail(f"third-level event code {k} out of range", p - w3)
            p, _t = self.any_attribute(v, n, p, e, True)
            return p, s
        after = st.content2 if st.kind == FST or st.kind == ST else s
        if ev == "SE(*)":
            start = self.mark
            child, p = self.any_element(v, n, p)
            self.note(child, start, p)
            _children(e).append(child)
            return p, after
        text, p = string(v, n, p)  # CH[untyped]
        _text(e, text)
        e[5] = -1
        return p, after

    def wild(self, v: int, n: int, p: int, e: Node, s: int, code: int) -> tuple[int, int]:
        """A declared wildcard production (SE(*), SE(uri:*), CH[untyped] of mixed content, AT(*))."""
        g = self.g
        ev, a, _b, nxt = g.states[s].prods[code]
        if ev == SE_ANY or ev == SE_URI:
            start = self.mark
            child, p = self.any_element(v, n, p)
            self.note(child, start, p)
            if ev == SE_URI and child[0] != g.uris[a]:
                raise Fail(f"element {{{child[0]}}}{child[1]} not in namespace {g.uris[a]}", p)
            _children(e).append(child)
        elif ev == CH_ANY:
            text, p = string(v, n, p)
            _text(e, text)
        elif ev == AT_ANY:
            p, t = self.any_attribute(v, n, p, e, False)
            if t >= 0:
                return self.resume(v, n, p, e, t), -1
        return p, nxt

    def resume(self, v: int, n: int, p: int, e: Node, t: int) -> int:
        """Go on with the element ``e`` in another type's grammar (xsi:type); the caller names it on failure."""
        try:
            return self.fn[t](v, n, p, e, t, self)
        except Fail as exc:
            exc.names.pop()
            raise

    def type_state(self, tq: tuple[str, str], p: int) -> int:
        s = self.g.types.get(tq)
        if s is None:
            raise Fail(f"xsi:type {{{tq[0]}}}{tq[1]} is not a type of schema {self.g.name}", p)
        return s

    def type_empty(self, v: int, n: int, p: int, e: Node, s: int) -> int:
        """The rest of an element after xsi:nil="true": its declared attributes, then EE."""
        g = self.g
        t = g.type_empty(s)
        while True:
            st = g.states[t]
            w = st.width
            code = (v >> (n - p - w)) & ((1 << w) - 1)
            p += w
            if code >= len(st.prods):
                p, t = self.escape(v, n, p, e, t, code)
                if t < 0:
                    return p
                continue
            ev, a, b, _nxt = st.prods[code]
            if ev == EE:
                return p
            value, p = read_value(v, n, p, g.dtypes[b], self, e)  # AT (TypeEmpty holds only ATs and EE)
            _attrs(e)[g.qnames[a]] = value

    # -- undeclared content through the qname string tables (exi.md §7.4) --------------------------
    def qname(self, v: int, n: int, p: int) -> tuple[tuple[str, str], int]:
        if not self.tables:
            self.tables.append(list(self.g.uris))
            self.tables.append([list(part) for part in self.g.local_names])
        uris, names = self.tables
        w = bits_for(len(uris) + 1)
        i = (v >> (n - p - w)) & ((1 << w) - 1)
        p += w
        if i == 0:
            length, p = uint(v, n, p)
            uri, p = chars(v, n, p, length)
            uris.append(uri)
            names.append([])
            part = names[-1]
        elif i > len(uris):
            raise Fail(f"uri id {i - 1} out of range", p - w)
        else:
            uri = uris[i - 1]
            part = names[i - 1]
        length, p = uint(v, n, p)
        if length == 0:
            w = bits_for(len(part))
            j = (v >> (n - p - w)) & ((1 << w) - 1)
            if j >= len(part):
                raise Fail(f"local-name id {j} out of range", p)
            return (uri, part[j]), p + w
        local, p = chars(v, n, p, length - 1)
        part.append(local)
        return (uri, local), p

    def any_attribute(self, v: int, n: int, p: int, e: Node, untyped: bool) -> tuple[int, int]:
        """AT(*): qname and value; (p, type state when the attribute was xsi:type, else -1)."""
        g = self.g
        q, p = self.qname(v, n, p)
        attrs = _attrs(e)
        if q[0] == XSI_NS and not untyped:
            if q[1] == "type":
                tq, p = self.qname(v, n, p)
                attrs[q] = tq
                return p, self.type_state(tq, p)
            if q[1] == "nil":
                attrs[q] = (v >> (n - p - 1)) & 1 == 1
                return p + 1, -1
        qid = g.qname_ids.get(q)
        if not untyped and qid is not None and qid in g.global_attributes:
            attrs[q], p = read_value(v, n, p, g.dtypes[g.global_attributes[qid]], self, e)
        else:
            attrs[q], p = string(v, n, p)
        return p, -1

    def any_element(self, v: int, n: int, p: int) -> tuple[Node, int]:
        g = self.g
        q, p = self.qname(v, n, p)
        if self.depth >= MAX_DEPTH:
            raise Fail(f"elements nested deeper than {MAX_DEPTH}", p)
        self.depth += 1
        try:
            qid = g.qname_ids.get(q)
            node: Node = [q[0], q[1], None, None, None, -1, None]
            if qid is not None and qid in g.global_elements:
                s = g.global_elements[qid]
                return node, self.fn[s](v, n, p, node, s, self)
            return node, self.builtin(v, n, p, q, node)
        finally:
            self.depth -= 1

    def builtin(self, v: int, n: int, p: int, q: tuple[str, str], node: Node) -> int:
        """Built-in element grammar under the profile limits 0/0: only AT(xsi:type) may come first."""
        start = p
        try:
            if q in self.learned:
                bit = (v >> (n - p - 1)) & 1
                p += 1
                if bit == 0:  # the learned AT(xsi:type) production: just the value
                    tq, p = self.qname(v, n, p)
                    node[2] = {(XSI_NS, "type"): tq}
                    s = self.type_state(tq, p)
                    return self.fn[s](v, n, p, node, s, self)
            code = (v >> (n - p - 2)) & 3
            p += 2
            if code == 0:
                return p
            if code != 1:
                raise Fail("undeclared element without xsi:type (EXI profile: no built-in grammar learning)", start)
            p, s = self.any_attribute(v, n, p, node, False)
            if s < 0:
                raise Fail("undeclared element must start with xsi:type (EXI profile)", start)
            self.learned.add(q)
            return self.fn[s](v, n, p, node, s, self)
        except Fail as exc:
            exc.names.append(q[1])
            raise
        except ValueError:
            raise early(p, q[1]) from None


class TraceCtx(Ctx):
    """Ctx of the positions variant: notes every element's bits and its typed value's bits."""

    __slots__ = ("spans", "values")

    def __init__(self, schema: str, module: Any) -> None:
        super().__init__(schema, module)
        self.spans: dict[int, tuple[int, int]] = {}
        self.values: dict[int, tuple[int, int]] = {}

    def span(self, node: Node, start: int, end: int, value: bool = False) -> None:
        (self.values if value else self.spans)[id(node)] = (start, end)

    note = span

    def bits(self, node: Node) -> ElementBits:
        from .positions import Bits, ElementBits

        start, end = self.spans[id(node)]
        value = self.values.get(id(node)) if node[4] is not None and node[5] >= 0 else None
        return ElementBits(Bits(start, end), Bits(*value) if value is not None else None,
                           tuple(self.bits(c) for c in node[3] or ()))


def _attrs(e: Node) -> dict[tuple[str, str], Any]:
    attrs = e[2]
    if attrs is None:
        attrs = e[2] = {}
    return attrs  # type: ignore[no-any-return]


def _children(e: Node) -> list[Node]:
    children = e[3]
    if children is None:
        children = e[3] = []
    return children  # type: ignore[no-any-return]


def _text(e: Node, text: str) -> None:
    """Untyped text: joined in ``value``; its place among the children kept in ``texts``."""
    value = e[4]
    e[4] = text if value is None else str(value) + text
    e[6] = [*(e[6] or ()), (len(e[3] or ()), text)]


# -- value readers ---------------------------------------------------------------------------------
def uint(v: int, n: int, p: int) -> tuple[int, int]:
    """EXI Unsigned Integer: 7-bit groups, least significant first, high bit = more follows."""
    b = (v >> (n - p - 8)) & 0xFF
    if b < 0x80:
        return b, p + 8
    x = b & 0x7F
    shift = 7
    while True:
        p += 8
        b = (v >> (n - p - 8)) & 0xFF
        x |= (b & 0x7F) << shift
        if b < 0x80:
            return x, p + 8
        shift += 7


def sint(v: int, n: int, p: int) -> tuple[int, int]:
    """EXI Integer: a sign bit, then the magnitude (negative values stored as -x - 1)."""
    neg = (v >> (n - p - 1)) & 1
    m, p = uint(v, n, p + 1)
    return (-m - 1 if neg else m), p


def chars(v: int, n: int, p: int, count: int) -> tuple[str, int]:
    if count * 8 > n - p:
        raise Fail(f"string of {count} characters is longer than the rest of the stream", p)
    if not count:
        return "", p
    q = p + count * 8
    raw = ((v >> (n - q)) & ((1 << (count * 8)) - 1)).to_bytes(count, "big")
    if raw.isascii():  # count one-byte code points (all below 128) are count plain ASCII bytes
        return raw.decode("ascii"), q
    out = []
    for _ in range(count):
        c, p = uint(v, n, p)
        if c > 0x10FFFF:
            raise Fail(f"invalid code point {c}", p)
        out.append(chr(c))
    return "".join(out), p


def string(v: int, n: int, p: int) -> tuple[str, int]:
    """String value: Unsigned(length + 2) then code points (length 0/1 would be value-table hits)."""
    length = (v >> (n - p - 8)) & 0xFF  # uint's first group, read here: most lengths have one
    if length < 0x80:
        q = p + 8
    else:
        length, q = uint(v, n, p)
    if length < 2:
        raise Fail("string table hit (value partitions are empty with valuePartitionCapacity 0)", p)
    return chars(v, n, q, length - 2)


def binary(v: int, n: int, p: int) -> tuple[bytes, int]:
    """hexBinary / base64Binary: Unsigned(length in bytes) then the bytes, unaligned."""
    length = (v >> (n - p - 8)) & 0xFF  # as in string
    if length < 0x80:
        q = p + 8
    else:
        length, q = uint(v, n, p)
    if length * 8 > n - q:
        raise Fail(f"binary length {length} is longer than the rest of the stream", p)
    if not length:
        return b"", q
    r = q + length * 8
    return ((v >> (n - r)) & ((1 << (length * 8)) - 1)).to_bytes(length, "big"), r


def read_value(v: int, n: int, p: int, dt: tuple[Any, ...], x: Ctx, e: Node) -> tuple[Any, int]:
    """A typed value by its datatype tuple (``grammar.compile_dtype``), for the table-driven rare paths."""
    kind = dt[0]
    if kind == D_NBIT or kind == D_ENUM or kind == D_BOOL:
        w = dt[1]
        i = (v >> (n - p - w)) & ((1 << w) - 1)
        if kind == D_BOOL:
            return i == 1, p + 1
        if kind == D_ENUM:
            if i >= len(dt[2]):
                x.enum(i, len(dt[2]), p)
            return dt[2][i], p + w
        if i + dt[2] > dt[3] or dt[4]:
            x.report(i + dt[2], dt, p, e)
        return i + dt[2], p + w
    if kind == D_UINT or kind == D_INT:
        y, q = uint(v, n, p) if kind == D_UINT else sint(v, n, p)
        if (dt[1] is not None and y < dt[1]) or (dt[2] is not None and y > dt[2]) or dt[3]:
            x.report(y, dt, p, e)
        return y, q
    value: Any
    if kind == D_STRING:
        value, q = string(v, n, p)
    elif kind == D_HEX or kind == D_B64:
        value, q = binary(v, n, p)
    else:
        raise Fail(f"datatype {dt[1]} is not supported", p)
    if dt[1]:
        x.report(value, dt, p, e)
    return value, q


def violations(nodes: list[Node], x: Ctx) -> tuple[FacetViolation, ...]:
    """The facet violations a decode noted, with their element paths (ExiError's form), in document order."""
    paths: dict[int, str] = {}
    out = []
    for bit, value, facet, limit, e, child in x.found:
        path = paths.get(id(e))
        if path is None:
            path = paths[id(e)] = _path(nodes, e)
        out.append(FacetViolation(path + (f"/{child}" if child else ""), value, facet, limit, bit))
    return tuple(out)


def _path(nodes: list[Node], target: Node) -> str:
    """Where ``target`` is, found by identity depth first (a search stops at it: most violations
    are near the top of a message, and a walk of the whole tree cost a third of such a decode)."""
    for root in nodes:
        names = [root[1]] if root is target else _below(root, target)
        if names is not None:
            return "/" + "/".join(reversed(names))
    raise AssertionError("a reported element is not in the decoded tree")


def _below(nd: Node, target: Node) -> list[str] | None:
    """The names from ``target`` up to ``nd`` (target's first), or None when it is not below ``nd``."""
    for c in nd[3] or ():
        names = [c[1]] if c is target else _below(c, target) if c[3] else None
        if names is not None:
            names.append(nd[1])
            return names
    return None


# -- document / fragment -------------------------------------------------------------------------------
def decode_nodes(data: bytes, x: Ctx, fragment: bool) -> tuple[list[Node], int]:
    """The root element nodes of one EXI document (or fragment) and the bit after its last event;
    raises ``ExiError``."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise ExiError(f"expected bytes, got {type(data).__name__}")
    data = bytes(data)
    if not data:
        raise ExiError("empty input", 0, "")
    if data[0] != 0x80:
        raise ExiError(f"EXI header must be 0x80 (no cookie, no options, final version 1), got 0x{data[0]:02x}",
                       0, "")
    n = len(data) * 8
    v = int.from_bytes(data, "big")
    fn = x.fn
    p = 8
    w, top = x.module.FRAGMENT if fragment else x.module.DOCUMENT
    nodes: list[Node] = []
    node: Node
    try:
        while True:
            if p + w > n:
                raise Fail("stream ends early", p)
            start = p
            code = (v >> (n - p - w)) & ((1 << w) - 1)
            if code >= len(top):
                raise Fail(f"event code {code} out of range ({len(top)} productions)", p + w)
            p += w
            production = top[code]
            if production == "ED":
                break
            if production == "SE(*)":
                node, p = x.any_element(v, n, p)
                x.note(node, start, p)
                nodes.append(node)
            else:
                ns, name, b = production
                node = [ns, name, None, None, None, -1, None]
                nodes.append(node)
                p = fn[b](v, n, p, node, b, x)
                x.note(node, start, p)
            if not fragment:
                break  # DocEnd has only ED (0 bits)
        if not nodes:
            raise Fail("fragment contains no element", p)
        if p > n:
            raise Fail("stream ends early", n)
        rest = n - p
        if rest and v & ((1 << rest) - 1):
            raise Fail("trailing garbage: non-zero bits after the end of the document", p)
    except Fail as exc:
        raise ExiError(exc.message, exc.bit, "/" + "/".join(reversed(exc.names))) from None
    except ValueError:  # a read past the end outside any element (an undeclared root's name)
        raise ExiError("stream ends early", p, "/") from None
    except RecursionError:
        raise ExiError("elements nested too deeply", p, "") from None
    return nodes, p


@cache
def compiled(schema: str, positions: bool = False) -> Any:
    """The compiled decoder module of a schema set (``positions``: the variant noting bits)."""
    module = SCHEMA_MODULES.get(schema)
    if module is None:
        raise ExiError(f"unknown schema {schema!r}; expected one of {', '.join(SCHEMA_MODULES)}")
    return importlib.import_module(f"{__package__}.compiled.{module}{'_positions' if positions else ''}")


def decode(data: bytes, schema: str, fragment: bool = False) -> ExiMessage:
    """Decode one EXI document (or fragment) of ``schema``."""
    x = Ctx(schema, compiled(schema))
    nodes, _end = decode_nodes(data, x, fragment)
    return ExiMessage.of_nodes(nodes, schema, fragment, violations(nodes, x) if x.found else ())


def decode_positions(data: bytes, schema: str, fragment: bool = False) -> PositionedMessage:
    """Decode as ``decode`` does, with the positions variant, and say where each element's bits are."""
    from .positions import PositionedMessage

    x = TraceCtx(schema, compiled(schema, True))
    nodes, end = decode_nodes(data, x, fragment)
    return PositionedMessage(ExiMessage.of_nodes(nodes, schema, fragment, violations(nodes, x) if x.found else ()),
                             tuple(x.bits(nd) for nd in nodes), end)


__all__ = ["Ctx", "Fail", "Node", "Top", "TraceCtx", "TypeFn", "binary", "decode", "decode_nodes", "decode_positions", "early",
           "sint", "string", "uint"]
