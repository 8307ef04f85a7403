"""What privilege separation costs ``v2gsniff live``: start-up and a flat-out replay, as root
(``--allow-root``) and as ``--user nobody`` (socket helper + unprivileged decoder).

    sudo .venv/bin/python benchmarks/privsep_bench.py [--runs 7] [--replays 10]

Uses the veth pair of the live-capture tests (tests/sniffer/capture/test_live.py: two
namespaces, removed at the end). Start-up: from process start to "capturing on se0", the
median over ``--runs``. Replay: a real session (../shared) sent ``--replays`` times flat out
with an AF_PACKET socket, then the frame and kernel-drop counts ``live`` reports on exit.
"""

from __future__ import annotations

import argparse
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.sniffer.capture.test_live import CAPTURE, LIVE, Veth, reachable_by_nobody  # noqa: E402

MODES = {"--allow-root": ["--allow-root"], "--user nobody": ["--user", "nobody"]}


def start(veth: Veth, args: list[str], err: Path, stash: Path) -> subprocess.Popen[bytes]:
    cmd = veth.in_se(*reachable_by_nobody([sys.executable, "-c", LIVE, "se0", "--no-tui", "--format", "jsonl",
                                           *args], stash))
    with open(err, "wb") as fh:
        return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=fh, cwd="/")


def wait_ready(proc: subprocess.Popen[bytes], err: Path) -> None:
    while b"capturing on" not in err.read_bytes():
        if proc.poll() is not None:
            raise SystemExit(f"live exited: {err.read_text()}")
        time.sleep(0.002)


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=60)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--replays", type=int, default=10)
    opts = ap.parse_args()
    if not CAPTURE.exists():
        raise SystemExit(f"{CAPTURE} is absent (../shared beside the repository)")
    veth = Veth()
    veth.setup()
    tmp = Path(tempfile.mkdtemp(prefix="privsep-bench-"))
    try:
        for name, args in MODES.items():
            times = []
            for i in range(opts.runs):
                err = tmp / f"err{i}"
                t0 = time.monotonic()
                proc = start(veth, args, err, tmp / "stash")
                wait_ready(proc, err)
                times.append(time.monotonic() - t0)
                stop(proc)
            err = tmp / "replay"
            proc = start(veth, args, err, tmp / "stash")
            wait_ready(proc, err)
            sent = sum(veth.send(CAPTURE, 0) for _ in range(opts.replays))
            time.sleep(2)
            stop(proc)
            summary = err.read_text().strip().splitlines()[-1]
            print(f"{name:14} start-up median {statistics.median(times):.3f} s (min {min(times):.3f}, "
                  f"max {max(times):.3f}); replay: sent {sent}, {summary.removeprefix('v2gsniff: ')}")
    finally:
        veth.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
