"""Second-level (non-strict) productions: the bit-exact EXIficient examples of exi.md §7.2."""

from __future__ import annotations

import pytest

from v2gsniff.dissectors import exi

XSI = "http://www.w3.org/2001/XMLSchema-instance"
XS = "http://www.w3.org/2001/XMLSchema"

# (schema, hex, a fragment of our XML rendering)
EXAMPLES = [
    ("din", "809a02000000000000000011d400", "<ns3:EVCCID/>"),  # 2nd-level EE
    ("din", "809a02000000000000000011d540", '<ns3:EVCCID xsi:nil="true"/>'),
    ("din", "809a02000000000000000011d618001db585e5899600", 'xsi:nil="maybe"'),  # untyped AT(*)
    ("iso2", "8098020000000000000000100cd0", '<ns3:AuthorizationReq xsi:nil="true"/>'),
    ("iso2", "809802000000000000000011d4a0038060200000000010", 'xsi:type="xs:hexBinary">020000000001<'),
    ("iso2", "80984b805902000000000000000011d01808000000000400", 'xsi:type="ns4:sessionIDType"'),
    ("iso2", "80980200000000000000001a41119bdbd300a0018c158985c98e80c0400000000020",
     '<ns2:Foo xsi:type="xs:anyType">bar</ns2:Foo>'),
    ("iso2", "80980200000000000000001802dd5c9b8e995e185b5c1b1941119bdbd300a0018c158985c98e80c0400000000020",
     'xmlns:ns3="urn:example"'),
    ("iso2", "809802000000000000000011d702ac2cad40", "<ns3:EVCCID>XYZ</ns3:EVCCID>"),  # CH[untyped]
    ("din", "809a020000000000000000118000040008036ea03b137b3bab9b014500", 'ValueType="bogus"'),
    ("din", "809a020000000000000000118000040009930003b6b0bcb13280db8d80a280", 'xsi:nil="maybe"'),
    ("din", "809a020000000000000000118000040008036e3c1400", '<ns4:Parameter Name="n" ValueType="int"/>'),
    ("iso2", "809802000000000000000010000d86041199bdbc0de100", 'foo="x"'),  # AT(*) in a StartTag state
    ("iso2", "809802000000000000000019400380c0000011d01808000000000400", "<ds:DigestValue>AAAA</ds:DigestValue>"),
]


@pytest.mark.parametrize(("schema", "hexdata", "snippet"), EXAMPLES)
def test_decode_and_reencode_bit_exact(schema: str, hexdata: str, snippet: str) -> None:
    msg = exi.decode(bytes.fromhex(hexdata), schema)
    assert snippet in msg.to_xml()
    assert exi.encode(msg).hex() == hexdata


@pytest.mark.parametrize("hexdata", [
    # <Foo a="1"><Bar>x</Bar>tail</Foo> inside Header: nested ur-type content with text after a child
    "80980200000000000000001a41119bdbd300a00180409840cc4c822130b926014003181bc3033a30b4b631d01808000000000400",
    "8098e067465787402000000000000000011d0180800000000040",  # <Header>text<SessionID>...
    "80980200000000000000001c19d195e1d23a0301000000000080",  # ...</SessionID>text</Header>
])
def test_text_between_children_keeps_its_position(hexdata: str) -> None:
    msg = exi.decode(bytes.fromhex(hexdata), "iso2")
    assert exi.encode(msg).hex() == hexdata
    assert exi.encode(exi.from_xml(msg.to_xml(), "iso2")).hex() == hexdata
    header = msg["Header"]
    if "Foo" in header:
        foo = header["Foo"]
        assert foo.attr("a") == "1" and foo.value == "tail" and foo["Bar"].value == "x"
        assert foo.texts == [(1, "tail")]
    else:
        assert header.value == "text"


def test_second_learned_undeclared_element_uses_learned_code() -> None:
    xml = ('<ns7:V2G_Message xmlns:ns7="urn:iso:15118:2:2013:MsgDef" xmlns:ns8="urn:iso:15118:2:2013:MsgHeader" '
           'xmlns:b="urn:iso:15118:2:2013:MsgBody"><ns7:Header><ns8:SessionID>00</ns8:SessionID>'
           '<ns8:Foo>bar</ns8:Foo><ns8:Foo>baz</ns8:Foo></ns7:Header><ns7:Body><b:SessionStopReq>'
           '<b:ChargingSession>Terminate</b:ChargingSession></b:SessionStopReq></ns7:Body></ns7:V2G_Message>')
    msg = exi.from_xml(xml, "iso2")
    foos = msg["Header"].findall("Foo")
    assert [f.value for f in foos] == ["bar", "baz"]
    assert all(f.attrs[(XSI, "type")] == (XS, "anyType") for f in foos)
    assert "a0018c158985c9d201d300a0018c158985e98" in exi.encode(msg).hex()


def test_from_xml_with_xsi_type_and_undeclared_element() -> None:
    # exi.md §7.2 (d): EXIficient's XML for an unknown Header child, back to the same bits
    xml = ('<ns7:V2G_Message xmlns:ns7="urn:iso:15118:2:2013:MsgDef" xmlns:xsi="' + XSI + '" xmlns:xs="' + XS
           + '" xmlns:ns8="urn:iso:15118:2:2013:MsgHeader" xmlns:ns5="urn:iso:15118:2:2013:MsgBody">'
           '<ns7:Header><ns8:SessionID>0000000000000000</ns8:SessionID><ns8:Foo xsi:type="xs:anyType">bar</ns8:Foo>'
           '</ns7:Header><ns7:Body><ns5:SessionSetupReq><ns5:EVCCID>020000000001</ns5:EVCCID></ns5:SessionSetupReq>'
           '</ns7:Body></ns7:V2G_Message>')
    msg = exi.from_xml(xml, "iso2")
    assert exi.encode(msg).hex() == "80980200000000000000001a41119bdbd300a0018c158985c98e80c0400000000020"
    assert msg.to_json()["V2G_Message"]["Header"]["Foo"] == {"@type": "{" + XS + "}anyType", "#text": "bar"}


def test_validating_from_xml_refuses_what_the_default_takes_as_schema_less_content() -> None:
    """An empty unknown Header child: a faulty peer's message round-trips by default; a document that
    must follow the schema (``exi encode``) is refused at that element, with what is expected there."""
    xml = ('<ns7:V2G_Message xmlns:ns7="urn:iso:15118:2:2013:MsgDef" xmlns:ns8="urn:iso:15118:2:2013:MsgHeader" '
           'xmlns:b="urn:iso:15118:2:2013:MsgBody"><ns7:Header><ns8:SessionID>00</ns8:SessionID><ns8:Foo/>'
           '</ns7:Header><ns7:Body><b:SessionStopReq><b:ChargingSession>Terminate</b:ChargingSession>'
           '</b:SessionStopReq></ns7:Body></ns7:V2G_Message>')
    msg = exi.from_xml(xml, "iso2")
    assert msg["Header"]["Foo"].value is None and exi.decode(exi.encode(msg), "iso2").to_xml() == msg.to_xml()
    with pytest.raises(exi.ExiError) as err:
        exi.from_xml(xml, "iso2", validate=True)
    assert err.value.path == "/V2G_Message/Header/Foo"
    assert err.value.reason == ("element Foo ({urn:iso:15118:2:2013:MsgHeader}) is not declared here; the schema "
                                "expects Notification, Signature or the end of the element")
