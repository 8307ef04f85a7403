"""ConnectionTable: which incarnation of an address/port pair a segment belongs to."""

from __future__ import annotations

from tests.sniffer.streams.constructed import MSG
from v2gsniff.dissectors.transport import TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN
from v2gsniff.sniffer.streams.connection import HOLD_EVENTS, ConnectionTable, StreamEvent, TcpConnection

EV = ("fe80::1", 49153)
EVSE = ("fe80::2", 61341)


def _open(table: ConnectionTable, isn: int = 1000, frame: int = 1) -> TcpConnection:
    conn, from_client = table.lookup(EV, EVSE, TCP_SYN, frame, isn)
    assert from_client
    conn.segment(True, isn, 0, TCP_SYN, b"", frame, 0.0)
    return conn


def _established() -> TcpConnection:
    """A connection after the EV's SYN (ISN 1000) and the charger's SYN-ACK (ISN 5000)."""
    conn = _open(ConnectionTable())
    conn.segment(False, 5000, 1001, TCP_SYN | TCP_ACK, b"", 2, 0.0)
    return conn


def test_a_repeated_syn_stays_in_its_incarnation() -> None:
    table = ConnectionTable()
    first = _open(table)
    again, _ = table.lookup(EV, EVSE, TCP_SYN, 2, 1000)
    assert again is first and table.count == 1


def test_syn_after_rst_or_fin_starts_a_new_incarnation() -> None:
    for flags, why in ((TCP_RST, "reset"), (TCP_FIN | TCP_ACK, "FIN")):
        table = ConnectionTable()
        first = _open(table)
        first.segment(True, 1001, 0, flags, b"", 2, 0.0)
        second, _ = table.lookup(EV, EVSE, TCP_SYN, 3, 1000)
        assert second is not first and second.index == 1
        assert second.previous is not None and second.previous[0] == 0 and why in second.previous[1]
        assert [c.index for c in table.live()] == [1]
        assert [c.index for c in table.evict(4)] == [0]  # the old one is flushed at once


def test_syn_whose_isn_does_not_fit_starts_a_new_incarnation() -> None:
    table = ConnectionTable()
    first = _open(table)
    first.segment(False, 5000, 1001, TCP_SYN | TCP_ACK, b"", 2, 0.0)
    second, _ = table.lookup(EV, EVSE, TCP_SYN, 3, 777)
    assert second is not first
    assert second.previous == (0, "the SYN's sequence number 777 is not its initial 1000")


def test_syn_on_a_connection_seen_from_its_middle_starts_a_new_incarnation() -> None:
    table = ConnectionTable()
    mid, from_client = table.lookup(EV, EVSE, TCP_ACK, 1)
    mid.segment(from_client, 4242, 99, TCP_ACK, b"data", 1, 0.0)
    fresh, _ = table.lookup(EV, EVSE, TCP_SYN, 2, 10)
    assert fresh is not mid and fresh.previous == (0, "the SYN arrives after its data")


def test_syn_ack_and_data_stay_in_the_incarnation() -> None:
    table = ConnectionTable()
    first = _open(table)
    assert table.lookup(EVSE, EV, TCP_SYN | TCP_ACK, 2, 5000) == (first, False)
    assert table.lookup(EV, EVSE, TCP_ACK, 3, 1001) == (first, True)


# -- both directions wait while bytes are missing ------------------------------------------------

def _conversation(n: int, lost: int | None = None, from_ev: bool = True) -> list[tuple[str, bool, int]]:
    """``n`` request/response pairs of V2GTP messages (the EV's ``MSG`` both ways), the EV's
    (``from_ev``) or the charger's message of pair ``lost`` not captured; what the connection gives
    as (item type, from the EV, frame), in the order it gives them."""
    table = ConnectionTable()
    conn = _open(table)
    events = conn.segment(False, 5000, 1001, TCP_SYN | TCP_ACK, b"", 2, 0.0)
    c, s, frame = 1001, 5001, 3
    for i in range(n):
        for ev in (True, False):
            if i != lost or ev != from_ev:
                seq, ack = (c, s) if ev else (s, c)
                events += conn.segment(ev, seq, ack, TCP_ACK, MSG, frame, frame / 100)
            if ev:
                c += len(MSG)
            else:
                s += len(MSG)
            frame += 1
    events += conn.finish(frame, frame / 100)
    return [(type(e.item).__name__, e.from_client, e.item.frame) for e in events]


def test_a_lost_request_gives_its_gap_before_everything_sent_after_it_in_capture_order() -> None:
    # pair 2's request (frame 7) is lost; the charger's answer (frame 8) acknowledges it
    got = _conversation(10, lost=2)
    assert got[:4] == [("Message", True, 3), ("Message", False, 4), ("Message", True, 5), ("Message", False, 6)]
    kind, from_ev, _frame = got[4]
    assert (kind, from_ev) == ("Gap", True)
    after = got[5:]
    assert [f for _k, _e, f in after] == [f for f in range(8, 23)]  # every frame after the loss, in order
    assert all(k == "Message" and e == (f % 2 == 1) for k, e, f in after)  # the EV's frames are the odd ones


def test_a_lost_response_gives_its_gap_before_everything_sent_after_it_in_capture_order() -> None:
    got = _conversation(10, lost=4, from_ev=False)  # the charger's frame 12
    i = next(i for i, (k, _e, _f) in enumerate(got) if k == "Gap")
    assert got[i][1] is False
    assert [f for _k, _e, f in got[:i]] == list(range(3, 12))
    assert [f for _k, _e, f in got[i + 1:]] == list(range(13, 23))


def test_a_segment_captured_after_the_answer_that_acknowledges_it_comes_first() -> None:
    # a busy capture host shows the charger's answer (frame 3) before the request it acknowledges (frame 4)
    conn = _established()
    assert conn.segment(False, 5001, 1001 + len(MSG), TCP_ACK, MSG, 3, 0.03) == []
    got = conn.segment(True, 1001, 5001, TCP_ACK, MSG, 4, 0.04)
    assert [(type(e.item).__name__, e.from_client, e.item.frame) for e in got] == [
        ("Message", True, 4), ("Message", False, 3)]
    # and once nothing is missing, each segment's messages come at once again
    after = conn.segment(True, 1001 + len(MSG), 5001 + len(MSG), TCP_ACK, MSG, 5, 0.05)
    assert [(e.from_client, e.item.frame) for e in after] == [(True, 5)]


def test_what_waits_for_a_hole_nobody_acknowledges_is_bounded() -> None:
    # the EV's bytes 1001.. are missing and the charger never acknowledges past them (its ACKs stay
    # at the SYN): the EV's later segment waits in the reassembler, the charger's messages with it,
    # but no more than HOLD_EVENTS of them
    conn = _established()
    assert conn.segment(True, 1001 + len(MSG), 5001, TCP_ACK, MSG, 3, 0.03) == []
    out: list[StreamEvent] = []
    s = 5001
    for frame in range(4, 4 + HOLD_EVENTS + 10):
        got = conn.segment(False, s, 1001, TCP_ACK, MSG, frame, frame / 100)
        s += len(MSG)
        assert len(got) in (0, HOLD_EVENTS + 1)
        out += got
    assert [e.item.frame for e in out] == list(range(4, 5 + HOLD_EVENTS))  # released once, in order
    rest = conn.finish(5000, 50.0)
    kinds = [(type(e.item).__name__, e.from_client) for e in rest]
    assert kinds[0] == ("Gap", True) and ("Message", True) in kinds  # the EV's waiting bytes, after their gap
    assert len([k for k in kinds if k == ("Message", False)]) == 9


# -- a connection that goes silent with bytes missing ----------------------------------------------

def test_a_silent_connection_gives_up_its_hole_and_releases_what_waited() -> None:
    # the EV's last request (bytes 1001..) is lost; the charger's answer acknowledges it, then nothing
    # more comes (the session stopped): the answer waits for the hole, until it is given up
    conn = _established()
    assert conn.segment(False, 5001, 1001 + len(MSG), TCP_ACK, MSG, 4, 0.04) == []
    assert conn.waiting and conn.last_time == 0.04
    got = conn.give_up(9, 2.5)
    assert [(type(e.item).__name__, e.from_client, e.item.frame) for e in got] == [
        ("Gap", True, 9), ("Message", False, 4)]
    assert got[0].item.length == len(MSG)
    assert not conn.waiting
    # the connection goes on in order afterwards
    after = conn.segment(True, 1001 + len(MSG), 5001 + len(MSG), TCP_ACK, MSG, 10, 2.6)
    assert [(e.from_client, e.item.frame) for e in after] == [(True, 10)]


def test_data_behind_a_hole_nobody_acknowledged_waits_for_a_retransmission_then_is_given_up_with_why() -> None:
    conn = _established()
    assert conn.segment(True, 1001 + len(MSG), 5001, TCP_ACK, MSG, 3, 0.03) == []  # ahead of a hole
    assert conn.give_up(3, 0.03) == [] and conn.waiting  # the sender may still send the bytes again
    got = conn.give_up(3, 0.03, unacknowledged=True)
    assert [type(e.item).__name__ for e in got] == ["Gap", "Message"]
    assert got[0].item.reason == "no retransmission filled the hole in 20 s"
    assert not conn.waiting and conn.give_up(3, 0.03, unacknowledged=True) == []
