"""timing.cp-state on real dSPACE captures, which carry the control-pilot state: every real session
keeps the CP timers; the same capture with the EV's return to state B reported later breaks them."""

from __future__ import annotations

import pytest

from tests.conftest import REAL, need_shared
from tests.sniffer.decoded import decode_file
from v2gsniff.sniffer.findings.check import FindingsCheck
from v2gsniff.sniffer.findings.cp import cp_letter
from v2gsniff.sniffer.model import Record

DC = "dsV2Gshark__ISO-2_DC_DS5366.pcapng"
WITH_CP = [DC, "dsV2Gshark__ISO-2_AC_DS5366.pcapng", "dsV2Gshark__DIN_DC_DS5366_Josev.pcapng",
           "dsV2Gshark__ISO-20_BPT_AC_DS5366_Josev.pcapng", "dsV2Gshark__ISO-20_TLS13_DC_DS5366_Josev.pcapng"]


def _cp_findings(records: list[Record]) -> list[tuple[int, str]]:
    check = FindingsCheck()
    found = [f for r in records for f in check.feed(r)] + check.finish()
    return [(f.frame, f.text) for f in found if f.rule == "timing.cp-state"]


@pytest.mark.parametrize("name", WITH_CP)
def test_real_sessions_switch_the_control_pilot_in_time(name: str) -> None:
    need_shared()
    records = list(decode_file(REAL / name)[0])
    assert any(cp_letter(r.fields.get("cp_state")) for r in records if r.kind == "homeplug")  # the CP is there
    assert _cp_findings(records) == []


def test_the_ev_returning_to_b_late_after_power_delivery_stop() -> None:
    need_shared()
    records = list(decode_file(REAL / DC)[0])
    # PowerDeliveryReq(Stop) 2050, its response 2053, and the test system reports B2 at 2055, 26 ms later
    res = next(r for r in records if r.frame == 2053)
    assert res.name == "PowerDeliveryRes"
    b2 = next(i for i, r in enumerate(records) if r.frame == 2055)
    assert str(records[b2].fields["cp_state"]).startswith("B2") and records[b2].time - res.time < 0.05
    records[b2] = records[b2]._replace(time=res.time + 0.4)  # the same report, 400 ms after the response
    (finding,) = _cp_findings(records)
    assert finding[0] == 2055 and "400 ms after PowerDeliveryRes (frame 2053) asked for B" in finding[1]
