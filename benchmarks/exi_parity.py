"""The compiled decoders against another revision's decoder: same model, XML, JSON, facet violations, errors.

    python benchmarks/exi_parity.py [--baseline 2feeac1] [--mutants 200000] [--seed 1]

The baseline is the last revision with the table-driven decoder and the lenient facet contract
(issue 12): its ``decode`` is the reference.  Inputs: every vector in ../shared/exi-vectors, every
known-bad stream under every schema, every distinct EXI message of the real captures, and
``--mutants`` mutated vectors (exi_fuzz.py's mutations: bit flips, truncations, splices, random
bytes), which reach out-of-facet values and undecodable bits the clean inputs never show.  For
each input both decoders must either raise ``ExiError`` (the texts are counted, not required to
match: the compiled code may notice a read past the end at another bit) or give
equal messages with equal XML, JSON, ``violations`` (path, value, facet, limit, bit) and positions
(``decode_with_positions``: every element's and value's bits, and its violations).  Prints
counts and the first differences; exits 1 on any difference but element bits, which are counted
(the old tracer gave an element after ``xsi:nil="false"`` the parent's escape bits).  Not a test: the old decoder is not
in the product, so this runs from a checkout with git history.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from _baseline import load
from exi_fuzz import mutate, seeds

from v2gsniff.dissectors import exi

SHARED = Path(__file__).resolve().parents[1] / ".." / "shared"


def outcome(codec: Any, data: bytes, schema: str, fragment: bool) -> tuple[Any, ...]:
    """What a decode gives: ("error", text) or ("ok", xml, json, violations, name, namespace, positions)."""
    try:
        msg = (codec.decode_fragment if fragment else codec.decode)(data, schema)
    except codec.ExiError as err:
        return ("error", str(err))
    positioned = codec.decode_with_positions(data, schema, fragment)
    return ("ok", msg.to_xml(), json.dumps(msg.to_json(), default=repr), tuple(map(tuple, msg.violations)),
            msg.name, msg.namespace, tuple(map(tuple, positioned.message.violations)),
            repr(positioned.elements), positioned.end)


def real_messages() -> list[tuple[str, bool, bytes]]:
    from v2gsniff.sniffer.engine import decode_file

    found: dict[tuple[str, bool, bytes], None] = {}
    for path in sorted((SHARED / "captures" / "real").glob("*.pcap*")):
        records, _ = decode_file(path, show_keys=True)
        for r in records:
            if r.kind == "v2g" and r.extra.get("exi_hex") and r.extra.get("schema"):
                found[(r.extra["schema"], False, bytes.fromhex(r.extra["exi_hex"]))] = None
    return list(found)


def known_bad() -> list[tuple[str, bool, bytes]]:
    path = SHARED / "exi-vectors" / "known_bad.jsonl"
    if not path.exists():
        return []
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return [(s, f, bytes.fromhex(d["hex"])) for d in lines for s in exi.SCHEMAS for f in (False, True)]


def mutants(pool: list[tuple[str, bool, bytes]], count: int, seed: int) -> Iterator[tuple[str, bool, bytes]]:
    rng = random.Random(seed)
    for _ in range(count):
        schema, fragment, data = rng.choice(pool)
        yield schema, fragment, mutate(rng, data, pool)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--baseline", default="2feeac1", help="git revision whose decoder is the reference")
    ap.add_argument("--mutants", type=int, default=200_000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    old = load(args.baseline)
    pool = seeds()
    if not pool:
        print("no vectors under ../shared/exi-vectors")
        return 2
    sets = {"vectors": pool, "known-bad": known_bad(), "real messages": real_messages(),
            "mutants": mutants(pool, args.mutants, args.seed)}
    failures = moved = 0
    for label, items in sets.items():
        same = errors = texts = violating = 0
        for schema, fragment, data in items:
            a, b = outcome(old, data, schema, fragment), outcome(exi, data, schema, fragment)
            if a[0] == b[0] == "error":  # the error texts may differ (where a read past the end is noticed)
                same += 1
                errors += 1
                texts += a[1] == b[1]
                continue
            if a[:7] != b[:7]:
                failures += 1
                if failures <= 10:
                    print(f"DIFF {label} {schema} fragment={fragment} {data.hex()}\n  old: {a[:7]}\n  new: {b[:7]}")
                continue
            if a[7:] != b[7:]:
                # the old tracer began the element after an xsi:nil="false" escape at the escape's
                # code (the parent's attribute bits); the compiled variant at the element's own code
                moved += 1
                if moved <= 3:
                    print(f"POSITIONS {label} {schema} fragment={fragment} {data.hex()}")
            same += 1
            violating += bool(a[3])
        print(f"{label}: {same} alike: {same - errors} decoded identically ({violating} with facet violations), "
              f"{errors} rejected by both ({texts} with the same error text)")
    print(f"differences: {failures}; same model but other element bits: {moved}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
