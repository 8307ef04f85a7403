"""End-to-end cost of TLS: decode the same simulated session in clear and over TLS.

    python benchmarks/tls_overhead.py [--loops 2000] [--rounds 3]

A TLS session (simulated: 1.3 for ISO 15118-20, 1.2 CBC for ISO 15118-2; and the real dSPACE
captures when ../shared is present) is decrypted once; its V2GTP messages are then written again,
in the same order and one per segment, into a plain TCP connection, next to the capture's other
frames (SLAC, SDP ...). Both captures carry exactly the same V2G traffic and are decoded in-process through
the whole pipeline (reader, reassembly, TLS, V2GTP, EXI, records); the best of ``--rounds`` is
compared, both for the pipeline in-process and for the whole ``v2gsniff decode`` command (what a
user waits for, start-up included). Target: TLS costs at most 30 % more end to end.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from v2gsniff.sniffer.capture import open_capture
from v2gsniff.sniffer.model import RawFrame
from v2gsniff.sniffer.pipeline import Decoder
from v2gsniff.sniffer.simulate import simulate, write_pcapng
from v2gsniff.sniffer.simulate.wire import Host, TcpConversation, Wire

SCENARIOS = ["iso20-dc-tls13", "iso2-dc-tls12"]
REAL = Path(__file__).resolve().parents[1].parent / "shared" / "captures" / "real"
REAL_TLS = [  # dSPACE captures with in-band keys (used when ../shared is present)
    "dsV2Gshark__ISO-2_DC_PnC_TLS_Contract_DS5366_RiseV2G.pcapng",
    "dsV2Gshark__ISO-20_TLS13_DC_DS5366_Josev.pcapng",
]


def cleartext_twin(tls_capture: Path, out: Path) -> None:
    """``tls_capture`` with its TLS connection replaced by the same V2GTP messages in clear.

    Every frame that is not TCP (SLAC, SDP, neighbour discovery, key-log datagrams) is kept, so
    both captures differ only in TLS.
    """
    dec = Decoder()
    messages: list[tuple[bool, bytes]] = []
    others: list[RawFrame] = []
    with open_capture(tls_capture) as reader:
        for item in reader:
            if isinstance(item, RawFrame) and not (len(item.data) > 20 and item.data[12:14] == b"\x86\xdd"
                                                   and item.data[20] == 6):
                others.append(item)
            messages += [(r.extra["dir"] == "ev->evse", r.data) for r in dec.feed(item) if r.kind == "v2g"]
    wire = Wire(1)
    for f in others:
        wire.frames.append((f.time, f.data))
    wire.now = max((f.time for f in others), default=wire.now)
    ev, evse = Host.from_mac(bytes.fromhex("02000000aa01")), Host.from_mac(bytes.fromhex("02000000bb02"))
    conv = TcpConversation(wire, ev, evse, 50000, 15200)
    conv.connect()
    for from_ev, data in messages:
        conv.send(from_ev, data)
    conv.close()
    write_pcapng(wire, out)


def decode_time(path: Path) -> tuple[float, int, int]:
    """Seconds, V2G messages, of which decrypted."""
    t0 = time.perf_counter()
    dec = Decoder()
    v2g = tls = 0
    with open_capture(path) as reader:
        for item in reader:
            for rec in dec.feed(item):
                if rec.kind == "v2g":
                    v2g += 1
                    tls += bool(rec.extra.get("tls"))
    dec.finish()
    return time.perf_counter() - t0, v2g, tls


def command_time(path: Path, rounds: int) -> float:
    """Best wall time of the whole ``v2gsniff decode --format jsonl`` command (start-up included)."""
    exe = shutil.which("v2gsniff", path=str(Path(sys.executable).parent)) or "v2gsniff"
    best = float("inf")
    for _ in range(rounds):
        t0 = time.perf_counter()
        subprocess.run([exe, "decode", "--format", "jsonl", str(path)], stdout=subprocess.DEVNULL, check=True)
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--loops", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        jobs = [(name, None) for name in SCENARIOS] + [(n, REAL / n) for n in REAL_TLS if (REAL / n).exists()]
        for name, real in jobs:
            secure, clear = Path(tmp) / f"{name}.pcapng", Path(tmp) / f"{name}-clear.pcapng"
            if real is None:
                write_pcapng(simulate(name, seed=args.seed, loops=args.loops), secure)
            else:
                secure = real
            cleartext_twin(secure, clear)
            (tc, nc, _), (ts, ns, ks) = (min(decode_time(p) for _ in range(args.rounds)) for p in (clear, secure))
            print(f"{name + ' in clear':28} {nc:6} msgs {clear.stat().st_size / 1e6:6.2f} MB {tc:6.2f} s "
                  f"{nc / tc:8.0f} msgs/s")
            print(f"{name:28} {ns:6} msgs {secure.stat().st_size / 1e6:6.2f} MB {ts:6.2f} s "
                  f"{ns / ts:8.0f} msgs/s ({ks} decrypted)")
            print(f"  TLS overhead, pipeline in-process: {(ts / tc - 1) * 100:+.1f} %")
            wc, ws = command_time(clear, args.rounds), command_time(secure, args.rounds)
            print(f"  TLS overhead, whole command: {wc:.2f} s -> {ws:.2f} s, {(ws / wc - 1) * 100:+.1f} %\n")

if __name__ == "__main__":
    main()
