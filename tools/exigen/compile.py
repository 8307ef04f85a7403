"""Compile the committed grammar tables into straight-line Python decoders (dissectors/exi/compiled/).

    python tools/exigen/compile.py [--grammars DIR] [--out DIR] [SET ...]

One function per type grammar (``t<start state>``): its states are ``if s == K:`` blocks in state
order inside one ``while True`` (a forward move falls through to the next block, so a sequence is
one pass), each block reads its event code with one shift and branches on it with a balanced
``if`` tree.  Simple-typed children (``<Value>12</Value>``) are read inline: SE code, CH code, value
and EE code, with one peek for fixed-width values, and small all-simple types (PhysicalValueType)
at their call sites, fused with the event code's read where they can be (inline.py; not in the
positions variant).  Escape codes and wildcards go to
``dissectors/exi/runtime.py``, which reads the grammar tables as data and hands every declared state
back to these functions.  Runs of consecutive states that differ only by their state numbers
(``maxOccurs`` unrolled, e.g. 1024 PMaxScheduleEntry) share one block (``if A <= s <= B:``), and
so do states with the same productions (``if s == A or s == B:``) where that costs no turn of the
loop.

Input is the grammar modules ``tools/exigen/generate.py`` wrote, so the decoders decode exactly
those grammars.  The output is deterministic (a test regenerates it byte for byte).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
from typing import Any

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import inline  # noqa: E402
from inline import VAR, offset  # noqa: E402

from v2gsniff.dissectors.exi.grammar import (  # noqa: E402
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
    SCHEMA_MODULES,
    SE,
    SE_ANY,
    SE_URI,
    ST,
    Grammar,
)

TRACED_SUFFIX = "_positions"
KIND_NAMES = {FST: "FirstStartTag", ST: "StartTag", 2: "ElementContent"}
DT_NAMES = {D_STRING: "string", D_UINT: "unsigned", D_INT: "integer", D_NBIT: "n-bit", D_BOOL: "boolean",
            D_ENUM: "enumeration", D_HEX: "hexBinary", D_B64: "base64Binary"}


def entered_between(g: Grammar, runs: list[tuple[int, int]], a: int, b: int, target: int) -> bool:
    """Whether a run of states between runs a and b moves to ``target``: its block falls through to
    target's own place, so moving target's code up to run a's block would cost a turn of the loop."""
    return any(nxt == target for lo, hi in runs[a + 1:b] for s in range(lo, hi + 1)
               for _ev, _x, _y, nxt in g.states[s].prods)


def load_grammar(name: str, grammars: str) -> Grammar:
    module = SCHEMA_MODULES[name]
    spec = importlib.util.spec_from_file_location(module, os.path.join(grammars, module + ".py"))
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return Grammar(name, mod)


class Compiler:
    def __init__(self, g: Grammar, traced: bool = False) -> None:
        self.g = g
        self.traced = traced  # the positions variant: no inlined children, every span noted
        self.lines: list[str] = []
        self.uri_names = {u: f"U{i}" for i, u in enumerate(g.uris)}
        self.enums: dict[int, str] = {}
        self.patterns: dict[int, str] = {}
        self.qconsts: dict[int, str] = {}
        self.state = ""  # the current block's state number as the code has it: "s", or a constant
        self.fast: dict[int, tuple[int, str]] = {}  # the current block's fused productions (``fused``)
        self.starts = self._starts()
        self.groups = {s: self._reach(s) for s in self.starts}

    # -- structure -------------------------------------------------------------------------------
    def _starts(self) -> list[int]:
        g = self.g
        starts = set(g.types.values()) | set(g.global_elements.values())
        for st in g.states:
            for ev, _a, b, _n in st.prods:
                if ev == SE:
                    starts.add(b)
        return sorted(starts)

    def _reach(self, start: int) -> list[int]:
        seen = {start}
        todo = [start]
        while todo:
            st = self.g.states[todo.pop()]
            nxt = [p[3] for p in st.prods] + [st.content2]
            for t in nxt:
                if t >= 0 and t not in seen:
                    seen.add(t)
                    todo.append(t)
        return sorted(seen)

    def _signature(self, s: int) -> tuple[Any, ...]:
        st = self.g.states[s]
        return (st.kind, st.content2 - s if st.content2 >= 0 else None,
                tuple((ev, a, b, nxt - s if nxt >= 0 else None) for ev, a, b, nxt in st.prods))

    def _blocks(self, group: list[int]) -> list[tuple[int, ...]]:
        """Runs of consecutive states with the same productions relative to their own number
        (``(lo, hi)``), then single states with the same productions as an earlier single state (the
        same content reached first and again later, e.g. ISO-2 CurrentDemandReq's states 18 and 240,
        both ``SE(DC_EVStatus)``): those share its block (``(s, s, other, ...)``), which reads the
        state it runs for from ``s``."""
        runs: list[tuple[int, int]] = []
        for s in group:
            if runs and runs[-1][1] == s - 1 and self._signature(s) == self._signature(runs[-1][0]):
                runs[-1] = (runs[-1][0], s)
            else:
                runs.append((s, s))
        blocks: list[tuple[int, ...]] = []
        first: dict[tuple[Any, ...], tuple[int, int]] = {}  # productions (absolute) -> (block, run) having them
        for i, (lo, hi) in enumerate(runs):
            key = tuple(self.g.states[lo].prods)
            if lo == hi and key in first and not entered_between(self.g, runs, first[key][1], i, lo):
                blocks[first[key][0]] += (lo,)
                continue
            if lo == hi:
                first[key] = (len(blocks), i)
            blocks.append((lo, hi))
        return blocks

    # -- names -----------------------------------------------------------------------------------
    def qname(self, qid: int) -> tuple[str, str]:
        return self.g.qnames[qid]

    def ns_const(self, ns: str) -> str:
        return self.uri_names[ns] if ns in self.uri_names else repr(ns)

    def qconst(self, qid: int) -> str:
        if qid not in self.qconsts:
            self.qconsts[qid] = f"Q{qid}"
        return self.qconsts[qid]

    def pattern_const(self, dti: int) -> str:
        if dti not in self.patterns:
            self.patterns[dti] = f"P{dti}"
        return self.patterns[dti]

    def enum_const(self, dti: int) -> str:
        if dti not in self.enums:
            self.enums[dti] = f"E{dti}"
        return self.enums[dti]

    def label(self, qid: int) -> str:
        ns, local = self.qname(qid)
        return f"{{{ns}}}{local}" if ns else local

    def dt_label(self, dt: tuple[Any, ...]) -> str:
        facets = "".join(f" {c[0]} {c[1]}" for c in self.checks(dt) or ())
        return self.kind_label(dt) + facets

    def kind_label(self, dt: tuple[Any, ...]) -> str:
        kind = dt[0]
        if kind == D_NBIT:
            return f"n-bit {dt[2]}..{dt[3]} ({dt[1]} bits)"
        if kind in (D_UINT, D_INT):
            rng = "" if dt[1] is None and dt[2] is None else f" {dt[1]}..{dt[2]}"
            return DT_NAMES[kind] + rng
        if kind == D_ENUM:
            return f"enumeration of {len(dt[2])} ({dt[1]} bits)"
        return DT_NAMES.get(kind, str(dt[1]))

    def type_label(self, start: int) -> str:
        g = self.g
        q = g.type_names.get(start)
        if q is not None:
            return f"type {{{q[0]}}}{q[1]}" if q[0] else f"type {q[1]}"
        users = sorted({self.label(a) for st in g.states for ev, a, b, _n in st.prods if ev == SE and b == start})
        shown = ", ".join(users[:3]) + (", ..." if len(users) > 3 else "")
        return f"anonymous type of {shown}" if users else "element fragment grammar"

    # -- emission --------------------------------------------------------------------------------
    def emit(self, depth: int, text: str) -> None:
        self.lines.append("    " * depth + text)

    def value(self, d: int, dti: int, dst: str, name: str | None) -> None:
        """Read a value of datatype dti at p into dst and advance p (facet checks report through x)."""
        dt = self.g.dtypes[dti]
        kind = dt[0]
        nm = f", {name!r}" if name else ""
        test = self.facet_test(dst, dti)
        if kind == D_NBIT:
            k, lo = dt[1], dt[2]
            read = f"(v >> (n - p - {k})) & {(1 << k) - 1}"
            self.emit(d, (f"{dst} = ({read}){offset(lo)}" if lo else f"{dst} = {read}") if k else f"{dst} = {lo}")
            if test:
                self.emit(d, f"if {test}:")
                self.emit(d + 1, f"x.facet({dst}, {dti}, p, e{nm})")
            if k:
                self.emit(d, f"p += {k}")
        elif kind == D_ENUM:
            k, count = dt[1], len(dt[2])
            self.emit(d, f"y = (v >> (n - p - {k})) & {(1 << k) - 1}" if k else "y = 0")
            if (1 << k) > count:
                self.emit(d, f"if y >= {count}:")
                self.emit(d + 1, f"x.enum(y, {count}, p{nm})")
            self.emit(d, f"{dst} = {self.enum_const(dti)}[y]")
            if k:
                self.emit(d, f"p += {k}")
        elif kind == D_BOOL:
            self.emit(d, f"{dst} = (v >> (n - p - 1)) & 1 == 1")
            self.emit(d, "p += 1")
        elif kind in (D_UINT, D_INT, D_STRING, D_HEX, D_B64):
            reader = {D_UINT: "uint", D_INT: "sint", D_STRING: "string"}.get(kind, "binary")
            if test:
                self.emit(d, "q0 = p")
            self.emit(d, f"{dst}, p = {reader}(v, n, p)")
            if test:
                self.emit(d, f"if {test}:")
                self.emit(d + 1, f"x.facet({dst}, {dti}, q0, e{nm})")
        else:
            self.emit(d, f"raise Fail('datatype {dt[1]} is not supported', p)")

    def facet_test(self, var: str, dti: int, raw: str | None = None, span: tuple[int, int] | None = None) -> str:
        """The condition under which the value in ``var`` may break a facet of datatype ``dti`` ('' if
        it never can).  It only decides whether to ask: what breaks is judged by runtime's ``Ctx.facet``
        with facets.py, the code the encoder checks with.  ``raw``: an n-bit value before its offset;
        ``span``: the least and greatest integer ``var`` can hold there (bounds it keeps go untested)."""
        dt = self.g.dtypes[dti]
        kind = dt[0]
        lo, hi = span if span is not None else (None, None)
        tests = []
        if kind == D_NBIT:
            k, lo, hi = dt[1], dt[2], dt[3]
            if (1 << k) > hi - lo + 1:
                tests.append(f"{raw} > {hi - lo}" if raw is not None else f"{var} > {hi}")
        elif kind in (D_UINT, D_INT):
            bounds = self.range_test(var, None if lo is not None and dt[1] is not None and dt[1] <= lo else dt[1],
                                     None if hi is not None and dt[2] is not None and dt[2] >= hi else dt[2], kind)
            if bounds:
                tests.append(bounds)
        number = kind in (D_NBIT, D_UINT, D_INT)
        item = f"({var})" if " " in var else var
        for facet, limit, pattern in self.checks(dt) or ():
            if facet == "length":
                tests.append(f"len({var}) != {limit}")
            elif facet == "minLength":
                tests.append(f"len({var}) < {limit}")
            elif facet == "maxLength":
                tests.append(f"len({var}) > {limit}")
            elif facet == "totalDigits" and number and not (lo is not None and hi is not None
                                                             and -10 ** limit < lo and hi < 10 ** limit):
                tests.append(f"not {-10 ** limit} < {item} < {10 ** limit}")
            elif facet == "pattern" and kind == D_STRING and pattern is not None:
                tests.append(f"{self.pattern_const(dti)}.fullmatch({var}) is None")
        return " or ".join(tests)

    @staticmethod
    def checks(dt: tuple[Any, ...]) -> Any:
        """The compiled facet checks of a datatype tuple (grammar.compile_dtype puts them last)."""
        kind = dt[0]
        if kind == D_NBIT:
            return dt[4]
        if kind in (D_UINT, D_INT):
            return dt[3]
        if kind in (D_STRING, D_HEX, D_B64):
            return dt[1]
        return None

    @staticmethod
    def range_test(dst: str, lo: int | None, hi: int | None, kind: int) -> str:
        tests = []
        if lo is not None and not (kind == D_UINT and lo == 0):
            tests.append(f"{dst} < {lo}")
        if hi is not None:
            tests.append(f"{dst} > {hi}")
        return " or ".join(tests)

    def child_call(self, d: int, qid: int, target: int) -> None:
        ns, local = self.qname(qid)
        self.emit(d, f"nd = [{self.ns_const(ns)}, {local!r}, None, None, None, -1, None]")
        self.emit(d, "ch.append(nd)")
        self.emit(d, f"p = t{target}(v, n, p, nd, {target}, x)")
        if self.traced:
            self.emit(d, "x.span(nd, b0, p)")

    def production(self, d: int, s: int, merged: bool, prod: tuple[int, Any, Any, int],
                   fast: tuple[int, str] | None = None) -> None:
        """One production's code, p past its event code; ``fast``: its child is in ``y`` too (``fused``)."""
        ev, a, b, nxt = prod
        g = self.g
        cur = self.state
        if ev == SE:
            sim = g.simple[b]
            self.emit(d, f"# SE({self.label(a)})" + (f": {self.dt_label(sim)}" if sim is not None else ""))
            if sim is not None and sim[0] in DT_NAMES and not self.traced:
                inline.simple_child(self, d, a, b, sim, g.states[b].prods[0][1], fast[0] if fast else None)
            elif not self.traced and (inlined := inline.run(self, b)):
                inline.emit(self, d, a, b, *inlined, fast is not None)
            else:
                self.child_call(d, a, b)
        elif ev == EE:
            self.emit(d, "return p  # EE")
            return
        elif ev == CH:
            dt = g.dtypes[a]
            self.emit(d, f"# CH: {self.dt_label(dt)}")
            if self.traced:
                self.emit(d, "v0 = p")
            self.value(d, a, "e[4]", None)
            self.emit(d, f"e[5] = {dt[0]}")
            if self.traced:
                self.emit(d, "x.span(e, v0, p, True)")
        elif ev == AT:
            self.emit(d, f"# AT({self.label(a)}): {self.dt_label(g.dtypes[b])}")
            var = VAR[g.dtypes[b][0]]
            self.value(d, b, var, None)
            self.emit(d, f"attrs(e)[{self.qconst(a)}] = {var}")
        elif ev in (SE_ANY, SE_URI, CH_ANY, AT_ANY):
            what = {SE_ANY: "SE(*)", SE_URI: "SE(uri:*)", CH_ANY: "CH[untyped]", AT_ANY: "AT(*)"}[ev]
            if self.traced:
                self.emit(d, "x.mark = b0")
            self.emit(d, f"p, s = x.wild(v, n, p, e, {cur}, c)  # {what}")
            self.emit(d, "if s < 0:")
            self.emit(d + 1, "return p")
            return
        else:
            raise AssertionError(f"unexpected event {ev} in state {s}")
        if nxt == s:
            return
        self.emit(d, f"s += {nxt - s}" if merged else f"s = {nxt}")

    def dispatch(self, d: int, s: int, merged: bool, codes: list[int], last: bool = True) -> None:
        """Balanced if-tree over event codes; the escape and invalid codes end up in the last else."""
        prods = self.g.states[s].prods
        if len(codes) <= 3:
            for i, code in enumerate(codes):
                if not last and i == len(codes) - 1:
                    if i:
                        self.emit(d, "else:")
                        self.production(d + 1, s, merged, prods[code], self.fast.get(code))
                    else:
                        self.production(d, s, merged, prods[code], self.fast.get(code))
                    return
                self.emit(d, f"{'if' if i == 0 else 'elif'} c == {code}:")
                self.production(d + 1, s, merged, prods[code], self.fast.get(code))
            cur = self.state
            if codes:
                self.emit(d, "else:")
                d += 1
            if self.traced:
                self.emit(d, "x.mark = b0")
            self.emit(d, f"p, s = x.escape(v, n, p, e, {cur}, c)")
            self.emit(d, "if s < 0:")
            self.emit(d + 1, "return p")
            return
        mid = len(codes) // 2
        self.emit(d, f"if c < {codes[mid]}:")
        self.dispatch(d + 1, s, merged, codes[:mid], False)
        self.emit(d, "else:")
        self.dispatch(d + 1, s, merged, codes[mid:], last)

    def block(self, d: int, lo: int, hi: int, *shared: int) -> None:
        st = self.g.states[lo]
        merged = hi > lo
        if merged:
            cond = f"{lo} <= s <= {hi}"
        elif len(shared) > 1:
            cond = f"s in {(lo, *shared)}"
        else:
            cond = " or ".join(f"s == {k}" for k in (lo, *shared))
        self.state = "s" if merged or shared else str(lo)
        events = ", ".join(self.event_label(p) for p in st.prods)
        kinds = dict.fromkeys(KIND_NAMES.get(self.g.states[k].kind, "?") for k in (lo, *shared))
        self.emit(d, f"if {cond}:  # {', '.join(kinds)}: {events}")
        w = st.width
        if self.traced:
            self.emit(d + 1, "b0 = p")
        run = None if self.traced or merged else inline.chain(self, lo)
        if run:  # required children one after another: one read for all, else the block as it is
            inline.emit_chain(self, d + 1, *run)
            self.emit(d + 1, "else:")
            d += 1
        self.fast = inline.fused(self, lo)
        if self.fast:
            bits, what = next(iter(self.fast.values()))
            wide = w + bits
            names = ", ".join(self.qname(st.prods[code][1])[1] for code in self.fast)
            self.emit(d + 1, f"if p + {wide} <= n:  # the event code and {names} in one read")
            self.emit(d + 2, f"c = (y := (v >> (n - p - {wide})) & {(1 << wide) - 1}) >> {bits}")
            self.emit(d + 1, "else:")
            self.emit(d + 2, f"c = (v >> (n - p - {w})) & {(1 << w) - 1}")
            if what == "integer":  # (its longer values are read from the stream: it needs all of its bits)
                self.emit(d + 2, f"y = {(1 << (bits - 1))}  # a CH code that is not 0: the child's own read")
            else:
                self.emit(d + 2, f"y = {inline.padded(wide)}")
        else:
            self.emit(d + 1, f"c = (v >> (n - p - {w})) & {(1 << w) - 1}")
        self.emit(d + 1, f"p += {w}")
        self.dispatch(d + 1, lo, merged, list(range(len(st.prods))))

    def event_label(self, prod: tuple[int, Any, Any, int]) -> str:
        ev, a, _b, _n = prod
        if ev == SE:
            return f"SE({self.qname(a)[1]})"
        if ev == AT:
            return f"AT({self.qname(a)[1]})"
        return {EE: "EE", CH: "CH", SE_ANY: "SE(*)", SE_URI: "SE(uri:*)", CH_ANY: "CH[untyped]",
                AT_ANY: "AT(*)"}[ev]

    def function(self, start: int) -> None:
        group = self.groups[start]
        g = self.g
        has_se = any(p[0] == SE for s in group for p in g.states[s].prods)
        self.emit(0, "")
        self.emit(0, "")
        self.emit(0, f"def t{start}(v: int, n: int, p: int, e: Node, s: int, x: Ctx) -> int:")
        self.emit(1, f'"""{self.type_label(start)}: states {", ".join(self.ranges(group))}."""')
        if has_se:
            self.emit(1, "ch = e[3]")
            self.emit(1, "if ch is None:")
            self.emit(2, "ch = e[3] = []")
        self.emit(1, "try:")
        self.emit(2, "while True:")
        for block in self._blocks(group):
            self.block(3, *block)
        self.emit(3, f"if s < {group[0]} or s > {group[-1]}:")
        self.emit(4, "raise Fail(f'state {s} is outside this grammar', p)")
        self.emit(1, "except Fail as f:")
        self.emit(2, "f.names.append(e[1])")
        self.emit(2, "raise")
        self.emit(1, "except ValueError:")
        self.emit(2, "raise early(p, e[1]) from None")

    @staticmethod
    def ranges(group: list[int]) -> list[str]:
        out: list[list[int]] = []
        for s in group:
            if out and out[-1][1] == s - 1:
                out[-1][1] = s
            else:
                out.append([s, s])
        return [f"{a}" if a == b else f"{a}-{b}" for a, b in out]

    def top(self, s: int) -> str:
        st = self.g.states[s]
        items = []
        for ev, a, b, _n in st.prods:
            if ev == SE:
                ns, local = self.qname(a)
                items.append(f"({self.ns_const(ns)}, {local!r}, {b})")
            else:
                items.append({SE_ANY: "'SE(*)'", ED: "'ED'"}[ev])
        return f"({st.width}, ({', '.join(items)},))"

    def module(self) -> str:
        g = self.g
        for start in self.starts:
            self.function(start)
        body = self.lines
        head = [
            f"# Generated by tools/exigen/compile.py from grammars/{SCHEMA_MODULES[g.name]}.py -- do not edit.",
            "# One function per type grammar: t<start state>(v, n, p, node, state, ctx) -> p.  See runtime.py.",
            *(["# Positions variant (decode_with_positions): children are not inlined and every element's",
               "# bits are noted with x.span; otherwise the same code as the plain module."] if self.traced else []),
            "# fmt: off",
            "# ruff: noqa",
            "from __future__ import annotations",
            "",
            *(["import re", ""] if self.patterns else []),
            "from ..runtime import Ctx, Fail, Node, Top, TypeFn, _attrs as attrs, binary, early, sint, string, uint",
            "",
        ]
        head += [f"{name} = {u!r}" for u, name in self.uri_names.items()]
        for dti, name in sorted(self.enums.items()):
            head.append(f"{name} = {g.dtypes[dti][2]!r}")
        for dti, name in sorted(self.patterns.items()):
            pattern = next(c[1] for c in self.checks(g.dtypes[dti]) if c[0] == "pattern")
            head.append(f"{name} = re.compile({pattern!r})")
        for qid, name in sorted(self.qconsts.items()):
            ns, local = g.qnames[qid]
            head.append(f"{name} = ({self.ns_const(ns)}, {local!r})")
        tail = ["", "", "FUNCTIONS: dict[int, TypeFn] = {", *(f"    {s}: t{s}," for s in self.starts), "}"]
        tail += ["# DocContent and FragmentContent: (width, productions by event code), for runtime.decode_nodes",
                 f"DOCUMENT: Top = {self.top(g.document)}", f"FRAGMENT: Top = {self.top(g.fragment)}"]
        return "\n".join(head + body + tail) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--grammars", default=os.path.join(REPO, "dissectors", "exi", "grammars"))
    ap.add_argument("--out", default=os.path.join(REPO, "dissectors", "exi", "compiled"))
    ap.add_argument("sets", nargs="*", default=list(SCHEMA_MODULES))
    args = ap.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    for name in args.sets:
        g = load_grammar(name, args.grammars)
        for traced, suffix in ((False, ""), (True, TRACED_SUFFIX)):
            text = Compiler(g, traced).module()
            path = os.path.join(args.out, SCHEMA_MODULES[name] + suffix + ".py")
            with open(path, "w", encoding="utf-8", newline="\n") as fh:
                fh.write(text)
            print(f"{name}: {path} ({len(text)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
