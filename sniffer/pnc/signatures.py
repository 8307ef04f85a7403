"""XML signatures of V2G messages, checked the way ISO 15118 computes them: over EXI, not XML.

For each ``Reference`` the element whose ``Id`` it names is encoded on its own as an EXI
fragment with the message set's schema-informed fragment grammar (its ``Id`` attribute is part
of that element, so it is encoded with it), and hashed with the ``DigestMethod``; the
``SignedInfo`` element is encoded as an EXI fragment of the xmldsig schema alone, and
``SignatureValue`` is verified over those bytes (ISO 15118-2 §7.9.2.4.2; ISO 15118-20 adds
ECDSA on secp521r1 with SHA-512 and Ed448 with SHAKE256). An ECDSA SignatureValue is r and s
as two fixed-width big-endian integers, not DER.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed448, utils

from v2gsniff.dissectors import exi
from v2gsniff.dissectors.exi import Element, ExiMessage

from .certs import CertView
from .model import ReferenceCheck, SignatureCheck, Where

DIGESTS: dict[str, Callable[[bytes], bytes]] = {
    "http://www.w3.org/2001/04/xmlenc#sha256": lambda b: hashlib.sha256(b).digest(),
    "http://www.w3.org/2001/04/xmlenc#sha512": lambda b: hashlib.sha512(b).digest(),
    "http://www.w3.org/2021/04/xmldsig-more#shake256": lambda b: hashlib.shake_256(b).digest(64),  # RFC 9231
}
"""DigestMethod Algorithm -> hash of the EXI fragment."""

ECDSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
ECDSA_SHA512 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512"
EDDSA_ED448 = "http://www.w3.org/2021/04/xmldsig-more#eddsa-ed448"
SIGNATURE_METHODS = {ECDSA_SHA256: "ecdsa-sha256", ECDSA_SHA512: "ecdsa-sha512", EDDSA_ED448: "ed448"}


def signature_of(msg: ExiMessage) -> Element | None:
    """The ``Signature`` element of a message's header, if it is signed."""
    header = msg.root.get("Header")
    return header.get("Signature") if header is not None else None


def find_id(root: Element, ident: str) -> Element | None:
    """The element whose ``Id`` attribute is ``ident`` (depth first, document order)."""
    stack = [root]
    while stack:
        el = stack.pop()
        if el.attr("Id") == ident:
            return el
        stack.extend(reversed(el.children))
    return None


def fragment(el: Element, schema: str) -> bytes:
    """``el`` alone as an EXI fragment of ``schema`` (what a digest or signature is computed over)."""
    return exi.encode(ExiMessage(el, schema, True))


def _b64(data: bytes | None) -> str | None:
    return None if data is None else base64.b64encode(data).decode()


def check_reference(ref: Element, msg: ExiMessage) -> ReferenceCheck:
    uri = str(ref.attr("URI") or "")
    digest_el = ref.get("DigestValue")
    expected = digest_el.value if digest_el is not None and isinstance(digest_el.value, bytes) else b""
    method_el = ref.get("DigestMethod")
    method = str(method_el.attr("Algorithm") or "") if method_el is not None else ""
    if not uri.startswith("#"):
        return ReferenceCheck(uri, None, "missing", _b64(expected) or "", None,
                              f"reference {uri!r} does not name an element of this message (#Id expected)")
    target = find_id(msg.root, uri[1:])
    if target is None:
        return ReferenceCheck(uri, None, "missing", _b64(expected) or "", None,
                              f"no element with Id {uri[1:]!r} in the message")
    digest = DIGESTS.get(method)
    if digest is None:
        return ReferenceCheck(uri, target.name, "unsupported", _b64(expected) or "", None,
                              f"digest method {method or '(none)'} is not one of ISO 15118's")
    try:
        computed = digest(fragment(target, msg.schema))
    except exi.ExiError as err:
        return ReferenceCheck(uri, target.name, "error", _b64(expected) or "", None,
                              f"{target.name} cannot be re-encoded as an EXI fragment: {err}")
    if computed == expected:
        return ReferenceCheck(uri, target.name, "ok", _b64(expected) or "", _b64(computed),
                              f"digest of {target.name} matches")
    return ReferenceCheck(uri, target.name, "failed", _b64(expected) or "", _b64(computed),
                          f"digest of {target.name} is {_b64(computed)}, the message says {_b64(expected)}: "
                          "the element was changed after signing, or signed over other bytes")


def verify(msg: ExiMessage, where: Where, signer: CertView | None, signer_frame: int | None = None,
           missing_signer: str = "no certificate of the signer seen") -> SignatureCheck:
    """Every reference of ``msg``'s signature, then its SignatureValue with ``signer``'s key."""
    sig = signature_of(msg)
    if sig is None:
        return SignatureCheck(where, "", (), "failed", "the message is not signed")
    info = sig.get("SignedInfo")
    refs = tuple(check_reference(r, msg) for r in info.findall("Reference")) if info is not None else ()
    method_el = info.get("SignatureMethod") if info is not None else None
    method = str(method_el.attr("Algorithm") or "") if method_el is not None else ""
    algorithm = SIGNATURE_METHODS.get(method, method or "(none)")
    value_el = sig.get("SignatureValue")
    value = value_el.value if value_el is not None and isinstance(value_el.value, bytes) else b""
    who = f"{signer.role} {signer.subject}" if signer is not None else None
    if info is None:
        return SignatureCheck(where, algorithm, refs, "failed", "the signature has no SignedInfo", who, signer_frame)
    if not refs:
        return SignatureCheck(where, algorithm, refs, "failed", "SignedInfo references nothing", who, signer_frame)
    if method not in SIGNATURE_METHODS:
        return SignatureCheck(where, algorithm, refs, "unsupported",
                              f"signature method {method or '(none)'} is not one of ISO 15118's", who, signer_frame)
    if signer is None or signer.cert is None:
        return SignatureCheck(where, algorithm, refs, "unverified", missing_signer, who, signer_frame)
    try:
        signed = fragment(info, "xmldsig")
    except exi.ExiError as err:
        return SignatureCheck(where, algorithm, refs, "failed", f"SignedInfo cannot be EXI-encoded: {err}", who,
                              signer_frame)
    why = _check(method, signer, value, signed)
    if why is None:
        return SignatureCheck(where, algorithm, refs, "ok", f"signature verifies with the key of {signer.role}", who,
                              signer_frame)
    return SignatureCheck(where, algorithm, refs, "failed",
                          f"signature does not verify with the key of {signer.role} ({signer.common_name}): {why}",
                          who, signer_frame)


def _check(method: str, signer: CertView, value: bytes, signed: bytes) -> str | None:
    """``None`` when ``value`` is a valid signature of ``signed`` by ``signer``'s key, else why not."""
    assert signer.cert is not None
    key = signer.cert.public_key()
    try:
        if method == EDDSA_ED448:
            if not isinstance(key, ed448.Ed448PublicKey):
                return f"the certificate holds a {signer.key} key, not Ed448"
            key.verify(value, signed)
            return None
        if not isinstance(key, ec.EllipticCurvePublicKey):
            return f"the certificate holds a {signer.key} key, not an EC key"
        width = (key.curve.key_size + 7) // 8
        if len(value) != 2 * width:
            return f"SignatureValue is {len(value)} bytes; r and s on {key.curve.name} take {2 * width}"
        der = utils.encode_dss_signature(int.from_bytes(value[:width], "big"), int.from_bytes(value[width:], "big"))
        hash_ = hashes.SHA512() if method == ECDSA_SHA512 else hashes.SHA256()
        key.verify(der, signed, ec.ECDSA(hash_))
        return None
    except InvalidSignature:
        return "InvalidSignature"
