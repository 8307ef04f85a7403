"""``--cache``: a rerun decodes only new or changed captures and gives the identical report."""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import REAL, need_shared
from tests.sniffer.fleet.data import a_second_later, real_copies, recorded_earlier, simulated
from v2gsniff.sniffer.commands.report import report
from v2gsniff.sniffer.report import analyse_file, build, render_csv, render_html, render_markdown
from v2gsniff.sniffer.report.cache import AnalysisCache, analysis_version, from_entry, to_entry
from v2gsniff.sniffer.report.codec import decode, encode
from v2gsniff.sniffer.report.fleet import Analyse
from v2gsniff.sniffer.sessions import Session
from v2gsniff.sniffer.setup import AnalysisSetup
from v2gsniff.sniffer.simulate import simulate, write_pcapng


def _entries(cache: Path) -> dict[Path, int]:
    """The analysis entries (the index of locations apart)."""
    return {p: p.stat().st_mtime_ns for p in (cache / analysis_version()).rglob("*.json")}


def _run(folder: Path, cache: Path, *extra: str) -> tuple[str, str]:
    res = CliRunner().invoke(report, [str(folder), "--format", "json", "--cache", str(cache), *extra])
    assert res.exit_code == 0, res.output
    return res.stdout, res.stderr


def test_a_rerun_over_500_captures_decodes_none_and_a_changed_one_alone(tmp_path: Path) -> None:
    folder, cache = tmp_path / "caps", tmp_path / "cache"
    files = simulated(folder, 500, scenarios=("iso2-ac", "din-dc"))
    recorded_earlier(files)
    first, err = _run(folder, cache, "--jobs", "2")
    assert "500 captures read (500 decoded, 0 from cache), 0 failed, 0 read up to an error, 500 hashed" in err
    entries = _entries(cache)
    assert len(entries) == 500 and len(list((cache / "index").rglob("*.json"))) == 500

    second, err = _run(folder, cache)
    assert "500 captures read (0 decoded, 500 from cache), 0 failed, 0 read up to an error, 0 hashed" in err
    assert second == first
    assert _entries(cache) == entries, "no entry was written again"

    write_pcapng(simulate("din-dc", seed=9999, loops=4), files[7])  # same name, new content
    third, err = _run(folder, cache)
    assert "500 captures read (1 decoded, 499 from cache), 0 failed, 0 read up to an error, 1 hashed" in err
    now = _entries(cache)
    assert set(now) - set(entries) and len(now) == 501 and all(now[p] == entries[p] for p in entries)
    fresh = [s.to_json() for s in analyse_file(files[7]).sessions]
    assert [s for s in json.loads(third)["sessions"] if s["capture"] == files[7].name] == fresh
    unchanged = [s for s in json.loads(first)["sessions"] if s["capture"] != files[7].name]
    assert [s for s in json.loads(third)["sessions"] if s["capture"] != files[7].name] == unchanged


def test_a_same_size_rewrite_is_hashed_again_even_with_its_old_modification_time(tmp_path: Path) -> None:
    folder, cache = tmp_path / "caps", tmp_path / "cache"
    files = simulated(folder, 6, scenarios=("din-dc",))
    recorded_earlier(files)
    first, _ = _run(folder, cache)
    for n, keep_mtime in ((1, False), (4, True)):
        before = files[n].stat()
        files[n].write_bytes(a_second_later(files[n].read_bytes()))
        assert files[n].stat().st_size == before.st_size
        if keep_mtime:  # as cp -p or rsync -t would leave it: only the change time tells
            os.utime(files[n], ns=(before.st_atime_ns, before.st_mtime_ns))
        else:
            recorded_earlier([files[n]], 60)  # settled, with a new modification time
        out, err = _run(folder, cache)
        assert "6 captures read (1 decoded, 5 from cache), 0 failed, 0 read up to an error, 1 hashed" in err
        assert out != first and json.loads(out)["sessions"] == json.loads(
            CliRunner().invoke(report, [str(folder), "--format", "json"]).stdout)["sessions"]
        out, err = _run(folder, cache)
        assert "(0 decoded, 6 from cache)" in err and "0 hashed" in err, "known again once hashed"


def test_a_capture_modified_just_now_is_hashed_every_time_until_it_settles(tmp_path: Path) -> None:
    (capture,) = simulated(tmp_path / "caps", 1)  # written a moment ago: a second write could share its time
    cache = tmp_path / "cache"
    for decoded in (1, 0):
        _, err = _run(capture, cache)
        assert f"({decoded} decoded, {1 - decoded} from cache), 0 failed, 0 read up to an error, 1 hashed" in err
    assert not (cache / "index").exists()
    recorded_earlier([capture])
    for hashed in (1, 0):
        _, err = _run(capture, cache)
        assert f"(0 decoded, 1 from cache), 0 failed, 0 read up to an error, {hashed} hashed" in err


_OPENED: list[str] = []
_WATCH: list[str] = []


def _audit(event: str, args: tuple[object, ...]) -> None:
    if event == "open" and _WATCH and isinstance(args[0], str | Path) and str(args[0]).startswith(_WATCH[0]):
        _OPENED.append(str(args[0]))


def test_a_warm_run_opens_no_capture(tmp_path: Path) -> None:
    """Python's own audit events for ``open``: the warm run reads the index and entries, no capture."""
    folder, cache = tmp_path / "caps", tmp_path / "cache"
    files = simulated(folder, 8)
    recorded_earlier(files)
    cold, _ = _run(folder, cache)
    if not _WATCH:
        sys.addaudithook(_audit)  # hooks cannot be removed; it records only while _WATCH names a folder
    _WATCH[:] = [str(folder)]
    _OPENED.clear()
    try:
        warm, err = _run(folder, cache)
    finally:
        _WATCH.clear()
    assert warm == cold and "(0 decoded, 8 from cache)" in err
    assert _OPENED == []
    _WATCH[:] = [str(folder)]
    try:
        _run(folder, tmp_path / "another-cache")
    finally:
        _WATCH.clear()
    assert sorted(set(_OPENED)) == sorted(str(f) for f in files), "the hook does see captures being read"


def test_a_copy_under_another_name_is_a_hit_that_keeps_its_own_name(tmp_path: Path) -> None:
    folder, cache = tmp_path / "caps", tmp_path / "cache"
    (original,) = simulated(folder, 1)
    _run(folder, cache)
    copy = tmp_path / "other" / "renamed.pcapng"
    copy.parent.mkdir()
    copy.write_bytes(original.read_bytes())
    out, err = _run(copy.parent, cache)
    assert "(0 decoded, 1 from cache)" in err
    data = json.loads(out)
    assert [s["capture"] for s in data["sessions"]] == ["renamed.pcapng"]
    assert out == CliRunner().invoke(report, [str(copy.parent), "--format", "json"]).stdout


def test_another_analysis_version_does_not_see_the_entries(tmp_path: Path) -> None:
    (capture,) = simulated(tmp_path / "caps", 1)
    store = AnalysisCache(tmp_path / "cache")
    key = store.key(capture, None)
    store.put(key, to_entry(analyse_file(capture), None))
    assert store.get(key) is not None
    other = AnalysisCache(tmp_path / "cache")
    other.version = "0000000000000000"
    assert other.get(other.key(capture, None)) is None
    assert other.key(capture, None) != key


def test_the_label_is_part_of_the_key(tmp_path: Path) -> None:
    (capture,) = simulated(tmp_path / "caps", 1)
    cache = tmp_path / "cache"
    plain, _ = _run(capture, cache)
    labelled, err = _run(capture, cache, "--label", "Lab EV")
    assert "(1 decoded, 0 from cache)" in err
    assert json.loads(labelled)["vehicles"][0]["vehicle"]["label"] == "Lab EV"
    assert json.loads(plain)["vehicles"][0]["vehicle"]["label"] is None


def test_an_unreadable_entry_is_rebuilt(tmp_path: Path) -> None:
    (capture,) = simulated(tmp_path / "caps", 1)
    cache = tmp_path / "cache"
    first, _ = _run(capture, cache)
    (entry,) = cache.rglob("*.json")
    entry.write_text("{not json")
    again, err = _run(capture, cache)
    assert again == first and "(1 decoded, 0 from cache)" in err
    assert json.loads(entry.read_text())["format"] == "v2gsniff-capture/2"


def test_a_cut_off_capture_keeps_its_error_through_the_cache(tmp_path: Path) -> None:
    need_shared()
    name = "everest-logfiles__BYD_Atto3_2023-04-18T15-31-50.525Z-2_config-dc-iso2.dump"
    result = analyse_file(REAL / name)
    assert result.error and result.sessions and result.failure is not None
    back = from_entry(json.loads(json.dumps(to_entry(result, None))), result.path, result.capture)
    assert back.failure is not None and result.failure is not None
    assert (type(back.failure), str(back.failure)) == (type(result.failure), str(result.failure)), "its exit code"
    assert dataclasses.replace(back, failure=None) == dataclasses.replace(result, failure=None)


DEMO = Path(__file__).resolve().parents[3] / "captures"


@pytest.mark.parametrize("name", ["iso2_pnc.pcapng", "sap_no_common_protocol.pcapng", "iso20_tls13.pcapng"])
def test_pnc_sections_and_findings_come_back_exactly(name: str) -> None:
    result = analyse_file(DEMO / name)
    back = from_entry(json.loads(json.dumps(to_entry(result, None))), result.path, result.capture)
    assert back == result
    assert back.findings == result.findings and [s.pnc for s in back.sessions] == [s.pnc for s in result.sessions]


def test_a_warm_cache_keeps_pnc_verdicts_and_findings_in_the_report(tmp_path: Path) -> None:
    folder = tmp_path / "caps"
    folder.mkdir()
    for name in ("iso2_pnc.pcapng", "iso2_pnc.keys", "sap_no_common_protocol.pcapng"):
        (folder / name).write_bytes((DEMO / name).read_bytes())
    plain = CliRunner().invoke(report, [str(folder), "--format", "json"])
    assert plain.exit_code == 0, plain.output
    cold, err = _run(folder, tmp_path / "cache")
    assert "(2 decoded, 0 from cache)" in err
    warm, err = _run(folder, tmp_path / "cache")
    assert "(0 decoded, 2 from cache)" in err
    assert plain.stdout == cold == warm
    sessions = json.loads(warm)["sessions"]
    pnc = [s for s in sessions if s["capture"] == "iso2_pnc.pcapng"]
    assert pnc and pnc[0]["pnc"]["signatures"], "the PnC checks, from the cache"
    assert [f["rule"] for s in sessions if s["capture"] == "sap_no_common_protocol.pcapng" for f in s["findings"]]


def test_trust_roots_are_part_of_the_key(tmp_path: Path) -> None:
    roots = tmp_path / "roots.pem"
    roots.write_text("not yet a root")
    store = AnalysisCache(tmp_path / "cache")
    capture = DEMO / "iso2_pnc.pcapng"
    plain = store.key(capture, None)
    with_roots = store.key(capture, None, AnalysisSetup((str(roots),)))
    assert plain != with_roots
    roots.write_text("another root")
    assert store.key(capture, None, AnalysisSetup((str(roots),))) not in (plain, with_roots)


@pytest.mark.parametrize("name", sorted(p.name for p in REAL.glob("*") if p.suffix in (".pcapng", ".dump", ".pcap"))
                         if REAL.is_dir() else ["absent"])
def test_sessions_come_back_from_json_exactly(name: str) -> None:
    need_shared()
    for s in analyse_file(REAL / name).sessions:
        text = json.dumps(encode(s))
        back = decode(Session, json.loads(text))
        assert back == s
        assert json.dumps(back.to_json()) == json.dumps(s.to_json())


def test_entries_are_written_atomically(tmp_path: Path) -> None:
    (capture,) = simulated(tmp_path / "caps", 1)
    _run(capture, tmp_path / "cache")
    assert not [p for p in (tmp_path / "cache").rglob("*") if p.is_file() and not p.name.endswith(".json")]
    assert all(os.path.getsize(p) > 0 for p in (tmp_path / "cache").rglob("*.json"))


def test_outputs_without_plots_are_the_same_without_series(tmp_path: Path) -> None:
    need_shared()
    files = real_copies(tmp_path / "real") + simulated(tmp_path / "sim", 4)
    full = [Analyse()(f) for f in files]
    lean = [Analyse(series=False)(f) for f in files]
    assert all(not s.series for r in lean for s in r.sessions)
    assert sum(len(s.series) for r in full for s in r.sessions) > 1000
    assert render_markdown(build(lean)) == render_markdown(build(full))
    assert render_csv(build(lean)) == render_csv(build(full))
    assert render_html(build(lean), sessions="none") == render_html(build(full), sessions="none")


def test_check_from_a_warm_cache_gives_the_same_findings_and_status(tmp_path: Path) -> None:
    from v2gsniff.sniffer.commands.check import check

    plain = CliRunner().invoke(check, [str(DEMO), "--format", "jsonl"])
    assert plain.exit_code == 1 and plain.stdout, "the demo captures break error rules"
    args = [str(DEMO), "--format", "jsonl", "--cache", str(tmp_path / "cache")]
    cold, warm = CliRunner().invoke(check, args), CliRunner().invoke(check, args)
    assert "0 from cache" in cold.stderr and "(0 decoded, " in warm.stderr
    assert (cold.exit_code, cold.stdout) == (warm.exit_code, warm.stdout) == (plain.exit_code, plain.stdout)


def test_an_entry_with_a_value_only_the_json_module_reads_is_still_a_hit(tmp_path: Path) -> None:
    store = AnalysisCache(tmp_path)
    store.put("nan.json", {"value": float("nan"), "text": "ÄÖ"})  # json writes NaN; orjson will not read it
    entry = store.get("nan.json")
    assert entry is not None and entry["value"] != entry["value"] and entry["text"] == "ÄÖ"
