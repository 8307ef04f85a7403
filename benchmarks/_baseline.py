"""The EXI codec of another git revision, imported beside the current one (benchmarks only).

``load("febc030")`` extracts ``dissectors/`` of that revision into a temporary folder and imports its EXI codec
as the package ``dissectors_baseline_<rev>.exi``, so a benchmark can time old and new in the same
process, interleaved, on the same inputs.  Its relative imports stay inside the extracted copy.
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
    archive = subprocess.run(["git", "-C", str(REPO), "archive", rev, "dissectors"], check=True,
                             capture_output=True).stdout
    root = Path(tempfile.mkdtemp(prefix="exi-baseline-"))
    atexit.register(shutil.rmtree, root, True)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(root, filter="data")
    # a bare parent package over the extracted dissectors/ (its __init__ is not run): the codec's
    # ``from .._api import ...`` (later revisions) resolves inside the copy
    parent = f"dissectors_baseline_{rev}"
    package = ModuleType(parent)
    package.__path__ = [str(root / "dissectors")]
    sys.modules[parent] = package
    name = f"{parent}.exi"
    folder = root / "dissectors" / "exi"
    spec = importlib.util.spec_from_file_location(name, folder / "__init__.py",
                                                  submodule_search_locations=[str(folder)])
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
