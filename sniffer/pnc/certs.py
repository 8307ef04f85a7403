"""Certificates as ISO 15118 uses them: parsed with ``cryptography``, named by the role they play.

Certificates travel in V2G messages (ISO 15118-2 ``ContractSignatureCertChain``,
``SAProvisioningCertificateChain``, ``OEMProvisioningCert``; ISO 15118-20 ``ContractCertificateChain``,
``CPSCertificateChain``, ``OEMProvisioningCertificateChain``) and in TLS handshakes (the SECC's chain,
in -20 also the vehicle's). A chain is always leaf first, its sub-CAs following towards the root
(the root itself is never sent: the receiver has it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any, NamedTuple

from v2gsniff.dissectors.exi import Element

if TYPE_CHECKING:  # cryptography loads with the first certificate, not with every decode (start-up)
    from cryptography import x509


class ChainKind(NamedTuple):
    """One kind of chain: who owns it and how its members are named."""

    name: str
    """``contract``, ``secc``, ``provisioning``, ``oem``, ``vehicle``."""
    leaf: str
    ca: str
    """Prefix of the CA names (``MO`` gives ``MO sub-CA 1`` and ``MO root``)."""
    root: str
    domain: str
    """The leaf's subject domainComponent the certificate profile asks for (``MO``, ``CPO`` ...)."""


KINDS: dict[str, ChainKind] = {k.name: k for k in (
    ChainKind("contract", "contract leaf", "MO", "MO root", "MO"),
    ChainKind("secc", "SECC leaf", "CPO", "V2G root", "CPO"),
    ChainKind("provisioning", "SA provisioning leaf", "CPS", "V2G root", "CPS"),
    ChainKind("oem", "OEM provisioning leaf", "OEM", "OEM root", "OEM"),
    ChainKind("vehicle", "vehicle leaf", "OEM", "OEM root", "OEM"),
)}

CHAIN_ELEMENTS: dict[str, str] = {
    # ISO 15118-2
    "ContractSignatureCertChain": "contract",
    "SAProvisioningCertificateChain": "provisioning",
    "OEMProvisioningCert": "oem",
    # ISO 15118-20
    "ContractCertificateChain": "contract",
    "CPSCertificateChain": "provisioning",
    "OEMProvisioningCertificateChain": "oem",
}
"""Element local name -> chain kind, for every element of the message sets that carries certificates."""


@dataclass(frozen=True, slots=True)
class CertView:
    """One certificate: its DER, the fields a lab engineer reads, and its role in its chain."""

    der: bytes = field(repr=False)
    role: str
    subject: str = ""
    issuer: str = ""
    serial: str = ""
    not_before: float = 0.0
    not_after: float = 0.0
    key: str = ""
    signature_algorithm: str = ""
    key_usage: tuple[str, ...] = ()
    ca: bool | None = None
    """BasicConstraints cA; ``None`` without the extension."""
    path_length: int | None = None
    version: int = 0
    common_name: str = ""
    domain: str = ""
    """The subject's domainComponent (``MO``, ``CPO``, ``V2G`` ...)."""
    error: str | None = None
    """Why the bytes are not a certificate (the other fields are then empty)."""

    @property
    def cert(self) -> x509.Certificate | None:
        """The parsed certificate (not a field: values stay plain data that crosses processes)."""
        return None if self.error is not None else _load(self.der)

    @property
    def self_signed(self) -> bool:
        return self.error is None and self.subject == self.issuer

    def to_json(self) -> dict[str, Any]:
        if self.error is not None:
            return {"role": self.role, "error": self.error, "length": len(self.der)}
        from datetime import datetime, timezone

        def iso(t: float) -> str:
            return datetime.fromtimestamp(t, timezone.utc).isoformat()

        return {"role": self.role, "subject": self.subject, "issuer": self.issuer, "serial": self.serial,
                "not_before": iso(self.not_before), "not_after": iso(self.not_after), "key": self.key,
                "signature_algorithm": self.signature_algorithm, "key_usage": list(self.key_usage),
                "ca": self.ca, "path_length": self.path_length}


_USAGES = ("digital_signature", "content_commitment", "key_encipherment", "data_encipherment", "key_agreement",
           "key_cert_sign", "crl_sign")


@lru_cache(maxsize=512)
def _load(der: bytes) -> x509.Certificate:
    # the same chains come again and again (every PaymentDetailsReq, every TLS handshake)
    from cryptography import x509

    return x509.load_der_x509_certificate(der)


def parse(der: bytes, role: str = "") -> CertView:
    """A certificate from DER; anything that is not one gives a ``CertView`` with ``error`` set."""
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    from v2gsniff.sniffer.streams.tls.handshake import key_text

    try:
        cert = _load(der)
        # properties parse lazily: touch everything that can fail inside this try
        subject, issuer = cert.subject.rfc4514_string(), cert.issuer.rfc4514_string()
        key = key_text(cert.public_key())
        oid = cert.signature_algorithm_oid
        usage: tuple[str, ...] = ()
        ca: bool | None = None
        path_length: int | None = None
        for ext in cert.extensions:
            if isinstance(ext.value, x509.KeyUsage):
                ku = ext.value
                usage = tuple(u for u in _USAGES if getattr(ku, u))
                if ku.key_agreement:
                    usage += tuple(u for u in ("encipher_only", "decipher_only") if getattr(ku, u))
            elif isinstance(ext.value, x509.BasicConstraints):
                ca, path_length = ext.value.ca, ext.value.path_length
        return CertView(
            der, role, subject, issuer, f"{cert.serial_number:X}", cert.not_valid_before_utc.timestamp(),
            cert.not_valid_after_utc.timestamp(), key, getattr(oid, "_name", None) or oid.dotted_string, usage,
            ca, path_length, cert.version.value + 1, _attr(cert.subject, NameOID.COMMON_NAME),
            _attr(cert.subject, NameOID.DOMAIN_COMPONENT), None)
    except Exception as exc:  # any DER or extension problem is reported, never raised
        return CertView(der, role, error=f"not a DER X.509 certificate ({len(der)} bytes): {exc}")


def _attr(name: x509.Name, oid: x509.ObjectIdentifier) -> str:
    values = name.get_attributes_for_oid(oid)
    return str(values[0].value) if values else ""


def roles(kind: str, count: int) -> list[str]:
    """Role names of a leaf-first chain of ``count`` certificates of ``kind``.

    Sub-CAs are numbered from the root down (sub-CA 1 is issued by the root), as the standard does."""
    k = KINDS[kind]
    subs = count - 1
    return [k.leaf] + [f"{k.ca} sub-CA {subs - i + 1}" for i in range(1, count)]


def chain(kind: str, ders: list[bytes]) -> tuple[CertView, ...]:
    """Parse a leaf-first chain, naming each certificate's role (a self-signed one is the root)."""
    out = []
    for der, role in zip(ders, roles(kind, len(ders)), strict=True):
        view = parse(der, role)
        if view.self_signed and role != KINDS[kind].leaf:
            view = _renamed(view, KINDS[kind].root)
        out.append(view)
    return tuple(out)


def _renamed(view: CertView, role: str) -> CertView:
    from dataclasses import replace

    return replace(view, role=role)


def chain_ders(element: Element) -> list[bytes]:
    """The DER certificates of one chain element, leaf first (``OEMProvisioningCert`` is a bare one)."""
    if isinstance(element.value, bytes) and not element.children:
        return [element.value]
    out: list[bytes] = []
    leaf = element.get("Certificate")
    if leaf is not None and isinstance(leaf.value, bytes):
        out.append(leaf.value)
    subs = element.get("SubCertificates")
    if subs is not None:
        out += [c.value for c in subs.findall("Certificate") if isinstance(c.value, bytes)]
    return out


def find_chains(root: Element, path: str = "") -> list[tuple[str, str, list[bytes]]]:
    """(kind, element path, leaf-first DERs) of every certificate chain under ``root``."""
    out: list[tuple[str, str, list[bytes]]] = []
    here = f"{path}/{root.name}" if path else root.name
    kind = CHAIN_ELEMENTS.get(root.name)
    if kind is not None:
        out.append((kind, here, chain_ders(root)))
        return out
    for child in root.children:
        out += find_chains(child, here)
    return out
