"""A capture that began in the middle of a session (a long charge caught late): no SYN, so which side
of a TCP connection is the EV is a guess (who spoke first) until the first decoded message settles
it; its records must then say the same directions as the whole capture, whose SYN was seen."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import REAL, need_shared
from v2gsniff.sniffer.capture import open_capture
from v2gsniff.sniffer.capture.writer import PcapngWriter
from v2gsniff.sniffer.engine import decode_file
from v2gsniff.sniffer.model import RawFrame, Record

CAPTURES = Path(__file__).resolve().parents[2] / "captures"
AUDI = "everest-logfiles__Audi_Q4_dc-dinspec-1.dump"


def from_frame(src: Path, dst: Path, first: int) -> Path:
    """``src`` from frame ``first`` on."""
    with open_capture(src) as reader, PcapngWriter(dst) as out:
        for f in reader:
            if type(f) is RawFrame and f.index >= first:
                out.write_frame(f.data, f.time)
    return dst


def directions(records: list[Record]) -> list[tuple[float, str, str]]:
    return [(r.time, r.name, r.extra["dir"]) for r in records if r.kind in ("v2g", "tcp", "gap")]


def _check(src: Path, tmp_path: Path, nth: int) -> None:
    whole, _ = decode_file(src)
    responses = [r for r in whole if r.kind == "v2g" and r.name.endswith("Res")]
    first = responses[nth].frame  # the capture begins with the charger speaking: the guess is wrong
    late, _ = decode_file(from_frame(src, tmp_path / "late.pcapng", first))
    expected = [d for d in directions(whole) if d[0] >= responses[nth].time]
    assert directions(late) == expected
    assert any(d[2] == "evse->ev" for d in expected) and any(d[2] == "ev->evse" for d in expected)


@pytest.mark.parametrize("name", ["iso2_dc", "din_dc", "iso20_dc_bpt_dynamic", "iso2_ac"])
@pytest.mark.parametrize("nth", [3, 20])
def test_directions_of_a_capture_that_began_with_the_charger_speaking(tmp_path: Path, name: str, nth: int) -> None:
    _check(CAPTURES / f"{name}.pcapng", tmp_path, nth)


def test_directions_of_a_real_car_caught_in_the_charge_loop(tmp_path: Path) -> None:
    need_shared()
    _check(REAL / AUDI, tmp_path, 40)
