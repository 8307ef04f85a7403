"""The decoded-message model: navigation, names, physical values, JSON and XML forms."""

from __future__ import annotations

import gc
import json

import pytest

from v2gsniff.dissectors import exi
from v2gsniff.dissectors.exi.grammar import D_B64, D_HEX

# DIN CurrentDemandReq from a real charge (pyPLC capture, din.jsonl)
DIN_CD = bytes.fromhex("809a0211d63f74d2297ac911a00120024100c4")
ISO2_CD = bytes.fromhex("80980200b6c881cec2134b50d10028010619a02450840e31b000")  # everest-core + pad byte
ISO20_DC_LOOP = "iso20-dc"


def test_message_name_and_namespace_din() -> None:
    msg = exi.decode(bytes.fromhex("809a0211d63f74d2297ac9119400"), "din")
    assert msg.name == "ServiceDiscoveryReq"
    assert msg.namespace == "urn:din:70121:2012:MsgBody"
    assert msg.root.name == "V2G_Message" and msg.root.ns == "urn:din:70121:2012:MsgDef"
    assert msg["Header"]["SessionID"].value == bytes.fromhex("4758FDD348A5EB24")
    assert msg["Body"]["ServiceDiscoveryReq"]["ServiceCategory"].value == "EVCharging"
    assert "Body" in msg and "Nope" not in msg
    with pytest.raises(KeyError):
        msg["Nope"]


def test_sap_names() -> None:
    msg = exi.decode(bytes.fromhex("80400040"), "apphand")
    assert msg.name == "supportedAppProtocolRes"
    assert msg.namespace == "urn:iso:15118:2:2010:AppProtocol"
    assert msg["ResponseCode"].value == "OK_SuccessfulNegotiation"
    assert msg["ResponseCode"].ns == ""  # AppProtocol local elements are unqualified
    assert msg.to_json() == {"supportedAppProtocolRes": {"ResponseCode": "OK_SuccessfulNegotiation",
                                                         "SchemaID": 1}}


def test_iso2_current_demand_physical_values() -> None:
    msg = exi.decode(ISO2_CD, "iso2")
    assert msg.name == "CurrentDemandReq"
    req = msg["Body"]["CurrentDemandReq"]
    voltage = req["EVTargetVoltage"]
    assert voltage["Unit"].value == "V"
    assert voltage.physical == exi.physical(voltage)
    assert voltage.physical == voltage["Value"].value * 10.0 ** voltage["Multiplier"].value
    assert req["DC_EVStatus"].physical is None  # not a physical value
    with pytest.raises(exi.ExiError):
        exi.physical(req["DC_EVStatus"])


def test_json_shape_is_stable_and_serialisable() -> None:
    msg = exi.decode(ISO2_CD, "iso2")
    doc = msg.to_json()
    assert list(doc) == ["V2G_Message"]
    body = doc["V2G_Message"]["Body"]["CurrentDemandReq"]
    assert body["EVTargetVoltage"]["Unit"] == "V"
    assert doc["V2G_Message"]["Header"]["SessionID"] == msg["Header"]["SessionID"].value.hex().upper()
    assert json.loads(json.dumps(doc)) == doc


def test_repeated_children_become_lists_and_attributes_get_at() -> None:
    root = exi.Element("urn:x", "R", {("", "Id"): "a"}, [exi.Element("urn:x", "C", value=1),
                                                        exi.Element("urn:x", "C", value=2),
                                                        exi.Element("urn:x", "D", value=True)])
    assert root.to_json() == {"@Id": "a", "C": [1, 2], "D": True}
    assert [c.value for c in root.findall("C")] == [1, 2]
    assert root.attr("Id") == "a"


def test_the_json_made_beside_the_xml_is_to_json_in_every_shape() -> None:
    # to_xml_and_json walks the tree once for both; to_json is the JSON-only walk: same content
    xsi = exi.model.XSI_NS
    leaf = exi.Element
    mixed = leaf("urn:x", "M", children=[leaf("urn:x", "C", value=1), leaf("urn:x", "C", value=2)],
                 value="ab", texts=[(0, "a"), (2, "b")])
    root = leaf("urn:x", "R", {("", "Id"): "a", (xsi, "type"): ("urn:x", "T"), ("", "Raw"): b"\x01"}, [
        leaf("urn:x", "C", value=1), leaf("urn:y", "D", value=b"\xab", dtype=D_HEX), leaf("urn:x", "C", value=None),
        leaf("urn:x", "E", value=b"\x00", dtype=D_B64), leaf("urn:x", "F", {("", "n"): 3}), mixed,
        leaf("urn:x", "G", children=[leaf("urn:x", "H", value=False)]), leaf("urn:x", "C", value="x<y")])
    text, content = exi.ExiMessage(root, "iso2").to_xml_and_json()
    assert content == {"R": {"@Id": "a", "@type": "{urn:x}T", "@Raw": "01", "C": [1, None, "x<y"], "D": "AB",
                             "E": "AA==", "F": {"@n": 3}, "M": {"#text": "ab", "C": [1, 2]}, "G": {"H": False}}}
    assert content == exi.ExiMessage(root, "iso2").to_json()
    assert text == exi.ExiMessage(root, "iso2").to_xml() and "<ns1:C>x&lt;y</ns1:C>" in text
    assert "<ns1:M>a<ns1:C>1</ns1:C><ns1:C>2</ns1:C>b</ns1:M>" in text


def test_signed_fragment_attributes_and_base64() -> None:
    msg = exi.decode_fragment(bytes.fromhex("802202b4b21900401e80"), "iso2")
    assert msg.name == "ContractSignatureEncryptedPrivateKey" and msg.fragment
    assert msg.root.attr("Id") == "id2"
    assert msg.to_json() == {"ContractSignatureEncryptedPrivateKey": {"@Id": "id2", "#text": "AA=="}}
    assert ">AA==<" in msg.to_xml()


def test_xml_is_namespaced_and_escaped() -> None:
    root = exi.Element("urn:a", "R", {("urn:b", "Id"): 'x"<'}, [exi.Element("", "plain", value="a&b")])
    xml = exi.ExiMessage(root, "apphand").to_xml()
    assert xml == '<ns1:R xmlns:ns1="urn:a" xmlns:ns2="urn:b" ns2:Id="x&quot;&lt;"><plain>a&amp;b</plain></ns1:R>'


def test_equality_and_repr() -> None:
    a = exi.decode(DIN_CD, "din")
    b = exi.decode(DIN_CD, "din")
    assert a == b and a.root == b.root
    assert "din" in repr(a) and "V2G_Message" in repr(a.root)


def test_iso20_rational_numbers_and_root_message_name() -> None:
    # libiso15118 DC_ChargeLoopReq (iso20.jsonl, published)
    data = bytes.fromhex("8034042d166f29fb80ea560aebdbfb3062810012006164000a02002400c800")
    msg = exi.decode(data, "iso20-dc")
    assert (msg.name, msg.namespace) == ("DC_ChargeLoopReq", "urn:iso:std:iso:15118:-20:DC")
    mode = msg["BPT_Scheduled_DC_CLReqControlMode"]
    assert mode["EVTargetCurrent"].physical == 20.0
    assert exi.physical(msg["EVPresentVoltage"]) == 400.0
    assert msg.to_json()["DC_ChargeLoopReq"]["Header"]["TimeStamp"] == 1718607534


def test_decoding_and_rendering_leave_nothing_to_the_cycle_collector() -> None:
    # A long batch (exi decode - --format jsonl) frees each message by reference counting alone:
    # a cycle per message would be collected late, at a cost per line.
    sap = exi.decode(bytes.fromhex("8000dbab9371d3234b71d1b981899189d191818991d26b9b3a232b30020000040040"), "apphand")
    sap["AppProtocol"]["Priority"].value = 21  # out of facet: the decode lists it, walking the tree
    messages = [(exi.encode(sap, lenient=True), "apphand"), (bytes.fromhex("809a0211d63f74d2297ac9119400"), "din")]
    gc.collect()
    enabled = gc.isenabled()
    gc.disable()
    try:
        for data, schema in messages:
            msg = exi.decode(data, schema)
            assert msg.to_xml().startswith("<") and msg.to_json()
        assert exi.decode(messages[0][0], "apphand").violations  # the path with the tree walk ran
        assert gc.collect() == 0
    finally:
        if enabled:
            gc.enable()


@pytest.mark.parametrize("count", [3, 40])  # 40: past the namespace orders documents share
def test_prefixes_follow_each_documents_order_of_first_use(count: int) -> None:
    # Documents that take up the same namespaces in other orders, one after another: every element
    # keeps its own namespace, and ns1, ns2, ... follow the order in which the document uses them.
    import xml.etree.ElementTree as ET

    spaces = [f"urn:k{i}" for i in range(count)]
    for order in (spaces, spaces[::-1], spaces[1:] + spaces[:1], spaces):
        root = exi.Element(order[0], "Root", children=[exi.Element(ns, f"E{i}", value=i) for i, ns in enumerate(order)])
        text = exi.ExiMessage(root, "apphand").to_xml()
        parsed = ET.fromstring(text)
        assert parsed.tag == f"{{{order[0]}}}Root"
        assert [(c.tag, c.text) for c in parsed] == [(f"{{{ns}}}E{i}", str(i)) for i, ns in enumerate(order)]
        assert text.startswith(f'<ns1:Root xmlns:ns1="{order[0]}"')
        assert f'<ns{count}:E{count - 1}>' in text
