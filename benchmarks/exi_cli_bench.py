"""Batch CLI throughput: ``v2gsniff exi decode - --schema iso2 --format jsonl`` over distinct messages.

    python benchmarks/exi_cli_bench.py [--count 100000] [--schema iso2] [--runs 3] [--baseline-cli PATH]

The input is made here: the real ISO 15118-2 (or DIN) CurrentDemandReq/Res streams of
../shared/exi-vectors are decoded, every integer value of their PhysicalValue / SOC elements is
changed (a different combination per line) and the message is encoded again, so no two lines are
alike and no cache can help.  Each run pipes the file into the installed ``v2gsniff`` command and
reports lines per second, start-up included, and lines per second of the command's CPU time
(user + system: what the figure would be on an idle core); the medians of the runs are printed.  With
``--baseline-cli`` (another installation's ``v2gsniff``, e.g. one made from the revision before the
compiled codec) both commands run on the same file, interleaved, and must print the same JSON objects.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from v2gsniff.dissectors import exi

VECTORS = Path(__file__).resolve().parents[1] / ".." / "shared" / "exi-vectors"
NAMES = ("CurrentDemandReq", "CurrentDemandRes")


def seeds(schema: str) -> list[bytes]:
    out = []
    for line in (VECTORS / f"{schema}.jsonl").read_text(encoding="utf-8").splitlines():
        d = json.loads(line)
        if d["fragment"] or d["subset"] != "MsgDef":
            continue
        data = bytes.fromhex(d["hex"])
        if exi.decode(data, schema).name in NAMES:
            out.append(data)
    return out


def variants(schema: str, count: int) -> list[str]:
    """``count`` distinct hex lines: real messages with their integer values rewritten."""
    base = [exi.decode(data, schema) for data in seeds(schema)]
    out: list[str] = []
    seen: set[str] = set()
    i = 0
    while len(out) < count:
        msg = exi.decode(exi.encode(base[i % len(base)], lenient=True), schema)  # a fresh copy to change
        k = i // len(base)
        for el, _parent in _walk(msg.root, None):
            if el.name == "Value" and isinstance(el.value, int):
                el.value = (k * 7 + len(out)) % 30000
            elif el.name in ("EVRESSSOC", "RemainingTimeToFullSoC") and isinstance(el.value, int):
                el.value = k % 101 if el.name == "EVRESSSOC" else k % 60000
        text = exi.encode(msg, lenient=True).hex()  # a real EVSEID of 6 characters stays as it was
        i += 1
        if text not in seen:
            seen.add(text)
            out.append(text)
    return out


def _walk(el: exi.Element, parent: exi.Element | None) -> list[tuple[exi.Element, exi.Element | None]]:
    out = [(el, parent)]
    for child in el.children:
        out.extend(_walk(child, el))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=100_000)
    ap.add_argument("--schema", default="iso2", choices=["iso2", "din"])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--keep", help="write the input lines to this file too")
    ap.add_argument("--input", help="read the input lines from this file (made by --keep) instead")
    ap.add_argument("--baseline-cli", help="a v2gsniff command to run beside this installation's")
    args = ap.parse_args()
    if not VECTORS.exists():
        print(f"no vectors under {VECTORS}")
        return 2
    if args.input:
        lines = Path(args.input).read_text(encoding="ascii").split()[:args.count]
    else:
        lines = variants(args.schema, args.count)
    clis = {"new": str(Path(sys.executable).with_name("v2gsniff"))}
    if args.baseline_cli:
        clis = {"old": args.baseline_cli, **clis}
    rates: dict[str, list[float]] = {name: [] for name in clis}
    cpu_rates: dict[str, list[float]] = {name: [] for name in clis}
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(args.keep or os.path.join(tmp, "in.txt"))
        src.write_text("\n".join(lines) + "\n", encoding="ascii")
        outputs: dict[str, bytes] = {}
        for _ in range(args.runs):
            for name, cli in clis.items():
                with open(src, "rb") as fh:
                    before = resource.getrusage(resource.RUSAGE_CHILDREN)
                    t0 = time.perf_counter()
                    done = subprocess.run([cli, "exi", "decode", "-", "--schema", args.schema, "--format", "jsonl"],
                                          stdin=fh, stdout=subprocess.PIPE, check=True)
                    dt = time.perf_counter() - t0
                    after = resource.getrusage(resource.RUSAGE_CHILDREN)
                cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
                rows = done.stdout.splitlines()
                assert len(rows) == len(lines) and json.loads(rows[0])["error"] is None, "not one good line per input"
                outputs[name] = done.stdout
                rates[name].append(len(lines) / dt)
                cpu_rates[name].append(len(lines) / cpu)
        # the same objects (the JSON may be spelled differently: main's lines had spaces after : and ,)
        texts = list(outputs.values())
        assert all(list(map(json.loads, t.splitlines())) == list(map(json.loads, texts[0].splitlines()))
                   for t in texts[1:]), "the two commands printed different objects"
    for name, values in rates.items():
        print(f"{name}: exi decode - --schema {args.schema} --format jsonl: {len(lines):,} distinct lines, median "
              f"{statistics.median(values):,.0f} lines/s over {args.runs} runs ({', '.join(f'{r:,.0f}' for r in values)}); "
              f"per CPU second (the machine's load aside): {statistics.median(cpu_rates[name]):,.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
