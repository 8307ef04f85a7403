"""Decryption throughput of TlsConnection on real generated sessions.

Generates TLS 1.2 (0xC023, AES-128-CBC-SHA256 with and without encrypt-then-MAC) and TLS 1.3
(TLS_AES_256_GCM_SHA384, TLS_CHACHA20_POLY1305_SHA256) sessions of N V2GTP messages with the
test helper (two in-memory ssl.SSLObjects), then feeds both directions in 1460-byte segments:

* pass-through: the same segments appended to per-direction buffers and cut into records,
  no cryptography (the floor any TLS-aware pipeline pays);
* no keys: TlsConnection without secrets (handshake decoding, queueing);
* decrypt: TlsConnection with the key log.

Usage: /work/venv/bin/python benchmarks/tls_bench.py [--messages 10000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "sniffer" / "streams" / "tls"))

from sessions import Config, Session, run_session, v2g_exchanges  # noqa: E402

from v2gsniff.sniffer.streams.tls import KeyLog, TlsConnection, TlsError, TlsPlaintext  # noqa: E402

CASES = {
    "TLS 1.2 C023 CBC EtM": Config(),
    "TLS 1.2 C023 CBC MtE": Config(no_etm=True),
    "TLS 1.3 1302 AES-256-GCM": Config(tls13=True, ciphersuites="TLS_AES_256_GCM_SHA384"),
    "TLS 1.3 1303 ChaCha20": Config(tls13=True, ciphersuites="TLS_CHACHA20_POLY1305_SHA256"),
}


def segments(session: Session, mss: int = 1460) -> list[tuple[bool, bytes]]:
    out = []
    for side, data in session.writes:
        for pos in range(0, len(data), mss):
            out.append((side, data[pos : pos + mss]))
    return out


def pass_through(segs: list[tuple[bool, bytes]]) -> int:
    bufs = {True: bytearray(), False: bytearray()}
    records = 0
    for side, data in segs:
        buf = bufs[side]
        buf += data
        pos = 0
        while len(buf) - pos >= 5:
            end = pos + 5 + ((buf[pos + 3] << 8) | buf[pos + 4])
            if end > len(buf):
                break
            _ = bytes(buf[pos + 5 : end])
            records += 1
            pos = end
        del buf[:pos]
    return records


def run_conn(segs: list[tuple[bool, bytes]], log: KeyLog) -> tuple[int, int, int]:
    conn = TlsConnection(log)
    plain = errors = size = 0
    for frame, (side, data) in enumerate(segs, 1):
        for e in conn.feed(side, data, frame, 0.0):
            if isinstance(e, TlsPlaintext):
                plain += 1
                size += len(e.data)
            elif isinstance(e, TlsError):
                errors += 1
    return plain, errors, size


def timed(fn: Callable[[], object], repeat: int = 3) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=10_000, help="V2GTP messages (half each way)")
    args = parser.parse_args()
    print(f"{'case':26} {'mode':12} {'records':>8} {'MB':>7} {'seconds':>8} {'records/s':>11} {'MB/s':>8}")
    for name, cfg in CASES.items():
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            session = run_session(Path(tmp), cfg, v2g_exchanges("iso20" if cfg.tls13 else "iso2", args.messages // 2))
            generated = time.perf_counter() - t0
        segs = segments(session)
        wire = sum(len(d) for _, d in segs) / 1e6
        log = KeyLog()
        log.add_text(session.keylog, "bench")
        records = pass_through(segs)
        modes: list[tuple[str, Callable[[], object]]] = [
            ("pass-through", lambda s=segs: pass_through(s)),  # type: ignore[misc]
            ("no keys", lambda s=segs: run_conn(s, KeyLog())),  # type: ignore[misc]
            ("decrypt", lambda s=segs, k=log: run_conn(s, k)),  # type: ignore[misc]
        ]
        for mode, fn in modes:
            seconds, result = timed(fn)
            if mode == "decrypt":
                assert isinstance(result, tuple)
                plain, errors, _ = result
                assert errors == 0 and plain == args.messages // 2 * 2, result
            print(f"{name:26} {mode:12} {records:8d} {wire:7.2f} {seconds:8.3f} {records / seconds:11,.0f} "
                  f"{wire / seconds:8.1f}")
        print(f"{'':26} (session of {records} records generated in {generated:.1f} s)")


if __name__ == "__main__":
    main()
