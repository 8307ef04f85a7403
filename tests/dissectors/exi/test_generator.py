"""The committed grammar tables are exactly what tools/exigen/generate.py makes from the XSDs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).parents[3]
SCHEMAS = REPO / ".." / "shared" / "schemas"
GRAMMARS = REPO / "dissectors" / "exi" / "grammars"


@pytest.mark.skipif(not SCHEMAS.exists(), reason="../shared/schemas (the official XSDs) is absent")
def test_regeneration_is_byte_identical(tmp_path: Path) -> None:
    for run in ("a", "b"):
        subprocess.run([sys.executable, str(REPO / "tools" / "exigen" / "generate.py"), "--schemas", str(SCHEMAS),
                        "--out", str(tmp_path / run)], check=True, capture_output=True)
    generated = sorted(p.name for p in (tmp_path / "a").glob("_*.py") if p.name != "__init__.py")
    assert generated == sorted(p.name for p in GRAMMARS.glob("_*.py") if p.name != "__init__.py")
    for name in generated:
        fresh = (tmp_path / "a" / name).read_bytes()
        assert fresh == (tmp_path / "b" / name).read_bytes(), f"{name}: generator is not deterministic"
        assert fresh == (GRAMMARS / name).read_bytes(), f"{name}: committed tables are stale; rerun the generator"
