"""``v2gsniff live`` through click's CliRunner: stdin streams, the UI entry point, errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tests.conftest import REAL
from v2gsniff.sniffer.capture import open_capture
from v2gsniff.sniffer.capture.live import LinkEvent
from v2gsniff.sniffer.commands import live as live_module
from v2gsniff.sniffer.commands.decode import decode
from v2gsniff.sniffer.commands.live import live
from v2gsniff.sniffer.model import DecryptionSecrets, RawFrame

CAPTURE = REAL / "ccs32__2023-04-05_wt32_alpi_first_charge.pcapng"


def _live(args: list[str], **kwargs: Any) -> Any:
    """``live`` in this process. Dropping privileges here would drop the test runner's, so as
    root it runs with --allow-root and without sudo's variables (test_privsep.py covers the drop)."""
    runner = CliRunner(env={"SUDO_UID": None, "SUDO_GID": None})
    return runner.invoke(live, [*args, "--allow-root"], **kwargs)


def _capture_bytes() -> bytes:
    if not CAPTURE.exists():
        pytest.skip("../shared/captures/real is absent (the real captures live beside the repository)")
    return CAPTURE.read_bytes()


class _EntryPoint:
    def __init__(self, name: str, func: Any) -> None:
        self.name, self._func = name, func

    def load(self) -> Any:
        return self._func


def _with_ui(monkeypatch: pytest.MonkeyPatch, func: Any | None) -> None:
    eps = [_EntryPoint("live", func)] if func is not None else []
    monkeypatch.setattr(live_module, "entry_points", lambda group: eps if group == "v2gsniff.ui" else [])


def test_without_the_ui_it_says_use_no_tui(monkeypatch: pytest.MonkeyPatch) -> None:
    _with_ui(monkeypatch, None)
    monkeypatch.setattr(live_module.exits, "has_terminal", lambda stdin_needed=True: True)
    result = _live(["-"], input=b"")
    assert result.exit_code == 2
    assert "the terminal UI is not installed; use --no-tui" in result.output


def test_ui_entry_point_gets_the_feed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    data = _capture_bytes()
    calls: list[dict[str, Any]] = []

    def run_live(source: Any, *, title: str, keylog_paths: list[str], write: Any, setup: Any) -> int:
        items = list(source)
        calls.append({"title": title, "keylog_paths": keylog_paths, "write": write, "items": items, "setup": setup})
        return 0

    _with_ui(monkeypatch, run_live)
    # CliRunner's streams are no terminal; the UI here is a stand-in, so say there is one (the
    # real refusal without a terminal is tested in test_exit_codes.py with real pipes).
    monkeypatch.setattr(live_module.exits, "has_terminal", lambda stdin_needed=True: True)
    monkeypatch.setattr(live_module, "_keys_from_terminal", lambda: None)
    keys = tmp_path / "keys.log"
    keys.write_text("CLIENT_RANDOM " + "11" * 32 + " " + "22" * 48 + "\n")
    out = tmp_path / "rec.pcapng"
    result = _live(["-", "--keylog", str(keys), "--write", str(out)], input=data)
    assert result.exit_code == 0, result.output
    (call,) = calls
    assert call["title"] == "stdin" and call["keylog_paths"] == [str(keys)]
    assert call["setup"].trust == () and call["setup"].oem_key is None
    assert call["write"] is not None
    frames = [i for i in call["items"] if isinstance(i, RawFrame)]
    assert len(frames) == 1427 and frames[0].index == 1
    assert any(isinstance(i, DecryptionSecrets) for i in call["items"])
    assert not any(isinstance(i, LinkEvent) for i in call["items"])
    recorded = [f for f in open_capture(out) if isinstance(f, RawFrame)]
    assert [f.data for f in recorded] == [f.data for f in frames]


def test_stdin_no_tui_jsonl_equals_decode() -> None:
    data = _capture_bytes()
    runner = CliRunner()
    got = _live(["-", "--no-tui", "--format", "jsonl"], input=data)
    want = runner.invoke(decode, ["--format", "jsonl", str(CAPTURE)])
    assert got.exit_code == 0 and want.exit_code == 0
    rows = [json.loads(line) for line in got.stdout.splitlines()]
    assert rows == [json.loads(line) for line in want.stdout.splitlines()]
    assert "1427 frames" in got.stderr


def test_stdin_ring_files(tmp_path: Path) -> None:
    data = _capture_bytes()
    result = _live(["-", "--no-tui", "--write", str(tmp_path / "ring.pcapng"),
                                       "--ring", "3", "--ring-size", "0.05"], input=data)
    assert result.exit_code == 0, result.output
    files = sorted(tmp_path.glob("ring_*.pcapng"))
    assert len(files) == 3
    frames = [f for path in files for f in open_capture(path) if isinstance(f, RawFrame)]
    assert 0 < len(frames) < 1427  # the oldest files were rotated away
    assert all(path.stat().st_size <= 50_000 for path in files)


def test_cut_off_stdin_stream_exits_5_after_decoding_what_came() -> None:
    data = _capture_bytes()[:100_000]
    result = _live(["-", "--no-tui", "--format", "jsonl"], input=data)
    assert result.exit_code == 5
    assert result.stdout.count("\n") > 50
    assert "<stdin>:" in result.stderr


def test_usage_errors() -> None:
    result = _live(["-", "--no-tui", "--ring", "3"], input=b"")
    assert result.exit_code == 2 and "--ring needs --write" in result.output
    result = _live(["no-such-if0", "--no-tui"])
    assert result.exit_code == 3
    assert "cannot open no-such-if0: there is no such network interface" in result.stderr
    result = _live(["-", "--no-tui"], input=b"hello world")
    assert result.exit_code == 4


def test_no_tui_verifies_plug_and_charge_chains_against_the_roots_given(tmp_path: Path) -> None:
    from tests.sniffer.pnc.test_simulated import SEED, capture
    from v2gsniff.sniffer.simulate.pki import SimPki

    data = capture(tmp_path).read_bytes()
    roots = tmp_path / "roots.pem"
    roots.write_bytes(SimPki.generate(SEED).roots_pem())

    def verdicts(*options: str) -> list[str]:
        result = _live(["-", "--no-tui", "--format", "jsonl", *options], input=data)
        assert result.exit_code == 0, result.output
        rows = [json.loads(line) for line in result.stdout.splitlines()]
        return [c["verdict"].split(" DC=")[0] for r in rows for c in r.get("chains", [])]

    # the SECC's, OEM, provisioning and contract chains (twice): no roots, no trust
    assert sorted(set(verdicts())) == ["verified up to an untrusted issuer", "verified up to an untrusted root"]
    assert verdicts("--trust", str(roots)) == ["verified to the trusted root"] * 5
    bad = _live(["-", "--no-tui", "--oem-key", str(roots)], input=data)  # a certificate, not a key
    assert bad.exit_code == 2 and "--oem-key" in bad.output
