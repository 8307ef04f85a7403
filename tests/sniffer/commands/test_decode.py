"""``v2gsniff decode``: output format, exit codes and recovery from damaged files."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from tests.conftest import REAL, need_shared
from v2gsniff.sniffer.commands.decode import decode
from v2gsniff.sniffer.commands.exits import EXIT_NOT_A_CAPTURE, EXIT_NOT_FOUND, EXIT_TRUNCATED

CCS32 = "ccs32__2023-04-05_wt32_alpi_first_charge.pcapng"
REQUIRED = {"frame", "time", "kind", "name", "src", "dst", "fields", "error"}


def _jsonl(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_missing_file_has_its_own_exit_code(tmp_path: Path) -> None:
    res = CliRunner().invoke(decode, [str(tmp_path / "nope.pcap")])
    assert res.exit_code == EXIT_NOT_FOUND
    assert "nope.pcap" in res.output


def test_not_a_capture(tmp_path: Path) -> None:
    p = tmp_path / "x.pcap"
    p.write_text("<?xml version='1.0'?>")
    res = CliRunner().invoke(decode, [str(p)])
    assert res.exit_code == EXIT_NOT_A_CAPTURE
    assert "not a pcap or pcapng file" in res.output
    assert len(res.output.strip().splitlines()) == 1


def test_jsonl_records_have_the_documented_keys() -> None:
    need_shared()
    res = CliRunner().invoke(decode, ["--format", "jsonl", str(REAL / CCS32)])
    assert res.exit_code == 0, res.output
    rows = _jsonl(res.output)
    assert all(REQUIRED <= row.keys() for row in rows)
    names = [row["name"] for row in rows]
    assert names[:3] == ["VS_SW_VER.REQ", "VS_SW_VER.CNF", "CM_SLAC_PARM.REQ"]
    sdp = next(row for row in rows if row["name"] == "SDPResponse")
    assert sdp["fields"]["secc_port"] == 51110  # type: ignore[index]
    assert all(row["frame"] >= 1 for row in rows)  # type: ignore[operator]


def test_cut_off_file_decodes_every_complete_frame(tmp_path: Path) -> None:
    need_shared()
    whole = (REAL / CCS32).read_bytes()
    cut = tmp_path / "cut.pcapng"
    cut.write_bytes(whole[: len(whole) // 2])
    full = _jsonl(CliRunner().invoke(decode, ["--format", "jsonl", str(REAL / CCS32)]).output)
    res = CliRunner().invoke(decode, ["--format", "jsonl", str(cut)])
    assert res.exit_code == EXIT_TRUNCATED
    rows = _jsonl(res.stdout)
    assert "file ends inside" in res.stderr
    last = max(int(r["frame"]) for r in rows)  # type: ignore[call-overload]
    # every frame-level record before the cut is identical to the full decode
    before = [r for r in full if int(r["frame"]) <= last - 1 and r["kind"] in ("homeplug", "sdp")]  # type: ignore[call-overload]
    assert before == [r for r in rows if int(r["frame"]) <= last - 1 and r["kind"] in ("homeplug", "sdp")]  # type: ignore[call-overload]


def test_stdin_and_keys_redacted() -> None:
    need_shared()
    data = (REAL / CCS32).read_bytes()
    out = subprocess.run([sys.executable, "-c", "from v2gsniff.sniffer.cli import main; main()",
                          "decode", "--format", "jsonl", "-"], input=data, capture_output=True, check=True)
    rows = _jsonl(out.stdout.decode())
    match = next(r for r in rows if r["name"] == "CM_SLAC_MATCH.CNF")
    assert match["fields"]["nmk"] == "<redacted>"  # type: ignore[index]
    out = subprocess.run([sys.executable, "-c", "from v2gsniff.sniffer.cli import main; main()",
                          "decode", "--format", "jsonl", "--show-keys", "-"], input=data, capture_output=True,
                         check=True)
    match = next(r for r in _jsonl(out.stdout.decode()) if r["name"] == "CM_SLAC_MATCH.CNF")
    nmk = match["fields"]["nmk"]  # type: ignore[index]
    assert isinstance(nmk, str) and len(nmk) == 32 and nmk != "<redacted>"


def test_bystander_capture_is_explained() -> None:
    need_shared()
    name = "pyPLC__2025-01-21_listenMode_01_slow_and_only_broadcast_visible.pcapng"
    rows = _jsonl(CliRunner().invoke(decode, ["--format", "jsonl", str(REAL / name)]).output)
    findings = [r for r in rows if r["kind"] == "visibility"]
    assert len(findings) == 1 and "third modem" in str(findings[0]["error"] or findings[0]["fields"])
    full = _jsonl(CliRunner().invoke(decode, ["--format", "jsonl", str(REAL / CCS32)]).output)
    assert [r for r in full if r["kind"] == "visibility"] == []


def test_filter_selects_and_rejects_invalid_expressions() -> None:
    demo = Path(__file__).resolve().parents[3] / "captures" / "din_dc.pcapng"
    res = CliRunner().invoke(decode, ["--format", "jsonl", "--filter", "v2g and name ~ CurrentDemandReq$", str(demo)])
    rows = _jsonl(res.output)
    assert res.exit_code == 0 and rows
    assert {r["name"] for r in rows} == {"CurrentDemandReq"}
    bad = CliRunner().invoke(decode, ["--filter", "v2g and", str(demo)])
    assert bad.exit_code == 2 and "filter ends too early" in bad.output


def test_color_forces_colours_into_a_pipe_and_no_color_keeps_them_out() -> None:
    need_shared()
    runner = CliRunner(env={"NO_COLOR": "1"})  # --color is explicit: it wins over the environment
    forced = runner.invoke(decode, [str(REAL / CCS32), "--color"]).stdout
    assert forced.startswith("\x1b[") and forced.count("\x1b[") > 1000
    plain = CliRunner().invoke(decode, [str(REAL / CCS32)]).stdout
    assert "\x1b[" not in plain
    # The same lines, only coloured.
    assert re.sub(r"\x1b\[[0-9;]*m", "", forced) == plain


def test_jsonl_writes_a_v2g_integer_past_64_bits_exactly(tmp_path: Path) -> None:
    # A signed header's xmldsig HMACOutputLength is an unbounded xs:integer; orjson refuses 2**80.
    from v2gsniff.sniffer.simulate import write_pcapng
    from v2gsniff.sniffer.simulate.din import ISO2
    from v2gsniff.sniffer.simulate.link import Link
    from v2gsniff.sniffer.simulate.wire import Wire

    wire = Wire(3)
    link = Link(wire)
    link.sdp()
    link.connect()
    method = {"@Algorithm": "urn:x", "HMACOutputLength": 2**80}
    info = {"CanonicalizationMethod": {"@Algorithm": "urn:c"}, "SignatureMethod": method,
            "Reference": [{"DigestMethod": {"@Algorithm": "urn:d"}, "DigestValue": bytes(32)}]}
    link.send(True, ISO2, {"V2G_Message": {
        "Header": {"SessionID": bytes(8), "Signature": {"SignedInfo": info, "SignatureValue": bytes(64)}},
        "Body": {"SessionStopReq": {"ChargingSession": "Terminate"}}}})
    link.send(False, ISO2, {"V2G_Message": {"Header": {"SessionID": bytes(8)},
                                            "Body": {"SessionStopRes": {"ResponseCode": "OK"}}}})
    path = tmp_path / "wide.pcapng"
    write_pcapng(wire, path)
    res = subprocess.run([sys.executable, "-c", "from v2gsniff.sniffer.cli import main; main()",
                          "decode", "--format", "jsonl", str(path)],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0 and "Traceback" not in res.stderr, res.stderr
    rows = _jsonl(res.stdout)
    req = next(row for row in rows if row["name"] == "SessionStopReq")
    signature = req["body"]["V2G_Message"]["Header"]["Signature"]  # type: ignore[index]
    assert signature["SignedInfo"]["SignatureMethod"] == method
    assert type(signature["SignedInfo"]["SignatureMethod"]["HMACOutputLength"]) is int
    assert next(row for row in rows if row["name"] == "SessionStopRes")["error"] is None  # its neighbour
