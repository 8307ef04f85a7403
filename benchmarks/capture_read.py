"""Read throughput and peak memory of open_capture on a ~1 GB pcap (and its gzip, optionally).

Builds the file in /tmp by repeating the frames of a real capture, reads it in a fresh
process (so peak RSS belongs to reading alone), prints frames/s, MB/s and peak RSS, and
deletes the file. Usage: ``python benchmarks/capture_read.py [--size-mb 1024] [--pcapng] [--gzip]``.
"""

from __future__ import annotations

import argparse
import gzip
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from v2gsniff.sniffer.capture import PcapngWriter, PcapWriter, open_capture
from v2gsniff.sniffer.model import RawFrame

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "captures" / "real"
DEFAULT_SOURCE = "pyPLC__2023-04-24_atHome_Ioniq_without_and_with_60W_bulbs.pcapng"


def build(target: Path, source: Path, size: int, pcapng: bool) -> int:
    with open_capture(source) as r:
        frames = [(f.data, f.time) for f in r if isinstance(f, RawFrame)]
    span = frames[-1][1] - frames[0][1] + 1.0
    writer = PcapngWriter(target) if pcapng else PcapWriter(target)
    n = 0
    rnd = 0
    with writer:
        while writer.bytes_written < size:
            for data, t in frames:
                writer.write_frame(data, t + rnd * span)
            n += len(frames)
            rnd += 1
    return n


def measure(path: str) -> None:
    """Runs in the child process: iterate the file, report figures."""
    start = time.perf_counter()
    frames = payload = 0
    with open_capture(path) as r:
        for item in r:
            if isinstance(item, RawFrame):
                frames += 1
                payload += len(item.data)
        size = r.size or 0
    elapsed = time.perf_counter() - start
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"{frames} {size} {payload} {elapsed:.3f} {peak_kb}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--size-mb", type=int, default=1024)
    ap.add_argument("--source", default=str(SHARED / DEFAULT_SOURCE))
    ap.add_argument("--pcapng", action="store_true", help="build pcapng instead of pcap")
    ap.add_argument("--gzip", action="store_true", help="also measure the gzip-compressed file")
    ap.add_argument("--measure", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.measure:
        measure(args.measure)
        return
    source = Path(args.source)
    if not source.is_file():
        sys.exit(f"source capture {source} not found (needs ../shared)")
    tmp = Path(tempfile.mkdtemp(prefix="v2gsniff-bench-", dir="/tmp"))
    try:
        path = tmp / ("big.pcapng" if args.pcapng else "big.pcap")
        t0 = time.perf_counter()
        built = build(path, source, args.size_mb * 1024 * 1024, args.pcapng)
        print(
            f"built {path.name}: {built} frames, {path.stat().st_size / 1e6:.0f} MB in {time.perf_counter() - t0:.1f} s"
        )
        targets = [path]
        if args.gzip:
            gz = tmp / (path.name + ".gz")
            with open(path, "rb") as src, gzip.open(gz, "wb", compresslevel=1) as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
            targets.append(gz)
        for target in targets:
            out = subprocess.run(
                [sys.executable, __file__, "--measure", str(target)],
                capture_output=True,
                text=True,
                check=True,
            )
            frames, size, payload, elapsed, peak_kb = out.stdout.split()
            secs = float(elapsed)
            print(
                f"{target.name}: {int(frames)} frames, {int(size) / 1e6:.0f} MB on disk, "
                f"{secs:.1f} s, {int(frames) / secs:,.0f} frames/s, {int(size) / 1e6 / secs:.0f} MB/s (file), "
                f"{int(payload) / 1e6 / secs:.0f} MB/s (frame bytes), peak RSS {int(peak_kb) / 1024:.1f} MiB"
            )
        # baseline: interpreter + imports, for judging the reader's own share of the RSS
        base = subprocess.run(
            [
                sys.executable,
                "-c",
                "import resource, v2gsniff.sniffer.capture;"
                "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        print(f"baseline peak RSS (python + imports): {int(base.stdout) / 1024:.1f} MiB")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        os.sync()


if __name__ == "__main__":
    main()
