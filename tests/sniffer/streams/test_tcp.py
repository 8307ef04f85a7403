"""HalfStream: in-order delivery, retransmissions, overlaps, holes and their gaps."""

from __future__ import annotations

from v2gsniff.sniffer.streams.tcp import REORDER_WINDOW, Chunk, ForeignAck, Gap, HalfStream

ISN = 0xFFFFFF00  # close to wrap-around on purpose


def _data(items: list[Chunk | Gap]) -> bytes:
    return b"".join(i.data for i in items if isinstance(i, Chunk))


def test_in_order_and_out_of_order_segments() -> None:
    s = HalfStream()
    s.syn(ISN - 1)
    out = s.segment(ISN + 5, b"world", 2, 0.0)
    assert out == []
    out = s.segment(ISN, b"hello", 3, 0.0)
    assert _data(out) == b"helloworld"
    assert [c.frame for c in out if isinstance(c, Chunk)] == [3, 2]


def test_sequence_numbers_wrap() -> None:
    s = HalfStream()
    s.syn(ISN - 1)
    out = s.segment(ISN, b"a" * 0x100, 1, 0.0) + s.segment((ISN + 0x100) % (1 << 32), b"b" * 10, 2, 0.0)
    assert _data(out) == b"a" * 0x100 + b"b" * 10
    assert s.next_offset == 0x10A


def test_retransmission_and_overlap_are_trimmed() -> None:
    s = HalfStream()
    s.syn(99)
    out = s.segment(100, b"abcdef", 1, 0.0)
    out += s.segment(100, b"abcdef", 2, 0.0)  # full retransmission
    out += s.segment(103, b"defghi", 3, 0.0)  # overlap
    assert _data(out) == b"abcdefghi"
    assert s.retransmitted_bytes == 9


def test_acked_hole_becomes_a_gap_after_the_reorder_window() -> None:
    s = HalfStream()
    s.syn(99)
    s.segment(100, b"abc", 1, 0.0)
    s.segment(110, b"after", 2, 0.0)  # bytes 103..109 never captured
    out: list[Chunk | Gap] = s.ack(115, 3, 0.0)
    assert out == []  # may still arrive late
    for frame in range(4, 4 + REORDER_WINDOW):
        out += s.ack(115, frame, 0.0)
    gaps = [g for g in out if isinstance(g, Gap)]
    assert [(g.offset, g.length) for g in gaps] == [(3, 7)]
    assert _data(out) == b"after"
    assert s.lost_bytes == 7


def test_late_segment_within_window_fills_the_hole() -> None:
    s = HalfStream()
    s.syn(99)
    s.segment(100, b"abc", 1, 0.0)
    s.segment(106, b"ghi", 2, 0.0)
    s.ack(109, 3, 0.0)
    out = s.segment(103, b"def", 4, 0.0)
    assert _data(out) == b"defghi"
    assert s.lost_bytes == 0


def test_finish_reports_holes_before_waiting_data() -> None:
    s = HalfStream()
    s.syn(99)
    s.segment(100, b"abc", 1, 0.0)
    s.segment(200, b"tail", 2, 0.0)
    out = s.finish(9, 0.0)
    assert isinstance(out[0], Gap) and (out[0].offset, out[0].length) == (3, 97)
    assert _data(out) == b"tail"


def test_fin_ack_is_not_a_gap() -> None:
    s = HalfStream()
    s.syn(99)
    s.segment(100, b"abc", 1, 0.0)
    s.fin = True
    out = []
    for frame in range(2, 4 + REORDER_WINDOW):
        out += s.ack(104, frame, 0.0)
    assert out == [] and s.finish(20, 0.0) == []


def test_mid_stream_start_uses_first_segment() -> None:
    s = HalfStream()
    out = s.segment(5000, b"xyz", 1, 0.0)
    assert _data(out) == b"xyz" and s.next_offset == 3


def test_take_accepts_only_the_next_bytes_and_matches_segment() -> None:
    # take() is segment()'s in-order case without a Chunk: same offsets, same state after.
    a, b = HalfStream(), HalfStream()
    for s in (a, b):
        s.syn(999)
    data = [b"abc", b"defg", b"hi"]
    seq = 1000
    for chunk in data:
        off = a.take(seq, len(chunk))
        (got,) = b.segment(seq, chunk, 1, 0.0)
        assert isinstance(got, Chunk) and off == got.offset
        seq += len(chunk)
    assert a.next_offset == b.next_offset == 9
    assert a.take(seq + 5, 3) == -1  # a hole first: not taken, nothing changes
    assert a.take(seq - 2, 3) == -1  # overlaps what was delivered
    assert a.next_offset == 9
    a.segment(seq + 5, b"zz", 2, 0.0)  # now bytes wait behind a hole
    assert a.take(seq, 5) == -1


def test_ack_of_another_incarnation_before_the_syn_is_acknowledged_is_foreign() -> None:
    # RFC 5961 challenge ACK: the peer acknowledges an older connection's bytes, not this SYN.
    s = HalfStream()
    s.syn(6509)
    out = s.ack(10897, 2, 0.0)
    assert out == [ForeignAck(10897, 10897 - 6510, 2, 0.0)]
    assert s.ack(6509 - 100, 3, 0.0)[0] == ForeignAck(6409, -101, 3, 0.0)  # behind the SYN: foreign too
    for frame in range(4, 6 + REORDER_WINDOW):
        assert not [g for g in s.ack(10897, frame, 0.0) if isinstance(g, Gap)]
    assert s.finish(30, 0.0) == [] and s.lost_bytes == 0


def test_once_the_syn_is_acknowledged_loss_is_reported_again() -> None:
    s = HalfStream()
    s.syn(99)
    assert s.ack(100, 2, 0.0) == []  # the SYN-ACK: this incarnation is synchronised
    s.segment(100, b"abc", 3, 0.0)
    out: list[Chunk | Gap | ForeignAck] = []
    for frame in range(4, 5 + REORDER_WINDOW):
        out += s.ack(110, frame, 0.0)  # bytes 3..9 acknowledged, never captured
    assert [(g.offset, g.length) for g in out if isinstance(g, Gap)] == [(3, 7)]
    assert not [a for a in out if isinstance(a, ForeignAck)]


def test_data_before_any_ack_synchronises_too() -> None:
    # The SYN-ACK is missing from the capture; the EV's data shows the handshake happened.
    s = HalfStream()
    s.syn(99)
    s.segment(100, b"abc", 2, 0.0)
    out: list[Chunk | Gap | ForeignAck] = []
    for frame in range(3, 4 + REORDER_WINDOW):
        out += s.ack(108, frame, 0.0)
    assert [(g.offset, g.length) for g in out if isinstance(g, Gap)] == [(3, 5)]
