"""LiveFeed, key-log following and ``v2gsniff live -`` reading a pipe as the data arrives."""

from __future__ import annotations

import io
import json
import os
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import REAL, end_process
from v2gsniff.sniffer.capture import PcapngWriter, PcapWriter, TruncatedCapture, open_capture
from v2gsniff.sniffer.capture.live_feed import KeylogFollower, LiveFeed, StreamSource
from v2gsniff.sniffer.capture.writer import SECRETS_TLS_KEYLOG
from v2gsniff.sniffer.model import DecryptionSecrets, RawFrame

CAPTURE = REAL / "ccs32__2023-04-05_wt32_alpi_first_charge.pcapng"
LIVE = "from v2gsniff.sniffer.commands.live import live; live(prog_name='v2gsniff live')"
LINE = "CLIENT_RANDOM " + "11" * 32 + " " + "22" * 48 + "\n"


def _frames(n: int | None = None) -> list[RawFrame]:
    if not CAPTURE.exists():
        pytest.skip("../shared/captures/real is absent (the real captures live beside the repository)")
    out = [f for f in open_capture(CAPTURE) if isinstance(f, RawFrame)]
    return out[:n] if n else out


def test_keylog_follower_gives_complete_new_lines(tmp_path: Path) -> None:
    path = tmp_path / "keys.log"
    f = KeylogFollower(path)
    assert f.poll() == b""  # not there yet: waited for
    path.write_text("# comment\n" + LINE[:20])
    assert f.poll() == b"# comment\n"
    with open(path, "a") as fh:
        fh.write(LINE[20:])
    assert f.poll() == LINE.encode()
    assert f.poll() == b""
    path.write_text(LINE)  # truncated and rewritten: read again from the start
    assert f.poll() == LINE.encode()
    os.replace(tmp_path / "keys.log", tmp_path / "old.log")
    (tmp_path / "keys.log").write_text("A\n")  # replaced by a new file (log rotation)
    assert f.poll() == b"A\n"


@pytest.mark.parametrize("embed", [False, True], ids=["frames-only", "embed-secrets"])
def test_feed_writes_frames_and_keylog_secrets_only_when_asked(tmp_path: Path, embed: bool) -> None:
    frames = _frames(50)
    keys = tmp_path / "keys.log"
    keys.write_text(LINE)
    out = tmp_path / "rec.pcapng"
    out.write_bytes(b"")
    out.chmod(0o644)  # an older file with a looser mode must not keep it

    class Source:
        def __init__(self) -> None:
            self.batches: list[list[RawFrame]] = [frames[:20], [], frames[20:]]

        def read_batch(self, timeout: float) -> list[RawFrame] | None:
            return self.batches.pop(0) if self.batches else None

        def stop(self) -> None:
            self.batches = []

    with PcapngWriter(out, line_buffered=True, private=embed) as writer:
        items = list(LiveFeed(Source(), keylog_paths=[str(keys)], writer=writer, embed_secrets=embed))
    secrets = [i for i in items if isinstance(i, DecryptionSecrets)]
    assert len(secrets) == 1 and secrets[0].data == LINE.encode() and secrets[0].after_frame == 0
    assert secrets[0].secrets_type == SECRETS_TLS_KEYLOG
    assert [i for i in items if isinstance(i, RawFrame)] == frames
    back = list(open_capture(out))
    assert [f.data for f in back if isinstance(f, RawFrame)] == [f.data for f in frames]
    stored = [b for b in back if isinstance(b, DecryptionSecrets)]
    raw = out.read_bytes()
    if embed:
        assert isinstance(back[0], DecryptionSecrets) and back[0].data == LINE.encode()
        assert stat.S_IMODE(out.stat().st_mode) == 0o600
    else:
        assert stored == [] and LINE.split()[2].encode() not in raw
        assert stat.S_IMODE(out.stat().st_mode) == 0o644


def test_stream_source_reports_a_cut_off_stream_after_its_frames() -> None:
    frames = _frames(30)
    buf = io.BytesIO()
    w = PcapWriter(buf)
    for f in frames:
        w.write_frame(f.data, f.time)
    data = buf.getvalue()[:-10]
    src = StreamSource(open_capture("-", stdin=io.BytesIO(data)))
    got: list[object] = []
    while (batch := src.read_batch(1.0)) is not None:
        got.extend(batch)
    assert len(got) == 29
    assert isinstance(src.error, TruncatedCapture)


@pytest.mark.parametrize("fmt", ["pcap", "pcapng"])
def test_live_stdin_prints_records_before_the_stream_ends(tmp_path: Path, fmt: str) -> None:
    """Frames written to a pipe one by one, slowly: each record appears while the pipe is still open."""
    frames = _frames(40)
    buf = io.BytesIO()
    writer = PcapWriter(buf) if fmt == "pcap" else PcapngWriter(buf)
    chunks: list[bytes] = []
    for f in frames:
        start = len(buf.getvalue())
        writer.write_frame(f.data, f.time)
        chunks.append(buf.getvalue()[start:])
    header = buf.getvalue()[: len(buf.getvalue()) - sum(map(len, chunks))]
    proc = subprocess.Popen([sys.executable, "-c", LIVE, "-", "--no-tui", "--format", "jsonl", "--allow-root"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdin is not None and proc.stdout is not None
    seen: list[tuple[float, int]] = []

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            seen.append((time.monotonic(), json.loads(line)["frame"]))

    reader = threading.Thread(target=read)
    reader.start()
    try:  # the child ends whatever happens (a failed write or a wait that times out included)
        proc.stdin.write(header)
        sent_at: dict[int, float] = {}
        for i, chunk in enumerate(chunks, 1):
            proc.stdin.write(chunk)
            proc.stdin.flush()
            sent_at[i] = time.monotonic()
            if i in (10, 25):
                time.sleep(1.0)  # a pause: frames before it must be out before it ends
        time.sleep(0.5)
        closed_at = time.monotonic()
        proc.stdin.close()
        reader.join(timeout=30)
        assert proc.wait(timeout=30) == 0, proc.stderr.read() if proc.stderr else ""
    finally:
        if proc.poll() is None:
            end_process(proc, timeout=10)
        reader.join(timeout=10)
    early = [(t, frame) for t, frame in seen if t < closed_at]
    assert early, "no record before the end of the stream"
    # Every SLAC frame among the first 10 was printed during the pause after frame 10.
    for t, frame in seen:
        if frame <= 10:
            assert t < sent_at[11], f"record of frame {frame} waited for later data"
