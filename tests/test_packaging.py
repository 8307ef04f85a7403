"""The three code folders install under ``v2gsniff.*`` only, and every subpackage is listed."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = {"sniffer": "v2gsniff.sniffer", "dissectors": "v2gsniff.dissectors", "tui": "v2gsniff.tui"}


def _declared_packages() -> list[str]:
    with open(ROOT / "pyproject.toml", "rb") as fh:
        return list(tomllib.load(fh)["tool"]["setuptools"]["packages"])


def test_every_subpackage_is_listed_and_typed() -> None:
    declared = set(_declared_packages())
    found = set()
    for folder, namespace in FOLDERS.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            rel = init.parent.relative_to(ROOT / folder).parts
            found.add(".".join((namespace, *rel)))
            assert (init.parent / "py.typed").exists(), f"{init.parent} has no py.typed"
    assert found - declared == set(), "folders with __init__.py missing from [tool.setuptools].packages"
    assert declared - found == set(), "packages listed in pyproject.toml without a folder"


def test_no_bare_top_level_modules() -> None:
    # Run from a neutral directory: the repo root on sys.path would make the folders importable.
    code = (
        "import importlib.util as u, sys;"
        "print([n for n in ('sniffer', 'dissectors', 'tui') if u.find_spec(n) is not None])"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd="/", capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_namespace_imports_and_version() -> None:
    for namespace in FOLDERS.values():
        assert importlib.util.find_spec(namespace) is not None, namespace
    out = subprocess.run(
        [sys.executable, "-c", "from v2gsniff.sniffer.cli import main; main()", "--version"],
        cwd="/", capture_output=True, text=True,
    )
    assert out.returncode == 0
    assert out.stdout.startswith("v2gsniff, version ")


def test_core_never_imports_the_tui() -> None:
    offenders = [
        str(p.relative_to(ROOT))
        for folder in ("sniffer", "dissectors")
        for p in (ROOT / folder).rglob("*.py")
        if "v2gsniff.tui" in p.read_text(encoding="utf-8")
    ]
    assert offenders == []


def test_dissectors_do_no_io() -> None:
    banned = ("open(", "import socket", "import os", "print(", "time.time(", "sys.stdin", "subprocess")
    offenders = []
    for p in (ROOT / "dissectors").rglob("*.py"):
        if "_gen" in p.parts or p.name.startswith("gen"):
            continue
        text = p.read_text(encoding="utf-8")
        offenders += [f"{p.relative_to(ROOT)}: {b}" for b in banned if b in text]
    assert offenders == []


def _distribution(requirement: str) -> str:
    return requirement.split(";")[0].split("[")[0].split(">")[0].split("=")[0].split("<")[0].strip().lower()


def test_runtime_dependencies_are_what_the_product_imports() -> None:
    """Every third-party module the three folders import is a runtime dependency or belongs to an
    optional feature's extra (``fleet``, ``parquet``: imported only when the feature is used), and
    every runtime dependency is imported (test-only tools such as scapy belong to the test extra)."""
    import ast

    with open(ROOT / "pyproject.toml", "rb") as fh:
        project = tomllib.load(fh)["project"]
    declared = {_distribution(r) for r in project["dependencies"]}
    stdlib = set(sys.stdlib_module_names)
    imported: set[str] = set()
    for folder in FOLDERS:
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = []
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                imported.update(n.split(".")[0] for n in names)
    third_party = {n for n in imported if n not in stdlib and n not in ("v2gsniff", "__future__")}
    optional = {_distribution(r) for extra, reqs in project["optional-dependencies"].items() if extra != "test"
                for r in reqs}
    assert declared <= third_party, declared - third_party
    assert third_party - declared <= optional, third_party - declared - optional
    assert "scapy" in {_distribution(r) for r in project["optional-dependencies"]["test"]}
