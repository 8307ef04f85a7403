"""Fleet scale: ``v2gsniff report`` over 10,000 captures with --jobs 1, --jobs 2, --dask local (2 workers)
and a warm --cache rerun: wall time, captures/s, peak memory of the main process and of the largest worker.

    python benchmarks/fleet_bench.py [--captures 10000] [--real-repeats 10] [--dir /tmp/v2gsniff-fleet]

The corpus is made under ``--dir`` (never in the repository): the real captures of
../shared/captures/real linked ``--real-repeats`` times, and simulated sessions (scenarios in
turn, each with its own seed) for the rest. Each run is a fresh process; its own and its
children's peak RSS come from ``getrusage``. A 1,000-capture run with --jobs 2 shows whether
worker memory grows with the number of captures. Reports (Markdown) must be byte-identical.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ("iso2-dc", "din-dc", "iso2-ac", "iso20-dc-bpt-dynamic", "iso20-no-tls", "iso2-dc-tls12",
             "sap-no-common-protocol", "slac-no-match")

# Runs the command in this process and writes its own and its children's peak RSS (KiB) to the
# pipe whose descriptor is in BENCH_FD.
RUNNER = """
import json, os, resource, sys
from v2gsniff.sniffer.commands.report import report
try:
    report.main(sys.argv[1:], standalone_mode=False)
finally:
    with os.fdopen(int(os.environ["BENCH_FD"]), "w") as out:
        json.dump({"main": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                   "worker": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}, out)
"""


def make_corpus(folder: Path, total: int, repeats: int, shared: Path) -> tuple[int, int]:
    """(real, simulated) captures written under ``folder``; reused when already complete."""
    from v2gsniff.sniffer.report.collect import CAPTURE_SUFFIXES
    from v2gsniff.sniffer.simulate import simulate, write_pcapng

    real = sorted(p for p in (shared / "captures" / "real").iterdir() if p.name.lower().endswith(CAPTURE_SUFFIXES))
    n_real = len(real) * repeats
    n_sim = max(0, total - n_real)
    stamp = folder / ".complete"
    if stamp.exists() and stamp.read_text() == f"{n_real} {n_sim}":
        return n_real, n_sim
    shutil.rmtree(folder, ignore_errors=True)
    for r in range(repeats):
        sub = folder / "real" / f"copy-{r:02d}"
        sub.mkdir(parents=True)
        for p in real:
            (sub / p.name).symlink_to(p)
    sim = folder / "sim"
    for i in range(n_sim):
        sub = sim / f"{i // 1000:02d}"
        sub.mkdir(parents=True, exist_ok=True)
        write_pcapng(simulate(SCENARIOS[i % len(SCENARIOS)], seed=1000 + i, loops=8), sub / f"sim-{i:05d}.pcapng")
    stamp.write_text(f"{n_real} {n_sim}")
    return n_real, n_sim


def run(paths: list[str], args: list[str], out: Path) -> dict[str, float]:
    read, write = os.pipe()
    cmd = [sys.executable, "-P", "-c", RUNNER, *paths, "--format", "md", "-o", str(out), *args]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, pass_fds=(write,),
                            env={**os.environ, "BENCH_FD": str(write)})
    os.close(write)
    _, err = proc.communicate()
    wall = time.perf_counter() - t0
    with os.fdopen(read) as fh:
        mem = json.loads(fh.read() or "{}")
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{err.decode()[-2000:]}")
    summary = [line for line in err.decode().splitlines() if "captures read" in line]
    return {"wall": wall, "main": mem.get("main", 0) / 1024, "worker": mem.get("worker", 0) / 1024,
            "summary": summary[-1] if summary else ""}  # type: ignore[dict-item]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--captures", type=int, default=10_000)
    ap.add_argument("--real-repeats", type=int, default=10)
    ap.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()) / "v2gsniff-fleet")
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--keep", action="store_true", help="Keep the corpus and cache for another run.")
    ap.add_argument("--jobs1-wall", type=float, help="Skip the --jobs 1 run; take its wall time (s) from an "
                    "earlier run over the same corpus (the corpus is kept by --keep).")
    args = ap.parse_args()
    t0 = time.perf_counter()
    n_real, n_sim = make_corpus(args.dir / "corpus", args.captures, args.real_repeats, args.shared)
    corpus = args.dir / "corpus"
    size = sum(p.stat().st_size for p in corpus.rglob("*") if p.is_file())
    print(f"corpus: {n_real} real (the real corpus x{args.real_repeats}) + {n_sim} simulated = {n_real + n_sim} "
          f"captures, {size / 2**20:.0f} MiB, made in {time.perf_counter() - t0:.0f} s; {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f}")
    cache = args.dir / "cache"
    shutil.rmtree(cache, ignore_errors=True)
    small = [str(corpus / "real" / "copy-00"), str(corpus / "sim" / "00")]
    plan = [
        ("--jobs 1, real corpus once", [str(corpus / "real" / "copy-00")], ["--jobs", "1"]),
        ("--jobs 1", [str(corpus)], ["--jobs", "1"]),
        ("--jobs 2", [str(corpus)], ["--jobs", "2"]),
        # The Dask run also fills the cache (hashing and writing every entry are part of its time).
        ("--dask local, 2 workers, --cache (cold)", [str(corpus)], ["--dask", "local", "--jobs", "2", "--cache",
                                                                    str(cache)]),
        ("--jobs 2 --cache (warm rerun)", [str(corpus)], ["--jobs", "2", "--cache", str(cache)]),
        ("--jobs 2 on 1/10 of the corpus", small, ["--jobs", "2"]),
    ]
    outputs: dict[str, bytes] = {}
    rows = []
    base: float | None = None
    if args.jobs1_wall:  # a machine shared by many: reuse the --jobs 1 wall time of an earlier run
        base = args.jobs1_wall / (n_real + n_sim)
        plan = [step for step in plan if step[0] != "--jobs 1"]
        print(f"--jobs 1 (earlier run, same corpus)   {n_real + n_sim:6d} captures {args.jobs1_wall:8.1f} s")
    for name, paths, extra in plan:
        out = args.dir / f"report-{len(rows)}.md"
        r = run(paths, extra, out)
        n = sum(1 for p in paths for f in Path(p).rglob("*") if f.is_file() and not f.name.startswith("."))
        outputs[name] = out.read_bytes()
        if base is None and "once" not in name:
            base = r["wall"] / n  # seconds per capture with one process over the whole corpus
        rows.append((name, n, r))
        workers = 2 if " 2" in name else 1
        speed = (base or r["wall"] / n) * n / r["wall"]
        print(f"{name:36} {n:6d} captures {r['wall']:8.1f} s {n / r['wall']:8.1f} captures/s  "
              f"speed-up {speed:4.2f} ({speed / workers:4.2f} per worker)  main {r['main']:6.0f} MiB  "
              f"largest worker {r['worker']:6.0f} MiB  | {r['summary'].removeprefix('v2gsniff: ')}", flush=True)
    entries = list(cache.rglob("*.json"))
    print(f"cache: {len(entries)} entries, {sum(p.stat().st_size for p in entries) / 2**20:.0f} MiB")
    full = [v for k, v in outputs.items() if "1/10" not in k and "once" not in k]
    print("reports identical for every full run:", all(v == full[0] for v in full))
    if not args.keep:
        shutil.rmtree(args.dir, ignore_errors=True)


if __name__ == "__main__":
    main()
