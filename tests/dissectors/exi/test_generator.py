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


@pytest.mark.skipif(not SCHEMAS.exists(), reason="../shared/schemas (the official XSDs) is absent")
@pytest.mark.parametrize(("xsd", "module"), [("iso2/V2G_CI_MsgDataTypes.xsd", "_iso2"),
                                             ("din/V2G_CI_MsgDataTypes.xsd", "_din"),
                                             ("iso20/V2G_CI_CommonTypes.xsd", "_iso20_cm")])
def test_every_length_facet_of_the_xsd_is_in_the_tables(xsd: str, module: str) -> None:
    """Read independently of the generator: each named simpleType's length facets appear on a datatype."""
    import importlib
    import xml.etree.ElementTree as ET

    xs = "{http://www.w3.org/2001/XMLSchema}"
    tables = importlib.import_module(f"v2gsniff.dissectors.exi.grammars.{module}")
    carried = {tuple(sorted(dt[-1])) for dt in tables.DATATYPES if dt[0] in ("string", "hex", "b64") and len(dt) > 1}
    expected = set()
    for simple in ET.parse(SCHEMAS / xsd).getroot().iter(f"{xs}simpleType"):
        restriction = simple.find(f"{xs}restriction")
        if restriction is None or restriction.find(f"{xs}enumeration") is not None:
            continue
        facets = tuple(sorted((c.tag[len(xs):], int(c.get("value", "0"))) for c in restriction
                              if c.tag[len(xs):] in ("length", "minLength", "maxLength")))
        if facets:
            expected.add(facets)
    assert expected and expected <= carried
