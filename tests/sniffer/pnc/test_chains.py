"""Chain checks on certificates made here with ``cryptography``: each defect gives its own step."""

from __future__ import annotations

import datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from v2gsniff.sniffer.pnc import ChainCheck, Where
from v2gsniff.sniffer.pnc.certs import chain, parse, roles
from v2gsniff.sniffer.pnc.chains import MAX_CHECKED, TrustStore, check_chain
from v2gsniff.sniffer.pnc.rules import findings

T0 = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
AT = (T0 + datetime.timedelta(days=100)).timestamp()


def key(n: int) -> ec.EllipticCurvePrivateKey:
    return ec.derive_private_key(1000 + n, ec.SECP256R1())


def cert(cn: str, k: ec.EllipticCurvePrivateKey, issuer: tuple[str, ec.EllipticCurvePrivateKey] | None, ca: bool,
         path_length: int | None = None, days: int = 365, dc: str = "MO") -> bytes:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn), x509.NameAttribute(NameOID.DOMAIN_COMPONENT, dc)])
    iname = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer[0]),
                       x509.NameAttribute(NameOID.DOMAIN_COMPONENT, "MO")]) if issuer else name  # all CAs are MO
    usage = x509.KeyUsage(not ca, False, False, False, not ca, ca, ca, False, False)
    c = (x509.CertificateBuilder().subject_name(name).issuer_name(iname).public_key(k.public_key())
         .serial_number(x509.random_serial_number()).not_valid_before(T0)
         .not_valid_after(T0 + datetime.timedelta(days=days))
         .add_extension(x509.BasicConstraints(ca=ca, path_length=path_length), critical=True)
         .add_extension(usage, critical=True)
         .sign(issuer[1] if issuer else k, hashes.SHA256()))
    return c.public_bytes(serialization.Encoding.DER)


ROOT = cert("Root", key(0), None, True, 2)
SUB1 = cert("Sub1", key(1), ("Root", key(0)), True, 1)
SUB2 = cert("Sub2", key(2), ("Sub1", key(1)), True, 0)
LEAF = cert("DEABC1234567X", key(3), ("Sub2", key(2)), False)


def steps(ders: list[bytes], trust: TrustStore | None = None) -> dict[str, bool | None]:
    s, _ = check_chain("contract", chain("contract", ders), AT, trust, "iso2")
    return {x.name: x.ok for x in s}


def test_a_sound_chain_passes_every_step_and_names_roles() -> None:
    assert steps([LEAF, SUB2, SUB1]) == {"order": True, "signature": True, "validity": True, "ca": True,
                                         "profile": True, "trust": None}
    assert roles("contract", 3) == ["contract leaf", "MO sub-CA 2", "MO sub-CA 1"]
    assert [c.role for c in chain("contract", [LEAF, SUB2, SUB1, ROOT])][-1] == "MO root"


def test_each_defect_fails_its_own_step() -> None:
    assert steps([LEAF, SUB1, SUB2])["order"] is False
    assert steps([LEAF, SUB1, SUB2])["signature"] is True  # issuers are found by name
    assert steps([LEAF, SUB1, SUB2])["ca"] is True  # the real path is judged, not the positions
    forged = cert("DEABC1234567X", key(3), ("Sub2", key(9)), False)  # right name, wrong key
    assert steps([forged, SUB2, SUB1])["signature"] is False
    short = cert("DEABC1234567X", key(3), ("Sub2", key(2)), False, days=10)
    assert steps([short, SUB2, SUB1])["validity"] is False
    not_ca = cert("Sub2", key(2), ("Sub1", key(1)), False)
    leaf = cert("DEABC1234567X", key(3), ("Sub2", key(2)), False)
    assert steps([leaf, not_ca, SUB1])["ca"] is False
    tight = cert("Sub1", key(1), ("Root", key(0)), True, 0)  # path length 0 but Sub2 follows it
    assert steps([LEAF, SUB2, tight])["ca"] is False
    wrong_domain = cert("DEABC1234567X", key(3), ("Sub2", key(2)), False, dc="CPO")
    assert steps([wrong_domain, SUB2, SUB1])["profile"] is False
    # a profile deviation is a warning: the chain still verifies, and the verdict says both
    certs = chain("contract", [wrong_domain, SUB2, SUB1])
    s, _ = check_chain("contract", certs, AT, None, "iso2")
    result = ChainCheck("contract", Where(3, AT, "PaymentDetailsReq", "ev"), certs, s)
    assert result.ok and "profile deviation: contract leaf has domainComponent CPO" in result.verdict
    assert [(f.rule, f.severity) for f in findings([result])] == [("pnc.certificate-profile", "warning")]


def test_trust_store_from_pem_and_der_files_and_a_directory(tmp_path: Path) -> None:
    pem = x509.load_der_x509_certificate(ROOT).public_bytes(serialization.Encoding.PEM)
    (tmp_path / "root.pem").write_bytes(pem)
    (tmp_path / "root.der").write_bytes(ROOT)
    (tmp_path / "notes.txt").write_text("not a certificate")
    store = TrustStore.load([str(tmp_path)])
    assert len(store.roots) == 2 and store.problems == (f"{tmp_path / 'notes.txt'}: no PEM or DER certificate in it",)
    s, trusted = check_chain("contract", chain("contract", [LEAF, SUB2, SUB1]), AT, store, "iso2")
    assert trusted == "DC=MO,CN=Root" and s[-1].ok is True
    other = TrustStore((parse(cert("Other", key(7), None, True), "trusted root"),))
    assert steps([LEAF, SUB2, SUB1], other)["trust"] is False


def test_fifty_certificates_give_a_clear_finding_and_are_not_all_walked() -> None:
    ders, prev = [], ("Root", key(0))
    for i in range(49):
        ders.append(cert(f"CA{i}", key(10 + i), prev, True))
        prev = (f"CA{i}", key(10 + i))
    ders = [cert("DEABC1234567X", key(3), prev, False), *reversed(ders)]
    assert len(ders) == 50
    s, _ = check_chain("contract", chain("contract", ders), AT, None, "iso2")
    length = [x for x in s if x.name == "length"]
    assert length[0].ok is False and "50 certificates" in length[0].text and f"first {MAX_CHECKED}" in length[0].text
    result = ChainCheck("contract", Where(7, AT, "PaymentDetailsReq", "ev", 0, "PaymentDetailsReq/Chain"),
                        chain("contract", ders), s)
    found = list(findings([result]))
    assert "pnc.chain-length" in {f.rule for f in found} and all(f.side == "ev" and f.frame == 7 for f in found)


def test_bytes_that_are_not_der_are_a_finding_not_an_exception() -> None:
    view = parse(b"\x30\x03\x02\x01", "contract leaf")
    assert view.error is not None and view.error.startswith("not a DER X.509 certificate (4 bytes)")
    s, _ = check_chain("contract", (view,), AT)
    assert [(x.name, x.ok) for x in s] == [("parse", False)]
