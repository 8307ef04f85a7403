"""Framer: V2GTP messages cut from arbitrary chunks, and resynchronisation."""

from __future__ import annotations

from v2gsniff.sniffer.streams.framing import PROBE_LIMIT, Framer, Message, Skipped


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


def test_non_v2gtp_stream_is_given_up() -> None:
    f = Framer()
    f.feed(0, b"GET / HTTP/1.1\r\n" * (PROBE_LIMIT // 16 + 2), 1, 0.0)
    assert f.not_v2gtp


def test_finish_reports_unfinished_message() -> None:
    f = Framer()
    f.feed(0, M1[:-2], 1, 0.0)
    out = f.finish(2, 0.0)
    assert isinstance(out[0], Skipped) and out[0].reason == "stream ends inside a V2GTP message"
