"""Report inputs from real captures, built once per test run."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from tests.conftest import REAL
from tests.sniffer.sessions.real import sessions_of
from v2gsniff.sniffer.report import CaptureResult

ROOT = Path(__file__).resolve().parents[3]
GOLDEN = Path(__file__).parent / "golden"

GOLDEN_CAPTURES = (
    "dsV2Gshark__IEC61851_AC_PWM_Basic.pcapng",
    "dsV2Gshark__ISO-20_BPT_AC_DS5366_Josev.pcapng",
    "dsV2Gshark__ISO-20_TLS13_DC_DS5366_Josev.pcapng",
    "everest-logfiles__Hyundai_Kona_2017_din_spec_70121_kona1.dump",
    "everest-logfiles__Tesla_Model_Y_11.1_iso15118-2_2023-03-30T11-11-20.331Z-tesla_y-iso-not-supported.dump",
    "everest-logfiles__Tesla_Model_Y_11.1_din_spec_70121_2023-03-30T11-00-22.659Z-tesla_y-dinspec.dump",
    "everest-logfiles__VW_id.4_din_spec_70121_2023-04-14T09-57-59.260Z-id4pro-din-spec-with-discharge.dump",
    "pyPLC__2023-05-03_TaycanLeftside_slacFail.pcapng",
)
"""A small, varied set for the golden file: ISO-20 BPT and TLS 1.3, DIN, a failed handshake, a
discharge test, a SLAC failure and a capture without any HLC."""


@cache
def result_of(name: str) -> CaptureResult:
    sessions = sessions_of(name)
    v2g = sum(1 for s in sessions for p in s.phases if p.name not in ("SLAC", "SDP", "TLS"))
    return CaptureResult(str(REAL / name), name, sessions, 1, v2g)
