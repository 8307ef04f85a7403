"""EXI stream encoder: element tree -> bytes with the V2G options (exi.md §1).

Walks the same grammar states as the decoder.  Elements without character content (``value is
None``) that the grammar cannot end with a declared EE are closed with the second-level EE, as
EXIficient does; an empty string/bytes value is written as a zero-length CH (OpenV2G's form).
Values may be typed (as decoded) or XML text (as parsed by ``from_xml``).

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
from typing import Any

from .bitstream import BitWriter
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
    ED,
    EE,
    FST,
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


class _Encoder:
    def __init__(self, g: Grammar, lenient: bool = False, validate: bool = False) -> None:
        self.g = g
        self.lenient = lenient
        self.validate = validate
        self.w = BitWriter()
        self.path: list[str] = []
        self.uris: list[str] | None = None
        self.names: list[list[str]] = []
        self.learned: set[tuple[str, str]] = set()

    def fail(self, msg: str, child: str | None = None) -> ExiError:
        return ExiError(msg, self.w.nbits, "/" + "/".join(self.path if child is None else [*self.path, child]))

    def refuse(self, st: State, what: str, child: str | None = None) -> None:
        """When validating, content the schema does not declare here is an error (see module docstring)."""
        if self.validate:
            raise self.fail(f"{what} is not declared here; the schema expects {self.g.expected(st, child)}", child)

    # -- values --------------------------------------------------------------------------------
    def try_value(self, dt: tuple[Any, ...], value: Any) -> BitWriter | None:
        """The typed encoding of value in a scratch writer, or None if value is invalid for dt."""
        main = self.w
        self.w = BitWriter()
        try:
            self.value(dt, value)
            return self.w
        except FacetError:
            raise
        except ExiError:
            return None
        finally:
            self.w, scratch = main, self.w
            del scratch

    def append(self, bits: BitWriter) -> None:
        self.w.write(bits.acc, bits.nbits)

    def facets(self, x: Any, checks: Any, bounds: tuple[Any, Any] | None = None,
               representable: bool = True) -> None:
        """Refuse ``x`` if it breaks a facet, unless lenient and the datatype's bits can carry it."""
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
            # no bit position: values are first written to a scratch writer
            raise FacetError(f"value {x!r} violates {facet} {limit!r} (encode leniently to keep it)",
                             None, "/" + "/".join(self.path))
        if not representable:
            raise self.fail(f"value {x} cannot be carried by this datatype's bits")

    def value(self, dt: tuple[Any, ...], value: Any) -> None:
        kind = dt[0]
        w = self.w
        try:
            if kind in (D_NBIT, D_UINT, D_INT):
                x = value if isinstance(value, int) and not isinstance(value, bool) else int(str(value).strip())
                if kind == D_NBIT:
                    if not dt[2] <= x <= dt[3] or dt[4]:
                        self.facets(x, dt[4], (dt[2], dt[3]), 0 <= x - dt[2] < 1 << dt[1])
                    w.write(x - dt[2], dt[1])
                    return
                if (dt[1] is not None and x < dt[1]) or (dt[2] is not None and x > dt[2]) or dt[3]:
                    self.facets(x, dt[3], (dt[1], dt[2]), kind == D_INT or x >= 0)
                if kind == D_UINT:
                    w.write_uint(x)
                elif x < 0:
                    w.write(1, 1)
                    w.write_uint(-x - 1)
                else:
                    w.write(0, 1)
                    w.write_uint(x)
            elif kind == D_BOOL:
                b = value if isinstance(value, bool) else _TRUE[str(value).strip()]
                w.write(1 if b else 0, 1)
            elif kind == D_ENUM:
                index = dt[3].get(value if type(value) is str else str(value).strip())
                if index is None:
                    raise self.fail(f"{value!r} is not one of the enumeration values")
                w.write(index, dt[1])
            elif kind == D_STRING:
                text = str(value)
                if dt[1]:
                    self.facets(text, dt[1])
                w.write_uint(len(text) + 2)
                w.write_chars(text)
            elif kind == D_HEX or kind == D_B64:
                if isinstance(value, (bytes, bytearray)):
                    data = bytes(value)
                elif kind == D_HEX:
                    data = bytes.fromhex("".join(str(value).split()))
                else:
                    data = base64.b64decode("".join(str(value).split()), validate=True)
                if dt[1]:
                    self.facets(data, dt[1])
                w.write_uint(len(data))
                w.write_bytes(data)
            else:
                raise self.fail(f"datatype {dt[1]} is not supported")
        except (ValueError, KeyError, TypeError, binascii.Error) as exc:
            if isinstance(exc, ExiError):
                raise
            raise self.fail(f"invalid value {value!r}: {exc}") from None

    def reason(self, m: dict[Any, int], st: State, value: Any) -> str:
        """Why ``value`` is not one of the CH production's type (its encoding's own error)."""
        main, self.w = self.w, BitWriter()
        try:
            self.value(self.g.dtypes[st.prods[m[CH]][1]], value)
        except ExiError as err:
            return err.reason
        finally:
            self.w = main
        return "not of this type"

    def string(self, text: Any) -> None:
        text = "" if text is None else str(text)
        self.w.write_uint(len(text) + 2)
        self.w.write_chars(text)

    # -- qnames through the string tables (undeclared content, exi.md §7.4) --------------------
    def qname(self, uri: str, local: str) -> None:
        if self.uris is None:
            self.uris = list(self.g.uris)
            self.names = [list(p) for p in self.g.local_names]
        uris, w = self.uris, self.w
        width = bits_for(len(uris) + 1)
        if uri in uris:
            i = uris.index(uri)
            w.write(i + 1, width)
        else:
            w.write(0, width)
            w.write_uint(len(uri))
            w.write_chars(uri)
            uris.append(uri)
            self.names.append([])
            i = len(uris) - 1
        part = self.names[i]
        if local in part:
            w.write_uint(0)
            w.write(part.index(local), bits_for(len(part)))
        else:
            w.write_uint(len(local) + 1)
            w.write_chars(local)
            part.append(local)

    # -- events --------------------------------------------------------------------------------
    def code(self, st: State, code: int) -> None:
        self.w.write(code, st.width)

    def second(self, st: State, event: str) -> None:
        events = st.second_level()
        if event not in events:
            raise self.fail(f"{event} is not possible here")
        self.w.write(len(st.prods), st.width)
        self.w.write(events.index(event), bits_for(len(events)))

    def element(self, e: Element, s: int) -> None:
        g = self.g
        states = g.states
        simple = g.simple
        self.path.append(e.name)
        if e.attrs:
            s = self.attributes(e, s)
        texts = e.texts
        if texts is None and e.value is not None:
            s = self.characters(s, e.value)
        w = self.w
        for index, child in enumerate(e.children):
            if texts:
                for k, text in texts:
                    if k == index:
                        s = self.characters(s, text)
            st = states[s]
            m = st.encode_map or g.encode_map(st)
            qid = g.qname_ids.get((child.ns, child.name))
            code = m.get(("S", qid)) if qid is not None else None
            if code is not None:
                target = st.prods[code][2]
                sim = simple[target]
                cv = child.value
                if sim is not None and cv is not None and not child.attrs and not child.children \
                        and _native_ok(sim, cv):
                    # simple-typed child: SE code, CH code 0, value, EE code 0 in as few writes as possible
                    kind = sim[0]
                    if kind == D_NBIT or kind == D_ENUM or kind == D_BOOL:
                        x = cv - sim[2] if kind == D_NBIT else sim[3][cv] if kind == D_ENUM else int(cv)
                        nb = sim[1]
                        w.write((((code << 1) << nb) | x) << 1, st.width + nb + 2)
                    else:
                        w.write(code << 1, st.width + 1)
                        try:
                            self.value(sim, cv)
                        except FacetError as err:  # this inline child has no path entry of its own
                            raise FacetError(err.reason, None, f"{err.path}/{child.name}") from None
                        w.write(0, 1)
                else:
                    w.write(code, st.width)
                    self.element(child, target)
                s = st.prods[code][3]
            elif SE_ANY in m:
                self.code(st, m[SE_ANY])
                self.any_element(child)
                s = st.prods[m[SE_ANY]][3]
            else:  # undeclared here: second-level SE(*)
                self.refuse(st, f"element {child.name}" + (f" ({{{child.ns}}})" if child.ns else ""), child.name)
                self.second(st, "SE(*)")
                self.any_element(child)
                if st.kind == FST or st.kind == ST:
                    s = st.content2
        if texts:
            for k, text in texts:
                if k >= len(e.children):
                    s = self.characters(s, text)
        st = states[s]
        m = st.encode_map or g.encode_map(st)
        if EE in m:
            w.write(m[EE], st.width)
        else:
            self.second(st, "EE")
        self.path.pop()

    def attributes(self, e: Element, s: int) -> int:
        g = self.g
        states = g.states
        attrs = dict(e.attrs)
        xsi_type = attrs.pop((XSI_NS, "type"), None)
        nil = attrs.pop((XSI_NS, "nil"), None)
        if xsi_type is not None:
            tq = _type_qname(xsi_type)
            if tq not in g.types:
                raise self.fail(f"xsi:type {tq} is not a type of schema {g.name}")
            self.second(states[s], "xsi:type")
            self.qname(*tq)
            s = g.types[tq]
        if nil is not None:
            if nil is True or nil is False or str(nil).strip() in _TRUE:
                flag = nil if isinstance(nil, bool) else _TRUE[str(nil).strip()]
                self.second(states[s], "xsi:nil")
                self.w.write(1 if flag else 0, 1)
                if flag:
                    s = g.type_empty(s)
            else:  # not a Boolean: AT(*)[untyped] (exi.md §7.2 b)
                if self.validate:
                    raise self.fail(f"xsi:nil {nil!r} is not a boolean")
                self.second(states[s], "AT-untyped")
                self.w.write(states[s].n_at, bits_for(states[s].n_at + 1))
                self.qname(XSI_NS, "nil")
                self.string(nil)
        for (ans, alocal), value in sorted(attrs.items(), key=lambda kv: (kv[0][1], kv[0][0])):
            s = self.attribute(s, ans, alocal, value)
        return s

    def attribute(self, s: int, ans: str, alocal: str, value: Any) -> int:
        g = self.g
        st = g.states[s]
        m = g.encode_map(st)
        qid = g.qname_ids.get((ans, alocal))
        code = m.get(("A", qid)) if qid is not None else None
        if code is not None:
            _ev, _a, dt, nxt = st.prods[code]
            bits = self.try_value(g.dtypes[dt], value)
            if bits is not None:
                self.code(st, code)
                self.append(bits)
            else:  # schema-invalid value: AT(qname)[untyped], part 3 = its index among the ATs
                if self.validate:
                    raise self.fail(f"attribute {alocal}: {value!r} is not a valid value")
                self.second(st, "AT-untyped")
                ats = [p for p in st.prods if p[0] == AT]
                self.w.write(ats.index(st.prods[code]), bits_for(len(ats) + 1))
                self.string(value)
            return nxt
        gdt = g.global_attributes.get(qid) if qid is not None else None
        bits = self.try_value(g.dtypes[gdt], value) if gdt is not None else None
        if AT_ANY in m or gdt is None or bits is not None:
            if AT_ANY in m:
                self.code(st, m[AT_ANY])
            else:
                self.refuse(st, f"attribute {alocal}")
                self.second(st, "AT(*)")
            self.qname(ans, alocal)
            if bits is not None:
                self.append(bits)
            else:
                self.string(value)
        else:  # global attribute with an invalid value: AT(*)[untyped]
            self.refuse(st, f"attribute {alocal} = {value!r}")
            self.second(st, "AT-untyped")
            self.w.write(st.n_at, bits_for(st.n_at + 1))
            self.qname(ans, alocal)
            self.string(value)
        return s

    def characters(self, s: int, value: Any) -> int:
        g = self.g
        st = g.states[s]
        m = g.encode_map(st)
        if CH in m:
            code = m[CH]
            dt = g.dtypes[st.prods[code][1]]
            if _native_ok(dt, value):  # typed value as decoded: no scratch writer needed
                self.w.write(code, st.width)
                self.value(dt, value)
                return int(st.prods[code][3])
            bits = self.try_value(dt, value)
            if bits is not None:
                self.code(st, code)
                self.append(bits)
                return int(st.prods[code][3])
        elif CH_ANY in m:
            self.code(st, m[CH_ANY])
            self.string(value)
            return int(st.prods[m[CH_ANY]][3])
        if self.validate:
            if CH in m:
                raise self.fail(f"{value!r} is not a valid value here ({self.reason(m, st, value)})")
            self.refuse(st, f"text {value!r}")
        self.second(st, "CH")  # CH[untyped]
        self.string(value)
        return st.content2 if st.kind == FST or st.kind == ST else s

    def any_element(self, e: Element) -> None:
        g = self.g
        self.qname(e.ns, e.name)
        qid = g.qname_ids.get((e.ns, e.name))
        if qid is not None and qid in g.global_elements:
            self.element(e, g.global_elements[qid])
            return
        # built-in grammar under the profile: AT(*) xsi:type first (exi.md §7.4 items 3-4)
        q = (e.ns, e.name)
        if q in self.learned:
            self.w.write(1, 1)
        self.w.write(1, 2)
        self.qname(XSI_NS, "type")
        tq = _type_qname(e.attrs.get((XSI_NS, "type"), (XS_NS, "anyType")))
        if tq not in g.types:
            raise self.fail(f"xsi:type {tq} is not a type of schema {g.name}")
        self.qname(*tq)
        self.learned.add(q)
        rest = {k: v for k, v in e.attrs.items() if k != (XSI_NS, "type")}
        self.element(Element(e.ns, e.name, rest, e.children, e.value, e.dtype, e.texts), g.types[tq])


def _native_ok(dt: tuple[Any, ...], value: Any) -> bool:
    """True if value already has dt's Python type and is in range (the decoded-tree fast path)."""
    kind = dt[0]
    t = type(value)
    if kind == D_NBIT:
        return t is int and dt[2] <= value <= dt[3]
    if kind == D_ENUM:
        return t is str and value in dt[3]
    if kind == D_INT or kind == D_UINT:
        return t is int and (dt[1] is None or value >= dt[1]) and (dt[2] is None or value <= dt[2])
    if kind == D_BOOL:
        return t is bool
    if kind == D_STRING:
        return t is str
    if kind == D_HEX or kind == D_B64:
        return t is bytes
    return False


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
    enc = _Encoder(g, lenient, validate)
    enc.w.write(0x80, 8)
    top = g.states[g.fragment if msg.fragment else g.document]
    m = g.encode_map(top)
    for e in msg.elements if msg.fragment else [msg.root]:
        qid = g.qname_ids.get((e.ns, e.name))
        code = m.get(("S", qid)) if qid is not None else None
        if code is not None:
            enc.code(top, code)
            enc.element(e, top.prods[code][2])
        elif SE_ANY in m and not validate:
            enc.code(top, m[SE_ANY])
            enc.any_element(e)
        else:
            raise ExiError(f"{{{e.ns}}}{e.name} cannot be a root element of schema {g.name}")
    if msg.fragment:
        enc.code(top, m[ED])
    return enc.w.getvalue()


