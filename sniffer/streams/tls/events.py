"""What a TLS connection reports: handshake messages, plaintext, alerts, notes and errors.

``fields()`` gives JSON-ready values. No event carries key material except
:class:`TlsNote`'s ``secrets``, which stay redacted unless ``fields(show_keys=True)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from v2gsniff.sniffer.streams.tls.keylog import Secret


@dataclass(frozen=True, slots=True)
class CertificateInfo:
    subject: str = ""
    issuer: str = ""
    not_before: str = ""
    not_after: str = ""
    serial: str = ""
    public_key: str = ""
    signature_algorithm: str = ""
    error: str | None = None
    """Why the DER could not be parsed (the other fields are then empty)."""
    der: bytes = field(default=b"", repr=False)
    """The certificate as sent (for chain checks; not part of ``fields()``)."""

    def fields(self) -> dict[str, Any]:
        if self.error is not None:
            return {"error": self.error}
        return {
            "subject": self.subject,
            "issuer": self.issuer,
            "not_before": self.not_before,
            "not_after": self.not_after,
            "serial": self.serial,
            "public_key": self.public_key,
            "signature_algorithm": self.signature_algorithm,
        }


@dataclass(frozen=True, slots=True)
class TlsHandshake:
    """One handshake message (ClientHello, ServerHello, HelloRetryRequest, Certificate, Finished ...)."""

    from_client: bool
    name: str
    frame: int
    time: float
    msg_type: int
    length: int
    encrypted: bool = False
    """Whether the message arrived inside protected records (and was decrypted)."""
    version: str | None = None
    """Negotiated version (ServerHello, HelloRetryRequest); legacy version for ClientHello."""
    cipher_suite: int | None = None
    cipher_suite_name: str | None = None
    offered_cipher_suites: tuple[str, ...] = ()
    random: str | None = None
    """Hello random, hex (public: it is sent in clear)."""
    sni: str | None = None
    alpn: tuple[str, ...] = ()
    supported_versions: tuple[str, ...] = ()
    key_share_groups: tuple[str, ...] = ()
    supported_groups: tuple[str, ...] = ()
    extensions: tuple[int, ...] = ()
    encrypt_then_mac: bool | None = None
    extended_master_secret: bool | None = None
    certificates: tuple[CertificateInfo, ...] = ()
    details: Mapping[str, Any] = field(default_factory=dict)
    """Message-specific values (KeyUpdate ``update_requested``, ticket lifetime, curve ...)."""
    error: str | None = None
    """Why the message body could not be fully decoded."""

    def fields(self, show_keys: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {"msg_type": self.msg_type, "length": self.length, "encrypted": self.encrypted}
        for key in ("version", "cipher_suite_name", "random", "sni", "encrypt_then_mac", "extended_master_secret"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        if self.cipher_suite is not None:
            out["cipher_suite"] = f"0x{self.cipher_suite:04X}"
        for key in ("offered_cipher_suites", "alpn", "supported_versions", "key_share_groups", "supported_groups",
                    "extensions"):
            value = getattr(self, key)
            if value:
                out[key] = list(value)
        if self.certificates:
            out["certificates"] = [c.fields() for c in self.certificates]
        out.update(self.details)
        if self.error is not None:
            out["error"] = self.error
        return out


@dataclass(frozen=True, slots=True)
class TlsPlaintext:
    """Decrypted application data of one record."""

    from_client: bool
    data: bytes
    frame: int
    """Frame that completed the record."""
    time: float
    version: str
    record_number: int
    """0-based index of the record among all records of its direction."""
    seq: int = -1
    """TLS sequence number under the keys that decrypted it."""

    def fields(self, show_keys: bool = False) -> dict[str, Any]:
        return {"version": self.version, "record_number": self.record_number, "seq": self.seq,
                "length": len(self.data)}


ALERT_LEVELS = {1: "warning", 2: "fatal"}


@dataclass(frozen=True, slots=True)
class TlsAlert:
    from_client: bool
    frame: int
    time: float
    level: str
    description: str
    code: int
    encrypted: bool

    def fields(self, show_keys: bool = False) -> dict[str, Any]:
        return {"level": self.level, "description": self.description, "code": self.code,
                "encrypted": self.encrypted}


@dataclass(frozen=True, slots=True)
class TlsNote:
    """Something worth telling that is not an error (no key yet, keys found, buffer full ...)."""

    from_client: bool | None
    frame: int
    time: float
    code: str
    message: str
    secrets: tuple[tuple[str, Secret], ...] = ()
    """(label, secret) pairs this note is about; redacted unless ``fields(show_keys=True)``."""

    def fields(self, show_keys: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.secrets:
            out["secrets"] = {label: (s.hex() if show_keys else "<redacted>") for label, s in self.secrets}
        return out


@dataclass(frozen=True, slots=True)
class TlsError:
    """A record or message that could not be processed; later records still are where possible."""

    from_client: bool | None
    frame: int
    time: float
    code: str
    """``bad-mac``, ``bad-tag``, ``bad-padding``, ``bad-length``, ``truncated``, ``unsupported-cipher``,
    ``malformed-handshake``, ``bad-record-header``, ``internal`` ..."""
    message: str
    record_number: int | None = None

    def fields(self, show_keys: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.record_number is not None:
            out["record_number"] = self.record_number
        return out


@dataclass(frozen=True, slots=True)
class TlsGap:
    """Bytes of one direction were lost in the capture: the plaintext before and after does not join
    (a V2GTP message cut by it cannot complete). In order with the plaintext events."""

    from_client: bool
    frame: int
    time: float
    length: int
    """Bytes of the TLS stream lost, with the record they cut."""

    def fields(self, show_keys: bool = False) -> dict[str, Any]:
        return {"length": self.length}


TlsEvent = TlsHandshake | TlsPlaintext | TlsAlert | TlsNote | TlsError | TlsGap

ALERT_DESCRIPTIONS = {
    0: "close_notify",
    10: "unexpected_message",
    20: "bad_record_mac",
    21: "decryption_failed",
    22: "record_overflow",
    30: "decompression_failure",
    40: "handshake_failure",
    41: "no_certificate",
    42: "bad_certificate",
    43: "unsupported_certificate",
    44: "certificate_revoked",
    45: "certificate_expired",
    46: "certificate_unknown",
    47: "illegal_parameter",
    48: "unknown_ca",
    49: "access_denied",
    50: "decode_error",
    51: "decrypt_error",
    60: "export_restriction",
    70: "protocol_version",
    71: "insufficient_security",
    80: "internal_error",
    86: "inappropriate_fallback",
    90: "user_canceled",
    100: "no_renegotiation",
    109: "missing_extension",
    110: "unsupported_extension",
    111: "certificate_unobtainable",
    112: "unrecognized_name",
    113: "bad_certificate_status_response",
    114: "bad_certificate_hash_value",
    115: "unknown_psk_identity",
    116: "certificate_required",
    120: "no_application_protocol",
}
