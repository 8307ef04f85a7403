"""Every command speaks the README's exit codes (2 usage, 3 not found, 4 not a capture, 5 cut off,
6 corrupt), reads '-' as standard input where it takes a file, and names a bad file once."""

from __future__ import annotations

import os
import re
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import REAL, need_shared
from tests.sniffer.report.real import ROOT
from v2gsniff.sniffer.cli import main
from v2gsniff.sniffer.commands import exits

CCS32 = "ccs32__2023-04-05_wt32_alpi_first_charge.pcapng"
CLI = [sys.executable, "-c", "from v2gsniff.sniffer.cli import main; main()"]


def _damaged(kind: str, folder: Path) -> Path:
    """A file that is missing (3), not a capture (4), cut off mid-record (5) or corrupt (6)."""
    path = folder / f"{kind}.pcapng"
    if kind == "missing":
        return path
    if kind == "text":
        path.write_text("<?xml version='1.0'?><not-a-capture/>\n")
        return path
    need_shared()
    whole = (REAL / CCS32).read_bytes()
    if kind == "cut":
        path.write_bytes(whole[: len(whole) // 2])
        return path
    ends, off = [], 0
    while len(ends) < 4:  # keep four whole blocks, then an enhanced packet block of impossible length
        off += struct.unpack_from("<I", whole, off + 4)[0]
        ends.append(off)
    path.write_bytes(whole[: ends[-1]] + struct.pack("<II", 6, 13) + bytes(20))
    return path


CASES = [("missing", 3), ("text", 4), ("cut", 5), ("corrupt", 6)]


@pytest.mark.parametrize("command", ["decode", "sessions", "report"])
@pytest.mark.parametrize(("kind", "code"), CASES, ids=[c[0] for c in CASES])
def test_capture_commands_share_the_exit_codes(command: str, kind: str, code: int, tmp_path: Path) -> None:
    path = _damaged(kind, tmp_path)
    res = CliRunner().invoke(main, [command, str(path)])
    assert res.exit_code == code, res.output
    lines = [line for line in res.stderr.splitlines() if str(path) in line or path.name in line]
    assert lines, res.stderr
    assert all(line.count(path.name) == 1 for line in lines), f"the file is named once: {lines}"


@pytest.mark.parametrize(("kind", "code"), CASES[1:], ids=[c[0] for c in CASES[1:]])
def test_live_stdin_has_the_same_exit_codes(kind: str, code: int, tmp_path: Path) -> None:
    data = _damaged(kind, tmp_path).read_bytes()
    res = CliRunner().invoke(main, ["live", "-", "--no-tui", "--allow-root"], input=data)
    assert res.exit_code == code, res.output
    assert res.stderr.count("<stdin>") == 1


@pytest.mark.parametrize("command", ["sessions", "report"])
def test_dash_reads_a_capture_from_stdin(command: str) -> None:
    need_shared()
    data = (REAL / CCS32).read_bytes()
    res = CliRunner().invoke(main, [command, "-", *(["--format", "json"] if command == "report" else [])],
                             input=data)
    assert res.exit_code == 0, res.output
    assert "stdin" in res.stdout
    direct = CliRunner().invoke(main, [command, str(REAL / CCS32)])
    if command == "sessions":  # the same sessions, whatever the input is called
        assert [r.split("\t")[1:] for r in res.stdout.splitlines()] == \
            [r.split("\t")[1:] for r in direct.stdout.splitlines()]


def test_simulate_writes_to_stdout_and_says_why_it_cannot_write(tmp_path: Path) -> None:
    res = subprocess.run([*CLI, "simulate", "din-dc", "-o", "-"], capture_output=True, timeout=120)
    assert res.returncode == 0 and res.stdout[:4] == b"\x0a\x0d\x0d\x0a", "a pcapng on stdout"
    back = subprocess.run([*CLI, "sessions", "-"], input=res.stdout, capture_output=True, timeout=120)
    assert back.returncode == 0 and b"\tDIN\t" in back.stdout
    res2 = CliRunner().invoke(main, ["simulate", "din-dc", "-o", str(tmp_path / "no" / "such" / "x.pcapng")])
    assert res2.exit_code == 3 and "cannot write" in res2.stderr
    res3 = CliRunner().invoke(main, ["simulate", "no-such-scenario", "-o", str(tmp_path / "x.pcapng")])
    assert res3.exit_code == 2 and "unknown scenario" in res3.output


def test_ui_refuses_to_start_without_a_terminal(tmp_path: Path) -> None:
    need_shared()
    # Real pipes for stdin and stdout: the UI must say so once and exit 2, not paint escape codes.
    res = subprocess.run([*CLI, "open", str(REAL / CCS32)], capture_output=True, text=True, timeout=60,
                         stdin=subprocess.DEVNULL)
    assert res.returncode == 2
    assert res.stderr.strip() == ("v2gsniff: the terminal UI needs a terminal (standard input and output are not "
                                  "one); 'v2gsniff decode' prints the same captures as text")
    assert "\x1b[" not in res.stdout
    res = subprocess.run([*CLI, "live", "lo"], capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert res.returncode == 2 and "needs a terminal" in res.stderr and "--no-tui" in res.stderr


def test_live_stdin_without_a_terminal_prints_records(tmp_path: Path) -> None:
    need_shared()
    data = (REAL / CCS32).read_bytes()
    env = {**os.environ, "NO_COLOR": "1"}
    res = subprocess.run([*CLI, "live", "-", "--format", "jsonl", "--allow-root"], input=data, capture_output=True, timeout=120,
                         env=env)
    assert res.returncode == 0
    assert b"printing records (as with --no-tui)" in res.stderr
    records = [line for line in res.stdout.splitlines() if b'"kind":"finding"' not in line]
    assert len(records) == 908 and b"\x1b[" not in res.stdout


def test_extensionless_capture_in_a_folder_is_read_by_its_content(tmp_path: Path) -> None:
    need_shared()
    (tmp_path / "Hyundai" / "Kona").mkdir(parents=True)
    (tmp_path / "Hyundai" / "Kona" / "ethernet-traffic").write_bytes(
        (REAL / "everest-logfiles__Hyundai_Kona_2017_din_spec_70121_kona1.dump").read_bytes())
    (tmp_path / "Hyundai" / "Kona" / "notes").write_text("charged fine\n")
    res = CliRunner().invoke(main, ["sessions", str(tmp_path)])
    assert res.exit_code == 0, res.output
    rows = res.stdout.splitlines()[1:]
    assert len(rows) == 1 and rows[0].startswith("Hyundai/Kona/ethernet-traffic#1\t")


def _readme_table() -> dict[int, str]:
    """The README's exit-code sentence, code -> its first words."""
    text = (ROOT / "README.md").read_text()
    para = text[text.index("Exit codes, the same for every command:"):].split("\n\n", 1)[0].replace("\n", " ")
    return {int(code): words.strip() for code, words in re.findall(r"`(\d)` ([^,(;.]+)", para)}


def test_the_readmes_table_is_the_one_in_exits() -> None:
    table = _readme_table()
    assert table[0] == "success" and table[2] == "usage error" and table[1].startswith("the command's own verdict")
    assert (exits.EXIT_OK, exits.EXIT_FAILED, exits.EXIT_USAGE) == (0, 1, 2)
    assert (table[exits.EXIT_NOT_FOUND], table[exits.EXIT_NOT_A_CAPTURE], table[exits.EXIT_TRUNCATED],
            table[exits.EXIT_CORRUPT]) == ("file not found or unreadable", "not a pcap/pcapng file",
                                           "capture cut off mid-record", "corrupt capture structure")
    for code in (3, 4, 5, 6):  # and every capture command's --help says the same
        assert f"{code} {table[code].split()[0]}" in exits.EXIT_CODES_HELP


def _unreadable(kind: str, folder: Path) -> Path:
    """Missing (3), not a capture (4), or cut off (5) / corrupt (6) before its first frame."""
    path = folder / f"{kind}.pcap"
    if kind in ("missing", "text"):
        return _damaged(kind, folder)
    if kind == "cut":
        path.write_bytes(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1) + bytes(10))
    else:  # a pcapng section header, then a block shorter than any block can be
        shb = struct.pack("<IIIHHqI", 0x0A0D0D0A, 28, 0x1A2B3C4D, 1, 0, -1, 28)
        path = path.with_suffix(".pcapng")
        path.write_bytes(shb + struct.pack("<II", 6, 4) + bytes(8))
    return path


UNREAD = [("missing", 3), ("text", 4), ("cut", 5), ("corrupt", 6)]


@pytest.mark.parametrize("command", ["decode", "sessions", "report", "check", "export"])
@pytest.mark.parametrize(("kind", "code"), UNREAD, ids=[c[0] for c in UNREAD])
def test_a_capture_that_cannot_be_read_at_all(command: str, kind: str, code: int, tmp_path: Path) -> None:
    """Every command that reads captures, ``check`` and ``export`` included, gives the table's code."""
    path = _unreadable(kind, tmp_path)
    args = ["-o", str(tmp_path / "tables")] if command == "export" else []
    res = CliRunner().invoke(main, [command, str(path), *args])
    assert res.exit_code == code, res.output
    assert "Traceback" not in res.output


def test_export_exits_with_the_highest_code_of_its_inputs(tmp_path: Path) -> None:
    need_shared()
    cut = _damaged("cut", tmp_path)
    res = CliRunner().invoke(main, ["export", str(REAL / CCS32), str(cut), "-o", str(tmp_path / "t")])
    assert res.exit_code == 5, res.output
    assert (tmp_path / "t" / "sessions.parquet").exists()  # the tables are still written


@pytest.mark.parametrize(("kind", "code"), UNREAD[:2], ids=[c[0] for c in UNREAD[:2]])
def test_open_says_why_before_the_screen(kind: str, code: int, tmp_path: Path) -> None:
    from v2gsniff.tui.launch import run_open

    assert run_open([str(_unreadable(kind, tmp_path))], []) == code


def test_live_on_an_interface_that_does_not_exist_is_not_found() -> None:
    res = subprocess.run([*CLI, "live", "v2gsniff-no-such0", "--no-tui", "--allow-root", "--backend", "afpacket"],
                         capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert res.returncode == 3, res.stderr
    assert "v2gsniff-no-such0" in res.stderr and "Traceback" not in res.stderr


def test_exi_codes() -> None:
    bad = CliRunner().invoke(main, ["exi", "decode", "809a0211", "--schema", "din"])
    assert bad.exit_code == 1  # the command's own verdict: it did not decode
    missing = CliRunner().invoke(main, ["exi", "encode", "/nonexistent/msg.xml"])
    assert missing.exit_code == 3
    unknown = CliRunner().invoke(main, ["exi", "decode", "8000", "--schema", "nope"])
    assert unknown.exit_code == 2
