"""``export --format parquet``: the four tables read back with pyarrow and DuckDB, agree with the JSON
report row for row, carry real types, and answer the README's DuckDB questions correctly."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path
from statistics import median
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from tests.conftest import ROOT, need_shared
from tests.sniffer.decoded import decode_file
from tests.sniffer.fleet.data import CORRUPT, corrupt, real_copies, simulated
from tests.sniffer.sessions.real import sessions_of
from v2gsniff.sniffer.commands.export import export
from v2gsniff.sniffer.commands.report import report
from v2gsniff.sniffer.findings.registry import default_rules
from v2gsniff.sniffer.report import find_captures, parquet
from v2gsniff.sniffer.report.collect import capture_names
from v2gsniff.sniffer.report.fleet import Analyse
from v2gsniff.sniffer.report.parquet import ParquetExport
from v2gsniff.sniffer.report.tables import session_findings
from v2gsniff.sniffer.sessions.body import v2g_of

TABLES = ("sessions", "findings", "messages", "sap_offers")
V2G_PHASES_EXCLUDED = ("SLAC", "SDP", "TLS")


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, Any]]:
    """(captures, export folder, JSON report) over real, simulated and corrupt captures."""
    root = tmp_path_factory.mktemp("tables")
    real_copies(root / "caps" / "real")
    simulated(root / "caps" / "sim", 6, scenarios=("iso20-no-tls", "din-dc", "iso2-dc"))
    corrupt(root / "caps" / "bad")
    res = CliRunner().invoke(export, [str(root / "caps"), "-o", str(root / "out"), "--jobs", "2"])
    assert res.exit_code == CORRUPT, res.output  # written whole; the status is the worst input's, as report's
    rep = CliRunner().invoke(report, [str(root / "caps"), "--format", "json"])
    assert rep.exit_code == CORRUPT, rep.output
    return root / "caps", root / "out", json.loads(rep.stdout)


def test_row_counts_equal_the_json_report(exported: tuple[Path, Path, dict[str, Any]]) -> None:
    _, out, data = exported
    sessions = data["sessions"]
    expected = {
        "sessions": len(sessions),
        "findings": sum(len(s["findings"]) for s in sessions),
        "messages": sum(p["messages"] for s in sessions for p in s["phases"] if p["name"] not in V2G_PHASES_EXCLUDED),
        "sap_offers": sum(len(h["offers"]) for s in sessions for h in s["handshakes"]),
    }
    assert expected["findings"] >= 3 and expected["messages"] > 5_000
    for name in TABLES:
        path = out / f"{name}.parquet"
        assert pq.read_table(path).num_rows == expected[name], name
        assert duckdb.sql(f"SELECT count(*) FROM '{path}'").fetchall() == [(expected[name],)]
    # Every session of the report is one row, keyed the way the report names sessions.
    keys = duckdb.sql(f"SELECT capture || '#' || session FROM '{out}/sessions.parquet'").fetchall()
    assert sorted(k for (k,) in keys) == sorted(f"{s['capture']}#{s['id']}" for s in sessions)
    vehicle_of = {sid: v["key"] for v in data["vehicles"] for sid in v["sessions"]}
    rows = duckdb.sql(f"SELECT capture || '#' || session, vehicle_key FROM '{out}/sessions.parquet'").fetchall()
    assert dict(rows) == vehicle_of


def test_types_are_timestamps_and_floats(exported: tuple[Path, Path, dict[str, Any]]) -> None:
    _, out, data = exported
    ts = pa.timestamp("us", tz="UTC")
    sessions = pq.read_schema(out / "sessions.parquet")
    assert sessions.field("start").type == ts and sessions.field("end").type == ts
    assert sessions.field("duration_s").type == pa.float64() and sessions.field("cablecheck_s").type == pa.float64()
    assert sessions.field("session").type == pa.int64() and sessions.field("tls_decryptable").type == pa.bool_()
    assert sessions.field("sap_offers").type == pa.list_(pa.string())
    messages = pq.read_schema(out / "messages.parquet")
    assert messages.field("time").type == ts and messages.field("frame").type == pa.int64()
    assert messages.field("evse_present_voltage").type == pa.float64() and messages.field("soc").type == pa.float64()
    assert pq.read_schema(out / "findings.parquet").field("evidence").type == pa.list_(pa.int64())
    kinds = dict(duckdb.sql(f"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM "
                            f"'{out}/messages.parquet')").fetchall())
    assert kinds["time"] == "TIMESTAMP WITH TIME ZONE" and kinds["ev_target_current"] == "DOUBLE"
    # Times are the sessions' own (epoch seconds of the JSON report, to the microsecond).
    first = min(data["sessions"], key=lambda s: (s["capture"], s["id"]))
    [(start,)] = duckdb.sql(f"SELECT epoch_us(start) FROM '{out}/sessions.parquet' ORDER BY capture, session "
                            "LIMIT 1").fetchall()
    assert start == round(first["start"] * 1_000_000)


def test_message_values_are_the_plotted_series(exported: tuple[Path, Path, dict[str, Any]]) -> None:
    _, out, data = exported
    s = next(s for s in data["sessions"] if s["capture"].startswith("real/everest-logfiles__Hyundai_Kona"))
    rows = duckdb.sql(f"SELECT frame, evse_present_voltage FROM '{out}/messages.parquet' WHERE capture = "
                      f"'{s['capture']}' AND session = {s['id']} AND evse_present_voltage IS NOT NULL").fetchall()
    series = [(p["frame"], p["evse_present_voltage"]) for p in s["series"] if "evse_present_voltage" in p]
    assert rows == series and len(rows) > 50


def test_findings_are_the_shared_model(exported: tuple[Path, Path, dict[str, Any]]) -> None:
    _, out, data = exported
    rows = sorted(duckdb.sql(f"SELECT capture, session, rule, severity, side, requirement, frame, text "
                             f"FROM '{out}/findings.parquet'").fetchall())
    expected = sorted((s["capture"], s["id"], f["rule"], f["severity"], f["side"], f["requirement"], f["frame"],
                       f["text"]) for s in data["sessions"] for f in s["findings"])
    assert rows == expected and rows, "one row per finding of the JSON report"
    assert {r[2] for r in rows} <= {r.id for r in default_rules()}, "only declared rules"


def test_session_findings_are_the_sessions_own() -> None:
    need_shared()
    (s,) = sessions_of("dsV2Gshark__ISO-20_BPT_AC_DS5366_Josev.pcapng")
    found = session_findings(s)
    assert found == s.findings
    handshake = s.handshakes[0]
    tls = [(f.rule, f.session, f.frame) for f in found if f.rule.startswith("tls.")]
    assert tls == [("tls.iso20-offer", s.id, handshake.req_frame), ("tls.iso20-select", s.id, handshake.res_frame)]
    assert len([f for f in found if f.rule.startswith("tls.")]) == len(s.tls.findings), "no duplicate"


def test_export_on_a_dask_cluster_writes_the_same_files(exported: tuple[Path, Path, dict[str, Any]],
                                                         tmp_path: Path) -> None:
    caps, out, _ = exported
    res = CliRunner().invoke(export, [str(caps), "-o", str(tmp_path), "--dask", "local", "--jobs", "2"])
    assert res.exit_code == CORRUPT, res.output
    for name in TABLES:
        assert (tmp_path / f"{name}.parquet").read_bytes() == (out / f"{name}.parquet").read_bytes(), name


def test_rows_do_not_depend_on_the_order_results_arrive(exported: tuple[Path, Path, dict[str, Any]],
                                                         tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Workers finish in any order: the spool takes each capture as it comes, the files do not change."""
    caps, out, _ = exported
    files, _ = find_captures([caps])
    names = capture_names(files, [caps])
    results = [Analyse(messages=True, series=False)(f, None, n) for f, n in zip(files, names, strict=True)]
    monkeypatch.setattr(parquet, "ROW_GROUP", 2000)  # several row groups of messages
    written = {}
    for how, order in (("forward", list(range(len(files)))), ("backward", list(reversed(range(len(files)))))):
        tables = ParquetExport(tmp_path / how, names)
        kept = {i: tables.add(i, results[i]) for i in order}
        assert all(r.messages is None and all(len(s.phases) <= 1 and not s.series for s in r.sessions)  # type: ignore[attr-defined]
                   for r in kept.values()), "the client keeps identities; the rows are on disk"
        written[how] = tables.finish([kept[i] for i in range(len(files))])
        assert sorted(p.name for p in (tmp_path / how).iterdir()) == sorted(f"{t}.parquet" for t in TABLES)
    assert written["forward"] == written["backward"]
    for name in TABLES:
        forward = (tmp_path / "forward" / f"{name}.parquet").read_bytes()
        assert forward == (tmp_path / "backward" / f"{name}.parquet").read_bytes(), name
        assert pq.read_table(tmp_path / "forward" / f"{name}.parquet").equals(pq.read_table(out / f"{name}.parquet"))
    meta = pq.ParquetFile(tmp_path / "forward" / "messages.parquet").metadata
    sizes = [meta.row_group(k).num_rows for k in range(meta.num_row_groups)]
    assert len(sizes) > 1 and all(n >= 2000 for n in sizes[:-1]), "a row group once ROW_GROUP rows are in"


def test_export_notes_the_same_captures_as_the_report(tmp_path: Path) -> None:
    caps = tmp_path / "caps"
    simulated(caps, 3, scenarios=("slac-no-match", "din-dc", "sap-no-common-protocol"))
    corrupt(caps)
    exp = CliRunner().invoke(export, [str(caps), "-o", str(tmp_path / "out"), "--jobs", "2"])
    rep = CliRunner().invoke(report, [str(caps), "--format", "json"])
    notes = [line for line in rep.stderr.splitlines() if line.startswith("v2gsniff: ")]
    assert any("no V2G traffic (SLAC only)" in line for line in notes) and len(notes) >= 4
    assert exp.stderr.splitlines()[:-1] == notes, "the same notes and summary, then the rows written"


def _queries() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"<!-- duckdb -->\n```sql\n(.*?)```", text, re.S)


def _name(v: dict[str, Any]) -> str:
    return v["label"] or " ".join(x for x in (v["brand"], v["model"]) if x) or v["evccid"] or v["pev_mac"] \
        or "unknown vehicle"


def test_readme_questions(exported: tuple[Path, Path, dict[str, Any]]) -> None:
    caps, out, data = exported
    charge_loop, cable_check, findings = (duckdb.sql(q.replace("'out/", f"'{out}/")).fetchall() for q in _queries())

    # 1. Share of sessions per brand that reached the charge loop, from the JSON report's phases.
    per: dict[str, list[bool]] = defaultdict(list)
    for s in data["sessions"]:
        per[s["vehicle"]["brand"] or _name(s["vehicle"])].append(any(p["name"] == "ChargeLoop" for p in s["phases"]))
    assert {b: (n, r) for b, n, r in charge_loop} == {b: (len(x), round(sum(x) / len(x), 3)) for b, x in per.items()}

    # 2. CableCheck request -> response times per charger, from the decoder's records directly.
    charger = {}
    for v in data["vehicles"]:
        for sid in v["sessions"]:
            charger[sid] = v["chargers"]
    waits: dict[str, list[float]] = defaultdict(list)
    for s in data["sessions"]:
        streams = set(s["streams"])
        records, _ = decode_file(next(caps.rglob(s["capture"])))
        last: dict[int, Any] = {}
        for r in records:
            v = v2g_of(r)
            if v is None or v.stream not in streams:
                continue
            prev = last.get(v.stream)
            if prev is not None and prev.name == "CableCheckReq" and v.name == "CableCheckRes":
                name = next(c for c in charger[f"{s['capture']}#{s['id']}"])
                waits[name].append(round(v.time * 1e6) - round(prev.time * 1e6))
            last[v.stream] = v
    assert waits, "some captures have a CableCheck"
    assert {c: (n, med) for c, n, med, _ in cable_check} == {
        c: (len(w), round(median(w) / 1000, 1)) for c, w in waits.items()}
    assert [c for c, *_ in cable_check] == sorted(waits, key=lambda c: (-round(median(waits[c]) / 1000, 1), c))

    # 3. Findings by rule and side, counted from the JSON report.
    sides = Counter(f["side"] for s in data["sessions"] for f in s["findings"])
    assert sum(n for *_, n, _ in findings) == sum(sides.values()) > 0
    for side in ("ev", "evse"):
        assert sum(n for _, s, _, n, _ in findings if s == side) == sides[side]


def test_without_pyarrow_export_says_what_to_install(tmp_path: Path) -> None:
    code = ("import sys; sys.modules['pyarrow'] = None\n"
            "from v2gsniff.sniffer.commands.export import export\n"
            f"export.main([{str(ROOT / 'captures')!r}, '-o', {str(tmp_path)!r}])")
    proc = subprocess.run([sys.executable, "-P", "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2  # a usage error: the option cannot be used
    assert "--format parquet needs pyarrow: pip install 'v2gsniff[parquet]'" in proc.stderr


def test_an_export_without_sessions_has_every_column(tmp_path: Path) -> None:
    (junk, _) = corrupt(tmp_path / "bad")
    res = CliRunner().invoke(export, [str(junk), "-o", str(tmp_path / "out")])
    assert res.exit_code == 4, res.output  # not a capture; the tables are written all the same
    assert "cannot read" in res.stderr
    for name in TABLES:
        assert pq.read_table(tmp_path / "out" / f"{name}.parquet").num_rows == 0
    assert "brand" in pq.read_schema(tmp_path / "out" / "sessions.parquet").names
    for query in _queries():
        assert duckdb.sql(query.replace("'out/", f"'{tmp_path}/out/")).fetchall() == []


def test_no_spool_is_left_behind_when_there_is_nothing_to_export(tmp_path: Path) -> None:
    res = CliRunner().invoke(export, [str(tmp_path / "absent"), "-o", str(tmp_path / "out")])
    assert res.exit_code == 3 and "no captures to export" in res.stderr
    assert list((tmp_path / "out").iterdir()) == []
