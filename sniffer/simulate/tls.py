"""Deterministic TLS 1.3 and TLS 1.2 writers: real, decryptable records from seeded key material.

OpenSSL cannot be seeded, so the records are written here: randoms, ephemeral keys and CBC IVs
come from the wire's RNG, the certificate has fixed dates and serial, and ECDSA signatures are
deterministic (RFC 6979), so the same seed gives the same bytes. Profiles:

* TLS 1.3 (ISO 15118-20): TLS_AES_256_GCM_SHA384, X25519, ECDSA P-256 certificate
  (RFC 8446 §4 handshake, §7 key schedule, §5.2 record protection). No client certificate.
* TLS 1.2 (ISO 15118-2): TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256 (0xC023), P-256 ECDHE,
  MAC-then-encrypt CBC records with explicit IVs (RFC 5246 §6.2.3.2, §7.4, §8.1; RFC 8422).

The NSS key-log lines go to ``wire.keylog``.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import struct

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.x509.oid import NameOID

from v2gsniff.sniffer.streams.tls.record import hkdf_expand_label, prf12

from .wire import TcpConversation, Wire

HANDSHAKE, CCS, ALERT, APPDATA = 22, 20, 21, 23
CCS_RECORD = bytes([CCS, 3, 3, 0, 1, 1])


def _vec(data: bytes, width: int) -> bytes:
    return len(data).to_bytes(width, "big") + data


def _hs(msg_type: int, body: bytes) -> bytes:
    return bytes([msg_type]) + _vec(body, 3)


def _ext(ext_type: int, body: bytes) -> bytes:
    return struct.pack("!H", ext_type) + _vec(body, 2)


def _record(ctype: int, fragment: bytes) -> bytes:
    return bytes([ctype, 3, 3]) + _vec(fragment, 2)


def ecdsa_key(wire: Wire) -> ec.EllipticCurvePrivateKey:
    scalar = int.from_bytes(wire.randbytes(32), "big") % (2**256 - 2**224 - 1) or 1
    return ec.derive_private_key(scalar, ec.SECP256R1())


def certificate(wire: Wire, key: ec.EllipticCurvePrivateKey, cn: str) -> bytes:
    """A self-signed SECC certificate (DER) with fixed validity and a seeded serial."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "v2gsniff simulator"),
                      x509.NameAttribute(NameOID.DOMAIN_COMPONENT, "CPO")])
    start = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(int.from_bytes(wire.randbytes(8), "big") | 1)
            .not_valid_before(start).not_valid_after(start + datetime.timedelta(days=730))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .sign(key, hashes.SHA256(), ecdsa_deterministic=True))
    return cert.public_bytes(serialization.Encoding.DER)


def _sign(key: ec.EllipticCurvePrivateKey, data: bytes) -> bytes:
    return key.sign(data, ec.ECDSA(hashes.SHA256(), deterministic_signing=True))


def _p256_point(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)


# -- TLS 1.3 -----------------------------------------------------------------------------------------

H13 = "sha384"
HLEN = 48


def _extract(salt: bytes, ikm: bytes) -> bytes:
    return hmac.digest(salt, ikm, H13)


def _expand_label(secret: bytes, label: bytes, context: bytes, length: int) -> bytes:
    return hkdf_expand_label(H13, secret, label, context, length)


class _Aead13:
    def __init__(self, secret: bytes) -> None:
        self.aead = AESGCM(_expand_label(secret, b"key", b"", 32))
        self.iv = _expand_label(secret, b"iv", b"", 12)
        self.seq = 0

    def seal(self, ctype: int, data: bytes) -> bytes:
        nonce = (int.from_bytes(self.iv, "big") ^ self.seq).to_bytes(12, "big")
        self.seq += 1
        header = bytes([APPDATA, 3, 3]) + struct.pack("!H", len(data) + 1 + 16)
        return header + self.aead.encrypt(nonce, data + bytes([ctype]), header)


class Tls13Channel:
    """TLS 1.3 over a TCP conversation: ``handshake()`` once, then ``send()`` V2GTP messages."""

    def __init__(self, wire: Wire, conv: TcpConversation) -> None:
        self.wire, self.conv = wire, conv
        self.keys: dict[bool, _Aead13] = {}

    def handshake(self) -> None:
        w = self.wire
        c_random, s_random, session_id = w.randbytes(32), w.randbytes(32), w.randbytes(32)
        c_key = X25519PrivateKey.from_private_bytes(w.randbytes(32))
        s_key = X25519PrivateKey.from_private_bytes(w.randbytes(32))
        raw = serialization.Encoding.Raw, serialization.PublicFormat.Raw
        c_pub, s_pub = c_key.public_key().public_bytes(*raw), s_key.public_key().public_bytes(*raw)
        exts = (_ext(43, _vec(b"\x03\x04", 1)) + _ext(10, _vec(b"\x00\x1d\x00\x17", 2))
                + _ext(13, _vec(b"\x04\x03\x08\x04\x05\x03", 2)) + _ext(45, _vec(b"\x01", 1))
                + _ext(51, _vec(b"\x00\x1d" + _vec(c_pub, 2), 2)))
        ch = _hs(1, b"\x03\x03" + c_random + _vec(session_id, 1) + _vec(b"\x13\x02\x13\x03", 2) + b"\x01\x00"
                 + _vec(exts, 2))
        self.conv.send(True, _record(HANDSHAKE, ch))
        sh_exts = _ext(43, b"\x03\x04") + _ext(51, b"\x00\x1d" + _vec(s_pub, 2))
        sh = _hs(2, b"\x03\x03" + s_random + _vec(session_id, 1) + b"\x13\x02\x00" + _vec(sh_exts, 2))
        shared = s_key.exchange(c_key.public_key())
        transcript = ch + sh
        early = _extract(b"\0" * HLEN, b"\0" * HLEN)
        empty = hashlib.sha384(b"").digest()
        hs_secret = _extract(_expand_label(early, b"derived", empty, HLEN), shared)
        th = hashlib.sha384(transcript).digest()
        c_hs = _expand_label(hs_secret, b"c hs traffic", th, HLEN)
        s_hs = _expand_label(hs_secret, b"s hs traffic", th, HLEN)
        server_hs = _Aead13(s_hs)
        sign_key = ecdsa_key(w)
        cert = certificate(w, sign_key, "SECC-" + w.randbytes(4).hex().upper())
        ee = _hs(8, _vec(b"", 2))
        cert_msg = _hs(11, _vec(b"", 1) + _vec(_vec(cert, 3) + _vec(b"", 2), 3))
        transcript += ee + cert_msg
        content = b" " * 64 + b"TLS 1.3, server CertificateVerify\0" + hashlib.sha384(transcript).digest()
        cv = _hs(15, b"\x04\x03" + _vec(_sign(sign_key, content), 2))
        transcript += cv
        s_fin_key = _expand_label(s_hs, b"finished", b"", HLEN)
        s_fin = _hs(20, hmac.digest(s_fin_key, hashlib.sha384(transcript).digest(), H13))
        transcript += s_fin
        flight = (_record(HANDSHAKE, sh) + CCS_RECORD + server_hs.seal(HANDSHAKE, ee) + server_hs.seal(HANDSHAKE, cert_msg)
                  + server_hs.seal(HANDSHAKE, cv) + server_hs.seal(HANDSHAKE, s_fin))
        w.wait(0.004)
        self.conv.send(False, flight)
        master = _extract(_expand_label(hs_secret, b"derived", empty, HLEN), b"\0" * HLEN)
        th = hashlib.sha384(transcript).digest()
        c_ap = _expand_label(master, b"c ap traffic", th, HLEN)
        s_ap = _expand_label(master, b"s ap traffic", th, HLEN)
        c_fin_key = _expand_label(c_hs, b"finished", b"", HLEN)
        c_fin = _hs(20, hmac.digest(c_fin_key, th, H13))
        w.wait(0.003)
        self.conv.send(True, CCS_RECORD + _Aead13(c_hs).seal(HANDSHAKE, c_fin))
        self.keys = {True: _Aead13(c_ap), False: _Aead13(s_ap)}
        cr = c_random.hex()
        w.keylog += [f"SERVER_HANDSHAKE_TRAFFIC_SECRET {cr} {s_hs.hex()}",
                     f"CLIENT_HANDSHAKE_TRAFFIC_SECRET {cr} {c_hs.hex()}",
                     f"SERVER_TRAFFIC_SECRET_0 {cr} {s_ap.hex()}",
                     f"CLIENT_TRAFFIC_SECRET_0 {cr} {c_ap.hex()}"]

    def send(self, from_client: bool, data: bytes) -> None:
        self.conv.send(from_client, self.keys[from_client].seal(APPDATA, data))

    def close_notify(self, from_client: bool) -> None:
        self.conv.send(from_client, self.keys[from_client].seal(ALERT, b"\x01\x00"))


# -- TLS 1.2 -----------------------------------------------------------------------------------------


def _prf(secret: bytes, label: bytes, seed: bytes, length: int) -> bytes:
    return prf12("sha256", secret, label, seed, length)


class _Cbc12:
    def __init__(self, wire: Wire, key: bytes, mac_key: bytes) -> None:
        self.wire, self.key, self.mac_key = wire, key, mac_key
        self.seq = 0

    def seal(self, ctype: int, data: bytes) -> bytes:
        mac = hmac.digest(self.mac_key, struct.pack("!QBHH", self.seq, ctype, 0x0303, len(data)) + data, "sha256")
        self.seq += 1
        body = data + mac
        pad = 15 - len(body) % 16
        body += bytes([pad]) * (pad + 1)
        iv = self.wire.randbytes(16)
        enc = Cipher(algorithms.AES(self.key), modes.CBC(iv)).encryptor()
        return _record(ctype, iv + enc.update(body) + enc.finalize())


class Tls12Channel:
    """TLS 1.2 ECDHE-ECDSA-AES128-CBC-SHA256 over a TCP conversation."""

    def __init__(self, wire: Wire, conv: TcpConversation,
                 identity: tuple[ec.EllipticCurvePrivateKey, list[bytes]] | None = None) -> None:
        self.wire, self.conv = wire, conv
        self.keys: dict[bool, _Cbc12] = {}
        self.identity = identity
        """The SECC's key and leaf-first certificate chain (Plug & Charge); a self-signed one when ``None``."""

    def handshake(self) -> None:
        w = self.wire
        c_random, s_random, session_id = w.randbytes(32), w.randbytes(32), w.randbytes(32)
        exts = (_ext(10, _vec(b"\x00\x17", 2)) + _ext(11, _vec(b"\x00", 1))
                + _ext(13, _vec(b"\x04\x03", 2)) + _ext(0xFF01, b"\x00"))
        ch = _hs(1, b"\x03\x03" + c_random + _vec(b"", 1) + _vec(b"\xc0\x23\xc0\x25", 2) + b"\x01\x00"
                 + _vec(exts, 2))
        self.conv.send(True, _record(HANDSHAKE, ch))
        sh = _hs(2, b"\x03\x03" + s_random + _vec(session_id, 1) + b"\xc0\x23\x00"
                 + _vec(_ext(11, _vec(b"\x00", 1)) + _ext(0xFF01, b"\x00"), 2))
        if self.identity is None:
            sign_key = ecdsa_key(w)
            chain = [certificate(w, sign_key, "SECC-" + w.randbytes(4).hex().upper())]
        else:
            sign_key, chain = self.identity
        cert_msg = _hs(11, _vec(b"".join(_vec(c, 3) for c in chain), 3))
        s_eph = ecdsa_key(w)
        params = b"\x03\x00\x17" + _vec(_p256_point(s_eph), 1)
        ske = _hs(12, params + b"\x04\x03" + _vec(_sign(sign_key, c_random + s_random + params), 2))
        shd = _hs(14, b"")
        w.wait(0.004)
        flight = sh + cert_msg + ske + shd
        # a record holds at most 2^14 bytes (RFC 5246 §6.2.1): a long chain spans several
        self.conv.send(False, b"".join(_record(HANDSHAKE, flight[i:i + 16384]) for i in range(0, len(flight), 16384)))
        c_eph = ecdsa_key(w)
        cke = _hs(16, _vec(_p256_point(c_eph), 1))
        premaster = c_eph.exchange(ec.ECDH(), s_eph.public_key())
        master = _prf(premaster, b"master secret", c_random + s_random, 48)
        block = _prf(master, b"key expansion", s_random + c_random, 96)
        c_mac, s_mac, c_key, s_key = block[:32], block[32:64], block[64:80], block[80:96]
        transcript = ch + sh + cert_msg + ske + shd + cke
        c_fin = _hs(20, _prf(master, b"client finished", hashlib.sha256(transcript).digest(), 12))
        client, server = _Cbc12(w, c_key, c_mac), _Cbc12(w, s_key, s_mac)
        w.wait(0.006)
        self.conv.send(True, _record(HANDSHAKE, cke) + CCS_RECORD + client.seal(HANDSHAKE, c_fin))
        transcript += c_fin
        s_fin = _hs(20, _prf(master, b"server finished", hashlib.sha256(transcript).digest(), 12))
        w.wait(0.002)
        self.conv.send(False, CCS_RECORD + server.seal(HANDSHAKE, s_fin))
        self.keys = {True: client, False: server}
        w.keylog.append(f"CLIENT_RANDOM {c_random.hex()} {master.hex()}")

    def send(self, from_client: bool, data: bytes) -> None:
        self.conv.send(from_client, self.keys[from_client].seal(APPDATA, data))

    def close_notify(self, from_client: bool) -> None:
        self.conv.send(from_client, self.keys[from_client].seal(ALERT, b"\x01\x00"))
