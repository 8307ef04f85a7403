"""What the PnC checks report: small frozen values, JSON-ready through ``to_json``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from v2gsniff.sniffer.findings.model import Finding

from .certs import CertView  # at run time: the cache's codec resolves these annotations


@dataclass(frozen=True, slots=True)
class Step:
    """One check of a chain or a signature."""

    name: str
    """``parse``, ``length``, ``order``, ``signature``, ``validity``, ``ca``, ``profile``, ``trust``."""
    ok: bool | None
    """``None``: not decidable here (no trusted root given)."""
    text: str

    def to_json(self) -> dict[str, Any]:
        return {"check": self.name, "ok": self.ok, "text": self.text}


ADVISORY = ("profile",)
"""Steps whose failure is a warning: the chain still verifies."""


@dataclass(frozen=True, slots=True)
class Where:
    """The message (or TLS handshake) a result is about."""

    frame: int
    time: float
    message: str
    """V2G message name, or ``TLS Certificate``."""
    side: str
    """The sender: ``ev`` or ``evse``."""
    stream: int | None = None
    path: str | None = None


@dataclass(frozen=True, slots=True)
class ChainCheck:
    kind: str
    """``contract``, ``secc``, ``provisioning``, ``oem``, ``vehicle`` (see ``certs.KINDS``)."""
    where: Where
    certificates: tuple[CertView, ...]
    steps: tuple[Step, ...]
    trusted_root: str | None = None

    @property
    def ok(self) -> bool:
        """No step failed but the advisory ones (a profile deviation is a warning, not a broken chain)."""
        return not any(s.ok is False and s.name not in ADVISORY for s in self.steps)

    @property
    def verdict(self) -> str:
        """``verified to the trusted root ...``, ``verified up to an untrusted root ...`` or ``failed ...``,
        with a profile deviation added when there is one."""
        failed = [s for s in self.steps if s.ok is False and s.name not in ADVISORY]
        if failed:
            return f"failed ({failed[0].name}): {failed[0].text}"
        if self.trusted_root:
            text = f"verified to the trusted root {self.trusted_root}"
        else:
            text = next((s.text for s in self.steps if s.name == "trust"), "not checked")
        return text + "".join(f"; {s.name} deviation: {s.text}" for s in self.steps
                              if s.ok is False and s.name in ADVISORY)

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "frame": self.where.frame, "message": self.where.message,
                "path": self.where.path, "verdict": self.verdict, "trusted_root": self.trusted_root,
                "certificates": [c.to_json() for c in self.certificates],
                "checks": [s.to_json() for s in self.steps]}


@dataclass(frozen=True, slots=True)
class ReferenceCheck:
    """One ``Reference`` of a ``SignedInfo``: the referenced element re-encoded and hashed."""

    uri: str
    element: str | None
    """Local name of the element with that Id; ``None`` when the message has none."""
    status: str
    """``ok``, ``failed``, ``missing`` (no such Id), ``unsupported`` (digest method) or ``error``."""
    expected: str
    """DigestValue of the message, base64."""
    computed: str | None
    text: str

    def to_json(self) -> dict[str, Any]:
        return {"uri": self.uri, "element": self.element, "digest": self.status, "expected": self.expected,
                "computed": self.computed, "text": self.text}


@dataclass(frozen=True, slots=True)
class SignatureCheck:
    """A signed message: each reference's digest, then the SignatureValue over SignedInfo."""

    where: Where
    algorithm: str
    references: tuple[ReferenceCheck, ...]
    status: str
    """``ok``, ``failed``, ``unverified`` (no certificate of the signer seen) or ``unsupported``."""
    text: str
    signer: str | None = None
    """Role and subject of the certificate whose key was used."""
    signer_frame: int | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok" and all(r.status == "ok" for r in self.references)

    def to_json(self) -> dict[str, Any]:
        return {"algorithm": self.algorithm, "references": [r.to_json() for r in self.references],
                "signature": self.status, "text": self.text, "signer": self.signer,
                "signer_frame": self.signer_frame}


@dataclass(frozen=True, slots=True)
class EmaidCheck:
    """The eMAID a message carries against the contract certificate's."""

    where: Where
    carried: str
    certificate: str
    ok: bool

    def to_json(self) -> dict[str, Any]:
        return {"frame": self.where.frame, "message": self.where.message, "carried": self.carried,
                "certificate": self.certificate, "ok": self.ok}


@dataclass(frozen=True, slots=True)
class KeyCheck:
    """``--oem-key``: the contract private key of a CertificateInstallationRes, decrypted and compared."""

    where: Where
    ok: bool
    text: str

    def to_json(self) -> dict[str, Any]:
        return {"frame": self.where.frame, "message": self.where.message, "ok": self.ok, "text": self.text}


@dataclass(frozen=True, slots=True)
class RootCheck:
    """The root of the SECC's provisioning chain against the roots the EV listed."""

    where: Where
    root: str
    listed: tuple[str, ...]
    ok: bool

    def to_json(self) -> dict[str, Any]:
        return {"frame": self.where.frame, "message": self.where.message, "root": self.root,
                "listed": list(self.listed), "ok": self.ok}


Result = ChainCheck | SignatureCheck | EmaidCheck | KeyCheck | RootCheck


@dataclass(frozen=True, slots=True)
class PncSection:
    """Plug & Charge in one session: contract ID, chains and signatures with their verdicts."""

    contract_id: str | None
    chains: tuple[ChainCheck, ...]
    signatures: tuple[SignatureCheck, ...]
    emaids: tuple[EmaidCheck, ...]
    keys: tuple[KeyCheck, ...] = ()
    roots: tuple[RootCheck, ...] = ()
    findings: tuple[Finding, ...] = ()
    """One per failed step, from ``rules.PNC_RULES``, with the side at fault."""

    @property
    def results(self) -> tuple[Result, ...]:
        return (*self.chains, *self.signatures, *self.emaids, *self.keys, *self.roots)

    @property
    def plug_and_charge(self) -> bool:
        """Whether the session carried PnC messages (not only a TLS certificate chain)."""
        return bool(self.signatures or self.emaids or any(c.kind != "secc" for c in self.chains))

    @property
    def verdict(self) -> str:
        """``PnC verified``, ``PnC verified up to untrusted roots``, ``PnC not verified: <why>``; for a
        session with only a TLS chain, that chain's verdict."""
        if not self.plug_and_charge:
            bad = next((c for c in self.chains if not c.ok), None)
            if bad is not None:
                return f"no PnC messages; {bad.kind} chain {bad.verdict} (frame {bad.where.frame})"
            return "no PnC messages; " + "; ".join(f"{c.kind} chain {c.verdict}" for c in self.chains)
        for chk in self.chains:
            if not chk.ok:
                return f"PnC not verified: {chk.kind} chain {chk.verdict} (frame {chk.where.frame})"
        for sig in self.signatures:
            if not sig.ok:
                return f"PnC not verified: {sig.where.message} {sig.text} (frame {sig.where.frame})"
        for em in self.emaids:
            if not em.ok:
                return (f"PnC not verified: eMAID {em.carried} in {em.where.message} is not the contract "
                        f"certificate's {em.certificate} (frame {em.where.frame})")
        for key in self.keys:
            if not key.ok:
                return f"PnC not verified: {key.text} (frame {key.where.frame})"
        for root in self.roots:
            if not root.ok:
                return (f"PnC not verified: the provisioning chain in {root.where.message} leads to {root.root}, "
                        f"a root the EV did not list (frame {root.where.frame})")
        if not self.signatures:
            return "PnC not verified: no signed message seen"
        if all(c.trusted_root for c in self.chains):
            return "PnC verified"
        return "PnC verified up to untrusted roots"

    def to_json(self) -> dict[str, Any]:
        return {"contract_id": self.contract_id, "verdict": self.verdict,
                "chains": [c.to_json() for c in self.chains],
                "signatures": [{"frame": s.where.frame, "message": s.where.message, **s.to_json()}
                               for s in self.signatures],
                "emaids": [e.to_json() for e in self.emaids],
                "contract_keys": [k.to_json() for k in self.keys],
                "roots": [r.to_json() for r in self.roots],
                "findings": [f.to_json() for f in self.findings]}
