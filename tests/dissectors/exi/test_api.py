"""Public constants and schema guessing."""

from __future__ import annotations

from v2gsniff.dissectors import exi


def test_schemas_and_namespaces() -> None:
    assert exi.SCHEMAS == ("apphand", "din", "iso2", "iso20-cm", "iso20-ac", "iso20-dc", "iso20-wpt",
                           "iso20-acdp", "xmldsig")
    assert exi.NAMESPACES["urn:din:70121:2012:MsgDef"] == "din"
    assert exi.NAMESPACES["urn:iso:15118:2:2013:MsgDef"] == "iso2"
    assert exi.NAMESPACES["urn:iso:std:iso:15118:-20:CommonMessages"] == "iso20-cm"
    assert set(exi.NAMESPACES.values()) == set(exi.SCHEMAS)
    for ns in ("urn:iso:15118:2:2010:MsgDef", "urn:iso:15118:2:2016:MsgDef", "urn:tesla:din:2018:MsgDef"):
        assert exi.UNSUPPORTED_NAMESPACES[ns]
    assert exi.PAYLOAD_TYPE_SCHEMA[0x8004] == "iso20-dc"
    assert exi.PAYLOAD_TYPE_SCHEMA[0x8001] == ("apphand", "din", "iso2")


def test_guess_schemas_from_first_bytes() -> None:
    assert exi.guess_schemas(bytes.fromhex("809a0211")) == ["din"]
    assert exi.guess_schemas(bytes.fromhex("80980200")) == ["iso2"]
    assert exi.guess_schemas(bytes.fromhex("80400040"))[0] == "apphand"
    assert exi.guess_schemas(bytes.fromhex("8000dbab"))[0] == "apphand"
    assert "iso20-dc" in exi.guess_schemas(bytes.fromhex("8034"))  # DC_ChargeLoopReq (index 13)
    assert "iso20-cm" in exi.guess_schemas(bytes.fromhex("808c"))  # SessionSetupReq (index 35)
    assert exi.guess_schemas(b"\x00\x01") == [] and exi.guess_schemas(b"") == []


def test_document_grammar_widths_match_real_streams() -> None:
    # exi.md §1: DIN 81 globals + SE(*) -> 7 bits, ISO-2 80 + 1, ISO-20 6 bits, SAP 2 bits
    from v2gsniff.dissectors.exi.grammar import load

    widths = {name: load(name).states[load(name).document].width for name in exi.SCHEMAS}
    assert widths["din"] == 7 and widths["iso2"] == 7 and widths["apphand"] == 2
    assert all(widths[n] == 6 for n in ("iso20-cm", "iso20-ac", "iso20-dc", "iso20-wpt", "iso20-acdp"))
    frag = {name: len(load(name).states[load(name).fragment].prods) for name in exi.SCHEMAS}
    assert frag["iso2"] == 245 and frag["din"] == 247 and frag["iso20-cm"] == 283 and frag["apphand"] == 11
