"""``v2gsniff decode --format jsonl`` in CPU instructions (valgrind), for A/B on a loaded machine.

    python benchmarks/decode_icount.py [--shared ../shared] [--top 4] [--baseline-cli PATH] [--startup]

Wall times on a shared machine are noisy; instruction counts are not (hash seed fixed). Counts the
whole command, start-up included, on the ``--top`` largest real captures (those decode_bench.py
times beside tshark), and on an empty run (a capture without V2G frames: start-up alone). With
``--baseline-cli`` (another installation's ``v2gsniff``, e.g. one of main's code) both are counted.
Each command runs once without valgrind first, so that bytecode caches are written. ``--startup``
first splits this installation's start-up: the bare interpreter (its ``site``, with an editable
install's import hook), importing click, and the whole command on the start-up capture.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENV = {**{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}, "PYTHONHASHSEED": "0"}
EMPTY = ROOT / "captures" / "slac_no_match.pcapng"
"""Start-up: a capture of a few SLAC frames."""


def instructions(command: list[str]) -> int:
    # children traced: a baseline command may be a script that starts Python
    done = subprocess.run(["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null",
                           "--trace-children=yes", *command], capture_output=True, text=True, env=ENV)
    found = re.findall(r"I\s+refs:\s+([\d,]+)", done.stderr)
    assert found, done.stderr[-2000:]
    return sum(int(n.replace(",", "")) for n in found)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--top", type=int, default=4)
    ap.add_argument("--baseline-cli", help="a v2gsniff command to count beside this installation's")
    ap.add_argument("--startup", action="store_true", help="split this installation's start-up first")
    args = ap.parse_args()
    if shutil.which("valgrind") is None:
        print("valgrind is not installed")
        return 2
    if args.startup:
        steps = {"interpreter (python -c pass)": [sys.executable, "-c", "pass"],
                 "+ import click": [sys.executable, "-c", "import click"],
                 f"+ v2gsniff decode {EMPTY.name}": [sys.executable, "-c", "from v2gsniff.sniffer.cli import main; "
                                                     "main()", "decode", "--format", "jsonl", str(EMPTY)]}
        for name, cmd in steps.items():
            subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
            print(f"start-up: {name:48} {instructions(cmd) / 1e6:8.1f} Minstr", flush=True)
    real = args.shared / "captures" / "real"
    files = sorted((p for p in real.iterdir() if p.suffix in (".pcapng", ".pcap", ".dump")),
                   key=lambda p: p.stat().st_size)[-args.top:]
    clis = {"new": [sys.executable, "-c", "from v2gsniff.sniffer.cli import main; main()"]}
    if args.baseline_cli:
        clis = {"old": [args.baseline_cli], **clis}
    print(f"{'capture':58} " + " ".join(f"{name + ' Minstr':>12}" for name in clis)
          + ("  new/old" if len(clis) > 1 else ""))
    for path in [EMPTY, *files]:
        counts = []
        for command in clis.values():
            cmd = [*command, "decode", "--format", "jsonl", str(path)]
            subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
            counts.append(instructions(cmd) / 1e6)
        line = f"{path.name[:58]:58} " + " ".join(f"{n:12.1f}" for n in counts)
        if len(counts) > 1:
            line += f"  {counts[1] / counts[0]:7.3f}"
        print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
