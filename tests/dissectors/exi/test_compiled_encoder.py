"""The compiled encoders (tools/exigen/compile_encoder.py) write exactly what the table-driven encoder wrote.

``table_encoder.py`` beside this file is the encoder they replaced, kept verbatim as the reference.
Every vector and every EXI message of the real captures is decoded and encoded both ways: from the
typed tree (strict and lenient), from its XML text (values as text, through the rare paths), and
with values pushed out of their facets and datatypes (the lenient contract: same bytes, or the same
refusal with the same message and path).  Agreement with an independent encoder is test_vectors.py
(EXIficient's bytes); this file also checks that the committed modules are fresh.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REAL, need_shared, real_captures
from tests.sniffer.decoded import decode_file
from v2gsniff.dissectors import exi
from v2gsniff.dissectors.exi import encoder
from v2gsniff.dissectors.exi.grammar import load
from v2gsniff.dissectors.exi.model import XSI_NS, Element, ExiMessage
from v2gsniff.dissectors.exi.xml import parse_xml

from . import table_encoder
from .conftest import NO_SHARED, load_vectors

REPO = Path(__file__).parents[3]
ENCODERS = REPO / "dissectors" / "exi" / "encoders"


def both(msg: ExiMessage, lenient: bool) -> tuple[Any, Any]:
    """(table-driven, compiled) result: bytes, or (error class name, message, path)."""
    g = load(msg.schema)
    out = []
    for fn in (table_encoder.encode_message, encoder.encode_message):
        try:
            out.append(fn(msg, g, lenient))
        except exi.ExiError as err:
            out.append((type(err).__name__, str(err), err.path))
    return out[0], out[1]


def differences(messages: list[ExiMessage]) -> list[tuple[str, bool, Any, Any]]:
    diffs = []
    for msg in messages:
        for lenient in (False, True):
            old, new = both(msg, lenient)
            if old != new:
                diffs.append((msg.to_xml()[:200], lenient, old, new))
    return diffs


@cache
def vector_messages() -> list[tuple[bytes | None, ExiMessage]]:
    """(the bytes when EXIficient re-encodes them unchanged, else None; the decoded message)."""
    out: list[tuple[bytes | None, ExiMessage]] = []
    for _name, v in load_vectors():
        data = bytes.fromhex(v["hex"])
        try:
            msg = (exi.decode_fragment if v["fragment"] else exi.decode)(data, v["_schema"])
        except exi.ExiError:
            continue
        out.append((data if v["exificient_roundtrip"] else None, msg))
    return out


@cache
def real_messages() -> list[tuple[bytes, ExiMessage]]:
    seen: dict[tuple[str, bytes], None] = {}
    for name in real_captures():
        records, _ = decode_file(REAL / name)
        for r in records:
            hexed = r.extra.get("exi_hex") if r.kind == "v2g" else None
            if hexed and r.extra.get("schema") and all(ch in "0123456789abcdef" for ch in hexed):
                seen[(r.extra["schema"], bytes.fromhex(hexed))] = None  # not the redacted ones
    out = []
    for schema, data in seen:
        try:
            out.append((data, exi.decode(data, schema)))
        except exi.ExiError:
            continue
    return out


def test_every_vector_encodes_to_the_same_bytes_both_ways_and_round_trips() -> None:
    messages = vector_messages()
    if not messages:
        pytest.skip(NO_SHARED)
    assert differences([m for _, m in messages]) == []
    # the bytes are the vector's own where EXIficient's are (out-of-facet vectors only leniently)
    canonical = [(data, m) for data, m in messages if data is not None]
    assert [data for data, m in canonical if exi.encode(m, lenient=bool(m.violations)) != data] == []
    assert len(canonical) > 1500 and any(m.violations for _, m in canonical)


def test_every_real_exi_message_encodes_to_the_same_bytes_both_ways_and_round_trips() -> None:
    need_shared()
    messages = real_messages()
    assert len(messages) > 1000
    assert differences([m for _, m in messages]) == []
    # byte-exact, or (a valid stream in a form EXIficient would not write) the same tree again
    changed = [(data, m) for data, m in messages if exi.encode(m, lenient=bool(m.violations)) != data]
    assert [data.hex() for data, m in changed
            if exi.decode(exi.encode(m, lenient=True), m.schema) != m] == []
    assert len(changed) < len(messages) / 10


def test_xml_text_values_take_the_same_paths_both_ways() -> None:
    """From XML every value is text: the compiled code hands each to the runtime's typed writers."""
    messages = vector_messages()
    if not messages:
        pytest.skip(NO_SHARED)
    parsed = [ExiMessage(parse_xml(m.to_xml()), m.schema, m.fragment) for _, m in messages if len(m.elements) == 1]
    assert differences(parsed) == []
    assert len(parsed) > 1600


def leaves(e: Element) -> Iterator[Element]:
    for child in e.children:
        if child.children:
            yield from leaves(child)
        elif child.value is not None:
            yield child


def mutations(value: Any) -> list[Any]:
    """Values past facets and datatypes: bounds, n-bit overflow, lengths, wrong Python types, text."""
    if isinstance(value, bool):
        return [not value, "true", "maybe", 1]
    if isinstance(value, int):
        return [value + 1, -value - 1, 2**15, 2**31, -(2**40), 255, str(value), "x"]
    if isinstance(value, bytes):
        return [b"", value * 9, value + b"\x01", value.hex(), "zz"]
    return [value + "x" * 40, "", value[:1], "Coffee", 7, "  " + value + " "]


def test_out_of_facet_and_mistyped_values_are_refused_or_kept_alike() -> None:
    """The lenient contract (issue 12) holds for the compiled code: for every leaf of a sample of
    every message set, a value past its facet or of another type gives the same bytes, or the same
    FacetError/ExiError with the same path, strict and lenient."""
    messages = vector_messages()
    if not messages:
        pytest.skip(NO_SHARED)
    picked: dict[tuple[str, str], ExiMessage] = {}
    for _, m in messages:  # one message of each name per schema: every leaf type of the corpus
        picked.setdefault((m.schema, m.name), m)
    diffs = []
    outcomes: set[str] = set()
    for m in picked.values():
        for root in m.elements:
            for leaf in leaves(root):
                original = leaf.value
                for value in mutations(original):
                    leaf.value = value
                    for lenient in (False, True):
                        old, new = both(m, lenient)
                        outcomes.add(new[0] if isinstance(new, tuple) else "bytes")
                        if old != new:
                            diffs.append((m.schema, m.name, leaf.name, value, lenient, old, new))
                leaf.value = original
    assert diffs[:5] == []
    assert outcomes == {"bytes", "FacetError"}  # kept typed or as CH[untyped], or refused


SERVICE_DISCOVERY = bytes.fromhex("809a0211d63f74d2297ac9119400")


def edited(change: Any) -> ExiMessage:
    """The message after ``change`` (which edits it in place, or returns another one)."""
    msg = exi.decode(SERVICE_DISCOVERY, "din")
    return change(msg) or msg


@pytest.mark.parametrize("change", [
    lambda m: m["Body"]["ServiceDiscoveryReq"].children.append(Element("urn:x", "Extra", value="v")),
    lambda m: m["Body"]["ServiceDiscoveryReq"].children.insert(0, Element("urn:din:70121:2012:MsgBody", "Nope")),
    lambda m: m["Body"].attrs.update({("", "Id"): "a1", ("urn:y", "z"): 3}),
    lambda m: m["Body"]["ServiceDiscoveryReq"].attrs.update({(XSI_NS, "nil"): True}),
    lambda m: m["Body"]["ServiceDiscoveryReq"].attrs.update({(XSI_NS, "nil"): "maybe"}),
    lambda m: m["Body"]["ServiceDiscoveryReq"].attrs.update({(XSI_NS, "nil"): False}),
    lambda m: m["Body"]["ServiceDiscoveryReq"]["ServiceCategory"].attrs.update(
        {(XSI_NS, "type"): ("urn:din:70121:2012:MsgDataTypes", "serviceCategoryType")}),
    lambda m: m["Body"]["ServiceDiscoveryReq"].attrs.update({(XSI_NS, "type"): ("urn:x", "NoSuchType")}),
    lambda m: setattr(m["Body"], "value", "text before the message"),
    lambda m: setattr(m["Body"], "texts", [(0, "a"), (1, "b"), (5, "c")]),
    lambda m: setattr(m["Header"]["SessionID"], "value", None),
    lambda m: setattr(m["Header"]["SessionID"], "children", [Element("urn:x", "Inner", value=1)]),
    lambda m: m.root.children.append(Element("urn:x", "Tail")),
    lambda m: ExiMessage(Element("urn:x", "Unknown", value="x"), "din"),
    lambda m: ExiMessage(Element("urn:din:70121:2012:MsgDataTypes", "EVSEStatus"), "din"),
], ids=["undeclared-child", "misplaced-child", "attributes", "nil-true", "nil-not-boolean", "nil-false",
        "xsi-type", "xsi-type-unknown", "value-in-complex", "mixed-texts", "empty-leaf", "children-in-leaf",
        "undeclared-at-end", "unknown-root", "other-global-root"])
def test_undeclared_content_takes_the_same_rare_paths(change: Any) -> None:
    msg = edited(change)
    for lenient in (False, True):
        old, new = both(msg, lenient)
        assert old == new


def test_compiled_encoders_are_regenerated_byte_identically(tmp_path: Path) -> None:
    for run in ("a", "b"):
        subprocess.run([sys.executable, str(REPO / "tools" / "exigen" / "compile_encoder.py"), "--out",
                        str(tmp_path / run)], check=True, capture_output=True)
    fresh = sorted(p.name for p in (tmp_path / "a").glob("_enc_*.py"))
    assert fresh == sorted(p.name for p in ENCODERS.glob("_enc_*.py"))
    for name in fresh:
        text = (tmp_path / "a" / name).read_bytes()
        assert text == (tmp_path / "b" / name).read_bytes(), f"{name}: the compiler is not deterministic"
        assert text == (ENCODERS / name).read_bytes(), f"{name}: stale; rerun tools/exigen/compile_encoder.py"
