"""Chain checks: order, issuer signatures, validity at capture time, CA flags, profile, trust.

Each check is one ``Step`` so a failure says where the chain broke. Signatures are checked
against the issuer found by name, not by position: a chain sent in the wrong order is reported
as an order problem, and only as that. Roots come from a ``TrustStore`` (``--trust``); without
one a chain that is otherwise sound is "verified up to an untrusted root", never trusted.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from .certs import KINDS, CertView, parse
from .model import Step

MAX_SUB_CAS = 2
"""ISO 15118-2/-20 certificate profiles: at most two sub-CAs between a leaf and its root."""
MAX_CHECKED = 8
"""Certificates of one chain looked at in detail; a longer chain is reported and cut here."""

_PROFILE_KEYS = {"iso2": ("EC secp256r1",), "iso20": ("EC secp521r1", "Ed448")}
_PROFILE_SIGNATURES = {"iso2": ("ecdsa-with-SHA256",), "iso20": ("ecdsa-with-SHA512", "ed448")}


class TrustStore:
    """Root certificates the user trusts (``--trust FILE|DIR``, PEM or DER). Immutable once loaded."""

    def __init__(self, roots: tuple[CertView, ...] = (), problems: tuple[str, ...] = ()) -> None:
        self.roots = roots
        self.problems = problems
        """Files that held no usable certificate (said once, not fatal)."""

    @classmethod
    def load(cls, paths: tuple[str, ...] | list[str]) -> TrustStore:
        roots: list[CertView] = []
        problems: list[str] = []
        for raw in paths:
            p = Path(raw)
            files = sorted(f for f in p.rglob("*") if f.is_file()) if p.is_dir() else [p]
            for f in files:
                try:
                    data = f.read_bytes()
                except OSError as err:
                    problems.append(f"{f}: {err.strerror}")
                    continue
                found = _certificates(data)
                if not found:
                    problems.append(f"{f}: no PEM or DER certificate in it")
                roots += [parse(der, "trusted root") for der in found]
        return cls(tuple(r for r in roots if r.error is None), tuple(problems))

    def __bool__(self) -> bool:
        return bool(self.roots)

    def issuer_of(self, cert: CertView) -> CertView | None:
        """The trusted root that issued ``cert`` (or is ``cert``), if any."""
        for root in self.roots:
            if root.der == cert.der:
                return root
        for root in self.roots:
            if root.subject == cert.issuer and _signed_by(cert, root) is None:
                return root
        return None


def _certificates(data: bytes) -> list[bytes]:
    if b"-----BEGIN CERTIFICATE-----" in data:
        try:
            return [c.public_bytes(serialization.Encoding.DER) for c in x509.load_pem_x509_certificates(data)]
        except ValueError:
            return []
    return [data] if parse(data).error is None else []


def _signed_by(cert: CertView, issuer: CertView) -> str | None:
    """``None`` when ``issuer``'s key verifies ``cert``'s signature, else why not."""
    if cert.cert is None or issuer.cert is None:
        return "unparseable"
    try:
        cert.cert.verify_directly_issued_by(issuer.cert)
    except Exception as exc:  # InvalidSignature, ValueError (names), TypeError (key types)
        return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return None


def when(t: float) -> str:
    return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def check_chain(kind: str, certs: tuple[CertView, ...], at: float, trust: TrustStore | None = None,
                protocol: str | None = None) -> tuple[tuple[Step, ...], str | None]:
    """The steps of one leaf-first chain checked at capture time ``at``, and the trusted root's subject."""
    steps: list[Step] = []
    bad = [f"certificate {i + 1} ({c.role}): {c.error}" for i, c in enumerate(certs) if c.error]
    if bad:
        steps.append(Step("parse", False, "; ".join(bad)))
    elif not certs:
        steps.append(Step("parse", False, "the chain element holds no certificate"))
    if len(certs) > MAX_SUB_CAS + 1:
        steps.append(Step("length", False, f"{len(certs)} certificates: a leaf and at most {MAX_SUB_CAS} sub-CAs "
                          f"are allowed; only the first {MAX_CHECKED} were checked" if len(certs) > MAX_CHECKED
                          else f"{len(certs)} certificates: a leaf and at most {MAX_SUB_CAS} sub-CAs are allowed"))
    good = [c for c in certs[:MAX_CHECKED] if c.error is None]
    if not good:
        return tuple(steps), None
    if bad:
        # with a member missing, order, CA path, profile and trust cannot be judged; the rest can
        steps += [_signatures(good), _validity(good, at)]
        return tuple(steps), None
    steps.append(_order(good))
    steps.append(_signatures(good))
    steps.append(_validity(good, at))
    steps.append(_ca_flags(good))
    steps.append(_profile(kind, good, protocol))
    trusted, step = _trust(good, trust)
    steps.append(step)
    return tuple(steps), trusted


def _order(certs: list[CertView]) -> Step:
    for i in range(len(certs) - 1):
        if certs[i].issuer != certs[i + 1].subject:
            return Step("order", False, f"certificate {i + 2} ({certs[i + 1].common_name or certs[i + 1].subject}) "
                        f"is not the issuer of certificate {i + 1}, which names {certs[i].issuer}")
    return Step("order", True, "each certificate is issued by the next")


def _signatures(certs: list[CertView]) -> Step:
    checked = 0
    for i, cert in enumerate(certs):
        if cert.self_signed:
            issuer: CertView | None = cert
        else:
            issuer = next((c for c in certs[i + 1:] + certs[:i] if c.subject == cert.issuer), None)
        if issuer is None:
            continue
        why = _signed_by(cert, issuer)
        if why is not None:
            return Step("signature", False, f"the signature of {cert.role} ({cert.common_name}) does not verify "
                        f"with the key of {issuer.role} ({issuer.common_name}): {why}")
        checked += 1
    return Step("signature", True, f"{checked} issuer signature(s) verify")


def _validity(certs: list[CertView], at: float) -> Step:
    for cert in certs:
        if at > cert.not_after:
            return Step("validity", False, f"{cert.role} ({cert.common_name}) expired on {when(cert.not_after)}, "
                        f"before the capture ({when(at)})")
        if at < cert.not_before:
            return Step("validity", False, f"{cert.role} ({cert.common_name}) is not valid before "
                        f"{when(cert.not_before)}; the capture is from {when(at)}")
    return Step("validity", True, f"all valid at {when(at)}")


def _ca_flags(certs: list[CertView]) -> Step:
    leaf = certs[0]
    if leaf.ca:
        return Step("ca", False, f"{leaf.role} ({leaf.common_name}) is marked as a CA")
    # walked by issuer name from the leaf, so a chain sent out of order is judged by its real path
    path, current = [leaf], leaf
    while len(path) < len(certs):
        nxt = next((c for c in certs if c.subject == current.issuer and c not in path), None)
        if nxt is None:
            break
        path.append(nxt)
        current = nxt
    for below, cert in enumerate(path[1:]):  # ``below``: CAs between this one and the leaf
        if not cert.ca:
            return Step("ca", False, f"{cert.role} ({cert.common_name}) issues certificates but is not a CA "
                        "(BasicConstraints cA missing or false)")
        if cert.path_length is not None and below > cert.path_length:
            return Step("ca", False, f"{cert.role} ({cert.common_name}) allows a path length of "
                        f"{cert.path_length} but {below} CA(s) follow it")
    return Step("ca", True, "CA flags and path lengths fit")


def _profile(kind: str, certs: list[CertView], protocol: str | None) -> Step:
    family = "iso20" if protocol and protocol.startswith("iso20") else protocol
    problems: list[str] = []
    keys = _PROFILE_KEYS.get(family or "", _PROFILE_KEYS["iso2"] + _PROFILE_KEYS["iso20"])
    sigs = _PROFILE_SIGNATURES.get(family or "", _PROFILE_SIGNATURES["iso2"] + _PROFILE_SIGNATURES["iso20"])
    for cert in certs:
        name = f"{cert.role} ({cert.common_name})"
        if cert.version != 3:
            problems.append(f"{name} is X.509 v{cert.version}, not v3")
        if cert.key not in keys:
            problems.append(f"{name} has a {cert.key} key; the profile asks for {' or '.join(keys)}")
        if cert.signature_algorithm not in sigs:
            problems.append(f"{name} is signed with {cert.signature_algorithm}")
        wanted = "key_cert_sign" if cert is not certs[0] else "digital_signature"
        if wanted not in cert.key_usage:
            problems.append(f"{name} lacks key usage {wanted}")
    leaf = certs[0]
    domain = KINDS[kind].domain
    if leaf.domain and leaf.domain.upper() != domain:
        problems.append(f"{leaf.role} has domainComponent {leaf.domain}, the profile asks for {domain}")
    if problems:
        return Step("profile", False, "; ".join(problems))
    return Step("profile", True, "keys, signature algorithms and key usages fit the profile")


def _trust(certs: list[CertView], trust: TrustStore | None) -> tuple[str | None, Step]:
    top = certs[-1]
    if trust:
        root = trust.issuer_of(top)
        if root is not None:
            return root.subject, Step("trust", True, f"ends at the trusted root {root.subject}")
        return None, Step("trust", False, f"no trusted root issued {top.role} ({top.issuer})")
    if top.self_signed or len(certs) == MAX_SUB_CAS + 1:
        return None, Step("trust", None, f"verified up to an untrusted root {top.subject if top.self_signed else top.issuer}")
    # a shorter chain may stop below a sub-CA that was not sent: do not call its issuer a root
    return None, Step("trust", None, f"verified up to an untrusted issuer {top.issuer} (not sent, no --trust root)")
