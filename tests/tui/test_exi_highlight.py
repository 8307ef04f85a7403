"""Selecting an EXI element highlights the bytes that hold its bits, checked without the decoder.

Each check re-reads the value from the highlighted bytes at the bit offset the pane states,
with EXI's integer and binary encodings written out here, and flips bits of the shown buffer to
show that the bits after the element do not change it.
"""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot

from tests.dissectors.exi.bitreader import BitReader
from tests.tui.pilot import DIN, TLS, run_app, screen_text, widget_lines
from tests.tui.test_app import node, type_filter
from v2gsniff.dissectors import exi
from v2gsniff.dissectors.v2gtp import HEADER_LEN
from v2gsniff.sniffer.model import Record
from v2gsniff.tui.app import V2GSniffApp
from v2gsniff.tui.render import STYLE_VALUE, hex_cells
from v2gsniff.tui.widgets.detail_tree import DetailTree
from v2gsniff.tui.widgets.hex_view import HexView
from v2gsniff.tui.widgets.message_list import MessageList

TARGET_VALUE = "exi/V2G_Message/Body/CurrentDemandReq/EVTargetVoltage/Value"


async def select(app: V2GSniffApp, pilot: Pilot[Any], key: str) -> tuple[Record, HexView]:
    tree = app.query_one(DetailTree)
    target = node(tree, key)
    parent = target.parent
    while parent is not None:  # open the way down, as a person would
        parent.expand()
        parent = parent.parent
    await pilot.pause(0.05)
    tree.move_cursor(target)
    await pilot.pause(0.05)
    record = app.store.records[app.query_one(MessageList).index]
    return record, app.query_one(HexView)


def check_span_holds_bits(hexv: HexView) -> tuple[int, int]:
    """The highlighted bytes are exactly those the stated bits fall in; returns the value's bits."""
    assert hexv.bits is not None and hexv.value_bits is not None
    start, end = hexv.bits
    assert hexv.span == (start // 8, (end + 7) // 8)
    vstart, vend = hexv.value_bits
    assert start < vstart < vend < end  # the value sits between the element's event codes
    assert hexv.value_span == (vstart // 8, (vend + 7) // 8)
    assert f"bits {start}-{end - 1}, value bits {vstart}-{vend - 1}" == hexv.border_subtitle
    return vstart, vend


def value_after_flips(record: Record, path: str, bits: range) -> set[Any]:
    """The element's value after flipping each of ``bits`` of the shown buffer (EXI decoded alone)."""
    names = path.split("/")[2:]  # below exi/V2G_Message
    out = set()
    for bit in bits:
        data = bytearray(record.data)
        data[bit // 8] ^= 0x80 >> (bit % 8)
        try:
            el = exi.decode(bytes(data[HEADER_LEN:]), str(record.extra["schema"])).root
        except exi.ExiError:
            continue  # the bits after it no longer form a message; what came before is not the point
        for name in names:
            el = el[name]
        out.add(el.value)
    return out


def test_target_voltage_value_highlights_the_bytes_of_its_bits() -> None:
    async def body(app: V2GSniffApp, pilot: Pilot[Any]) -> None:
        await type_filter(pilot, "name == CurrentDemandReq")
        record, hexv = await select(app, pilot, TARGET_VALUE)
        expected = record.message.body["EVTargetVoltage"]["Value"].value
        vstart, vend = check_span_holds_bits(hexv)
        reader = BitReader(hexv.data, vstart)
        assert reader.integer() == expected and reader.bit == vend  # all of the value, nothing more
        lo, hi = hexv.span
        assert HEADER_LEN < lo and hi - lo <= 4  # a few bytes of the payload, not all of it
        assert hexv.highlighted_bytes() == record.data[lo:hi]
        # Each of its bits matters: flipped, the message reads another value (or no longer decodes).
        for bit in range(vstart, vend):
            assert expected not in value_after_flips(record, TARGET_VALUE, range(bit, bit + 1))
        assert len(value_after_flips(record, TARGET_VALUE, range(vstart, vend))) >= vend - vstart - 2
        # What the pane draws: the element's bytes highlighted, the value's bytes underlined.
        line = hex_cells(hexv.data, lo // hexv.per_row, hexv.per_row, lo, hi, hexv.value_span)
        underlined = [text for text, style in line if style is STYLE_VALUE and len(text) == 2]
        first = hexv.value_span[0] % hexv.per_row
        assert underlined[0] == f"{hexv.data[hexv.value_span[0]]:02x}" and first >= lo % hexv.per_row
        assert hexv.border_subtitle in screen_text(app)  # the bit ranges are on screen, under the dump
        # The parent element covers its children; the next message keeps the node and its own bits.
        await select(app, pilot, "exi/V2G_Message/Body/CurrentDemandReq/EVTargetVoltage")
        assert hexv.value_bits is None and hexv.bits is not None
        assert hexv.bits[0] < vstart and vend < hexv.bits[1]
        await select(app, pilot, TARGET_VALUE)
        await pilot.press("j")
        tree = app.query_one(DetailTree)
        assert tree.cursor_node is not None and tree.cursor_node.data is not None
        assert tree.cursor_node.data.key == TARGET_VALUE
        following = app.store.records[app.query_one(MessageList).index]
        assert following is not record and hexv.record is following
        vstart, vend = check_span_holds_bits(hexv)
        expected = following.message.body["EVTargetVoltage"]["Value"].value
        assert BitReader(hexv.data, vstart).integer() == expected

    run_app([DIN], body)


def test_session_id_highlights_its_length_and_eight_bytes() -> None:
    async def body(app: V2GSniffApp, pilot: Pilot[Any]) -> None:
        await type_filter(pilot, "name == SessionSetupRes")
        record, hexv = await select(app, pilot, "exi/V2G_Message/Header/SessionID")
        session_id = record.message.root["Header"]["SessionID"].value
        assert len(session_id) == 8
        vstart, vend = check_span_holds_bits(hexv)
        assert vend - vstart == 8 + 64  # its length (one 7-bit group) and its bytes
        assert BitReader(hexv.data, vstart).binary() == session_id
        # Bits after the element cannot change it (EXI is read front to back).
        after = value_after_flips(
            record, "exi/V2G_Message/Header/SessionID", range(hexv.bits[1], len(hexv.data) * 8)
        )
        assert after == {session_id}
        assert session_id.hex().upper() in str(app.query_one(DetailTree).cursor_node.label)  # type: ignore[union-attr]
        # Payload-wide nodes still mark the whole EXI body.
        await select(app, pilot, "exi")
        assert (
            hexv.span == (HEADER_LEN, len(record.data)) and hexv.bits is None and hexv.border_subtitle == ""
        )

    run_app([DIN], body)


def test_decrypted_tls_data_highlights_inside_the_plaintext() -> None:
    async def body(app: V2GSniffApp, pilot: Pilot[Any]) -> None:
        await type_filter(pilot, "name == SessionSetupReq")
        record, hexv = await select(app, pilot, "exi/V2G_Message/Body/SessionSetupReq/EVCCID")
        assert record.extra.get("tls") and widget_lines(hexv)[0].startswith("decrypted TLS data")
        vstart, _vend = check_span_holds_bits(hexv)
        assert BitReader(hexv.data, vstart).binary() == record.message.body["EVCCID"].value

    run_app([TLS], body)
