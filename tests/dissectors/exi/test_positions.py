"""decode_with_positions: the same tree as decode, and bit ranges that hold exactly what they claim.

The ranges are checked three ways: their shape (monotone, nested, the root covering the stream),
an independent re-read of each self-describing value from its stated bits (EXI's own rules,
written out below), and bit flips: every bit of a value's range changes the value, bits of other
values do not.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import pytest

from v2gsniff.dissectors import exi
from v2gsniff.dissectors.exi.grammar import D_INT
from v2gsniff.dissectors.exi.model import Element
from v2gsniff.dissectors.exi.positions import ElementBits

from .bitreader import SELF_DESCRIBING, BitReader
from .conftest import NO_SHARED, load_vectors

# A DIN CurrentDemandReq (frame 357 of the real capture dsV2Gshark__DIN_DC_DS5366_Josev.pcapng).
DIN_CURRENT_DEMAND = bytes.fromhex(
    "809a0223e95ff78afebf9e10d1400780c0c00404050320000c203e804080e1807c00018103200c0814010140b800"
)


def vectors() -> list[tuple[str, bool, bytes]]:
    out = [(v["_schema"], bool(v["fragment"]), bytes.fromhex(v["hex"])) for _, v in load_vectors()]
    if not out:
        pytest.skip(NO_SHARED)
    return out


def positioned(
    schema: str, fragment: bool, data: bytes
) -> tuple[exi.ExiMessage, exi.PositionedMessage] | None:
    plain = exi.decode_fragment if fragment else exi.decode
    try:
        msg = plain(data, schema)
    except exi.ExiError:
        return None  # the corpus holds a few streams the codec rejects on purpose (test_known_bad)
    return msg, exi.decode_with_positions(data, schema, fragment)


def same_tree(a: Element, b: Element) -> bool:
    """Equal including what ``Element.__eq__`` leaves out (the datatype kind)."""
    return (
        (a.ns, a.name, a.attrs, a.value, a.dtype, a.texts)
        == (b.ns, b.name, b.attrs, b.value, b.dtype, b.texts)
        and len(a.children) == len(b.children)
        and all(map(same_tree, a.children, b.children))
    )


def check_shape(bits: ElementBits, n_children: int) -> None:
    span = bits.span
    assert span.start <= span.end
    assert len(bits.children) == n_children
    if bits.value is not None:
        assert span.start < bits.value.start <= bits.value.end < span.end  # codes before and after it
    for child in bits.children:
        assert span.start <= child.span.start and child.span.end <= span.end  # nested
    for a, b in pairwise(bits.children):
        assert a.span.end == b.span.start  # monotone: each child starts where the previous one ended


def test_positioned_decode_is_the_plain_decode_with_well_formed_ranges() -> None:
    checked = 0
    for schema, fragment, data in vectors():
        pair = positioned(schema, fragment, data)
        if pair is None:
            continue
        msg, pos = pair
        assert len(pos.message.elements) == len(msg.elements) == len(pos.elements)
        assert all(map(same_tree, msg.elements, pos.message.elements)), (schema, data.hex())
        for el, bits in pos.walk():
            check_shape(bits, len(el.children))
        # the root covers the whole stream: from the first bit after the header byte to the last
        # event, after which only zero padding follows
        nbits = len(data) * 8
        assert pos.elements[0].span.start == 8
        assert pos.end <= nbits and int.from_bytes(data, "big") & ((1 << (nbits - pos.end)) - 1) == 0
        if not fragment:
            assert pos.root.span.end == pos.end  # a document ends with ED, which has no bits here
        else:  # a fragment's elements follow each other, then its ED code
            assert all(a.span.end == b.span.start for a, b in pairwise(pos.elements))
            assert pos.elements[-1].span.end <= pos.end
        checked += 1
    assert checked > 1500


# -- an independent reader: EXI 1.0 §7.1 encodings, MSB first ----------------------------------




def test_every_value_reads_back_from_exactly_its_bits() -> None:
    read = 0
    for schema, fragment, data in vectors():
        pair = positioned(schema, fragment, data)
        if pair is None:
            continue
        for el, bits in pair[1].walk():
            if bits.value is None or el.dtype not in SELF_DESCRIBING:
                continue
            reader = BitReader(data, bits.value.start)
            assert reader.value(el.dtype) == el.value, (schema, el.name, data.hex())
            assert reader.bit == bits.value.end  # and nothing after it belongs to the value
            read += 1
    assert read > 10000


def leaves(pos: exi.PositionedMessage) -> list[tuple[str, Element, ElementBits]]:
    out = []
    for el, bits in pos.walk():
        if bits.value is not None:
            out.append((el.name, el, bits))
    return out


def flip(data: bytes, bit: int) -> bytes:
    b = bytearray(data)
    b[bit // 8] ^= 0x80 >> (bit % 8)
    return bytes(b)


def value_at(data: bytes, path: list[int]) -> Any:
    """(value, its bits) of the element at ``path`` (child indices from the root), or an error marker."""
    try:
        pos = exi.decode_with_positions(data, "din")
    except exi.ExiError:
        return "<no longer decodes>"
    el, bits = pos.message.root, pos.root
    for i in path:
        if i >= len(el.children):
            return "<no longer there>"
        el, bits = el.children[i], bits.children[i]
    return el.value, bits.value


def test_flipping_a_values_bits_changes_it_and_other_values_bits_do_not() -> None:
    pos = exi.decode_with_positions(DIN_CURRENT_DEMAND, "din")
    assert pos.message.name == "CurrentDemandReq"
    paths: dict[int, list[int]] = {}

    def index(el: Element, bits: ElementBits, path: list[int]) -> None:
        paths[id(bits)] = path
        for i, pair in enumerate(zip(el.children, bits.children, strict=True)):
            index(*pair, [*path, i])

    index(pos.message.root, pos.root, [])
    values = leaves(pos)
    checked = 0
    assert {"SessionID", "Value", "Multiplier", "EVRESSSOC"} <= {name for name, _, _ in values}
    for _name, el, bits in values:
        path = paths[id(bits)]
        here = (el.value, bits.value)
        assert bits.value is not None
        # Every bit of the range is part of the value: flipping it changes the value or, for a
        # continuation flag of an integer whose next group happens to be zero, where it ends.
        for bit in range(bits.value.start, bits.value.end):
            assert value_at(flip(DIN_CURRENT_DEMAND, bit), path) != here, (el.name, bit)
        # No bit of another value is part of it: a flip there that leaves that value where it was
        # (not a length or continuation bit) leaves this one as it was.
        for _other, _o, obits in values:
            if obits is bits or obits.value is None:
                continue
            for bit in range(obits.value.start, obits.value.end):
                changed = flip(DIN_CURRENT_DEMAND, bit)
                other = value_at(changed, paths[id(obits)])
                if isinstance(other, tuple) and other[1] == obits.value:
                    assert value_at(changed, path) == here, (el.name, bit)
                    checked += 1
    assert checked > 1000


def test_session_id_and_target_voltage_bits() -> None:
    pos = exi.decode_with_positions(DIN_CURRENT_DEMAND, "din")
    by_path = {}
    for el, bits in pos.walk():
        by_path.setdefault(el.name, []).append((el, bits))
    sid, sid_bits = by_path["SessionID"][0]
    assert sid.value == bytes.fromhex("8FA57FDE2BFAFE78")
    assert sid_bits.value is not None and len(sid_bits.value) == 8 + 64  # length, then 8 bytes
    body = pos.message.body
    target = body["EVTargetVoltage"]
    tbits = next(b for e, b in pos.walk() if e is target)
    value_bits = tbits.children[[c.name for c in target.children].index("Value")].value
    assert value_bits is not None
    assert BitReader(DIN_CURRENT_DEMAND, value_bits.start).value(D_INT) == target["Value"].value
    lo, hi = value_bits.byte_range
    assert lo == value_bits.start // 8 and hi * 8 >= value_bits.end > (hi - 1) * 8
