"""Wall-time overhead of the findings on ``decode --format jsonl`` and on ``report``.

For the largest real captures, runs each command in a fresh process twice: as shipped, and with
``FindingsCheck.feed``/``finish`` replaced by no-ops (the decode and session tracking without any
rule evaluated; for decode the visibility check still runs, as it did before the findings). Best of ``--runs`` of the child's CPU time (user + system: steadier than wall time
on a shared machine) and of its wall time; prints seconds and the overhead in percent.
With ``--valgrind`` each run is counted in instructions instead (``valgrind --tool=cachegrind``:
the same figure on a loaded machine; one run is enough). ``--corpus`` adds a row summing every real
capture. Bytecode caching is allowed for the children (this machine sets PYTHONDONTWRITEBYTECODE).
Usage: ``python benchmarks/findings_overhead.py [--captures 4] [--runs 3] [--valgrind] [--corpus]``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
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


ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def one(args: list[str], mode: str) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one run in a fresh process."""
    before = os.times()
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", RUN, mode, *args], check=False, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, env=ENV)
    wall = time.perf_counter() - start
    after = os.times()
    return after.children_user - before.children_user + after.children_system - before.children_system, wall


def instructions(args: list[str], mode: str) -> float:
    """Instructions (in millions) of one run under cachegrind."""
    done = subprocess.run(["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null",
                           sys.executable, "-c", RUN, mode, *args], check=False, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True, env=ENV)
    found = re.search(r"I\s+refs:\s+([\d,]+)", done.stderr)
    if found is None:
        raise RuntimeError(done.stderr[-2000:])
    return int(found.group(1).replace(",", "")) / 1e6


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
    ap.add_argument("--valgrind", action="store_true", help="count instructions instead of timing")
    ap.add_argument("--corpus", action="store_true", help="also one run over every real capture")
    args = ap.parse_args()
    with open(SHARED / "TRUTH.jsonl", encoding="utf-8") as fh:  # the captures the tests know
        names = {json.loads(line)["capture"] for line in fh if line.strip()}
    every = sorted((SHARED / n for n in names if (SHARED / n).exists()), key=lambda p: -p.stat().st_size)
    groups = [(f.name, [str(f)]) for f in every[: args.captures]]
    if args.corpus:
        groups.append((f"all {len(every)} real captures", [str(f) for f in every]))
    for _name, cmd in (("decode", ["decode", "--format", "jsonl"]), ("report", ["report", "--format", "json"])):
        one([*cmd, str(every[-1])], "on")  # writes the bytecode caches first: no run pays the compile
    if args.valgrind:
        print(f"{'capture':56} {'command':7} {'Minstr off':>10} {'Minstr on':>10} {'+':>7}")
        for label, paths in groups:
            for name, cmd in (("decode", ["decode", "--format", "jsonl", *paths]),
                              ("report", ["report", "--format", "json", *paths])):
                off, on = instructions(cmd, "off"), instructions(cmd, "on")
                print(f"{label[:56]:56} {name:7} {off:10.0f} {on:10.0f} {100 * (on - off) / off:6.1f}%", flush=True)
        return 0
    print(f"{'capture':56} {'command':7} {'cpu off':>7} {'cpu on':>7} {'cpu +':>7} {'wall off':>8} {'wall on':>8}"
          f" {'wall +':>7}")
    for label, paths in groups:
        for name, cmd in (("decode", ["decode", "--format", "jsonl", *paths]),
                          ("report", ["report", "--format", "json", *paths])):
            (c_off, w_off), (c_on, w_on) = best(cmd, args.runs)
            print(f"{label[:56]:56} {name:7} {c_off:7.2f} {c_on:7.2f} {100 * (c_on - c_off) / c_off:6.1f}%"
                  f" {w_off:8.2f} {w_on:8.2f} {100 * (w_on - w_off) / w_off:6.1f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
