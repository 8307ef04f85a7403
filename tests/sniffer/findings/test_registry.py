"""The rule registry of the findings family: every rule declared once, well formed, selectable."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import v2gsniff.sniffer.findings as family
import v2gsniff.sniffer.pnc.rules as pnc_rules
from v2gsniff.sniffer.findings.model import SEVERITIES, SIDES, Rule
from v2gsniff.sniffer.findings.registry import FAMILIES, default_rules, select


def test_every_rule_of_every_module_is_registered_exactly_once() -> None:
    declared: dict[str, Rule] = {}
    modules = [importlib.import_module(f"{family.__name__}.{info.name}") for info in pkgutil.iter_modules(family.__path__)]
    for module in [*modules, pnc_rules]:  # Plug & Charge declares its rules beside its checks
        for value in vars(module).values():
            if isinstance(value, Rule):
                declared[value.id] = value
    registered = [r.id for r in default_rules()]
    assert len(registered) == len(set(registered))
    assert set(registered) == set(declared)


def test_rules_are_well_formed_and_named_by_family() -> None:
    prefixes = {"schema", "sequence", "timing", "values", "codes", "tls", "link", "pnc"}
    for rule in default_rules():
        assert rule.severity in SEVERITIES and rule.side in SIDES
        assert rule.id.split(".")[0] in prefixes and rule.id == rule.id.lower()
        assert rule.requirement.strip() and rule.title.strip() and "\n" not in rule.title


def test_families_list_every_rule_in_check_order() -> None:
    assert [r.id for _name, rules in FAMILIES for r in rules] == [r.id for r in default_rules()]


def test_only_and_disable_take_ids_and_family_prefixes() -> None:
    only_timing = select(only=["timing"])
    assert only_timing and all(r.id.startswith("timing.") for r in only_timing)
    without = select(disable=["timing", "values.soc"])
    assert "values.soc" not in without and not any(r.id.startswith("timing.") for r in without)
    assert "values.implausible" in without
    assert [r.id for r in select(only=["schema.facet"])] == ["schema.facet"]
    with pytest.raises(KeyError, match="nope"):
        select(only=["nope"])
    with pytest.raises(KeyError):
        select(disable=["time"])  # a prefix must end at a dot: "time" is not "timing"
