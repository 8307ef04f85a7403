"""A SLAC attempt the capture's end cuts off is not a failed SLAC: link.no-slac-match judges an
attempt only once the EV gave up on it (a new RunID) or a later session began."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import REAL, need_shared
from v2gsniff.sniffer.report.collect import analyse_file

ROOT = Path(__file__).resolve().parents[3]

# Each ends while a new SLAC attempt is still sounding (two of them cut off mid-record).
CUT_DURING_SLAC = [
    "everest-logfiles__Opel_Mokka-E_iso_15118-2_AC_not_supported_2023-04-14T14-21-01.727Z-3_config-ac-iso2.dump",
    "everest-logfiles__VW_id.4_fw_3.5_2023-04-18T15-42-52.604Z-3_config-ac-iso2.dump",
    "everest-logfiles__Opel_Mokka-E_din_spec_70121_2023-04-14T14-18-09.853Z-1_config-dc-dinspec.dump",
]


def _no_match(path: Path) -> list[int]:
    return [f.frame for f in analyse_file(path).findings if f.rule == "link.no-slac-match"]


@pytest.mark.parametrize("name", CUT_DURING_SLAC)
def test_the_attempt_the_capture_cuts_is_not_judged(name: str) -> None:
    need_shared()
    assert _no_match(REAL / name) == []


def test_a_real_slac_failure_still_is() -> None:
    need_shared()
    assert _no_match(REAL / "pyPLC__2023-05-03_TaycanLeftside_slacFail.pcapng")


def test_a_capture_cut_in_the_middle_of_slac(tmp_path: Path) -> None:
    cut = tmp_path / "cut.pcapng"
    cut.write_bytes((ROOT / "captures" / "iso2_dc.pcapng").read_bytes()[:3000])  # frame 26, mid-SLAC
    result = analyse_file(cut)
    assert result.error and "file ends inside frame" in result.error
    assert result.sessions and not [f for f in result.findings if f.severity == "error"]
