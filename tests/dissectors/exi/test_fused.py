"""The plain decoders' fast paths (tools/exigen/compile.py fused reads, tools/exigen/inline.py runs)
against the positions variant, which reads every element through its own function, bit by bit.

A fast path reads an event code with the child after it, or a whole PhysicalValueType /
RationalNumberType / DC_EVStatusType, in one shift; whatever it cannot take (a longer integer, an
out-of-range enumeration, the stream's end) goes to the ordinary code.  The values below are
written by the encoder (separate code) at the 7-bit group boundaries the fast paths branch on and
past the facets they report, into real messages (test_fuzz.SEEDS).
"""

from __future__ import annotations

from typing import Any

import pytest

from v2gsniff.dissectors import exi
from v2gsniff.dissectors.exi import runtime
from v2gsniff.dissectors.exi.model import Element

from .test_fuzz import SEEDS

LOOPS = [(schema, bytes.fromhex(h)) for schema, h in SEEDS
         if exi.decode(bytes.fromhex(h), schema).name in ("CurrentDemandReq", "CurrentDemandRes",
                                                         "DC_ChargeLoopReq", "DC_ChargeLoopRes")]
# one, two, three and four 7-bit groups, both signs; past short's range (a facet violation)
VALUES = [0, 1, 127, 128, 16383, 16384, 32767, -1, -128, -129, -16384, -16385, -32768,
          2_097_151, 2_097_152, -2_097_153, 40_000]


def quantities(e: Element) -> list[Element]:
    """Elements of a value-and-scale type (Multiplier/Exponent and an integer Value), depth first."""
    found = [e] if "Value" in e and ("Multiplier" in e or "Exponent" in e) else []
    for child in e.children:
        found += quantities(child)
    return found


def outcome(data: bytes, schema: str) -> tuple[Any, ...]:
    """Plain decode vs positions variant: both must say the same; returns the plain one's."""
    try:
        plain = runtime.decode(data, schema)
    except exi.ExiError as err:
        with pytest.raises(exi.ExiError):
            runtime.decode_positions(data, schema)
        assert err.bit is None or err.bit <= len(data) * 8, err  # no fast path reads what is not there
        return ("error", str(err))
    traced = runtime.decode_positions(data, schema).message
    assert plain.to_xml() == traced.to_xml()
    assert plain.to_json() == traced.to_json()
    assert plain.violations == traced.violations  # paths, values, facets, limits and bits
    return ("ok", plain)


@pytest.mark.parametrize(("schema", "data"), LOOPS, ids=[f"{s}-{i}" for i, (s, _d) in enumerate(LOOPS)])
def test_values_at_group_boundaries_decode_as_written(schema: str, data: bytes) -> None:
    assert len(LOOPS) >= 6
    for value in VALUES:
        for scale in (-3, 0, 3, 4):  # 4: past Multiplier's maxInclusive (3 bits hold it)
            msg = exi.decode(data, schema)
            targets = quantities(msg.root)
            assert targets
            for q in targets:
                q["Value"].value = value
                q["Multiplier" if "Multiplier" in q else "Exponent"].value = scale
            try:
                stream = exi.encode(msg, lenient=True)
            except exi.ExiError:  # a value the datatype's bits cannot hold (byte Exponent: none here)
                continue
            kind, got = outcome(stream, schema)
            assert kind == "ok", got
            again = quantities(got.root)
            assert [q["Value"].value for q in again] == [value] * len(targets)
            scales = [(q["Multiplier"] if "Multiplier" in q else q["Exponent"]).value for q in again]
            assert scales == [scale] * len(targets)
            broken = {(v.path.rsplit("/", 1)[1], v.value) for v in got.violations}
            assert (("Value", value) in broken) == (not -32768 <= value <= 32767)


@pytest.mark.parametrize(("schema", "data"), LOOPS, ids=[f"{s}-{i}" for i, (s, _d) in enumerate(LOOPS)])
def test_a_read_at_the_streams_end_decodes_as_with_bits_after_it(schema: str, data: bytes) -> None:
    """The last element's fast path runs out of stream (its read is wider than what is left); zero
    bytes after the document are allowed, and there every read has all its bits."""
    for value in VALUES:
        msg = exi.decode(data, schema)
        for q in quantities(msg.root):
            q["Value"].value = value
        stream = exi.encode(msg, lenient=True)
        kind, got = outcome(stream, schema)
        assert kind == "ok"
        for extra in range(1, 9):
            kind2, longer = outcome(stream + bytes(extra), schema)
            assert kind2 == "ok" and longer.to_xml() == got.to_xml() and longer.violations == got.violations


@pytest.mark.parametrize(("schema", "data"), LOOPS, ids=[f"{s}-{i}" for i, (s, _d) in enumerate(LOOPS)])
def test_every_truncation_and_bit_flip_is_judged_alike_by_both_codings(schema: str, data: bytes) -> None:
    results = [outcome(data[:cut], schema) for cut in range(1, len(data))]
    for bit in range(8, len(data) * 8):
        flipped = bytearray(data)
        flipped[bit // 8] ^= 0x80 >> (bit % 8)
        results.append(outcome(bytes(flipped), schema))
    assert {r[0] for r in results} == {"ok", "error"}
