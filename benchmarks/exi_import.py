"""Start-up cost of the EXI codec: importing it and decoding a first message of one schema, beside another revision.

    python benchmarks/exi_import.py [--baseline 2feeac1] [--runs 15] [--schema din]

Each run is a fresh interpreter that imports the codec package (``dissectors/exi`` of this tree, or
of the baseline revision, extracted beside it) and decodes one vector of the schema: what a
``v2gsniff exi decode`` or a capture decode pays before its first message.  Two cases: with
``.pyc`` files (what a wheel install or any second run has) and without (``-B`` and no
``__pycache__``: every module compiled from source, as under PYTHONDONTWRITEBYTECODE).  Runs are
interleaved; the minimum and the median are printed in ms (the machine is shared).
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from exi_fuzz import seeds

REPO = Path(__file__).resolve().parents[1]

PROGRAM = r"""
import importlib.util, os, sys, time, types
folder, schema, data = sys.argv[1], sys.argv[2], bytes.fromhex(sys.argv[3])
t0 = time.perf_counter()
parent = types.ModuleType("dissectors_pkg")  # a bare dissectors/ package: ``from .._api`` resolves in the copy
parent.__path__ = [os.path.dirname(folder)]
sys.modules["dissectors_pkg"] = parent
spec = importlib.util.spec_from_file_location("dissectors_pkg.exi", folder + "/__init__.py",
                                              submodule_search_locations=[folder])
module = importlib.util.module_from_spec(spec)
sys.modules["dissectors_pkg.exi"] = module
spec.loader.exec_module(module)
module.decode(data, schema)
print(time.perf_counter() - t0)
"""


def tree(rev: str | None, root: Path) -> Path:
    """``dissectors/exi`` (and the ``_api`` module it may import) of a revision (None: this working
    tree, without caches) under ``root``."""
    if rev is None:
        shutil.copytree(REPO / "dissectors" / "exi", root / "dissectors" / "exi",
                        ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copy(REPO / "dissectors" / "_api.py", root / "dissectors" / "_api.py")
    else:
        archive = subprocess.run(["git", "-C", str(REPO), "archive", rev, "dissectors/exi", "dissectors/_api.py"],
                                 check=True, capture_output=True).stdout
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(root, filter="data")
    return root / "dissectors" / "exi"


def run(folder: Path, schema: str, data: bytes, pyc: bool) -> float:
    if not pyc:
        for cache in folder.rglob("__pycache__"):
            shutil.rmtree(cache)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    flags = [] if pyc else ["-B"]
    out = subprocess.run([sys.executable, *flags, "-c", PROGRAM, str(folder), schema, data.hex()], check=True,
                         capture_output=True, text=True, env=env).stdout
    return float(out) * 1000


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--baseline", default="2feeac1")
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--schema", default="din")
    args = ap.parse_args()
    data = next((d for s, f, d in seeds() if s == args.schema and not f), None)
    if data is None:
        print(f"no {args.schema} document in ../shared/exi-vectors")
        return 2
    with tempfile.TemporaryDirectory(prefix="exi-import-") as tmp:
        folders = {"old": tree(args.baseline, Path(tmp) / "old"), "new": tree(None, Path(tmp) / "new")}
        for pyc in (True, False):
            if pyc:  # write the caches once
                for folder in folders.values():
                    run(folder, args.schema, data, True)
            times: dict[str, list[float]] = {k: [] for k in folders}
            for _ in range(args.runs):
                for label, folder in folders.items():
                    times[label].append(run(folder, args.schema, data, pyc))
            for label, ms in times.items():
                print(f"{'with .pyc' if pyc else 'no .pyc  '} {label} ({args.baseline if label == 'old' else 'this tree'}): "
                      f"min {min(ms):7.1f} ms  median {statistics.median(ms):7.1f} ms")
            growth = min(times["new"]) - min(times["old"])
            print(f"{'with .pyc' if pyc else 'no .pyc  '} growth (min): {growth:+.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
