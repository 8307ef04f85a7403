"""Message-set selection: SupportedAppProtocol decides, contradictions are findings, drafts are named."""

from __future__ import annotations

from v2gsniff.dissectors import exi
from v2gsniff.sniffer.streams.framing import Message
from v2gsniff.sniffer.v2g import V2GDecoder

APP = "urn:iso:15118:2:2010:AppProtocol"


def _sap_req(*offers: tuple[str, int]) -> bytes:
    protos = "".join(
        f"<AppProtocol><ProtocolNamespace>{ns}</ProtocolNamespace><VersionNumberMajor>2</VersionNumberMajor>"
        f"<VersionNumberMinor>0</VersionNumberMinor><SchemaID>{sid}</SchemaID><Priority>{i + 1}</Priority>"
        "</AppProtocol>"
        for i, (ns, sid) in enumerate(offers)
    )
    return exi.encode(exi.from_xml(f'<ns:supportedAppProtocolReq xmlns:ns="{APP}">{protos}</ns:supportedAppProtocolReq>',
                                   "apphand"))


def _sap_res(sid: int) -> bytes:
    xml = (f'<ns:supportedAppProtocolRes xmlns:ns="{APP}"><ResponseCode>OK_SuccessfulNegotiation</ResponseCode>'
           f"<SchemaID>{sid}</SchemaID></ns:supportedAppProtocolRes>")
    return exi.encode(exi.from_xml(xml, "apphand"))


# ServiceDiscoveryReq in DIN (from the codec's doctest) and a DIN SessionSetupReq (exi.md §7.2)
DIN_MSG = bytes.fromhex("809a0211d63f74d2297ac9119400")
ISO2_LOOKING = bytes.fromhex("809802000000000000000011d01808000000000400")


def _run(dec: V2GDecoder, payloads: list[bytes]) -> list:  # type: ignore[type-arg]
    out = []
    for i, p in enumerate(payloads):
        data = bytes([1, 0xFE, 0x80, 0x01]) + len(p).to_bytes(4, "big") + p
        out.append(dec.message(0, i % 2 == 0, Message(data, 0x8001, i + 1, 0.0, i + 1, 0), "a", "b", {}))
    return out


def test_negotiated_set_decides_and_contradiction_is_a_finding() -> None:
    recs = _run(V2GDecoder(), [_sap_req(("urn:din:70121:2012:MsgDef", 1)), _sap_res(1), DIN_MSG, ISO2_LOOKING])
    assert [r.name for r in recs] == ["supportedAppProtocolReq", "supportedAppProtocolRes", "ServiceDiscoveryReq",
                                      "SessionSetupReq"]
    assert [r.extra["schema"] for r in recs] == ["apphand", "apphand", "din", "iso2"]
    assert "finding" not in recs[2].extra
    assert recs[3].extra["finding"] == "header says iso2 but SupportedAppProtocol negotiated din"
    assert recs[0].fields["offers"][0]["namespace"] == "urn:din:70121:2012:MsgDef"


def test_unsupported_namespace_is_named_not_guessed() -> None:
    recs = _run(V2GDecoder(), [_sap_req(("urn:tesla:din:2018:MsgDef", 7)), _sap_res(7), DIN_MSG])
    last = recs[-1]
    assert last.name == "unsupported message set"
    assert last.error is not None and "urn:tesla:din:2018:MsgDef" in last.error
    assert last.message is None


def test_bad_exi_is_an_error_record_and_state_survives() -> None:
    dec = V2GDecoder()
    recs = _run(dec, [_sap_req(("urn:din:70121:2012:MsgDef", 1)), _sap_res(1), DIN_MSG[:5], DIN_MSG])
    assert recs[2].error is not None and recs[2].error.startswith("EXI decode error (din): bit ")
    assert recs[3].error is None and recs[3].name == "ServiceDiscoveryReq"
