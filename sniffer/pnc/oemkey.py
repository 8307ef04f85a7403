"""``--oem-key``: the contract private key of an ISO 15118-2 CertificateInstallationRes, decrypted.

The CPS encrypts the contract certificate's 256-bit private key for the EV ([V2G2-818]): ECDH
between its ephemeral key (``DHpublickey``, an uncompressed P-256 point) and the OEM provisioning
certificate's key gives a shared secret, the NIST SP 800-56A concatenation KDF with SHA-256 and
OtherInfo ``01 55 56`` (algorithm ID, PartyUInfo "U", PartyVInfo "V") turns it into a 128-bit
key, and AES-128-CBC without padding encrypts the scalar; the 16-byte IV comes first in
``ContractSignatureEncryptedPrivateKey``. With the OEM provisioning private key we can do what
the EV does and check that the key received belongs to the contract certificate.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from .certs import CertView

OTHER_INFO = bytes([0x01, 0x55, 0x56])


def load_key(path: str | Path) -> ec.EllipticCurvePrivateKey:
    """An EC private key from a PEM or DER file (PKCS#8 or SEC1, unencrypted); ValueError otherwise."""
    data = Path(path).read_bytes()
    loader = serialization.load_pem_private_key if b"-----BEGIN" in data else serialization.load_der_private_key
    key = loader(data, password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError(f"{path}: not an EC private key ({type(key).__name__})")
    return key


def session_key(private: ec.EllipticCurvePrivateKey, public: ec.EllipticCurvePublicKey) -> bytes:
    """The 128-bit AES key both sides derive from their ECDH shared secret."""
    shared = private.exchange(ec.ECDH(), public)
    return hashlib.sha256(b"\x00\x00\x00\x01" + shared + OTHER_INFO).digest()[:16]


def decrypt(dh_public: bytes, encrypted: bytes, oem_key: ec.EllipticCurvePrivateKey) -> ec.EllipticCurvePrivateKey:
    """The contract private key; ValueError when the inputs do not have the standard's shape."""
    if len(encrypted) != 48:
        raise ValueError(f"ContractSignatureEncryptedPrivateKey is {len(encrypted)} bytes, not 16 (IV) + 32")
    public = ec.EllipticCurvePublicKey.from_encoded_point(oem_key.curve, dh_public)
    key = session_key(oem_key, public)
    plain = Cipher(algorithms.AES(key), modes.CBC(encrypted[:16])).decryptor()
    scalar = plain.update(encrypted[16:]) + plain.finalize()
    return ec.derive_private_key(int.from_bytes(scalar, "big"), oem_key.curve)


def matches(private: ec.EllipticCurvePrivateKey, contract: CertView) -> bool:
    """Whether ``private`` is the key of the contract certificate."""
    if contract.cert is None:
        return False
    point = serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    return bool(private.public_key().public_bytes(*point) == contract.cert.public_key().public_bytes(*point))
