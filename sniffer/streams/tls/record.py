"""Key derivation and record protection for TLS 1.2 and 1.3.

The TLS 1.2 PRF (RFC 5246 §5) and the TLS 1.3 HKDF-Expand-Label (RFC 8446 §7.1) are written
here; ``cryptography`` supplies only the block/AEAD ciphers. HMAC comes from the standard
library because its one-shot ``hmac.digest`` is several times cheaper per record.
"""

from __future__ import annotations

import hmac
import struct

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESCCM, AESGCM, ChaCha20Poly1305

from v2gsniff.sniffer.streams.tls.suites import CBC, CCM, CHACHA, GCM, CipherSuite


class DecryptError(Exception):
    """A record failed to decrypt or authenticate; the message says how."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


# --- key derivation ---------------------------------------------------------------------


def p_hash(hash_name: str, secret: bytes, seed: bytes, length: int) -> bytes:
    """RFC 5246 §5: P_hash(secret, seed) = HMAC(secret, A(1)||seed) || HMAC(secret, A(2)||seed) ..."""
    out = bytearray()
    a = seed
    while len(out) < length:
        a = hmac.digest(secret, a, hash_name)
        out += hmac.digest(secret, a + seed, hash_name)
    return bytes(out[:length])


def prf12(hash_name: str, secret: bytes, label: bytes, seed: bytes, length: int) -> bytes:
    return p_hash(hash_name, secret, label + seed, length)


def hkdf_expand(hash_name: str, prk: bytes, info: bytes, length: int) -> bytes:
    """RFC 5869 §2.3."""
    out = bytearray()
    block = b""
    counter = 1
    while len(out) < length:
        block = hmac.digest(prk, block + info + bytes([counter]), hash_name)
        out += block
        counter += 1
    return bytes(out[:length])


def hkdf_expand_label(hash_name: str, secret: bytes, label: bytes, context: bytes, length: int) -> bytes:
    """RFC 8446 §7.1: HkdfLabel = uint16 length || opaque label<7..255> ("tls13 " + Label) || opaque context<0..255>."""
    full = b"tls13 " + label
    info = struct.pack(">HB", length, len(full)) + full + bytes([len(context)]) + context
    return hkdf_expand(hash_name, secret, info, length)


def next_traffic_secret(suite: CipherSuite, secret: bytes) -> bytes:
    """RFC 8446 §7.2: application_traffic_secret_N+1 after a KeyUpdate."""
    return hkdf_expand_label(suite.hash_name, secret, b"traffic upd", b"", suite.hash_len)


# --- record protection ------------------------------------------------------------------


def _aead(suite: CipherSuite, key: bytes) -> AESGCM | AESCCM | ChaCha20Poly1305:
    if suite.cipher == GCM:
        return AESGCM(key)
    if suite.cipher == CCM:
        return AESCCM(key, tag_length=suite.tag_len)
    if suite.cipher == CHACHA:
        return ChaCha20Poly1305(key)
    raise ValueError(f"not an AEAD cipher: {suite.cipher}")


def _xor_nonce(iv: bytes, seq: int) -> bytes:
    return (int.from_bytes(iv, "big") ^ seq).to_bytes(len(iv), "big")


class Tls12Cbc:
    """AES-CBC + HMAC, MAC-then-encrypt (RFC 5246 §6.2.3.2) or encrypt-then-MAC (RFC 7366)."""

    def __init__(self, suite: CipherSuite, key: bytes, mac_key: bytes, etm: bool) -> None:
        # CBC decryption is ECB decryption XOR the previous ciphertext block; one ECB context
        # per key serves every record, where a CBC context would be built per record (its IV).
        self._ecb = Cipher(algorithms.AES(key), modes.ECB()).decryptor()
        self._mac_key = mac_key
        self._mac_name = suite.mac_name
        self._mac_len = suite.mac_len
        self.etm = etm

    def _cbc(self, iv: bytes, data: bytes) -> bytes:
        blocks = self._ecb.update(data)
        chain = iv + data[:-16]
        return (int.from_bytes(blocks, "big") ^ int.from_bytes(chain, "big")).to_bytes(len(data), "big")

    def decrypt(self, seq: int, ctype: int, version: int, fragment: bytes) -> tuple[int, bytes]:
        mac_len = self._mac_len
        if self.etm:
            if len(fragment) < 32 + mac_len or (len(fragment) - mac_len) % 16:
                raise DecryptError("bad-length", f"encrypt-then-MAC record of {len(fragment)} bytes has an impossible length")
            body, mac = fragment[:-mac_len], fragment[-mac_len:]
            header = struct.pack(">QBHH", seq, ctype, version, len(body))
            if not hmac.compare_digest(hmac.digest(self._mac_key, header + body, self._mac_name), mac):
                raise DecryptError("bad-mac", "bad record MAC (encrypt-then-MAC): wrong key or corrupted record")
            padded = self._cbc(body[:16], body[16:])
            pad = padded[-1]
            if pad + 1 > len(padded) or padded[-pad - 1 :] != bytes([pad]) * (pad + 1):
                raise DecryptError("bad-padding", "bad CBC padding behind a valid MAC")
            return ctype, padded[: -pad - 1]
        if len(fragment) < 32 or len(fragment) % 16:
            raise DecryptError("bad-length", f"CBC record of {len(fragment)} bytes is not a whole number of blocks")
        padded = self._cbc(fragment[:16], fragment[16:])
        pad = padded[-1]
        end = len(padded) - pad - 1 - mac_len
        if end < 0 or padded[-pad - 1 :] != bytes([pad]) * (pad + 1):
            raise DecryptError("bad-mac", "bad record MAC (CBC padding invalid): wrong key or corrupted record")
        plain, mac = padded[:end], padded[end : end + mac_len]
        header = struct.pack(">QBHH", seq, ctype, version, len(plain))
        if not hmac.compare_digest(hmac.digest(self._mac_key, header + plain, self._mac_name), mac):
            raise DecryptError("bad-mac", "bad record MAC: wrong key or corrupted record")
        return ctype, plain


class Tls12Aead:
    """AES-GCM/CCM with an 8-byte explicit nonce (RFC 5288, RFC 6655) or ChaCha20-Poly1305 (RFC 7905)."""

    def __init__(self, suite: CipherSuite, key: bytes, fixed_iv: bytes) -> None:
        self._aead = _aead(suite, key)
        self._iv = fixed_iv
        self._explicit = suite.cipher != CHACHA
        self._tag_len = suite.tag_len

    def decrypt(self, seq: int, ctype: int, version: int, fragment: bytes) -> tuple[int, bytes]:
        if self._explicit:
            if len(fragment) < 8 + self._tag_len:
                raise DecryptError("bad-length", f"AEAD record of {len(fragment)} bytes is shorter than nonce and tag")
            nonce, body = self._iv + fragment[:8], fragment[8:]
        else:
            if len(fragment) < self._tag_len:
                raise DecryptError("bad-length", f"AEAD record of {len(fragment)} bytes is shorter than its tag")
            nonce, body = _xor_nonce(self._iv, seq), fragment
        aad = struct.pack(">QBHH", seq, ctype, version, len(body) - self._tag_len)
        try:
            return ctype, self._aead.decrypt(nonce, body, aad)
        except InvalidTag:
            raise DecryptError("bad-tag", "bad AEAD tag: wrong key or corrupted record") from None


class Tls13Aead:
    """RFC 8446 §5.2: AAD is the record header, nonce is iv XOR seq, inner plaintext ends in the real type."""

    def __init__(self, suite: CipherSuite, secret: bytes) -> None:
        self._aead = _aead(suite, hkdf_expand_label(suite.hash_name, secret, b"key", b"", suite.key_len))
        self._iv = hkdf_expand_label(suite.hash_name, secret, b"iv", b"", 12)
        self._tag_len = suite.tag_len

    def decrypt(self, seq: int, ctype: int, version: int, fragment: bytes) -> tuple[int, bytes]:
        if len(fragment) < self._tag_len + 1:
            raise DecryptError("bad-length", f"encrypted record of {len(fragment)} bytes is shorter than its tag")
        aad = struct.pack(">BHH", ctype, version, len(fragment))
        try:
            inner = self._aead.decrypt(_xor_nonce(self._iv, seq), fragment, aad)
        except InvalidTag:
            raise DecryptError("bad-tag", "bad AEAD tag: wrong key or corrupted record") from None
        content = inner.rstrip(b"\x00")
        if not content:
            raise DecryptError("no-content-type", "decrypted record is all padding: no inner content type")
        return content[-1], content[:-1]


Protection = Tls12Cbc | Tls12Aead | Tls13Aead


def tls12_protections(suite: CipherSuite, master_secret: bytes, client_random: bytes, server_random: bytes,
                      etm: bool) -> tuple[Protection, Protection]:
    """(client-write, server-write) protections from the key block (RFC 5246 §6.3)."""
    mac_len = suite.mac_len if suite.cipher == CBC else 0
    iv_len = suite.fixed_iv_len
    size = 2 * (mac_len + suite.key_len + iv_len)
    block = prf12(suite.hash_name, master_secret, b"key expansion", server_random + client_random, size)
    parts = []
    pos = 0
    for n in (mac_len, mac_len, suite.key_len, suite.key_len, iv_len, iv_len):
        parts.append(block[pos : pos + n])
        pos += n
    c_mac, s_mac, c_key, s_key, c_iv, s_iv = parts
    if suite.cipher == CBC:
        return Tls12Cbc(suite, c_key, c_mac, etm), Tls12Cbc(suite, s_key, s_mac, etm)
    return Tls12Aead(suite, c_key, c_iv), Tls12Aead(suite, s_key, s_iv)
