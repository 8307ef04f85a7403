"""EXI codec throughput: real CurrentDemand / DC_ChargeLoop messages and the whole vector corpus.

    python benchmarks/exi_bench.py [--seconds 0.3] [--rounds 5] [--baseline REV]

Messages come from ../shared/exi-vectors (published streams first).  Prints messages per second on
one core (pure Python) for: decode; decode + to_json (what the capture pipeline does per message);
decode + XML + JSON (the batch CLI's work without I/O: ``to_xml_and_json`` where the codec has it);
encode of a decoded message.  With ``--baseline REV`` the codec of that git revision (e.g. 2feeac1, the table-driven one with facet
reporting) is imported beside the current one and every figure is taken for both, interleaved round by round; the median of
the rounds is printed (the machine is shared, single figures are noisy).
"""

from __future__ import annotations

import argparse
import inspect
import json
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from v2gsniff.dissectors import exi

VECTORS = Path(__file__).resolve().parents[1] / ".." / "shared" / "exi-vectors"
SUBSET = {"AppProtocol": "apphand", "CommonMessages": "iso20-cm", "AC": "iso20-ac", "DC": "iso20-dc",
          "WPT": "iso20-wpt", "ACDP": "iso20-acdp", "xmldsig": "xmldsig"}
WANTED = [("din", "CurrentDemandReq"), ("din", "CurrentDemandRes"), ("iso2", "CurrentDemandReq"),
          ("iso2", "CurrentDemandRes"), ("iso20-dc", "DC_ChargeLoopReq"), ("iso20-dc", "DC_ChargeLoopRes")]


def corpus() -> list[tuple[str, bool, bytes]]:
    out = []
    for name in ("apphand", "din", "iso2", "iso20"):
        for line in (VECTORS / f"{name}.jsonl").read_text(encoding="utf-8").splitlines():
            d = json.loads(line)
            out.append((SUBSET.get(d["subset"], d["set"]), d["fragment"], bytes.fromhex(d["hex"])))
    return out


def rate(fn: Callable[[], object], seconds: float, per_call: int = 1) -> float:
    """Best rate over repeated short batches within ``seconds``."""
    start = time.perf_counter()
    t0 = time.perf_counter()
    fn()
    one = max(time.perf_counter() - t0, 1e-7)
    batch = max(1, int(0.02 / one))
    best = float("inf")
    while best == float("inf") or time.perf_counter() - start < seconds:  # at least one batch
        t0 = time.perf_counter()
        for _ in range(batch):
            fn()
        best = min(best, (time.perf_counter() - t0) / batch)
    return per_call / best


def workloads(codec: Any, items: list[tuple[str, bool, bytes]], picked: dict[tuple[str, str], bytes],
              ) -> dict[str, tuple[Callable[[], object], int]]:
    """name -> (function, messages per call) for one codec."""
    out: dict[str, tuple[Callable[[], object], int]] = {}
    encode = encoder(codec)
    for key, data in picked.items():
        schema = key[0]
        msg = codec.decode(data, schema)
        assert encode(msg) == data
        label = f"{schema} {key[1]}"
        out[f"{label}: decode"] = (lambda d=data, s=schema: codec.decode(d, s), 1)
        out[f"{label}: decode+json"] = (lambda d=data, s=schema: codec.decode(d, s).to_json(), 1)
        out[f"{label}: decode+xml+json"] = (lambda d=data, s=schema: _both(codec.decode(d, s)), 1)
        out[f"{label}: encode"] = (lambda m=msg: encode(m), 1)
    decoders = [(codec.decode_fragment if f else codec.decode, d, s) for s, f, d in items]
    msgs = [fn(d, s) for fn, d, s in decoders]

    def decode_all() -> None:
        for fn, d, s in decoders:
            fn(d, s)

    def encode_all() -> None:
        for m in msgs:
            encode(m)

    out["corpus: decode"] = (decode_all, len(items))
    out["corpus: encode"] = (encode_all, len(items))
    return out


def encoder(codec: Any) -> Callable[[Any], bytes]:
    """The codec's encode, lenient where it has that mode: some vectors carry out-of-facet values
    (an EVSEID of 6 characters), which the strict encoder of issue 12 and later refuses."""
    if "lenient" in inspect.signature(codec.encode).parameters:
        return lambda m: codec.encode(m, lenient=True)
    return codec.encode


def _both(msg: Any) -> object:
    """XML and JSON as ``exi decode --format jsonl`` makes them: in one walk where the codec can."""
    both = getattr(msg, "to_xml_and_json", None)
    return both() if both is not None else (msg.to_xml(), msg.to_json())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=0.3, help="time per figure and round")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--baseline", help="git revision whose EXI codec to time beside the current one")
    args = ap.parse_args()
    if not VECTORS.exists():
        print(f"no vectors under {VECTORS}")
        return 2
    items = corpus()
    picked: dict[tuple[str, str], bytes] = {}
    for schema, fragment, data in items:
        if not fragment:
            key = (schema, exi.decode(data, schema).name)
            if key in WANTED and key not in picked:
                picked[key] = data
    codecs: dict[str, ModuleType] = {"new": exi}
    if args.baseline:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from _baseline import load

        codecs = {"old": load(args.baseline), "new": exi}
    loads = {name: workloads(codec, items, picked) for name, codec in codecs.items()}
    rates: dict[str, dict[str, list[float]]] = {name: {k: [] for k in w} for name, w in loads.items()}
    for _ in range(args.rounds):
        for key in loads["new"]:
            for name in codecs:  # interleaved: old and new back to back for each figure
                fn, per = loads[name][key]
                rates[name][key].append(rate(fn, args.seconds, per))
    print(f"Python {platform.python_version()} on {platform.machine()}, one core; median of {args.rounds} "
          f"interleaved rounds of {args.seconds:.1f} s; messages/s")
    head = f"{'workload':44}" + "".join(f"{name:>10}" for name in codecs) + ("   new/old" if len(codecs) > 1 else "")
    print(head)
    for key in loads["new"]:
        med = {name: statistics.median(rates[name][key]) for name in codecs}
        line = f"{key:44}" + "".join(f"{med[name]:10,.0f}" for name in codecs)
        if len(codecs) > 1:
            line += f"   {med['new'] / med['old']:7.2f}x"
        print(line)
    print(f"corpus: {len(items)} messages, {sum(len(d) for _, _, d in items)} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
