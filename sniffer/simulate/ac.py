"""ISO 15118-2 AC three-phase charge: ChargingStatus loop with a meter that counts up."""

from __future__ import annotations

from typing import Any

from .din import DIN_NS, ISO2_NS, DcSession, app_protocol, handshake
from .exibuild import ISO2, Tree, pv
from .link import Link


def _ac_status() -> Tree:
    return {"NotificationMaxDelay": 0, "EVSENotification": "None", "RCD": False}


def run_iso2_ac(link: Link, loops: int) -> None:
    rng = link.wire.rng
    handshake(link, [app_protocol(DIN_NS, 1, 2), app_protocol(ISO2_NS, 2, 1)], 2)
    evse_id = "DE*V2G*E" + "".join(str(rng.randrange(10)) for _ in range(6)) + "*1"
    s = DcSession(link, ISO2, evse_id, loops)
    s.x({"SessionSetupReq": {"EVCCID": link.ev.mac.hex().upper()}},
        {"SessionSetupRes": {"ResponseCode": "OK_NewSessionEstablished", "EVSEID": evse_id}}, think=0.05)
    s.sid = link.session_id
    s.iso2_service_and_auth(["AC_three_phase_core", "AC_single_phase_core"])
    ev_max = rng.choice((16, 32))
    evse_max = rng.choice((16, 32))
    amps = min(ev_max, evse_max)
    energy = round((100 - s.battery.soc) * 640)
    req: Tree = {"ChargeParameterDiscoveryReq": {
        "MaxEntriesSAScheduleTuple": 12, "RequestedEnergyTransferMode": "AC_three_phase_core",
        "AC_EVChargeParameter": {"EAmount": pv(1, "Wh", round(energy / 10)), "EVMaxVoltage": pv(0, "V", 400),
                                 "EVMaxCurrent": pv(-1, "A", ev_max * 10), "EVMinCurrent": pv(0, "A", 6)}}}
    for processing in ("Ongoing", "Finished"):
        res: dict[str, Any] = {"ResponseCode": "OK", "EVSEProcessing": processing}
        if processing == "Finished":
            res["SAScheduleList"] = {"SAScheduleTuple": {"SAScheduleTupleID": 1, "PMaxSchedule": {
                "PMaxScheduleEntry": {"RelativeTimeInterval": {"start": 0, "duration": 86400},
                                      "PMax": pv(0, "W", evse_max * 690)}}}}
        res["AC_EVSEChargeParameter"] = {"AC_EVSEStatus": _ac_status(), "EVSENominalVoltage": pv(-1, "V", 2300),
                                         "EVSEMaxCurrent": pv(-1, "A", evse_max * 10)}
        s.x(req, {"ChargeParameterDiscoveryRes": res})
    profile = {"ProfileEntry": {"ChargingProfileEntryStart": 0,
                                "ChargingProfileEntryMaxPower": pv(0, "W", amps * 690)}}
    s.x({"PowerDeliveryReq": {"ChargeProgress": "Start", "SAScheduleTupleID": 1, "ChargingProfile": profile}},
        {"PowerDeliveryRes": {"ResponseCode": "OK", "AC_EVSEStatus": _ac_status()}}, evse_time=0.3)
    meter = rng.randrange(1_000_000, 9_000_000)  # Wh on the charger's meter
    power = 0.0
    for i in range(loops):
        power += (amps * 690 - power) * 0.5
        link.wire.wait(0.0)
        meter += max(1, round(power * 1.0 / 3600 * 60))  # one status per second; meter shows ~1 min
        s.x({"ChargingStatusReq": None},
            {"ChargingStatusRes": {"ResponseCode": "OK", "EVSEID": evse_id, "SAScheduleTupleID": 1,
                                   "EVSEMaxCurrent": pv(-1, "A", evse_max * 10),
                                   "MeterInfo": {"MeterID": "V2GSIM-METER-01", "MeterReading": meter},
                                   "ReceiptRequired": False, "AC_EVSEStatus": _ac_status()}},
            think=0.9 if i else 0.2, evse_time=0.03)
    s.x({"PowerDeliveryReq": {"ChargeProgress": "Stop", "SAScheduleTupleID": 1}},
        {"PowerDeliveryRes": {"ResponseCode": "OK", "AC_EVSEStatus": _ac_status()}}, evse_time=0.3)
    s.x({"SessionStopReq": {"ChargingSession": "Terminate"}}, {"SessionStopRes": {"ResponseCode": "OK"}})
    link.close()
