"""A complete ISO 15118-2 test PKI, made at run time from a seed with ``cryptography``.

V2G root → CPO sub-CA 1 → CPO sub-CA 2 → SECC leaf (the TLS server chain); V2G root → CPS leaf
(signs CertificateInstallationRes); MO root → MO sub-CA 1 → MO sub-CA 2 → contract leaf (its
commonName is the eMAID); OEM root → OEM provisioning leaf. All keys are P-256, all signatures
ECDSA-SHA256 and deterministic (RFC 6979), the profile of ISO 15118-2 Annex F: the same seed gives
the same certificates.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

START = datetime.datetime(2023, 1, 1, tzinfo=datetime.timezone.utc)
"""Validity start of every certificate (the simulated captures are from 2024)."""
EMAID = "DEV2GS1234567X"


@dataclass(frozen=True)
class Identity:
    """A private key and its certificate (DER)."""

    key: ec.EllipticCurvePrivateKey
    der: bytes

    @property
    def cert(self) -> x509.Certificate:
        return x509.load_der_x509_certificate(self.der)


@dataclass(frozen=True)
class SimPki:
    v2g_root: Identity
    cpo_sub1: Identity
    cpo_sub2: Identity
    secc: Identity
    cps: Identity
    mo_root: Identity
    mo_sub1: Identity
    mo_sub2: Identity
    contract: Identity
    oem_root: Identity
    oem_prov: Identity

    @property
    def roots(self) -> tuple[Identity, ...]:
        return self.v2g_root, self.mo_root, self.oem_root

    def roots_pem(self) -> bytes:
        return b"".join(x509.load_der_x509_certificate(r.der).public_bytes(serialization.Encoding.PEM)
                        for r in self.roots)

    @property
    def secc_chain(self) -> list[bytes]:
        """Leaf first, as TLS sends it."""
        return [self.secc.der, self.cpo_sub2.der, self.cpo_sub1.der]

    @property
    def contract_chain(self) -> list[bytes]:
        return [self.contract.der, self.mo_sub2.der, self.mo_sub1.der]

    @classmethod
    def generate(cls, seed: int, emaid: str = EMAID, contract_days: tuple[int, int] = (0, 730)) -> SimPki:
        """The PKI of ``seed``; ``contract_days`` (from ``START``) sets the contract leaf's validity."""
        rng = random.Random(f"v2gsniff test PKI {seed}")

        def key() -> ec.EllipticCurvePrivateKey:
            return ec.derive_private_key(rng.randrange(1, 2**255), ec.SECP256R1())

        def make(cn: str, dc: str, issuer: Identity | None, ca: bool, path_length: int | None = None,
                 days: tuple[int, int] = (0, 3650)) -> Identity:
            k = key()
            name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn),
                              x509.NameAttribute(NameOID.ORGANIZATION_NAME, "v2gsniff test PKI"),
                              x509.NameAttribute(NameOID.COUNTRY_NAME, "DE"),
                              x509.NameAttribute(NameOID.DOMAIN_COMPONENT, dc)])
            usage = dict(digital_signature=not ca, content_commitment=False, key_encipherment=False,
                         data_encipherment=False, key_agreement=not ca, key_cert_sign=ca, crl_sign=ca,
                         encipher_only=False, decipher_only=False)
            builder = (x509.CertificateBuilder().subject_name(name)
                       .issuer_name(issuer.cert.subject if issuer else name).public_key(k.public_key())
                       .serial_number(rng.randrange(1, 2**63))
                       .not_valid_before(START + datetime.timedelta(days=days[0]))
                       .not_valid_after(START + datetime.timedelta(days=days[1]))
                       .add_extension(x509.BasicConstraints(ca=ca, path_length=path_length), critical=True)
                       .add_extension(x509.KeyUsage(**usage), critical=True))
            cert = builder.sign(issuer.key if issuer else k, hashes.SHA256(), ecdsa_deterministic=True)
            return Identity(k, cert.public_bytes(serialization.Encoding.DER))

        v2g = make("V2G Root CA", "V2G", None, True, 2)
        cpo1 = make("CPO Sub-CA 1", "CPO", v2g, True, 1)
        cpo2 = make("CPO Sub-CA 2", "CPO", cpo1, True, 0)
        secc = make("SECC-DEV2G-1", "CPO", cpo2, False, days=(0, 730))
        cps = make("CPS Leaf", "CPS", v2g, False, days=(0, 730))
        mo = make("MO Root CA", "MO", None, True, 2)
        mo1 = make("MO Sub-CA 1", "MO", mo, True, 1)
        mo2 = make("MO Sub-CA 2", "MO", mo1, True, 0)
        contract = make(emaid, "MO", mo2, False, days=contract_days)
        oem = make("OEM Root CA", "OEM", None, True, 2)
        prov = make("OEM Prov EV-1", "OEM", oem, False, days=(0, 730))
        return cls(v2g, cpo1, cpo2, secc, cps, mo, mo1, mo2, contract, oem, prov)
