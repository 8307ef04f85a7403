"""EXI stream decoder (schema-informed, bit-packed, non-strict; the V2G options of exi.md §1).

The whole stream is held as one Python int and read with shifts, which is the fastest bit access
CPython offers.  Every failure raises ``ExiError`` naming the bit position and the element path;
lengths are checked against the remaining bits before anything is allocated, nesting is bounded,
and the loop always consumes bits, so any input ends in a result or an ``ExiError``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import ExiError, FacetViolation
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
    ED,
    EE,
    FST,
    SE,
    SE_ANY,
    SE_URI,
    ST,
    Grammar,
    bits_for,
)
from .model import XSI_NS, Element, ExiMessage

if TYPE_CHECKING:  # positions load only for a positioned decode (the UI), not on the capture path
    from .positions import PositionedMessage, Tracer

MAX_DEPTH = 64


class _Fail(Exception):
    """Internal failure; element frames add their names on the way out (free when nothing fails)."""

    def __init__(self, message: str, bit: int) -> None:
        super().__init__(message)
        self.message = message
        self.bit = bit
        self.names: list[str] = []


def decode_positions(data: bytes, g: Grammar, fragment: bool) -> PositionedMessage:
    """Decode as ``decode_stream`` does and note where every element's and value's bits are."""
    from .positions import Tracer

    tracer = Tracer()
    return tracer.result(decode_stream(data, g, fragment, tracer))  # result() gives violations their paths


def decode_stream(data: bytes, g: Grammar, fragment: bool, tracer: Tracer | None = None) -> ExiMessage:
    """Decode one EXI document (or fragment) with grammar set ``g`` (``tracer``: see ``decode_positions``)."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise ExiError(f"expected bytes, got {type(data).__name__}")
    data = bytes(data)
    if not data:
        raise ExiError("empty input", 0, "")
    if data[0] != 0x80:
        raise ExiError(f"EXI header must be 0x80 (no cookie, no options, final version 1), got 0x{data[0]:02x}",
                       0, "")
    nbits = len(data) * 8
    v = int.from_bytes(data, "big")
    states = g.states
    fast = g.fast
    simple = g.simple
    qnames = g.qnames
    dtypes = g.dtypes
    pos = 8
    tables: list[Any] = []  # lazily created qname string tables (uris, local-name partitions)
    # values the bits carry but a facet forbids: (bit, value, facet, limit), in document order; they
    # are kept (a sniffer never drops what the bits say) and their paths are found after the decode
    violations: list[tuple[int, Any, str, Any]] = []
    learned: set[tuple[str, str]] = set()  # undeclared qnames whose built-in grammar learned xsi:type

    def fail(msg: str, at: int | None = None) -> _Fail:
        return _Fail(msg, pos if at is None else at)

    def read(k: int) -> int:
        nonlocal pos
        p = pos + k
        if p > nbits:
            raise fail("stream ends early")
        pos = p
        return (v >> (nbits - p)) & ((1 << k) - 1)

    def read_uint() -> int:
        nonlocal pos
        result = 0
        shift = 0
        p = pos
        while True:
            q = p + 8
            if q > nbits:
                raise fail("stream ends early (unsigned integer)")
            b = (v >> (nbits - q)) & 0xFF
            p = q
            result |= (b & 0x7F) << shift
            if b < 128:
                pos = p
                return result
            shift += 7

    def read_chars(n: int) -> str:
        nonlocal pos
        if n * 8 > nbits - pos:
            raise fail(f"string of {n} characters is longer than the rest of the stream")
        if n:
            # fast path: n one-byte code points (all below 128) are n plain ASCII bytes
            q = pos + n * 8
            raw = ((v >> (nbits - q)) & ((1 << (n * 8)) - 1)).to_bytes(n, "big")
            if raw.isascii():
                pos = q
                return raw.decode("ascii")
        out = []
        for _ in range(n):
            c = read_uint()
            if c > 0x10FFFF:
                raise fail(f"invalid code point {c}")
            out.append(chr(c))
        return "".join(out)

    def read_string() -> str:
        start = pos
        n = read_uint()
        if n < 2:
            raise fail("string table hit (value partitions are empty with valuePartitionCapacity 0)", start)
        return read_chars(n - 2)

    def out_of_facet(x: Any, dt: tuple[Any, ...], start: int) -> None:
        """Note the facets value ``x`` of datatype ``dt`` (read at bit ``start``) breaks."""
        kind = dt[0]
        if kind == D_NBIT or kind == D_UINT or kind == D_INT:
            lo, hi = (dt[2], dt[3]) if kind == D_NBIT else (dt[1], dt[2])
            bound = bounds_violated(x, lo, hi)
            if bound is not None:
                violations.append((start, x, *bound))
            checks = dt[-1]
        else:
            checks = dt[1]
        if checks:
            violations.extend((start, x, facet, limit) for facet, limit in violated(x, checks))

    def read_value(dt: tuple[Any, ...]) -> Any:
        kind = dt[0]
        start = pos
        if kind == D_NBIT:
            x: int = read(dt[1]) + dt[2]
            if x > dt[3] or dt[4]:
                out_of_facet(x, dt, start)
            return x
        if kind == D_UINT or kind == D_INT:
            if kind == D_INT:
                neg = read(1)
                m = read_uint()
                x = -m - 1 if neg else m
            else:
                x = read_uint()
            if (dt[1] is not None and x < dt[1]) or (dt[2] is not None and x > dt[2]) or dt[3]:
                out_of_facet(x, dt, start)
            return x
        if kind == D_ENUM:
            i = read(dt[1])
            if i >= len(dt[2]):
                raise fail(f"enumeration index {i} out of range (only {len(dt[2])} values)", start)
            return dt[2][i]
        if kind == D_BOOL:
            return read(1) == 1
        if kind == D_STRING:
            text = read_string()
            if dt[1]:
                out_of_facet(text, dt, start)
            return text
        if kind == D_HEX or kind == D_B64:
            n = read_uint()
            if n * 8 > nbits - pos:
                raise fail(f"binary length {n} is longer than the rest of the stream", start)
            data = read(n * 8).to_bytes(n, "big") if n else b""
            if dt[1]:
                out_of_facet(data, dt, start)
            return data
        raise fail(f"datatype {dt[1]} is not supported")

    # -- qname string tables (only for undeclared content, exi.md §7.4) ----------------------
    def qname() -> tuple[str, str]:
        if not tables:
            tables.append(list(g.uris))
            tables.append([list(p) for p in g.local_names])
        uris, names = tables
        i = read(bits_for(len(uris) + 1))
        if i == 0:
            uri = read_chars(read_uint())
            uris.append(uri)
            names.append([])
            part = names[-1]
        elif i > len(uris):
            raise fail(f"uri id {i - 1} out of range")
        else:
            uri = uris[i - 1]
            part = names[i - 1]
        n = read_uint()
        if n == 0:
            j = read(bits_for(len(part)))
            if j >= len(part):
                raise fail(f"local-name id {j} out of range")
            return (uri, part[j])
        local = read_chars(n - 1)
        part.append(local)
        return (uri, local)

    def type_state(tq: tuple[str, str]) -> int:
        s = g.types.get(tq)
        if s is None:
            raise fail(f"xsi:type {{{tq[0]}}}{tq[1]} is not a type of schema {g.name}")
        return s

    def any_attribute(attrs: dict[tuple[str, str], Any], untyped: bool) -> int:
        q = qname()
        qid = g.qname_ids.get(q)
        if q[0] == XSI_NS and not untyped:
            if q[1] == "type":  # value is a QName; the element continues with that type's grammar
                tq = qname()
                attrs[q] = tq
                return type_state(tq)
            if q[1] == "nil":
                attrs[q] = read(1) == 1
                return -1
        if not untyped and qid is not None and qid in g.global_attributes:
            attrs[q] = read_value(dtypes[g.global_attributes[qid]])
        else:
            attrs[q] = read_string()
        return -1

    def any_element(depth: int) -> Element:
        q = qname()
        qid = g.qname_ids.get(q)
        if qid is not None and qid in g.global_elements:
            return element(q, g.global_elements[qid], depth)
        # built-in element grammar under the profile limits 0/0: only AT(xsi:type) may come first
        try:
            return _builtin(q, depth)
        except _Fail as exc:
            exc.names.append(q[1])
            raise

    def _builtin(q: tuple[str, str], depth: int) -> Element:
        start = pos
        if q in learned and read(1) == 0:  # the learned AT(xsi:type) production: just the value
            tq = qname()
            return element(q, type_state(tq), depth, {(XSI_NS, "type"): tq})
        code = read(2)
        if code == 0:
            return Element(q[0], q[1])
        if code != 1:
            raise fail("undeclared element without xsi:type (EXI profile: no built-in grammar learning)", start)
        attrs: dict[tuple[str, str], Any] = {}
        s = any_attribute(attrs, False)
        if s < 0:
            raise fail("undeclared element must start with xsi:type (EXI profile)", start)
        learned.add(q)
        return element(q, s, depth, attrs)

    # -- elements ------------------------------------------------------------------------------
    def element(qn: tuple[str, str], s: int, depth: int, attrs: dict[tuple[str, str], Any] | None = None,
                ) -> Element:
        nonlocal pos
        if depth > MAX_DEPTH:
            raise fail(f"elements nested deeper than {MAX_DEPTH}")
        if attrs is None:
            attrs = {}
        children: list[Element] = []
        texts: list[tuple[int, str]] | None = None
        value: Any = None
        dtype = -1
        try:
            while True:
                w, mask, n, prods = fast[s]
                p = pos + w
                if p > nbits:
                    raise fail("stream ends early")
                code = (v >> (nbits - p)) & mask
                pos = p
                if code < n:
                    ev, a, b, nxt = prods[code]
                    if ev == SE:
                        sim = simple[b]
                        if sim is not None and p < nbits and not (v >> (nbits - p - 1)) & 1:
                            # simple-typed child read inline: CH code 0, value, EE code 0
                            pos = p + 1
                            kind = sim[0]
                            try:
                                if kind <= D_ENUM and kind >= D_NBIT:  # n-bit, boolean, enumeration
                                    nb = sim[1]
                                    q = pos + nb
                                    if q > nbits:
                                        raise fail("stream ends early")
                                    x: Any = (v >> (nbits - q)) & ((1 << nb) - 1)
                                    if kind == D_NBIT:
                                        x += sim[2]
                                        if x > sim[3] or sim[4]:
                                            out_of_facet(x, sim, pos)
                                    elif kind == D_ENUM:
                                        if x >= len(sim[2]):
                                            raise fail(f"enumeration index {x} out of range", pos)
                                        x = sim[2][x]
                                    else:
                                        x = x == 1
                                    pos = q
                                elif kind == D_INT or kind == D_UINT:
                                    q = pos
                                    neg = 0
                                    if kind == D_INT:
                                        if q >= nbits:
                                            raise fail("stream ends early")
                                        neg = (v >> (nbits - q - 1)) & 1
                                        q += 1
                                    x = 0
                                    shift = 0
                                    while True:
                                        q += 8
                                        if q > nbits:
                                            raise fail("stream ends early (unsigned integer)")
                                        byte = (v >> (nbits - q)) & 0xFF
                                        x |= (byte & 0x7F) << shift
                                        if byte < 128:
                                            break
                                        shift += 7
                                    if neg:
                                        x = -x - 1
                                    if (sim[1] is not None and x < sim[1]) or (sim[2] is not None and x > sim[2]) \
                                            or sim[3]:
                                        out_of_facet(x, sim, pos)
                                    pos = q
                                else:
                                    x = read_value(sim)
                            except _Fail as exc:
                                exc.names.append(a[1])
                                raise
                            q = pos + 1
                            if q <= nbits and not (v >> (nbits - q)) & 1:
                                pos = q
                                children.append(Element(a[0], a[1], {}, [], x, kind))
                                s = nxt
                                continue
                            pos = p  # an escape after the value: take the general path
                        children.append(element(a, b, depth + 1))
                    elif ev == CH:
                        value = read_value(a)
                        dtype = a[0]
                    elif ev == EE:
                        break
                    elif ev == AT:
                        attrs[a] = read_value(b)
                    elif ev == SE_ANY or ev == SE_URI:
                        child = any_element(depth + 1)
                        if ev == SE_URI and child.ns != g.uris[a]:
                            raise fail(f"element {{{child.ns}}}{child.name} not in namespace {g.uris[a]}")
                        children.append(child)
                    elif ev == CH_ANY:
                        text = read_string()
                        value = text if value is None else str(value) + text
                        texts = [*(texts or ()), (len(children), text)]
                    elif ev == AT_ANY:
                        t = any_attribute(attrs, False)
                        if t >= 0:
                            s = t
                            continue
                    else:
                        raise fail(f"unexpected event {ev}")
                    s = nxt
                    continue
                st = states[s]
                prods = st.prods
                if code > len(prods):
                    raise fail(f"event code {code} out of range ({len(prods)} productions)", p - w)
                # escape to the second level (exi.md §7.1)
                events = st.second_level()
                start = pos
                c2 = read(bits_for(len(events)))
                if c2 >= len(events):
                    raise fail(f"second-level event code {c2} out of range", start)
                ev2 = events[c2]
                if ev2 == "EE":
                    break
                if ev2 == "xsi:type":
                    tq = qname()
                    attrs[(XSI_NS, "type")] = tq
                    s = type_state(tq)
                elif ev2 == "xsi:nil":
                    nil = read(1) == 1
                    attrs[(XSI_NS, "nil")] = nil
                    if nil:
                        s = g.type_empty(s)
                elif ev2 == "AT(*)":
                    t = any_attribute(attrs, False)
                    if t >= 0:
                        s = t
                elif ev2 == "AT-untyped":
                    ats = [pr for pr in prods if pr[0] == AT]
                    k = read(bits_for(len(ats) + 1))
                    if k < len(ats):
                        attrs[qnames[ats[k][1]]] = read_string()
                        s = ats[k][3]
                    elif k == len(ats):
                        any_attribute(attrs, True)
                    else:
                        raise fail(f"third-level event code {k} out of range")
                elif ev2 == "SE(*)":
                    children.append(any_element(depth + 1))
                    if st.kind == FST or st.kind == ST:
                        s = st.content2
                else:  # CH[untyped]
                    text = read_string()
                    value = text if value is None else str(value) + text
                    texts = [*(texts or ()), (len(children), text)]
                    dtype = -1
                    if st.kind == FST or st.kind == ST:
                        s = st.content2
        except _Fail as exc:
            exc.names.append(qn[1])
            raise
        if texts and children:  # mixed content: keep where the text chunks were
            return Element(qn[0], qn[1], attrs, children, value, dtype, texts)
        return Element(qn[0], qn[1], attrs, children, value, dtype)

    if tracer is not None:
        # Positions (not on the plain path, which never gets here): every child goes through
        # ``element`` rather than the inline simple-child path, whose reads no wrapper sees, and
        # the readers that end events are wrapped.  Same bits read, same tree built.
        simple = [None] * len(simple)

        def here() -> int:
            return pos

        tracer.here = here
        element = tracer.element(element)
        any_element = tracer.any_element(any_element)
        read_value = tracer.value(read_value)
        read_string = tracer.ends_event(read_string)
        qname = tracer.ends_event(qname)

    # -- document / fragment -------------------------------------------------------------------
    def top_level() -> list[Element]:
        elements: list[Element] = []
        top = states[g.fragment if fragment else g.document]
        while True:
            code = read(top.width)
            if code >= len(top.prods):
                raise fail(f"event code {code} out of range ({len(top.prods)} productions)")
            ev, a, _b, _nxt = top.prods[code]
            if ev == SE:
                elements.append(element(qnames[a], _b, 1))
            elif ev == SE_ANY:
                elements.append(any_element(1))
            elif ev == ED:
                break
            if not fragment:
                break  # DocEnd has only ED (0 bits)
        if not elements:
            raise fail("fragment contains no element")
        rest = nbits - pos
        if rest and v & ((1 << rest) - 1):
            raise fail("trailing garbage: non-zero bits after the end of the document")
        return elements

    try:
        elements = top_level()
    except _Fail as exc:
        raise ExiError(exc.message, exc.bit, "/" + "/".join(reversed(exc.names))) from None
    message = ExiMessage(elements[0], g.name, fragment, elements)
    if violations:
        message.violations = tuple(FacetViolation("", x, facet, limit, bit) for bit, x, facet, limit in violations)
        if tracer is None:
            # rare: where each value is comes from one positioned decode of the same bits, which
            # fills in the paths (decode_positions), so the hot path tracks no element path
            return decode_positions(data, g, fragment).message
    return message
