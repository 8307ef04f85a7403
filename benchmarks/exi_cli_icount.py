"""Batch CLI cost in CPU instructions per line (valgrind): ``exi decode - --schema iso2 --format jsonl``.

    python benchmarks/exi_cli_bench.py --count 3000 --runs 1 --keep lines.txt
    python benchmarks/exi_cli_icount.py --input lines.txt [--baseline-cli PATH]

Timings on a shared machine are noisy; instruction counts are not.  The command runs under
``valgrind --tool=callgrind`` on the first ``--lines`` lines of the input and on the first ``--base``
lines (hash seed fixed, after one run without valgrind so that bytecode caches are written); the
difference over the extra lines is the cost of a line, start-up and imports left out.  With
``--baseline-cli`` (another installation's ``v2gsniff``) both commands are counted.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ARGS = ["exi", "decode", "-", "--schema", "iso2", "--format", "jsonl"]


def instructions(command: list[str], text: str) -> int:
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    # children traced: a baseline command may be a script that starts Python
    done = subprocess.run(["valgrind", "--tool=callgrind", "--trace-children=yes", "--callgrind-out-file=/dev/null",
                           *command, *ARGS], input=text, capture_output=True, text=True, check=True, env=env)
    found = re.findall(r"Collected : (\d+)", done.stderr)
    assert found, done.stderr[-2000:]
    return sum(int(n) for n in found)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--input", required=True, type=Path, help="hex lines (exi_cli_bench.py --keep)")
    ap.add_argument("--lines", type=int, default=3000)
    ap.add_argument("--base", type=int, default=500)
    ap.add_argument("--baseline-cli", help="a v2gsniff command to count beside this installation's")
    args = ap.parse_args()
    if shutil.which("valgrind") is None:
        print("valgrind is not installed")
        return 2
    lines = args.input.read_text().splitlines(keepends=True)
    if len(lines) < args.lines or args.base >= args.lines:
        print(f"need {args.lines} input lines (have {len(lines)}) and --base below --lines")
        return 2
    many, few = "".join(lines[: args.lines]), "".join(lines[: args.base])
    clis = {"new": [sys.executable, "-c", "from v2gsniff.sniffer.cli import main; main()"]}
    if args.baseline_cli:
        clis = {"old": [args.baseline_cli], **clis}
    for name, command in clis.items():
        subprocess.run([*command, *ARGS], input=few, capture_output=True, text=True, check=True,
                       env={k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"})
        per = (instructions(command, many) - instructions(command, few)) / (args.lines - args.base)
        print(f"{name}: {' '.join(ARGS)}: {per:,.0f} instructions per line", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
