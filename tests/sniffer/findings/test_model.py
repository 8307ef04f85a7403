"""The findings value types and the rule registry."""

import pytest

from v2gsniff.sniffer.findings import Rule, RuleSet

LATE = Rule("timing.example", "warning", "evse", "[V2G2-536]", "SECC answers within the performance time")


def test_a_finding_carries_its_rule_unless_the_case_decides_otherwise() -> None:
    f = LATE.finding("answered after 2.4 s", 12, 3.5, session=1, message="CableCheckRes")
    assert (f.rule, f.severity, f.side, f.requirement) == ("timing.example", "warning", "evse", "[V2G2-536]")
    assert f.evidence == (12,)
    g = LATE.finding("both late", 14, side="both", severity="error", evidence=(10, 14))
    assert (g.side, g.severity, g.evidence) == ("both", "error", (10, 14))
    assert f.to_json()["time"] == 3.5 and f.to_json()["evidence"] == [12]


def test_the_registry_refuses_a_duplicate_id_and_unknown_severities() -> None:
    rules = RuleSet((LATE,))
    assert rules["timing.example"] is LATE and "timing.example" in rules and len(rules) == 1
    with pytest.raises(ValueError, match="twice"):
        rules.add(LATE)
    with pytest.raises(ValueError, match="severity"):
        rules.add(LATE._replace(id="x.y", severity="fatal"))
    with pytest.raises(ValueError, match="side"):
        rules.add(LATE._replace(id="x.z", side="charger"))
