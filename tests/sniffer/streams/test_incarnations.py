"""Connection incarnations in constructed captures: reused ports never make false gaps, real loss still does.

The captures are built with the simulator's frame builders (real checksums), written with the
project's pcapng writer and read back, like any capture. One V2GTP message per segment, so a
dropped segment is a known number of bytes at a known stream offset.
"""

from __future__ import annotations

from pathlib import Path

from v2gsniff.sniffer.capture import open_capture
from v2gsniff.sniffer.capture.writer import PcapngWriter
from v2gsniff.sniffer.model import RawFrame, Record
from v2gsniff.sniffer.pipeline import Decoder
from v2gsniff.sniffer.simulate.wire import ACK, FIN, PROTO_TCP, PSH, RST, SYN, Host, Wire, tcp
from v2gsniff.sniffer.streams.connection import CLOSED_LINGER_FRAMES
from v2gsniff.sniffer.streams.tcp import REORDER_WINDOW

EV = Host.from_mac(bytes.fromhex("02c2fbb6d33e"))
EVSE = Host.from_mac(bytes.fromhex("02d8103eba2b"))
EV_PORT, SECC_PORT = 49153, 61341
# A supportedAppProtocolReq (V2GTP header + EXI), as the EV sends it.
MSG = bytes.fromhex("01fe80010000002280" "00dbab9371d3234b71d1b981899189d191818991d26b9b3a232b30020000040040")


class Capture:
    """Frames of one EV-EVSE link, with segments that can be left out of the capture."""

    def __init__(self, seed: int = 1) -> None:
        self.wire = Wire(seed)

    def seg(self, from_ev: bool, seq: int, ack: int, flags: int, payload: bytes = b"", *,
            captured: bool = True, ports: tuple[int, int] = (EV_PORT, SECC_PORT)) -> None:
        src, dst = (EV, EVSE) if from_ev else (EVSE, EV)
        sport, dport = ports if from_ev else ports[::-1]
        frame = self.wire.ip_frame(src, dst, PROTO_TCP, tcp(src.ip, dst.ip, sport, dport, seq, ack, flags, payload))
        if captured:
            self.wire.emit(frame, 0.002)
        else:
            self.wire.wait(0.002)

    def session(self, ev_isn: int, evse_isn: int, messages: int, *, lost: frozenset[int] = frozenset(),
                close: int = FIN, ports: tuple[int, int] = (EV_PORT, SECC_PORT)) -> None:
        """Handshake, ``messages`` EV messages each acknowledged (those in ``lost`` not captured), then close."""
        c, s = ev_isn + 1, evse_isn + 1
        self.seg(True, ev_isn, 0, SYN, ports=ports)
        self.seg(False, evse_isn, c, SYN | ACK, ports=ports)
        self.seg(True, c, s, ACK, ports=ports)
        for i in range(messages):
            self.seg(True, c, s, ACK | PSH, MSG, captured=i not in lost, ports=ports)
            c += len(MSG)
            self.seg(False, s, c, ACK, ports=ports)
        self.seg(True, c, s, close | ACK, ports=ports)
        if close == FIN:
            self.seg(False, s, c + 1, FIN | ACK, ports=ports)
            self.seg(True, c + 1, s + 1, ACK, ports=ports)

    def challenge(self, ev_isn: int, old_ack: int, evse_seq: int) -> None:
        """The EV's SYN, the EVSE's challenge ACK for an older connection, the EV's RST (RFC 5961 4.2)."""
        self.seg(True, ev_isn, 0, SYN)
        self.seg(False, evse_seq, old_ack, ACK)
        self.seg(True, old_ack, 0, RST)

    def decode(self, tmp_path: Path) -> list[Record]:
        path = tmp_path / "constructed.pcapng"
        with PcapngWriter(path) as w:
            for time, frame in self.wire.frames:
                w.write_frame(frame, time)
        dec = Decoder()
        out: list[Record] = []
        with open_capture(path) as reader:
            for item in reader:
                out += dec.feed(item)
        return out + dec.finish()


def _gaps(records: list[Record]) -> list[tuple[int, int, int]]:
    return [(r.extra["stream"], r.fields["stream_offset"], r.fields["missing_bytes"]) for r in records
            if r.kind == "gap"]


def _messages(records: list[Record]) -> list[int]:
    """Stream of each decoded V2G message."""
    assert [r.error for r in records if r.kind == "v2g" and r.error] == []
    return [r.extra["stream"] for r in records if r.kind == "v2g"]


def test_challenge_ack_then_clean_connection_has_no_gap(tmp_path: Path) -> None:
    # The EVerest captures' pattern: the EVSE still holds the old connection's 875 MB of sequence space.
    cap = Capture()
    cap.challenge(8775000, 884200134, 1071483362)
    cap.session(8775000, 1970074512, 12)
    records = cap.decode(tmp_path)
    assert _gaps(records) == []
    assert _messages(records) == [1] * 12
    assert not any(r.error for r in records)
    (challenge,) = [r for r in records if r.kind == "tcp" and r.name == "ACK"]
    assert challenge.frame == 2 and challenge.extra == {"stream": 0, "dir": "evse->ev"}
    assert "challenge ACK" in challenge.fields["notes"][0] and "RFC 5961" in challenge.fields["notes"][0]
    rst = next(r for r in records if r.kind == "tcp" and r.name == "RST")
    assert "answers the challenge ACK of frame 2" in rst.fields["notes"][0]
    syn = next(r for r in records if r.kind == "tcp" and r.name == "SYN" and r.extra["stream"] == 1)
    assert "new incarnation" in syn.fields["notes"][0] and "reset" in syn.fields["notes"][0]


def test_segment_missing_after_a_challenge_ack_is_one_gap_of_its_size(tmp_path: Path) -> None:
    cap = Capture()
    cap.challenge(8775000, 884200134, 1071483362)
    cap.session(8775000, 1970074512, 4 + REORDER_WINDOW, lost=frozenset({3}))
    records = cap.decode(tmp_path)
    assert _gaps(records) == [(1, 3 * len(MSG), len(MSG))]
    assert _messages(records) == [1] * (3 + REORDER_WINDOW)


def test_reset_then_reuse_within_the_capture(tmp_path: Path) -> None:
    # First connection ends with the EV's RST; the same ports carry a new one at once (same ISN too).
    cap = Capture()
    cap.session(1000, 5000, 3, close=RST)
    cap.session(1000, 9000, 4 + REORDER_WINDOW, lost=frozenset({2}))
    records = cap.decode(tmp_path)
    assert _gaps(records) == [(1, 2 * len(MSG), len(MSG))]
    assert _messages(records) == [0] * 3 + [1] * (3 + REORDER_WINDOW)


def test_new_isn_on_a_live_connection_starts_a_new_incarnation(tmp_path: Path) -> None:
    # The EV restarts without closing: its new SYN does not fit, the EVSE challenges, the EV resets.
    cap = Capture()
    cap.seg(True, 70_000, 0, SYN)
    cap.seg(False, 90_000, 70_001, SYN | ACK)
    cap.seg(True, 70_001, 90_001, ACK)
    cap.seg(True, 70_001, 90_001, ACK | PSH, MSG)
    cap.seg(False, 90_001, 70_001 + len(MSG), ACK)
    cap.challenge(3_000_000, 70_001 + len(MSG), 90_001)
    cap.session(3_000_000, 123_456, 4)
    records = cap.decode(tmp_path)
    assert _gaps(records) == []
    assert _messages(records) == [0] + [2] * 4
    syn = next(r for r in records if r.kind == "tcp" and r.name == "SYN" and r.extra["stream"] == 1)
    assert "sequence number 3000000 is not its initial 70000" in syn.fields["notes"][0]


def test_reset_then_reuse_across_the_connection_tables_eviction(tmp_path: Path) -> None:
    cap = Capture()
    cap.session(1000, 5000, 2, close=RST)
    # Traffic on other ports long enough for the reset connection to leave the table.
    other = (49200, SECC_PORT)
    cap.session(40_000, 80_000, CLOSED_LINGER_FRAMES // 2 + 64, ports=other)
    reuse_at = len(cap.wire.frames) + 1
    cap.challenge(1000, 1001 + 2 * len(MSG), 5001)  # the EVSE missed the RST: it challenges the new SYN
    cap.session(1000, 7000, 4 + REORDER_WINDOW, lost=frozenset({1}))
    path_records = cap.decode(tmp_path)
    assert _gaps(path_records) == [(3, len(MSG), len(MSG))]
    assert _messages(path_records) == [0] * 2 + [1] * (CLOSED_LINGER_FRAMES // 2 + 64) + [3] * (3 + REORDER_WINDOW)

    # The first connection had really left the table when its ports came back.
    dec = Decoder()
    with open_capture(tmp_path / "constructed.pcapng") as reader:
        for item in reader:
            if isinstance(item, RawFrame) and item.index == reuse_at:
                assert 0 not in [c.index for c in dec.connections.live()]
                break
            dec.feed(item)
    syn = next(r for r in path_records if r.kind == "tcp" and r.frame == reuse_at)
    assert "notes" not in syn.fields  # nothing left to say which connection it replaced
