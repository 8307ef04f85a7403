from __future__ import annotations

import random
from collections.abc import Callable, Iterable

import pytest

from v2gsniff.sniffer.streams.tls import (
    KeyLog,
    TlsAlert,
    TlsConnection,
    TlsError,
    TlsEvent,
    TlsGap,
    TlsHandshake,
    TlsNote,
    TlsPlaintext,
)

from .conftest import CONFIGS
from .sessions import Session, chunked

Make = Callable[[str], Session]
ALL = list(CONFIGS)


def keylog_of(session: Session) -> KeyLog:
    log = KeyLog()
    assert log.add_text(session.keylog, "test.keylog") > 0
    return log


def key_lines(session: Session) -> list[str]:
    return [line for line in session.keylog.splitlines() if line and not line.startswith("#")]


def feed(conn: TlsConnection, items: Iterable[tuple[bool, bytes]], first_frame: int = 1) -> list[TlsEvent]:
    events: list[TlsEvent] = []
    for frame, (from_client, data) in enumerate(items, first_frame):
        events += conn.feed(from_client, data, frame, frame / 100)
    return events


def records(stream: bytes) -> list[bytes]:
    out, pos = [], 0
    while pos + 5 <= len(stream):
        end = pos + 5 + int.from_bytes(stream[pos + 3 : pos + 5], "big")
        out.append(stream[pos:end])
        pos = end
    return out


def record_writes(session: Session) -> list[tuple[bool, bytes]]:
    """One record per feed, in write order: frame numbers then identify records."""
    return [(side, rec) for side, data in _merged(session.writes) for rec in records(data)]


def _merged(writes: list[tuple[bool, bytes]]) -> list[tuple[bool, bytes]]:
    out: list[tuple[bool, bytes]] = []
    for side, data in writes:
        if out and out[-1][0] == side:
            out[-1] = (side, out[-1][1] + data)
        else:
            out.append((side, data))
    return out


def plaintext(events: list[TlsEvent]) -> dict[bool, bytes]:
    out = {True: b"", False: b""}
    for e in events:
        if isinstance(e, TlsPlaintext):
            out[e.from_client] += e.data
    return out


def of(events: list[TlsEvent], kind: type) -> list:  # type: ignore[type-arg]
    return [e for e in events if isinstance(e, kind)]


def v2gtp_messages(stream: bytes) -> list[bytes]:
    out, pos = [], 0
    while pos < len(stream):
        assert stream[pos : pos + 2] == b"\x01\xfe", f"no V2GTP header at {pos}"
        length = int.from_bytes(stream[pos + 4 : pos + 8], "big")
        assert pos + 8 + length <= len(stream)
        out.append(stream[pos + 8 : pos + 8 + length])
        pos += 8 + length
    return out


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("max_chunk", [1, 7, 333, 5000, 1 << 20])
def test_every_plaintext_byte_comes_back_in_order(make_session: Make, name: str, max_chunk: int) -> None:
    session = make_session(name)
    conn = TlsConnection(keylog_of(session))
    events = feed(conn, chunked(session.writes, max_chunk, max_chunk)) + conn.close()
    assert of(events, TlsError) == []
    got = plaintext(events)
    assert got[True] == bytes(session.plaintext[True])
    assert got[False] == bytes(session.plaintext[False])
    assert conn.cipher_suite == CONFIGS[name][1]
    assert conn.version == session.version.replace("TLSv", "TLS ")
    assert conn.decryptable
    assert [e.description for e in of(events, TlsAlert)] == ["close_notify", "close_notify"]
    assert all(e.encrypted for e in of(events, TlsAlert))
    for direction in (True, False):
        assert v2gtp_messages(got[direction])
    numbers = [e.record_number for e in of(events, TlsPlaintext) if e.from_client]
    assert numbers == sorted(numbers)


@pytest.mark.parametrize("name", ["tls12-C023-etm", "tls13-1302-mutual", "tls13-hrr"])
@pytest.mark.parametrize("client_first", [True, False])
def test_one_whole_direction_before_the_other(make_session: Make, name: str, client_first: bool) -> None:
    session = make_session(name)
    conn = TlsConnection(keylog_of(session))
    order = [client_first, not client_first]
    events = feed(conn, [(side, session.stream(side)) for side in order])
    assert of(events, TlsError) == []
    assert plaintext(events) == {k: bytes(v) for k, v in session.plaintext.items()}


def test_encrypt_then_mac_follows_both_hellos(make_session: Make) -> None:
    for name, etm in (("tls12-C023-etm", True), ("tls12-C023-mte", False), ("tls12-C02B-gcm", False)):
        conn = TlsConnection(keylog_of(make_session(name)))
        feed(conn, make_session(name).writes)
        assert conn.encrypt_then_mac is etm, name


@pytest.mark.parametrize("name", ["tls12-C023-mte", "tls13-1303"])
def test_without_keys_handshake_is_decoded_and_one_note_is_given(make_session: Make, name: str) -> None:
    session = make_session(name)
    conn = TlsConnection(KeyLog())
    events = feed(conn, chunked(session.writes, 3, 200))
    notes = of(events, TlsNote)
    assert [n.code for n in notes] == ["no-key"]
    assert conn.client_random is not None and conn.client_random.hex() in notes[0].message
    assert of(events, TlsPlaintext) == [] and of(events, TlsError) == []
    names = [e.name for e in of(events, TlsHandshake)]
    assert names[:2] == ["ClientHello", "ServerHello"]
    assert not conn.decryptable
    assert conn.retry(999, 9.0) == []
    closing = of(conn.close(), TlsNote)
    assert [(n.code, n.from_client) for n in closing] == [("undecrypted", False), ("undecrypted", True)]


@pytest.mark.parametrize("name", ["tls12-C023-etm", "tls12-C02B-gcm", "tls13-1302-mutual", "tls13-keyupdate"])
def test_keys_after_the_whole_stream_are_used_by_retry(make_session: Make, name: str) -> None:
    session = make_session(name)
    reference = TlsConnection(keylog_of(session))
    expected = [(e.from_client, e.frame, e.record_number, e.data)
                for e in of(feed(reference, record_writes(session)), TlsPlaintext)]

    log = KeyLog()
    conn = TlsConnection(log)
    before = feed(conn, record_writes(session))
    assert of(before, TlsPlaintext) == []
    log.add_text(session.keylog, "late.keylog")
    after = conn.retry(10_000, 100.0)
    assert [(e.from_client, e.frame, e.record_number, e.data) for e in of(after, TlsPlaintext)] == expected
    assert of(after, TlsError) == []
    assert conn.decryptable
    frames = [e.frame for e in after]
    assert frames == sorted(frames)


@pytest.mark.parametrize("name", ["tls12-C023-etm", "tls12-C023-mte", "tls12-C02B-gcm", "tls13-1302-mutual"])
def test_wrong_key_gives_errors_naming_the_likely_cause(make_session: Make, name: str) -> None:
    session = make_session(name)
    wrong = KeyLog()
    for line in key_lines(session):
        label, random_hex, secret = line.split()
        wrong.add_text(f"{label} {random_hex} {'5a' * (len(secret) // 2)}", "wrong")
    conn = TlsConnection(wrong)
    events = feed(conn, session.writes)
    errors = of(events, TlsError)
    assert errors and of(events, TlsPlaintext) == []
    assert {e.code for e in errors} <= {"bad-mac", "bad-tag"}
    assert "may not belong to this session" in errors[0].message


def _flip(writes: list[tuple[bool, bytes]], index: int) -> list[tuple[bool, bytes]]:
    side, rec = writes[index]
    pos = len(rec) // 2
    return writes[:index] + [(side, rec[:pos] + bytes([rec[pos] ^ 0x04]) + rec[pos + 1 :])] + writes[index + 1 :]


@pytest.mark.parametrize("name", ["tls12-C023-etm", "tls12-C023-mte", "tls12-C02B-gcm", "tls12-CCA9-chacha",
                                  "tls13-1302-mutual", "tls13-1303", "tls13-keyupdate"])
@pytest.mark.parametrize("from_client", [True, False])
def test_flipped_bit_breaks_only_its_record(make_session: Make, name: str, from_client: bool) -> None:
    session = make_session(name)
    writes = record_writes(session)
    clean = of(feed(TlsConnection(keylog_of(session)), writes), TlsPlaintext)
    victim = [e for e in clean if e.from_client == from_client][2]
    events = feed(TlsConnection(keylog_of(session)), _flip(writes, victim.frame - 1))
    errors = of(events, TlsError)
    assert [(e.frame, e.record_number, e.from_client) for e in errors] == [
        (victim.frame, victim.record_number, from_client)]
    assert errors[0].code in ("bad-mac", "bad-tag")
    assert of(events, TlsPlaintext) == [e for e in clean if e is not victim]


def test_corrupted_finished_record_keys_switch_by_trial(make_session: Make) -> None:
    session = make_session("tls13-1303")
    writes = record_writes(session)
    clean = feed(TlsConnection(keylog_of(session)), writes)
    finished = next(e for e in of(clean, TlsHandshake) if e.name == "Finished" and not e.from_client)
    events = feed(TlsConnection(keylog_of(session)), _flip(writes, finished.frame - 1))
    assert [e.frame for e in of(events, TlsError)] == [finished.frame]
    assert "key-change-inferred" in [n.code for n in of(events, TlsNote)]
    assert plaintext(events) == {k: bytes(v) for k, v in session.plaintext.items()}


@pytest.mark.parametrize("name", ["tls12-C023-etm", "tls13-1302-mutual"])
@pytest.mark.parametrize("cut", [3, 10])
def test_truncated_final_record_is_reported_at_close(make_session: Make, name: str, cut: int) -> None:
    session = make_session(name)
    client = session.stream(True)
    last = records(client)[-1]
    conn = TlsConnection(keylog_of(session))
    events = feed(conn, [(True, client[: len(client) - len(last) + cut]), (False, session.stream(False))])
    assert of(events, TlsError) == []
    closing = conn.close()
    errors = of(closing, TlsError)
    assert len(errors) == 1 and errors[0].code == "truncated" and errors[0].from_client
    assert (f"only {cut - 5} arrived" if cut >= 5 else f"{cut} of 5 header bytes") in errors[0].message
    assert plaintext(events)[True] == bytes(session.plaintext[True])


def test_hello_retry_request(make_session: Make) -> None:
    session = make_session("tls13-hrr")
    conn = TlsConnection(keylog_of(session))
    events = feed(conn, session.writes)
    shakes = of(events, TlsHandshake)
    assert [e.name for e in shakes][:4] == ["ClientHello", "HelloRetryRequest", "ClientHello", "ServerHello"]
    hrr = shakes[1]
    assert hrr.key_share_groups == ("secp384r1",) and hrr.version == "TLS 1.3" and hrr.cipher_suite == 0x1302
    assert conn.client_random is not None
    assert shakes[0].random == shakes[2].random == conn.client_random.hex()
    assert "secp384r1" in shakes[2].key_share_groups and shakes[3].key_share_groups == ("secp384r1",)
    assert conn.hello_retry and of(events, TlsError) == []


def test_key_update_in_both_directions(make_session: Make) -> None:
    session = make_session("tls13-keyupdate")
    log = KeyLog()
    # OpenSSL also logs *_TRAFFIC_SECRET_N after a KeyUpdate; we must not need them.
    log.add_text("\n".join(x for x in session.keylog.splitlines() if "_N " not in x), "keys")
    conn = TlsConnection(log)
    events = feed(conn, chunked(session.writes, 11, 900))
    updates = [e for e in of(events, TlsHandshake) if e.name == "KeyUpdate"]
    assert [(e.from_client, e.details["update_requested"]) for e in updates] == [(True, True), (False, False)]
    assert all(e.encrypted for e in updates)
    assert of(events, TlsError) == []
    assert plaintext(events) == {k: bytes(v) for k, v in session.plaintext.items()}


def test_hello_and_certificate_fields(make_session: Make) -> None:
    conn = TlsConnection(keylog_of(make_session("tls12-C023-etm")))
    events = of(feed(conn, make_session("tls12-C023-etm").writes), TlsHandshake)
    hello = events[0]
    assert hello.name == "ClientHello" and hello.sni == conn.sni == "secc.v2g.local"
    assert "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256" in hello.offered_cipher_suites
    assert hello.encrypt_then_mac is True
    cert = next(e for e in events if e.name == "Certificate")
    assert not cert.encrypted and cert.certificates[0].subject == "O=v2gsniff test,CN=secc"
    assert cert.certificates[0].public_key == "EC secp256r1"
    assert cert.certificates[0].not_before < cert.certificates[0].not_after

    conn13 = TlsConnection(keylog_of(make_session("tls13-1302-mutual")))
    events13 = of(feed(conn13, make_session("tls13-1302-mutual").writes), TlsHandshake)
    assert "TLS 1.3" in events13[0].supported_versions and events13[0].key_share_groups
    certs = [(e.from_client, e.encrypted, e.certificates[0].subject) for e in events13 if e.name == "Certificate"]
    assert certs == [(False, True, "O=v2gsniff test,CN=secc"), (True, True, "O=v2gsniff test,CN=evcc")]
    assert "CertificateRequest" in [e.name for e in events13]
    assert events13[1].fields()["cipher_suite"] == "0x1302"


@pytest.mark.parametrize("name", ["tls12-C023-etm", "tls13-keyupdate"])
def test_key_material_never_appears_in_events(make_session: Make, name: str) -> None:
    session = make_session(name)
    secrets = {line.split()[2].lower() for line in key_lines(session)}
    assert secrets
    conn = TlsConnection(keylog_of(session))
    events = feed(conn, session.writes) + conn.close()
    for e in events:
        text = (repr(e) + str(e) + repr(e.fields())).lower()
        assert not any(s in text for s in secrets), type(e).__name__
    keys = [n for n in of(events, TlsNote) if n.code == "keys"]
    assert len(keys) == 1
    assert set(keys[0].fields(show_keys=True)["secrets"].values()) <= secrets
    assert set(keys[0].fields()["secrets"].values()) == {"<redacted>"}


def test_bounded_queue_drops_records_but_keeps_sequence_numbers(make_session: Make) -> None:
    session = make_session("tls12-C023-mte")
    writes = record_writes(session)
    log = KeyLog()
    conn = TlsConnection(log, max_pending=3000)
    half = len(writes) * 2 // 3
    events = feed(conn, writes[:half])
    assert [n.code for n in of(events, TlsNote)] == ["no-key", "buffer-full"]
    log.add_text(session.keylog, "late")
    events = conn.retry(half, 0.0) + feed(conn, writes[half:], half + 1)
    assert "dropped" in [n.code for n in of(events, TlsNote)]
    assert of(events, TlsError) == []
    clean_events = of(feed(TlsConnection(keylog_of(session)), writes), TlsPlaintext)
    clean = {(e.from_client, e.record_number): e.data for e in clean_events}
    got = {(e.from_client, e.record_number): e.data for e in of(events, TlsPlaintext)}
    assert all(clean[key] == data for key, data in got.items())
    # Records queued before the limit and every record fed after the keys decrypt: the dropped
    # ones still advanced the sequence numbers.
    fed_after_keys = {(e.from_client, e.record_number) for e in clean_events if e.frame > half}
    assert fed_after_keys and fed_after_keys <= got.keys()
    assert len(got) > len(fed_after_keys)


def test_garbage_is_an_error_not_an_exception() -> None:
    conn = TlsConnection(KeyLog())
    events = conn.feed(True, b"GET / HTTP/1.1\r\n\r\n", 1, 0.0)
    assert [e.code for e in of(events, TlsError)] == ["bad-record-header"]
    assert conn.feed(True, b"\x16\x03\x03\x00\x01\x01", 2, 0.0) == []
    assert conn.feed(False, b"", 3, 0.0) == []


def test_random_corruption_never_raises(make_session: Make) -> None:
    rng = random.Random(5)
    for name in ("tls12-C023-etm", "tls13-hrr"):
        session = make_session(name)
        writes = session.writes
        for _ in range(60):
            mutated = list(writes)
            i = rng.randrange(len(mutated))
            side, data = mutated[i]
            buf = bytearray(data)
            for _ in range(rng.randint(1, 4)):
                buf[rng.randrange(len(buf))] = rng.randrange(256)
            mutated[i] = (side, bytes(buf[: rng.randint(0, len(buf))] if rng.random() < 0.3 else buf))
            conn = TlsConnection(keylog_of(session))
            events = feed(conn, chunked(mutated, rng.randrange(1000), 500)) + conn.close() + conn.retry(0, 0.0)
            assert not [e for e in of(events, TlsError) if e.code == "internal"]


@pytest.mark.parametrize("name", ["tls13-1303", "tls13-keyupdate"])
def test_application_secrets_alone_decrypt_application_data(make_session: Make, name: str) -> None:
    session = make_session(name)
    log = KeyLog()
    log.add_text("\n".join(x for x in key_lines(session) if "HANDSHAKE" not in x), "traffic-only")
    conn = TlsConnection(log)
    events = feed(conn, chunked(session.writes, 2, 1000))
    assert of(events, TlsError) == []
    codes = [n.code for n in of(events, TlsNote)]
    assert codes.count("no-handshake-keys-True") == 1 and codes.count("no-handshake-keys-False") == 1
    assert plaintext(events) == {k: bytes(v) for k, v in session.plaintext.items()}
    assert "Certificate" not in [e.name for e in of(events, TlsHandshake)]
    assert conn.decryptable


# --- lost bytes (TCP gaps) ------------------------------------------------------------------

def _lossy_feed(session: Session, writes: list[tuple[bool, bytes]], from_client: bool, lost: set[int],
                cut: tuple[int, int] = (0, 0)) -> list[TlsEvent]:
    """Feed ``writes`` (one record each, frame = index + 1) without the records at ``lost`` (all of
    ``from_client``'s direction and consecutive in it), telling the connection of the loss where the
    next record of that direction begins. ``cut``: bytes of the record before the loss that still
    arrive, and bytes of the last lost record that do (the loss then begins and ends mid-record)."""
    conn = TlsConnection(keylog_of(session))
    events: list[TlsEvent] = []
    first, last = min(lost), max(lost)
    lost_bytes = sum(len(writes[i][1]) for i in lost)
    pending = True
    for i, (side, rec) in enumerate(writes):
        frame = i + 1
        if i in lost:
            if i == first and cut[0]:
                events += conn.feed(side, rec[: cut[0]], frame, frame / 100)
            continue
        if side == from_client and pending and i > last:
            pending = False
            events += conn.gap(side, lost_bytes - cut[0] - cut[1], frame, frame / 100)
            if cut[1]:
                events += conn.feed(side, writes[last][1][-cut[1]:], frame, frame / 100)
        events += conn.feed(side, rec, frame, frame / 100)
    return events + conn.close()


def _run_of(writes: list[tuple[bool, bytes]], from_client: bool, start: int, count: int) -> set[int]:
    """Indices of ``count`` consecutive records of one direction from ``start`` on."""
    mine = [i for i, (side, _) in enumerate(writes) if side == from_client and i >= start]
    return set(mine[:count])


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("from_client", [True, False])
@pytest.mark.parametrize("count", [1, 3])
def test_records_lost_in_a_gap_are_skipped_and_the_direction_followed_on(make_session: Make, name: str,
                                                                        from_client: bool, count: int) -> None:
    session = make_session(name)
    writes = record_writes(session)
    clean = of(feed(TlsConnection(keylog_of(session)), writes), TlsPlaintext)
    mine = [e for e in clean if e.from_client == from_client]
    lost = _run_of(writes, from_client, mine[2].frame - 1, count)
    events = _lossy_feed(session, writes, from_client, lost)
    assert of(events, TlsError) == []
    gaps = of(events, TlsGap)
    assert [(g.from_client, g.length) for g in gaps] == [(from_client, sum(len(writes[i][1]) for i in lost))]
    notes = [n for n in of(events, TlsNote) if n.code in ("resync", "key-change-inferred")]
    assert len(notes) == 1 and notes[0].from_client == from_client
    if notes[0].code == "resync":
        assert f": {count} records of this direction before it are not in the capture" in notes[0].message
    # every record of both directions but the lost ones, byte for byte
    assert [e.data for e in of(events, TlsPlaintext) if e.from_client == from_client] == \
        [e.data for e in mine if e.frame - 1 not in lost]
    assert [e.data for e in of(events, TlsPlaintext) if e.from_client != from_client] == \
        [e.data for e in clean if e.from_client != from_client]


@pytest.mark.parametrize("name", ["tls12-C023-etm", "tls12-C023-mte", "tls12-C02B-gcm", "tls13-1301", "tls13-1303"])
@pytest.mark.parametrize("from_client", [True, False])
def test_a_gap_that_begins_and_ends_inside_records(make_session: Make, name: str, from_client: bool) -> None:
    session = make_session(name)
    writes = record_writes(session)
    clean = of(feed(TlsConnection(keylog_of(session)), writes), TlsPlaintext)
    mine = [e for e in clean if e.from_client == from_client]
    lost = _run_of(writes, from_client, mine[2].frame - 1, 2)
    first, last = sorted(lost)
    events = _lossy_feed(session, writes, from_client, lost, (len(writes[first][1]) // 2, len(writes[last][1]) // 3))
    assert of(events, TlsError) == []
    assert [n.message for n in of(events, TlsNote) if n.code == "resync"] == [
        f"record {mine[2].record_number} decrypts at sequence number {mine[4].seq}: 2 records of this "
        "direction before it are not in the capture"]
    assert [e.data for e in of(events, TlsPlaintext) if e.from_client == from_client] == \
        [e.data for e in mine if e.frame - 1 not in lost]


def test_a_key_update_lost_in_a_gap_is_inferred(make_session: Make) -> None:
    session = make_session("tls13-keyupdate")
    writes = record_writes(session)
    clean = feed(TlsConnection(keylog_of(session)), writes)
    update = next(e for e in of(clean, TlsHandshake) if e.name == "KeyUpdate")
    lost = _run_of(writes, update.from_client, update.frame - 1, 2)  # the KeyUpdate and the record after it
    events = _lossy_feed(session, writes, update.from_client, lost)
    assert of(events, TlsError) == []
    assert "key-change-inferred" in [n.code for n in of(events, TlsNote)]
    side = [e.data for e in of(clean, TlsPlaintext) if e.from_client == update.from_client and e.frame - 1 not in lost]
    assert [e.data for e in of(events, TlsPlaintext) if e.from_client == update.from_client] == side


def test_garbage_after_a_gap_is_reported_not_raised(make_session: Make) -> None:
    session = make_session("tls13-1301")
    writes = record_writes(session)
    conn = TlsConnection(keylog_of(session))
    events = feed(conn, writes[:12])
    events += conn.gap(True, 500, 13, 0.13)
    rng = random.Random(3)
    for frame in range(14, 40):
        events += conn.feed(True, bytes(rng.randrange(256) for _ in range(rng.randrange(1, 300))), frame, frame / 100)
    events += conn.close()
    assert all(isinstance(e, TlsEvent.__args__) for e in events)  # type: ignore[attr-defined]


def test_a_gap_under_a_wrong_key_costs_no_trials_after_the_first_record(make_session: Make) -> None:
    session = make_session("tls13-1301")
    writes = record_writes(session)
    wrong = KeyLog()
    wrong.add_text("\n".join(line[:-8] + "00000000" for line in key_lines(session)), "wrong.keylog")
    conn = TlsConnection(wrong)
    events = feed(conn, writes[:12])
    events += conn.gap(True, 20000, 13, 0.13)
    events += feed(conn, writes[13:], 14)
    after = [e for e in of(events, TlsError) if e.from_client and e.frame > 13]
    assert after and after[0].code == "no-resync"
    assert all(e.code == "bad-tag" for e in after[1:])  # tried under one sequence number each


@pytest.mark.parametrize("name", [n for n in ALL if n.startswith("tls12")])
@pytest.mark.parametrize("from_client", [True, False])
def test_a_change_cipher_spec_lost_in_a_gap_is_inferred(make_session: Make, name: str, from_client: bool) -> None:
    session = make_session(name)
    writes = record_writes(session)
    ccs = next(i for i, (side, rec) in enumerate(writes) if side == from_client and rec[0] == 20)
    lost = _run_of(writes, from_client, ccs, 2)  # the ChangeCipherSpec and the Finished after it
    clean = feed(TlsConnection(keylog_of(session)), writes)
    events = _lossy_feed(session, writes, from_client, lost)
    assert of(events, TlsError) == []
    inferred = [n for n in of(events, TlsNote) if n.code == "key-change-inferred"]
    assert len(inferred) == 1 and "ChangeCipherSpec was lost" in inferred[0].message
    assert [n.code for n in of(events, TlsNote)].count("keys") == 1  # which keys decrypt is said once
    # every application record of both directions comes out (the lost Finished held none)
    assert plaintext(events) == plaintext(clean)


# --- a capture that began after the handshake ----------------------------------------------------

TLS13_PLAIN = ["tls13-1302-mutual", "tls13-1303", "tls13-1301", "tls13-hrr"]


def _after_handshake(session: Session) -> tuple[list[tuple[bool, bytes]], list[TlsPlaintext]]:
    """The records from the client's third application record on, and the clean run's plaintext of them."""
    writes = record_writes(session)
    clean = of(feed(TlsConnection(keylog_of(session)), writes), TlsPlaintext)
    start = [e for e in clean if e.from_client][2].frame - 1
    return writes[start:], [e for e in clean if e.frame - 1 >= start]


@pytest.mark.parametrize("name", TLS13_PLAIN)
def test_a_capture_without_the_handshake_is_decrypted_by_the_session_whose_secret_authenticates(
        make_session: Make, name: str) -> None:
    session = make_session(name)
    late, expected = _after_handshake(session)
    log = keylog_of(session)
    log.add_text(make_session("tls13-1303" if name != "tls13-1303" else "tls13-1301").keylog, "other session")
    conn = TlsConnection(log)
    events = feed(conn, late)
    assert of(events, TlsError) == []
    assert [n.code for n in of(events, TlsNote)].count("keys-inferred") == 1
    assert (conn.version, conn.cipher_suite) == ("TLS 1.3", CONFIGS[name][1])
    assert [(e.from_client, e.data) for e in of(events, TlsPlaintext)] == [(e.from_client, e.data) for e in expected]


def test_secrets_learnt_later_decrypt_a_capture_without_the_handshake(make_session: Make) -> None:
    session = make_session("tls13-1302-mutual")
    late, expected = _after_handshake(session)
    log = KeyLog()
    conn = TlsConnection(log)
    events = feed(conn, late)
    assert of(events, TlsPlaintext) == []  # no key yet: kept, not lost
    log.add_text(session.keylog, "late")
    events = conn.retry(len(late), 0.0)
    assert conn.cipher_suite == 0x1302 and conn.version == "TLS 1.3"
    assert [(e.from_client, e.data) for e in of(events, TlsPlaintext)] == [(e.from_client, e.data) for e in expected]
