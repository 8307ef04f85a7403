"""Format detection, gzip, standard input and file errors."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from v2gsniff.sniffer.capture import (
    CaptureNotFound,
    CorruptCapture,
    NotACapture,
    PcapngWriter,
    PcapWriter,
    TruncatedCapture,
    open_capture,
)
from v2gsniff.sniffer.capture.errors import CaptureError
from v2gsniff.sniffer.commands.exits import exit_code_for
from v2gsniff.sniffer.model import RawFrame

PAYLOADS = [bytes([i]) * (60 + i * 7) for i in range(40)]


def make_pcapng(path: Path) -> Path:
    with PcapngWriter(path) as w:
        for i, p in enumerate(PAYLOADS):
            w.write_frame(p, 1_700_000_000 + i / 10)
    return path


def make_pcap(path: Path) -> Path:
    with PcapWriter(path, nanosecond=True) as w:
        for i, p in enumerate(PAYLOADS):
            w.write_frame(p, 1_700_000_000 + i / 10)
    return path


def datas(reader: object) -> list[bytes]:
    return [f.data for f in reader if isinstance(f, RawFrame)]  # type: ignore[attr-defined]


@pytest.mark.parametrize("maker", [make_pcap, make_pcapng])
def test_format_comes_from_content_not_name(tmp_path: Path, maker) -> None:  # type: ignore[no-untyped-def]
    path = maker(tmp_path / "misleading.txt")
    with open_capture(path) as r:
        assert r.format == maker.__name__.removeprefix("make_")
        assert datas(r) == PAYLOADS


@pytest.mark.parametrize("maker", [make_pcap, make_pcapng])
def test_gzip(tmp_path: Path, maker) -> None:  # type: ignore[no-untyped-def]
    plain = maker(tmp_path / "plain")
    gz = tmp_path / "capture.pcap"  # no .gz suffix on purpose
    gz.write_bytes(gzip.compress(plain.read_bytes()))
    with open_capture(str(gz)) as r:
        assert r.gzip is True and r.format == maker.__name__.removeprefix("make_")
        assert r.size == gz.stat().st_size
        assert datas(r) == PAYLOADS
        assert r.bytes_read == r.size
        assert r.frames_read == len(PAYLOADS)


def test_truncated_gzip_yields_what_it_holds_then_truncated(tmp_path: Path) -> None:
    plain = make_pcapng(tmp_path / "plain").read_bytes()
    whole = gzip.compress(plain, compresslevel=1)
    path = tmp_path / "cut.gz"
    seen = set()
    for cut in range(20, len(whole) - 8, max(1, len(whole) // 60)):
        path.write_bytes(whole[:cut])
        got: list[bytes] = []
        with pytest.raises(TruncatedCapture, match="gzip stream is cut off") as info:
            with open_capture(path) as r:
                for f in r:
                    assert isinstance(f, RawFrame)
                    got.append(f.data)
        assert got == PAYLOADS[: len(got)]
        assert exit_code_for(info.value) == 5
        seen.add(len(got))
    assert len(seen) > 5  # cuts landed at many different frames


def test_corrupt_gzip(tmp_path: Path) -> None:
    path = tmp_path / "bad.gz"
    good = gzip.compress(make_pcap(tmp_path / "p").read_bytes())
    path.write_bytes(good[:2] + b"\x09" + good[3:])  # unknown compression method
    with pytest.raises(CorruptCapture, match="gzip"):
        open_capture(path)
    path.write_bytes(good[:-8] + bytes([good[-8] ^ 1]) + good[-7:])  # CRC of the data is wrong
    got = []
    with open_capture(path) as r, pytest.raises(CorruptCapture, match="gzip data is corrupt") as info:
        for f in r:
            got.append(f)
    assert len(got) == len(PAYLOADS) and exit_code_for(info.value) == 6


def test_stdin_pipe_in_small_chunks(tmp_path: Path) -> None:
    data = make_pcapng(tmp_path / "p").read_bytes()
    rfd, wfd = os.pipe()

    def feed() -> None:
        with os.fdopen(wfd, "wb", buffering=0) as w:
            for i in range(0, len(data), 7):
                w.write(data[i : i + 7])
                if i % 700 == 0:
                    time.sleep(0.001)

    t = threading.Thread(target=feed)
    t.start()
    with os.fdopen(rfd, "rb") as stdin, open_capture("-", stdin=stdin) as r:
        assert r.size is None and r.format == "pcapng"
        assert datas(r) == PAYLOADS
        assert r.bytes_read == len(data)
    t.join()


def test_stdin_gzip_from_a_subprocess(tmp_path: Path) -> None:
    gz = tmp_path / "c.gz"
    gz.write_bytes(gzip.compress(make_pcap(tmp_path / "p").read_bytes()))
    code = (
        "import sys\n"
        "from v2gsniff.sniffer.capture import open_capture\n"
        "r = open_capture('-')\n"
        "print(r.format, r.gzip, r.size, sum(1 for _ in r))\n"
    )
    with open(gz, "rb") as f:
        cat = subprocess.Popen(["cat"], stdin=f, stdout=subprocess.PIPE)
        out = subprocess.run([sys.executable, "-c", code], stdin=cat.stdout, capture_output=True, check=True)
        cat.wait()
    assert out.stdout.decode().split() == ["pcap", "True", "None", str(len(PAYLOADS))]


def test_frames_arrive_before_the_writer_finishes(tmp_path: Path) -> None:
    """A live pipe: the first frame is readable while the writer is still waiting."""
    rfd, wfd = os.pipe()
    w_file = os.fdopen(wfd, "wb")
    w = PcapngWriter(w_file, line_buffered=True)
    w.write_frame(b"first", 1.0)
    with os.fdopen(rfd, "rb") as stdin:
        r = open_capture("-", stdin=stdin)
        first = next(r)
        assert isinstance(first, RawFrame) and first.data == b"first"
        w.write_frame(b"second", 2.0)
        second = next(r)
        assert isinstance(second, RawFrame) and second.data == b"second"
        w.close()
        w_file.close()
        assert list(r) == []


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'<?xml version="1.0"?>', "not a pcap or pcapng file (starts with 3c 3f 78 6d)"),
        (b"", "not a pcap or pcapng file (is empty)"),
        (b"\xd4\xc3", "not a pcap or pcapng file (is only 2 bytes long (d4 c3))"),
        (
            gzip.compress(b"hello world"),
            "gzip-compressed, not a pcap or pcapng file inside (starts with 68 65 6c 6c)",
        ),
    ],
)
def test_not_a_capture(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "x.pcap"
    path.write_bytes(content)
    with pytest.raises(NotACapture) as info:
        open_capture(path)
    assert str(info.value) == f"{path}: {message}"
    assert exit_code_for(info.value) == 4


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(CaptureNotFound, match="no such file") as info:
        open_capture(tmp_path / "nope.pcapng")
    assert exit_code_for(info.value) == 3
    with pytest.raises(CaptureNotFound, match="is a directory"):
        open_capture(tmp_path)


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read files without read permission")
def test_unreadable_file(tmp_path: Path) -> None:
    path = make_pcap(tmp_path / "p")
    path.chmod(0)
    with pytest.raises(CaptureNotFound, match="permission denied"):
        open_capture(path)


def test_each_error_has_the_readmes_exit_code() -> None:
    """The README's table (3 not found, 4 not a capture, 5 cut off, 6 corrupt), from the one place
    that keeps it; the errors themselves carry no number."""
    errors = (CaptureNotFound("x"), FileNotFoundError("x"), NotACapture("x"), TruncatedCapture("x"),
              CorruptCapture("x"), CaptureError("x"))
    assert [exit_code_for(e) for e in errors] == [3, 3, 4, 5, 6, 6]
    assert not any(hasattr(e, "exit_code") for e in errors)


def test_context_manager_closes_the_file(tmp_path: Path) -> None:
    path = make_pcap(tmp_path / "p")
    before = set(os.listdir("/proc/self/fd"))
    with open_capture(path) as r:
        next(r)
        assert len(set(os.listdir("/proc/self/fd")) - before) == 1
    assert set(os.listdir("/proc/self/fd")) - before == set()


def test_progress_counts_while_reading(tmp_path: Path) -> None:
    path = make_pcap(tmp_path / "p")
    with open_capture(path) as r:
        progress = []
        for _ in r:
            progress.append((r.frames_read, r.bytes_read))
    assert [n for n, _ in progress] == list(range(1, len(PAYLOADS) + 1))
    assert [b for _, b in progress] == sorted(b for _, b in progress)
    assert progress[-1][1] == path.stat().st_size
