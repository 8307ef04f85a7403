"""Encoder choices: empty content, typed values from XML text, invalid values."""

from __future__ import annotations

import pytest

from v2gsniff.dissectors import exi

HEADER = ('<v:V2G_Message xmlns:v="urn:din:70121:2012:MsgDef" xmlns:h="urn:din:70121:2012:MsgHeader" '
          'xmlns:b="urn:din:70121:2012:MsgBody"><v:Header><h:SessionID>0000000000000000</h:SessionID></v:Header>'
          '<v:Body><b:SessionSetupReq>{}</b:SessionSetupReq></v:Body></v:V2G_Message>')


def test_element_without_content_uses_second_level_ee_like_exificient() -> None:
    msg = exi.from_xml(HEADER.format("<b:EVCCID/>"), "din")
    assert msg["Body"]["SessionSetupReq"]["EVCCID"].value is None
    assert exi.encode(msg).hex() == "809a02000000000000000011d400"  # exi.md §7.2 (a)


def test_empty_value_uses_zero_length_characters_like_openv2g() -> None:
    msg = exi.from_xml(HEADER.format("<b:EVCCID/>"), "din")
    msg["Body"]["SessionSetupReq"]["EVCCID"].value = b""
    assert exi.encode(msg).hex() == "809a02000000000000000011d00000"  # din.jsonl line 5 (pyPLC)


def test_xml_text_values_are_typed() -> None:
    msg = exi.from_xml(HEADER.format("<b:EVCCID> 0a0B </b:EVCCID>"), "din")
    assert msg["Body"]["SessionSetupReq"]["EVCCID"].value == bytes.fromhex("0a0b")
    assert msg["Header"]["SessionID"].value == bytes(8)


def test_xml_against_the_wrong_schema_still_encodes_generically_or_fails_clearly() -> None:
    with pytest.raises(exi.ExiError):
        exi.from_xml("<a xmlns:x='urn:x'><x:b/></a", "din")
    msg = exi.from_xml("<unknown>text</unknown>", "din")  # DocContent SE(*) with the profile's xsi:type
    assert msg.root.name == "unknown" and msg.root.value == "text"
