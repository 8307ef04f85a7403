"""Byte-for-byte snapshots of the CLI's outputs, to prove a refactor changes nothing users see.

    python tools/output_snapshot.py save DIR      # before the change (DIR outside the repository)
    python tools/output_snapshot.py compare DIR   # after it: every output must be identical

Snapshots ``decode --format jsonl`` (and ``--format text --no-color``) of every file in
../shared/captures/real and of captures/*.pcapng (with their key logs), ``decode --xml`` of the
demo captures, ``report --format json``/``md``, ``sessions`` (jsonl and text) and ``check`` (jsonl and text) over
the real captures.
Each entry keeps stdout, stderr and the exit code. The CLI run is the one beside this Python.
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
EXE = [sys.executable, "-P", "-m", "v2gsniff.sniffer"]


def commands() -> dict[str, list[str]]:
    """Snapshot name -> CLI arguments."""
    out: dict[str, list[str]] = {}
    real = SHARED / "captures" / "real"
    for path in sorted(real.iterdir()):
        if path.suffix in (".md", ".jsonl", ".txt"):
            continue
        out[f"decode-jsonl/{path.name}"] = ["decode", "--format", "jsonl", str(path)]
        out[f"decode-text/{path.name}"] = ["decode", "--format", "text", "--no-color", str(path)]
    for path in sorted((ROOT / "captures").glob("*.pcapng")):
        keys = path.with_suffix(".keys")
        extra = ["--keylog", str(keys)] if keys.exists() else []
        out[f"demo-jsonl/{path.name}"] = ["decode", "--format", "jsonl", *extra, str(path)]
        out[f"demo-xml/{path.name}"] = ["decode", "--format", "jsonl", "--xml", *extra, str(path)]
        out[f"demo-text/{path.name}"] = ["decode", "--format", "text", "--no-color", *extra, str(path)]
    demos = sorted(str(p) for p in (ROOT / "captures").glob("*.pcapng"))
    out["decode-multi/demos"] = ["decode", "--format", "jsonl", *demos]
    out["decode-filter/demos"] = ["decode", "--format", "jsonl", "--filter", "v2g and name ~ Req", *demos]
    out["report-json/real"] = ["report", "--format", "json", str(real)]
    out["report-md/real"] = ["report", "--format", "md", str(real)]
    out["sessions-jsonl/real"] = ["sessions", "--format", "jsonl", str(real)]
    out["sessions-text/real"] = ["sessions", str(real)]
    out["check-jsonl/real"] = ["check", "--format", "jsonl", str(real)]
    out["check-text/real"] = ["check", str(real)]
    out["report-json/demos"] = ["report", "--format", "json", str(ROOT / "captures")]
    return out


def run(args: list[str]) -> bytes:
    proc = subprocess.run([*EXE, *args], capture_output=True, check=False, cwd="/tmp")
    return b"".join([proc.stdout, b"\n--- stderr ---\n", proc.stderr, f"\n--- exit {proc.returncode}\n".encode()])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("action", choices=["save", "compare"])
    ap.add_argument("dir", type=Path)
    args = ap.parse_args()
    if not (SHARED / "captures" / "real").is_dir():
        raise SystemExit(f"{SHARED}/captures/real is absent")
    differ = 0
    cmds = commands()
    for name, cmd in cmds.items():
        target = args.dir / name
        out = run(cmd)
        if args.action == "save":
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(out)
            continue
        before = target.read_bytes() if target.exists() else None
        if before != out:
            differ += 1
            new = target.with_name(target.name + ".after")
            new.write_bytes(out)
            print(f"DIFFERS {name} (after in {new})")
    if args.action == "compare":
        digest = hashlib.sha256(b"".join((args.dir / n).read_bytes() for n in cmds)).hexdigest()[:16]
        print(f"{len(cmds) - differ}/{len(cmds)} outputs identical (snapshot sha256 {digest})")
        sys.exit(1 if differ else 0)
    print(f"saved {len(cmds)} outputs in {args.dir}")


if __name__ == "__main__":
    main()
