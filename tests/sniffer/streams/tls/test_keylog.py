from __future__ import annotations

from pathlib import Path

import pytest

from v2gsniff.sniffer.streams.tls import KeyLog, Secret, extract_keylog_lines

R1 = "ab" * 32
R2 = "CD" * 32
MS = "11" * 48
S48 = "22" * 48
S32 = "33" * 32


def test_parses_labels_and_counts_new_secrets() -> None:
    log = KeyLog()
    text = f"""# comment line
CLIENT_RANDOM {R1} {MS}

CLIENT_HANDSHAKE_TRAFFIC_SECRET {R2} {S48}
SERVER_HANDSHAKE_TRAFFIC_SECRET {R2} {S48}
CLIENT_TRAFFIC_SECRET_0 {R2} {S48}
SERVER_TRAFFIC_SECRET_0 {R2} {S48}
EXPORTER_SECRET {R2} {S48}
CLIENT_TRAFFIC_SECRET_N {R2} {S48}
RSA 0011223344556677 {MS}
"""
    assert log.add_text(text, "a.log") == 6
    assert log.version == 6
    assert log.get(bytes.fromhex(R1), "CLIENT_RANDOM") == bytes.fromhex(MS)
    assert log.get(bytes.fromhex(R2), "SERVER_TRAFFIC_SECRET_0") == bytes.fromhex(S48)
    assert log.labels(bytes.fromhex(R2)) >= {"CLIENT_HANDSHAKE_TRAFFIC_SECRET", "EXPORTER_SECRET"}
    assert log.ignored == 1  # CLIENT_TRAFFIC_SECRET_N is well-formed but derived by us
    assert log.malformed == 1  # the RSA line has no 64-hex client random
    entry = log.entry(bytes.fromhex(R1), "CLIENT_RANDOM")
    assert entry is not None and entry.source == "a.log"
    assert len(log) == 2 and bytes.fromhex(R1) in log


def test_duplicates_do_not_count_and_conflicts_keep_the_first() -> None:
    log = KeyLog()
    assert log.add_text(f"CLIENT_RANDOM {R1} {MS}", "a") == 1
    v = log.version
    assert log.add_text(f"CLIENT_RANDOM {R1.upper()} {MS}\r\n", "b") == 0
    assert log.add_text(f"CLIENT_RANDOM {R1} {'99' * 48}", "c") == 0
    assert log.version == v and log.conflicts == 1
    assert log.get(bytes.fromhex(R1), "CLIENT_RANDOM") == bytes.fromhex(MS)


@pytest.mark.parametrize(
    "line",
    [
        "CLIENT_RANDOM",
        f"CLIENT_RANDOM {R1}",
        f"CLIENT_RANDOM {R1[:-2]} {MS}",
        f"CLIENT_RANDOM {R1} {MS[:-2]}",  # master secret must be 48 bytes
        f"CLIENT_RANDOM {R1} {MS}0",  # odd number of hex digits
        f"CLIENT_RANDOM {R1} zz{MS[2:]}",
        f"CLIENT_HANDSHAKE_TRAFFIC_SECRET {R1} {'44' * 20}",
        f"CLIENT_RANDOM {R1} {MS} trailing",
        "\x00\xff garbage \x01",
    ],
)
def test_malformed_lines_are_counted_never_raised(line: str) -> None:
    log = KeyLog()
    assert log.add_text(line, "x") == 0
    assert log.malformed == 1 and log.version == 0


def test_bytes_input_and_from_file(tmp_path: Path) -> None:
    path = tmp_path / "keys.log"
    path.write_bytes(f"CLIENT_RANDOM {R1} {MS}\nCLIENT_TRAFFIC_SECRET_0 {R2} {S32}\n".encode())
    log = KeyLog.from_file(path)
    assert log.version == 2
    assert log.entry(bytes.fromhex(R2), "CLIENT_TRAFFIC_SECRET_0") is not None
    assert log.add_text(b"\xff\xfe not a key log", "bin") == 0


def test_secrets_are_redacted_in_repr() -> None:
    log = KeyLog()
    log.add_text(f"CLIENT_RANDOM {R1} {MS}", "a")
    entry = log.entry(bytes.fromhex(R1), "CLIENT_RANDOM")
    assert entry is not None
    for text in (repr(entry), str(entry.secret), repr(log)):
        assert MS not in text.lower() and "11111111" not in text
    assert entry.secret.hex() == MS
    assert Secret(b"x") == Secret(b"x") and Secret(b"x") != Secret(b"y")
    assert f"CLIENT_RANDOM {R1} {MS}" in log.to_text()


def test_extract_lines_from_dspace_style_datagram() -> None:
    # The exact shape seen in the dSPACE captures: one bare line, upper-case hex, no newline.
    payload = f"CLIENT_RANDOM {R1.upper()} {MS.upper()}".encode()
    assert extract_keylog_lines(payload) == [f"CLIENT_RANDOM {R1} {MS}"]


def test_extract_lines_joined_prefixed_and_nul_terminated() -> None:
    payload = (b"\x00\x01keylog:" + f"CLIENT_HANDSHAKE_TRAFFIC_SECRET {R2} {S48}\r\n".encode()
               + f"SERVER_HANDSHAKE_TRAFFIC_SECRET {R2} {S48}\n".encode()
               + f"CLIENT_TRAFFIC_SECRET_0 {R2} {S48}\x00".encode() + b"\xff\xfe")
    lines = extract_keylog_lines(payload)
    assert [line.split()[0] for line in lines] == [
        "CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET", "CLIENT_TRAFFIC_SECRET_0"]
    log = KeyLog()
    assert log.add_text("\n".join(lines), "udp") == 3


@pytest.mark.parametrize("payload", [b"", b"\x00" * 100, b"CLIENT_RANDOM 1234", bytes(range(256)) * 4,
                                     f"CLIENT_RANDOM {R1} {MS}0".encode()])
def test_extract_lines_ignores_non_keylog_payloads(payload: bytes) -> None:
    assert extract_keylog_lines(payload) == []


def test_extract_lines_from_real_dspace_capture() -> None:
    from .pcap_streams import REAL, read_capture

    path = REAL / "dsV2Gshark__ISO-20_TLS13_DC_DS5366_Josev.pcapng"
    if not path.exists():
        pytest.skip(f"shared test data absent: {path}")
    streams = read_capture(path)
    lines = [line for _, payload in streams.keylog_payloads for line in extract_keylog_lines(payload)]
    assert sorted(line.split()[0] for line in lines) == sorted([
        "CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET",
        "CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0"])
    log = KeyLog()
    assert log.add_text("\n".join(lines), "udp") == 4 and log.malformed == 0
