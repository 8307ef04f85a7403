"""What a fleet run costs the client: peak memory of ``export --format parquet`` and the speed of a
warm ``--cache`` rerun, over growing numbers of simulated captures.

    python benchmarks/client_bench.py export [--sizes 1000 10000] [--jobs 2]
    python benchmarks/client_bench.py cache [--sizes 500 10000] [--jobs 1]

The corpus (simulated sessions, scenarios in turn, each with its own seed, 500 to a folder) is made
once under ``--dir`` and reused; N captures are the first N/500 folders. Each run is a fresh
process: ``export`` reports the client's own peak RSS (``getrusage``, the workers apart) and its
rows; ``cache`` fills the cache once, then times the warm rerun of ``report`` (every capture from
the cache). ``--real DIR`` links real captures instead. ``--touch K`` rewrites K captures
in place (same size, new bytes) before another warm run, to show they alone are decoded again.
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
PER_FOLDER = 500

# Runs one command in this process and writes its own and its children's peak RSS (KiB) to the
# pipe whose descriptor is in BENCH_FD.
RUNNER = """
import json, os, resource, sys
from v2gsniff.sniffer.commands.{module} import {module} as command
try:
    command.main(sys.argv[1:], standalone_mode=False)
finally:
    with os.fdopen(int(os.environ["BENCH_FD"]), "w") as out:
        json.dump({{"main": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                   "worker": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}}, out)
"""


def corpus(root: Path, total: int, real: Path | None = None) -> list[str]:
    """The folders holding the first ``total`` captures (made when missing): simulated, or with
    ``real`` links to the real corpus (``../shared/captures/real``, 300 KiB a capture on average)."""
    from v2gsniff.sniffer.simulate import simulate, write_pcapng

    sources = sorted(p for p in real.iterdir() if p.is_file() and p.suffix != ".md") if real else []
    folders = []
    for k in range(-(-total // PER_FOLDER)):
        folder = (root.with_name(root.name + "-real") if real else root) / f"{k:03d}"
        stamp = folder / ".complete"
        if not stamp.exists():
            folder.mkdir(parents=True, exist_ok=True)
            for i in range(k * PER_FOLDER, (k + 1) * PER_FOLDER):
                if real:
                    src = sources[i % len(sources)]
                    (folder / f"{i:05d}-{src.name}").symlink_to(src.resolve())
                else:
                    write_pcapng(simulate(SCENARIOS[i % len(SCENARIOS)], seed=1000 + i, loops=8),
                                 folder / f"sim-{i:05d}.pcapng")
            stamp.write_text("done")
        folders.append(str(folder))
    return folders


def run(module: str, args: list[str]) -> dict[str, object]:
    read, write = os.pipe()
    cmd = [sys.executable, "-P", "-c", RUNNER.format(module=module), *args]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, pass_fds=(write,),
                            env={**os.environ, "BENCH_FD": str(write)})
    os.close(write)
    _, err = proc.communicate()
    wall = time.perf_counter() - t0
    with os.fdopen(read) as fh:
        mem = json.loads(fh.read() or "{}")
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{err.decode()[-2000:]}")
    lines = [line.removeprefix("v2gsniff: ") for line in err.decode().splitlines()
             if line.startswith("v2gsniff: ") and ("captures read" in line or ".parquet" in line)]
    return {"wall": wall, "main": mem.get("main", 0) / 1024, "worker": mem.get("worker", 0) / 1024,
            "said": " | ".join(lines)}


def bench_export(root: Path, sizes: list[int], jobs: int) -> None:
    for n in sizes:
        out = root / f"export-{n}"
        shutil.rmtree(out, ignore_errors=True)
        r = run("export", [*corpus(root / "corpus", n), "-o", str(out), "--jobs", str(jobs), "--no-progress"])
        print(f"export --jobs {jobs} {n:7d} captures {r['wall']:7.1f} s  client peak RSS {r['main']:6.0f} MiB  "
              f"largest worker {r['worker']:6.0f} MiB  | {r['said']}", flush=True)
        shutil.rmtree(out, ignore_errors=True)


def touch(folders: list[str], count: int) -> list[Path]:
    """Rewrite ``count`` captures in place: every packet a second later (same size, new bytes, new
    modification time)."""
    sys.path.insert(0, str(ROOT))
    from tests.sniffer.fleet.data import a_second_later

    files = sorted(Path(folders[0]).glob("sim-*.pcapng"))[:count]
    for f in files:
        f.write_bytes(a_second_later(f.read_bytes()))
    return files


def bench_cache(root: Path, sizes: list[int], jobs: int, touched: int, real: Path | None) -> None:
    for n in sizes:
        cache = root / f"cache-{n}"
        shutil.rmtree(cache, ignore_errors=True)
        folders = corpus(root / "corpus", n, real)
        args = [*folders, "--format", "md", "-o", os.devnull, "--jobs", str(jobs), "--cache", str(cache),
                "--no-progress"]
        cold = run("report", args)
        warm = run("report", args)
        print(f"report --cache, {n:6d} captures: cold {cold['wall']:7.1f} s ({n / cold['wall']:7.1f} captures/s), "
              f"warm {warm['wall']:6.1f} s ({n / warm['wall']:7.1f} captures/s)  | {warm['said']}", flush=True)
        if touched:
            originals = {f: f.read_bytes() for f in sorted(Path(folders[0]).glob("sim-*.pcapng"))[:touched]}
            touch(folders, touched)
            again = run("report", args)
            for f, data in originals.items():  # the corpus is reused: put the bytes back
                f.write_bytes(data)
            print(f"  after rewriting {touched} in place: {again['wall']:6.1f} s  | {again['said']}", flush=True)
        shutil.rmtree(cache, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("what", choices=("export", "cache"))
    ap.add_argument("--sizes", type=int, nargs="+")
    ap.add_argument("--jobs", type=int)
    ap.add_argument("--touch", type=int, default=0, help="cache: captures rewritten before another warm run")
    ap.add_argument("--real", type=Path, help="cache: copies of the captures in this folder instead of simulated "
                    "ones (e.g. ../shared/captures/real)")
    ap.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()) / "v2gsniff-client-bench")
    args = ap.parse_args()
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}", flush=True)
    if args.what == "export":
        bench_export(args.dir, args.sizes or [1000, 10_000], args.jobs or 2)
    else:
        bench_cache(args.dir, args.sizes or [500, 10_000], args.jobs or 1, args.touch, args.real)


if __name__ == "__main__":
    main()
