"""The Plug & Charge rules, declared once, and the findings PnC results give.

The integrator registers ``PNC_RULES`` in the findings family's ``RuleSet``; ``findings`` turns
the results of a ``PncChecker`` (a whole capture's, or one session's ``PncSection``) into
``Finding``\\ s. The side at fault is the sender of the message (or TLS Certificate) concerned.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from v2gsniff.sniffer.findings.model import Finding, Rule
from v2gsniff.sniffer.model import Record

if TYPE_CHECKING:  # chains load cryptography, the model its dataclasses; the registry loads with every decode
    from .chains import TrustStore
    from .model import Result

CERTIFICATE_UNPARSEABLE = Rule("pnc.certificate-unparseable", "error", "unknown", "ISO 15118-2 Annex F",
                               "every certificate of a chain is a DER X.509 certificate")
CHAIN_LENGTH = Rule("pnc.chain-length", "error", "unknown", "[V2G2-656]",
                    "a chain holds a leaf and at most two sub-CAs")
CHAIN_ORDER = Rule("pnc.chain-order", "error", "unknown", "ISO 15118-2 §8.5.2.5 (CertificateChainType)",
                   "a chain is leaf first, each certificate issued by the next")
CHAIN_SIGNATURE = Rule("pnc.chain-signature", "error", "unknown", "RFC 5280 §6.1.3",
                       "each certificate's signature verifies with its issuer's key")
CERTIFICATE_VALIDITY = Rule("pnc.certificate-validity", "error", "unknown", "RFC 5280 §4.1.2.5",
                            "every certificate of a chain is valid at the time of the capture")
CA_CONSTRAINTS = Rule("pnc.ca-constraints", "error", "unknown", "RFC 5280 §4.2.1.9",
                      "issuers are CAs, leaves are not, path lengths are respected")
PROFILE = Rule("pnc.certificate-profile", "warning", "unknown", "ISO 15118-2 Annex F; ISO 15118-20 certificate profiles",
               "keys, signature algorithms, key usages and domainComponent fit the certificate profile")
UNTRUSTED = Rule("pnc.untrusted-root", "error", "unknown", "--trust",
                 "a chain ends at one of the roots given with --trust")
DIGEST = Rule("pnc.digest-mismatch", "error", "unknown", "ISO 15118-2 §7.9.2.4.2, [V2G2-771]",
              "the digest of each signed element, re-encoded as an EXI fragment, equals its DigestValue")
REFERENCE = Rule("pnc.reference-missing", "error", "unknown", "ISO 15118-2 §7.9.2.4.2, [V2G2-771]",
                 "each Reference names an element (Id) of the message")
SIGNATURE = Rule("pnc.signature-invalid", "error", "unknown", "ISO 15118-2 §7.9.2.4.2",
                 "SignatureValue verifies over the EXI-encoded SignedInfo with the signer's certificate key")
SIGNER_UNKNOWN = Rule("pnc.signer-unknown", "warning", "unknown", "ISO 15118-2 §7.9.2.4.2",
                      "the certificate that must have signed a message is in the capture")
ALGORITHM = Rule("pnc.unsupported-algorithm", "warning", "unknown", "ISO 15118-2 §7.9.2.4.2; ISO 15118-20 (ECDSA P-521, Ed448)",
                 "digest and signature methods are those ISO 15118 names")
EMAID = Rule("pnc.emaid-mismatch", "error", "unknown", "ISO 15118-2 Annex F (contract certificate: commonName = eMAID)",
             "the eMAID a message carries is the contract certificate's")
CONTRACT_KEY = Rule("pnc.contract-key", "error", "unknown", "[V2G2-818]",
                    "the contract private key of a CertificateInstallationRes decrypts (--oem-key) to the "
                    "contract certificate's key")
ROOT_NOT_LISTED = Rule("pnc.root-not-listed", "error", "evse", "ISO 15118-2 CertificateInstallationReq: ListOfRootCertificateIDs",
                       "the SECC answers a certificate installation with a chain under a root the EV listed")

PNC_RULES: tuple[Rule, ...] = (
    CERTIFICATE_UNPARSEABLE, CHAIN_LENGTH, CHAIN_ORDER, CHAIN_SIGNATURE, CERTIFICATE_VALIDITY, CA_CONSTRAINTS,
    PROFILE, UNTRUSTED, DIGEST, REFERENCE, SIGNATURE, SIGNER_UNKNOWN, ALGORITHM, EMAID, CONTRACT_KEY,
    ROOT_NOT_LISTED,
)
"""Every rule of this family, in the order a reader meets them."""

_STEP_RULES = {"parse": CERTIFICATE_UNPARSEABLE, "length": CHAIN_LENGTH, "order": CHAIN_ORDER,
               "signature": CHAIN_SIGNATURE, "validity": CERTIFICATE_VALIDITY, "ca": CA_CONSTRAINTS,
               "profile": PROFILE, "trust": UNTRUSTED}
_DIGEST_RULES = {"failed": DIGEST, "missing": REFERENCE, "unsupported": ALGORITHM, "error": DIGEST}
_SIGNATURE_RULES = {"failed": SIGNATURE, "unverified": SIGNER_UNKNOWN, "unsupported": ALGORITHM}


def findings(results: Iterable[Result], session: int | None = None) -> Iterator[Finding]:
    """One finding per failed step of each result."""
    from .model import ChainCheck, EmaidCheck, KeyCheck, RootCheck, SignatureCheck

    for r in results:
        w = r.where
        if isinstance(r, ChainCheck):
            for step in r.steps:
                if step.ok is False:
                    yield _STEP_RULES[step.name].finding(
                        f"{r.kind} chain in {w.message}: {step.text}", w.frame, w.time, session=session,
                        message=w.message, path=w.path, side=w.side)
        elif isinstance(r, SignatureCheck):
            for ref in r.references:
                rule = _DIGEST_RULES.get(ref.status)
                if rule is not None:
                    yield rule.finding(f"{w.message} reference {ref.uri}: {ref.text}", w.frame, w.time,
                                       session=session, message=w.message, path=ref.element, side=w.side)
            rule = _SIGNATURE_RULES.get(r.status)
            if rule is not None:
                yield rule.finding(f"{w.message}: {r.text}", w.frame, w.time, session=session, message=w.message,
                                   evidence=(w.frame, r.signer_frame) if r.signer_frame else (), side=w.side)
        elif isinstance(r, EmaidCheck) and not r.ok:
            yield EMAID.finding(f"{w.message} carries eMAID {r.carried}, the contract certificate is for "
                                f"{r.certificate}", w.frame, w.time, session=session, message=w.message,
                                path=w.path, side=w.side)
        elif isinstance(r, RootCheck) and not r.ok:
            yield ROOT_NOT_LISTED.finding(f"the provisioning chain in {w.message} leads to {r.root}; the EV listed "
                                          + ("; ".join(r.listed) or "no roots"), w.frame, w.time, session=session,
                                          message=w.message, path=w.path, side=w.side)
        elif isinstance(r, KeyCheck) and not r.ok:
            yield CONTRACT_KEY.finding(f"{w.message}: {r.text}", w.frame, w.time, session=session,
                                       message=w.message, path=w.path, side=w.side)


def record_findings(records: Iterable[Record], trust: TrustStore | None = None) -> Iterator[Finding]:
    """The PnC findings of a capture's records (for callers that have records, not sessions)."""
    from .checker import PncChecker  # the checker attaches findings to sessions with ``findings`` above

    checker = PncChecker(trust)
    for record in records:
        checker.observe(record)
    yield from findings(checker.results)
