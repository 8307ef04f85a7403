"""A small display-filter language over records, shared by the terminal UI (and ``decode --filter``).

Grammar (keywords are case-insensitive)::

    expr       := term ("or" term)*
    term       := factor ("and" factor)*
    factor     := "not" factor | "(" expr ")" | comparison | word
    comparison := FIELD OP VALUE
    OP         := "==" | "!=" | "~" | "!~" | "<" | "<=" | ">" | ">="
    VALUE      := bare-word | number | "quoted string" | 'quoted string'

Words: a record kind (``homeplug``, ``sdp``, ``v2gtp``, ``v2g``, ``tls``, ``tcp``, ``gap``,
``icmpv6``, ``keylog``, ``link``, ``finding``), ``slac`` (the SLAC messages of ISO 15118-3), ``errors``/``error``
(records with an error, gaps included), or a message set (``apphand``, ``din``, ``iso2``, ``iso20``).

Fields: ``kind``, ``name``, ``src``, ``dst``, ``dir`` (``ev`` or ``evse``: who sent it), ``session``,
``frame``, ``stream``, ``schema``, ``error``, ``summary``, ``capture``, ``rule``, ``severity`` and
``side`` (of findings: ``finding and severity == error``), and ``fields.KEY`` for a decoded key
value (``fields.EVRESSSOC > 80``). ``~`` is a case-insensitive regular-expression search, ``==``
compares strings case-insensitively and numbers as numbers. A physical value (``{"value",
"unit"}``, or a raw ``Value`` with ``Multiplier``/``Exponent``) compares as the number it stands
for, value × 10^multiplier: ``fields.EVTargetCurrent > 10`` is "more than 10 A".

Examples: ``slac``, ``v2g and name ~ CurrentDemand``, ``session == 2 and dir == ev``,
``errors or gap``, ``not (tcp or homeplug)``, ``fields.EVTargetCurrent > 10``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from v2gsniff.sniffer.model import Record
from v2gsniff.sniffer.sessions.phases import SLAC_NAMES

__all__ = ["FIELDS", "WORDS", "FieldsSeen", "Filter", "FilterError", "compile_filter"]

Predicate = Callable[[Record, "int | None"], bool]

KINDS = ("homeplug", "sdp", "v2gtp", "v2g", "tls", "tcp", "app", "gap", "icmpv6", "keylog", "link", "error",
         "finding")
SCHEMA_WORDS = ("apphand", "din", "iso2", "iso20")
WORDS = (*KINDS, "slac", "errors", *SCHEMA_WORDS)
"""Every word the language knows on its own."""
FIELDS = ("kind", "name", "src", "dst", "dir", "session", "frame", "stream", "schema", "error", "summary",
          "capture", "rule", "severity", "side", "fields.KEY")
"""Field names for comparisons."""
OPS = ("==", "!=", "~", "!~", "<", "<=", ">", ">=")

_TOKEN = re.compile(r"""\s*(?:(?P<op>==|!=|!~|<=|>=|~|<|>)|(?P<paren>[()])|(?P<str>"[^"]*"|'[^']*')"""
                    r"""|(?P<word>[^\s()=!~<>"'&,;]+)|(?P<bad>\S))""")


class FilterError(ValueError):
    """An invalid filter; ``position`` is the character offset where the problem starts."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(message)
        self.position = position


@dataclass(frozen=True, slots=True)
class _Tok:
    kind: str
    text: str
    pos: int


def _tokens(text: str) -> list[_Tok]:
    out: list[_Tok] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:  # only trailing whitespace is left
            break
        kind = m.lastgroup or "bad"
        start = m.start(kind)
        if kind == "bad":
            raise FilterError(f"unexpected character {m.group(kind)!r}", start)
        value = m.group(kind)
        if kind == "str":
            kind, value = "value", value[1:-1]
        out.append(_Tok(kind, value, start))
        pos = m.end()
    return out


def _direction(r: Record) -> str | None:
    d = r.extra.get("dir")
    if d == "ev->evse":
        return "ev"
    if d == "evse->ev":
        return "evse"
    return None


def physical(value: Any) -> Any:
    """A physical value as its number (value × 10^multiplier); anything else unchanged."""
    if isinstance(value, dict):
        if "value" in value and isinstance(value["value"], int | float):
            return value["value"]
        if isinstance(value.get("Value"), int) and not isinstance(value.get("Value"), bool):
            scale = value.get("Multiplier", value.get("Exponent", 0))
            if isinstance(scale, int):
                return value["Value"] * 10.0 ** scale
    return value


def _get(name: str) -> Callable[[Record, int | None], Any]:
    if name.startswith("fields."):
        key = name[7:]
        return lambda r, s: physical(r.fields.get(key))
    getters: dict[str, Callable[[Record, int | None], Any]] = {
        "kind": lambda r, s: r.kind,
        "name": lambda r, s: r.name,
        "src": lambda r, s: r.src,
        "dst": lambda r, s: r.dst,
        "dir": lambda r, s: _direction(r),
        "session": lambda r, s: s,
        "frame": lambda r, s: r.frame,
        "stream": lambda r, s: r.extra.get("stream"),
        "schema": lambda r, s: r.extra.get("schema"),
        "error": lambda r, s: r.error,
        "summary": lambda r, s: r.summary,
        "capture": lambda r, s: r.extra.get("capture"),
        "rule": lambda r, s: r.extra.get("rule") if r.kind == "finding" else None,
        "severity": lambda r, s: r.extra.get("severity") if r.kind == "finding" else None,
        "side": lambda r, s: r.extra.get("side") if r.kind == "finding" else None,
    }
    return getters[name]


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _compare(field: str, op: str, value: str, pos: int) -> Predicate:
    get = _get(field)
    # As in Wireshark, a comparison on a decoded field the record does not have is false
    # (also for != and !~): "v2g and fields.ResponseCode !~ ^OK" lists failures, not requests.
    absent_false = field.startswith("fields.")
    if op in ("~", "!~"):
        try:
            rx = re.compile(value, re.IGNORECASE)
        except re.error as err:
            raise FilterError(f"bad regular expression {value!r}: {err}", pos) from err
        want = op == "~"

        def search(r: Record, s: int | None) -> bool:
            v = get(r, s)
            if v is None and absent_false:
                return False
            return (v is not None and rx.search(str(v)) is not None) == want

        return search
    if field == "dir" and value.lower() not in ("ev", "evse"):
        raise FilterError(f"dir is 'ev' or 'evse', not {value!r}", pos)
    num = _number(value)
    if op in ("<", "<=", ">", ">="):
        if num is None:
            raise FilterError(f"{op} needs a number, not {value!r}", pos)
        test = {"<": float.__lt__, "<=": float.__le__, ">": float.__gt__, ">=": float.__ge__}[op]
        limit = num

        def order(r: Record, s: int | None) -> bool:
            v = get(r, s)
            if isinstance(v, bool) or not isinstance(v, int | float):
                return False
            return bool(test(float(v), limit))

        return order
    lowered = value.lower()
    equal = op == "=="

    def same(r: Record, s: int | None) -> bool:
        v = get(r, s)
        if v is None and absent_false:
            return False
        if isinstance(v, bool) or v is None:
            hit = str(v).lower() == lowered
        elif isinstance(v, int | float):
            hit = num is not None and float(v) == num
        else:
            hit = str(v).lower() == lowered
        return hit == equal

    return same


def _word(word: str, pos: int) -> Predicate:
    w = word.lower()
    if w in ("errors", "error"):
        return lambda r, s: r.error is not None
    if w == "slac":
        return lambda r, s: r.kind == "homeplug" and r.name in SLAC_NAMES
    if w in KINDS:
        return lambda r, s: r.kind == w
    if w == "iso20":
        return lambda r, s: str(r.extra.get("schema") or "").startswith("iso20")
    if w in SCHEMA_WORDS:
        return lambda r, s: r.extra.get("schema") == w
    raise FilterError(f"unknown word {word!r} (not one of {', '.join(WORDS)}; or FIELD OP VALUE)", pos)


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.toks = _tokens(text)
        self.i = 0
        self.fields: set[str] = set()
        """Field names compared (``session``, ``fields.EVTargetCurrent`` ...), as parsed."""

    def peek(self) -> _Tok | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def keyword(self, word: str) -> bool:
        t = self.peek()
        if t is not None and t.kind == "word" and t.text.lower() == word:
            self.i += 1
            return True
        return False

    def parse(self) -> Predicate:
        pred = self.expr()
        t = self.peek()
        if t is not None:
            raise FilterError(f"expected 'and', 'or' or the end, found {t.text!r}", t.pos)
        return pred

    def expr(self) -> Predicate:
        parts = [self.term()]
        while self.keyword("or"):
            parts.append(self.term())
        if len(parts) == 1:
            return parts[0]
        return lambda r, s: any(p(r, s) for p in parts)

    def term(self) -> Predicate:
        parts = [self.factor()]
        while self.keyword("and"):
            parts.append(self.factor())
        if len(parts) == 1:
            return parts[0]
        return lambda r, s: all(p(r, s) for p in parts)

    def factor(self) -> Predicate:
        t = self.peek()
        if t is None:
            raise FilterError("filter ends too early: expected a word, a comparison or '('", len(self.text))
        if self.keyword("not"):
            inner = self.factor()
            return lambda r, s: not inner(r, s)
        if t.kind == "paren" and t.text == "(":
            self.i += 1
            inner = self.expr()
            close = self.peek()
            if close is None or close.text != ")":
                raise FilterError("missing ')'", close.pos if close else len(self.text))
            self.i += 1
            return inner
        if t.kind != "word":
            raise FilterError(f"expected a word, a comparison or '(', found {t.text!r}", t.pos)
        self.i += 1
        op = self.peek()
        if op is None or op.kind != "op":
            return _word(t.text, t.pos)
        field = t.text.lower()
        if field not in FIELDS and not (field.startswith("fields.") and len(field) > 7):
            raise FilterError(f"unknown field {t.text!r} (fields: {', '.join(FIELDS)})", t.pos)
        if field.startswith("fields."):
            field = "fields." + t.text[7:]  # keys keep their case
        self.fields.add(field)
        self.i += 1
        value = self.peek()
        if value is None or value.kind not in ("word", "value"):
            raise FilterError(f"{op.text} needs a value", value.pos if value else len(self.text))
        self.i += 1
        return _compare(field, op.text, value.text, value.pos)


@dataclass(frozen=True, slots=True)
class Filter:
    """A compiled filter; the empty filter matches everything."""

    text: str
    _pred: Predicate | None
    fields: frozenset[str] = frozenset()
    """The field names the filter compares (parsed, so words inside strings do not count)."""

    def matches(self, record: Record, session: int | None = None) -> bool:
        """Whether ``record`` (belonging to ``session``, if known) passes."""
        return True if self._pred is None else self._pred(record, session)

    @property
    def empty(self) -> bool:
        return self._pred is None

    @property
    def uses_session(self) -> bool:
        """Whether evaluating needs the record's session (callers may skip computing it)."""
        return "session" in self.fields

    @property
    def field_keys(self) -> frozenset[str]:
        """The decoded keys of ``fields.KEY`` comparisons (to warn when no record has one)."""
        return frozenset(f[7:] for f in self.fields if f.startswith("fields."))


class FieldsSeen:
    """The ``fields.KEY`` names records had, to say which keys of a filter none had (most likely
    misspelt) and which names exist: ``decode --filter`` warns with it, the UI's filter bar shows it."""

    def __init__(self) -> None:
        self.seen: set[str] = set()

    def note(self, record: Record) -> None:
        if record.fields:
            self.seen.update(record.fields)

    def unknown(self, f: Filter) -> list[str]:
        """One sentence per ``fields.KEY`` of ``f`` that no noted record has, with the closest names
        (or, with none close, the names there are)."""
        import difflib

        out = []
        for key in sorted(f.field_keys - self.seen):
            near = difflib.get_close_matches(key, self.seen, n=4, cutoff=0.5)
            hint = (f"did you mean {', '.join('fields.' + n for n in near)}?" if near
                    else f"fields seen: {', '.join(sorted(self.seen)[:30]) or 'none'}")
            out.append(f"no record has a field {key!r} (fields.{key}); {hint}")
        return out


def compile_filter(text: str) -> Filter:
    """Parse ``text``; raises :class:`FilterError` saying what is wrong and where."""
    if not text.strip():
        return Filter(text, None)
    parser = _Parser(text)
    return Filter(text, parser.parse(), frozenset(parser.fields))
