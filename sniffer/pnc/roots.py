"""The roots the EV trusts (``ListOfRootCertificateIDs`` of CertificateInstallationReq/UpdateReq)
against the root the SECC's provisioning chain leads to: a CPS chain under a root the EV does not
list cannot be verified by the EV, however sound it is."""

from __future__ import annotations

from v2gsniff.dissectors.exi import Element

from .certs import CertView


def root_ids(root: Element) -> list[tuple[str, int | None]]:
    """(X509IssuerName, X509SerialNumber) of each RootCertificateID under ``root``."""
    out: list[tuple[str, int | None]] = []
    stack = [root]
    while stack:
        el = stack.pop()
        if el.name == "RootCertificateID":
            name, serial = el.get("X509IssuerName"), el.get("X509SerialNumber")
            if name is not None:
                out.append((str(name.value), serial.value if serial is not None else None))
        else:
            stack.extend(reversed(el.children))
    return out


def normalise(name: str) -> frozenset[str]:
    """A distinguished name as a set of ``TYPE=value`` (order, spacing and case of types ignored)."""
    parts = (p.strip() for p in name.replace(";", ",").split(","))
    return frozenset(f"{t.strip().upper()}={v.strip()}" for t, _, v in (p.partition("=") for p in parts) if v)


def root_name(chain: tuple[CertView, ...]) -> str | None:
    """The subject of the root a leaf-first chain leads to (the top's issuer; itself if self-signed)."""
    top = next((c for c in reversed(chain) if c.error is None), None)
    if top is None:
        return None
    return top.subject if top.self_signed else top.issuer


def listed(name: str, ids: list[tuple[str, int | None]]) -> bool:
    wanted = normalise(name)
    return any(normalise(issuer) == wanted for issuer, _ in ids)
