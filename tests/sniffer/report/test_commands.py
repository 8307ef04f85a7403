"""The ``report`` and ``sessions`` click commands (registered in cli.py by the lead)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from tests.conftest import REAL, need_shared
from v2gsniff.sniffer.commands.report import report
from v2gsniff.sniffer.commands.sessions import sessions

SMALL = [
    "dsV2Gshark__ISO-20_BPT_AC_DS5366_Josev.pcapng",
    "everest-logfiles__Tesla_Model_Y_11.1_iso15118-2_ac-iso_1_telsa_model_y.dump",
    "pyPLC__2023-05-03_TaycanLeftside_slacFail.pcapng",
    "dsV2Gshark__IEC61851_AC_PWM_Basic.pcapng",
]


def _copy(tmp_path: Path, names: list[str]) -> Path:
    folder = tmp_path / "caps" / "sub"
    folder.mkdir(parents=True)
    for name in names:
        (folder / name).write_bytes((REAL / name).read_bytes())
    (folder / "notes.txt").write_text("not a capture")
    return tmp_path / "caps"


def test_report_over_a_directory_does_not_depend_on_jobs(tmp_path: Path) -> None:
    need_shared()
    folder = _copy(tmp_path, SMALL)
    runner = CliRunner()
    outs = []
    for jobs in ("1", "2"):
        res = runner.invoke(report, [str(folder), "--format", "json", "--jobs", jobs])
        assert res.exit_code == 0, res.output
        outs.append(res.stdout)
    assert outs[0] == outs[1]
    data = json.loads(outs[0])
    assert [c["capture"] for c in data["captures"]] == [f"sub/{n}" for n in sorted(SMALL)], \
        "directories are searched recursively; captures are named by their path inside the directory"
    notes = {c["capture"].removeprefix("sub/"): c["message"] for c in data["captures"]}
    assert "no charging session found" in notes["dsV2Gshark__IEC61851_AC_PWM_Basic.pcapng"]
    assert "no V2G traffic" in notes["pyPLC__2023-05-03_TaycanLeftside_slacFail.pcapng"]


def test_broken_inventory_is_reported_and_the_report_goes_on(tmp_path: Path) -> None:
    need_shared()
    bad = tmp_path / "vehicles.toml"
    bad.write_text("[[vehicle]\n")
    out = tmp_path / "r.md"
    res = CliRunner().invoke(report, [str(REAL / SMALL[0]), "--vehicles", str(bad), "-o", str(out)])
    assert res.exit_code == 0
    assert "vehicle inventory not used" in res.stderr and "not valid TOML" in res.stderr
    text = out.read_text()
    assert "vehicle inventory not used" in text and "WMIV1234567890ABCDEX" in text


def test_unknown_inventory_file(tmp_path: Path) -> None:
    need_shared()
    res = CliRunner().invoke(report, [str(REAL / SMALL[0]), "--vehicles", str(tmp_path / "missing.toml")])
    assert res.exit_code == 0 and "file not found" in res.stderr


def test_empty_directory_says_so(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    res = CliRunner().invoke(report, [str(tmp_path / "empty")])
    assert res.exit_code == 3, "nothing to read is 'not found'"
    assert "no capture files" in res.stderr and "no captures to report on" in res.stderr


def test_label_names_every_capture_given_as_one_vehicle(tmp_path: Path) -> None:
    need_shared()
    res = CliRunner().invoke(report, [str(REAL / SMALL[0]), "--label", "Lab EV", "--format", "csv"])
    assert res.exit_code == 0 and res.stdout.splitlines()[1].startswith("Lab EV,")
    # Two captures of different cars (a Josev EVCC simulator and a Tesla): the label says they are one.
    res = CliRunner().invoke(report, [str(REAL / SMALL[0]), str(REAL / SMALL[1]), "--label", "Lab EV",
                                      "--format", "json"])
    assert res.exit_code == 0, res.output
    vehicles = json.loads(res.stdout)["vehicles"]
    assert [v["name"] for v in vehicles] == ["Lab EV"]
    assert {s.split("#")[0] for s in vehicles[0]["sessions"]} == {SMALL[0], SMALL[1]}


def test_html_to_file(tmp_path: Path) -> None:
    need_shared()
    out = tmp_path / "r.html"
    res = CliRunner().invoke(report, [str(REAL / SMALL[0]), "--format", "html", "-o", str(out)])
    assert res.exit_code == 0 and out.read_text().startswith("<!DOCTYPE html>")


def test_sessions_one_line_per_session() -> None:
    need_shared()
    res = CliRunner().invoke(sessions, [str(REAL / n) for n in SMALL])
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    assert lines[0].split("\t") == ["session", "vehicle", "charger", "protocol", "last phase", "outcome", "bpt",
                                    "duration s", "ended by", "authorization", "findings"]
    rows = [dict(zip(lines[0].split("\t"), line.split("\t"), strict=True)) for line in lines[1:]]
    assert len(rows) == 3
    bpt = [r for r in rows if r["session"].startswith("dsV2Gshark__ISO-20_BPT_AC")][0]
    assert (bpt["protocol"], bpt["last phase"], bpt["bpt"]) == ("ISO-20-AC", "SessionStop",
                                                                "bpt-negotiated-no-discharge")
    assert float(bpt["duration s"]) > 0 and bpt["authorization"] == "EIM"
    # Without a SupportedAppProtocol exchange the protocol is spelled as everywhere else, not "din".
    assert {r["protocol"] for r in rows} <= {"ISO-20-AC", "DIN", "ISO-2", "Tesla-DIN", "-"}
    assert "no charging session found" in res.stderr
    # the findings column says what the JSON lists: errors and warnings counted, the first error's text
    as_json = CliRunner().invoke(sessions, ["--format", "jsonl", *[str(REAL / n) for n in SMALL]]).stdout
    for row, js in zip(rows, map(json.loads, as_json.splitlines()), strict=True):
        found = js["findings"]
        errors = [f["text"] for f in found if f["severity"] == "error"]
        warnings = [f for f in found if f["severity"] == "warning"]
        if not errors and not warnings:
            assert row["findings"] == "-"
            continue
        counts = f"{len(errors)} error{'' if len(errors) == 1 else 's'}, " \
                 f"{len(warnings)} warning{'' if len(warnings) == 1 else 's'}"
        assert row["findings"] == counts + (f"; first: {errors[0]}" if errors else "")
    assert bpt["findings"].startswith("2 errors, 0 warnings; first: EV offers urn:iso:std:iso:15118:-20:AC")


def test_vehicle_from_path_names_vehicles_by_their_folders(tmp_path: Path) -> None:
    need_shared()
    for folder, name in (("Josev/EVCC", SMALL[0]), ("Tesla/Model_Y", SMALL[1])):
        (tmp_path / "lab" / folder).mkdir(parents=True)
        (tmp_path / "lab" / folder / "ethernet-traffic.dump").write_bytes((REAL / name).read_bytes())
    res = CliRunner().invoke(report, [str(tmp_path / "lab"), "--vehicle-from-path", "{brand}/{model}/**",
                                      "--format", "json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert sorted(v["name"] for v in data["vehicles"]) == ["Josev EVCC", "Tesla Model Y"]
    assert sorted(c["capture"] for c in data["captures"]) == ["Josev/EVCC/ethernet-traffic.dump",
                                                               "Tesla/Model_Y/ethernet-traffic.dump"]
    assert all(v["identity"]["brand"]["source"] == "path" for v in data["vehicles"])


def test_unusable_path_pattern_is_a_usage_error() -> None:
    res = CliRunner().invoke(report, ["nowhere", "--vehicle-from-path", "{make}/**"])
    assert res.exit_code == 2 and "unknown field(s) ['make']" in res.output
