"""Long fuzz run of the EXI decoder: mutated real messages must only ever raise ExiError.

    python benchmarks/exi_fuzz.py [--iterations N] [--seed S]

Runs through the compiled decoders (every schema's module is imported before the clock starts).
Seeds are every vector in ../shared/exi-vectors (all sets, documents and fragments).  Mutations:
1-8 bit flips, truncation, appended bytes, byte splices between messages, random bytes after the
header.  Any other exception, or a decode slower than 1 s, is printed with its input and the run
exits 1.  Also checks that decoded mutants re-encode without a non-ExiError exception.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
import traceback
from pathlib import Path

from v2gsniff.dissectors import exi

VECTORS = Path(__file__).resolve().parents[1] / ".." / "shared" / "exi-vectors"
SUBSET = {"AppProtocol": "apphand", "CommonMessages": "iso20-cm", "AC": "iso20-ac", "DC": "iso20-dc",
          "WPT": "iso20-wpt", "ACDP": "iso20-acdp", "xmldsig": "xmldsig"}


def seeds() -> list[tuple[str, bool, bytes]]:
    out = []
    for path in sorted(VECTORS.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            d = json.loads(line)
            out.append((SUBSET.get(d.get("subset", ""), d["set"]), bool(d.get("fragment")), bytes.fromhex(d["hex"])))
    return out


def mutate(rng: random.Random, data: bytes, pool: list[tuple[str, bool, bytes]]) -> bytes:
    buf = bytearray(data)
    kind = rng.randrange(5)
    if kind == 0:
        for _ in range(rng.randint(1, 8)):
            bit = rng.randrange(8, len(buf) * 8) if len(buf) > 1 else 8
            if bit // 8 < len(buf):
                buf[bit // 8] ^= 0x80 >> (bit % 8)
    elif kind == 1:
        del buf[rng.randrange(1, len(buf) + 1):]
    elif kind == 2:
        buf += bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
    elif kind == 3:
        other = rng.choice(pool)[2]
        cut = rng.randrange(1, len(buf) + 1)
        buf = buf[:cut] + other[rng.randrange(1, len(other)) if len(other) > 1 else 1:]
    else:
        buf = bytearray(b"\x80" + bytes(rng.randrange(256) for _ in range(rng.randint(0, 64))))
    return bytes(buf)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--iterations", type=int, default=200_000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    pool = seeds()
    if not pool:
        print(f"no vectors under {VECTORS}")
        return 2
    for schema in exi.SCHEMAS:  # load every compiled decoder first: an import is not a slow input
        for fragment in (False, True):
            try:
                (exi.decode_fragment if fragment else exi.decode)(b"\x80\x00", schema)
            except exi.ExiError:
                pass
    rng = random.Random(args.seed)
    decoded = errors = 0
    t0 = time.perf_counter()
    for i in range(args.iterations):
        schema, fragment, data = rng.choice(pool)
        if rng.random() < 0.05:
            schema = rng.choice(exi.SCHEMAS)
        mutant = mutate(rng, data, pool)
        start = time.perf_counter()
        try:
            msg = (exi.decode_fragment if fragment else exi.decode)(mutant, schema)
            decoded += 1
            try:
                exi.encode(msg)
            except exi.ExiError:
                pass
        except exi.ExiError:
            errors += 1
        except Exception:
            print(f"iteration {i}: {schema} fragment={fragment} {mutant.hex()}")
            traceback.print_exc()
            return 1
        if time.perf_counter() - start > 1.0:
            print(f"iteration {i}: slow input ({time.perf_counter() - start:.2f} s): {schema} {mutant.hex()}")
            return 1
    dt = time.perf_counter() - t0
    print(f"{args.iterations} mutants in {dt:.1f} s: {decoded} decoded, {errors} ExiError, 0 other exceptions")
    return 0


if __name__ == "__main__":
    sys.exit(main())
