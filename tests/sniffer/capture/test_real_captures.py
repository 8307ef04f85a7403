"""Every real capture in ../shared reads completely, with tshark's frame count."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from v2gsniff.sniffer.capture import TruncatedCapture, open_capture, to_ethernet
from v2gsniff.sniffer.model import RawFrame

REAL = Path(__file__).resolve().parents[3].parent / "shared" / "captures" / "real"
TRUTH = REAL / "TRUTH.jsonl"
pytestmark = pytest.mark.skipif(not TRUTH.is_file(), reason=f"shared test captures not found at {REAL}")


def truth() -> dict[str, dict]:  # type: ignore[type-arg]
    if not TRUTH.is_file():
        return {}
    rows = (json.loads(line) for line in TRUTH.read_text().splitlines() if line.strip())
    return {row["capture"]: row for row in rows}


CAPTURES = (
    sorted(p.name for p in REAL.glob("*") if p.suffix in (".pcapng", ".pcap", ".dump"))
    if REAL.is_dir()
    else []
)


def read(path: Path) -> tuple[list[RawFrame], str | None]:
    frames: list[RawFrame] = []
    error = None
    with open_capture(path) as r:
        try:
            for item in r:
                if isinstance(item, RawFrame):
                    frames.append(item)
        except TruncatedCapture as err:
            error = str(err)
    return frames, error


@pytest.mark.parametrize("name", CAPTURES)
def test_frame_count_matches_truth(name: str) -> None:
    row = truth().get(name)
    if row is None:
        pytest.skip(f"{name} has no TRUTH.jsonl row")
    frames, error = read(REAL / name)
    assert len(frames) == row["counts"]["frames"]
    assert [f.index for f in frames] == list(range(1, len(frames) + 1))
    cut_short = any("cut short" in w for w in row.get("file_warnings", []))
    # tshark's "cut short in the middle of a packet" is our TruncatedCapture, after the same frames
    assert (error is not None) == cut_short, error
    if error:
        assert f"inside frame {len(frames) + 1}" in error or f"frame {len(frames) + 1}" in error
    assert all(to_ethernet(f) is not None for f in frames)  # all Ethernet, per the manifest


def test_all_truth_captures_are_present() -> None:
    assert set(truth()) <= set(CAPTURES)


@pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark is not installed")
@pytest.mark.parametrize(
    "name",
    [
        "dsV2Gshark__ISO-2_DC_DS5366.pcapng",
        "pyPLC__2026-02-08_pyPLC_FoccciCape_AudiQ4_break_after_cableCheck.pcap",
        "everest-logfiles__Audi_Q4_dc-iso2.dump",
    ],
)
def test_times_and_lengths_match_tshark(name: str) -> None:
    if not (REAL / name).is_file():
        pytest.skip(f"{name} not in shared captures")
    out = subprocess.run(
        [
            "tshark",
            "-r",
            str(REAL / name),
            "-T",
            "fields",
            "-e",
            "frame.time_epoch",
            "-e",
            "frame.cap_len",
            "-e",
            "frame.len",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    rows = [line.split("\t") for line in out.stdout.splitlines()]
    frames, _ = read(REAL / name)
    assert len(rows) == len(frames)
    for f, (t, cap, orig) in zip(frames, rows, strict=True):
        assert f.time == pytest.approx(float(t), abs=1e-6)
        assert (len(f.data), f.orig_len) == (int(cap), int(orig))


def test_bytes_match_scapy() -> None:
    scapy_utils = pytest.importorskip("scapy.utils")
    for name in (
        "dsV2Gshark__ISO-2_DC_PnC_TLS_Contract_DS5366_RiseV2G.pcapng",
        "everest-logfiles__Audi_Q4_dc-dinspec-1.dump",
    ):
        path = REAL / name
        if not path.is_file():
            pytest.skip(f"{name} not in shared captures")
        ours, _ = read(path)
        with scapy_utils.RawPcapReader(str(path)) as reader:
            theirs = list(reader)
        assert len(ours) == len(theirs)
        for f, (data, _meta) in zip(ours, theirs, strict=True):
            assert f.data == data
