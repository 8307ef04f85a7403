"""Sessions of the real captures against the independent reference (TRUTH.jsonl) and MANIFEST.md."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import need_shared, real_captures, truth
from tests.sniffer.sessions.real import sessions_of
from v2gsniff.sniffer.sessions import BPT_OUTCOMES, PHASES

DISCHARGE_TESTS = [
    "everest-logfiles__Porsche_Taycan_4S_din-spec-70121_2023-04-11T13-06-54.809Z-taycan-discharge-test.dump",
    "everest-logfiles__VW_id.3_din_spec_70121_2023-04-14T12-53-04.615Z-id3pure-dinspec-discharge.dump",
    "everest-logfiles__VW_id.4_din_spec_70121_2023-04-14T09-57-59.260Z-id4pro-din-spec-with-discharge.dump",
]
BPT_AC = "dsV2Gshark__ISO-20_BPT_AC_DS5366_Josev.pcapng"
TLS13 = "dsV2Gshark__ISO-20_TLS13_DC_DS5366_Josev.pcapng"


def _offers(offers: Any) -> list[tuple[str, int, int, int, int]]:
    rows = [(o["namespace"], o["version_major"], o["version_minor"], o["schema_id"], o["priority"]) for o in offers]
    return sorted(rows, key=lambda r: r[4])


@pytest.mark.parametrize("name", real_captures() or ["(no captures)"])
def test_supported_app_protocol_matches_truth(name: str) -> None:
    """Every SupportedAppProtocol exchange: offers in priority order, response code, chosen protocol."""
    need_shared()
    expected = truth()[name]["sap_per_connection"]
    seen = [h for s in sessions_of(name) for h in s.handshakes]
    assert len(seen) == len(expected), [h.req_frame for h in seen]
    for hs, exp in zip(sorted(seen, key=lambda h: h.req_frame), sorted(expected, key=lambda e: e["req"]["frame"]),
                       strict=True):
        assert hs.req_frame == exp["req"]["frame"]
        assert [(o.namespace, o.version_major, o.version_minor, o.schema_id, o.priority) for o in hs.offers] == \
            _offers(exp["req"]["offers"])
        assert [o.priority for o in hs.offers] == sorted(o.priority for o in hs.offers)
        res = exp["res"]
        if res is None:
            assert hs.res_frame is None and hs.response_code is None
        else:
            assert (hs.res_frame, hs.response_code) == (res["frame"], res["response_code"])
            if res["schema_id"] is not None:
                assert hs.schema_id == res["schema_id"]
        assert hs.negotiated_namespace == exp["negotiated_namespace"]


@pytest.mark.parametrize("name", real_captures() or ["(no captures)"])
def test_session_invariants(name: str) -> None:
    need_shared()
    sessions = sessions_of(name)
    assert [s.id for s in sessions] == list(range(1, len(sessions) + 1))
    for s in sessions:
        assert s.capture == name
        assert s.bpt_outcome in BPT_OUTCOMES
        assert s.ended_by is not None, "finish() settles how every session ended"
        assert s.first_frame <= s.last_frame and s.start <= s.end
        for phase in s.phases:
            assert phase.name in PHASES and phase.first_frame <= phase.last_frame and phase.duration >= 0
        assert [p.frame for p in s.series] == sorted(p.frame for p in s.series)
        if s.negotiated_namespace:
            assert s.sap_response_code and s.sap_response_code.startswith("OK")
            assert s.negotiated_namespace in [o.namespace for o in s.sap_offers]


def test_captures_without_v2g_give_no_protocol() -> None:
    need_shared()
    assert sessions_of("dsV2Gshark__IEC61851_AC_PWM_Basic.pcapng") == ()
    (slac_fail,) = sessions_of("pyPLC__2023-05-03_TaycanLeftside_slacFail.pcapng")
    assert slac_fail.last_phase == "SLAC" and slac_fail.bpt_outcome == "handshake-failed"
    assert slac_fail.first_failure is not None and slac_fail.first_failure.code == "no SLAC match"


@pytest.mark.parametrize("name", DISCHARGE_TESTS)
def test_everest_discharge_tests_are_din_iso2_without_bpt(name: str) -> None:
    """MANIFEST: 'discharge/bidirectional test over DC (EVerest V2X hack, not ISO-20 BPT)'.

    The sessions agree only DIN/ISO-2, so the outcome is protocol-without-bpt. The EVSE reports
    present currents >= 0 A throughout these captures, so no non-standard discharge is visible in
    the V2G traffic itself and the flag must stay off (it is not guessed from file names).
    """
    need_shared()
    main = max(sessions_of(name), key=lambda s: len(s.series))
    assert main.protocol in ("din", "iso2")
    assert main.bpt_outcome == "protocol-without-bpt"
    assert main.bpt.min_current is not None and main.bpt.min_current >= 0
    assert main.non_standard_discharge is False
    assert main.furthest_phase == "SessionStop"


def test_iso20_bpt_ac_is_negotiated_without_discharge() -> None:
    need_shared()
    (s,) = sessions_of(BPT_AC)
    assert (s.protocol, s.energy_transfer) == ("iso20-ac", "AC")
    assert s.bpt_outcome == "bpt-negotiated-no-discharge"
    assert s.bpt.offered_services == (1, 5) and s.bpt.selected_service == 5
    assert dict(s.bpt.parameters)["BPTChannel"] == 1
    assert s.bpt.control_mode == "BPT Scheduled" and s.bpt.channel == "Charge"
    assert dict(s.bpt.discharge_limits)["EVMaximumDischargePower"] == 11000.0
    assert {e.message for e in s.bpt.evidence} >= {"ServiceDiscoveryRes", "ServiceSelectionReq", "PowerDeliveryReq"}
    # ISO 15118-20 offered and selected over plain TCP (thesis 4.1.1).
    assert s.tls.ev_asked_tls is False
    assert [f.requirement for f in s.tls.findings] == ["[V2G20-1237]", "[V2G20-2356]"]


def test_iso20_over_tls13_has_no_transport_findings() -> None:
    need_shared()
    (s,) = sessions_of(TLS13)
    assert s.tls.ev_asked_tls is True and s.tls.secc_answer == "TLS"
    assert (s.tls.version, s.tls.decryptable) == ("TLS 1.3", True)
    assert s.tls.findings == ()
    assert s.handshakes[0].tls_version == "TLS 1.3"
    # The SECC offers DC (2) and DC_BPT (6); the EV selects plain DC.
    assert s.bpt_outcome == "bpt-offered-not-selected" and s.bpt.offered_services == (2, 6)
    assert s.bpt.selected_service == 2


def test_phase_durations_and_identity_of_a_din_session() -> None:
    need_shared()
    (s,) = sessions_of("everest-logfiles__Hyundai_Kona_2017_din_spec_70121_kona1.dump")
    assert [p.name for p in s.phases][:5] == ["SLAC", "SDP", "SupportedAppProtocol", "SessionSetup", "ServiceDiscovery"]
    assert s.phase_time("CableCheck") and s.phase_time("PreCharge")
    assert s.vehicle.evccid == "E00EE10024DD" and s.vehicle.pev_mac == "e0:0e:e1:00:24:dd"
    assert s.vehicle.modem_vendor == "We Corporation"
    assert s.slac is not None and s.slac.matched
    assert s.ended_by is not None and s.ended_by.kind == "SessionStop"
    loop = [p for p in s.series if p.message == "CurrentDemandRes"]
    assert loop and all(p.get("evse_present_voltage") is not None for p in loop)
