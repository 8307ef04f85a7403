"""Turn a ``Schema`` into numbered EXI grammar states (development tool, not shipped).

Construction follows EXI 1.0 §8.5.4: each type gets a proto-grammar (attribute uses sorted by
local-name then URI, then the content particle), built here as an NFA with epsilon moves and then
normalised by subset construction (identical events are merged, as §8.5.4.2 requires).  Event codes
are assigned in the order AT(qname) sorted, AT(*), SE(qname) in schema order, SE(uri:*), SE(*), EE,
CH.  States are split by the kind of event that enters them (start tag vs element content), the way
EXIficient numbers them, because the second-level productions differ per kind (exi.md §7.1).
"""

from __future__ import annotations

from collections.abc import Iterable

from xsd import UNBOUNDED, XS, ElemDecl, Particle, QName, Schema, TypeInfo

# state kinds (also used by the runtime)
FST, ST, EC, DOC, DOCEND, FRAG = 0, 1, 2, 3, 4, 5
# event kinds (also used by the runtime)
SE, SE_ANY, SE_URI, EE, CH, CH_ANY, AT, AT_ANY, ED = 0, 1, 2, 3, 4, 5, 6, 7, 8

Label = tuple[object, ...]


class _NFA:
    def __init__(self) -> None:
        self.edges: list[list[tuple[Label | None, int]]] = []
        self.counter = 0

    def new(self) -> int:
        self.edges.append([])
        return len(self.edges) - 1

    def add(self, src: int, label: Label | None, dst: int) -> None:
        self.edges[src].append((label, dst))

    def order(self) -> int:
        self.counter += 1
        return self.counter

    def closure(self, states: Iterable[int]) -> frozenset[int]:
        seen = set(states)
        todo = list(seen)
        while todo:
            s = todo.pop()
            for label, dst in self.edges[s]:
                if label is None and dst not in seen:
                    seen.add(dst)
                    todo.append(dst)
        return frozenset(seen)


class GrammarBuilder:
    """Collects every grammar state of one schema set into one numbered table."""

    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self.states: list[tuple[int, list[tuple[int, object, object, int]]]] = []
        self.content2: dict[int, int] = {}
        self.type_start: dict[object, int] = {}
        self.dtypes: list[tuple[object, ...]] = []
        self.qnames: list[QName] = []
        self._pending: list[tuple[TypeInfo, int]] = []

    # -- tables --------------------------------------------------------------------------------
    def dtype_id(self, dtype: tuple[object, ...]) -> int:
        if dtype not in self.dtypes:
            self.dtypes.append(dtype)
        return self.dtypes.index(dtype)

    def qname_id(self, qname: QName) -> int:
        if qname not in self.qnames:
            self.qnames.append(qname)
        return self.qnames.index(qname)

    def grammar_of(self, info: TypeInfo) -> int:
        """Start state of a type grammar (built on first use, breadth first)."""
        if info.key not in self.type_start:
            self.states.append((FST, []))
            self.type_start[info.key] = len(self.states) - 1
            self._pending.append((info, len(self.states) - 1))
        return self.type_start[info.key]

    def element_grammar(self, decl: ElemDecl) -> int:
        return self.grammar_of(self.schema.element_type(decl))

    def finish(self) -> None:
        while self._pending:
            info, start = self._pending.pop(0)
            self._build(info, start)

    # -- construction --------------------------------------------------------------------------
    def _build(self, info: TypeInfo, start: int) -> None:
        nfa = _NFA()
        s0 = nfa.new()
        cur = s0
        if info.content == "anyType":
            self._build_ur(start)
            return
        for qname, dtype, required in info.attrs:
            nxt = nfa.new()
            nfa.add(cur, ("AT", qname, dtype), nxt)
            if not required:
                nfa.add(cur, None, nxt)
            cur = nxt
        content_start = cur
        final = nfa.new()
        first_content = len(nfa.edges)
        if info.content == "simple":
            assert info.dtype is not None
            mid = nfa.new()
            nfa.add(cur, ("CH", info.dtype), mid)
            nfa.add(mid, None, final)
        elif info.content == "complex" and info.particle is not None:
            ps, pe = self._particle(nfa, info.particle)
            nfa.add(cur, None, ps)
            nfa.add(pe, None, final)
        else:
            nfa.add(cur, None, final)
        if info.mixed:
            for s in [content_start, *range(first_content, len(nfa.edges))]:
                nfa.add(s, ("CHU",), s)
        self._determinise(nfa, s0, content_start, final, start)

    def _particle(self, nfa: _NFA, p: Particle) -> tuple[int, int]:
        start = nfa.new()
        cur = start
        lo, hi = p.min, p.max
        for _ in range(lo):
            ts, te = self._term(nfa, p)
            nfa.add(cur, None, ts)
            cur = te
        end = nfa.new()
        if hi == UNBOUNDED:
            ts, te = self._term(nfa, p)
            loop = nfa.new()
            nfa.add(cur, None, loop)
            nfa.add(loop, None, ts)
            nfa.add(te, None, loop)
            nfa.add(loop, None, end)
        else:
            for _ in range(hi - lo):
                ts, te = self._term(nfa, p)
                nfa.add(cur, None, ts)
                nfa.add(cur, None, end)
                cur = te
            nfa.add(cur, None, end)
        return start, end

    def _term(self, nfa: _NFA, p: Particle) -> tuple[int, int]:
        s, e = nfa.new(), nfa.new()
        if p.kind == "elem":
            assert p.decl is not None
            for member in self.schema.substitutes(p.decl):
                nfa.add(s, ("SE", member.qname, nfa.order(), member), e)
        elif p.kind == "any":
            if p.namespace in ("##any", "##other"):
                nfa.add(s, ("SE*", nfa.order()), e)
            else:
                for uri in sorted(p.namespace.split()):
                    nfa.add(s, ("SEU", uri, nfa.order()), e)
        elif p.kind == "seq":
            cur = s
            for child in p.children:
                cs, ce = self._particle(nfa, child)
                nfa.add(cur, None, cs)
                cur = ce
            nfa.add(cur, None, e)
        else:  # choice
            if not p.children:
                nfa.add(s, None, e)
            for child in p.children:
                cs, ce = self._particle(nfa, child)
                nfa.add(s, None, cs)
                nfa.add(ce, None, e)
        return s, e

    def _determinise(self, nfa: _NFA, s0: int, content_start: int, final: int, start: int) -> None:
        # (frozenset of NFA states, kind) -> output state number
        numbers: dict[tuple[frozenset[int], int], int] = {}
        first = nfa.closure([s0])
        numbers[(first, FST)] = start
        todo: list[tuple[frozenset[int], int]] = [(first, FST)]
        content = nfa.closure([content_start])
        c2_key = (content, EC)
        while todo:
            key = todo.pop(0)
            members, kind = key
            groups: dict[object, tuple[Label, set[int]]] = {}
            for s in sorted(members):
                for label, dst in nfa.edges[s]:
                    if label is None:
                        continue
                    ident = label[:2] if label[0] in ("AT", "SE", "CH", "SEU") else label[:1]
                    if ident in groups:
                        old, dsts = groups[ident]
                        dsts.add(dst)
                        if label[0] == "SE" and label[2] < old[2]:  # type: ignore[operator]
                            groups[ident] = (label, dsts)
                    else:
                        groups[ident] = (label, {dst})
            prods: list[tuple[tuple[object, ...], tuple[int, object, object, int]]] = []
            for label, dsts in groups.values():
                tkind = ST if label[0] == "AT" and kind in (FST, ST) else EC
                tkey = (nfa.closure(dsts), tkind)
                if tkey not in numbers:
                    self.states.append((tkind, []))
                    numbers[tkey] = len(self.states) - 1
                    todo.append(tkey)
                nxt = numbers[tkey]
                prods.append(self._production(label, nxt))
            if final in members:
                prods.append(((6,), (EE, None, None, -1)))
            prods.sort(key=lambda p: p[0])
            self.states[numbers[key]] = (kind, [p[1] for p in prods])
            if kind in (FST, ST):
                if c2_key not in numbers:
                    self.states.append((EC, []))
                    numbers[c2_key] = len(self.states) - 1
                    todo.append(c2_key)
                self.content2[numbers[key]] = numbers[c2_key]

    def _production(self, label: Label, nxt: int) -> tuple[tuple[object, ...], tuple[int, object, object, int]]:
        tag = label[0]
        if tag == "AT":
            qname = label[1]
            assert isinstance(qname, tuple)
            return (0, qname[1], qname[0]), (AT, self.qname_id(qname), self.dtype_id(label[2]), nxt)  # type: ignore[arg-type]
        if tag == "SE":
            decl = label[3]
            assert isinstance(decl, ElemDecl)
            return (3, label[2]), (SE, self.qname_id(decl.qname), self.element_grammar(decl), nxt)
        if tag == "SEU":
            return (4, label[2]), (SE_URI, label[1], None, nxt)
        if tag == "SE*":
            return (5,), (SE_ANY, None, None, nxt)
        if tag == "CH":
            return (7,), (CH, self.dtype_id(label[1]), None, nxt)  # type: ignore[arg-type]
        return (7,), (CH_ANY, None, None, nxt)

    def _build_ur(self, start: int) -> None:
        """anyType (ur-type) grammar under the V2G profile: exi.md §7.4 item 3."""
        self.states.append((EC, []))
        content = len(self.states) - 1
        self.states[content] = (EC, [(SE_ANY, None, None, content), (EE, None, None, -1),
                                     (CH_ANY, None, None, content)])
        self.states[start] = (FST, [(AT_ANY, None, None, start), (SE_ANY, None, None, content),
                                    (EE, None, None, -1), (CH_ANY, None, None, content)])
        self.content2[start] = content

    # -- document and fragment -----------------------------------------------------------------
    def document(self) -> tuple[int, int]:
        schema = self.schema
        globals_ = sorted(schema.elements.values(), key=lambda d: (d.qname[1], d.qname[0]))
        self.states.append((DOCEND, [(ED, None, None, -1)]))
        end = len(self.states) - 1
        prods: list[tuple[int, object, object, int]] = [
            (SE, self.qname_id(d.qname), self.element_grammar(d), end) for d in globals_
        ]
        prods.append((SE_ANY, None, None, end))
        self.states.append((DOC, prods))
        doc = len(self.states) - 1
        return doc, end

    def fragment(self) -> int:
        """FragmentContent: every declared element qname (global and local), sorted, then SE(*), ED.

        A qname declared with different types gets the relaxed element fragment grammar, built the
        way EXIficient builds it: every attribute qname of the schema, every fragment element, SE(*),
        EE, CH[untyped] (exi.md §1)."""
        by_name: dict[QName, list[ElemDecl]] = {}
        for decl in self.schema.all_decls:
            by_name.setdefault(decl.qname, []).append(decl)
        self.states.append((FRAG, []))
        frag = len(self.states) - 1
        se: list[tuple[int, object, object, int]] = []
        relaxed: list[int] = []
        for qname in sorted(by_name, key=lambda q: (q[1], q[0])):
            decls = by_name[qname]
            if len({self.schema.element_type(d).key for d in decls}) > 1:
                self.states.append((FST, []))
                target = len(self.states) - 1
                relaxed.append(target)
            else:
                target = self.element_grammar(decls[0])
            se.append((SE, self.qname_id(qname), target, frag))
        self.states[frag] = (FRAG, [*se, (SE_ANY, None, None, frag), (ED, None, None, -1)])
        if relaxed:
            attrs: dict[QName, tuple[object, ...]] = {}
            for info in list(self.schema.types()):
                for q, dt, _req in info.attrs:
                    attrs.setdefault(q, dt)
            self.states.append((EC, []))
            s1 = len(self.states) - 1
            tail: list[tuple[int, object, object, int]] = [(SE_ANY, None, None, s1), (EE, None, None, -1),
                                                           (CH_ANY, None, None, s1)]
            inner = [(p[0], p[1], p[2], s1) for p in se]
            self.states[s1] = (EC, [*inner, *tail])
            for s0 in relaxed:
                at = [(AT, self.qname_id(q), self.dtype_id(attrs[q]), s0)
                      for q in sorted(attrs, key=lambda q: (q[1], q[0]))]
                self.states[s0] = (FST, [*at, (AT_ANY, None, None, s0), *inner, *tail])
                self.content2[s0] = s1
        return frag

    def named_types(self) -> dict[QName, int]:
        out: dict[QName, int] = {}
        names = list(self.schema.ctypes) + list(self.schema.stypes)
        for local in ("anyType", "string", "hexBinary", "base64Binary", "boolean", "int", "integer", "long",
                      "short", "byte", "unsignedByte", "unsignedShort", "unsignedInt", "unsignedLong",
                      "anyURI", "ID"):
            names.append((XS, local))
        for qname in sorted(names, key=lambda q: (q[0], q[1])):
            out[qname] = self.grammar_of(self.schema.named_type(qname))
        return out
