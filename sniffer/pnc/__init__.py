"""Plug & Charge, verified: certificate chains, contract IDs and XML signatures of V2G messages.

Sans-io, like the rest of the core: ``PncChecker`` is fed the records the pipeline produces and
judges what they carry; ``rules.PNC_RULES`` turns each failure into a ``Finding``.

    certs.py       certificates and their ISO 15118 roles; where chains travel in messages
    chains.py      chain checks (order, signatures, validity, CA flags, profile) and --trust roots
    signatures.py  digests over EXI fragments and SignatureValue over the EXI SignedInfo
    emaid.py       the contract ID of the certificate against the one messages carry
    roots.py       the provisioning chain's root against the EV's ListOfRootCertificateIDs
    oemkey.py      --oem-key: the contract private key of a CertificateInstallationRes, decrypted
    checker.py     the stateful part: which certificate signs which message, per session
    rules.py       the rules and the findings they give
"""

from typing import TYPE_CHECKING, Any

from .checker import PncChecker

if TYPE_CHECKING:
    from .chains import TrustStore
    from .model import (
        ChainCheck,
        EmaidCheck,
        KeyCheck,
        PncSection,
        ReferenceCheck,
        SignatureCheck,
        Step,
        Where,
    )

_MODEL = frozenset({"ChainCheck", "EmaidCheck", "KeyCheck", "PncSection", "ReferenceCheck", "SignatureCheck", "Step",
                    "Where"})


def __getattr__(name: str) -> Any:
    # chains load cryptography, which every decode would pay for at start-up; the result model (its
    # dataclasses) loads with the first result
    if name == "TrustStore":
        from .chains import TrustStore

        return TrustStore
    if name in _MODEL:
        from . import model

        return getattr(model, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    # the model's names are this package's as if imported (report/codec.py resolves annotations by them)
    return sorted({*globals(), *_MODEL})

__all__ = ["ChainCheck", "EmaidCheck", "KeyCheck", "PncChecker", "PncSection", "ReferenceCheck",
           "SignatureCheck", "Step", "TrustStore", "Where"]
