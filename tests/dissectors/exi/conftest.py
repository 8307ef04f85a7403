"""Shared test data for the EXI codec: the vectors in ../shared/exi-vectors (skipped when absent)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

SHARED = Path(__file__).parents[3] / ".." / "shared"
VECTORS = SHARED / "exi-vectors"
SCHEMAS_DIR = SHARED / "schemas"
NO_SHARED = "the shared test data folder ../shared (exi-vectors, schemas) is not present"

SUBSET_SCHEMA = {"AppProtocol": "apphand", "CommonMessages": "iso20-cm", "AC": "iso20-ac", "DC": "iso20-dc",
                 "WPT": "iso20-wpt", "ACDP": "iso20-acdp", "xmldsig": "xmldsig"}


def schema_of(vector: dict[str, Any]) -> str:
    """Our schema name for a vector line (``set`` + ``subset``)."""
    return SUBSET_SCHEMA.get(vector.get("subset", ""), vector["set"])


def load_vectors() -> list[tuple[str, dict[str, Any]]]:
    out: list[tuple[str, dict[str, Any]]] = []
    for name in ("apphand", "din", "iso2", "iso20"):
        path = VECTORS / f"{name}.jsonl"
        if path.exists():
            for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                vector = json.loads(line)
                vector["_schema"] = schema_of(vector)
                out.append((f"{name}:{i}", vector))
    return out


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "vector" in metafunc.fixturenames:
        vectors = load_vectors()
        if vectors:
            metafunc.parametrize("vector", [v for _, v in vectors], ids=[i for i, _ in vectors])
        else:
            metafunc.parametrize("vector", [pytest.param(None, marks=pytest.mark.skip(reason=NO_SHARED))])
