"""The dSPACE DS5366 captures: TLS sessions whose keys travel in the capture as UDP datagrams."""

from __future__ import annotations

import json
from typing import Any

import pytest

from v2gsniff.sniffer.streams.tls import (
    KeyLog,
    TlsAlert,
    TlsConnection,
    TlsError,
    TlsEvent,
    TlsHandshake,
    TlsNote,
    TlsPlaintext,
    extract_keylog_lines,
)

from .pcap_streams import REAL, CaptureStreams, read_capture

CAPTURES = {
    "dsV2Gshark__ISO-2_DC_PnC_TLS_Contract_DS5366_RiseV2G.pcapng": ("TLS 1.2", 0xC023),
    "dsV2Gshark__ISO-2_DC_PnC_TLS_CertInstallation_DS5366_RiseV2G.pcapng": ("TLS 1.2", 0xC023),
    "dsV2Gshark__ISO-20_TLS13_DC_DS5366_Josev.pcapng": ("TLS 1.3", 0x1302),
}

_cache: dict[str, CaptureStreams] = {}


def streams(name: str) -> CaptureStreams:
    path = REAL / name
    if not path.exists():
        pytest.skip(f"shared test capture absent: {path}")
    if name not in _cache:
        _cache[name] = read_capture(path)
    return _cache[name]


def truth(name: str) -> dict[str, Any]:
    path = REAL / "TRUTH.jsonl"
    if not path.exists():
        pytest.skip(f"shared TRUTH.jsonl absent: {path}")
    for line in path.read_text().splitlines():
        entry: dict[str, Any] = json.loads(line)
        if entry["capture"] == name:
            return entry
    pytest.skip(f"{name} not in TRUTH.jsonl")


def run_in_capture_order(cs: CaptureStreams) -> tuple[TlsConnection, list[TlsEvent], KeyLog]:
    """As the pipeline would: key datagrams and TCP data interleaved by frame number, one pass."""
    log = KeyLog()
    conn = TlsConnection(log)
    events: list[TlsEvent] = []
    items = sorted([(frame, None, payload) for frame, payload in cs.keylog_payloads]
                   + [(chunk[2], chunk, b"") for chunk in cs.chunks], key=lambda item: item[0])
    for frame, chunk, payload in items:
        if chunk is None:
            if log.add_text("\n".join(extract_keylog_lines(payload)), f"udp:{frame}"):
                events += conn.retry(frame, 0.0)
        else:
            events += conn.feed(*chunk)
    return conn, events + conn.close(), log


def v2gtp_messages(stream: bytes) -> int:
    count, pos = 0, 0
    while pos < len(stream):
        assert stream[pos : pos + 2] == b"\x01\xfe", f"no V2GTP header at offset {pos}"
        assert stream[pos + 1] == stream[pos] ^ 0xFF
        length = int.from_bytes(stream[pos + 4 : pos + 8], "big")
        assert 0 < length and pos + 8 + length <= len(stream), f"bad V2GTP length {length} at {pos}"
        pos += 8 + length
        count += 1
    return count


@pytest.mark.parametrize("name", list(CAPTURES))
def test_session_decrypts_fully_in_one_pass(name: str) -> None:
    cs = streams(name)
    expected = truth(name)
    conn, events, log = run_in_capture_order(cs)
    version, suite = CAPTURES[name]
    assert (conn.version, conn.cipher_suite, conn.decryptable) == (version, suite, True)
    assert log.malformed == 0
    assert [e for e in events if isinstance(e, TlsError)] == []
    plain = [e for e in events if isinstance(e, TlsPlaintext)]
    tls = expected["tls_connections"][0]
    assert len(plain) == tls["app_data_records"] == expected["counts"]["v2gtp_tls"]
    messages = 0
    for direction in (True, False):
        messages += v2gtp_messages(b"".join(e.data for e in plain if e.from_client == direction))
    assert messages == tls["decrypted_v2gtp_messages"]
    alerts = [(e.frame, e.description, e.encrypted) for e in events if isinstance(e, TlsAlert)]
    assert alerts == [(a["frame"], a["desc"], True) for a in tls["alerts"]]
    assert cs.client is not None and f"[{cs.client[0]}]:{cs.client[1]}" == tls["client"]
    assert conn.version is not None and conn.version.replace(" ", "v") == tls["server_version"]
    assert f"0x{conn.cipher_suite:04x}" == tls["cipher_suite"]
    # Keys arrive a few frames after the first encrypted record: noted once, then used.
    codes = [e.code for e in events if isinstance(e, TlsNote)]
    assert codes.count("no-key") <= 1 and codes.count("keys") == 1


@pytest.mark.parametrize("name", list(CAPTURES))
def test_handshake_details(name: str) -> None:
    _, events, _ = run_in_capture_order(streams(name))
    shakes = [e for e in events if isinstance(e, TlsHandshake)]
    hello = shakes[0]
    assert hello.name == "ClientHello" and hello.from_client and not hello.encrypted
    certs = [e for e in shakes if e.name == "Certificate" and not e.from_client]
    assert len(certs) == 1 and certs[0].certificates
    assert all(c.error is None and "dSPACE" in c.subject for c in certs[0].certificates)
    # TLS 1.3 hides the certificate; we only see it after decryption.
    assert certs[0].encrypted == (CAPTURES[name][0] == "TLS 1.3")
    finished = [e.from_client for e in shakes if e.name == "Finished"]
    assert sorted(finished) == [False, True]


@pytest.mark.parametrize("name", list(CAPTURES))
def test_keys_known_up_front_and_every_record_authenticates(name: str) -> None:
    cs = streams(name)
    log = KeyLog()
    for frame, payload in cs.keylog_payloads:
        log.add_text("\n".join(extract_keylog_lines(payload)), f"udp:{frame}")
    conn = TlsConnection(log)
    events: list[TlsEvent] = []
    for chunk in cs.chunks:
        events += conn.feed(*chunk)
    events += conn.close()
    assert [e for e in events if isinstance(e, TlsError)] == []
    assert [e.code for e in events if isinstance(e, TlsNote)] == ["keys"]
    assert sum(isinstance(e, TlsPlaintext) for e in events) == truth(name)["counts"]["v2gtp_tls"]
