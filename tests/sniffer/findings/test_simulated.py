"""Every simulator scenario shows exactly the error findings it was built to show (clean ones none),
and each faulty twin differs from its clean twin by the rule its fault breaks."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pytest
from click.testing import CliRunner

from v2gsniff.sniffer.commands.check import check
from v2gsniff.sniffer.commands.decode import decode
from v2gsniff.sniffer.findings.model import Finding
from v2gsniff.sniffer.report.collect import analyse_file
from v2gsniff.sniffer.simulate import SCENARIOS, simulate, write_pcapng

SEED = 7


@cache
def _capture(name: str, tmp: str) -> Path:
    path = Path(tmp) / f"{name}.pcapng"
    write_pcapng(simulate(name, seed=SEED, loops=6), path)
    return path


@pytest.fixture(scope="module")
def tmp(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(tmp_path_factory.mktemp("sim"))


def _findings(name: str, tmp: str) -> tuple[Finding, ...]:
    return analyse_file(_capture(name, tmp)).findings


@pytest.mark.parametrize("name", SCENARIOS.names())
def test_a_scenario_gives_exactly_the_error_findings_it_is_built_for(name: str, tmp: str) -> None:
    errors = {f.rule for f in _findings(name, tmp) if f.severity == "error"}
    assert errors == set(SCENARIOS[name].expects)


@pytest.mark.parametrize(("faulty", "clean", "rule", "side"), [
    ("iso2-dc-late-response", "iso2-dc", "timing.response-timeout", "evse"),
    ("din-dc-over-limit", "din-dc", "values.evse-present-over-limit", "evse"),
    ("iso2-dc-sequence-error", "iso2-dc", "sequence.phase-order", "ev"),
    ("iso2-dc-out-of-facet", "iso2-dc", "schema.facet", "ev"),
])
def test_a_faulty_twin_breaks_its_rule_and_the_clean_twin_does_not(faulty: str, clean: str, rule: str,
                                                                   side: str, tmp: str) -> None:
    bad = [f for f in _findings(faulty, tmp) if f.rule == rule]
    assert bad and all(f.side == side and f.session == 1 for f in bad)
    assert not [f for f in _findings(clean, tmp) if f.rule == rule]
    assert not [f for f in _findings(clean, tmp) if f.severity in ("error", "warning")]


def test_the_late_response_finding_measures_the_real_delay(tmp: str) -> None:
    (f,) = [f for f in _findings("iso2-dc-late-response", tmp) if f.rule == "timing.response-timeout"]
    req, res = f.evidence
    rows = [json.loads(x) for x in CliRunner().invoke(
        decode, ["--format", "jsonl", "--no-findings", str(_capture("iso2-dc-late-response", tmp))]).stdout.splitlines()]
    times = {r["frame"]: r["time"] for r in rows if r["kind"] == "v2g"}
    names = {r["frame"]: r["name"] for r in rows if r["kind"] == "v2g"}
    assert (names[req], names[res]) == ("PowerDeliveryReq", "PowerDeliveryRes")
    took = times[res] - times[req]
    assert took > 5.25 and f"{took * 1000:.0f} ms" in f.text


def test_an_out_of_facet_message_decodes_and_its_finding_follows_it_in_decode_output(tmp: str) -> None:
    out = CliRunner().invoke(decode, ["--format", "jsonl", str(_capture("iso2-dc-out-of-facet", tmp))]).stdout
    rows = [json.loads(x) for x in out.splitlines()]
    (pd,) = [i for i, r in enumerate(rows) if r["kind"] == "v2g" and r["name"] == "PowerDeliveryReq"
             and "ChargingProfile" in json.dumps(r["body"])]
    assert rows[pd]["error"] is None
    entry = rows[pd]["body"]["V2G_Message"]["Body"]["PowerDeliveryReq"]["ChargingProfile"]["ProfileEntry"]
    assert entry["ChargingProfileEntryMaxNumberOfPhasesInUse"] == 4
    finding = rows[pd + 1]
    assert finding["kind"] == "finding" and finding["rule"] == "schema.facet"
    assert finding["frame"] == rows[pd]["frame"] and finding["side"] == "ev" and finding["severity"] == "error"
    assert finding["path"].endswith("/ProfileEntry/ChargingProfileEntryMaxNumberOfPhasesInUse")
    assert set(finding) >= {"rule", "severity", "side", "requirement", "frame", "session", "message", "path",
                            "text", "evidence"}


def test_check_exit_status_follows_fail_on(tmp: str) -> None:
    runner = CliRunner()
    clean, faulty = str(_capture("iso2-dc", tmp)), str(_capture("iso2-dc-out-of-facet", tmp))
    assert runner.invoke(check, [clean]).exit_code == 0
    result = runner.invoke(check, [faulty])
    assert result.exit_code == 1 and "schema.facet" in result.stdout
    assert runner.invoke(check, ["--disable", "schema", faulty]).exit_code == 0
    assert runner.invoke(check, ["--only", "timing", faulty]).exit_code == 0
    rows = [json.loads(x) for x in runner.invoke(check, ["--format", "jsonl", faulty]).stdout.splitlines()]
    assert [r["rule"] for r in rows] == ["schema.facet"] and rows[0]["capture"] == Path(faulty).name
    assert runner.invoke(check, [str(Path(tmp) / "missing.pcapng")]).exit_code == 3
    assert runner.invoke(check, ["--only", "nope", clean]).exit_code == 2


def test_check_junit_has_a_case_per_session_and_rule_and_fails_the_broken_one(tmp: str) -> None:
    import xml.etree.ElementTree as ET

    from v2gsniff.sniffer.findings.registry import default_rules

    xml = CliRunner().invoke(check, ["--format", "junit", str(_capture("din-dc-over-limit", tmp))]).stdout
    root = ET.fromstring(xml)
    cases = root.findall(".//testcase")
    assert len(cases) == len(default_rules())  # one session
    failed = [c.get("name") for c in cases if c.find("failure") is not None]
    assert failed == ["values.evse-present-over-limit"]
    assert root.get("failures") == "1"


def test_a_message_in_another_sets_payload_type_still_decodes_and_is_named_once(tmp: str) -> None:
    def v2g(name: str) -> list[dict[str, object]]:
        out = CliRunner().invoke(decode, ["--format", "jsonl", str(_capture(name, tmp))]).stdout
        return [r for r in map(json.loads, out.splitlines()) if r["kind"] in ("v2g", "finding")]

    bad, good = v2g("iso20-dc-payload-type"), v2g("iso20-dc-bpt-scheduled")
    messages = [(r["name"], r["schema"]) for r in bad if r["kind"] == "v2g"]
    # the same conversation, every message decoded by its own set although the EV's came in 0x8001
    assert messages == [(r["name"], r["schema"]) for r in good if r["kind"] == "v2g"]
    assert all(r["error"] is None for r in bad if r["kind"] == "v2g")
    sent = {(r["name"], r["payload_type"]) for r in bad if r["kind"] == "v2g"}
    assert ("SessionSetupReq", "0x8001") in sent and ("SessionSetupRes", "0x8002") in sent
    assert ("DC_ChargeLoopReq", "0x8004") in sent  # the EV's DC messages use their own type
    (finding,) = [r for r in bad if r["kind"] == "finding" and r["rule"] == "sequence.payload-type"]
    assert (finding["message"], finding["side"], finding["severity"]) == ("SessionSetupReq", "ev", "error")
    assert not [r for r in good if r["kind"] == "finding" and r["rule"] == "sequence.payload-type"]
