"""Findings on real captures (../shared/captures/real): each rule with a real case fires there, at the
frame a reader of the capture finds the fault, blaming the side the capture shows at fault."""

from __future__ import annotations

from functools import cache

import pytest

from tests.conftest import REAL, need_shared
from v2gsniff.dissectors import exi
from v2gsniff.sniffer.findings.model import Finding
from v2gsniff.sniffer.report.collect import CaptureResult, analyse_file


@cache
def _result(name: str) -> CaptureResult:
    return analyse_file(REAL / name)


def _findings(name: str, rule: str) -> list[Finding]:
    need_shared()
    if not (REAL / name).exists():
        pytest.skip(f"{name} is not in ../shared/captures/real")
    return [f for f in _result(name).findings if f.rule == rule]


# (capture, rule, frame, severity, side): checked by reading each capture's decode by hand
CASES = [
    # the SECC answers FAILED_SequenceError to a CurrentDemandReq
    ("pyPLC__2022-12-20_alpi_currentDemandSequenceErrorShutdown.pcapng", "codes.failed", 2722, "error", "ev"),
    # PreCharge from frame 2xxx to PowerDeliveryReq takes 8.5 s (limit 7 s)
    ("pyPLC__2022-12-20_alpi_currentDemandSequenceErrorShutdown.pcapng", "timing.pre-charge", 2706, "error", "both"),
    # a pyPLC EV stops in PreCharge: 12 s and no PowerDelivery before the capture ends
    ("pyPLC__2024-04-20_ModelY_pyPLC_stop_in_precharge.pcapng", "timing.pre-charge", 187, "error", "both"),
    # ccs32clara EV sends a garbled SessionID in CurrentDemandReq; the SECC answers FAILED_UnknownSession
    ("ccs32__2023-04-05_wt32_alpi_first_charge.pcapng", "sequence.session-id", 1355, "error", "ev"),
    ("ccs32__2023-04-05_wt32_alpi_first_charge.pcapng", "codes.failed", 1356, "error", "ev"),
    # the SECC resets the connection (frame 196) on an open ContractAuthenticationReq
    ("ccs32__2023-04-05_wt32_alpi_first_charge.pcapng", "sequence.no-response", 195, "error", "evse"),
    # EVerest charger: CableCheck runs 40.4 s (EV limit 40 s) but the Kona goes on to PreCharge: a warning
    ("everest-logfiles__Hyundai_Kona_2017_din_spec_70121_kona1.dump", "timing.cable-check", 495, "warning", "evse"),
    # ... 40.5 s, and this Ampera-E gives up with SessionStopReq: the timeout took effect, an error
    ("everest-logfiles__Opel_Ampera-E_2023-01-13-din_spec_70121_session_ampera_dc_din_1.dump", "timing.cable-check",
     864, "error", "evse"),
    # ... and CurrentDemandRes 336 ms after the request (0.25 s figure: a warning)
    ("everest-logfiles__Hyundai_Kona_2017_din_spec_70121_kona1.dump", "timing.response-timeout", 683, "warning",
     "evse"),
    # EVerest charger reports 23.9 A present with a 7 A maximum (and 9.2 kW with 3.14 kW)
    ("everest-logfiles__VW_id.4_din_spec_70121_2023-04-14T09-57-59.260Z-id4pro-din-spec-with-discharge.dump",
     "values.evse-present-over-limit", 3401, "error", "evse"),
    # ... and a present current of 1505.9 A at one point
    ("everest-logfiles__Audi_Q4_dc-dinspec-1.dump", "values.implausible", 458, "warning", "evse"),
    ("everest-logfiles__Audi_Q4_dc-dinspec-1.dump", "values.ev-target-over-evse-max", 403, "info", "ev"),
    # the Ioniq reports FAILED_ChargingCurrentdifferential while current flows
    ("pyPLC__2023-04-24_atHome_Ioniq_without_and_with_60W_bulbs.pcapng", "values.status-while-flowing", 12094,
     "warning", "ev"),
    # Josev simulator: PreCharge ends at 366 V for a 460 V target; SoC jumps 10 % -> 30 %
    ("dsV2Gshark__DIN_DC_DS5366_Josev.pcapng", "values.precharge-voltage", 352, "warning", "evse"),
    ("dsV2Gshark__DIN_DC_DS5366_Josev.pcapng", "values.soc", 357, "warning", "ev"),
    # Tesla offers its proprietary namespace; the ISO-only charger finds nothing in common
    ("everest-logfiles__Tesla_Model_Y_11.1_iso15118-2_2023-03-30T11-11-20.331Z-tesla_y-iso-not-supported.dump",
     "schema.unknown-namespace", 40, "info", "ev"),
    ("everest-logfiles__Tesla_Model_Y_11.1_iso15118-2_2023-03-30T11-11-20.331Z-tesla_y-iso-not-supported.dump",
     "codes.no-negotiation", 42, "error", "both"),
    # SDP answers TLS; the EV then speaks plain TCP to the TLS port and the SECC closes
    ("tux-iso15118-sim__2024-03-28_iso15118-20_ac3ph_7_tls.pcapng", "sequence.sdp-security", 65, "error", "ev"),
    # ISO 15118-20 over plain TCP (TLS posture, moved unchanged into the family)
    ("dsV2Gshark__ISO-20_BPT_AC_DS5366_Josev.pcapng", "tls.iso20-offer", 71, "error", "ev"),
    ("dsV2Gshark__ISO-20_BPT_AC_DS5366_Josev.pcapng", "tls.iso20-select", 73, "error", "evse"),
    # SLAC: a run that never matches; PARM.CNF 216 ms after the request; matching over 10 s
    ("pyPLC__2023-05-03_TaycanLeftside_slacFail.pcapng", "link.no-slac-match", 26, "error", "unknown"),
    ("pyPLC__2022-12-13_compleo_powerdelivery230_no_load.pcapng", "timing.slac-response", 747, "warning", "evse"),
    ("everest-logfiles__BYD_Atto3_2023-10-04_dinspec-DC.dump", "timing.slac-matching", 60, "warning", "unknown"),
    # RISE-V2G takes 23.5 s from the SLAC match to SessionSetupRes (limit 20 s)
    ("dsV2Gshark__ISO-2_DC_SalesTariffSchedule_DS5366_RiseV2G.pcapng", "timing.communication-setup", 99, "error",
     "unknown"),
    ("dsV2Gshark__ISO-2_DC_BatteryDataExchange_DS5366_RiseV2G.pcapng", "timing.communication-setup", 77, "warning",
     "unknown"),
    # a bystander modem: only SLAC, or one direction of a connection (the visibility check, unchanged)
    ("pyPLC__2022-10-26_WP4_networkEstablishedButHiddenCommunication.pcapng", "link.slac-only", 4, "info",
     "unknown"),
    ("pyPLC__2025-01-21_listenMode_02_mac_spoofing_some_frames_visible.pcapng", "link.one-direction", 534, "info",
     "unknown"),
]


@pytest.mark.parametrize(("capture", "rule", "frame", "severity", "side"), CASES,
                         ids=[f"{c[1]}@{c[0][:30]}" for c in CASES])
def test_a_real_case_fires_its_rule_at_the_frame_that_shows_it(capture: str, rule: str, frame: int, severity: str,
                                                               side: str) -> None:
    found = _findings(capture, rule)
    assert [(f.frame, f.severity, f.side) for f in found][:1] == [(frame, severity, side)]
    assert all(f.session is not None for f in found)


def test_failure_reasons_are_the_failing_findings() -> None:
    need_shared()
    for name in ("ccs32__2023-04-05_wt32_alpi_first_charge.pcapng",
                 "pyPLC__2022-12-20_alpi_currentDemandSequenceErrorShutdown.pcapng"):
        for s in _result(name).sessions:
            failing = [f for f in s.findings if f.rule in ("codes.failed", "codes.no-negotiation",
                                                            "sequence.no-response", "link.no-slac-match")]
            assert [(x.frame, x.message) for x in s.failures] == [(f.frame, f.message or "CM_SLAC_MATCH.CNF")
                                                                  for f in failing]


def test_a_request_after_a_failed_response_left_unanswered_is_not_the_chargers_fault() -> None:
    # pyPLC keeps sending CurrentDemandReq after FAILED_SequenceError; the charger closes the connection
    assert _findings("pyPLC__2022-12-20_alpi_currentDemandSequenceErrorShutdown.pcapng", "sequence.no-response") == []


def test_a_real_power_delivery_with_four_phases_decodes_with_its_facet_finding() -> None:
    # frame 342 of this capture: ISO-2 PowerDeliveryReq whose profile entries say 3 phases; the
    # 2-bit n-bit value (1..3) at bit 160 is set to 4, the value EXIficient decodes from these bits
    need_shared()
    name = "dsV2Gshark__ISO-2_DC_SalesTariffSchedule_DS5366_RiseV2G.pcapng"
    from v2gsniff.sniffer.capture import open_capture
    from v2gsniff.sniffer.pipeline import Decoder

    decoder = Decoder()
    data = None
    with open_capture(REAL / name) as reader:
        for item in reader:
            for r in decoder.feed(item):
                if r.kind == "v2g" and r.frame == 342:
                    data = bytes.fromhex(r.extra["exi_hex"])
    assert data is not None and exi.decode(data, "iso2").violations == ()
    bad = bytearray(data)
    bad[160 // 8] |= 0x80 >> (161 % 8)  # bits 160-161 hold value-1: 0b10 (3) becomes 0b11 (4)
    msg = exi.decode(bytes(bad), "iso2")
    entry = msg.body["ChargingProfile"]["ProfileEntry"]
    assert entry["ChargingProfileEntryMaxNumberOfPhasesInUse"].value == 4
    (v,) = msg.violations
    assert (v.path, v.value, v.facet, v.limit, v.bit) == (
        "/V2G_Message/Body/PowerDeliveryReq/ChargingProfile/ProfileEntry/ChargingProfileEntryMaxNumberOfPhasesInUse",
        4, "maxInclusive", 3, 160)
    assert exi.encode(msg, lenient=True) == bytes(bad)  # an honest round trip of what the EV sent
