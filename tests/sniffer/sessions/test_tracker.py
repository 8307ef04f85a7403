"""SessionTracker as a script: records in, sessions out (no captures needed)."""

from __future__ import annotations

from typing import Any

from v2gsniff.sniffer.model import Record
from v2gsniff.sniffer.sessions import SessionTracker
from v2gsniff.sniffer.sessions.body import BodyMemo

EV, EVSE = "02:00:00:00:00:01", "00:01:87:00:00:02"
EV_IP, EVSE_IP = "[fe80::1]:50000", "[fe80::2]:60000"


class Script:
    """Builds records with increasing frame numbers and times."""

    def __init__(self) -> None:
        self.frame = 0
        self.time = 1000.0
        self.tracker = SessionTracker("script.pcap")

    def _next(self, dt: float) -> tuple[int, float]:
        self.frame += 1
        self.time += dt
        return self.frame, self.time

    def slac(self, name: str, run_id: str = "aa", src: str = EV, dst: str = EVSE, **fields: Any) -> None:
        f, t = self._next(0.1)
        self.tracker.observe(Record(f, t, "homeplug", name, src, dst, {"run_id": run_id, **fields}))

    def sdp(self, name: str, security: str = "no TLS") -> None:
        f, t = self._next(0.1)
        src, dst = (EV_IP, "[ff02::1]:15118") if name == "SDPRequest" else ("[fe80::2]:15118", EV_IP)
        self.tracker.observe(Record(f, t, "sdp", name, src, dst, {"security": security, "secc_port": 60000}))

    def tcp(self, name: str, stream: int = 0, ev: bool = True) -> None:
        f, t = self._next(0.1)
        self.tracker.observe(Record(f, t, "tcp", name, EV_IP, EVSE_IP, {"flags": name},
                                    extra={"stream": stream, "dir": "ev->evse" if ev else "evse->ev"}))

    def v2g(self, schema: str, name: str, content: Any = None, stream: int = 0, dt: float = 0.1,
            sid: str = "0102030405060708") -> None:
        f, t = self._next(dt)
        if schema in ("din", "iso2"):
            body = {"V2G_Message": {"Header": {"SessionID": sid}, "Body": {name: content}}}
        elif schema.startswith("iso20") and isinstance(content, dict):
            body = {name: {"Header": {"SessionID": sid, "TimeStamp": 1}, **content}}
        else:
            body = {name: content}
        ev = name.endswith("Req")
        self.tracker.observe(Record(f, t, "v2g", name, EV_IP if ev else EVSE_IP, EVSE_IP if ev else EV_IP, {},
                                    extra={"stream": stream, "dir": "ev->evse" if ev else "evse->ev",
                                           "schema": schema, "body": body}))

    def handshake(self, offers: list[tuple[str, int, int]], code: str = "OK_SuccessfulNegotiation",
                  schema_id: int | None = 1, stream: int = 0) -> None:
        apps = [{"ProtocolNamespace": ns, "VersionNumberMajor": 2, "VersionNumberMinor": 0, "SchemaID": sid,
                 "Priority": prio} for ns, sid, prio in offers]
        self.v2g("apphand", "supportedAppProtocolReq", {"AppProtocol": apps}, stream)
        res: dict[str, Any] = {"ResponseCode": code}
        if schema_id is not None:
            res["SchemaID"] = schema_id
        self.v2g("apphand", "supportedAppProtocolRes", res, stream)


def amps(value: int, mult: int = 0) -> dict[str, int]:
    return {"Multiplier": mult, "Value": value}


DIN = "urn:din:70121:2012:MsgDef"
ISO2 = "urn:iso:15118:2:2013:MsgDef"
ISO20_DC = "urn:iso:std:iso:15118:-20:DC"


def din_session(s: Script, present_current: int = 10) -> None:
    s.slac("CM_SLAC_PARM.REQ")
    s.slac("CM_SLAC_PARM.CNF", src=EVSE, dst=EV)
    s.slac("CM_SLAC_MATCH.CNF", src=EVSE, dst=EV, pev_mac=EV, evse_mac=EVSE, nid="01")
    s.sdp("SDPRequest")
    s.sdp("SDPResponse")
    s.handshake([(ISO2, 2, 2), (DIN, 1, 1)])
    s.v2g("din", "SessionSetupReq", {"EVCCID": "020000000001"}, sid="00")
    s.v2g("din", "SessionSetupRes", {"ResponseCode": "OK_NewSessionEstablished", "EVSEID": "5A5A3030303030"})
    s.v2g("din", "CableCheckReq", {"DC_EVStatus": {"EVRESSSOC": 50}})
    s.v2g("din", "CableCheckRes", {"ResponseCode": "OK"}, dt=2.0)
    s.v2g("din", "CurrentDemandReq", {"DC_EVStatus": {"EVRESSSOC": 51}, "EVTargetVoltage": amps(400),
                                      "EVTargetCurrent": amps(20)})
    s.v2g("din", "CurrentDemandRes", {"ResponseCode": "OK", "EVSEPresentVoltage": amps(399),
                                      "EVSEPresentCurrent": amps(present_current)})


def test_one_din_session_end_to_end() -> None:
    s = Script()
    din_session(s)
    live = s.tracker.sessions
    assert len(live) == 1 and live[0].ended_by is None, "an open session has not ended yet"
    s.v2g("din", "SessionStopReq", None)
    s.v2g("din", "SessionStopRes", {"ResponseCode": "OK"})
    s.tcp("FIN,ACK")
    (sess,) = s.tracker.finish()
    assert [o.namespace for o in sess.sap_offers] == [DIN, ISO2], "offers are in priority order"
    assert (sess.protocol, sess.negotiated_namespace, sess.sap_response_code) == \
        ("din", DIN, "OK_SuccessfulNegotiation")
    assert [p.name for p in sess.phases] == ["SLAC", "SDP", "SupportedAppProtocol", "SessionSetup", "CableCheck",
                                              "ChargeLoop", "SessionStop"]
    assert sess.phase_time("CableCheck") == 2.0
    assert sess.vehicle.evccid == "020000000001" and sess.vehicle.pev_mac == EV
    assert sess.vehicle.modem_vendor == "locally administered (random MAC)"
    assert (sess.charger.evseid, sess.charger.evse_mac, sess.charger.modem_vendor) == ("ZZ00000", EVSE, "I2SE")
    assert sess.ended_by is not None and sess.ended_by.kind == "SessionStop"
    assert sess.ended_by.detail == "SessionStopReq; then TCP FIN from EV"
    assert sess.bpt_outcome == "protocol-without-bpt" and not sess.non_standard_discharge
    res = [p for p in sess.series if p.message == "CurrentDemandRes"][0]
    assert (res.get("evse_present_voltage"), res.get("evse_present_current"), res.get("evse_present_power")) == \
        (399.0, 10.0, 3990.0)
    req = [p for p in sess.series if p.message == "CurrentDemandReq"][0]
    assert (req.get("ev_target_power"), req.get("soc")) == (8000.0, 51.0)
    assert sess.energy_transfer == "DC"
    assert {e.message for e in sess.evidence} >= {"supportedAppProtocolReq", "supportedAppProtocolRes"}


def test_negative_current_in_din_is_non_standard_discharge() -> None:
    s = Script()
    din_session(s, present_current=-150)
    (sess,) = s.tracker.finish()
    assert sess.bpt_outcome == "protocol-without-bpt"
    assert sess.non_standard_discharge and sess.bpt.min_current == -15.0 * 10
    assert any("negative present current" in e.statement for e in sess.bpt.evidence)


def test_failures_first_highlighted_and_unanswered_request() -> None:
    s = Script()
    din_session(s)
    s.v2g("din", "CurrentDemandReq", {"EVTargetCurrent": amps(5)})
    s.v2g("din", "CurrentDemandRes", {"ResponseCode": "FAILED_SequenceError"})
    s.v2g("din", "CurrentDemandReq", {"EVTargetCurrent": amps(5)})
    s.tcp("RST", ev=False)
    s.v2g("din", "CurrentDemandReq", {"EVTargetCurrent": amps(5)}, stream=1)
    s.tcp("RST", stream=1, ev=False)
    (sess,) = s.tracker.finish()
    # after a FAILED answer the charger ends the session: the request it then leaves unanswered is
    # no failure of its own; a request left open when the charger resets a healthy connection is
    assert [(f.code, f.phase) for f in sess.failures] == [("FAILED_SequenceError", "ChargeLoop"),
                                                           ("no response", "ChargeLoop")]
    assert sess.failures[1].frame == s.frame - 1
    assert sess.first_failure is not None and sess.first_failure.code == "FAILED_SequenceError"
    assert sess.ended_by is not None and (sess.ended_by.kind, sess.ended_by.detail) == ("TCP RST", "from EVSE")
    assert [p.ok for p in sess.phases if p.name == "ChargeLoop"] == [False]


def test_failed_handshake_and_unknown_namespace_by_name() -> None:
    s = Script()
    s.sdp("SDPRequest")
    s.handshake([("urn:tesla:din:2018:MsgDef", 2, 1), (DIN, 1, 2)], code="Failed_NoNegotiation", schema_id=None)
    (sess,) = s.tracker.finish()
    assert sess.bpt_outcome == "handshake-failed" and sess.protocol is None
    assert [o.name for o in sess.sap_offers] == ["Tesla-DIN", "DIN"]
    assert sess.failures[0].code == "Failed_NoNegotiation"
    assert sess.ended_by is not None and sess.ended_by.kind == "capture end"


def test_new_slac_run_after_v2g_opens_a_new_session_and_retries_do_not() -> None:
    s = Script()
    s.slac("CM_SLAC_PARM.REQ", run_id="01")
    s.slac("CM_SLAC_PARM.REQ", run_id="02")  # a restart before any V2G: same session
    din_session(s)
    s.tcp("FIN,ACK")
    s.slac("CM_SLAC_PARM.REQ", run_id="03")
    s.sdp("SDPRequest")
    sessions = s.tracker.finish()
    assert len(sessions) == 2
    assert sessions[0].slac is not None and sessions[0].slac.run_ids == ("01", "02", "aa")
    assert sessions[1].slac is not None and sessions[1].slac.run_ids == ("03",)
    assert sessions[1].last_phase == "SDP"


def test_reconnect_with_new_sap_after_session_is_a_new_session_on_the_same_link() -> None:
    s = Script()
    din_session(s)
    s.tcp("RST", ev=False)
    s.sdp("SDPRequest")
    s.handshake([(DIN, 1, 1)], stream=1)
    sessions = s.tracker.finish()
    assert [x.streams for x in sessions] == [(0,), (1,)]
    assert sessions[1].vehicle.pev_mac == EV, "no new SLAC: the link identity carries over"
    assert sessions[0].ended_by is not None and sessions[0].ended_by.kind == "TCP RST"


def iso20_session(s: Script, services: list[int], selected: int, present_power: int, mode: str) -> None:
    s.sdp("SDPRequest", "TLS")
    s.sdp("SDPResponse", "no TLS")
    s.handshake([(ISO20_DC, 1, 1)])
    s.v2g("iso20-cm", "ServiceDiscoveryRes", {"ResponseCode": "OK", "EnergyTransferServiceList": {
        "Service": [{"ServiceID": x, "FreeService": False} for x in services]}})
    s.v2g("iso20-cm", "ServiceDetailRes", {"ResponseCode": "OK", "ServiceID": selected, "ServiceParameterList": {
        "ParameterSet": {"ParameterSetID": 1, "Parameter": [{"@Name": "ControlMode", "intValue": 2},
                                                            {"@Name": "BPTChannel", "intValue": 1}]}}})
    s.v2g("iso20-cm", "ServiceSelectionReq", {"SelectedEnergyTransferService": {"ServiceID": selected,
                                                                               "ParameterSetID": 1}})
    s.v2g("iso20-dc", "DC_ChargeParameterDiscoveryReq", {"BPT_DC_CPDReqEnergyTransferMode": {
        "EVMaximumDischargePower": {"Exponent": 3, "Value": 11}}})
    s.v2g("iso20-cm", "PowerDeliveryReq", {"ChargeProgress": "Start", "BPT_ChannelSelection": "Discharge"})
    s.v2g("iso20-dc", "DC_ChargeLoopRes", {"ResponseCode": "OK", mode: {
        "EVSEPresentCurrent": {"Exponent": 0, "Value": present_power // 400}},
        "EVSEPresentVoltage": {"Exponent": 0, "Value": 400}})


def test_iso20_bpt_outcomes() -> None:
    s = Script()
    iso20_session(s, [2, 6], 6, -4000, "BPT_Dynamic_DC_CLResControlMode")
    (sess,) = s.tracker.finish()
    assert sess.bpt_outcome == "bpt-working"
    assert (sess.bpt.selected_service, sess.bpt.control_mode, sess.bpt.channel) == (6, "BPT Dynamic", "Discharge")
    assert dict(sess.bpt.parameters) == {"ControlMode": 2, "BPTChannel": 1}
    assert dict(sess.bpt.discharge_limits) == {"EVMaximumDischargePower": 11000.0}
    assert sess.bpt.min_current == -10.0
    assert [f.requirement for f in sess.tls.findings] == ["[V2G20-1237]", "[V2G20-2356]"]
    assert sess.tls.ev_requests == ("TLS",) and sess.tls.secc_answer == "no TLS"

    s = Script()
    iso20_session(s, [2, 6], 2, 4000, "Scheduled_DC_CLResControlMode")
    assert s.tracker.finish()[0].bpt_outcome == "bpt-offered-not-selected"
    s = Script()
    iso20_session(s, [2], 2, 4000, "Scheduled_DC_CLResControlMode")
    assert s.tracker.finish()[0].bpt_outcome == "no-bpt-offered"
    s = Script()
    iso20_session(s, [2, 6], 6, 4000, "BPT_Scheduled_DC_CLResControlMode")
    assert s.tracker.finish()[0].bpt_outcome == "bpt-negotiated-no-discharge"


def test_silence_before_capture_end() -> None:
    s = Script()
    din_session(s)
    s.slac("CM_SLAC_PARM.REQ", run_id="aa")  # same run while the session runs: noise, not a session
    s.time += 60
    s.tracker.observe(Record(s.frame + 1, s.time, "icmpv6", "Neighbor Solicitation"))
    (sess,) = s.tracker.finish()
    assert sess.ended_by is not None and sess.ended_by.kind == "silence"
    assert sess.last_phase == "ChargeLoop"


def test_revision_changes_only_with_session_records() -> None:
    s = Script()
    before = s.tracker.revision
    s.tracker.observe(Record(1, 1.0, "icmpv6", "Neighbor Solicitation"))
    assert s.tracker.revision == before and s.tracker.sessions == []
    s.sdp("SDPRequest")
    assert s.tracker.revision > before and len(s.tracker.sessions) == 1


def test_a_repeated_body_gives_each_record_its_own_point() -> None:
    """The decoder shares one body object between records of the same bytes; the tracker reads
    such a body once, yet every record keeps its own frame and time."""
    s = Script()
    din_session(s)
    shared = {"V2G_Message": {"Header": {"SessionID": "0102030405060708"}, "Body": {"CurrentDemandReq": {
        "DC_EVStatus": {"EVRESSSOC": 60}, "EVTargetVoltage": amps(400), "EVTargetCurrent": amps(30)}}}}
    frames = []
    for _ in range(3):
        f, t = s._next(0.1)
        frames.append((f, t))
        s.tracker.observe(Record(f, t, "v2g", "CurrentDemandReq", EV_IP, EVSE_IP, {},
                                 extra={"stream": 0, "dir": "ev->evse", "schema": "din", "body": shared}))
    (sess,) = s.tracker.finish()
    points = [p for p in sess.series if p.frame in {f for f, _ in frames}]
    assert [(p.frame, p.time) for p in points] == frames
    assert {p.values for p in points} == {(("ev_target_current", 30.0), ("ev_target_power", 12000.0),
                                           ("ev_target_voltage", 400.0), ("soc", 60.0))}


def test_body_memo_computes_once_per_object_and_forgets_the_oldest() -> None:
    calls: list[int] = []

    def size(node: dict[str, int]) -> int:
        calls.append(id(node))
        return len(node)

    memo = BodyMemo(size, size=2)
    a, b, c = {"x": 1}, {"x": 1}, {"x": 1, "y": 2}
    assert [memo(a), memo(a), memo(b), memo(a)] == [1, 1, 1, 1]
    assert calls == [id(a), id(b)]  # an equal but distinct object is its own entry
    assert memo(c) == 2  # a third entry pushes out the oldest (a)
    assert memo(a) == 1 and calls == [id(a), id(b), id(c), id(a)]
