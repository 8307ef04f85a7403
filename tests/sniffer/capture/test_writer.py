"""Writers: what they write reads back (with our reader and with tshark)."""

from __future__ import annotations

import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from v2gsniff.sniffer.capture import (
    PcapngWriter,
    PcapWriter,
    RingWriter,
    TruncatedCapture,
    open_capture,
)
from v2gsniff.sniffer.model import LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL, DecryptionSecrets, RawFrame

TSHARK = shutil.which("tshark")
needs_tshark = pytest.mark.skipif(TSHARK is None, reason="tshark is not installed")

ETH = bytes.fromhex("ffffffffffff0200000000018100000a88e1") + bytes(50)
SLL = bytes.fromhex("0001000100060200000000010000") + b"\x86\xdd" + bytes(40)


def warnings(stderr: str) -> list[str]:
    """tshark's stderr without the notice it prints whenever it runs as root."""
    return [line for line in stderr.splitlines() if line.strip() and not line.startswith("Running as user")]


def tshark_epochs(path: Path) -> list[float]:
    """Frame times per tshark; fails on any warning it prints."""
    assert TSHARK is not None
    out = subprocess.run(
        [TSHARK, "-r", str(path), "-T", "fields", "-e", "frame.time_epoch"], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert warnings(out.stderr) == []
    return [float(line) for line in out.stdout.split()]


def items(path: Path) -> list[RawFrame | DecryptionSecrets]:
    with open_capture(path) as r:
        return list(r)


@pytest.mark.parametrize("tsresol", [9, 6, 3])
def test_pcapng_round_trip(tmp_path: Path, tsresol: int) -> None:
    path = tmp_path / "w.pcapng"
    times = [1_700_000_000.123456789, 1_700_000_000.5, 1_700_000_001.000001]
    with PcapngWriter(
        path, interfaces=[(LINKTYPE_ETHERNET, "eth0", 0), (LINKTYPE_LINUX_SLL, "any", 64)], tsresol=tsresol
    ) as w:
        w.write_frame(ETH, times[0])
        w.write_frame(SLL + bytes(100), times[1], interface=1)
        w.write_frame(ETH[:30], times[2], orig_len=1514)
    got = items(path)
    assert [(f.index, f.interface, f.linktype) for f in got] == [(1, 0, 1), (2, 1, 113), (3, 0, 1)]  # type: ignore[union-attr]
    assert [f.data for f in got] == [ETH, (SLL + bytes(100))[:64], ETH[:30]]  # type: ignore[union-attr]
    assert [f.orig_len for f in got] == [len(ETH), len(SLL) + 100, 1514]  # type: ignore[union-attr]
    for f, t in zip(got, times, strict=True):
        assert f.time == pytest.approx(t, abs=10**-tsresol)  # type: ignore[union-attr]
    if TSHARK:
        assert tshark_epochs(path) == pytest.approx([f.time for f in got], abs=1e-9)  # type: ignore[union-attr]


def test_secrets_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "s.pcapng"
    keys = b"CLIENT_RANDOM 00112233 445566\n"
    with PcapngWriter(path) as w:
        w.write_frame(ETH, 1.0)
        w.write_secrets(keys)
        w.write_frame(ETH, 2.0)
    got = items(path)
    assert got[1] == DecryptionSecrets(0x544C534B, keys, 1)
    if TSHARK:
        assert len(tshark_epochs(path)) == 2


@needs_tshark
def test_tshark_sees_the_secrets(tmp_path: Path) -> None:
    assert TSHARK is not None
    path = tmp_path / "s.pcapng"
    with PcapngWriter(path) as w:
        w.write_secrets(b"CLIENT_RANDOM " + b"ab" * 32 + b" " + b"cd" * 48 + b"\n")
        w.write_frame(ETH, 1.0)
    out = subprocess.run([TSHARK, "-r", str(path), "-Q", "-z", "io,stat,0"], capture_output=True, text=True)
    assert out.returncode == 0 and warnings(out.stderr) == []
    # editcap lists secrets blocks it would discard; its presence proves tshark parsed the DSB
    editcap = shutil.which("editcap")
    if editcap:
        out = subprocess.run(
            [editcap, "--discard-all-secrets", str(path), str(tmp_path / "no.pcapng")],
            capture_output=True,
            text=True,
        )
        assert out.returncode == 0
        assert (tmp_path / "no.pcapng").stat().st_size < path.stat().st_size


def test_killed_writer_leaves_a_readable_file(tmp_path: Path) -> None:
    path = tmp_path / "live.pcapng"
    code = (
        "import sys, time\n"
        "from v2gsniff.sniffer.capture import PcapngWriter\n"
        "w = PcapngWriter(sys.argv[1], line_buffered=True)\n"
        "for i in range(20):\n"
        "    w.write_frame(bytes([i]) * 100, 1.0 + i)\n"
        "print('ready', flush=True)\n"
        "time.sleep(60)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code, str(path)], stdout=subprocess.PIPE)
    try:
        assert proc.stdout is not None and proc.stdout.readline() == b"ready\n"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    got = items(path)  # no TruncatedCapture: every block went out whole
    assert [f.data for f in got] == [bytes([i]) * 100 for i in range(20)]  # type: ignore[union-attr]
    if TSHARK:
        assert len(tshark_epochs(path)) == 20


def test_unflushed_tail_is_reported_as_truncated(tmp_path: Path) -> None:
    path = tmp_path / "w.pcapng"
    w = PcapngWriter(path)
    w.write_frame(ETH, 1.0)
    w.flush()
    whole = path.read_bytes()
    path.write_bytes(whole[:-10])
    with pytest.raises(TruncatedCapture, match="inside frame 1"):
        items(path)
    w.close()


def test_ring_rotates_and_keeps_n_valid_files(tmp_path: Path) -> None:
    keys = b"CLIENT_RANDOM aa bb\n"
    ring = RingWriter(tmp_path / "ring.pcapng", files=3, max_bytes=2000)
    ring.write_secrets(keys)
    for i in range(100):
        ring.write_frame(bytes([i]) * 100, 1000.0 + i)
    ring.close()
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [p.name for p in ring.paths]
    assert len(names) == 3 and names[-1] == f"ring_{ring.number:05d}.pcapng" and ring.number > 3
    total = []
    for p in ring.paths:
        assert p.stat().st_size <= 2000
        got = items(p)
        assert got[0] == DecryptionSecrets(0x544C534B, keys, 0)
        frames = [f for f in got if isinstance(f, RawFrame)]
        assert frames and [f.index for f in frames] == list(range(1, len(frames) + 1))
        total += [f.data[0] for f in frames]
        if TSHARK:
            assert len(tshark_epochs(p)) == len(frames)
    assert total == list(range(100 - len(total), 100))  # the newest frames, in order


def test_ring_with_unlimited_files(tmp_path: Path) -> None:
    with RingWriter(tmp_path / "all", files=0, max_bytes=1000) as ring:
        for i in range(30):
            ring.write_frame(bytes(200), float(i))
    assert len(list(tmp_path.iterdir())) == ring.number > 1
    assert sum(len(items(p)) for p in ring.paths) == 30
    assert ring.paths[0].name == "all_00001.pcapng"


def test_private_files_are_their_owners_alone(tmp_path: Path) -> None:
    """Files that hold secrets (live --embed-keys) are 0600 from the start, whatever the umask,
    and also when an older file of the same name was readable by others."""
    old_mask = os.umask(0)
    try:
        (tmp_path / "one.pcapng").write_bytes(b"older")
        (tmp_path / "one.pcapng").chmod(0o666)
        with PcapngWriter(tmp_path / "one.pcapng", private=True) as w:
            w.write_secrets(b"CLIENT_RANDOM aa bb\n")
        with RingWriter(tmp_path / "ring.pcapng", files=0, max_bytes=1000, private=True) as ring:
            for i in range(30):
                ring.write_frame(bytes(200), float(i))
        with PcapngWriter(tmp_path / "plain.pcapng"):
            pass
    finally:
        os.umask(old_mask)
    assert len(ring.paths) > 1
    for p in [tmp_path / "one.pcapng", *ring.paths]:
        assert stat.S_IMODE(p.stat().st_mode) == 0o600, p
    assert stat.S_IMODE((tmp_path / "plain.pcapng").stat().st_mode) == 0o666  # umask 0: as asked


@pytest.mark.parametrize("order", ["<", ">"])
@pytest.mark.parametrize("nano", [False, True])
def test_pcap_writer_round_trip(tmp_path: Path, order: str, nano: bool) -> None:
    path = tmp_path / "w.pcap"
    with PcapWriter(path, nanosecond=nano, byteorder=order, snaplen=40) as w:
        w.write_frame(ETH, 1_700_000_000.25)
        w.write_frame(ETH[:20], 1_700_000_000.999999999)
    with open_capture(path) as r:
        got = list(r)
        assert r.format == "pcap" and r.linktypes == {0: 1}
    assert [f.data for f in got] == [ETH[:40], ETH[:20]]  # type: ignore[union-attr]
    assert [f.orig_len for f in got] == [len(ETH), 20]  # type: ignore[union-attr]
    assert got[0].time == 1_700_000_000.25  # type: ignore[union-attr]
    if TSHARK:
        assert tshark_epochs(path) == pytest.approx([f.time for f in got], abs=1e-6)  # type: ignore[union-attr]


def test_writer_leaves_a_given_file_object_open(tmp_path: Path) -> None:
    with open(tmp_path / "f.pcapng", "wb") as f:
        w = PcapngWriter(f)
        w.write_frame(ETH, time.time())
        w.close()
        assert not f.closed
    assert len(items(tmp_path / "f.pcapng")) == 1
