"""EXI encode throughput: the compiled encoders beside the table-driven one they replaced, in one run.

    python benchmarks/exi_encode_bench.py [--seconds 0.3] [--rounds 5] [--icount [--repeat 100]]

Sets: every distinct real CurrentDemandReq of DIN 70121 and of ISO 15118-2 found in
../shared/captures/real (each message decoded once, then encoded again and again), and the whole
../shared/exi-vectors corpus.  Messages per second on one core (pure Python), old and new
interleaved round by round on the same decoded messages, median of the rounds (the machine is
shared).  ``--icount`` counts CPU instructions per message with valgrind (callgrind) instead:
a run doing the work ``--repeat`` times minus one doing none, both after the same warm-up.

"old" is the table-driven encoder kept as the test reference (tests/dissectors/exi/table_encoder.py).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from v2gsniff.dissectors import exi
from v2gsniff.dissectors.exi import encoder
from v2gsniff.dissectors.exi.grammar import load

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO / ".." / "shared"
VECTORS = SHARED / "exi-vectors"
REAL = SHARED / "captures" / "real"
REFERENCE = REPO / "tests" / "dissectors" / "exi" / "table_encoder.py"
SUBSET = {"AppProtocol": "apphand", "CommonMessages": "iso20-cm", "AC": "iso20-ac", "DC": "iso20-dc",
          "WPT": "iso20-wpt", "ACDP": "iso20-acdp", "xmldsig": "xmldsig"}
WANTED = {"din": "CurrentDemandReq", "iso2": "CurrentDemandReq"}
Item = tuple[str, bool, str]  # schema, fragment, hex


def corpus() -> list[Item]:
    out = []
    for name in ("apphand", "din", "iso2", "iso20"):
        for line in (VECTORS / f"{name}.jsonl").read_text(encoding="utf-8").splitlines():
            d = json.loads(line)
            out.append((SUBSET.get(d["subset"], d["set"]), bool(d["fragment"]), d["hex"]))
    return out


def real_current_demand(limit: int) -> dict[str, list[Item]]:
    """Distinct real CurrentDemandReq per schema, from the captures in name order (up to ``limit`` each)."""
    from v2gsniff.sniffer import engine

    found: dict[str, dict[str, None]] = {schema: {} for schema in WANTED}
    for path in sorted(REAL.iterdir()):
        if path.suffix not in (".pcap", ".pcapng", ".dump"):
            continue
        if all(len(v) >= limit for v in found.values()):
            break
        records, _ = engine.decode_file(path)
        for r in records:
            schema, hexed = r.extra.get("schema"), r.extra.get("exi_hex")
            if r.kind == "v2g" and schema in WANTED and r.name == WANTED[schema] \
                    and isinstance(hexed, str) and len(found[schema]) < limit:
                found[schema][hexed] = None
    return {f"{schema} {WANTED[schema]} (real, {len(v)} distinct)": [(schema, False, h) for h in v]
            for schema, v in found.items() if v}


def reference() -> Any:
    sys.path.insert(0, str(REPO))  # the reference lives in the test tree
    return importlib.import_module("tests.dissectors.exi.table_encoder")


def jobs(items: list[Item]) -> list[tuple[Any, Any, bool]]:
    """(message, grammar, lenient) per item: decoded once; out-of-facet messages encode leniently."""
    out = []
    for schema, fragment, hexed in items:
        msg = (exi.decode_fragment if fragment else exi.decode)(bytes.fromhex(hexed), schema)
        out.append((msg, load(schema), bool(msg.violations)))
    return out


def rate(fn: Callable[[], object], seconds: float, per_call: int) -> float:
    """Best rate over repeated batches within ``seconds`` (at least one batch)."""
    start = time.perf_counter()
    best = float("inf")
    while best == float("inf") or time.perf_counter() - start < seconds:
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return per_call / best


def timed(sets: dict[str, list[Item]], seconds: float, rounds: int) -> None:
    codecs = {"old": reference().encode_message, "new": encoder.encode_message}
    print(f"Python {platform.python_version()} on {platform.machine()}; messages/s, median of {rounds} rounds")
    print(f"{'set':44} {'old':>10} {'new':>10} {'new/old':>8}")
    for label, items in sets.items():
        work = jobs(items)
        for fn in codecs.values():  # same bytes both ways, and warm
            assert [fn(m, g, lenient) for m, g, lenient in work] == [encoder.encode_message(m, g, lenient)
                                                                     for m, g, lenient in work]
        rates: dict[str, list[float]] = {name: [] for name in codecs}
        for _ in range(rounds):
            for name, fn in codecs.items():
                rates[name].append(rate(lambda f=fn, w=work: [f(m, g, le) for m, g, le in w], seconds, len(work)))
        old, new = (statistics.median(rates[n]) for n in codecs)
        print(f"{label:44} {old:10,.0f} {new:10,.0f} {new / old:7.2f}x", flush=True)


PROGRAM = r"""
import gc, importlib, json, sys
from v2gsniff.dissectors import exi
from v2gsniff.dissectors.exi import encoder
from v2gsniff.dissectors.exi.grammar import load
which, path, repeat = sys.argv[1], sys.argv[2], int(sys.argv[3])
if which == "old":
    sys.path.insert(0, {repo!r})
    fn = importlib.import_module("tests.dissectors.exi.table_encoder").encode_message
else:
    fn = encoder.encode_message
work = []
for schema, fragment, hexed in json.load(open(path)):
    msg = (exi.decode_fragment if fragment else exi.decode)(bytes.fromhex(hexed), schema)
    work.append((msg, load(schema), bool(msg.violations)))
for m, g, lenient in work:  # warm-up: imports and first-use caches
    fn(m, g, lenient)
gc.collect()
gc.disable()  # a collection in one run and not the other would swamp the difference
for _ in range(repeat):
    for m, g, lenient in work:
        fn(m, g, lenient)
"""


def instructions(which: str, path: str, repeat: int) -> int:
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    done = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, "-c",
                           PROGRAM.format(repo=str(REPO)), which, path, str(repeat)],
                          capture_output=True, text=True, check=True, env=env)
    found = re.search(r"Collected : (\d+)", done.stderr)
    assert found, done.stderr[-2000:]
    return int(found.group(1))


def counted(sets: dict[str, list[Item]], repeat: int) -> None:
    print(f"instructions per message (valgrind callgrind: {repeat} repeats minus none; corpus repeats / 20)")
    print(f"{'set':44} {'old':>10} {'new':>10} {'old/new':>8}")
    with tempfile.TemporaryDirectory() as tmp:
        for label, items in sets.items():
            path = os.path.join(tmp, "items.json")
            with open(path, "w", encoding="utf-8") as fh:
                json.dump(items, fh)
            n = max(1, repeat // 20) if len(items) > 500 else repeat
            per = {}
            for which in ("old", "new"):
                subprocess.run([sys.executable, "-c", PROGRAM.format(repo=str(REPO)), which, path, "0"],
                               check=True, capture_output=True)  # bytecode written before any count
                per[which] = (instructions(which, path, n) - instructions(which, path, 0)) / n / len(items)
            print(f"{label:44} {per['old']:10,.0f} {per['new']:10,.0f} {per['old'] / per['new']:7.2f}x", flush=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=0.3, help="time per figure and round")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--real", type=int, default=200, help="distinct real messages per set at most")
    ap.add_argument("--icount", action="store_true", help="count instructions with valgrind instead of timing")
    ap.add_argument("--repeat", type=int, default=20, help="--icount: encodes of each message per count")
    args = ap.parse_args()
    if not VECTORS.exists() or not REAL.exists() or not REFERENCE.exists():
        print(f"needs {VECTORS}, {REAL} and {REFERENCE}")
        return 2
    sets = real_current_demand(args.real)
    sets[f"corpus (all {len(corpus())} vectors)"] = corpus()
    if args.icount:
        if shutil.which("valgrind") is None:
            print("valgrind is not installed")
            return 2
        counted(sets, args.repeat)
    else:
        timed(sets, args.seconds, args.rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
