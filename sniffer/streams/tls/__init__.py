"""Sans-io TLS 1.2/1.3 record decryption with NSS key logs (one :class:`TlsConnection` per TCP connection).

Names load on first use, so code that only needs the key log (every capture) does not import
the cipher library until a capture actually carries TLS.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from v2gsniff.sniffer.streams.tls.connection import TlsConnection
    from v2gsniff.sniffer.streams.tls.events import (
        CertificateInfo,
        TlsAlert,
        TlsError,
        TlsEvent,
        TlsGap,
        TlsHandshake,
        TlsNote,
        TlsPlaintext,
    )
    from v2gsniff.sniffer.streams.tls.keylog import KeyLog, Secret, extract_keylog_lines

_WHERE = {
    "TlsConnection": "connection",
    "CertificateInfo": "events",
    "TlsAlert": "events",
    "TlsError": "events",
    "TlsEvent": "events",
    "TlsGap": "events",
    "TlsHandshake": "events",
    "TlsNote": "events",
    "TlsPlaintext": "events",
    "KeyLog": "keylog",
    "Secret": "keylog",
    "extract_keylog_lines": "keylog",
}

__all__ = [
    "CertificateInfo",
    "KeyLog",
    "Secret",
    "TlsAlert",
    "TlsConnection",
    "TlsError",
    "TlsEvent",
    "TlsGap",
    "TlsHandshake",
    "TlsNote",
    "TlsPlaintext",
    "extract_keylog_lines",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
