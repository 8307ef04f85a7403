"""How the terminal UI copes with 100,000 messages: time to load them, to jump, page, step and filter.

    /work/venv/bin/python benchmarks/tui_bench.py [--messages 100000] [CAPTURE...]

Real records (decoded from the captures given, by default a few from ../shared/captures/real)
are repeated with new frame numbers until there are --messages of them, then handed to the
real app (headless, 160x50) as ready-made records, so the figures are the UI's own cost.
Each key is timed from the press until the app has processed it and repainted (wall time,
which includes the pilot's own wait for idle: see the unbound-key line) and as CPU time.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import time
from pathlib import Path

from v2gsniff.sniffer.capture import open_capture
from v2gsniff.sniffer.model import Record
from v2gsniff.sniffer.pipeline import Decoder
from v2gsniff.tui.app import V2GSniffApp
from v2gsniff.tui.feed import CaptureStart
from v2gsniff.tui.widgets.message_list import MessageList

REAL = Path(__file__).resolve().parents[2] / "shared" / "captures" / "real"
DEFAULT = ["dsV2Gshark__DIN_DC_DS5366_Josev.pcapng", "dsV2Gshark__ISO-2_DC_PnC_TLS_Contract_DS5366_RiseV2G.pcapng",
           "everest-logfiles__VW_id.4_iso_15118-2_AC_2023-04-14T09-52-17.069Z-3_config-ac-iso2.dump"]


def base_records(paths: list[str]) -> list[Record]:
    out: list[Record] = []
    for path in paths:
        decoder = Decoder()
        with open_capture(path) as reader:
            for item in reader:
                out.extend(decoder.feed(item))
        out.extend(decoder.finish())
    return out


def scaled(base: list[Record], n: int) -> list[Record]:
    t0 = base[0].time
    return [base[i % len(base)]._replace(frame=i + 1, time=t0 + i * 0.001) for i in range(n)]


async def bench(records: list[Record]) -> None:
    app = V2GSniffApp(lambda: [CaptureStart("bench"), *records], title="bench")
    async with app.run_test(size=(160, 50)) as pilot:
        start = time.perf_counter()
        while not app.store.done:
            await pilot.pause(0.01)
        await pilot.pause()
        loaded = time.perf_counter() - start
        lst = app.query_one(MessageList)
        print(f"loaded {len(app.store.view):,} messages in {loaded:.2f} s (decode excluded)")

        async def timed(label: str, *keys: str, repeat: int = 1) -> None:
            t, cpu = time.perf_counter(), time.process_time()
            for _ in range(repeat):
                await pilot.press(*keys)
            per = (time.perf_counter() - t) / repeat
            per_cpu = (time.process_time() - cpu) / repeat
            print(f"{label:<40} {per * 1000:8.1f} ms wall {per_cpu * 1000:7.1f} ms CPU  (cursor at row {lst.cursor:,})")

        await timed("unbound key (the pilot's own wait)", "z", repeat=50)

        await timed("G (jump to the last message)", "G")
        await timed("g g (jump to the first message)", "g", "g")
        await timed("PgDn, mean of 200", "pagedown", repeat=200)
        await timed("j, mean of 500", "j", repeat=500)
        await timed("k, mean of 500", "k", repeat=500)
        await timed("n (next error), mean of 50", "n", repeat=50)
        t = time.perf_counter()
        app.query_one("#filter-input").value = "v2g and name ~ CurrentDemand"  # type: ignore[attr-defined]
        await pilot.press("slash", "enter")
        await pilot.pause()
        print(f"{'filter v2g and name ~ CurrentDemand':<40} {(time.perf_counter() - t) * 1000:8.1f} ms"
              f"  ({len(app.store.view):,} rows)")
        t = time.perf_counter()
        await pilot.press("c")
        await pilot.pause()
        print(f"{'clear the filter':<40} {(time.perf_counter() - t) * 1000:8.1f} ms  ({len(app.store.view):,} rows)")
        t = time.perf_counter()
        await pilot.press("slash", *"session == 1", "enter")
        await pilot.pause()
        print(f"{'filter session == 1 (maps sessions)':<40} {(time.perf_counter() - t) * 1000:8.1f} ms"
              f"  ({len(app.store.view):,} rows)")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {rss:.0f} MB (records included)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("captures", nargs="*")
    ap.add_argument("--messages", type=int, default=100_000)
    args = ap.parse_args()
    paths = args.captures or [str(REAL / name) for name in DEFAULT if (REAL / name).exists()]
    if not paths:
        raise SystemExit(f"no captures given and none found in {REAL}")
    base = base_records(paths)
    print(f"{len(base)} real records from {len(paths)} captures, repeated to {args.messages:,}")
    asyncio.run(bench(scaled(base, args.messages)))


if __name__ == "__main__":
    main()
