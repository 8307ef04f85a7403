"""The ``exi`` click group, invoked directly with CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from v2gsniff.sniffer.commands.exi import exi

DIN_SD = "809a0211d63f74d2297ac9119400"
SAP_RES = "80400040"


def test_decode_xml_auto_schema() -> None:
    result = CliRunner().invoke(exi, ["decode", DIN_SD])
    assert result.exit_code == 0, result.output
    assert "ServiceDiscoveryReq" in result.output and "urn:din:70121:2012:MsgBody" in result.output


def test_decode_json_with_schema() -> None:
    result = CliRunner().invoke(exi, ["decode", SAP_RES, "--schema", "apphand", "--format", "json"])
    assert result.exit_code == 0
    doc = json.loads(result.output)
    assert doc["name"] == "supportedAppProtocolRes"
    assert doc["body"]["supportedAppProtocolRes"]["SchemaID"] == 1


def test_decode_jsonl_from_stdin_keeps_going_after_a_bad_line() -> None:
    stdin = f"{DIN_SD}\nzz-not-hex\n809a0211\n{SAP_RES}\n"
    result = CliRunner().invoke(exi, ["decode", "-", "--format", "jsonl"], input=stdin)
    assert result.exit_code == 0
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert [r["name"] for r in rows] == ["ServiceDiscoveryReq", None, None, "supportedAppProtocolRes"]
    assert rows[0]["schema"] == "din" and rows[0]["error"] is None and rows[0]["xml"].startswith("<")
    assert rows[1]["error"].startswith("not a hex string")
    assert rows[2]["error"].startswith("din: bit 18 in /V2G_Message/Header/SessionID")
    assert set(rows[0]) == {"name", "namespace", "schema", "xml", "body", "findings", "error"}
    assert rows[0]["findings"] == []


def test_decode_jsonl_writes_an_integer_past_64_bits_exactly() -> None:
    # xmldsig's HMACOutputLength is an unbounded xs:integer: 2**80 in EXI, which orjson cannot write
    big = "80801dd5c9b8e9e010101010101010101010100104"
    result = CliRunner().invoke(exi, ["decode", "-", "--schema", "xmldsig", "--format", "jsonl"],
                                input=f"{DIN_SD}\n{big}\n")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert rows[1]["body"] == {"SignatureMethod": {"@Algorithm": "urn:x", "HMACOutputLength": 2**80}}
    assert "<ds:HMACOutputLength>1208925819614629174706176</ds:HMACOutputLength>" in rows[1]["xml"]
    assert rows[0]["error"].startswith("xmldsig: ")  # the line before still has its own row


def test_decode_error_exit_status() -> None:
    result = CliRunner().invoke(exi, ["decode", "809a0211", "--schema", "din"])
    assert result.exit_code == 1
    assert "bit 18 in /V2G_Message/Header/SessionID" in result.output


def test_encode_xml_file(tmp_path: Path) -> None:
    xml = CliRunner().invoke(exi, ["decode", DIN_SD]).output
    path = tmp_path / "msg.xml"
    path.write_text(xml)
    result = CliRunner().invoke(exi, ["encode", str(path), "--schema", "din"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == DIN_SD


def test_encode_reports_bad_xml(tmp_path: Path) -> None:
    path = tmp_path / "bad.xml"
    path.write_text("<not-closed>")
    result = CliRunner().invoke(exi, ["encode", str(path), "--schema", "din"])
    assert result.exit_code == 2 and "not well-formed" in result.output


def test_decode_fragment_auto() -> None:
    result = CliRunner().invoke(exi, ["decode", "802202b4b21900401e80", "--fragment", "--format", "jsonl"])
    row = json.loads(result.output)
    assert row["name"] == "ContractSignatureEncryptedPrivateKey" and row["schema"] == "iso2"


# A DIN CurrentDemandReq of the Hyundai Kona capture (everest-logfiles__Hyundai_Kona_2017_..., frame 681).
DIN_CD = "809a0219d01c539a2086bd90d100000a20406014010287b10004061a01e28018104e1880c08000081428c780"


def _xml(tmp_path: Path, change: tuple[str, str] | None = None) -> Path:
    text = CliRunner().invoke(exi, ["decode", DIN_CD, "--compact"]).output
    if change:
        assert change[0] in text
        text = text.replace(*change)
    path = tmp_path / "msg.xml"
    path.write_text(text)
    return path


def test_decode_xml_is_indented_unless_compact() -> None:
    pretty = CliRunner().invoke(exi, ["decode", DIN_CD]).output
    compact = CliRunner().invoke(exi, ["decode", DIN_CD, "--compact"]).output
    assert compact.count("\n") == 1 and pretty.count("\n") > 20
    assert "\n  <ns1:Header>\n    <ns2:SessionID>6740714E68821AF6</ns2:SessionID>" in pretty
    assert "".join(line.strip() for line in pretty.splitlines()) == compact.strip()


def test_encode_takes_the_schema_from_the_root_namespace(tmp_path: Path) -> None:
    result = CliRunner().invoke(exi, ["encode", str(_xml(tmp_path))])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == DIN_CD, "the same bytes as the car sent"


def test_encode_refuses_an_unknown_element(tmp_path: Path) -> None:
    path = _xml(tmp_path, ("ns3:CurrentDemandReq>", "ns3:CurrentDemandRequest>"))
    result = CliRunner().invoke(exi, ["encode", str(path)])
    assert result.exit_code == 2
    assert "in /V2G_Message/Body/CurrentDemandRequest: element CurrentDemandRequest" in result.stderr
    assert "not declared here" in result.stderr and "CurrentDemandReq)" in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize(("change", "path", "expects"), [
    # empty, where a sibling is expected (before the schema's end of Header)
    (("</ns2:SessionID>", "</ns2:SessionID><ns2:Bogus/>"), "/V2G_Message/Header/Bogus",
     "Notification, Signature or the end of the element"),
    # empty, with attributes, where the schema's next element is required
    (("<ns3:DC_EVStatus>", '<ns3:Extra a="1"/><ns3:DC_EVStatus>'), "/V2G_Message/Body/CurrentDemandReq/Extra",
     "DC_EVStatus"),
    # empty, in a namespace the schema does not know, after the last child
    (("</ns3:CurrentDemandReq>", '<x:Note xmlns:x="urn:example"/></ns3:CurrentDemandReq>'),
     "/V2G_Message/Body/CurrentDemandReq/Note", "the end of the element"),
    # empty, inside a simple-typed element
    (("<ns4:EVRESSSOC>81</ns4:EVRESSSOC>", "<ns4:EVRESSSOC><ns4:Percent/></ns4:EVRESSSOC>"),
     "/V2G_Message/Body/CurrentDemandReq/DC_EVStatus/EVRESSSOC/Percent", "text"),
])
def test_encode_refuses_an_empty_unknown_element(tmp_path: Path, change: tuple[str, str], path: str,
                                                 expects: str) -> None:
    """An empty element the schema has no place for was once encoded as schema-less content."""
    result = CliRunner().invoke(exi, ["encode", str(_xml(tmp_path, change))])
    name = path.rsplit("/", 1)[1]
    assert result.exit_code == 2, result.output
    assert f"in {path}: element {name} " in result.stderr and f"the schema expects {expects}" in result.stderr
    assert result.stdout == "" and "Traceback" not in result.output
    lenient = CliRunner().invoke(exi, ["encode", "--lenient", str(_xml(tmp_path, change))])
    assert lenient.exit_code == 2 and lenient.stderr == result.stderr  # --lenient is about facets only


def test_encode_refuses_an_undeclared_attribute_and_text(tmp_path: Path) -> None:
    attr = CliRunner().invoke(exi, ["encode", str(_xml(tmp_path, ("<ns3:DC_EVStatus>", '<ns3:DC_EVStatus x="1">')))])
    assert attr.exit_code == 2 and "/DC_EVStatus: attribute x is not declared here" in attr.stderr
    text = CliRunner().invoke(exi, ["encode", str(_xml(tmp_path, ("<ns3:DC_EVStatus>", "<ns3:DC_EVStatus>hi")))])
    assert text.exit_code == 2 and "/DC_EVStatus: text 'hi' is not declared here" in text.stderr


def test_encode_refuses_a_value_outside_the_enumeration(tmp_path: Path) -> None:
    path = _xml(tmp_path, (">NO_ERROR<", ">NO_SUCH_ERROR<"))
    result = CliRunner().invoke(exi, ["encode", str(path), "--schema", "din"])
    assert result.exit_code == 2
    assert "/V2G_Message/Body/CurrentDemandReq/DC_EVStatus/EVErrorCode: 'NO_SUCH_ERROR' is not a valid value" \
        in result.stderr


def test_encode_refuses_a_document_of_another_schema(tmp_path: Path) -> None:
    result = CliRunner().invoke(exi, ["encode", str(_xml(tmp_path)), "--schema", "iso2"])
    assert result.exit_code == 2
    assert "the document is 'urn:din:70121:2012:MsgDef' (schema din), not iso2" in result.stderr
    assert result.stderr.count("msg.xml") == 1


def test_encode_missing_file_is_not_found(tmp_path: Path) -> None:
    result = CliRunner().invoke(exi, ["encode", str(tmp_path / "nope.xml")])
    assert result.exit_code == 3 and result.stderr.count("nope.xml") == 1
# frame 342 of dsV2Gshark__ISO-2_DC_SalesTariffSchedule_DS5366_RiseV2G.pcapng with its first profile
# entry's ChargingProfileEntryMaxNumberOfPhasesInUse set to 4 (ISO-2 allows 1..3; see tests/sniffer/findings)
FOUR_PHASES = "80980230e93efd8e0d910d9150012000030a00e0c0b8620c280b0202a29c0830a00e084100258000"


def test_decode_lists_facet_findings_and_encode_refuses_them_unless_lenient(tmp_path: Path) -> None:
    runner = CliRunner()
    row = json.loads(runner.invoke(exi, ["decode", "--format", "jsonl", FOUR_PHASES]).stdout)
    assert row["error"] is None and row["name"] == "PowerDeliveryReq"
    (finding,) = row["findings"]
    assert (finding["rule"], finding["facet"], finding["limit"], finding["value"], finding["bit"]) == (
        "schema.facet", "maxInclusive", 3, 4, 160)
    assert finding["path"].endswith("/ProfileEntry/ChargingProfileEntryMaxNumberOfPhasesInUse")
    xml = tmp_path / "pd.xml"
    xml.write_text(runner.invoke(exi, ["decode", FOUR_PHASES]).stdout)
    strict = runner.invoke(exi, ["encode", "--schema", "iso2", str(xml)])
    assert strict.exit_code == 2 and "violates maxInclusive 3" in strict.stderr  # an invalid document: usage error
    lenient = runner.invoke(exi, ["encode", "--schema", "iso2", "--lenient", str(xml)])
    assert lenient.exit_code == 0 and lenient.stdout.strip() == FOUR_PHASES
