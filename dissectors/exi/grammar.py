"""Runtime view of the generated grammar tables (dissectors/exi/grammars/_*.py).

A ``Grammar`` holds, per state, the decoder's tuple ``(width, productions, kind, n_part2_info...)``
and lazily built encoder lookups.  Productions are ``(event, arg1, arg2, next)`` with the event and
state-kind numbers below (shared with tools/exigen/grammar.py).
"""

from __future__ import annotations

import importlib
import json
from functools import cache
from typing import Any

from .errors import ExiError
from .facets import compile_checks

# state kinds
FST, ST, EC, DOC, DOCEND, FRAG = 0, 1, 2, 3, 4, 5
# events
SE, SE_ANY, SE_URI, EE, CH, CH_ANY, AT, AT_ANY, ED = 0, 1, 2, 3, 4, 5, 6, 7, 8
# datatype kinds (compiled from the generated tuples)
D_STRING, D_UINT, D_INT, D_NBIT, D_BOOL, D_ENUM, D_HEX, D_B64, D_OTHER = range(9)

SCHEMA_MODULES = {
    "apphand": "_apphand",
    "din": "_din",
    "iso2": "_iso2",
    "iso20-cm": "_iso20_cm",
    "iso20-ac": "_iso20_ac",
    "iso20-dc": "_iso20_dc",
    "iso20-wpt": "_iso20_wpt",
    "iso20-acdp": "_iso20_acdp",
    "xmldsig": "_xmldsig",
}

Production = tuple[int, Any, Any, int]


def bits_for(n: int) -> int:
    """Bits needed to code n distinct values (0 for n <= 1)."""
    return (n - 1).bit_length() if n > 1 else 0


class State:
    """One grammar state: productions in event-code order plus second-level facts (exi.md §7.1)."""

    __slots__ = ("index", "kind", "prods", "width", "content2", "ee_in_part1", "n_at", "encode_map")

    def __init__(self, index: int, kind: int, content2: int, prods: tuple[Production, ...]) -> None:
        self.index = index
        self.kind = kind
        self.prods = prods
        n = len(prods)
        # element states carry the non-strict escape value; DocContent/FragmentContent do not
        self.width = bits_for(n + 1) if kind <= EC else bits_for(n)
        self.content2 = content2
        self.ee_in_part1 = any(p[0] == EE for p in prods)
        self.n_at = sum(1 for p in prods if p[0] == AT)
        self.encode_map: dict[Any, int] | None = None

    def second_level(self) -> tuple[str, ...]:
        """The state's Table 7-1 list of second-level events, in code order."""
        head: tuple[str, ...] = () if self.ee_in_part1 else ("EE",)
        if self.kind == FST:
            return head + ("xsi:type", "xsi:nil", "AT(*)", "AT-untyped", "SE(*)", "CH")
        if self.kind == ST:
            return head + ("AT(*)", "AT-untyped", "SE(*)", "CH")
        if self.kind == EC:
            return head + ("SE(*)", "CH")
        return ()


class Grammar:
    """All grammar states and tables of one schema set."""

    def __init__(self, name: str, mod: Any) -> None:
        self.name = name
        self.uris: tuple[str, ...] = mod.URIS
        self.local_names: tuple[tuple[str, ...], ...] = mod.LOCAL_NAMES
        self.qnames: list[tuple[str, str]] = [(mod.URIS[u], ln) for u, ln in mod.QNAMES]
        self.qname_ids: dict[tuple[str, str], int] = {q: i for i, q in enumerate(self.qnames)}
        self.dtypes: list[tuple[Any, ...]] = [compile_dtype(d) for d in mod.DATATYPES]
        self.states: list[State] = [State(i, k, c2, tuple(tuple(p) for p in prods))
                                    for i, (k, c2, prods) in enumerate(json.loads(mod.STATES_JSON))]
        self.document: int = mod.DOCUMENT
        self.fragment: int = mod.FRAGMENT
        self.global_elements: dict[int, int] = mod.GLOBAL_ELEMENTS
        self.global_attributes: dict[int, int] = mod.GLOBAL_ATTRIBUTES
        self.types: dict[tuple[str, str], int] = {(mod.URIS[u], ln): s for (u, ln), s in mod.TYPES.items()}
        self._empty: dict[int, int] = {}
        # decoder view: per state (width, mask, n, productions with qname/datatype tuples resolved)
        self.fast: list[tuple[int, int, int, tuple[Production, ...]]] = [self._fast(st) for st in self.states]
        # per state: the datatype if the state starts a plain simple-typed element grammar
        # ({CH[dt]} then {EE}), which the decoder reads inline
        self.simple: list[tuple[Any, ...] | None] = [self._simple(st) for st in self.states]
        self.type_names: dict[int, tuple[str, str]] = {}
        for q, s in self.types.items():
            self.type_names.setdefault(s, q)

    def _fast(self, st: State) -> tuple[int, int, int, tuple[Production, ...]]:
        prods: list[Production] = []
        for ev, a, b, n in st.prods:
            if ev == SE:
                prods.append((ev, self.qnames[a], b, n))
            elif ev == AT:
                prods.append((ev, self.qnames[a], self.dtypes[b], n))
            elif ev == CH:
                prods.append((ev, self.dtypes[a], b, n))
            else:
                prods.append((ev, a, b, n))
        return (st.width, (1 << st.width) - 1, len(prods), tuple(prods))

    def _simple(self, st: State) -> tuple[Any, ...] | None:
        if st.kind != FST or len(st.prods) != 1 or st.prods[0][0] != CH:
            return None
        nxt = self.states[st.prods[0][3]]
        if len(nxt.prods) != 1 or nxt.prods[0][0] != EE:
            return None
        return self.dtypes[st.prods[0][1]]

    def type_empty(self, s: int) -> int:
        """TypeEmpty state after xsi:nil="true": the state's declared attributes, then EE only."""
        cached = self._empty.get(s)
        if cached is None:
            ats = tuple((ev, a, b, n) for ev, a, b, n in self.states[s].prods if ev == AT)
            cached = len(self.states)
            self.states.append(State(cached, FST, -1, (*ats, (EE, 0, 0, -1))))
            self.fast.append(self._fast(self.states[cached]))
            self.simple.append(None)
            self._empty[s] = cached
        return cached

    def encode_map(self, state: State) -> dict[Any, int]:
        """Event key -> event code for the encoder: ('S'|'A', qname id), 'EE', 'CH', 'S*', 'C*', 'A*'."""
        m = state.encode_map
        if m is None:
            m = {}
            for code, (ev, a, _b, _n) in enumerate(state.prods):
                if ev == SE:
                    m[("S", a)] = code
                elif ev == AT:
                    m[("A", a)] = code
                elif ev == SE_URI:
                    m[("U", a)] = code
                else:
                    m[ev] = code
            state.encode_map = m
        return m

    def expected(self, state: State, near: str | None = None) -> str:
        """What ``state`` declares, in words (element names, any element, text, the end), for an
        error about content it does not declare; of a long list of elements, those closest to ``near``."""
        names = [self.qnames[p[1]][1] for p in state.prods if p[0] == SE]
        if len(names) > 8:
            import difflib  # an error message's suggestion: not worth every start-up's import

            close = difflib.get_close_matches(near or "", names, n=3, cutoff=0.5)
            names = [f"one of {len(names)} elements" + (f" (closest: {', '.join(close)})" if close else "")]
        kinds = {p[0] for p in state.prods}
        names += ["any element"] * bool(kinds & {SE_ANY, SE_URI}) + ["text"] * bool(kinds & {CH, CH_ANY})
        names += ["the end of the element"] * (EE in kinds)
        return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1] if names else "nothing"


def compile_dtype(d: tuple[Any, ...]) -> tuple[Any, ...]:
    """Generated datatype tuple -> (kind, a, b, ...) used by the hot decode/encode paths.

    The last item of string, binary and integer datatypes is their compiled facet checks
    (``facets.compile_checks``) or None; integer bounds stay in ``a``/``b`` (n-bit: ``b``/``c``)."""
    kind = d[0]
    if kind == "string":
        return (D_STRING, compile_checks(d), None)
    if kind == "uint":
        return (D_UINT, d[1], d[2], compile_checks(d))
    if kind == "int":
        return (D_INT, d[1], d[2], compile_checks(d))
    if kind == "nbit":
        return (D_NBIT, bits_for(d[2] - d[1] + 1), d[1], d[2], compile_checks(d))
    if kind == "bool":
        return (D_BOOL, 1, None)
    if kind == "enum":
        return (D_ENUM, bits_for(len(d[1])), d[1], {value: i for i, value in enumerate(d[1])})
    if kind == "hex":
        return (D_HEX, compile_checks(d), None)
    if kind == "b64":
        return (D_B64, compile_checks(d), None)
    return (D_OTHER, kind, None)


@cache
def load(schema: str) -> Grammar:
    """Grammar tables of a schema set by name (see ``SCHEMAS``)."""
    module = SCHEMA_MODULES.get(schema)
    if module is None:
        raise ExiError(f"unknown schema {schema!r}; expected one of {', '.join(SCHEMA_MODULES)}")
    return Grammar(schema, importlib.import_module(f"{__package__}.grammars.{module}"))
