"""Connection incarnations in constructed captures: reused ports never make false gaps, real loss still does.

One V2GTP message per segment (see ``constructed``), so a dropped segment is a known number of
bytes at a known stream offset.
"""

from __future__ import annotations

from pathlib import Path

from tests.sniffer.streams.constructed import MSG, SECC_PORT, Capture
from v2gsniff.sniffer.capture import open_capture
from v2gsniff.sniffer.model import RawFrame, Record
from v2gsniff.sniffer.pipeline import Decoder
from v2gsniff.sniffer.simulate.wire import ACK, PSH, RST, SYN
from v2gsniff.sniffer.streams.connection import CLOSED_LINGER_FRAMES
from v2gsniff.sniffer.streams.tcp import REORDER_WINDOW


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
