from __future__ import annotations

import struct

from v2gsniff.sniffer.streams.tls import KeyLog, TlsConnection, TlsHandshake
from v2gsniff.sniffer.streams.tls.handshake import certificate_info, decode
from v2gsniff.sniffer.streams.tls.suites import HRR_RANDOM


def _ext(etype: int, body: bytes) -> bytes:
    return struct.pack(">HH", etype, len(body)) + body


def client_hello(random: bytes = b"\x42" * 32) -> bytes:
    sni = b"\x00" + struct.pack(">H", 4) + b"secc"
    exts = (_ext(0, struct.pack(">H", len(sni)) + sni)
            + _ext(16, struct.pack(">H", 3) + b"\x02h2")
            + _ext(43, b"\x04\x03\x04\x03\x03")
            + _ext(51, struct.pack(">H", 6) + struct.pack(">HH", 0x001E, 2) + b"ab"))
    return (b"\x03\x03" + random + b"\x00" + struct.pack(">H", 4) + b"\x13\x02\x13\x03" + b"\x01\x00"
            + struct.pack(">H", len(exts)) + exts)


def test_client_hello_fields() -> None:
    d = decode(1, client_hello(), tls13=False)
    f = d.fields
    assert f["name"] == "ClientHello" and "error" not in f
    assert f["sni"] == "secc" and f["alpn"] == ("h2",)
    assert f["supported_versions"] == ("TLS 1.3", "TLS 1.2")
    assert f["key_share_groups"] == ("x448",)
    assert f["offered_cipher_suites"] == ("TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256")


def test_hello_retry_request_is_named_by_its_random() -> None:
    body = (b"\x03\x03" + HRR_RANDOM + b"\x00" + b"\x13\x02" + b"\x00"
            + struct.pack(">H", 12) + _ext(43, b"\x03\x04") + _ext(51, b"\x00\x19"))
    d = decode(2, body, tls13=False)
    assert d.hello_retry and d.fields["name"] == "HelloRetryRequest"
    assert d.version == 0x0304 and d.fields["key_share_groups"] == ("secp521r1",)


def test_truncated_bodies_become_errors() -> None:
    full = client_hello()
    for cut in (0, 1, 10, 40, len(full) - 1):
        d = decode(1, full[:cut], tls13=False)
        assert d.fields["error"].startswith("malformed ClientHello")
    assert "error" in decode(11, b"\x00\x00\x05\x00\x00\x09", tls13=False).fields
    assert decode(99, b"", tls13=True).fields["name"] == "handshake type 99"


def test_unparseable_certificate_is_reported() -> None:
    info = certificate_info(b"\x30\x03\x02\x01\x00")
    assert info.error is not None and "unparseable certificate" in info.error
    assert info.fields() == {"error": info.error}


def test_malformed_hello_in_a_connection_is_an_event() -> None:
    body = client_hello()[:50]
    message = b"\x01" + len(body).to_bytes(3, "big") + body
    conn = TlsConnection(KeyLog())
    events = conn.feed(True, b"\x16\x03\x01" + len(message).to_bytes(2, "big") + message, 1, 0.0)
    assert len(events) == 1 and isinstance(events[0], TlsHandshake)
    assert events[0].error is not None and conn.client_random is None


def test_handshake_message_spanning_records() -> None:
    message = b"\x01" + len(client_hello()).to_bytes(3, "big") + client_hello()
    conn = TlsConnection(KeyLog())
    events = []
    for i in range(0, len(message), 7):
        part = message[i : i + 7]
        events += conn.feed(True, b"\x16\x03\x01" + len(part).to_bytes(2, "big") + part, i, 0.0)
    assert [e.name for e in events if isinstance(e, TlsHandshake)] == ["ClientHello"]
    assert conn.client_random == b"\x42" * 32 and conn.sni == "secc"
