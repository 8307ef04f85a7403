"""CPU time of the JSONL writer alone, next to the standard json module, on the largest real captures.

    python benchmarks/jsonl_bench.py [--shared ../shared] [--top 4] [--runs 15]

Each capture is decoded once; then its records are written ``--runs`` times by ``JsonlWriter``
(orjson, shared field maps and bodies encoded once) and by ``json.dumps`` of ``Record.to_json()``
with the writer's layout (the straightforward way), into memory. The least CPU time of the runs
is shown (process time: little disturbed by other work on a shared machine), and both outputs
are checked to be the same JSON.
"""

from __future__ import annotations

import argparse
import io
import json
import time
from collections.abc import Callable
from pathlib import Path

from v2gsniff.sniffer.engine import decode_file
from v2gsniff.sniffer.model import Record
from v2gsniff.sniffer.output.jsonl import JsonlWriter

ROOT = Path(__file__).resolve().parents[1]


def _ours(records: list[Record]) -> bytes:
    out = io.BytesIO()
    text = io.TextIOWrapper(out, encoding="utf-8")
    writer = JsonlWriter(text)
    for r in records:
        writer.write(r)
    writer.close()
    return out.getvalue()


def _stdlib(records: list[Record]) -> bytes:
    encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=lambda o: o.hex())
    lines = []
    for r in records:
        obj = r.to_json()
        body = obj.pop("body", None)
        if body is not None:
            obj["body"] = body
        lines.append(encoder.encode(obj))
    return ("\n".join(lines) + "\n").encode()


def best(fn: Callable[[list[Record]], bytes], records: list[Record], runs: int) -> tuple[float, bytes]:
    times, out = [], b""
    for _ in range(runs):
        t0 = time.process_time()
        out = fn(records)
        times.append(time.process_time() - t0)
    return min(times), out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--top", type=int, default=4)
    ap.add_argument("--runs", type=int, default=15)
    args = ap.parse_args()
    real = args.shared / "captures" / "real"
    files = sorted((p for p in real.iterdir() if p.suffix in (".pcapng", ".pcap", ".dump")),
                   key=lambda p: p.stat().st_size)[-args.top:]
    print(f"{'capture':50} {'records':>7} {'MB':>6} {'JsonlWriter ms':>14} {'json.dumps ms':>13}")
    for path in files:
        records, _ = decode_file(path)
        ours, out = best(_ours, records, args.runs)
        theirs, ref = best(_stdlib, records, args.runs)
        same = [json.loads(x) for x in out.splitlines()] == [json.loads(x) for x in ref.splitlines()]
        print(f"{path.name[:50]:50} {len(records):7} {len(out) / 1e6:6.1f} {ours * 1000:14.1f} {theirs * 1000:13.1f}"
              f"{'' if same else '  OUTPUTS DIFFER'}", flush=True)


if __name__ == "__main__":
    main()
