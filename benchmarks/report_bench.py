"""Wall time of ``v2gsniff report`` over all real captures with ``--jobs 1`` and ``--jobs 2``.

    python benchmarks/report_bench.py [--shared ../shared] [--runs 3] [--format md]

Each run is a fresh process (start-up, decoding, session tracking and rendering included); the
script also checks that both job counts produce byte-identical reports.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# The command object is called directly so the benchmark works before cli.py registers it.
RUNNER = "import sys; from v2gsniff.sniffer.commands.report import report; report.main(sys.argv[1:])"


def run(folder: Path, jobs: int, fmt: str, out: Path) -> float:
    cmd = [sys.executable, "-P", "-c", RUNNER, str(folder), "--jobs", str(jobs), "--format", fmt, "-o", str(out)]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    wall = time.perf_counter() - t0
    # 5: some real captures are cut off mid-record; the report is still complete (README, exit codes).
    if proc.returncode not in (0, 5) or not out.exists():
        raise SystemExit(f"{' '.join(cmd)} failed with exit code {proc.returncode}")
    return wall


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--format", default="md", choices=["md", "csv", "json", "html"])
    args = ap.parse_args()
    folder = args.shared / "captures" / "real"
    if not folder.is_dir():
        raise SystemExit(f"{folder} is absent")
    files = [p for p in folder.iterdir() if p.suffix in (".pcap", ".pcapng", ".dump")]
    size = sum(p.stat().st_size for p in files)
    print(f"{len(files)} captures, {size / 2**20:.1f} MiB, {os.cpu_count()} CPUs, format {args.format}")
    outputs: dict[int, bytes] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for jobs in (1, 2):
            out = Path(tmp) / f"report-{jobs}.{args.format}"
            times = [run(folder, jobs, args.format, out) for _ in range(args.runs)]
            outputs[jobs] = out.read_bytes()
            print(f"--jobs {jobs}: median {statistics.median(times):.2f} s "
                  f"(runs: {', '.join(f'{t:.2f}' for t in times)})")
    print("reports identical for --jobs 1 and 2:", outputs[1] == outputs[2])


if __name__ == "__main__":
    main()
