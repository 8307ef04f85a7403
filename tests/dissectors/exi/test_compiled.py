"""The compiled decoder (tools/exigen/compile.py) against the table-driven one it replaces.

Same model (elements, attributes, typed values and their datatype kinds), same XML and JSON, same
bits for the positioned decode, on every vector, every known-bad stream under every schema, and
every EXI message of the real captures; and the committed modules are what the compiler makes.
"""

from __future__ import annotations

import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

from tests.conftest import REAL, need_shared, real_captures
from tests.sniffer.decoded import decode_file
from v2gsniff.dissectors import exi
from v2gsniff.dissectors.exi import decoder, grammar, runtime
from v2gsniff.dissectors.exi.model import Element

from .conftest import NO_SHARED, VECTORS, load_vectors

REPO = Path(__file__).parents[3]
COMPILED = REPO / "dissectors" / "exi" / "compiled"


def same_tree(a: Element, b: Element) -> bool:
    return ((a.ns, a.name, a.attrs, a.value, a.dtype, a.texts) == (b.ns, b.name, b.attrs, b.value, b.dtype, b.texts)
            and len(a.children) == len(b.children) and all(map(same_tree, a.children, b.children)))


def compare(data: bytes, schema: str, fragment: bool) -> str:
    """'' when both decoders agree, else what differs; 'error' when both reject the stream."""
    try:
        old = decoder.decode_stream(data, grammar.load(schema), fragment)
    except exi.ExiError:
        old = None
    try:
        new = runtime.decode(data, schema, fragment)
    except exi.ExiError:
        new = None
    if old is None or new is None:
        return "error" if old is None and new is None else f"only one decodes: old {old!r}, new {new!r}"
    # outputs first, from the compact form, then the elements made from it
    if new.to_xml() != old.to_xml() or new.to_json() != old.to_json() or new.name != old.name:
        return "xml/json/name differ"
    if not all(map(same_tree, old.elements, new.elements)) or len(old.elements) != len(new.elements):
        return "trees differ"
    old_pos = decoder.decode_positions(data, grammar.load(schema), fragment)
    new_pos = runtime.decode_positions(data, schema, fragment)
    if old_pos.elements != new_pos.elements or old_pos.end != new_pos.end:
        return "positions differ"
    return ""


def test_every_vector_decodes_the_same() -> None:
    vectors = load_vectors()
    if not vectors:
        pytest.skip(NO_SHARED)
    results = {name: compare(bytes.fromhex(v["hex"]), v["_schema"], bool(v["fragment"])) for name, v in vectors}
    assert {k: r for k, r in results.items() if r not in ("", "error")} == {}
    assert sum(r == "" for r in results.values()) > 1600


def test_known_bad_streams_fail_or_decode_alike_under_every_schema() -> None:
    path = VECTORS / "known_bad.jsonl"
    if not path.exists():
        pytest.skip(NO_SHARED)
    import json

    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    results = {(i, s, f): compare(bytes.fromhex(d["hex"]), s, f)
               for i, d in enumerate(lines, 1) for s in exi.SCHEMAS for f in (False, True)}
    assert {k: r for k, r in results.items() if r not in ("", "error")} == {}
    assert "" in results.values() and "error" in results.values()  # both kinds are exercised


@cache
def real_messages() -> list[tuple[str, bytes]]:
    out: dict[tuple[str, bytes], None] = {}
    for name in real_captures():
        records, _ = decode_file(REAL / name)
        for r in records:
            if r.kind == "v2g" and r.extra.get("exi_hex") and r.extra.get("schema"):
                out[(r.extra["schema"], bytes.fromhex(r.extra["exi_hex"]))] = None
    return list(out)


def test_every_real_exi_message_decodes_the_same() -> None:
    need_shared()
    messages = real_messages()
    diffs = [(schema, data.hex(), r) for schema, data in messages if (r := compare(data, schema, False)) not in ("",)]
    assert diffs == []
    assert len(messages) > 1000


def test_compiled_modules_are_regenerated_byte_identically(tmp_path: Path) -> None:
    subprocess.run([sys.executable, str(REPO / "tools" / "exigen" / "compile.py"), "--out", str(tmp_path)],
                   check=True, capture_output=True)
    fresh = sorted(p.name for p in tmp_path.glob("_*.py"))
    assert fresh == sorted(p.name for p in COMPILED.glob("_*.py") if p.name != "__init__.py")
    stale = [name for name in fresh if (tmp_path / name).read_bytes() != (COMPILED / name).read_bytes()]
    assert stale == [], "committed compiled decoders are stale; rerun tools/exigen/compile.py"
