"""ISO 15118-20 sessions: DC (Dynamic or Scheduled, with or without BPT) and AC BPT.

Messages follow the -20 XSDs (CommonMessages, DC, AC): every request and response carries a Header
with SessionID and TimeStamp; BPT shows in the offered services (AC_BPT 5, DC_BPT 6), the
ServiceDetail parameter sets, the BPT_* energy-transfer and control-mode elements, and
PowerDelivery's BPT_ChannelSelection.
"""

from __future__ import annotations

from typing import Any

from .din import app_protocol, handshake
from .exibuild import Tree, rn
from .link import Link
from .physics import Battery, charge_loop, precharge_ramp

CM, DC, AC = "iso20-cm", "iso20-dc", "iso20-ac"
NS_DC = "urn:iso:std:iso:15118:-20:DC"
NS_AC = "urn:iso:std:iso:15118:-20:AC"
DC_SERVICE, AC_SERVICE, AC_BPT, DC_BPT = 2, 1, 5, 6


class Iso20Session:
    def __init__(self, link: Link, *, ac: bool, bpt: bool, dynamic: bool, loops: int,
                 discharge_from: int | None = None, ev_payload_type: int | None = None) -> None:
        self.link = link
        self.ev_payload_type = ev_payload_type
        """A faulty EV's V2GTP payload type for its CommonMessages requests (0x8001, as in ISO 15118-2)."""
        self.rng = link.wire.rng
        self.ac, self.bpt, self.dynamic = ac, bpt, dynamic
        self.loops = loops
        self.discharge_from = discharge_from
        self.sid = "0000000000000000"
        self.battery = Battery(soc=self.rng.uniform(45.0, 70.0), v_empty=560.0, v_full=800.0,
                               max_voltage=820.0, max_current=250.0, capacity_wh=1500.0)
        self.evse_id = "DE*V2G*E" + "".join(str(self.rng.randrange(10)) for _ in range(6)) + "*1"
        self.service = (AC_BPT if bpt else AC_SERVICE) if ac else (DC_BPT if bpt else DC_SERVICE)

    def header(self) -> Tree:
        return {"SessionID": self.sid, "TimeStamp": int(self.link.wire.now)}

    def x(self, schema: str, name: str, req: Tree | None, res: Tree, think: float = 0.08,
          evse_time: float = 0.02) -> None:
        w = self.link.wire
        w.wait(think, 0.3)
        self.link.send(True, schema, {name + "Req": {"Header": self.header(), **(req or {})}},
                       payload_type=self.ev_payload_type if schema == CM else None)
        w.wait(evse_time, 0.3)
        self.link.send(False, schema, {name + "Res": {"Header": self.header(), **res}})

    def run(self) -> None:
        ns = NS_AC if self.ac else NS_DC
        handshake(self.link, [app_protocol(ns, 1, 1, 1, 0)], 1)
        evccid = "WMIV2G" + "".join(self.rng.choice("0123456789ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(11))
        self.x(CM, "SessionSetup", {"EVCCID": evccid},
               {"ResponseCode": "OK_NewSessionEstablished", "EVSEID": self.evse_id}, think=0.05)
        self.sid = self.link.session_id
        self.x(CM, "AuthorizationSetup", None,
               {"ResponseCode": "OK", "AuthorizationServices": "EIM", "CertificateInstallationService": False,
                "EIM_ASResAuthorizationMode": None})
        for processing in ("Ongoing", "Finished"):
            self.x(CM, "Authorization", {"SelectedAuthorizationService": "EIM", "EIM_AReqAuthorizationMode": None},
                   {"ResponseCode": "OK", "EVSEProcessing": processing}, think=0.3)
        offered = [AC_SERVICE, AC_BPT] if self.ac else [DC_SERVICE, DC_BPT]
        self.x(CM, "ServiceDiscovery", None,
               {"ResponseCode": "OK", "ServiceRenegotiationSupported": False,
                "EnergyTransferServiceList": {"Service": [{"ServiceID": s, "FreeService": False} for s in offered]}})
        sets = self.parameter_sets()
        self.x(CM, "ServiceDetail", {"ServiceID": self.service},
               {"ResponseCode": "OK", "ServiceID": self.service, "ServiceParameterList": {"ParameterSet": sets}})
        chosen = 1 if self.dynamic else 2
        self.x(CM, "ServiceSelection", {"SelectedEnergyTransferService": {"ServiceID": self.service,
                                                                           "ParameterSetID": chosen}},
               {"ResponseCode": "OK"})
        if self.ac:
            self.ac_parameters()
        else:
            self.dc_parameters()
        self.schedule_exchange()
        if not self.ac:
            self.dc_cable_check_and_precharge()
        self.power_delivery("Start")
        if self.ac:
            self.ac_loop()
        else:
            self.dc_loop()
        self.power_delivery("Stop")
        if not self.ac:
            v = self.battery.ocv()
            for i in range(3):
                v *= self.rng.uniform(0.3, 0.5)
                self.x(DC, "DC_WeldingDetection", {"EVProcessing": "Finished" if i == 2 else "Ongoing"},
                       {"ResponseCode": "OK", "EVSEPresentVoltage": rn(v, -1)}, think=0.15)
        self.x(CM, "SessionStop", {"ChargingSession": "Terminate"}, {"ResponseCode": "OK"})
        self.link.close()

    def parameter_sets(self) -> list[Tree]:
        out = []
        for pid, mode in ((1, 2), (2, 1)):  # ControlMode 1 Scheduled, 2 Dynamic
            params: list[Tree] = [{"@Name": "Connector", "intValue": 1 if self.ac else 2},
                                  {"@Name": "ControlMode", "intValue": mode},
                                  {"@Name": "MobilityNeedsMode", "intValue": 1 if mode == 1 else 2},
                                  {"@Name": "Pricing", "intValue": 0}]
            if self.ac:
                params.append({"@Name": "EVSENominalVoltage", "intValue": 230})
            if self.bpt:
                params += [{"@Name": "BPTChannel", "intValue": 1}, {"@Name": "GeneratorMode", "intValue": 1}]
            out.append({"ParameterSetID": pid, "Parameter": params})
        return out

    # -- DC ------------------------------------------------------------------------------------------
    def dc_parameters(self) -> None:
        b = self.battery
        req: dict[str, Any] = {"EVMaximumChargePower": rn(b.max_current * b.max_voltage, 2),
                               "EVMinimumChargePower": rn(0, 0),
                               "EVMaximumChargeCurrent": rn(b.max_current, 0), "EVMinimumChargeCurrent": rn(0, 0),
                               "EVMaximumVoltage": rn(b.max_voltage, 0), "EVMinimumVoltage": rn(b.v_empty, 0)}
        res: dict[str, Any] = {"EVSEMaximumChargePower": rn(150000, 2), "EVSEMinimumChargePower": rn(0, 0),
                               "EVSEMaximumChargeCurrent": rn(200, 0), "EVSEMinimumChargeCurrent": rn(0, 0),
                               "EVSEMaximumVoltage": rn(920, 0), "EVSEMinimumVoltage": rn(150, 0)}
        if self.bpt:
            req.update(EVMaximumDischargePower=rn(-60000, 2), EVMinimumDischargePower=rn(0, 0),
                       EVMaximumDischargeCurrent=rn(-80, 0), EVMinimumDischargeCurrent=rn(0, 0))
            res.update(EVSEMaximumDischargePower=rn(-50000, 2), EVSEMinimumDischargePower=rn(0, 0),
                       EVSEMaximumDischargeCurrent=rn(-80, 0), EVSEMinimumDischargeCurrent=rn(0, 0))
        key = "BPT_DC_CPD{}EnergyTransferMode" if self.bpt else "DC_CPD{}EnergyTransferMode"
        self.x(DC, "DC_ChargeParameterDiscovery", {key.format("Req"): req},
               {"ResponseCode": "OK", key.format("Res"): res})

    def dc_cable_check_and_precharge(self) -> None:
        checks = self.rng.randrange(3, 6)
        for i in range(checks):
            self.x(DC, "DC_CableCheck", None, {"ResponseCode": "OK",
                                               "EVSEProcessing": "Finished" if i == checks - 1 else "Ongoing"},
                   think=0.1, evse_time=0.05)
        target = self.battery.ocv()
        ramp = precharge_ramp(self.rng, target, self.rng.randrange(5, 9))
        for i, v in enumerate(ramp):
            self.x(DC, "DC_PreCharge", {"EVProcessing": "Finished" if i == len(ramp) - 1 else "Ongoing",
                                        "EVPresentVoltage": rn(target, -1), "EVTargetVoltage": rn(target, -1)},
                   {"ResponseCode": "OK", "EVSEPresentVoltage": rn(v, -1)}, think=0.1, evse_time=0.04)

    def dc_loop(self) -> None:
        b = self.battery
        switch = self.discharge_from
        for step in charge_loop(self.rng, b, self.loops, 180.0, switch_at=switch, discharge_limit=75.0, ramp=60.0):
            display = {"PresentSOC": int(b.soc), "TargetSOC": 80, "ChargingComplete": False}
            req: dict[str, Any] = {"DisplayParameters": display, "MeterInfoRequested": False,
                                   "EVPresentVoltage": rn(step.present_voltage, -1)}
            res: dict[str, Any] = {"ResponseCode": "OK", "EVSEPresentCurrent": rn(step.present_current, -1),
                                   "EVSEPresentVoltage": rn(step.present_voltage, -1),
                                   "EVSEPowerLimitAchieved": False, "EVSECurrentLimitAchieved": False,
                                   "EVSEVoltageLimitAchieved": False}
            limits = {"EVMaximumChargePower": rn(b.max_current * b.max_voltage, 2),
                      "EVMinimumChargePower": rn(0, 0), "EVMaximumChargeCurrent": rn(b.max_current, 0),
                      "EVMaximumVoltage": rn(b.max_voltage, 0), "EVMinimumVoltage": rn(b.v_empty, 0)}
            if self.dynamic:
                energy = {"EVTargetEnergyRequest": rn((80 - b.soc) * 770, 0),
                          "EVMaximumEnergyRequest": rn((100 - b.soc) * 770, 0),
                          "EVMinimumEnergyRequest": rn(-(b.soc - 30) * 770, 0)}
                mode: dict[str, Any] = {**energy, **limits}
                evse = {"EVSEMaximumChargePower": rn(150000, 2), "EVSEMinimumChargePower": rn(0, 0),
                        "EVSEMaximumChargeCurrent": rn(200, 0), "EVSEMaximumVoltage": rn(920, 0)}
                if self.bpt:
                    mode.update(EVMaximumDischargePower=rn(-60000, 2), EVMinimumDischargePower=rn(0, 0),
                                EVMaximumDischargeCurrent=rn(-80, 0))
                    evse.update(EVSEMaximumDischargePower=rn(-50000, 2), EVSEMinimumDischargePower=rn(0, 0),
                                EVSEMaximumDischargeCurrent=rn(-80, 0), EVSEMinimumVoltage=rn(150, 0))
                prefix = "BPT_Dynamic_DC_CL" if self.bpt else "Dynamic_DC_CL"
            else:
                mode = {"EVTargetCurrent": rn(step.target_current, -1), "EVTargetVoltage": rn(b.max_voltage, -1)}
                evse = {}
                prefix = "BPT_Scheduled_DC_CL" if self.bpt else "Scheduled_DC_CL"
            req[prefix + "ReqControlMode"] = mode
            res[prefix + "ResControlMode"] = evse or None
            self.x(DC, "DC_ChargeLoop", req, res, think=0.17, evse_time=0.03)

    # -- AC ------------------------------------------------------------------------------------------
    def ac_parameters(self) -> None:
        req = {"EVMaximumChargePower": rn(11000, 1), "EVMinimumChargePower": rn(1400, 1),
               "EVMaximumDischargePower": rn(-11000, 1), "EVMinimumDischargePower": rn(-1400, 1)}
        res = {"EVSEMaximumChargePower": rn(11000, 1), "EVSEMinimumChargePower": rn(0, 0),
               "EVSENominalFrequency": rn(50, 0), "EVSEMaximumDischargePower": rn(-11000, 1),
               "EVSEMinimumDischargePower": rn(0, 0)}
        self.x(AC, "AC_ChargeParameterDiscovery", {"BPT_AC_CPDReqEnergyTransferMode": req},
               {"ResponseCode": "OK", "BPT_AC_CPDResEnergyTransferMode": res})

    def ac_loop(self) -> None:
        b = self.battery
        power = 0.0
        for i in range(self.loops):
            goal = 11000.0 if i < self.loops // 2 else -7400.0  # the grid asks for energy back halfway
            power += (goal - power) * 0.5 + self.rng.uniform(-40, 40)
            b.flow(power / b.ocv(), 1.0)
            req = {"DisplayParameters": {"PresentSOC": int(b.soc), "ChargingComplete": False},
                   "MeterInfoRequested": False,
                   "BPT_Dynamic_AC_CLReqControlMode": {
                       "EVTargetEnergyRequest": rn((80 - b.soc) * 770, 0),
                       "EVMaximumEnergyRequest": rn((100 - b.soc) * 770, 0),
                       "EVMinimumEnergyRequest": rn(-(b.soc - 20) * 770, 0),
                       "EVMaximumChargePower": rn(11000, 1), "EVMinimumChargePower": rn(1400, 1),
                       "EVPresentActivePower": rn(power, 0), "EVPresentReactivePower": rn(0, 0),
                       "EVMaximumDischargePower": rn(-11000, 1), "EVMinimumDischargePower": rn(-1400, 1)}}
            res = {"ResponseCode": "OK", "BPT_Dynamic_AC_CLResControlMode": {
                "EVSETargetActivePower": rn(goal, 0), "EVSEPresentActivePower": rn(power, 0)}}
            self.x(AC, "AC_ChargeLoop", req, res, think=0.9 if i else 0.2, evse_time=0.03)

    # -- common --------------------------------------------------------------------------------------
    def schedule_exchange(self) -> None:
        b = self.battery
        if self.dynamic:
            mode: Tree = {"DepartureTime": 7200, "MinimumSOC": 30, "TargetSOC": 80,
                          "EVTargetEnergyRequest": rn((80 - b.soc) * 770, 0),
                          "EVMaximumEnergyRequest": rn((100 - b.soc) * 770, 0),
                          "EVMinimumEnergyRequest": rn(-(b.soc - 30) * 770, 0)}
            if self.bpt:
                mode.update(EVMaximumV2XEnergyRequest=rn(20000, 0), EVMinimumV2XEnergyRequest=rn(0, 0))
            req: Tree = {"MaximumSupportingPoints": 1024, "Dynamic_SEReqControlMode": mode}
            res: Tree = {"ResponseCode": "OK", "EVSEProcessing": "Finished", "Dynamic_SEResControlMode": None}
        else:
            anchor = int(self.link.wire.now)
            entries = {"PowerScheduleEntry": [{"Duration": 1800, "Power": rn(50000, 2)},
                                              {"Duration": 84600, "Power": rn(22000, 2)}]}
            req = {"MaximumSupportingPoints": 1024,
                   "Scheduled_SEReqControlMode": {"DepartureTime": 7200,
                                                  "EVTargetEnergyRequest": rn((80 - b.soc) * 770, 0)}}
            res = {"ResponseCode": "OK", "EVSEProcessing": "Finished", "Scheduled_SEResControlMode": {
                "ScheduleTuple": {"ScheduleTupleID": 1, "ChargingSchedule": {"PowerSchedule": {
                    "TimeAnchor": anchor, "PowerScheduleEntries": entries}}}}}
        self.x(CM, "ScheduleExchange", req, res, evse_time=0.05)

    def power_delivery(self, progress: str) -> None:
        req: dict[str, Any] = {"EVProcessing": "Finished", "ChargeProgress": progress}
        if progress == "Start":
            ppt: Tree = ({"Dynamic_EVPPTControlMode": None} if self.dynamic else
                         {"Scheduled_EVPPTControlMode": {"SelectedScheduleTupleID": 1}})
            req["EVPowerProfile"] = {"TimeAnchor": 0, **ppt, "EVPowerProfileEntries": {
                "EVPowerProfileEntry": {"Duration": 3600, "Power": rn(50000, 2)}}}
            if self.bpt:
                req["BPT_ChannelSelection"] = "Charge"
        self.x(CM, "PowerDelivery", req, {"ResponseCode": "OK"}, think=0.1, evse_time=0.1)


def run_iso20(link: Link, loops: int, *, ac: bool = False, bpt: bool = True, dynamic: bool = True,
              discharge: bool = False, ev_payload_type: int | None = None) -> None:
    Iso20Session(link, ac=ac, bpt=bpt, dynamic=dynamic, loops=loops,
                 discharge_from=max(2, loops // 3) if discharge else None, ev_payload_type=ev_payload_type).run()
