"""decode --sessions: every record carries the id of its charging session, the #N that 'sessions' gives."""

from __future__ import annotations

import json

from click.testing import CliRunner

from tests.conftest import REAL, need_shared
from v2gsniff.sniffer.commands.decode import decode
from v2gsniff.sniffer.commands.sessions import sessions

WESTPARK = "pyPLC__2023-04-19_westparkAlpi_pyPlc_lightbulb_1fail_1ok.pcapng"  # four sessions, one failed


def _rows(*args: str) -> list[dict[str, object]]:
    out = CliRunner().invoke(decode, ["--format", "jsonl", *args, str(REAL / WESTPARK)]).stdout
    return [json.loads(line) for line in out.splitlines()]


def test_records_and_findings_carry_the_session_the_sessions_command_lists() -> None:
    need_shared()
    listed = [json.loads(line) for line in
              CliRunner().invoke(sessions, ["--format", "jsonl", str(REAL / WESTPARK)]).stdout.splitlines()]
    by_stream = {stream: s["id"] for s in listed for stream in s["streams"]}
    assert len(set(by_stream.values())) >= 3
    rows = _rows("--sessions")
    v2g = [r for r in rows if r["kind"] == "v2g"]
    assert v2g and all(r["session"] == by_stream[r["stream"]] for r in v2g)
    # SLAC and SDP records: the session whose frames they fall in
    spans = [(s["first_frame"], s["last_frame"], s["id"]) for s in listed]
    for r in rows:
        if r["kind"] in ("sdp", "homeplug") and r["session"] is not None:
            assert any(a <= r["frame"] <= b and sid == r["session"] for a, b, sid in spans), r
    findings = {(f["rule"], f["frame"]): s["id"] for s in listed for f in s["findings"]}
    decoded = {(r["rule"], r["frame"]): r["session"] for r in rows if r["kind"] == "finding"}
    assert decoded == findings and findings


def test_without_the_option_records_are_as_before() -> None:
    need_shared()
    plain, tagged = _rows(), _rows("--sessions")
    assert all("session" not in r for r in plain if r["kind"] != "finding")
    strip = [{k: v for k, v in r.items() if k != "session"} for r in tagged]
    assert strip == [{k: v for k, v in r.items() if k != "session"} for r in plain]
