"""The two value types of the findings family, and the registry of rules."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NamedTuple

SEVERITIES = ("error", "warning", "info")
"""From worst to mildest; ``check --fail-on`` compares by this order."""
SIDES = ("ev", "evse", "both", "unknown")
"""Which side of the conversation broke the rule."""


class Rule(NamedTuple):
    """One check, declared once: its identity, weight, culprit and source."""

    id: str
    """Stable id, ``family.name`` (``timing.cable-check``); CLI ``--disable``/``--only`` use it."""
    severity: str
    """One of ``SEVERITIES``."""
    side: str
    """One of ``SIDES``: the side at fault when the rule fires (``unknown`` when it depends)."""
    requirement: str
    """Requirement id of the standard (``[V2G2-443]``, ``[V2G-DC-493]``) or a short rationale."""
    title: str
    """One line for a lab engineer: what the rule checks."""

    def finding(self, text: str, frame: int, time: float = 0.0, *, session: int | None = None,
                message: str | None = None, path: str | None = None, evidence: tuple[int, ...] = (),
                side: str | None = None, severity: str | None = None) -> Finding:
        """A finding of this rule; ``side``/``severity`` override the rule's when a case decides them."""
        return Finding(self.id, severity or self.severity, side or self.side, self.requirement, frame, time,
                       session, message, path, text, evidence or (frame,))


class Finding(NamedTuple):
    """One judgement: a rule broken at a frame, with the frames that show it."""

    rule: str
    severity: str
    side: str
    requirement: str
    frame: int
    """The frame that shows it (where a reader should look first)."""
    time: float
    session: int | None
    """Session id within the capture (``Session.id``), when the finding belongs to one."""
    message: str | None
    """V2G message name, when the finding is about one message."""
    path: str | None
    """Element path inside the message (``PowerDeliveryReq/ChargingProfile/...``), when there is one."""
    text: str
    """One sentence: what happened, with the values."""
    evidence: tuple[int, ...]
    """Frames that show it, in order."""

    def to_json(self) -> dict[str, Any]:
        return {"rule": self.rule, "severity": self.severity, "side": self.side,
                "requirement": self.requirement, "frame": self.frame, "time": round(self.time, 6),
                "session": self.session, "message": self.message, "path": self.path, "text": self.text,
                "evidence": list(self.evidence)}


class RuleSet:
    """An explicit registry of rules, in declaration order (no import-time mutation elsewhere)."""

    __slots__ = ("_rules",)

    def __init__(self, rules: tuple[Rule, ...] = ()) -> None:
        self._rules: dict[str, Rule] = {}
        for rule in rules:
            self.add(rule)

    def add(self, rule: Rule) -> Rule:
        if rule.id in self._rules:
            raise ValueError(f"rule {rule.id} declared twice")
        if rule.severity not in SEVERITIES or rule.side not in SIDES:
            raise ValueError(f"rule {rule.id}: severity {rule.severity!r} / side {rule.side!r} not allowed")
        self._rules[rule.id] = rule
        return rule

    def __getitem__(self, rule_id: str) -> Rule:
        return self._rules[rule_id]

    def __contains__(self, rule_id: object) -> bool:
        return rule_id in self._rules

    def __iter__(self) -> Iterator[Rule]:
        return iter(self._rules.values())

    def __len__(self) -> int:
        return len(self._rules)
