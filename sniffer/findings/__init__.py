"""Findings: what went wrong in a capture, who is at fault, and the rule that says so.

Rules are declared objects (``Rule``) in an explicit ``RuleSet``; checks are sans-io code fed
by the same records and sessions as everything else, and each judgement they make is a
``Finding`` (data, never an exception).
"""

from .model import SEVERITIES, SIDES, Finding, Rule, RuleSet

__all__ = ["SEVERITIES", "SIDES", "Finding", "Rule", "RuleSet"]
