"""End-to-end cost of TLS: decode the same simulated session in clear and over TLS.

    python benchmarks/tls_overhead.py [--loops 2000] [--rounds 3]

A simulated TLS session (1.3 for ISO 15118-20, 1.2 CBC for ISO 15118-2) is decrypted once; its
V2GTP messages are then written again, in the same order and one per segment, into a plain TCP
connection. Both captures carry exactly the same V2G traffic and are decoded in-process through
the whole pipeline (reader, reassembly, TLS, V2GTP, EXI, records); the best of ``--rounds`` is
compared. Target: TLS costs at most 30 % more.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from v2gsniff.sniffer.capture import open_capture
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
    """The decrypted V2GTP messages of ``tls_capture`` over a plain TCP connection."""
    dec = Decoder()
    messages: list[tuple[bool, bytes]] = []
    with open_capture(tls_capture) as reader:
        for item in reader:
            messages += [(r.extra["dir"] == "ev->evse", r.data) for r in dec.feed(item) if r.kind == "v2g"]
    wire = Wire(1)
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
            print(f"  TLS overhead: {(ts / tc - 1) * 100:+.1f} %\n")

if __name__ == "__main__":
    main()
