"""The EXI codec of another git revision, imported beside the current one (benchmarks only).

``load("febc030")`` extracts ``dissectors/exi`` of that revision into a temporary folder and imports
it as the package ``exi_baseline_<rev>``, so a benchmark can time old and new in the same process,
interleaved, on the same inputs.  Its relative imports stay inside the extracted copy.
"""

from __future__ import annotations

import atexit
import importlib.util
import io
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[1]


def load(rev: str) -> ModuleType:
    archive = subprocess.run(["git", "-C", str(REPO), "archive", rev, "dissectors/exi"], check=True,
                             capture_output=True).stdout
    root = Path(tempfile.mkdtemp(prefix="exi-baseline-"))
    atexit.register(shutil.rmtree, root, True)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(root, filter="data")
    folder = root / "dissectors" / "exi"
    name = f"exi_baseline_{rev}"
    spec = importlib.util.spec_from_file_location(name, folder / "__init__.py",
                                                  submodule_search_locations=[str(folder)])
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
