"""Live capture on a real veth pair in network namespaces made for the test.

A real capture is replayed into one end with an AF_PACKET socket; ``v2gsniff live`` runs on
the other end inside its namespace, started as root with ``--user nobody``: it decodes as
nobody and only its socket helper may open raw sockets (tests/sniffer/capture/test_privsep.py
looks at the processes). Needs root and ``ip``; skipped with the reason otherwise.
"""

from __future__ import annotations

import json
import os
import pwd
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REAL, end_process
from v2gsniff.sniffer.capture import PcapngWriter, open_capture
from v2gsniff.sniffer.capture.live import LinkEvent, LiveCaptureError, open_live
from v2gsniff.sniffer.capture.live_afpacket import _bpf
from v2gsniff.sniffer.model import RawFrame

CAPTURE = REAL / "ccs32__2023-04-05_wt32_alpi_first_charge.pcapng"
LIVE = "from v2gsniff.sniffer.commands.live import live; live(prog_name='v2gsniff live')"
DECODE = "from v2gsniff.sniffer.commands.decode import decode; decode(prog_name='v2gsniff decode')"

# Replays frames of a capture with an AF_PACKET socket: argv = iface, capture, speed (0 = flat out).
SENDER = r"""
import socket, sys, time
from v2gsniff.sniffer.capture import open_capture
iface, path, speed = sys.argv[1], sys.argv[2], float(sys.argv[3])
frames = [f for f in open_capture(path) if f.data[12:14] in (b"\x88\xe1", b"\x86\xdd")]
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((iface, 0))
t0, start = frames[0].time, time.monotonic()
for f in frames:
    if speed:
        delay = (f.time - t0) / speed - (time.monotonic() - start)
        if delay > 0:
            time.sleep(delay)
    s.send(f.data)
print(len(frames))
"""


def _run(*cmd: str) -> None:
    subprocess.run(cmd, check=True, capture_output=True)


NOBODY = "nobody"


def nobody_ids() -> tuple[int, int]:
    try:
        pw = pwd.getpwnam(NOBODY)
    except KeyError:
        pytest.skip("there is no user 'nobody' to decode as")
    return pw.pw_uid, pw.pw_gid


def _hidden_parent(path: str) -> str | None:
    """The first directory above ``path`` that other users cannot enter (like /root, 0700)."""
    parts = Path(path).resolve().parts
    for i in range(2, len(parts)):
        d = Path(*parts[:i])
        if not d.stat().st_mode & 0o001:
            return str(d)
    return None


def reachable_by_nobody(cmd: list[str], stash: Path) -> list[str]:
    """``cmd`` in a mount namespace of its own where nobody can read this Python.

    Once it has dropped to nobody, v2gsniff still imports modules on demand; when this
    interpreter sits under a directory others cannot enter (a pyenv under /root), a
    world-readable tmpfs is laid over that directory in the new namespace with the interpreter
    bound back in. Nothing changes outside the namespace.
    """
    prefix = os.path.realpath(sys.base_prefix)
    hidden = _hidden_parent(prefix)
    if hidden is None:
        return cmd
    script = (f'mkdir -p "$0" && mount --bind "{prefix}" "$0" && mount -t tmpfs -o mode=0755 none "{hidden}" '
              f'&& mkdir -p "{prefix}" && mount --bind "$0" "{prefix}" && exec "$@"')
    return ["unshare", "-m", "--propagation", "slave", "sh", "-c", script, str(stash), *cmd]


def nobody_dir() -> Path:
    """A directory the decoding user (nobody) may write into, outside pytest's root-only tree."""
    import tempfile

    uid, gid = nobody_ids()
    d = Path(tempfile.mkdtemp(prefix="v2gsniff-live-"))
    os.chown(d, uid, gid)
    return d


class Veth:
    """Two namespaces joined by a veth pair: ``ev0`` in ``ev``, ``se0`` in ``se``; IPv6 off so
    neither kernel adds frames of its own."""

    def __init__(self) -> None:
        tag = uuid.uuid4().hex[:6]
        self.ev, self.se = f"v2gt-ev-{tag}", f"v2gt-se-{tag}"
        self.made: list[str] = []

    def setup(self) -> None:
        for ns in (self.ev, self.se):
            _run("ip", "netns", "add", ns)
            self.made.append(ns)
            _run("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1",
                 "net.ipv6.conf.default.disable_ipv6=1")
        self.add_link()

    def add_link(self) -> None:
        _run("ip", "-n", self.ev, "link", "add", "ev0", "type", "veth", "peer", "name", "se0", "netns", self.se)
        _run("ip", "-n", self.ev, "link", "set", "ev0", "up")
        _run("ip", "-n", self.se, "link", "set", "se0", "up")
        self.wait_up()

    def wait_up(self) -> None:
        """Both ends up with carrier: a frame sent before the sender's end has it is dropped."""
        deadline = time.monotonic() + 5
        for ns, dev in ((self.se, "se0"), (self.ev, "ev0")):
            while "state UP" not in subprocess.run(["ip", "-n", ns, "link", "show", dev],
                                                   capture_output=True, text=True).stdout:
                assert time.monotonic() < deadline, f"{dev} did not come up"
                time.sleep(0.02)

    def cleanup(self) -> None:
        for ns in self.made:
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)

    def in_se(self, *cmd: str) -> list[str]:
        return ["ip", "netns", "exec", self.se, *cmd]

    def send(self, path: Path, speed: float) -> int:
        out = subprocess.run(["ip", "netns", "exec", self.ev, sys.executable, "-c", SENDER, "ev0", str(path),
                              str(speed)], check=True, capture_output=True, text=True, timeout=120)
        return int(out.stdout)


@pytest.fixture
def veth() -> Iterator[Veth]:
    if os.geteuid() != 0:
        pytest.skip("creating network namespaces and veth pairs needs root")
    if shutil.which("ip") is None:
        pytest.skip("the ip command (iproute2) is not installed")
    v = Veth()
    try:
        v.setup()
    except (subprocess.CalledProcessError, OSError) as err:
        v.cleanup()
        pytest.skip(f"network namespaces/veth are not permitted here: {err}")
    try:
        yield v
    finally:
        v.cleanup()


def _need_capture() -> None:
    if not CAPTURE.exists():
        pytest.skip("../shared/captures/real is absent (the real captures live beside the repository)")


class LiveRun:
    """``v2gsniff live se0 --user nobody ...`` started as root inside the capture namespace;
    ``workdir`` (its current directory, where relative --write paths go) belongs to nobody."""

    def __init__(self, veth: Veth, tmp: Path, *args: str) -> None:
        self.out, self.err = tmp / "live.out", tmp / "live.err"
        self.workdir = nobody_dir()
        self._out, self._err = open(self.out, "wb"), open(self.err, "wb")
        cmd = veth.in_se(*reachable_by_nobody([sys.executable, "-c", LIVE, "se0", "--user", NOBODY, *args],
                                              tmp / "python-stash"))
        self.proc = subprocess.Popen(cmd, stdout=self._out, stderr=self._err, cwd=self.workdir,
                                     env={k: v for k, v in os.environ.items() if k not in ("SUDO_UID", "SUDO_GID")})
        self.wait_for("capturing on se0")

    def stderr(self) -> str:
        return self.err.read_text()

    def wait_for(self, text: str, timeout: float = 15, count: int = 1) -> None:
        deadline = time.monotonic() + timeout
        while self.stderr().count(text) < count:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise AssertionError(f"no {text!r} from v2gsniff live; stderr:\n{self.stderr()}")
            time.sleep(0.05)

    def lines(self) -> list[dict[str, object]]:
        return [json.loads(line) for line in self.out.read_text().splitlines() if line.strip()]

    def wait_lines(self, n: int, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while len(self.out.read_text().splitlines()) < n and time.monotonic() < deadline:
            time.sleep(0.05)

    def stop(self, sig: int = signal.SIGINT) -> int:
        try:
            return end_process(self.proc, sig)
        finally:
            self._out.close()
            self._err.close()

    def cleanup(self) -> None:
        if self.proc.poll() is None:
            self.stop(signal.SIGKILL)
        shutil.rmtree(self.workdir, ignore_errors=True)


@pytest.fixture
def live_runs() -> Iterator[list[LiveRun]]:
    """Every LiveRun a test starts ends with it (killed if still running, its directory removed)."""
    runs: list[LiveRun] = []
    yield runs
    for run in runs:
        run.cleanup()


def _filtered_copy(tmp: Path) -> tuple[Path, list[RawFrame]]:
    """The capture without the frames live capture filters out (IPv4 here), renumbered."""
    frames = [f for f in open_capture(CAPTURE) if isinstance(f, RawFrame) and f.data[12:14] in (b"\x88\xe1", b"\x86\xdd")]
    path = tmp / "expected.pcapng"
    with PcapngWriter(path) as w:
        for f in frames:
            w.write_frame(f.data, f.time, orig_len=f.orig_len)
    return path, frames


def _without_time(rows: list[dict[str, object]]) -> list[dict[str, object]]:
    return [{k: v for k, v in row.items() if k != "time"} for row in rows]


@pytest.mark.parametrize("speed", [25.0, 0.0], ids=["paced-x25", "flat-out"])
def test_replayed_session_is_captured_written_and_decoded(veth: Veth, tmp_path: Path, speed: float,
                                                          live_runs: list[LiveRun]) -> None:
    _need_capture()
    expected_path, expected = _filtered_copy(tmp_path)
    run = LiveRun(veth, tmp_path, "--no-tui", "--format", "jsonl", "--write", "out.pcapng")
    live_runs.append(run)
    sent = veth.send(CAPTURE, speed)
    decoded = subprocess.run([sys.executable, "-c", DECODE, "--format", "jsonl", str(expected_path)],
                             check=True, capture_output=True, text=True).stdout
    want = [json.loads(line) for line in decoded.splitlines()]
    # Records of connections still open appear only at the end (finish), like decode's.
    run.wait_lines(len(want) - 10)
    assert run.stop() == 0, run.stderr()
    assert sent == len(expected) == 1407
    written = run.workdir / "out.pcapng"
    assert (written.stat().st_uid, written.stat().st_gid) == nobody_ids()  # the decoding user's file
    got_frames = [f for f in open_capture(written) if isinstance(f, RawFrame)]
    assert len(got_frames) == sent, run.stderr()
    assert [f.data for f in got_frames] == [f.data for f in expected]
    assert [f.orig_len for f in got_frames] == [len(f.data) for f in expected]
    assert _without_time(run.lines()) == _without_time(want)
    assert f"{sent} frames" in run.stderr() and "0 dropped by the kernel" in run.stderr()


def test_interface_down_and_up_mid_capture(veth: Veth, tmp_path: Path, live_runs: list[LiveRun]) -> None:
    _need_capture()
    run = LiveRun(veth, tmp_path, "--no-tui", "--format", "jsonl", "--write", "out.pcapng")
    live_runs.append(run)
    first = veth.send(CAPTURE, 0)
    run.wait_lines(800)
    _run("ip", "-n", veth.se, "link", "set", "se0", "down")
    run.wait_for("waiting for it to come back")  # from the socket's ENETDOWN or the state poll
    _run("ip", "-n", veth.se, "link", "set", "se0", "up")
    run.wait_for("se0 is up again")
    assert "se0 is up again" not in run.stderr().split("waiting for it to come back")[0]
    veth.wait_up()
    second = veth.send(CAPTURE, 0)
    run.wait_lines(1600)
    assert run.stop() == 0
    frames = [f for f in open_capture(run.workdir / "out.pcapng") if isinstance(f, RawFrame)]
    assert len(frames) == first + second
    assert frames[-1].index == first + second
    err = run.stderr()
    assert err.index("waiting for it to come back") < err.index("is up again")


class _Lines:
    """JSON lines of a subprocess, read in a thread so waiting can time out."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self._queue: queue.Queue[str] = queue.Queue()
        self._proc = proc
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self._proc.stdout is not None
        for line in self._proc.stdout:
            self._queue.put(line)
        self._queue.put("")

    def next(self, backend: str, rows: list[dict[str, object]]) -> dict[str, object]:
        try:
            line = self._queue.get(timeout=15)
        except queue.Empty:
            self._proc.kill()
            raise AssertionError(f"{backend}: nothing more after {rows[-3:]} ({len(rows)} rows)") from None
        assert line, f"{backend}: capture ended early"
        return dict(json.loads(line))


def test_api_reopens_when_the_interface_is_recreated(veth: Veth, tmp_path: Path) -> None:
    """The interface disappears and comes back as a new device (new ifindex): new socket, same numbering.

    With afpacket the process runs as nobody and each new socket comes from the privileged helper."""
    _need_capture()
    script = r"""
import json, os, sys, threading
from v2gsniff.sniffer.capture.live import LinkEvent, open_live
from v2gsniff.sniffer.capture.privsep import separate
opener = separate("se0", user="nobody", allow_root=False).opener if sys.argv[1] == "afpacket" else None
cap = open_live("se0", backend=sys.argv[1], raw_socket=opener)
print("ready", cap.backend, os.getuid(), flush=True)
for item in cap:
    if isinstance(item, LinkEvent):
        print(json.dumps({"event": item.kind, "message": item.message}), flush=True)
    else:
        print(json.dumps({"frame": item.index, "len": len(item.data)}), flush=True)
"""
    for backend in ("afpacket", "dumpcap"):
        if backend == "dumpcap" and shutil.which("dumpcap") is None:
            continue
        cmd = [sys.executable, "-c", script, backend]
        if backend == "afpacket":
            cmd = reachable_by_nobody(cmd, tmp_path / "stash")
        proc = subprocess.Popen(veth.in_se(*cmd), stdout=subprocess.PIPE, text=True)
        try:
            _recreated_mid_capture(veth, proc, backend)
        finally:
            end_process(proc, timeout=10)


def _recreated_mid_capture(veth: Veth, proc: subprocess.Popen[str], backend: str) -> None:
    assert proc.stdout is not None
    ready = proc.stdout.readline().split()
    assert ready[:2] == ["ready", backend]
    if backend == "afpacket":
        assert int(ready[2]) == nobody_ids()[0]
    n1 = veth.send(CAPTURE, 0)
    if backend == "dumpcap":
        # libpcap in dumpcap holds frames in a ring block for up to ~250 ms (no immediate
        # mode); a device that vanishes before the block is handed over takes them along.
        time.sleep(1.0)
    _run("ip", "-n", veth.ev, "link", "del", "ev0")
    time.sleep(0.6)
    veth.add_link()
    lines = _Lines(proc)
    rows: list[dict[str, object]] = []

    while not any(r.get("event") == "up" for r in rows):
        rows.append(lines.next(backend, rows))
    time.sleep(1.5 if backend == "dumpcap" else 0.3)  # dumpcap restarts before 'up'; let it settle
    n2 = veth.send(CAPTURE, 0)
    while sum(1 for r in rows if "frame" in r) < n1 + n2:
        rows.append(lines.next(backend, rows))
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=10)
    events = [r["event"] for r in rows if "event" in r]
    assert events == ["down", "up"], (backend, rows[-5:])
    numbers = [r["frame"] for r in rows if "frame" in r]
    assert numbers == list(range(1, n1 + n2 + 1)), backend


def test_open_live_errors_are_one_sentence() -> None:
    with pytest.raises(LiveCaptureError) as info:
        open_live("no-such-if0")
    text = str(info.value)
    assert text.startswith("cannot open no-such-if0: there is no such network interface")
    assert "\n" not in text
    with pytest.raises(ValueError):
        open_live("lo", backend="pcap")


def test_bpf_program_accepts_homeplug_and_ipv6_only() -> None:
    """Runs the classic BPF program on sample frames (a tiny interpreter for its 3 opcodes)."""

    def accepts(frame: bytes) -> bool:
        prog, pc, acc = _bpf(65535), 0, 0
        while True:
            code, jt, jf, k = prog[pc]
            if code == 0x28:
                acc = int.from_bytes(frame[k:k + 2], "big") if k + 2 <= len(frame) else -1
                pc += 1
            elif code == 0x15:
                pc += 1 + (jt if acc == k else jf)
            else:
                return k > 0

    mac = b"\xff" * 6 + b"\x02" * 6
    assert accepts(mac + b"\x88\xe1" + b"\0" * 46)
    assert accepts(mac + b"\x86\xdd" + b"\0" * 46)
    assert accepts(mac + b"\x81\x00\x00\x05\x88\xe1" + b"\0" * 42)
    assert accepts(mac + b"\x81\x00\x00\x05\x86\xdd" + b"\0" * 42)
    assert not accepts(mac + b"\x08\x00" + b"\0" * 46)
    assert not accepts(mac + b"\x81\x00\x00\x05\x08\x06" + b"\0" * 42)
    assert not accepts(mac + b"\x08\x06" + b"\0" * 46)


def test_link_event_is_a_frozen_record() -> None:
    ev = LinkEvent("drops", 1.0, "the kernel dropped 3 frames", 3)
    assert ev.dropped == 3
    with pytest.raises(AttributeError):
        ev.kind = "up"  # type: ignore[misc]
