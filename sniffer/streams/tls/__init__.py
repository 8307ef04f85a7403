"""Sans-io TLS 1.2/1.3 record decryption with NSS key logs (one :class:`TlsConnection` per TCP connection)."""

from v2gsniff.sniffer.streams.tls.connection import TlsConnection
from v2gsniff.sniffer.streams.tls.events import (
    CertificateInfo,
    TlsAlert,
    TlsError,
    TlsEvent,
    TlsHandshake,
    TlsNote,
    TlsPlaintext,
)
from v2gsniff.sniffer.streams.tls.keylog import KeyLog, Secret, extract_keylog_lines

__all__ = [
    "CertificateInfo",
    "KeyLog",
    "Secret",
    "TlsAlert",
    "TlsConnection",
    "TlsError",
    "TlsEvent",
    "TlsHandshake",
    "TlsNote",
    "TlsPlaintext",
    "extract_keylog_lines",
]
