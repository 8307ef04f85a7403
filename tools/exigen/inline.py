"""Children read in their parent's function (compile.py's plain variant; the positions variant
reads every element through its own function, and is what tests/dissectors/exi/test_fused.py holds
this code to).

* Simple-typed children (``simple_child``): CH code, value and EE code inline.
* Fused reads (``fused``): a block reads its event code together with the bits of the child after
  it, one shift for both; the code comes from the same read, so the block's other productions pay
  only the length guard.
* Runs (``run``/``emit``): a small all-simple sequence type (ISO-2 PhysicalValueType: Multiplier,
  Unit, Value; DC_EVStatusType: EVReady, EVErrorCode, EVRESSSOC) read at its call site in one
  shift: the event codes along its code-0 productions, every child's CH code, value and EE code
  and the type's EE code, integers of one 7-bit group but the last, which may have three.

Whatever a fast path cannot take (another production, an escape, a longer integer, an enumeration
index past the end, the stream's end) is read the ordinary way from the same bit, so values,
facet reports (node, child, bit) and errors are those of the ordinary code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from v2gsniff.dissectors.exi.grammar import (
    D_B64,
    D_BOOL,
    D_ENUM,
    D_HEX,
    D_INT,
    D_NBIT,
    D_STRING,
    D_UINT,
    EE,
    SE,
)

if TYPE_CHECKING:
    from compile import Compiler


# local variable per value type, so that each keeps one type in a function (mypy checks the output)
VAR = {D_NBIT: "y", D_BOOL: "y", D_UINT: "y", D_INT: "y", D_ENUM: "t", D_STRING: "t", D_HEX: "b", D_B64: "b"}


MAX_CHILDREN = 6  # of a run
MAX_BITS = 64  # one read; a wider one is still one shift, but the value stops being a small int
GROUPS = 3  # 7-bit groups of a run's last child if it is an integer (0..2097151: a short, a meter's Wh)


def offset(lo: int) -> str:
    """`` + lo`` / `` - |lo|`` for the code (an n-bit value is stored minus its lower bound)."""
    return f" + {lo}" if lo >= 0 else f" - {-lo}"


def fusable(c: Compiler, prod: tuple[int, Any, Any, int]) -> tuple[int, str] | None:
    """(bits, what) a block can read together with the event code of ``prod``: an inline child's
    CH code, value and EE code ("fixed": n-bit, enumeration, boolean; "integer": with its sign and
    two 7-bit groups), or a run of children of a type read at its call site ("run", ``run``);
    None if nothing."""
    ev, _a, b, _n = prod
    if ev != SE or c.traced:
        return None
    sim = c.g.simple[b]
    if sim is None:
        found = run(c, b)
        return (found[1], "run") if found else None
    if sim[0] in (D_NBIT, D_ENUM, D_BOOL):
        return sim[1] + 2, "fixed"
    if sim[0] in (D_UINT, D_INT):
        return (18 if sim[0] == D_UINT else 19), "integer"
    return None


def fused(c: Compiler, s: int) -> dict[int, tuple[int, str]]:
    """The productions of state s whose children the block reads with the event code: the one of code
    0 (the usual next element of a sequence) and those of the same width; none if code 0 cannot be
    (a choice, an optional element seldom there: the wider read would mostly go unused)."""
    found = {code: f for code, prod in enumerate(c.g.states[s].prods) if (f := fusable(c, prod))}
    if 0 not in found:
        return {}
    return {code: f for code, f in found.items() if f == found[0]}


def simple_child(c: Compiler, d: int, qid: int, target: int, dt: tuple[Any, ...], dti: int,
                 fast: int | None = None) -> None:
    """SE of a simple-typed element: CH code 0, the value and EE code 0 read inline; anything else
    (an escape where CH or EE was expected) goes through the element's own function.  ``fast``:
    the block's read (``fused``) holds the child's bits too, in the low ``fast`` bits of ``y``
    (CH code, value, EE code; an integer's first two 7-bit groups); where they are not all there
    (a CH code that is not 0, a longer integer) the child is read as without it."""
    ns, local = c.qname(qid)
    make = f"[{c.ns_const(ns)}, {local!r}, None, None, VALUE, {dt[0]}, None]"
    kind = dt[0]
    if kind in (D_NBIT, D_ENUM, D_BOOL):
        k = dt[1]
        width = k + 2
        esc = (1 << (width - 1)) | 1
        guard = f"p + {width} <= n and " if width > 4 else ""
        peek = f"{guard}not (y := (v >> (n - p - {width})) & {(1 << width) - 1}) & {esc}"
        if fast is None:
            c.emit(d, f"if {peek}:")
            c.emit(d + 1, "y >>= 1")
        else:  # the CH and EE codes of the block's read, else the child's own read
            c.emit(d, f"if not y & {(1 << (fast - 1)) | 1} or {f'({peek})' if guard else peek}:")
            c.emit(d + 1, f"y = (y >> 1) & {(1 << k) - 1}")
        fixed_value(c, d + 1, local, make, dt, dti)
        c.emit(d, "else:")
        c.child_call(d + 1, qid, target)
        return
    var = "m" if kind in (D_UINT, D_INT) else VAR[kind]
    ee = "(v >> (n - q - 1)) & 1"
    if kind in (D_UINT, D_INT):
        width = 9 if kind == D_UINT else 10
        esc = 1 << (width - 1)
        kw = "if"
        if fast is not None:
            kw = "elif"
            c.emit(d, f"if not y & {1 << (fast - 1)}:  # the CH code, value and EE code in the block's read")
            c.emit(d + 1, "if not y & 65536:  # one 7-bit group, the EE code right after it")
            c.emit(d + 2, f"m, q, z = (y >> 9) & 127, p + {width}, y & 256")
            c.emit(d + 1, "elif not y & 256:  # two groups, then the EE code")
            c.emit(d + 2, f"m, q, z = ((y >> 9) & 127) | ((y & 254) << 6), p + {width + 8}, y & 1")
            c.emit(d + 1, "else:")
            guarded(c, d + 2, f"m, q = uint(v, n, p + {width - 8})", local)
            c.emit(d + 2, f"z = {ee}")
            if kind == D_INT:
                c.emit(d + 1, "if y & 131072:")
                c.emit(d + 2, "m = -m - 1")
        c.emit(d, f"{kw} p + {width} <= n and not (y := (v >> (n - p - {width})) & {(1 << width) - 1}) & {esc}:")
        c.emit(d + 1, "if not y & 128:")
        c.emit(d + 2, f"m, q = y & 127, p + {width}")
        c.emit(d + 1, f"elif p + {width + 8} <= n and not (z := (v >> (n - p - {width + 8})) & 255) & 128:")
        c.emit(d + 2, f"m, q = (y & 127) | (z << 7), p + {width + 8}  # two 7-bit groups")
        c.emit(d + 1, "else:")
        guarded(c, d + 2, f"m, q = uint(v, n, p + {width - 8})", local)
        if kind == D_INT:
            c.emit(d + 1, "if y & 256:")
            c.emit(d + 2, "m = -m - 1")
        if fast is not None:  # one tail for both reads: z is the EE code's bit (0: the value ends here)
            c.emit(d + 1, f"z = {ee}")
            c.emit(d, "else:")
            c.emit(d + 1, "z = 1  # the element's own function reads it")
            c.emit(d, "if z:")
            c.child_call(d + 1, qid, target)
            c.emit(d, "else:")
            value_tail(c, d + 1, local, make, var, dti)
            return
    else:
        c.emit(d, "if not (v >> (n - p - 1)) & 1:")
        reader = "string" if kind == D_STRING else "binary"
        guarded(c, d + 1, f"{VAR[kind]}, q = {reader}(v, n, p + 1)", local)
    c.emit(d + 1, f"if {ee}:")
    c.child_call(d + 2, qid, target)
    c.emit(d + 1, "else:")
    value_tail(c, d + 2, local, make, var, dti)
    c.emit(d, "else:")
    c.child_call(d + 1, qid, target)


def value_tail(c: Compiler, d: int, local: str, make: str, var: str, dti: int) -> None:
    """An inline child's value in ``var`` ending at q, before its EE code: checks, node, p past it."""
    test = c.facet_test(var, dti)
    if test:  # after the EE code: an element that goes on is read again by its own function
        c.emit(d, f"if {test}:")
        c.emit(d + 1, f"x.facet({var}, {dti}, p + 1, e, {local!r})")
    c.emit(d, "ch.append(" + make.replace("VALUE", var) + ")")
    c.emit(d, "p = q + 1")


def fixed_value(c: Compiler, d: int, local: str, make: str, dt: tuple[Any, ...], dti: int) -> None:
    """The value of an inline n-bit / enumeration / boolean child, in ``y``; its checks, its node, p past
    its EE code (p is at its CH code)."""
    kind, k = dt[0], dt[1]
    if kind == D_NBIT:
        lo = dt[2]
        val = f"y{offset(lo)}" if lo else "y"
        test = c.facet_test(val, dti, "y")
        if test:
            c.emit(d, f"if {test}:")
            c.emit(d + 1, f"x.facet({val}, {dti}, p + 1, e, {local!r})")
    elif kind == D_ENUM:
        if (1 << k) > len(dt[2]):
            c.emit(d, f"if y >= {len(dt[2])}:")
            c.emit(d + 1, f"x.enum(y, {len(dt[2])}, p + 1, {local!r})")
        val = f"{c.enum_const(dti)}[y]"
    else:
        val = "y == 1"
    c.emit(d, "ch.append(" + make.replace("VALUE", val) + ")")
    c.emit(d, f"p += {k + 2}")


def guarded(c: Compiler, d: int, line: str, local: str) -> None:
    """A variable-length read of an inline child: failures name the child, as its own function would."""
    c.emit(d, "try:")
    c.emit(d + 1, line)
    c.emit(d, "except Fail as f:")
    c.emit(d + 1, f"f.names.append({local!r})")
    c.emit(d + 1, "raise")
    c.emit(d, "except ValueError:")
    c.emit(d + 1, f"raise early(p + 1, {local!r}) from None")


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


def fixed_bits(steps: list[Step], bits: int) -> tuple[int, list[str]]:
    """The bits of these steps that must be 0 (event codes, CH and EE codes, the continuation bit of a
    one-group integer) as a mask of the read, and the range tests of their enumerations."""
    zeros = 0
    tests = []
    for st in steps:
        k = st.dt[1]
        if st.dt[0] in (D_UINT, D_INT):  # sign, one group (its continuation bit 0), the EE code
            k = (st.dt[0] == D_INT) + 8
            zeros |= field(bits, st.at + st.width + 1 + k - 8, 1)
        zeros |= field(bits, st.at, st.width + 1) | field(bits, st.at + st.width + k + 1, 1)
        if st.dt[0] == D_ENUM and (1 << k) > len(st.dt[2]):
            tests.append(f"(y >> {bits - st.at - st.width - 1 - k}) & {(1 << k) - 1} < {len(st.dt[2])}")
    return zeros, tests


def values(c: Compiler, steps: list[Step], bits: int, node: str, integer: bool) -> tuple[list[str], list[str]]:
    """The children's nodes (list displays) from the read, and the lines of their facet checks
    (``integer``: the last step's value is in ``m``)."""
    kids = []
    checks = []
    for st in steps:
        cns, clocal = c.qname(st.qid)
        kind, k = st.dt[0], st.dt[1]
        shift = bits - st.at - st.width - 1 - k  # of the value's bits
        test = ""
        if st is steps[-1] and integer:  # GROUPS 7-bit groups at most
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
            checks += [f"if {test}:", f"    x.facet({val}, {st.dti}, p + {st.at + st.width + 1}, {node}, {clocal!r})"]
        kids.append(f"[{c.ns_const(cns)}, {clocal!r}, None, None, {val}, {kind}, None]")
    return kids, checks


def chain(c: Compiler, s: int) -> tuple[list[Step], int, int] | None:
    """Consecutive states of one function, each with a single production (a required element), that
    of an n-bit, enumeration or boolean child: (steps, bits, the state after them), or None if
    fewer than two (CurrentDemandRes: EVSECurrentLimitAchieved, EVSEVoltageLimitAchieved, ...)."""
    g = c.g
    steps: list[Step] = []
    at = 0
    while True:
        prods = g.states[s].prods
        ev, a, b, nxt = prods[0] if len(prods) == 1 else (None, None, None, None)
        sim = g.simple[b] if ev == SE else None
        if sim is None or sim[0] not in (D_NBIT, D_ENUM, D_BOOL) or at + g.states[s].width + sim[1] + 2 > MAX_BITS:
            break
        steps.append(Step(g.states[s].width, at, a, sim, g.states[b].prods[0][1]))
        at += g.states[s].width + sim[1] + 2
        s = nxt
    return (steps, at, s) if len(steps) > 1 else None


def emit_chain(c: Compiler, d: int, steps: list[Step], bits: int, after: int) -> None:
    """The ``if`` of a chain read in one shift (the caller's ``else`` is the block as without it)."""
    zeros, tests = fixed_bits(steps, bits)
    read = f"(y := (v >> (n - p - {bits})) & {(1 << bits) - 1})"
    names = ", ".join(c.qname(st.qid)[1] for st in steps)
    c.emit(d, f"if {' and '.join([f'p + {bits} <= n', f'not {read} & {zeros}', *tests])}:  # {names} in one read")
    kids, checks = values(c, steps, bits, "e", False)
    for line in checks:
        c.emit(d + 1, line)
    c.emit(d + 1, "ch += [")
    for i, kid in enumerate(kids):
        c.emit(d + 2, kid + ("," if i < len(kids) - 1 else "]"))
    c.emit(d + 1, f"p += {bits}")
    c.emit(d + 1, f"s = {after}")


def emit(c: Compiler, d: int, qid: int, target: int, steps: list[Step], bits: int, fused: bool = False) -> None:
    """SE of an element of such a type: its node, then the run from one read, else its function.
    ``fused``: the block's read has the run's bits in the low ``bits`` of ``y`` already (or a bit of
    ``zeros`` set where it could not read them)."""
    ns, local = c.qname(qid)
    names = ", ".join(c.qname(st.qid)[1] for st in steps)
    last = steps[-1]
    integer = last.dt[0] in (D_UINT, D_INT)
    zeros, tests = fixed_bits(steps if not integer else steps[:-1], bits)
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
        c.emit(d, "else:")
        c.emit(d + 1, "z = 1")
        c.emit(d, "if z:  # not the run: the type's own function")
        c.child_call(d + 1, qid, target)
        c.emit(d, "else:")
        if sign:
            c.emit(body, f"if y & {1 << (bits - first)}:")
            c.emit(body + 1, "m = -m - 1")
    kids, checks = values(c, steps, bits, "nf", integer)
    c.emit(body, f"nf = [{c.ns_const(ns)}, {local!r}, None, [")
    for i, kid in enumerate(kids):
        c.emit(body + 1, kid + "," if i < len(kids) - 1 else kid + "], None, -1, None]")
    for line in checks:
        c.emit(body, line)
    c.emit(body, "ch.append(nf)")
    c.emit(body, f"p += {'q' if integer else bits}")
    if not integer:
        c.emit(d, "else:")
        c.child_call(d + 1, qid, target)
