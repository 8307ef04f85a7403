"""Rules with no case in the real corpus, shown on scripted records (the session tracker's script:
records in, sessions and their findings out). Each has a clean counterpart that must stay silent."""

from __future__ import annotations

from typing import Any

from tests.sniffer.sessions.test_tracker import DIN, ISO2, Script, amps, din_session
from v2gsniff.sniffer.sessions import Session


def _din_start(s: Script) -> None:
    s.handshake([(DIN, 1, 1)])
    s.v2g("din", "SessionSetupReq", {"EVCCID": "020000000001"}, sid="00")
    s.v2g("din", "SessionSetupRes", {"ResponseCode": "OK_NewSessionEstablished"})


def _rules(sess: Session, *names: str) -> list[tuple[str, int, str]]:
    return [(f.rule, f.frame, f.side) for f in sess.findings if not names or f.rule in names]


def _finish(s: Script) -> Session:
    (sess,) = s.tracker.finish()
    return sess


def test_first_request_after_the_handshake_must_be_session_setup() -> None:
    s = Script()
    s.handshake([(DIN, 1, 1)])
    s.v2g("din", "ServiceDiscoveryReq", {"ServiceCategory": "EVCharging"})
    s.v2g("din", "ServiceDiscoveryRes", {"ResponseCode": "OK"})
    assert _rules(_finish(s), "sequence.first-request") == [("sequence.first-request", 3, "ev")]
    clean = Script()
    _din_start(clean)
    assert _rules(_finish(clean), "sequence.first-request") == []


def test_request_before_response_response_without_request_and_mismatch() -> None:
    s = Script()
    _din_start(s)
    s.v2g("din", "ServiceDiscoveryReq", {})          # 5
    s.v2g("din", "ServicePaymentSelectionReq", {})   # 6: the previous one is unanswered
    s.v2g("din", "ContractAuthenticationRes", {"ResponseCode": "OK"})  # 7: answers another request
    s.v2g("din", "ContractAuthenticationRes", {"ResponseCode": "OK"})  # 8: nothing open
    assert _rules(_finish(s), "sequence.request-before-response", "sequence.response-mismatch",
                  "sequence.response-without-request") == [
        ("sequence.request-before-response", 6, "ev"), ("sequence.response-mismatch", 7, "evse"),
        ("sequence.response-without-request", 8, "evse")]


def test_a_response_before_any_request_is_a_capture_that_started_mid_stream() -> None:
    s = Script()
    s.v2g("din", "SessionStopRes", {"ResponseCode": "OK"})
    assert _rules(_finish(s), "sequence.response-without-request") == []


def test_a_successful_setup_request_repeated_is_a_warning() -> None:
    s = Script()
    _din_start(s)
    s.v2g("din", "SessionSetupReq", {"EVCCID": "020000000001"})
    s.v2g("din", "SessionSetupRes", {"ResponseCode": "OK_OldSessionJoined"})
    sess = _finish(s)
    assert _rules(sess, "sequence.repeated-request") == [("sequence.repeated-request", 5, "ev")]
    assert [f.severity for f in sess.findings if f.rule == "sequence.repeated-request"] == ["warning"]


def test_a_message_of_another_set_than_the_negotiated_one() -> None:
    s = Script()
    _din_start(s)
    s.v2g("iso2", "ServiceDiscoveryReq", {})
    s.v2g("din", "ServiceDiscoveryRes", {"ResponseCode": "OK"})
    assert _rules(_finish(s), "schema.wrong-set") == [("schema.wrong-set", 5, "ev")]


def test_session_id_must_be_the_assigned_one_on_both_sides() -> None:
    s = Script()
    _din_start(s)
    s.v2g("din", "ServiceDiscoveryReq", {}, sid="0102030405060708")
    s.v2g("din", "ServiceDiscoveryRes", {"ResponseCode": "OK"}, sid="AAAAAAAAAAAAAAAA")
    assert _rules(_finish(s), "sequence.session-id") == [("sequence.session-id", 6, "evse")]


def test_slow_answers_performance_time_sequence_timeout_and_ongoing() -> None:
    s = Script()
    s.handshake([(ISO2, 1, 1)])
    s.v2g("iso2", "SessionSetupReq", {"EVCCID": "020000000001"}, sid="00")
    s.v2g("iso2", "SessionSetupRes", {"ResponseCode": "OK_NewSessionEstablished"}, dt=1.9)  # 4: > 1.5 s
    s.v2g("iso2", "ServiceDiscoveryReq", {}, dt=61.0)  # 5: 61 s after the last response
    s.v2g("iso2", "ServiceDiscoveryRes", {"ResponseCode": "OK"})
    for _ in range(8):  # Authorization answered Ongoing for 8 x 9 s
        s.v2g("iso2", "AuthorizationReq", {}, dt=4.5)
        s.v2g("iso2", "AuthorizationRes", {"ResponseCode": "OK", "EVSEProcessing": "Ongoing"}, dt=4.5)
    s.v2g("iso2", "AuthorizationReq", {}, dt=4.5)
    s.v2g("iso2", "AuthorizationRes", {"ResponseCode": "OK", "EVSEProcessing": "Finished"}, dt=0.1)
    sess = _finish(s)
    assert _rules(sess, "timing.performance", "timing.sequence-timeout", "timing.ongoing") == [
        ("timing.performance", 4, "evse"), ("timing.sequence-timeout", 5, "ev"), ("timing.ongoing", 22, "evse")]
    (ongoing,) = [f for f in sess.findings if f.rule == "timing.ongoing"]
    assert ongoing.evidence == (7, 22) and "still Ongoing" in ongoing.text


def test_warning_response_codes_are_warnings_not_failures() -> None:
    s = Script()
    s.handshake([("urn:iso:std:iso:15118:-20:DC", 1, 1)])
    s.v2g("iso20-cm", "SessionSetupReq", {"EVCCID": "X"}, sid="00")
    s.v2g("iso20-cm", "SessionSetupRes", {"ResponseCode": "OK_NewSessionEstablished"})
    s.v2g("iso20-cm", "AuthorizationSetupReq", {})
    s.v2g("iso20-cm", "AuthorizationSetupRes", {"ResponseCode": "WARNING_AuthorizationSelectionInvalid"})
    sess = _finish(s)
    assert [(f.rule, f.severity) for f in sess.findings if f.rule.startswith("codes.")] == [
        ("codes.warning", "warning")]
    assert sess.failures == ()
    assert all(p.ok for p in sess.phases if p.name == "Authorization")


def test_non_standard_discharge_is_a_values_finding_with_the_bpt_evidence() -> None:
    s = Script()
    din_session(s, present_current=-150)
    sess = _finish(s)
    (f,) = [f for f in sess.findings if f.rule == "values.non-standard-discharge"]
    assert sess.non_standard_discharge and f.severity == "warning" and "din" in f.text
    assert f.evidence == tuple(e.frame for e in sess.bpt.evidence)
    clean = Script()
    din_session(clean)
    assert not [f for f in _finish(clean).findings if f.rule == "values.non-standard-discharge"]


def test_present_current_over_the_chargers_own_limit_names_both_values() -> None:
    s = Script()
    _din_start(s)
    res: dict[str, Any] = {"ResponseCode": "OK", "EVSEPresentVoltage": amps(400), "EVSEPresentCurrent": amps(1272),
                           "EVSEMaximumCurrentLimit": amps(30), "EVSEMaximumPowerLimit": amps(11, 3)}
    s.v2g("din", "PowerDeliveryReq", {"ReadyToChargeState": True})
    s.v2g("din", "PowerDeliveryRes", {"ResponseCode": "OK"})
    s.v2g("din", "CurrentDemandReq", {"EVTargetCurrent": amps(20)})
    s.v2g("din", "CurrentDemandRes", res)
    texts = [f.text for f in _finish(s).findings if f.rule == "values.evse-present-over-limit"]
    assert texts == ["EVSE present current 1272 A above its own maximum 30 A",
                     "EVSE present power 508800 W above its own maximum 11000 W"]


def _loop(schema: str, ns: str, gap: float) -> list[tuple[str, str]]:
    """Three charge-loop pairs whose requests come ``gap`` s after the previous response."""
    s = Script()
    s.handshake([(ns, 1, 1)])
    setup = "SessionSetup"
    cm = "iso20-cm" if schema.startswith("iso20") else schema
    s.v2g(cm, f"{setup}Req", {"EVCCID": "020000000001"} if cm != "iso20-cm" else {}, sid="00")
    s.v2g(cm, f"{setup}Res", {"ResponseCode": "OK_NewSessionEstablished"})
    name = "DC_ChargeLoop" if schema.startswith("iso20") else "CurrentDemand"
    for _ in range(3):
        s.v2g(schema, f"{name}Req", {}, dt=gap)
        s.v2g(schema, f"{name}Res", {"ResponseCode": "OK"}, dt=0.03)
    return [(f.rule, f.severity) for f in _finish(s).findings if f.rule.startswith("timing.")]


def test_iso20_charge_loop_requests_later_than_half_a_second_after_the_response() -> None:
    from tests.sniffer.sessions.test_tracker import ISO20_DC

    assert _loop("iso20-dc", ISO20_DC, 0.7) == [("timing.loop-sequence", "warning")]  # once per connection
    assert _loop("iso20-dc", ISO20_DC, 0.3) == []
    assert _loop("din", DIN, 0.7) == []  # DIN and ISO-2 keep the 60 s sequence timeout in CurrentDemand
