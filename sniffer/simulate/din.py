"""DIN SPEC 70121 and ISO 15118-2 message sequences (DC and AC), built as trees for our encoder."""

from __future__ import annotations

from typing import Any

from .exibuild import APPHAND, DIN, ISO2, Tree, pv, v2g_message
from .link import Link
from .physics import Battery, charge_loop, precharge_ramp

DIN_NS = "urn:din:70121:2012:MsgDef"
ISO2_NS = "urn:iso:15118:2:2013:MsgDef"
ISO20_NS = "urn:iso:std:iso:15118:-20:DC"


def app_protocol(ns: str, schema_id: int, priority: int, major: int = 2, minor: int = 0) -> Tree:
    return {"ProtocolNamespace": ns, "VersionNumberMajor": major, "VersionNumberMinor": minor,
            "SchemaID": schema_id, "Priority": priority}


def handshake(link: Link, offers: list[Tree], chosen: int | None) -> None:
    """supportedAppProtocol: ``chosen`` SchemaID, or None for "no common protocol"."""
    res: dict[str, Any] = {"ResponseCode": "OK_SuccessfulNegotiation" if chosen is not None
                           else "Failed_NoNegotiation"}
    if chosen is not None:
        res["SchemaID"] = chosen
    link.exchange(APPHAND, {"supportedAppProtocolReq": {"AppProtocol": offers}},
                  {"supportedAppProtocolRes": res}, think=0.2, evse_time=0.004)


class DcSession:
    """The DC sequence shared by DIN and ISO-2; the two differ in a few names and fields."""

    def __init__(self, link: Link, schema: str, evse_id: str, loops: int, fault: str | None = None) -> None:
        self.link = link
        self.fault = fault
        """One of ``FAULTS`` (a faulty twin of the clean session), or None."""
        self.schema = schema
        self.din = schema == DIN
        self.rng = link.wire.rng
        self.evse_id = evse_id
        self.loops = loops
        self.battery = Battery(soc=self.rng.uniform(18.0, 45.0))
        self.sid = "00"
        # DIN chargers in the field are often small; the DIN PMax (a short, in W) caps it anyway
        self.evse_power_kw = 25 if self.din else self.rng.choice((50, 100, 150))
        self.evse_max_current = float(min(200, self.evse_power_kw * 1000 // 400))

    def x(self, req: Tree, res: Tree, think: float = 0.08, evse_time: float = 0.02, lenient: bool = False) -> None:
        self.link.exchange(self.schema, v2g_message(self.schema, self.sid, req),
                           v2g_message(self.schema, self.sid, res), think=think, evse_time=evse_time,
                           lenient=lenient)

    def ev_status(self, ready: bool = True) -> Tree:
        s: dict[str, Any] = {"EVReady": ready}
        if self.din:
            s.update(EVCabinConditioning=False, EVRESSConditioning=False)
        s.update(EVErrorCode="NO_ERROR", EVRESSSOC=int(self.battery.soc))
        return s

    def evse_status(self, isolation: str = "Valid", code: str = "EVSE_Ready") -> Tree:
        if self.din:
            return {"EVSEIsolationStatus": isolation, "EVSEStatusCode": code, "NotificationMaxDelay": 0,
                    "EVSENotification": "None"}
        return {"NotificationMaxDelay": 0, "EVSENotification": "None", "EVSEIsolationStatus": isolation,
                "EVSEStatusCode": code}

    def run(self) -> None:
        b = self.battery
        link = self.link
        self.x({"SessionSetupReq": {"EVCCID": link.ev.mac.hex().upper()}},
               {"SessionSetupRes": {"ResponseCode": "OK_NewSessionEstablished",
                                    "EVSEID": self.evse_id.encode().hex().upper() if self.din else self.evse_id}},
               think=0.05, evse_time=0.03)
        self.sid = link.session_id
        if self.din:
            self.x({"ServiceDiscoveryReq": {"ServiceCategory": "EVCharging"}},
                   {"ServiceDiscoveryRes": {"ResponseCode": "OK",
                                            "PaymentOptions": {"PaymentOption": "ExternalPayment"},
                                            "ChargeService": {"ServiceTag": {"ServiceID": 1,
                                                                             "ServiceCategory": "EVCharging"},
                                                              "FreeService": False,
                                                              "EnergyTransferType": "DC_extended"}}})
            self.x({"ServicePaymentSelectionReq": {"SelectedPaymentOption": "ExternalPayment",
                                                   "SelectedServiceList": {"SelectedService": {"ServiceID": 1}}}},
                   {"ServicePaymentSelectionRes": {"ResponseCode": "OK"}})
            for processing in ("Ongoing", "Finished"):
                self.x({"ContractAuthenticationReq": None},
                       {"ContractAuthenticationRes": {"ResponseCode": "OK", "EVSEProcessing": processing}})
        else:
            self.iso2_service_and_auth(["DC_extended"])
        for processing in ("Ongoing", "Finished"):
            self.x(self.charge_parameter_req(), self.charge_parameter_res(processing))
        checks = self.rng.randrange(4, 8)
        for i in range(checks):
            done = i == checks - 1
            self.x({"CableCheckReq": {"DC_EVStatus": self.ev_status()}},
                   {"CableCheckRes": {"ResponseCode": "OK", "DC_EVSEStatus": self.evse_status(
                       "Valid" if i >= checks - 2 else "Invalid"),
                       "EVSEProcessing": "Finished" if done else "Ongoing"}}, think=0.1, evse_time=0.05)
        target = round(b.ocv(), 1)
        for v in precharge_ramp(self.rng, target, self.rng.randrange(6, 10)):
            self.x({"PreChargeReq": {"DC_EVStatus": self.ev_status(), "EVTargetVoltage": pv(-1, "V", round(target * 10)),
                                     "EVTargetCurrent": pv(-1, "A", 20)}},
                   {"PreChargeRes": {"ResponseCode": "OK", "DC_EVSEStatus": self.evse_status(),
                                     "EVSEPresentVoltage": pv(-1, "V", round(v * 10))}}, think=0.1, evse_time=0.04)
        if self.fault == "sequence-error":
            # the EV skips PowerDelivery and goes straight to the charge loop; the SECC refuses
            self.x({"CurrentDemandReq": self.current_demand_req(20.0)},
                   {"CurrentDemandRes": {**self.current_demand_res(0.0, b.ocv()),
                                         "ResponseCode": "FAILED_SequenceError"}}, think=0.17, evse_time=0.03)
            self.x({"SessionStopReq": {"ChargingSession": "Terminate"} if not self.din else None},
                   {"SessionStopRes": {"ResponseCode": "OK"}})
            link.close()
            return
        self.power_delivery(True)
        for step in charge_loop(self.rng, b, self.loops, min(b.max_current, self.evse_max_current)):
            self.current_demand(step.target_current, step.present_current, step.present_voltage)
        self.power_delivery(False)
        v = b.ocv()
        for _ in range(3):
            v *= self.rng.uniform(0.35, 0.55)
            self.x({"WeldingDetectionReq": {"DC_EVStatus": self.ev_status(False)}},
                   {"WeldingDetectionRes": {"ResponseCode": "OK",
                                            "DC_EVSEStatus": self.evse_status(code="EVSE_NotReady"),
                                            "EVSEPresentVoltage": pv(-1, "V", round(v * 10))}}, think=0.15)
        stop: Tree = {"ChargingSession": "Terminate"} if not self.din else {}
        self.x({"SessionStopReq": stop or None}, {"SessionStopRes": {"ResponseCode": "OK"}})
        link.close()

    def iso2_service_and_auth(self, modes: list[str]) -> None:
        self.x({"ServiceDiscoveryReq": None},
               {"ServiceDiscoveryRes": {"ResponseCode": "OK",
                                        "PaymentOptionList": {"PaymentOption": "ExternalPayment"},
                                        "ChargeService": {"ServiceID": 1, "ServiceCategory": "EVCharging",
                                                          "FreeService": False,
                                                          "SupportedEnergyTransferMode": {
                                                              "EnergyTransferMode": modes}}}})
        self.x({"PaymentServiceSelectionReq": {"SelectedPaymentOption": "ExternalPayment",
                                               "SelectedServiceList": {"SelectedService": {"ServiceID": 1}}}},
               {"PaymentServiceSelectionRes": {"ResponseCode": "OK"}})
        for processing in ("Ongoing", "Ongoing", "Finished"):
            self.x({"AuthorizationReq": None},
                   {"AuthorizationRes": {"ResponseCode": "OK", "EVSEProcessing": processing}}, think=0.2)

    def charge_parameter_req(self) -> Tree:
        b = self.battery
        param: dict[str, Any] = {"DC_EVStatus": self.ev_status(False),
                                 "EVMaximumCurrentLimit": pv(-1, "A", round(b.max_current * 10)),
                                 "EVMaximumVoltageLimit": pv(-1, "V", round(b.max_voltage * 10))}
        if self.din:
            param.update(FullSOC=100, BulkSOC=80)
            return {"ChargeParameterDiscoveryReq": {"EVRequestedEnergyTransferType": "DC_extended",
                                                    "DC_EVChargeParameter": param}}
        param["EVEnergyRequest"] = pv(1, "Wh", round((100 - b.soc) * 77))  # Value is a short: tens of Wh
        return {"ChargeParameterDiscoveryReq": {"MaxEntriesSAScheduleTuple": 12,
                                                "RequestedEnergyTransferMode": "DC_extended",
                                                "DC_EVChargeParameter": param}}

    def charge_parameter_res(self, processing: str) -> Tree:
        pmax: Any = self.evse_power_kw * 1000 if self.din else pv(3, "W", self.evse_power_kw)
        res: dict[str, Any] = {"ResponseCode": "OK", "EVSEProcessing": processing}
        if processing == "Finished" or self.din:  # DIN requires the schedule list in every response
            res["SAScheduleList"] = {"SAScheduleTuple": {"SAScheduleTupleID": 1, "PMaxSchedule": {
                **({"PMaxScheduleID": 1} if self.din else {}),
                "PMaxScheduleEntry": {"RelativeTimeInterval": {"start": 0, "duration": 86400}, "PMax": pmax}}}}
        res["DC_EVSEChargeParameter"] = {
            "DC_EVSEStatus": self.evse_status("Invalid"),
            "EVSEMaximumCurrentLimit": pv(0, "A", round(self.evse_max_current)),
            "EVSEMaximumPowerLimit": pv(3, "W", self.evse_power_kw),
            "EVSEMaximumVoltageLimit": pv(0, "V", 920),
            "EVSEMinimumCurrentLimit": pv(0, "A", 0),
            "EVSEMinimumVoltageLimit": pv(0, "V", 150),
            "EVSECurrentRegulationTolerance": pv(-1, "A", 10),
            "EVSEPeakCurrentRipple": pv(-1, "A", 20),
        }
        return {"ChargeParameterDiscoveryRes": res}

    def power_delivery(self, start: bool) -> None:
        param: dict[str, Any] = {"DC_EVStatus": self.ev_status(start)}
        if self.din:
            param.update(BulkChargingComplete=False, ChargingComplete=not start)
            req: Tree = {"PowerDeliveryReq": {"ReadyToChargeState": start, "DC_EVPowerDeliveryParameter": param}}
        else:
            param["ChargingComplete"] = not start
            req = {"PowerDeliveryReq": {"ChargeProgress": "Start" if start else "Stop", "SAScheduleTupleID": 1,
                                        "DC_EVPowerDeliveryParameter": param}}
        if start and self.fault == "out-of-facet" and not self.din:
            # three phases at most in ISO-2 (ChargingProfileEntryMaxNumberOfPhasesInUse 1..3): this EV says 4
            req["PowerDeliveryReq"]["ChargingProfile"] = {"ProfileEntry": {
                "ChargingProfileEntryStart": 0, "ChargingProfileEntryMaxPower": pv(3, "W", self.evse_power_kw),
                "ChargingProfileEntryMaxNumberOfPhasesInUse": 4}}
            req["PowerDeliveryReq"] = {k: req["PowerDeliveryReq"][k] for k in
                                       ("ChargeProgress", "SAScheduleTupleID", "ChargingProfile",
                                        "DC_EVPowerDeliveryParameter")}
        # a charger answering late: 8 s (+/- 30 %) for PowerDeliveryRes (ISO-2 EV timeout 5 s, DIN 2 s)
        late = start and self.fault == "late-response"
        self.x(req, {"PowerDeliveryRes": {"ResponseCode": "OK", "DC_EVSEStatus": self.evse_status()}},
               think=0.1, evse_time=8.0 if late else 0.15, lenient=self.fault == "out-of-facet")

    def current_demand(self, target: float, present: float, voltage: float) -> None:
        if self.fault == "over-limit":
            present = self.evse_max_current * 3  # the charger reports far more than its own maximum
        self.x({"CurrentDemandReq": self.current_demand_req(target)},
               {"CurrentDemandRes": self.current_demand_res(present, voltage)}, think=0.17, evse_time=0.03)

    def current_demand_req(self, target: float) -> Tree:
        b = self.battery
        remaining = round((100 - b.soc) / 100 * 3600 * 1.2)
        req: dict[str, Any] = {
            "DC_EVStatus": self.ev_status(),
            "EVTargetCurrent": pv(-1, "A", max(0, round(target * 10))),
            "EVMaximumVoltageLimit": pv(-1, "V", round(b.max_voltage * 10)),
            "EVMaximumCurrentLimit": pv(-1, "A", round(b.max_current * 10)),
            "EVMaximumPowerLimit": pv(2, "W", 1500),
        }
        if self.din:
            req["BulkChargingComplete"] = False
        req.update(ChargingComplete=False,
                   RemainingTimeToFullSoC=pv(0, "s", remaining),
                   RemainingTimeToBulkSoC=pv(0, "s", max(0, remaining - 900)),
                   EVTargetVoltage=pv(-1, "V", round(b.max_voltage * 10)))
        return req

    def current_demand_res(self, present: float, voltage: float) -> Tree:
        res: dict[str, Any] = {
            "ResponseCode": "OK", "DC_EVSEStatus": self.evse_status(),
            "EVSEPresentVoltage": pv(-1, "V", round(voltage * 10)),
            "EVSEPresentCurrent": pv(-1, "A", max(0, round(present * 10))),
            "EVSECurrentLimitAchieved": False, "EVSEVoltageLimitAchieved": False, "EVSEPowerLimitAchieved": False,
            "EVSEMaximumVoltageLimit": pv(0, "V", 920),
            "EVSEMaximumCurrentLimit": pv(0, "A", round(self.evse_max_current)),
            "EVSEMaximumPowerLimit": pv(3, "W", self.evse_power_kw),
        }
        if not self.din:
            res.update(EVSEID=self.evse_id, SAScheduleTupleID=1)
        return res


def din_offers() -> list[Tree]:
    return [app_protocol(DIN_NS, 1, 1), app_protocol(ISO2_NS, 2, 2)]


FAULTS = ("late-response", "over-limit", "sequence-error", "out-of-facet")
"""Faults a DC session can carry; each scenario with one has a clean twin without."""


def run_dc(link: Link, schema: str, loops: int, fault: str | None = None) -> None:
    """Handshake (DIN or ISO-2 chosen from the EV's two offers) and the DC session."""
    if schema == DIN:
        handshake(link, din_offers(), 1)
        evse_id = "DE*V2G*E" + "".join(str(link.wire.rng.randrange(10)) for _ in range(5)) + "*1"
    else:
        handshake(link, [app_protocol(DIN_NS, 1, 2), app_protocol(ISO2_NS, 2, 1)], 2)
        evse_id = "DE*V2G*E" + "".join(str(link.wire.rng.randrange(10)) for _ in range(6)) + "*1"
    DcSession(link, schema, evse_id, loops, fault).run()


__all__ = ["DIN", "ISO2", "ISO20_NS", "run_dc"]
