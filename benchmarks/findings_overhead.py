"""Wall-time overhead of the findings on ``decode --format jsonl`` and on ``report``.

For the largest real captures, runs each command in a fresh process twice: as shipped, and with
``FindingsCheck.feed``/``finish`` replaced by no-ops (the decode and session tracking without any
rule evaluated; for decode the visibility check still runs, as it did before the findings). Best of ``--runs`` of the child's CPU time (user + system: steadier than wall time
on a shared machine) and of its wall time; prints seconds and the overhead in percent.
Usage: ``python benchmarks/findings_overhead.py [--captures 4] [--runs 3]``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "captures" / "real"

RUN = """
import sys
from v2gsniff.sniffer.findings.check import FindingsCheck
if sys.argv[1] == "off":
    # decode ran the visibility check before the findings existed (it is part of them now): keep it
    keep = sys.argv[2] == "decode"

    def feed(self, record):
        if keep:
            self.visibility.add(record)
        return []

    FindingsCheck.feed = feed
    FindingsCheck.finish = lambda self: []
from v2gsniff.sniffer.cli import main
sys.argv = ["v2gsniff", *sys.argv[2:]]
try:
    main()
except SystemExit:
    pass
"""


def one(args: list[str], mode: str) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one run in a fresh process."""
    before = os.times()
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", RUN, mode, *args], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = os.times()
    return after.children_user - before.children_user + after.children_system - before.children_system, wall


def best(args: list[str], runs: int) -> tuple[tuple[float, float], tuple[float, float]]:
    """Best (CPU, wall) without and with the findings; the two alternate, so load drifts hit both."""
    off: list[tuple[float, float]] = []
    on: list[tuple[float, float]] = []
    for _ in range(runs):
        off.append(one(args, "off"))
        on.append(one(args, "on"))
    return ((min(c for c, _ in off), min(w for _, w in off)), (min(c for c, _ in on), min(w for _, w in on)))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--captures", type=int, default=4)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    files = sorted((p for p in SHARED.iterdir() if p.suffix in (".pcap", ".pcapng", ".dump")),
                   key=lambda p: -p.stat().st_size)[: args.captures]
    print(f"{'capture':56} {'command':7} {'cpu off':>7} {'cpu on':>7} {'cpu +':>7} {'wall off':>8} {'wall on':>8}"
          f" {'wall +':>7}")
    for f in files:
        for name, cmd in (("decode", ["decode", "--format", "jsonl", str(f)]),
                          ("report", ["report", "--format", "json", str(f)])):
            (c_off, w_off), (c_on, w_on) = best(cmd, args.runs)
            print(f"{f.name[:56]:56} {name:7} {c_off:7.2f} {c_on:7.2f} {100 * (c_on - c_off) / c_off:6.1f}%"
                  f" {w_off:8.2f} {w_on:8.2f} {100 * (w_on - w_off) / w_off:6.1f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
