"""Live path throughput and latency: ``v2gsniff live IFACE --no-tui --format jsonl`` on a veth pair.

    sudo python benchmarks/live_bench.py [--seconds 3] [--rates 10000,20000,30000,40000]

Makes two network namespaces joined by a veth pair (removed at the end), runs the live
command on one end with output to /dev/null, and sends from the other end with an AF_PACKET
socket at fixed rates:

1. ``small``: HomePlug SLAC frames and IPv6 SDP/ICMPv6 frames (what a charger's PLC interface
   carries outside the V2G conversation) -- frames/s captured and decoded with no kernel drops;
2. ``session``: the frames of a real charging session (../shared), each pass a new TCP
   connection, so every EXI message is decoded -- the decoder's own speed sets this ceiling;
3. latency: 200 SLAC frames at 50/s; the time from ``send`` to the record's line on stdout.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CAPTURE = ROOT.parent / "shared" / "captures" / "real" / "ccs32__2023-04-05_wt32_alpi_first_charge.pcapng"
LIVE = "from v2gsniff.sniffer.commands.live import live; live(prog_name='v2gsniff live')"
# Capture only (no decoding): LiveCapture counting frames until SIGINT.
COUNT = r"""
import sys
from v2gsniff.sniffer.capture.live import LinkEvent, open_live
cap = open_live("se0", backend="afpacket")
print("capturing on se0", file=sys.stderr, flush=True)
n = 0
for item in cap:
    if not isinstance(item, LinkEvent):
        n += 1
print(f"x {n} frames, 0 records, {cap.dropped} dropped", file=sys.stderr)
"""

SENDER = r"""
import socket, sys, time, pickle
frames = pickle.load(open(sys.argv[2], "rb"))
rate, seconds = float(sys.argv[3]), float(sys.argv[4])
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 8 << 20)
s.bind((sys.argv[1], 0))
total = int(rate * seconds) if seconds else len(frames)
start, sent, n = time.monotonic(), [], len(frames)
stamps = seconds == 0
for i in range(total):
    due = start + i / rate
    while True:
        now = time.monotonic()
        if now >= due:
            break
        if due - now > 0.001:
            time.sleep(due - now - 0.0005)
    s.send(frames[i % n])
    if stamps:
        sent.append(time.monotonic())
print(total, time.monotonic() - start)
if stamps:
    print(" ".join(f"{t:.6f}" for t in sent))
"""


def sh(*cmd: str) -> None:
    subprocess.run(cmd, check=True, capture_output=True)


def slac_frame(i: int) -> bytes:
    run_id = i.to_bytes(8, "big")
    return bytes.fromhex("ffffffffffff020000000001" "88e1" "01" "6460" "0000" "00" "00") + b"\x00\x00" + run_id + b"\0" * 20


def small_frames() -> list[bytes]:
    frames = [slac_frame(i) for i in range(100)]
    mac = bytes.fromhex("333300000001020000000001") + b"\x86\xdd"
    src = bytes.fromhex("fe800000000000000000000000000001")
    dst = bytes.fromhex("ff020000000000000000000000000001")
    sdp = bytes.fromhex("01fe9000000000021000")
    udp = (50000).to_bytes(2, "big") + (15118).to_bytes(2, "big") + (8 + len(sdp)).to_bytes(2, "big") + b"\0\0" + sdp
    ip = bytes.fromhex("60000000") + len(udp).to_bytes(2, "big") + b"\x11\xff" + src + dst
    frames += [mac + ip + udp] * 50
    icmp = bytes.fromhex("87000000") + b"\0" * 4 + src
    ip = bytes.fromhex("60000000") + len(icmp).to_bytes(2, "big") + b"\x3a\xff" + src + dst
    frames += [mac + ip + icmp] * 50
    return frames


def session_frames(copies: int = 40) -> list[bytes]:
    """The real session's IPv6/HomePlug frames, repeated; each copy's EV port differs (a new TCP connection)."""
    sys.path.insert(0, str(ROOT))
    from v2gsniff.sniffer.capture import open_capture
    from v2gsniff.sniffer.model import RawFrame

    base = [f.data for f in open_capture(CAPTURE) if isinstance(f, RawFrame) and f.data[12:14] in (b"\x88\xe1", b"\x86\xdd")]
    out = []
    for k in range(copies):
        for data in base:
            if data[12:14] == b"\x86\xdd" and data[20] == 6:
                ports = [int.from_bytes(data[54 + j:56 + j], "big") for j in (0, 2)]
                new = [p if p < 49152 else 49152 + (p - 49152 + 97 * k) % 16000 for p in ports]
                data = data[:54] + new[0].to_bytes(2, "big") + new[1].to_bytes(2, "big") + data[58:]
            out.append(data)
    return out


class Bench:
    def __init__(self) -> None:
        tag = uuid.uuid4().hex[:6]
        self.ev, self.se = f"v2gb-ev-{tag}", f"v2gb-se-{tag}"

    def __enter__(self) -> Bench:
        for ns in (self.ev, self.se):
            sh("ip", "netns", "add", ns)
            sh("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1",
               "net.ipv6.conf.default.disable_ipv6=1")
        sh("ip", "-n", self.ev, "link", "add", "ev0", "type", "veth", "peer", "name", "se0", "netns", self.se)
        sh("ip", "-n", self.ev, "link", "set", "ev0", "up")
        sh("ip", "-n", self.se, "link", "set", "se0", "up")
        time.sleep(0.5)
        return self

    def __exit__(self, *exc: object) -> None:
        for ns in (self.ev, self.se):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)

    def start_live(self, stdout: int | None, capture_only: bool = False) -> subprocess.Popen[bytes]:
        args = ["-c", COUNT] if capture_only else ["-c", LIVE, "se0", "--no-tui", "--format", "jsonl"]
        proc = subprocess.Popen(["ip", "netns", "exec", self.se, sys.executable, *args],
                                stdout=stdout, stderr=subprocess.PIPE)
        assert proc.stderr is not None
        line = proc.stderr.readline().decode()
        assert "capturing on" in line, line
        return proc

    def send(self, frames_file: str, rate: float, seconds: float) -> list[str]:
        out = subprocess.run(["ip", "netns", "exec", self.ev, sys.executable, "-c", SENDER, "ev0", frames_file,
                              str(rate), str(seconds)], check=True, capture_output=True, text=True)
        return out.stdout.splitlines()


def stop(proc: subprocess.Popen[bytes]) -> str:
    proc.send_signal(2)
    _, err = proc.communicate(timeout=120)
    return err.decode()


def throughput(bench: Bench, frames: list[bytes], rates: list[int], seconds: float, label: str,
               capture_only: bool = False) -> None:
    import pickle

    path = f"/tmp/live_bench_{os.getpid()}_{label}.pkl"
    with open(path, "wb") as fh:
        pickle.dump(frames, fh)
    best = 0
    for rate in rates:
        proc = bench.start_live(subprocess.DEVNULL, capture_only)
        sent_line = bench.send(path, rate, seconds)[0].split()
        sent, took = int(sent_line[0]), float(sent_line[1])
        t0 = time.monotonic()
        time.sleep(1.0)  # what is still queued after this is a backlog the live path did not keep up with
        err = stop(proc)
        summary = [line for line in err.splitlines() if " frames, " in line][-1]
        words = summary.split()
        captured, dropped = int(words[1]), int(words[5])
        ok = captured == sent and dropped == 0
        best = rate if ok and took < seconds * 1.1 else best
        print(f"  {label:8s} offered {sent / took:9.0f} frames/s ({sent} in {took:.2f} s): captured {captured}, "
              f"kernel drops {dropped}, stop after {time.monotonic() - t0:.1f} s -> {'OK' if ok else 'LOSS'}")
    os.unlink(path)
    print(f"  {label}: highest rate with every frame captured and decoded: {best} frames/s")


def latency(bench: Bench, n: int = 200, rate: float = 50.0) -> None:
    import pickle
    import threading

    path = f"/tmp/live_bench_{os.getpid()}_lat.pkl"
    with open(path, "wb") as fh:
        pickle.dump([slac_frame(i) for i in range(n)], fh)
    proc = bench.start_live(subprocess.PIPE)
    arrivals: list[float] = []

    def read() -> None:
        assert proc.stdout is not None
        for _ in proc.stdout:
            arrivals.append(time.monotonic())

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    lines = bench.send(path, rate, 0)  # seconds=0: every frame once, with its send time (CLOCK_MONOTONIC)
    os.unlink(path)
    time.sleep(0.5)
    stop(proc)
    reader.join(timeout=5)
    sent = [float(t) for t in lines[1].split()]
    if len(arrivals) < n:
        print(f"  only {len(arrivals)} of {n} records arrived")
        return
    delays = sorted((a - t) * 1000 for a, t in zip(arrivals, sent, strict=False))
    print(f"  {n} frames at {rate:.0f}/s: median {statistics.median(delays):.2f} ms, "
          f"p99 {delays[int(n * 0.99) - 1]:.2f} ms, max {delays[-1]:.2f} ms")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--capture-rates", default="20000,50000,100000")
    ap.add_argument("--rates", default="1000,2000,3000,4000")
    ap.add_argument("--session-rates", default="1000,2000,3000")
    args = ap.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("needs root (network namespaces, veth, raw sockets)")
    with Bench() as bench:
        print("throughput, capture only (LiveCapture, AF_PACKET, no decoding):")
        throughput(bench, small_frames(), [int(r) for r in args.capture_rates.split(",")], args.seconds, "capture",
                   capture_only=True)
        print("throughput (capture + decode + JSONL to /dev/null):")
        throughput(bench, small_frames(), [int(r) for r in args.rates.split(",")], args.seconds, "small")
        if CAPTURE.exists():
            throughput(bench, session_frames(), [int(r) for r in args.session_rates.split(",")], args.seconds,
                       "session")
        print("latency (frame sent -> its JSONL line read from the pipe):")
        latency(bench)


if __name__ == "__main__":
    main()
