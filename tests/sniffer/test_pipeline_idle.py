"""A session that stops right after a lost frame: what waited behind the missing bytes comes out once
its connection has been silent for HOLE_WAIT, in a live view and in a file, not only at the end."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from tests.sniffer.streams.constructed import EV_PORT, MSG, SECC_PORT, Capture
from v2gsniff.sniffer import pipeline
from v2gsniff.sniffer.capture import open_capture
from v2gsniff.sniffer.engine import Engine, decode_file
from v2gsniff.sniffer.model import RawFrame, Record
from v2gsniff.sniffer.pipeline import Decoder
from v2gsniff.sniffer.simulate.wire import ACK, PSH, SYN
from v2gsniff.sniffer.streams.connection import HOLE_WAIT, UNACKED_WAIT
from v2gsniff.sniffer.streams.tls.keylog import KeyLog

CAPTURES = Path(__file__).resolve().parents[2] / "captures"


def _lost_request(name: str, keylog: KeyLog | None) -> tuple[list[RawFrame], Record, Record]:
    """The capture's frames up to the answer of a request two thirds into the session, that request's
    frame left out (the link died right after it), with the request's and the answer's records."""
    records, _ = decode_file(CAPTURES / name, keylog=keylog)
    v2g = [r for r in records if r.kind == "v2g" and r.message is not None]
    i = next(i for i in range(len(v2g) * 2 // 3, len(v2g) - 1)
             if v2g[i].name.endswith("Req") and v2g[i].extra["first_frame"] == v2g[i].frame
             and v2g[i + 1].name.endswith("Res"))
    request, answer = v2g[i], v2g[i + 1]
    with open_capture(CAPTURES / name) as reader:
        frames = [f for f in reader if type(f) is RawFrame and f.index <= answer.frame and f.index != request.frame]
    return frames, request, answer


class Feed:
    """A live source whose frames stop: then only empty batches (the link is quiet), then Ctrl-C."""

    def __init__(self, frames: list[RawFrame], quiet: float) -> None:
        self.batches: list[list[Any]] = [frames]
        self.quiet_until = 0.0
        self.quiet = quiet
        self.stopped = False

    def read_batch(self) -> list[Any] | None:
        if self.batches:
            self.quiet_until = time.monotonic() + self.quiet
            return self.batches.pop(0)
        if time.monotonic() > self.quiet_until:
            raise KeyboardInterrupt
        time.sleep(0.02)
        return []

    def stop(self) -> None:
        self.stopped = True


class Seen:
    def __init__(self, feed: Feed) -> None:
        self.feed = feed
        self.got: list[tuple[bool, Record]] = []
        """(delivered after Ctrl-C, record)."""

    def records(self, records: list[Record]) -> None:
        self.got.extend((self.feed.stopped, r) for r in records)


@pytest.mark.parametrize("name", ["iso2_dc.pcapng", "iso20_tls13.pcapng"])
def test_a_live_session_that_stops_after_a_lost_request_shows_its_last_answer_when_quiet(
        name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pipeline, "HOLE_WAIT", 0.3)  # real time passes in this test: keep it short
    keys = CAPTURES / name.replace(".pcapng", ".keys")
    keylog = KeyLog.from_file(keys) if keys.exists() else None
    frames, request, answer = _lost_request(name, keylog)
    feed = Feed(frames, quiet=1.5)
    seen = Seen(feed)
    Engine([seen], keylog=keylog, capture="live").run_live(feed)
    before = [r for stopped, r in seen.got if not stopped]
    gap = next(r for r in before if r.kind == "gap")
    assert gap.extra["stream"] == answer.extra["stream"] and gap.extra["dir"] == "ev->evse"
    assert gap.fields["missing_bytes"] >= len(request.data)
    got = [(r.frame, r.name) for r in before if r.kind == "v2g"]
    assert got[-1] == (answer.frame, answer.name)  # while the link is quiet, before Ctrl-C
    assert request.frame not in [f for f, _ in got]
    # the same records a file of these frames gives at its end
    decoder = Decoder(keylog=keylog)
    whole = [r for f in frames for r in decoder.feed(f)] + decoder.finish()
    assert got == [(r.frame, r.name) for r in whole if r.kind == "v2g"]


def _quiet_then_busy(tmp_path: Path, pause: float, acked: bool = True, spacing: float = 0.0) -> list[Record]:
    """Connection A: four EV messages, the third lost, the fourth waiting behind it; the charger
    acknowledges all four (``acked``) or none; A falls silent. ``pause`` s later connection B runs
    60 messages, ``spacing`` s apart."""
    cap = Capture()
    c, s = 1001, 5001
    cap.seg(True, 1000, 0, SYN)
    cap.seg(False, 5000, c, SYN | ACK)
    for i in range(4):
        cap.seg(True, c, s, ACK | PSH, MSG, captured=i != 2)
        c += len(MSG)
    if acked:
        cap.seg(False, s, c, ACK)  # acknowledges the lost third message: the capture lost it
    cap.wire.wait(pause, jitter=0)
    ports = (EV_PORT + 1, SECC_PORT)
    c, s = 7001, 9001
    cap.seg(True, 7000, 0, SYN, ports=ports)
    cap.seg(False, 9000, c, SYN | ACK, ports=ports)
    for _ in range(60):
        cap.seg(True, c, s, ACK | PSH, MSG, ports=ports)
        c += len(MSG)
        cap.seg(False, s, c, ACK, ports=ports)
        cap.wire.wait(spacing or 1e-6, jitter=0)
    return cap.decode(tmp_path)


def test_in_a_file_the_hole_of_a_silent_connection_is_given_up_while_other_traffic_goes_on(tmp_path: Path) -> None:
    records = _quiet_then_busy(tmp_path, HOLE_WAIT + 1.0)
    order = [(r.kind, r.extra.get("stream")) for r in records if r.kind in ("gap", "v2g")]
    gap = order.index(("gap", 0))
    assert order[gap + 1] == ("v2g", 0)  # the fourth message, released with its gap
    # ... at the first look after HOLE_WAIT (every 64 frames), while B's messages still come
    assert 0 < sum(1 for k in order[gap:] if k == ("v2g", 1)) < 60
    declared = next(r for r in records if r.kind == "gap")
    assert declared.fields["missing_bytes"] == len(MSG) and "peer acknowledged" in (declared.error or "")
    assert declared.frame % 64 == 0 and declared.time - records[0].time > HOLE_WAIT


def test_a_shorter_pause_does_not_give_the_hole_up_before_the_end(tmp_path: Path) -> None:
    records = _quiet_then_busy(tmp_path, HOLE_WAIT / 4)
    order = [(r.kind, r.extra.get("stream")) for r in records if r.kind in ("gap", "v2g")]
    assert order[-2:] == [("gap", 0), ("v2g", 0)]  # released by the end of the capture


def test_bytes_no_acknowledgment_proves_lost_wait_for_a_retransmission_longer(tmp_path: Path) -> None:
    # nobody acknowledged the lost message: the EV may send it again, so it is given up only after
    # UNACKED_WAIT of silence (B's 60 messages, 0.8 s apart, span 48 s; looked at every 64 frames)
    records = _quiet_then_busy(tmp_path, HOLE_WAIT + 1.0, acked=False, spacing=0.8)
    declared = next(r for r in records if r.kind == "gap")
    assert declared.error is not None and declared.error.endswith("no retransmission filled the hole in 20 s")
    a_last = max(r.time for r in records if r.extra.get("stream") == 0 and r.kind == "v2g")
    assert declared.time - a_last >= UNACKED_WAIT and declared.frame < records[-1].frame
    order = [(r.kind, r.extra.get("stream")) for r in records if r.kind in ("gap", "v2g")]
    assert order[order.index(("gap", 0)) + 1] == ("v2g", 0)
