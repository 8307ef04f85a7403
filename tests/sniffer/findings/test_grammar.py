"""sequence.phase-order: the message order of each standard, AC and DC, on scripted sessions (each
faulty order beside the clean one it breaks) and on every real capture (which all keep it)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import REAL, real_captures
from tests.sniffer.sessions.test_tracker import DIN, ISO2, ISO20_DC, Script
from v2gsniff.sniffer.findings.grammar import GRAMMARS
from v2gsniff.sniffer.report.collect import analyse_file

OK = {"ResponseCode": "OK"}


def _run(schema: str, ns: str, steps: list[tuple[str, Any]], res: dict[str, Any] | None = None) -> list[str]:
    """The session's phase-order findings' texts for requests ``steps`` (name without Req, content),
    each answered ``res`` (OK); ``FAILED`` as content answers that request FAILED."""
    s = Script()
    s.handshake([(ns, 1, 1)])
    for name, content in steps:
        failed = content == "FAILED"
        body = {} if failed or content is None else content
        s.v2g(schema, f"{name}Req", body if not schema.startswith("iso20") else {**body})
        s.v2g(schema, f"{name}Res", {"ResponseCode": "FAILED"} if failed else (res or OK))
    (session,) = s.tracker.finish()
    return [f.text for f in session.findings if f.rule == "sequence.phase-order"]


ISO2_SETUP: list[tuple[str, Any]] = [("SessionSetup", None), ("ServiceDiscovery", None),
                                     ("PaymentServiceSelection", None), ("Authorization", None)]
AC_CPD = ("ChargeParameterDiscovery", {"RequestedEnergyTransferMode": "AC_three_phase_core"})
DC_CPD = ("ChargeParameterDiscovery", {"RequestedEnergyTransferMode": "DC_extended"})
START = ("PowerDelivery", {"ChargeProgress": "Start"})
STOP = ("PowerDelivery", {"ChargeProgress": "Stop"})


def test_iso2_ac_and_dc_sessions_in_order_are_silent() -> None:
    ac = [*ISO2_SETUP, AC_CPD, START, ("ChargingStatus", None), ("ChargingStatus", None),
          ("MeteringReceipt", None), ("ChargingStatus", None), STOP, ("SessionStop", None)]
    dc = [*ISO2_SETUP, DC_CPD, ("CableCheck", None), ("PreCharge", None), START, ("CurrentDemand", None), STOP,
          ("WeldingDetection", None), ("SessionStop", None)]
    renegotiation = [*dc[:-3], ("PowerDelivery", {"ChargeProgress": "Renegotiate"}), DC_CPD, START,
                     ("CurrentDemand", None), STOP, ("SessionStop", None)]
    assert _run("iso2", ISO2, ac) == [] and _run("iso2", ISO2, dc) == [] and _run("iso2", ISO2, renegotiation) == []


def test_iso2_dc_skipping_cable_check_and_ac_sending_current_demand() -> None:
    assert _run("iso2", ISO2, [*ISO2_SETUP, DC_CPD, START]) == [
        "PowerDeliveryReq after ChargeParameterDiscovery: ISO 15118-2 allows CableCheck there (DC charging)"]
    assert _run("iso2", ISO2, [*ISO2_SETUP, AC_CPD, START, ("CurrentDemand", None)]) == [
        "CurrentDemandReq after PowerDelivery: ISO 15118-2 allows ChargeParameterDiscovery, ChargingStatus there "
        "(AC charging)"]
    # the setup phases in another order: authorization before the payment option is chosen
    assert _run("iso2", ISO2, [("SessionSetup", None), ("ServiceDiscovery", None), ("Authorization", None)]) == [
        "AuthorizationReq after ServiceDiscovery: ISO 15118-2 allows PaymentServiceSelection, ServiceDetail there"]


def test_din_stop_after_cable_check_is_allowed_but_charging_without_power_delivery_is_not() -> None:
    setup: list[tuple[str, Any]] = [("SessionSetup", None), ("ServiceDiscovery", None),
                                    ("ServicePaymentSelection", None), ("ContractAuthentication", None),
                                    ("ChargeParameterDiscovery", {"EVRequestedEnergyTransferType": "DC_extended"}),
                                    ("CableCheck", None)]
    # pyPLC gives up after CableCheck with PowerDelivery(ReadyToChargeState=false), then stops
    assert _run("din", DIN, [*setup, ("PowerDelivery", {"ReadyToChargeState": False}), ("SessionStop", None)]) == []
    assert _run("din", DIN, [*setup, ("PreCharge", None), ("CurrentDemand", None)]) == [
        "CurrentDemandReq after PreCharge: DIN SPEC 70121 allows PowerDelivery there (DC charging)"]


def test_a_request_after_a_failed_answer_is_not_judged_by_the_grammar() -> None:
    steps = [*ISO2_SETUP, ("ChargeParameterDiscovery", "FAILED"), ("PowerDelivery", {"ChargeProgress": "Start"})]
    assert _run("iso2", ISO2, steps) == []


def test_iso20_dc_order_and_a_skipped_cable_check() -> None:
    setup: list[tuple[str, Any]] = [("SessionSetup", {}), ("AuthorizationSetup", {}), ("Authorization", {}),
                                    ("ServiceDiscovery", {}), ("ServiceSelection", {})]
    cm = list(setup)
    clean = _run20([*cm, ("DC_ChargeParameterDiscovery", {}), ("ScheduleExchange", {}), ("DC_CableCheck", {}),
                    ("DC_PreCharge", {}), ("PowerDelivery", {"ChargeProgress": "Start"}), ("DC_ChargeLoop", {}),
                    ("PowerDelivery", {"ChargeProgress": "Stop"}), ("DC_WeldingDetection", {}), ("SessionStop", {})])
    assert clean == []
    assert _run20([*cm, ("DC_ChargeParameterDiscovery", {}), ("ScheduleExchange", {}), ("DC_PreCharge", {})]) == [
        "DC_PreChargeReq after ScheduleExchange: ISO 15118-20 allows CableCheck there (DC charging)"]


def _run20(steps: list[tuple[str, Any]]) -> list[str]:
    s = Script()
    s.handshake([(ISO20_DC, 1, 1)])
    for name, content in steps:
        schema = "iso20-dc" if name.startswith("DC_") else "iso20-cm"
        s.v2g(schema, f"{name}Req", content)
        s.v2g(schema, f"{name}Res", dict(OK))
    (session,) = s.tracker.finish()
    return [f.text for f in session.findings if f.rule == "sequence.phase-order"]


def test_every_request_a_table_allows_is_one_the_standard_has() -> None:
    for fam, table in GRAMMARS.items():
        named = set(table)
        for follows in table.values():
            assert follows <= named, (fam, follows - named)  # every allowed request has its own row


@pytest.mark.parametrize("name", real_captures())
def test_every_real_session_keeps_the_order_of_its_standard(name: str) -> None:
    assert [f.text for f in analyse_file(REAL / name).findings if f.rule == "sequence.phase-order"] == []
