"""Honest aggregates: durations only of completed phases, every session's outcome in the matrix."""

from __future__ import annotations

import re

from tests.conftest import need_shared
from tests.sniffer.report.real import result_of
from v2gsniff.sniffer.report import build

# MANIFEST.md: "pyPLC as EVSE with Tesla Model Y; stops in PreCharge" / "... Polestar 2; stops in PreCharge".
STOPS_IN_PRECHARGE = ("pyPLC__2024-04-20_ModelY_pyPLC_stop_in_precharge.pcapng",
                      "pyPLC__2024-06-11_Griffigroen_polestar2_stop_in_precharge.pcapng")
# MANIFEST.md: "pyPLC as EV at Alpitronic (light-bulb load), 1 failed + 1 ok session".
ONE_FAIL_ONE_OK = "pyPLC__2023-04-19_westparkAlpi_pyPlc_lightbulb_1fail_1ok.pcapng"


def test_a_precharge_that_was_given_up_is_not_a_precharge_duration() -> None:
    need_shared()
    for name in STOPS_IN_PRECHARGE:
        (v,) = build([result_of(name)]).vehicles
        assert v.phase_seconds("PreCharge") == [], name
        assert len(v.phase_aborted_seconds("PreCharge")) == 1, name
        assert re.fullmatch(r"1 aborted after \d+\.\d s", v.phase_text("PreCharge")), v.phase_text("PreCharge")
        # CableCheck before it did complete: it counts.
        assert len(v.phase_seconds("CableCheck")) == 1 and "aborted" not in v.phase_text("CableCheck")


def test_a_failed_cablecheck_is_counted_apart_and_the_matrix_lists_every_session() -> None:
    need_shared()
    report = build([result_of(ONE_FAIL_ONE_OK)])
    v = next(v for v in report.vehicles if len(v.sessions) > 1 and v.phase_seconds("CableCheck"))
    failed = [s for s in v.sessions if s.first_failure and s.first_failure.message == "CableCheckRes"]
    assert len(failed) == 1, "the failed attempt: CableCheckRes with a FAILED code"
    assert len(v.phase_seconds("CableCheck")) == 1 and len(v.phase_aborted_seconds("CableCheck")) == 1
    assert re.fullmatch(r"\d+\.\d s, 1 aborted after \d+\.\d s", v.phase_text("CableCheck"))
    cells = [report.cell(v, c) for c in report.chargers if report.cell(v, c)]
    text = " ".join(cells)
    assert "1 failed in CableCheck" in text and "charged" in text
    counted = sum(int(n) for n in re.findall(r"(?:^|, |: )(\d+) ", text))
    assert counted == len(v.sessions), "every session's outcome is in the matrix"
