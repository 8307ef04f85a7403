"""Every rule of the findings family, declared once in its family module and listed here."""

from __future__ import annotations

from collections.abc import Iterable

from v2gsniff.sniffer.pnc.rules import PNC_RULES

from . import codes, cp, link, schema, sequence, timing, values
from .model import Rule, RuleSet

FAMILIES: tuple[tuple[str, tuple[Rule, ...]], ...] = (
    ("schema", schema.RULES),
    ("sequence", sequence.RULES),
    ("timing", timing.RULES + cp.RULES),
    ("values", values.RULES),
    ("response codes", codes.RULES),
    ("tls and slac", link.RULES),
    ("plug & charge", PNC_RULES),
)
"""Family name -> its rules, in the order ``check --rules`` lists them."""


def default_rules() -> RuleSet:
    """A new registry of all rules (callers may narrow it; nothing mutates a shared one)."""
    return RuleSet(tuple(rule for _family, rules in FAMILIES for rule in rules))


def select(only: Iterable[str] = (), disable: Iterable[str] = ()) -> RuleSet:
    """The rules ``--only``/``--disable`` leave; an id may be a family prefix (``timing``, ``values.soc``)."""
    every = default_rules()
    only, disable = list(only), list(disable)
    unknown = [x for x in [*only, *disable] if not any(_matches(r.id, x) for r in every)]
    if unknown:
        raise KeyError(", ".join(unknown))
    return RuleSet(tuple(r for r in every if (not only or any(_matches(r.id, x) for x in only))
                         and not any(_matches(r.id, x) for x in disable)))


def _matches(rule_id: str, pattern: str) -> bool:
    return rule_id == pattern or rule_id.startswith(pattern.rstrip(".") + ".")
