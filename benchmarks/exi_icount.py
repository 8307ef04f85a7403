"""EXI codec cost in CPU instructions (valgrind), the current codec beside another revision's.

    python benchmarks/exi_icount.py [--baseline 2feeac1] [--repeat 200]

Timings on a shared machine are noisy; instruction counts are not.  For each workload the script
runs ``valgrind --tool=callgrind`` twice on a small Python program (once doing the work ``--repeat``
times, once not at all, both after the same warm-up, hash seed fixed, garbage collector off) and
prints the difference per message.  The
workloads are those of exi_bench.py: decode, decode + to_json, decode + to_xml + to_json, encode,
on real CurrentDemand messages, and the whole vector corpus (per message).  Needs valgrind.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

PROGRAM = r"""
import gc
import sys
sys.path.insert(0, {here!r})
import exi_bench
if {baseline!r}:
    from _baseline import load
    codec = load({baseline!r})
else:
    from v2gsniff.dissectors import exi as codec
work, repeat = sys.argv[1], int(sys.argv[2])
encode = exi_bench.encoder(codec)
items = exi_bench.corpus()
name, what = work.split(":")
if name == "corpus":
    msgs = [(codec.decode_fragment if f else codec.decode)(d, s) for s, f, d in items]
    jobs = [((codec.decode_fragment if f else codec.decode), d, s, m) for (s, f, d), m in zip(items, msgs)]
else:  # the first vector of that schema and message name
    schema, message = name.split("/")
    data = next(d for s, f, d in items if s == schema and not f and codec.decode(d, s).name == message)
    jobs = [(codec.decode, data, schema, codec.decode(data, schema))]
for fn, d, s, m in jobs:  # warm-up: imports, caches, first-use costs
    fn(d, s).to_json(), fn(d, s).to_xml(), encode(m)
gc.collect()
gc.disable()  # a full collection landing in one run and not the other would swamp the difference
for _ in range(repeat):
    for fn, d, s, m in jobs:
        if what == "decode":
            fn(d, s)
        elif what == "json":
            fn(d, s).to_json()
        elif what == "xml+json":  # in one walk where the codec can (exi decode --format jsonl)
            r = fn(d, s)
            r.to_xml_and_json() if hasattr(r, "to_xml_and_json") else (r.to_xml(), r.to_json())
        else:
            encode(m)
"""


def instructions(baseline: str | None, work: str, repeat: int) -> int:
    program = PROGRAM.format(here=str(HERE), baseline=baseline or "")
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    done = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable,
                           "-c", program, work, str(repeat)], capture_output=True, text=True, check=True, env=env)
    found = re.search(r"Collected : (\d+)", done.stderr)
    assert found, done.stderr[-2000:]
    return int(found.group(1))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--baseline", default="2feeac1", help="git revision to compare with ('' for none)")
    ap.add_argument("--repeat", type=int, default=200)
    ap.add_argument("--messages", nargs="*", default=["din/CurrentDemandReq", "iso2/CurrentDemandReq"])
    ap.add_argument("--workloads", nargs="*", default=["decode", "json", "xml+json", "encode"])
    ap.add_argument("--no-corpus", action="store_true", help="only the messages")
    args = ap.parse_args()
    if shutil.which("valgrind") is None:
        print("valgrind is not installed")
        return 2
    codecs = {"new": None} if not args.baseline else {"old": args.baseline, "new": None}
    print(f"instructions per message (valgrind callgrind, {args.repeat} repeats minus none)")
    print(f"{'workload':40}" + "".join(f"{c:>12}" for c in codecs) + ("    old/new" if len(codecs) > 1 else ""))
    works = [f"{m}:{w}" for m in args.messages for w in args.workloads]
    if not args.no_corpus:
        works += ["corpus:decode", "corpus:encode"]
    for work in works:  # once without valgrind first: imports write their bytecode before any count
        for rev in codecs.values():
            subprocess.run([sys.executable, "-c", PROGRAM.format(here=str(HERE), baseline=rev or ""), work, "0"],
                           check=True, capture_output=True)
    for work in works:
        corpus = work.startswith("corpus")
        repeat = max(1, args.repeat // 50) if corpus else args.repeat
        per = {}
        for name, rev in codecs.items():
            total = instructions(rev, work, repeat) - instructions(rev, work, 0)
            per[name] = total / repeat / (1635 if corpus else 1)
        line = f"{work:40}" + "".join(f"{per[c]:12,.0f}" for c in codecs)
        if len(codecs) > 1:
            line += f"   {per['old'] / per['new']:7.2f}x"
        print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
