"""Compile the committed grammar tables into straight-line Python encoders (dissectors/exi/encoders/).

    python tools/exigen/compile_encoder.py [--grammars DIR] [--out DIR] [SET ...]

One function per type grammar (``t<start state>(a, e, s, x) -> a``) writes element ``e``'s content
from state ``s`` on: its states are ``if s == K:`` blocks in state order inside one ``while True``
(a forward move falls through to the next block, so a sequence is one pass).  Each block takes the
next child, finds its production by comparing names (a bisection over the names when there are
many), and writes the event code with a constant shift and or.  Simple-typed children
(``<Value>12</Value>``) are written inline: SE code, CH code, value and EE code in one expression
for fixed-width values.  The output ``a`` is one Python int with a leading 1 bit (see encoder.py).

What no state declares (attributes, xsi:type/nil, wildcards, undeclared children and text, a value
that is not already of its datatype's Python type) goes to ``dissectors/exi/encoder.py``, which reads
the grammar tables as data and hands every declared state back to these functions.  Runs of
consecutive states that differ only by their state numbers (``maxOccurs`` unrolled) share one block.

Input is the grammar modules ``tools/exigen/generate.py`` wrote; the output is deterministic (a test
regenerates it byte for byte).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from typing import Any

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# the decoders' compiler (this folder) names kinds and datatypes in comments, and loads a grammar table
from compile import DT_NAMES, KIND_NAMES, entered_between, load_grammar  # noqa: E402

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
    SCHEMA_MODULES,
    SE,
    SE_ANY,
    SE_URI,
    Grammar,
)

LINEAR = 4  # up to this many names are compared one by one; more are bisected


def out_name(schema: str) -> str:
    return "_enc" + SCHEMA_MODULES[schema]


class Compiler:
    def __init__(self, g: Grammar) -> None:
        self.g = g
        self.lines: list[str] = []
        self.uri_names = {u: f"U{i}" for i, u in enumerate(g.uris)}
        self.enums: set[int] = set()
        self.merged = False  # the block being written covers several states
        self.starts = self._starts()
        self.groups = {s: self._reach(s) for s in self.starts}

    # -- structure ---------------------------------------------------------------------------------
    def _starts(self) -> list[int]:
        g = self.g
        starts = set(g.types.values()) | set(g.global_elements.values())
        for st in g.states:
            starts.update(b for ev, _a, b, _n in st.prods if ev == SE)
        return sorted(starts)

    def _reach(self, start: int) -> list[int]:
        seen = {start}
        todo = [start]
        while todo:
            st = self.g.states[todo.pop()]
            for t in [p[3] for p in st.prods] + [st.content2]:
                if t >= 0 and t not in seen:
                    seen.add(t)
                    todo.append(t)
        return sorted(seen)

    def _modes(self, lo: int, s: int, modes: tuple[str, ...] | None) -> tuple[str, ...] | None:
        """How state s repeats state lo: per production, its next state is the same ("abs") or as
        far from s as lo's is from lo ("rel"); None if s differs otherwise (or from ``modes``)."""
        a, b = self.g.states[lo], self.g.states[s]
        if a.kind != b.kind or len(a.prods) != len(b.prods):
            return None
        out = []
        for i, (p, q) in enumerate(zip(a.prods, b.prods, strict=True)):
            if p[:3] != q[:3]:
                return None
            rel, same = q[3] >= 0 and q[3] - s == p[3] - lo, q[3] == p[3]
            mode = "rel" if rel and (modes is None or modes[i] == "rel") else \
                "abs" if same and (modes is None or modes[i] == "abs") else None
            if mode is None:
                return None
            out.append(mode)
        return tuple(out)

    def _blocks(self, group: list[int]) -> list[tuple[int, int, tuple[str, ...], tuple[int, ...]]]:
        """Runs of consecutive states with the same productions, whose next states are either the
        same or at the same distance (``maxOccurs`` unrolled): (first, last, mode per production,
        other states).  A single state with the same productions as an earlier single state shares
        its block (the other states), as the decoders' compiler does (compile.py ``_blocks``)."""
        runs: list[tuple[int, int, tuple[str, ...]]] = []
        for s in group:
            if runs and runs[-1][1] == s - 1:
                lo, _hi, modes = runs[-1]
                joined = self._modes(lo, s, modes if s - 1 > lo else None)
                if joined is not None:
                    runs[-1] = (lo, s, joined)
                    continue
            runs.append((s, s, ("abs",) * len(self.g.states[s].prods)))
        blocks: list[tuple[int, int, tuple[str, ...], tuple[int, ...]]] = []
        first: dict[tuple[Any, ...], tuple[int, int]] = {}
        spans = [(lo, hi) for lo, hi, _m in runs]
        for i, (lo, hi, modes) in enumerate(runs):
            key = tuple(self.g.states[lo].prods)
            if lo == hi and key in first and not entered_between(self.g, spans, first[key][1], i, lo):
                j = first[key][0]
                blocks[j] = (*blocks[j][:3], (*blocks[j][3], lo))
                continue
            if lo == hi:
                first[key] = (len(blocks), i)
            blocks.append((lo, hi, modes, ()))
        return blocks

    # -- labels ------------------------------------------------------------------------------------
    def label(self, qid: int) -> str:
        ns, local = self.g.qnames[qid]
        return f"{{{ns}}}{local}" if ns else local

    def dt_label(self, dt: tuple[Any, ...]) -> str:
        kind = dt[0]
        if kind == D_NBIT:
            return f"n-bit {dt[2]}..{dt[3]}"
        if kind in (D_UINT, D_INT) and (dt[1] is not None or dt[2] is not None):
            return f"{DT_NAMES[kind]} {dt[1]}..{dt[2]}"
        if kind == D_ENUM:
            return f"enumeration of {len(dt[2])}"
        return DT_NAMES.get(kind, str(dt[1]))

    def type_label(self, start: int) -> str:
        g = self.g
        q = g.type_names.get(start)
        if q is not None:
            return f"type {{{q[0]}}}{q[1]}" if q[0] else f"type {q[1]}"
        users = sorted({self.label(a) for st in g.states for ev, a, b, _n in st.prods if ev == SE and b == start})
        shown = ", ".join(users[:3]) + (", ..." if len(users) > 3 else "")
        return f"anonymous type of {shown}" if users else "element fragment grammar"

    def target_label(self, target: int) -> str:
        sim = self.g.simple[target]
        q = self.g.type_names.get(target)
        name = q[1] if q is not None else "anonymous type"
        return f"{name if q is not None else 'simple type'}: {self.dt_label(sim)}" if sim is not None else name

    # -- emission ----------------------------------------------------------------------------------
    def emit(self, depth: int, text: str) -> None:
        self.lines.append("    " * depth + text)

    @staticmethod
    def code(a: str, width: int, code: int) -> str:
        """``a`` followed by an event code (an expression)."""
        if width == 0:
            return a
        return f"{a} << {width} | {code}" if code else f"{a} << {width}"

    def native(self, dt: tuple[Any, ...], dti: int) -> str:
        """The test that the value (bound to ``y`` here) already has dt's Python type and is in its
        range, so it is written as it is; any other value goes to the runtime's typed writers."""
        return self._native(dt, dti).replace("y.__class__", "(y := c.value).__class__", 1)

    def _native(self, dt: tuple[Any, ...], dti: int) -> str:
        kind = dt[0]
        if kind == D_NBIT:
            return f"y.__class__ is int and {dt[2]} <= y <= {dt[3]}"
        if kind == D_ENUM:
            self.enums.add(dti)
            return f"y.__class__ is str and (j := E{dti}.get(y)) is not None"
        if kind in (D_INT, D_UINT):
            lo, hi = dt[1], dt[2]
            if lo is not None and hi is not None:
                return f"y.__class__ is int and {lo} <= y <= {hi}"
            if lo is not None or hi is not None:
                return f"y.__class__ is int and y {'>=' if lo is not None else '<='} {lo if lo is not None else hi}"
            return "y.__class__ is int"
        if kind == D_BOOL:
            return "y.__class__ is bool"
        if kind == D_STRING:
            return "y.__class__ is str"
        if kind in (D_HEX, D_B64):
            return "y.__class__ is bytes"
        return "False"

    def write_value(self, d: int, pw: int, pc: int, dt: tuple[Any, ...], dti: int, child: str | None,
                    ee: bool) -> None:
        """``a << pw | pc`` (the event codes before the value), the native value ``y``, then an EE code
        0 of one bit when ``ee``: one expression for the fixed-width datatypes."""
        kind = dt[0]
        e = 1 if ee else 0
        if kind in (D_NBIT, D_ENUM, D_BOOL):
            k = dt[1]
            lo = dt[2] if kind == D_NBIT else 0
            val = {D_NBIT: "y" if not lo else f"(y - {lo})" if lo > 0 else f"(y + {-lo})", D_ENUM: "j",
                   D_BOOL: "y"}[kind]
            parts = [f"a << {pw + k + e}"]
            if pc:
                parts.append(str(pc << (k + e)))
            if k:
                parts.append(f"{val} << {e}" if e else val)
            self.emit(d, "a = " + " | ".join(parts))
            return
        head = self.code("a", pw, pc)
        tail = " << 1" if ee else ""
        if kind in (D_STRING, D_HEX, D_B64):
            checks = dt[1]  # compiled facet checks (grammar.compile_dtype)
            if checks:
                self.facets(d, checks, dti, child)
            self.emit(d, f"a = {'string' if kind == D_STRING else 'binary'}({head}, y){tail}")
        elif kind in (D_UINT, D_INT):
            # a value under 128 is one byte (after a 0 sign bit for integers): one shift and or
            k = 8 if kind == D_UINT else 9
            one = " | ".join([f"a << {pw + k}", *([str(pc << k)] if pc else []), "y"])
            self.emit(d, f"a = ({one}){tail} if 0 <= y < 128 else {'uint' if kind == D_UINT else 'sint'}"
                         f"({head}, y){tail}")

    def facets(self, d: int, checks: tuple[Any, ...], dti: int, child: str | None) -> None:
        """Length facets tested inline (the runtime says which broke); patterns always by the runtime."""
        tests = []
        for name, limit, _pattern in checks:
            if name == "length":
                tests.append(f"len(y) != {limit}")
            elif name == "minLength":
                tests.append(f"len(y) < {limit}")
            elif name == "maxLength":
                tests.append(f"len(y) > {limit}")
            else:
                tests = []
                break
        call = f"x.facets(y, {dti}, {child!r})"
        if tests:
            self.emit(d, f"if {' or '.join(tests)}:")
            self.emit(d + 1, call)
        else:
            self.emit(d, call)

    def call(self, head: str, target: int) -> str:
        return f"a = t{target}({head}, c, {target}, x)"

    def se(self, d: int, w: int, code: int, b: int, child: str) -> None:
        """Write SE(child) and the child: inline when simple-typed and its value native."""
        g = self.g
        sim = g.simple[b]
        head = self.code("a", w, code)
        if sim is None or sim[0] not in DT_NAMES:
            self.emit(d, self.call(head, b))
            return
        dti = g.states[b].prods[0][1]
        self.emit(d, f"if {self.native(sim, dti)} and not c.attrs and not c.children:")
        self.write_value(d + 1, w + 1, code << 1, sim, dti, child, True)
        self.emit(d, "else:")
        self.emit(d + 1, self.call(head, b))

    def names(self, d: int, s: int, prods: list[tuple[int, int]], leaf: Callable[[int, int], None],
              otherwise: str) -> None:
        """Dispatch on the child's local name ``nm``: ``prods`` = (code, qname id) of state s's SE
        productions, bisected by name down to a few compared one by one; ``leaf(depth, code)`` writes
        a match, ``otherwise`` is the line for no match."""
        g = self.g
        by_name: dict[str, list[tuple[int, int]]] = {}
        for code, qid in sorted(prods, key=lambda cq: (g.qnames[cq[1]][1], cq[0])):
            by_name.setdefault(g.qnames[qid][1], []).append((code, qid))
        keys = list(by_name)
        if len(keys) > LINEAR:
            mid = len(keys) // 2
            self.emit(d, f"if nm < {keys[mid]!r}:")
            self.names(d + 1, s, [p for k in keys[:mid] for p in by_name[k]], leaf, otherwise)
            self.emit(d, "else:")
            self.names(d + 1, s, [p for k in keys[mid:] for p in by_name[k]], leaf, otherwise)
            return
        first = True
        for key in keys:
            for code, qid in by_name[key]:
                b = g.states[s].prods[code][2]
                self.emit(d, f"{'if' if first else 'elif'} nm == {key!r} and c.ns == "
                             f"{self.uri_names[g.qnames[qid][0]]}:  # {self.target_label(b)}")
                first = False
                leaf(d + 1, code)
        self.emit(d, "else:")
        self.emit(d + 1, otherwise)

    def next_state(self, d: int, s: int, mode: str, nxt: int) -> None:
        """Move from the block's state (``s`` is its first) to the production's next state."""
        if mode == "rel" and nxt != s:
            self.emit(d, f"s += {nxt - s}")
        elif mode == "abs" and (nxt != s or self.merged):
            self.emit(d, f"s = {nxt}")

    def block(self, d: int, lo: int, hi: int, modes: tuple[str, ...], shared: tuple[int, ...]) -> None:
        g = self.g
        st = g.states[lo]
        self.merged = hi > lo or bool(shared)
        if hi > lo:
            cond = f"{lo} <= s <= {hi}"
        elif len(shared) > 1:
            cond = f"s in {(lo, *shared)}"
        else:
            cond = " or ".join(f"s == {k}" for k in (lo, *shared))
        kinds = dict.fromkeys(KIND_NAMES.get(g.states[k].kind, "?") for k in (lo, *shared))
        self.emit(d, f"if {cond}:  # {', '.join(kinds)}: {', '.join(self.event_label(p) for p in st.prods)}")
        w = st.width
        ses = [(code, p[1]) for code, p in enumerate(st.prods) if p[0] == SE]
        chs = [code for code, p in enumerate(st.prods) if p[0] == CH]
        ees = [code for code, p in enumerate(st.prods) if p[0] == EE]
        self.emit(d + 1, "if i == k:")
        self.emit(d + 2, f"return {self.code('a', w, ees[0])}  # EE" if ees else "return x.end(a, s)")
        self.emit(d + 1, "nm = (c := ch[i]).name" if ses else "c = ch[i]")
        self.emit(d + 1, "i += 1")
        dd = d + 1
        if chs:
            code = chs[0]
            _ev, dti, _b, nxt = st.prods[code]
            dt = g.dtypes[dti]
            self.emit(dd, f"if c.__class__ is Chars:  # CH: {self.dt_label(dt)}")
            self.emit(dd + 1, f"if {self.native(dt, dti)}:")
            self.write_value(dd + 2, w, code, dt, dti, None, False)
            self.next_state(dd + 2, lo, modes[code], nxt)
            self.emit(dd + 1, "else:")
            self.emit(dd + 2, "a, s = x.characters(a, s, c.value)")
            self.emit(dd, "else:")
            dd += 1
        if ses:
            def child(depth: int, code: int) -> None:
                _ev, qid, b, nxt = st.prods[code]
                self.se(depth, w, code, b, g.qnames[qid][1])
                self.next_state(depth, lo, modes[code], nxt)

            self.names(dd, lo, ses, child, "a, s = x.escape(a, s, c)")
        else:
            self.emit(dd, "a, s = x.escape(a, s, c)")

    def event_label(self, prod: tuple[int, Any, Any, int]) -> str:
        ev, a, _b, _n = prod
        if ev == SE:
            return f"SE({self.g.qnames[a][1]})"
        if ev == AT:
            return f"AT({self.g.qnames[a][1]})"
        return {EE: "EE", CH: "CH", SE_ANY: "SE(*)", SE_URI: "SE(uri:*)", CH_ANY: "CH[untyped]", AT_ANY: "AT(*)"}[ev]

    def function(self, start: int) -> None:
        group = self.groups[start]
        self.emit(0, "")
        self.emit(0, "")
        self.emit(0, f"def t{start}(a: int, e: Element, s: int, x: Enc) -> int:")
        self.emit(1, f'"""{self.type_label(start)}: states {", ".join(self.ranges(group))}."""')
        self.emit(1, "ch: list[Any] = e.children")
        self.emit(1, "if e.attrs or e.value is not None or e.texts:")
        self.emit(2, "a, s, ch = x.head(a, e, s)")
        self.emit(2, "if s < 0:")
        self.emit(3, "return a")
        self.emit(1, "i = 0")
        self.emit(1, "k = len(ch)")
        self.emit(1, "try:")
        self.emit(2, "while True:")
        for lo, hi, modes, shared in self._blocks(group):
            self.block(3, lo, hi, modes, shared)
        self.emit(3, f"if s < {group[0]} or s > {group[-1]}:")
        self.emit(4, "raise Fail(f'state {s} is outside this grammar', a)")
        self.emit(1, "except Fail as f:")
        self.emit(2, "f.names.append(e.name)")
        self.emit(2, "raise")

    @staticmethod
    def ranges(group: list[int]) -> list[str]:
        out: list[list[int]] = []
        for s in group:
            if out and out[-1][1] == s - 1:
                out[-1][1] = s
            else:
                out.append([s, s])
        return [f"{a}" if a == b else f"{a}-{b}" for a, b in out]

    def top(self, fname: str, s: int) -> None:
        """The root element(s) in DocContent / FragmentContent (the caller writes ED)."""
        g = self.g
        st = g.states[s]
        self.emit(0, "")
        self.emit(0, "")
        self.emit(0, f"def {fname}(a: int, e: Element, x: Enc) -> int:")
        self.emit(1, f'"""{"DocContent" if fname == "document" else "FragmentContent"}: state {s}."""')
        self.emit(1, "c = e")
        self.emit(1, "nm = e.name")
        ses = [(code, p[1]) for code, p in enumerate(st.prods) if p[0] == SE]

        def root(depth: int, code: int) -> None:  # never inline: a document is not a leaf
            self.emit(depth, self.call(self.code("a", st.width, code), st.prods[code][2]))

        self.names(1, s, ses, root, f"a = x.root(a, {s}, e)")
        self.emit(1, "return a")

    def module(self) -> str:
        g = self.g
        for start in self.starts:
            self.function(start)
        self.top("document", g.document)
        self.top("fragment", g.fragment)
        frag = g.states[g.fragment]
        ed = next(code for code, p in enumerate(frag.prods) if p[0] == ED)
        head = [
            f"# Generated by tools/exigen/compile_encoder.py from grammars/{SCHEMA_MODULES[g.name]}.py -- do not edit.",
            "# One function per type grammar: t<start state>(a, element, state, ctx) -> a.  See encoder.py.",
            "# fmt: off",
            "# ruff: noqa",
            "from __future__ import annotations",
            "",
            "from typing import TYPE_CHECKING, Any",
            "",
            "from ..encoder import Chars, Enc, Fail, binary, sint, string, uint",
            "",
            "if TYPE_CHECKING:",
            "    from ..model import Element",
            "",
        ]
        head += [f"{name} = {u!r}" for u, name in self.uri_names.items()]
        for dti in sorted(self.enums):
            head.append(f"E{dti} = {dict((v, i) for i, v in enumerate(g.dtypes[dti][2]))!r}")
        tail = ["", "", "FUNCTIONS: dict[int, Any] = {", *(f"    {s}: t{s}," for s in self.starts), "}",
                f"ED = ({frag.width}, {ed})  # FragmentContent: width and code of ED",
                f"STATES = {len(g.states)}  # states compiled here (the runtime adds TypeEmpty states past them)"]
        return "\n".join(head + self.lines + tail) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--grammars", default=os.path.join(REPO, "dissectors", "exi", "grammars"))
    ap.add_argument("--out", default=os.path.join(REPO, "dissectors", "exi", "encoders"))
    ap.add_argument("sets", nargs="*", default=list(SCHEMA_MODULES))
    args = ap.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    for name in args.sets:
        text = Compiler(load_grammar(name, args.grammars)).module()
        path = os.path.join(args.out, out_name(name) + ".py")
        with open(path, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        print(f"{name}: {path} ({len(text)} bytes, {text.count(chr(10))} lines)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
