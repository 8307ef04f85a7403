"""Small all-simple sequence types read at their call sites (compile.py's plain variant).

A type whose usual content is a short run of simple-typed children (ISO-2 PhysicalValueType:
Multiplier, Unit, Value; DC_EVStatusType: EVReady, EVErrorCode, EVRESSSOC) costs a call, a loop and
one read per child through its own function.  Its call sites read it in one shift instead: the
event codes (each state's code 0), every child's CH code, value and EE code and the type's EE code,
with integer children of one 7-bit group, but the last, which may have three.  Anything else in those bits
(another production, an escape, a longer integer, an enumeration index past the end, the stream's
end) goes to the type's own function from the same place, so what it decodes and reports, and
where, is unchanged; facet reports of the inline path name the same node, child and bit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from v2gsniff.dissectors.exi.grammar import D_BOOL, D_ENUM, D_INT, D_NBIT, D_UINT, EE, SE

if TYPE_CHECKING:
    from compile import Compiler


def offset(lo: int) -> str:
    return f" + {lo}" if lo >= 0 else f" - {-lo}"

MAX_CHILDREN = 6
MAX_BITS = 64  # one read; a wider one is still one shift, but the value stops being a small int
GROUPS = 3  # 7-bit groups of the last child if it is an integer (0..2097151: a short, a meter's Wh)


class Step:
    """One child of the run: its event code's width, where its bits start in the read, its datatype."""

    def __init__(self, width: int, at: int, qid: int, dt: tuple[Any, ...], dti: int) -> None:
        self.width, self.at, self.qid, self.dt, self.dti = width, at, qid, dt, dti


def run(c: Compiler, start: int) -> tuple[list[Step], int] | None:
    """The children of type grammar ``start`` along its code-0 productions and the bits of the read
    (None if that is not a short run of simple children then EE).  Each integer child but the last
    is read as one 7-bit group (a longer one is left to the function); the last may have two."""
    g = c.g
    found: list[tuple[int, int, tuple[Any, ...], int]] = []
    s = start
    while len(found) <= MAX_CHILDREN:
        st = g.states[s]
        if not st.prods:
            return None
        ev, a, b, nxt = st.prods[0]
        if ev == EE:
            break
        sim = g.simple[b] if ev == SE else None
        if sim is None or sim[0] not in (D_NBIT, D_ENUM, D_BOOL, D_UINT, D_INT):
            return None
        found.append((st.width, a, sim, g.states[b].prods[0][1]))
        s = nxt
    else:
        return None
    if not found:
        return None
    steps = []
    at = 0
    for width, qid, dt, dti in found:
        steps.append(Step(width, at, qid, dt, dti))
        if dt[0] in (D_UINT, D_INT):  # code, CH code, sign, a group, EE code
            at += width + (1 if dt[0] == D_UINT else 2) + 8 + 1
        else:
            at += width + dt[1] + 2
    bits = at + g.states[s].width + (8 * GROUPS - 8 if found[-1][2][0] in (D_UINT, D_INT) else 0)  # last's groups
    return (steps, bits) if bits <= MAX_BITS else None


def field(bits: int, at: int, length: int) -> int:
    """The mask of ``length`` bits at ``at`` (from the first bit) of a ``bits``-bit read."""
    return ((1 << length) - 1) << (bits - at - length)


def padded(bits: int) -> str:
    """A read of ``bits`` bits at p where fewer are left: the rest of the stream, then ones.  A fast
    path tests bits for 0 up to its last one (an EE code), so one that would run past the end fails
    and its element is read the ordinary way, which reports the end where it always did."""
    return f"(((v & ((1 << (n - p)) - 1)) + 1) << (p + {bits} - n)) - 1  # the rest, then ones"


def emit(c: Compiler, d: int, qid: int, target: int, steps: list[Step], bits: int, fused: bool = False) -> None:
    """SE of an element of such a type: its node, then the run from one read, else its function.
    ``fused``: the block's read has the run's bits in the low ``bits`` of ``y`` already (or a bit of
    ``zeros`` set where it could not read them)."""
    ns, local = c.qname(qid)
    names = ", ".join(c.qname(st.qid)[1] for st in steps)
    zeros = 0  # codes, CH and EE codes: all 0 on the run
    tests = []
    last = steps[-1]
    integer = last.dt[0] in (D_UINT, D_INT)
    for st in steps if not integer else steps[:-1]:
        k = st.dt[1]
        if st.dt[0] in (D_UINT, D_INT):  # sign, one group (its continuation bit 0), the EE code
            k = (st.dt[0] == D_INT) + 8
            zeros |= field(bits, st.at + st.width + 1 + k - 8, 1)
        zeros |= field(bits, st.at, st.width + 1) | field(bits, st.at + st.width + k + 1, 1)
        if st.dt[0] == D_ENUM and (1 << k) > len(st.dt[2]):
            tests.append(f"(y >> {bits - st.at - st.width - 1 - k}) & {(1 << k) - 1} < {len(st.dt[2])}")
    if integer:
        zeros |= field(bits, last.at, last.width + 1)
    else:  # the type's EE code
        end = last.at + last.width + last.dt[1] + 2
        zeros |= field(bits, end, bits - end)
    if not fused:
        c.emit(d, f"if p + {bits} <= n:")
        c.emit(d + 1, f"y = (v >> (n - p - {bits})) & {(1 << bits) - 1}")
        c.emit(d, "else:")
        c.emit(d + 1, f"y = {padded(bits)}")
    cond = " and ".join([f"not y & {zeros}", *tests])
    where = "the block's read" if fused else "one read"
    c.emit(d, f"if {cond}:  # {names} and the EE code in {where}")
    body = d + 1
    if integer:
        sign = 1 if last.dt[0] == D_INT else 0
        first = last.at + last.width + 1 + sign  # the first 7-bit group
        tail = bits - first - 8 * GROUPS  # the EE codes after the value: the child's and the type's
        parts = []
        for i in range(GROUPS):
            parts.append(f"((y >> {bits - first - 8 * i - 8}) & 127)" + (f" << {7 * i}" if i else ""))
            what = f"{c.qname(last.qid)[1]}: one 7-bit group" if not i else f"{i + 1} groups"
            c.emit(d + 1, f"{'elif' if i else 'if'} not y & {1 << (bits - first - 8 * i - 1)}:  # {what}")
            if i:
                c.emit(d + 2, f"m = {' | '.join(parts)}")
            else:
                c.emit(d + 2, f"m = {parts[0][1:-1]}")
            end = first + 8 * i + 8
            c.emit(d + 2, f"z, q = y & {field(bits, end, tail)}, {end + tail}")
        c.emit(d + 1, "else:")
        c.emit(d + 2, "z = 1  # a longer integer")
        c.emit(d + 1, "if z:")
        c.child_call(d + 2, qid, target)
        c.emit(d + 1, "else:")
        body = d + 2
        if sign:
            c.emit(body, f"if y & {1 << (bits - first)}:")
            c.emit(body + 1, "m = -m - 1")
    kids = []
    checks = []
    for st in steps:
        cns, clocal = c.qname(st.qid)
        kind, k = st.dt[0], st.dt[1]
        shift = bits - st.at - st.width - 1 - k  # of the value's bits
        test = ""
        if st is last and integer:  # GROUPS 7-bit groups at most
            most = 1 << (7 * GROUPS)
            val, test = "m", c.facet_test("m", st.dti, span=(-most, most - 1) if kind == D_INT else (0, most - 1))
        elif kind in (D_UINT, D_INT):
            first = st.at + st.width + 1 + (kind == D_INT)
            val = f"((y >> {bits - first - 8}) & 127)"
            if kind == D_INT:
                val = f"(-{val} - 1 if y & {1 << (bits - first)} else {val})"
            test = c.facet_test(val, st.dti, span=(-128, 127) if kind == D_INT else (0, 127))
        else:
            raw = f"((y >> {shift}) & {(1 << k) - 1})" if shift else f"(y & {(1 << k) - 1})"
            if kind == D_NBIT:
                val = raw + offset(st.dt[2]) if st.dt[2] else raw
                test = c.facet_test(val, st.dti, raw)
            elif kind == D_ENUM:
                val = f"{c.enum_const(st.dti)}[{raw}]"
            else:
                val = f"y & {1 << shift} != 0"
        if test:  # the same report as the type's function: its node, the child, the value's first bit
            checks += [f"if {test}:", f"    x.facet({val}, {st.dti}, p + {st.at + st.width + 1}, nf, {clocal!r})"]
        kids.append(f"[{c.ns_const(cns)}, {clocal!r}, None, None, {val}, {kind}, None]")
    c.emit(body, f"nf = [{c.ns_const(ns)}, {local!r}, None, [")
    for i, kid in enumerate(kids):
        c.emit(body + 1, kid + "," if i < len(kids) - 1 else kid + "], None, -1, None]")
    for line in checks:
        c.emit(body, line)
    c.emit(body, "ch.append(nf)")
    c.emit(body, f"p += {'q' if integer else bits}")
    c.emit(d, "else:")
    c.child_call(d + 1, qid, target)
