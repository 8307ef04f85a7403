"""Decode throughput and peak memory of ``v2gsniff decode --format jsonl``, next to tshark.

    python benchmarks/decode_bench.py [--shared ../shared] [--big-gb 1.0] [--runs 3]

1. The largest real captures in ../shared/captures/real: wall time of the whole command
   (start-up included), frames/s, peak RSS; and ``tshark -r FILE`` on the same file when
   tshark is installed.
Both tools run alternately, ``--runs`` times each, after one warm-up run; the medians are
shown. v2gsniff runs as an installed program does: with its bytecode cached (this benchmark
drops PYTHONDONTWRITEBYTECODE, which would make Python recompile every module at each start).

With ``--installed`` the tree is first installed as users install it (``pip install .``, into a
new virtual environment): an editable install's import hook costs every start-up a few ms.

2. A capture of about ``--big-gb`` GB built in /tmp by repeating the frames of a real
   capture (timestamps shifted, every copy a new TCP connection): peak RSS must stay flat.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _v2gsniff(exe: str | None = None) -> list[str]:
    exe = exe or shutil.which("v2gsniff", path=str(Path(sys.executable).parent))
    return [exe] if exe else [sys.executable, "-m", "v2gsniff.sniffer"]


ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _python_of(exe: str | None) -> str:
    """Version and path of the Python that runs the timed v2gsniff."""
    script = exe or shutil.which("v2gsniff", path=str(Path(sys.executable).parent))
    python = sys.executable
    if script:
        first = Path(script).read_bytes()[:200].split(b"\n")[0]
        if first.startswith(b"#!"):
            python = first[2:].decode().strip()
    code = "import os, sys; print(sys.version.split()[0], os.path.realpath(sys.executable))"
    return subprocess.run([python, "-c", code], capture_output=True, text=True).stdout.strip()


def run(cmd: list[str]) -> tuple[float, int, float]:
    """Wall seconds, peak RSS (KiB) and CPU seconds of a command whose output is discarded.

    CPU time (user + system) is shown beside wall time: it is far less disturbed by other
    work on a shared machine.
    """
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) not in (0, 5):
        raise SystemExit(f"{cmd} failed with {status}")
    return wall, usage.ru_maxrss, usage.ru_utime + usage.ru_stime


def frame_count(path: Path) -> int:
    from v2gsniff.sniffer.capture import open_capture
    from v2gsniff.sniffer.model import RawFrame

    with open_capture(path) as reader:
        return sum(1 for x in reader if isinstance(x, RawFrame))


def build_big(source: Path, target: Path, size: int) -> int:
    """Repeat ``source``'s frames into a pcap of about ``size`` bytes; returns frames written."""
    from v2gsniff.sniffer.capture import open_capture
    from v2gsniff.sniffer.capture.writer import PcapWriter
    from v2gsniff.sniffer.model import RawFrame

    with open_capture(source) as reader:
        frames = [f for f in reader if isinstance(f, RawFrame)]
    span = frames[-1].time - frames[0].time + 1.0
    written = 0
    with PcapWriter(target) as w:
        copy = 0
        while target.stat().st_size < size:
            shift = copy * span
            for f in frames:
                w.write_frame(f.data, f.time + shift)
            written += len(frames)
            copy += 1
            w.flush()
    return written


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--big-gb", type=float, default=1.0)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--top", type=int, default=4)
    ap.add_argument("--exe", help="the v2gsniff to time (default: the one beside this Python); e.g. one "
                                  "installed from the wheel, without the editable install's import hook")
    ap.add_argument("--installed", action="store_true",
                    help="time this tree installed as users install it (pip install ., no editable import hook) "
                         "into a new virtual environment of this Python")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as venv:
        if args.installed:
            args.exe = install(Path(venv))
        bench(args)


def install(venv: Path) -> str:
    """A regular installation of this tree in a new virtual environment; its ``v2gsniff``."""
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    with tempfile.TemporaryDirectory() as tmp:
        # from a copy: pip builds in the source tree (build/, *.egg-info), which must stay as it is
        source = Path(tmp) / "v2gsniff"
        shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(".git", ".venv*", "build", "*.egg-info",
                                                                   "__pycache__", ".*_cache"))
        done = subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "--no-cache-dir", str(source)],
                              env=ENV, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"pip install {ROOT} failed:\n{done.stderr}")
    return str(venv / "bin" / "v2gsniff")


def bench(args: argparse.Namespace) -> None:

    real = args.shared / "captures" / "real"
    files = sorted(
        (p for p in real.iterdir() if p.suffix in (".pcapng", ".pcap", ".dump")),
        key=lambda p: p.stat().st_size,
    )[-args.top :]
    tshark = shutil.which("tshark")
    # The interpreter matters: on the development machine Debian's /usr/bin/python3 ran v2gsniff
    # 10-15 % faster than a pyenv build of the same 3.11 (a shared-library build).
    version = subprocess.run([*_v2gsniff(args.exe)[:1], "--version"], capture_output=True, text=True).stdout.strip()
    print(f"v2gsniff: {' '.join(_v2gsniff(args.exe))} ({version}; Python {_python_of(args.exe)})")
    if tshark:
        print("tshark: " + subprocess.run([tshark, "--version"], capture_output=True, text=True).stdout.splitlines()[0])
    print(f"{'capture':58} {'frames':>6} {'v2gsniff s':>10} {'cpu s':>6} {'frames/s':>8} {'RSS MB':>6}"
          f" {'tshark s':>8} {'cpu s':>6} {'frames/s':>8}  speed (wall, cpu)")
    for path in files:
        n = frame_count(path)
        ours_cmd = [*_v2gsniff(args.exe), "decode", "--format", "jsonl", str(path)]
        run(ours_cmd)  # warm-up: fills the bytecode cache and the page cache
        ours, theirs = [], []
        for _ in range(args.runs):
            ours.append(run(ours_cmd))
            if tshark:
                theirs.append(run([tshark, "-r", str(path)]))
        wall = statistics.median(w for w, _, _ in ours)
        cpu = statistics.median(c for _, _, c in ours)
        rss = max(r for _, r, _ in ours) / 1024
        line = f"{path.name[:58]:58} {n:6} {wall:10.2f} {cpu:6.2f} {n / wall:8.0f} {rss:6.1f}"
        if tshark:
            twall = statistics.median(w for w, _, _ in theirs)
            tcpu = statistics.median(c for _, _, c in theirs)
            line += (f" {twall:8.2f} {tcpu:6.2f} {n / twall:8.0f}  x{twall / wall:.2f}, x{tcpu / cpu:.2f}"
                     f"  (v2gsniff/tshark {wall / twall:.3f})")
        print(line, flush=True)

    if args.big_gb > 0:
        with tempfile.TemporaryDirectory() as tmp:
            big = Path(tmp) / "big.pcap"
            n = build_big(files[-1], big, int(args.big_gb * 1e9))
            size = big.stat().st_size
            wall, rss, _ = run([*_v2gsniff(args.exe), "decode", "--format", "jsonl", str(big)])
            print(
                f"\n{size / 1e9:.2f} GB capture, {n} frames: {wall:.1f} s, {n / wall:.0f} frames/s, "
                f"{size / wall / 1e6:.1f} MB/s, peak RSS {rss / 1024:.1f} MB"
            )
            if tshark:
                twall, trss, _ = run([tshark, "-r", str(big)])
                print(f"tshark -r: {twall:.1f} s, {n / twall:.0f} frames/s, peak RSS {trss / 1024:.1f} MB")
    print(f"(own process peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.1f} MB)")


if __name__ == "__main__":
    main()
