"""ISO 15118-20 signatures: a PnC AuthorizationReq signed with ECDSA P-521/SHA-512 and with Ed448,
encoded and decoded by our codec, checked through the same ``PncChecker`` as ISO-2."""

from __future__ import annotations

import datetime
import hashlib

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, utils
from cryptography.x509.oid import NameOID

from v2gsniff.dissectors import exi
from v2gsniff.sniffer.model import Record
from v2gsniff.sniffer.pnc import PncChecker, SignatureCheck
from v2gsniff.sniffer.pnc.signatures import ECDSA_SHA512, EDDSA_ED448, find_id, fragment
from v2gsniff.sniffer.simulate.exibuild import message

T0 = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
SHA512 = "http://www.w3.org/2001/04/xmlenc#sha512"
SHAKE256 = "http://www.w3.org/2021/04/xmldsig-more#shake256"


def certificate(key: ec.EllipticCurvePrivateKey | ed448.Ed448PrivateKey) -> bytes:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "DEV2G0000001X"),
                      x509.NameAttribute(NameOID.DOMAIN_COMPONENT, "MO")])
    issuer = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "MO Sub-CA 2")])
    builder = (x509.CertificateBuilder().subject_name(name).issuer_name(issuer).public_key(key.public_key())
               .serial_number(7).not_valid_before(T0).not_valid_after(T0 + datetime.timedelta(days=700)))
    algorithm = None if isinstance(key, ed448.Ed448PrivateKey) else hashes.SHA512()
    return builder.sign(key, algorithm).public_bytes(serialization.Encoding.DER)


def authorization(key: ec.EllipticCurvePrivateKey | ed448.Ed448PrivateKey, tamper: bool = False) -> Record:
    ed = isinstance(key, ed448.Ed448PrivateKey)
    body = {"SelectedAuthorizationService": "PnC", "PnC_AReqAuthorizationMode": {
        "@Id": "ID1", "GenChallenge": bytes(range(16)),
        "ContractCertificateChain": {"Certificate": certificate(key), "SubCertificates": {"Certificate": b"x"}}}}
    header = {"SessionID": bytes(8), "TimeStamp": 1_700_000_000}
    unsigned = message("iso20-cm", {"AuthorizationReq": {"Header": header, **body}})
    digest = fragment(find_id(unsigned.root, "ID1"), "iso20-cm")
    info = {"CanonicalizationMethod": {"@Algorithm": "http://www.w3.org/TR/canonical-exi/"},
            "SignatureMethod": {"@Algorithm": EDDSA_ED448 if ed else ECDSA_SHA512},
            "Reference": {"@URI": "#ID1", "Transforms": {"Transform": {"@Algorithm": "http://www.w3.org/TR/canonical-exi/"}},
                          "DigestMethod": {"@Algorithm": SHAKE256 if ed else SHA512},
                          "DigestValue": hashlib.shake_256(digest).digest(64) if ed else hashlib.sha512(digest).digest()}}
    signed_bytes = fragment(message("xmldsig", {"SignedInfo": info}).root, "xmldsig")
    if ed:
        value = key.sign(signed_bytes)
    else:
        r, s = utils.decode_dss_signature(key.sign(signed_bytes, ec.ECDSA(hashes.SHA512())))
        value = r.to_bytes(66, "big") + s.to_bytes(66, "big")
    if tamper:
        body["PnC_AReqAuthorizationMode"]["GenChallenge"] = bytes(16)
    tree = {"AuthorizationReq": {"Header": {**header, "Signature": {"SignedInfo": info, "SignatureValue": value}},
                                 **body}}
    data = exi.encode(message("iso20-cm", tree))
    decoded = exi.decode(data, "iso20-cm")  # what the pipeline hands the checker
    return Record(5, T0.timestamp() + 86400, "v2g", decoded.name, extra={"dir": "ev->evse", "stream": 0},
                  message=decoded)


@pytest.mark.parametrize("key", [ec.derive_private_key(12345, ec.SECP521R1()),
                                 ed448.Ed448PrivateKey.from_private_bytes(bytes(range(57)))],
                         ids=["ecdsa-p521-sha512", "ed448"])
def test_iso20_algorithms_verify_and_a_tampered_body_is_caught(key: ec.EllipticCurvePrivateKey) -> None:
    checker = PncChecker()
    record = checker.observe(authorization(key))
    sig = record.extra["signature"]
    assert (sig["signature"], sig["references"][0]["digest"]) == ("ok", "ok"), sig
    assert sig["algorithm"] == ("ed448" if isinstance(key, ed448.Ed448PrivateKey) else "ecdsa-sha512")
    assert sig["signer"].startswith("contract leaf")
    bad = PncChecker()
    bad.observe(authorization(key, tamper=True))
    (result,) = [r for r in bad.results if isinstance(r, SignatureCheck)]
    assert result.status == "ok" and result.references[0].status == "failed"
