"""Contract identity: the eMAID in the contract certificate's subject against the one a message carries."""

from __future__ import annotations

from v2gsniff.dissectors.exi import Element

from .certs import CertView

EMAID_ELEMENTS = ("eMAID",)
"""ISO 15118-2 elements that name the contract (PaymentDetailsReq, CertificateInstallationRes/UpdateRes).
ISO 15118-20 only lists preferred EMAIDs in CertificateInstallationReq, which is not an identity claim."""


def normalise(emaid: str) -> str:
    """Compared without separators and case (eMAIDs are written with or without dashes)."""
    return emaid.replace("-", "").replace("*", "").strip().upper()


def certificate_emaid(cert: CertView) -> str | None:
    """The eMAID a contract certificate is for: its subject's commonName."""
    return cert.common_name or None


def carried(root: Element) -> list[Element]:
    """Every eMAID element of a message, in document order."""
    out: list[Element] = []
    stack = [root]
    while stack:
        el = stack.pop()
        if el.name in EMAID_ELEMENTS and el.value is not None:
            out.append(el)
        stack.extend(reversed(el.children))
    return out


def matches(message_emaid: str, cert: CertView) -> bool:
    ident = certificate_emaid(cert)
    return ident is not None and normalise(message_emaid) == normalise(ident)
