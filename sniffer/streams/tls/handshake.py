"""Handshake message decoding (RFC 5246 §7.4, RFC 8446 §4): bytes in, event fields out."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa

from v2gsniff.sniffer.streams.tls.events import CertificateInfo
from v2gsniff.sniffer.streams.tls.suites import HRR_RANDOM, group_name, suite_name, version_name

CLIENT_HELLO = 1
SERVER_HELLO = 2
NEW_SESSION_TICKET = 4
END_OF_EARLY_DATA = 5
ENCRYPTED_EXTENSIONS = 8
CERTIFICATE = 11
SERVER_KEY_EXCHANGE = 12
CERTIFICATE_REQUEST = 13
CERTIFICATE_VERIFY = 15
FINISHED = 20
KEY_UPDATE = 24

MESSAGE_NAMES = {
    0: "HelloRequest",
    CLIENT_HELLO: "ClientHello",
    SERVER_HELLO: "ServerHello",
    3: "HelloVerifyRequest",
    NEW_SESSION_TICKET: "NewSessionTicket",
    END_OF_EARLY_DATA: "EndOfEarlyData",
    ENCRYPTED_EXTENSIONS: "EncryptedExtensions",
    CERTIFICATE: "Certificate",
    SERVER_KEY_EXCHANGE: "ServerKeyExchange",
    CERTIFICATE_REQUEST: "CertificateRequest",
    14: "ServerHelloDone",
    CERTIFICATE_VERIFY: "CertificateVerify",
    16: "ClientKeyExchange",
    FINISHED: "Finished",
    22: "CertificateStatus",
    KEY_UPDATE: "KeyUpdate",
    254: "message_hash",
}

EXT_SERVER_NAME = 0
EXT_SUPPORTED_GROUPS = 10
EXT_ALPN = 16
EXT_ENCRYPT_THEN_MAC = 22
EXT_EXTENDED_MASTER_SECRET = 23
EXT_EARLY_DATA = 42
EXT_SUPPORTED_VERSIONS = 43
EXT_KEY_SHARE = 51


class Malformed(Exception):
    pass


class _Reader:
    __slots__ = ("data", "pos")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise Malformed(f"needs {n} bytes at offset {self.pos}, only {len(self.data) - self.pos} left")
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def uint(self, n: int) -> int:
        return int.from_bytes(self.take(n), "big")

    def vector(self, length_bytes: int) -> bytes:
        return self.take(self.uint(length_bytes))

    @property
    def left(self) -> int:
        return len(self.data) - self.pos


@dataclass
class Decoded:
    """Decoded message: ``fields`` become TlsHandshake keyword arguments, the rest drive the connection."""

    fields: dict[str, Any] = field(default_factory=dict)
    random: bytes | None = None
    hello_retry: bool = False
    version: int | None = None
    cipher_suite: int | None = None
    extensions: frozenset[int] = frozenset()
    update_requested: bool = False


def _u16_list(data: bytes) -> list[int]:
    return [int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data) - 1, 2)]


def _extensions(r: _Reader) -> list[tuple[int, bytes]]:
    if r.left == 0:
        return []
    ext = _Reader(r.vector(2))
    out = []
    while ext.left:
        out.append((ext.uint(2), ext.vector(2)))
    return out


def _common_extensions(exts: list[tuple[int, bytes]], out: Decoded, hello: str) -> None:
    f = out.fields
    f["extensions"] = tuple(t for t, _ in exts)
    out.extensions = frozenset(t for t, _ in exts)
    for etype, body in exts:
        r = _Reader(body)
        if etype == EXT_SERVER_NAME and body:
            names = _Reader(r.vector(2))
            while names.left:
                kind, name = names.uint(1), names.vector(2)
                if kind == 0:
                    f["sni"] = name.decode("ascii", "replace")
        elif etype == EXT_ALPN:
            protos = _Reader(r.vector(2))
            alpn = []
            while protos.left:
                alpn.append(protos.vector(1).decode("ascii", "replace"))
            f["alpn"] = tuple(alpn)
        elif etype == EXT_SUPPORTED_VERSIONS:
            versions = _u16_list(r.vector(1)) if hello == "client" else [r.uint(2)]
            f["supported_versions"] = tuple(version_name(v) for v in versions)
            if hello != "client":
                out.version = versions[0]
        elif etype == EXT_SUPPORTED_GROUPS:
            f["supported_groups"] = tuple(group_name(g) for g in _u16_list(r.vector(2)))
        elif etype == EXT_KEY_SHARE:
            if hello == "client":
                shares = _Reader(r.vector(2))
                groups = []
                while shares.left:
                    groups.append(group_name(shares.uint(2)))
                    shares.vector(2)
                f["key_share_groups"] = tuple(groups)
            else:  # ServerHello: one KeyShareEntry; HelloRetryRequest: just the selected group
                f["key_share_groups"] = (group_name(r.uint(2)),)
        elif etype == EXT_ENCRYPT_THEN_MAC:
            f["encrypt_then_mac"] = True
        elif etype == EXT_EXTENDED_MASTER_SECRET:
            f["extended_master_secret"] = True


def _client_hello(r: _Reader, out: Decoded) -> None:
    legacy = r.uint(2)
    out.random = r.take(32)
    out.fields.update(version=version_name(legacy), random=out.random.hex())
    r.vector(1)  # session id
    suites = _u16_list(r.vector(2))
    out.fields["offered_cipher_suites"] = tuple(suite_name(s) for s in suites)
    r.vector(1)  # compression methods
    exts = _extensions(r)
    _common_extensions(exts, out, "client")
    out.fields.setdefault("encrypt_then_mac", False)
    out.fields.setdefault("extended_master_secret", False)


def _server_hello(r: _Reader, out: Decoded) -> None:
    legacy = r.uint(2)
    out.random = r.take(32)
    out.hello_retry = out.random == HRR_RANDOM
    r.vector(1)  # session id echo
    out.cipher_suite = r.uint(2)
    r.uint(1)  # compression
    exts = _extensions(r)
    _common_extensions(exts, out, "retry" if out.hello_retry else "server")
    if out.version is None:
        out.version = legacy
    out.fields.update(version=version_name(out.version), random=out.random.hex(), cipher_suite=out.cipher_suite,
                      cipher_suite_name=suite_name(out.cipher_suite))
    out.fields.setdefault("encrypt_then_mac", False)
    out.fields.setdefault("extended_master_secret", False)


def key_text(key: object) -> str:
    """A public key as people name it: ``EC secp256r1``, ``RSA 2048``, ``Ed448``."""
    if isinstance(key, ec.EllipticCurvePublicKey):
        return f"EC {key.curve.name}"
    if isinstance(key, rsa.RSAPublicKey):
        return f"RSA {key.key_size}"
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "Ed25519"
    if isinstance(key, ed448.Ed448PublicKey):
        return "Ed448"
    return type(key).__name__


def certificate_info(der: bytes) -> CertificateInfo:
    try:
        cert = x509.load_der_x509_certificate(der)
        oid = cert.signature_algorithm_oid
        return CertificateInfo(
            subject=cert.subject.rfc4514_string(),
            issuer=cert.issuer.rfc4514_string(),
            not_before=cert.not_valid_before_utc.isoformat(),
            not_after=cert.not_valid_after_utc.isoformat(),
            serial=f"{cert.serial_number:X}",
            public_key=key_text(cert.public_key()),
            signature_algorithm=getattr(oid, "_name", None) or oid.dotted_string,
            der=der,
        )
    except Exception as exc:  # any DER problem is reported, never raised
        return CertificateInfo(error=f"unparseable certificate ({len(der)} bytes): {exc}", der=der)


def _certificate(r: _Reader, out: Decoded, tls13: bool) -> None:
    if tls13:
        r.vector(1)  # certificate_request_context
    certs = _Reader(r.vector(3))
    infos = []
    while certs.left:
        infos.append(certificate_info(certs.vector(3)))
        if tls13:
            certs.vector(2)  # per-certificate extensions
    out.fields["certificates"] = tuple(infos)


def decode(msg_type: int, body: bytes, tls13: bool) -> Decoded:
    """Decode a handshake message body; a Malformed body gives ``fields['error']``, never an exception."""
    out = Decoded()
    name = MESSAGE_NAMES.get(msg_type, f"handshake type {msg_type}")
    r = _Reader(body)
    details: dict[str, Any] = {}
    try:
        if msg_type == CLIENT_HELLO:
            _client_hello(r, out)
        elif msg_type == SERVER_HELLO:
            _server_hello(r, out)
            if out.hello_retry:
                name = "HelloRetryRequest"
        elif msg_type == CERTIFICATE:
            _certificate(r, out, tls13)
        elif msg_type == ENCRYPTED_EXTENSIONS:
            _common_extensions(_extensions(r), out, "server")
        elif msg_type == KEY_UPDATE:
            out.update_requested = r.uint(1) == 1
            details["update_requested"] = out.update_requested
        elif msg_type == NEW_SESSION_TICKET:
            details["ticket_lifetime"] = r.uint(4)
            if tls13:
                r.uint(4)  # age add
                r.vector(1)  # nonce
            details["ticket_length"] = len(r.vector(2))
        elif msg_type == SERVER_KEY_EXCHANGE and not tls13 and len(body) >= 3 and body[0] == 3:
            details["curve"] = group_name(int.from_bytes(body[1:3], "big"))
        elif msg_type == FINISHED:
            details["verify_data_length"] = len(body)
    except Malformed as exc:
        out.fields["error"] = f"malformed {name}: {exc}"
    out.fields["name"] = name
    if details:
        out.fields["details"] = details
    return out
