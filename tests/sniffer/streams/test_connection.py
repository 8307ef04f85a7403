"""ConnectionTable: which incarnation of an address/port pair a segment belongs to."""

from __future__ import annotations

from v2gsniff.dissectors.transport import TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN
from v2gsniff.sniffer.streams.connection import ConnectionTable, TcpConnection

EV = ("fe80::1", 49153)
EVSE = ("fe80::2", 61341)


def _open(table: ConnectionTable, isn: int = 1000, frame: int = 1) -> TcpConnection:
    conn, from_client = table.lookup(EV, EVSE, TCP_SYN, frame, isn)
    assert from_client
    conn.segment(True, isn, 0, TCP_SYN, b"", frame, 0.0)
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
