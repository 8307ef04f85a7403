"""The compiled decoders (tools/exigen/compile.py): both variants agree, and the committed modules are fresh.

Until the table-driven decoder was removed, this file compared it with the compiled one (same model,
XML, JSON and positions over every vector, known-bad stream and real message).  What stays is the
cross-check between the two compiled variants (inline fast path vs one function per element) on the
same inputs, and the byte-identical regeneration.  Agreement with an independent decoder is
test_vectors.py (EXIficient's XML) and test_positions.py (an independent bit reader).
"""

from __future__ import annotations

import re
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

from tests.conftest import REAL, need_shared, real_captures
from v2gsniff.dissectors import exi
from v2gsniff.dissectors.exi import runtime
from v2gsniff.dissectors.exi.model import Element
from v2gsniff.sniffer.engine import decode_file

from .conftest import NO_SHARED, VECTORS, load_vectors

REPO = Path(__file__).parents[3]
COMPILED = REPO / "dissectors" / "exi" / "compiled"


def same_tree(a: Element, b: Element) -> bool:
    return ((a.ns, a.name, a.attrs, a.value, a.dtype, a.texts) == (b.ns, b.name, b.attrs, b.value, b.dtype, b.texts)
            and len(a.children) == len(b.children) and all(map(same_tree, a.children, b.children)))


def compare(data: bytes, schema: str, fragment: bool, same_error: bool = True) -> str:
    """'' when the plain decode and the positions variant agree, else what differs; 'error' when both
    reject the stream.  The plain modules read simple-typed children inline; the positions variant
    reads every element through its type's own function: two codings of each grammar.  With
    ``same_error`` both must reject with the same text; without, only both must reject (a mutant may
    run out of bits where one coding notices it in the parent and the other in the child)."""
    try:
        plain = runtime.decode(data, schema, fragment)
    except exi.ExiError as err:
        plain_error = str(err)
        plain = None
    try:
        traced = runtime.decode_positions(data, schema, fragment).message
    except exi.ExiError as err:
        if plain is None and (str(err) == plain_error or not same_error):
            return "error"
        return f"only one decodes: {err}"
    if plain is None:
        return f"only the positions variant decodes ({plain_error})"
    if plain.to_xml() != traced.to_xml() or plain.to_json() != traced.to_json() or plain.name != traced.name:
        return "xml/json/name differ"
    if plain.to_xml_and_json()[1] != plain.to_json():  # the renderer's JSON vs the JSON-only walk
        return "the JSON made beside the XML differs from to_json"
    if plain.violations != traced.violations:
        return f"violations differ: {plain.violations} / {traced.violations}"
    if len(plain.elements) != len(traced.elements) or not all(map(same_tree, plain.elements, traced.elements)):
        return "trees differ"
    return ""


def test_both_variants_decode_every_vector_the_same() -> None:
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
        records, _ = decode_file(REAL / name, show_keys=True)  # the messages' own bytes, keys too
        for r in records:
            if r.kind == "v2g" and r.extra.get("exi_hex") and r.extra.get("schema"):
                out[(r.extra["schema"], bytes.fromhex(r.extra["exi_hex"]))] = None
    return list(out)


def test_both_variants_decode_every_real_exi_message_the_same() -> None:
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


def test_xml_prefixes_follow_first_use_whatever_was_rendered_before() -> None:
    """to_xml keeps tags per (prefix, namespace) across documents: each document's text must be the
    same whichever documents were rendered before it, with its prefixes declared on the root in
    order of first use (ns<k> numbering counts every declared namespace, xsi and ds included)."""
    from v2gsniff.dissectors.exi import xml

    vectors = load_vectors()
    if not vectors:
        pytest.skip(NO_SHARED)
    msgs = [runtime.decode(bytes.fromhex(v["hex"]), v["_schema"], bool(v["fragment"])) for _name, v in vectors]
    first = [m.to_xml() for m in msgs]
    xml._TABLES.clear()
    xml._DECLS.clear()
    assert [m.to_xml() for m in reversed(msgs)][::-1] == first
    checked = 0
    for text in first:
        head = re.match(r"<[^>]*>", text)
        assert head is not None
        declared = re.findall(r' xmlns:([\w.-]+)="', head.group())
        body = re.sub(r' xmlns:[\w.-]+="[^"]*"', "", text)
        for k, prefix in enumerate(declared, 1):
            assert prefix in ("xsi", "ds", "xs") or prefix == f"ns{k}", text
        used = [body.find(f"{prefix}:") for prefix in declared]
        assert used == sorted(used) and -1 not in used, text
        checked += len(declared) > 1
    assert checked > 1000


def test_both_variants_agree_on_every_single_bit_flip_of_real_messages() -> None:
    """Flipped bits reach out-of-facet values (kept and listed) and undecodable ones (ExiError): the
    inline facet tests of the plain modules and the per-element ones of the positions variant must
    report the same violations at the same paths and bits."""
    need_shared()
    by_schema: dict[str, list[bytes]] = {}
    for schema, data in real_messages():
        if len(by_schema.setdefault(schema, [])) < 12:
            by_schema[schema].append(data)
    results = []
    for schema, messages in by_schema.items():
        for data in messages:
            for bit in range(8, len(data) * 8):
                flipped = bytearray(data)
                flipped[bit // 8] ^= 0x80 >> (bit % 8)
                results.append((schema, bytes(flipped), compare(bytes(flipped), schema, False, False)))
    assert [r for r in results if r[2] not in ("", "error")] == []
    violating = [r for r in results if r[2] == "" and runtime.decode(r[1], r[0]).violations]
    assert len(violating) > 20


def test_violation_paths_name_the_element_whose_value_bits_start_where_the_value_was_read() -> None:
    """Paths are found in the decoded tree by identity (runtime._path); the positions variant says,
    independently, which element's typed value starts at each bit."""
    need_shared()
    by_schema: dict[str, list[bytes]] = {}
    for schema, data in real_messages():
        if len(by_schema.setdefault(schema, [])) < 12:
            by_schema[schema].append(data)
    checked = []
    for schema, messages in by_schema.items():
        for data in messages:
            for bit in range(8, len(data) * 8):
                flipped = bytearray(data)
                flipped[bit // 8] ^= 0x80 >> (bit % 8)
                try:
                    positioned = runtime.decode_positions(bytes(flipped), schema)
                except exi.ExiError:
                    continue
                if positioned.message.violations:
                    values = _value_paths(positioned)
                    checked += [(v.path, values.get(v.bit, [])) for v in positioned.message.violations]
    assert [(path, where) for path, where in checked if path not in where] == []
    assert len(checked) > 50


def _value_paths(positioned: exi.PositionedMessage) -> dict[int, list[str]]:
    """Element paths by the first bit of their typed value."""
    out: dict[int, list[str]] = {}

    def visit(el: Element, bits: exi.ElementBits, prefix: str) -> None:
        path = f"{prefix}/{el.name}"
        if bits.value is not None:
            out.setdefault(bits.value.start, []).append(path)
        for child, child_bits in zip(el.children, bits.children, strict=True):
            visit(child, child_bits, path)

    for el, bits in zip(positioned.message.elements, positioned.elements, strict=True):
        visit(el, bits, "")
    return out
