"""Byte positions behind the hex highlight, checked on every field of real frames."""

from __future__ import annotations

from typing import Any

from tests.tui.pilot import DIN, TLS, VW_AC, real
from v2gsniff.sniffer.capture import open_capture
from v2gsniff.sniffer.layers import record_layers
from v2gsniff.sniffer.model import Record
from v2gsniff.sniffer.pipeline import Decoder
from v2gsniff.tui.render import (
    STYLE_HIGHLIGHT,
    DetailNode,
    buffer_label,
    bytes_per_row,
    detail_nodes,
    direction,
    hex_cells,
    row_cells,
)

# Header fields that fill their bytes alone (others share bytes with bit fields).
WHOLE_NUMBERS = {"ethertype", "payload_length", "next_header", "hop_limit", "src_port", "dst_port", "seq", "ack",
                 "window", "checksum", "length", "secc_port"}


def records(name: str) -> list[Record]:
    decoder = Decoder()
    out: list[Record] = []
    with open_capture(real(name)) as reader:
        for item in reader:
            out.extend(decoder.feed(item))
    return out + decoder.finish()


def walk(nodes: list[DetailNode]) -> Any:
    for n in nodes:
        yield n
        yield from walk(n.children)


def test_every_field_with_bytes_points_at_them_in_the_frame() -> None:
    checked = 0
    for r in records(DIN) + records(TLS):
        fields = {}
        for layer in record_layers(r):
            for f in layer.walk():
                fields[(layer.protocol, f.name, f.offset)] = (layer, f)
        for n in walk(detail_nodes(r)):
            if n.offset < 0 or n.length == 0 or n.key.startswith(("exi", "v2gtp")):
                continue
            assert 0 <= n.offset and n.offset + n.length <= len(r.data), (r.frame, n.key)
            proto, name = n.key.split("/")[0], n.key.split("/")[-1].split("[")[0]
            match = [lf for (p, fname, _o), lf in fields.items() if p == proto and fname == name
                     and lf[0].offset + lf[1].offset == n.offset]
            if not match and "/" not in n.key:  # a layer's own node: its header bytes
                assert any(layer.offset == n.offset for layer in record_layers(r))
                continue
            assert match, (r.frame, n.key)
            f = match[0][1]
            got = r.data[n.offset : n.offset + n.length]
            if isinstance(f.value, bytes) and len(f.value) == f.length:
                assert got == f.value, (r.frame, n.key)
                checked += 1
            elif isinstance(f.value, int) and f.name in WHOLE_NUMBERS:
                assert int.from_bytes(got, "big") == f.value, (r.frame, n.key)  # network byte order
                checked += 1
    assert checked > 1000


def test_v2g_records_show_the_v2gtp_header_and_the_exi_payload() -> None:
    r = next(x for x in records(DIN) if x.name == "CurrentDemandReq")
    nodes = {n.key: n for n in walk(detail_nodes(r))}
    length = nodes["v2gtp/payload_length"]
    assert (length.offset, length.length) == (4, 4)
    assert int.from_bytes(r.data[4:8], "big") == len(r.data) - 8
    exi = nodes["exi"]
    assert (exi.offset, exi.length) == (8, len(r.data) - 8)
    target = nodes["exi/V2G_Message/Body/CurrentDemandReq/EVTargetCurrent"]
    value = r.message.body["EVTargetCurrent"].physical
    assert target.label.startswith(f"EVTargetCurrent: {value:g}")
    assert buffer_label(r).startswith("reassembled V2GTP message, TCP stream 0")
    assert direction(r) == "EV→SE"
    cells = row_cells(r, r.time)
    assert "".join(text for text, _ in cells).split()[:5] == [str(r.frame), "0.000", "EV→SE", "v2g",
                                                              "CurrentDemandReq"]


def test_hex_line_highlights_exactly_the_span() -> None:
    data = bytes(range(32))
    cells = hex_cells(data, 0, 16, 3, 6)
    lit = [text for text, style in cells if style is STYLE_HIGHLIGHT and text.strip()]
    assert lit[:3] == ["03", "04", "05"] and lit[3:] == ["\x03", "\x04", "\x05"] or lit[3:] == [".", ".", "."]
    line = "".join(text for text, _ in cells)
    assert line.startswith("0000  00 01 02 03 04 05 06 07  08 09")
    assert line.endswith("│................")
    assert bytes_per_row(80) == 16 and bytes_per_row(44) == 8


def test_exi_element_nodes_point_at_the_bytes_of_their_bits() -> None:
    checked = 0
    for r in records(DIN) + records(TLS):
        if r.kind != "v2g" or r.message is None:
            continue
        nodes = [n for n in walk(detail_nodes(r)) if n.key.startswith("exi/")]
        assert nodes and all(n.bits is not None for n in nodes), (r.frame, r.name)
        for n in nodes:
            assert n.bits is not None
            start, end = n.bits
            assert (n.offset, n.offset + n.length) == (start // 8, (end + 7) // 8), (r.frame, n.key)
            if n.value_bits is not None:
                assert start < n.value_bits[0] <= n.value_bits[1] < end
            for c in n.children:
                assert c.bits is not None and start <= c.bits[0] and c.bits[1] <= end, (r.frame, c.key)
            checked += 1
        root = nodes[0]
        assert root.bits is not None and root.bits[0] == 8 * 8 + 8  # after the V2GTP header and EXI's 0x80
        assert root.offset + root.length == len(r.data)
    assert checked > 1000


def test_tcp_notes_sit_under_the_tcp_layer() -> None:
    # The charger's challenge ACK (RFC 5961) and the EV's RST that answers it.
    notes = 0
    for r in records(VW_AC):
        if r.kind == "tcp" and "notes" in r.fields:
            (tcp,) = [n for n in detail_nodes(r) if n.key == "tcp"]
            assert [c.label for c in tcp.children if c.key.startswith("tcp/note")] == [
                f"note: {n}" for n in r.fields["notes"]]
            notes += 1
    assert notes == 3  # challenge ACK, RST, the SYN of the new connection


def test_app_data_shows_its_service_and_its_own_bytes() -> None:
    r = next(x for x in records("dsV2Gshark__ISO-2_DC_BatteryDataExchange_DS5366_RiseV2G.pcapng") if x.kind == "app")
    assert buffer_label(r) == "application data, TCP stream 1, 47 bytes"
    nodes = {n.key: n for n in walk(detail_nodes(r))}
    assert nodes["record"].label == "app: Battery data VAS Korea"
    assert any(n.label.startswith("service_id: 61000") for n in nodes.values())
