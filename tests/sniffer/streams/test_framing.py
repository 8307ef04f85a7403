"""Framer: V2GTP messages cut from arbitrary chunks, and resynchronisation."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from v2gsniff.dissectors.v2gtp import parse_header
from v2gsniff.sniffer.streams.framing import PROBE_LIMIT, AppData, Carried, Framer, Message, Skipped


def _msg(body: bytes, ptype: int = 0x8001) -> bytes:
    return bytes([1, 0xFE]) + ptype.to_bytes(2, "big") + len(body).to_bytes(4, "big") + body


M1 = _msg(bytes.fromhex("8000dbab9371d3234b71d1b981899189d191818991d26b9b3a232b30020000040040"))
M2 = _msg(bytes.fromhex("80400040"))


def test_split_and_combined_messages() -> None:
    f = Framer()
    stream = M1 + M2 + M1
    out = []
    for i in range(0, len(stream), 5):  # 5-byte chunks, frames 1..n
        out += f.feed(i, stream[i : i + 5], i // 5 + 1, 0.0)
    msgs = [m for m in out if isinstance(m, Message)]
    assert [m.data for m in msgs] == [M1, M2, M1]
    # the frame that completes each message is the one carrying its last byte
    assert msgs[0].frame == (len(M1) - 1) // 5 + 1
    assert msgs[0].first_frame == 1


def test_several_messages_in_one_chunk() -> None:
    out = Framer().feed(0, M2 + M2 + M2, 7, 1.5)
    assert [m.frame for m in out if isinstance(m, Message)] == [7, 7, 7]


def test_garbage_then_resync() -> None:
    f = Framer()
    out = f.feed(0, M2, 1, 0.0) + f.feed(len(M2), b"\x00\x11\x22" + M1, 2, 0.0)
    kinds = [type(x).__name__ for x in out]
    assert kinds == ["Message", "Skipped", "Message"]
    skipped = out[1]
    assert isinstance(skipped, Skipped) and skipped.length == 3


def test_gap_drops_partial_message_and_resyncs() -> None:
    f = Framer()
    out = f.feed(0, M1[:10], 1, 0.0)
    out += f.gap(10, 20, 2, 0.0)
    # the rest of M1 after the gap is garbage now; then a clean M2
    out += f.feed(30, M1[30:] + M2, 3, 0.0)
    assert isinstance(out[0], Skipped) and "gap" in out[0].reason
    assert [m.data for m in out if isinstance(m, Message)] == [M2]


def test_stream_seen_from_its_middle_without_header_is_app_data() -> None:
    # No header within the probe limit: not V2GTP. Its bytes come out whole, none as an error.
    f = Framer()
    line = b"GET / HTTP/1.1\r\n"
    out = []
    for i in range(PROBE_LIMIT // len(line) + 2):
        out += f.feed(i * len(line), line, i + 1, 0.0)
    out += f.feed(PROBE_LIMIT + 100, b"more", 9999, 0.0) + f.finish(10000, 0.0)
    assert f.not_v2gtp
    assert all(isinstance(x, AppData) for x in out)
    assert b"".join(x.data for x in out if isinstance(x, AppData)) == line * (PROBE_LIMIT // len(line) + 2) + b"more"
    assert [x.frame for x in out if isinstance(x, AppData)][:3] == [1, 2, 3]  # each chunk keeps its frame


def test_stream_whose_start_is_no_header_is_app_data_at_once() -> None:
    f = Framer()
    f.from_start = True
    data = bytes.fromhex("a1046900d923a211") + bytes(39)  # dSPACE's battery-data service, not V2GTP
    out = f.feed(0, data, 93, 1.0) + f.feed(47, M2, 163, 2.0) + f.finish(200, 3.0)
    assert out == [AppData(0, data, 93, 1.0), AppData(47, M2, 163, 2.0)]


def test_short_stream_without_header_ends_as_app_data() -> None:
    f = Framer()
    f.from_start = True
    assert f.feed(0, b"hi!", 5, 0.0) == []
    assert f.finish(6, 0.0) == [AppData(0, b"hi!", 5, 0.0)]


def test_garbage_start_of_a_connection_that_carries_v2gtp_is_an_error() -> None:
    # The other direction spoke V2GTP: this one is V2GTP too, and bytes before its header are skipped.
    carried = Carried()
    ev, evse = Framer(carried), Framer(carried)
    ev.from_start = evse.from_start = True
    assert [type(m) for m in ev.feed(0, M1, 1, 0.0)] == [Message]
    out = evse.feed(0, b"\x00\x11\x22" + M2, 2, 0.0)
    assert [type(x) for x in out] == [Skipped, Message]
    assert isinstance(out[0], Skipped) and out[0].length == 3


def test_mid_stream_start_resyncs_on_the_first_header() -> None:
    f = Framer()
    out = f.feed(0, M1[20:], 1, 0.0) + f.feed(len(M1) - 20, M2, 2, 0.0)
    assert [type(x) for x in out] == [Skipped, Message]
    assert isinstance(out[0], Skipped) and out[0].length == len(M1) - 20 and "before the first" in out[0].reason


def test_finish_reports_unfinished_message() -> None:
    f = Framer()
    f.feed(0, M1[:-2], 1, 0.0)
    out = f.finish(2, 0.0)
    assert isinstance(out[0], Skipped) and out[0].reason == "stream ends inside a V2GTP message"


@settings(max_examples=200, deadline=None)
@given(st.binary(min_size=1, max_size=3000), st.lists(st.integers(1, 400), max_size=30), st.booleans())
def test_bytes_of_a_stream_without_v2gtp_all_come_out_as_app_data(data: bytes, cuts: list[int],
                                                                     from_start: bool) -> None:
    # Whatever the bytes and however they are split: none lost, none an error, unless a header shows.
    f = Framer()
    f.from_start = from_start
    out, pos = [], 0
    for n in [*cuts, len(data)]:
        chunk = data[pos : pos + n]
        if chunk:
            out += f.feed(pos, chunk, pos, 0.0)
            pos += len(chunk)
    out += f.finish(pos, 0.0)
    if any(isinstance(x, Message) for x in out) or any(parse_header(data, i) for i in range(len(data))):
        return  # a plausible header somewhere: V2GTP rules apply
    assert all(isinstance(x, AppData) for x in out)
    assert b"".join(x.data for x in out if isinstance(x, AppData)) == data
    assert [x.offset for x in out if isinstance(x, AppData)] == sorted({x.offset for x in out})
