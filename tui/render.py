"""Pure rendering helpers: list rows, the detail tree's nodes and hex-dump lines (no widgets).

Byte positions: ``layers.record_layers`` come from ``layers.dissect_frame``, whose Layer offsets are
absolute in the frame; a Field's bytes are at ``layer.offset + field.offset`` (children too,
they are relative to the same dissector buffer). ``v2g`` records carry the V2GTP message
(header + EXI) as ``data``: the V2GTP header is dissected here, and the selected message's EXI
is decoded once more with ``exi.decode_with_positions`` so each element node points at the bits
the decoder read for it (EXI is bit-packed: its bits rarely start or end on a byte boundary,
so a node also carries its exact bit range, absolute in ``data``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from rich.style import Style

from v2gsniff.dissectors import Field, Layer, exi
from v2gsniff.dissectors.exi import ElementBits, PositionedMessage
from v2gsniff.dissectors.v2gtp import HEADER_LEN, dissect_v2gtp
from v2gsniff.sniffer.findings.model import Finding
from v2gsniff.sniffer.layers import record_layers
from v2gsniff.sniffer.model import Record
from v2gsniff.sniffer.output.inert import inert_line
from v2gsniff.sniffer.redaction import REDACTED, is_secret_element

# Which side sends each SLAC/SDP message (ISO 15118-3 and -2 sequence diagrams).
_EV_SENDS = {"CM_SLAC_PARM.REQ", "CM_START_ATTEN_CHAR.IND", "CM_MNBC_SOUND.IND", "CM_ATTEN_CHAR.RSP",
             "CM_VALIDATE.REQ", "CM_SLAC_MATCH.REQ", "SDPRequest"}
_EVSE_SENDS = {"CM_SLAC_PARM.CNF", "CM_ATTEN_CHAR.IND", "CM_VALIDATE.CNF", "CM_SLAC_MATCH.CNF", "SDPResponse"}

STYLE_ERROR = Style(color="red", bold=True)
STYLE_GAP = Style(color="black", bgcolor="yellow")
STYLE_EV = Style(color="cyan")
STYLE_EVSE = Style(color="magenta")
STYLE_DIM = Style(dim=True)
STYLE_NAME = Style(bold=True)
STYLE_HIGHLIGHT = Style(color="black", bgcolor="bright_yellow", bold=True)
STYLE_VALUE = Style(color="black", bgcolor="bright_yellow", bold=True, underline=True)
STYLE_MARK = Style(color="bright_magenta", bold=True)
KIND_STYLES = {
    "homeplug": Style(color="green"), "sdp": Style(color="bright_blue"), "tcp": Style(color="bright_black"),
    "app": Style(color="bright_black"),
    "tls": Style(color="yellow"), "v2g": Style(color="bright_white"), "v2gtp": Style(color="white"),
    "keylog": Style(color="yellow"), "icmpv6": Style(color="bright_black"), "gap": STYLE_ERROR,
    "error": STYLE_ERROR, "link": STYLE_ERROR,
}


def direction(r: Record) -> str:
    """``EV→SE``, ``SE→EV`` or ``""`` when the record does not tell."""
    d = r.extra.get("dir")
    if d == "ev->evse" or (d is None and r.name in _EV_SENDS):
        return "EV→SE"
    if d == "evse->ev" or (d is None and r.name in _EVSE_SENDS):
        return "SE→EV"
    return ""


SEVERITY_MARKS = {"error": ("✗", Style(color="red", bold=True)), "warning": ("!", Style(color="yellow", bold=True)),
                  "info": ("i", Style(color="cyan"))}
"""Gutter mark of a row whose frame shows a finding (a letter mark wins)."""


def row_cells(r: Record, first_time: float, mark: str = "", severity: str | None = None,
              ) -> list[tuple[str, Style | None]]:
    """The cells of one message-list row: mark gutter, frame, time, direction, kind, name, key values or error."""
    rel = r.time - first_time if r.time and first_time else 0.0
    d = direction(r)
    dstyle = STYLE_EV if d.startswith("EV") else STYLE_EVSE if d else None
    kstyle = KIND_STYLES.get(r.kind)
    if r.kind == "gap":
        info, istyle = f"⚠ {r.error}", STYLE_GAP
    elif r.error:
        info, istyle = f"⚠ {r.error}", STYLE_ERROR
    else:
        info, istyle = r.summary or _fields_text(r.fields), None
    name_style = STYLE_ERROR if r.error else STYLE_NAME
    gutter = (f"{mark[:1]} ", STYLE_MARK) if mark else (
        (f"{SEVERITY_MARKS[severity][0]} ", SEVERITY_MARKS[severity][1]) if severity in SEVERITY_MARKS else ("  ", STYLE_MARK))
    return [
        gutter,
        (f"{r.frame:>7} ", STYLE_DIM),
        (f"{rel:>10.3f} ", None),
        (f"{d:<5} ", dstyle),
        (f"{r.kind:<8.8} ", kstyle),
        (f"{inert_line(r.name):<30.30} ", name_style),
        (inert_line(info), istyle),
    ]


HEADER = [("  ", None), ("  frame ", None), ("      time ", None), ("dir   ", None), ("kind     ", None),
          (f"{'message':<30} ", None), ("key values", None)]


def _fields_text(fields: Any) -> str:
    parts = [f"{k}={v}" for k, v in list(dict(fields).items())[:6] if not isinstance(v, dict | list)]
    return " ".join(parts)


# -- detail tree -------------------------------------------------------------------------------

@dataclass(slots=True)
class DetailNode:
    """One node of the detail tree: ``key`` names it stably across messages of the same kind."""

    label: str
    key: str
    offset: int = -1
    length: int = 0
    error: bool = False
    children: list[DetailNode] = field(default_factory=list)
    bits: tuple[int, int] | None = None
    """EXI elements: bits ``start <= n < end`` of ``data`` (bit n is in byte n // 8, most significant first)."""
    value_bits: tuple[int, int] | None = None
    """EXI elements with a typed value: that value's own bits, likewise."""


def buffer_label(r: Record) -> str:
    """What ``Record.data`` is: the captured frame, a reassembled V2GTP message or decrypted data."""
    if not r.data:
        return "no bytes for this record"
    if r.kind == "v2g" or (r.kind == "v2gtp" and r.extra.get("stream") is not None):
        where = f"TCP stream {r.extra.get('stream')}"
        if r.extra.get("tls"):
            return f"decrypted TLS data, {where}, {len(r.data)} bytes"
        first = r.extra.get("first_frame")
        span = f" (frames {first}-{r.frame})" if first and first != r.frame else ""
        return f"reassembled V2GTP message, {where}{span}, {len(r.data)} bytes"
    if r.kind == "app":
        return f"application data, TCP stream {r.extra.get('stream')}, {len(r.data)} bytes"
    return f"frame {r.frame}, {len(r.data)} bytes"


def detail_nodes(r: Record, findings: Sequence[Finding] = ()) -> list[DetailNode]:
    """The tree of one record: error and the findings its frame shows first, then layers with
    fields, then the EXI element tree."""
    out: list[DetailNode] = []
    if r.error:
        out.append(DetailNode(f"⚠ {r.error}", "error", error=True))
    for f in findings:
        node = DetailNode(f"{SEVERITY_MARKS[f.severity][0]} {f.severity} {f.rule}: {f.text}", f"finding/{f.rule}",
                          error=f.severity == "error")
        node.children += [DetailNode(f"side at fault: {f.side}", f"finding/{f.rule}/side"),
                          DetailNode(f"source: {f.requirement}", f"finding/{f.rule}/requirement"),
                          DetailNode(f"evidence: frames {', '.join(str(x) for x in f.evidence)}",
                                     f"finding/{f.rule}/evidence")]
        if f.path:
            node.children.append(DetailNode(f"path: {f.path}", f"finding/{f.rule}/path"))
        out.append(node)
    head = DetailNode(f"{r.kind}: {r.name}", "record")
    for key in ("stream", "dir", "payload_type", "schema", "namespace", "tls_version", "finding"):
        value = r.extra.get(key)
        if value is not None:
            head.children.append(DetailNode(f"{key}: {value}", f"record/{key}"))
    if r.src or r.dst:
        head.children.append(DetailNode(f"{r.src or '?'} → {r.dst or '?'}", "record/addr"))
    out.append(head)
    notes = r.fields.get("notes") if r.kind == "tcp" else None
    from .pncview import pnc_nodes  # after render's own names exist (pncview builds DetailNodes)

    out += pnc_nodes(r)
    layers = record_layers(r)
    for layer in layers:
        node = _layer_node(layer, 0)
        if layer.protocol == "tcp" and isinstance(notes, list):
            # What the segment means for its connection (challenge ACK, reused ports): the pipeline's notes.
            node.children += [DetailNode(f"note: {n}", "tcp/note" + (f"[{i}]" if i else "")) for i, n in enumerate(notes)]
        out.append(node)
    if r.kind in ("v2g", "v2gtp") and len(r.data) >= HEADER_LEN:
        out.append(_layer_node(dissect_v2gtp(r.data), 0))
        size = len(r.data) - HEADER_LEN
        exi_node = DetailNode(f"EXI ({r.extra.get('schema') or 'unknown set'}) {size} bytes", "exi", HEADER_LEN, size)
        positioned = exi_positions(r)
        if positioned is not None:
            for el, bits in zip(positioned.message.elements, positioned.elements, strict=True):
                exi_node.children.append(_element_node(el, "exi", HEADER_LEN, size, bits))
        elif r.message is not None:
            for el in getattr(r.message, "elements", [r.message.root]):
                exi_node.children.append(_element_node(el, "exi", HEADER_LEN, size))
        elif isinstance(r.extra.get("body"), dict):
            for k, v in r.extra["body"].items():
                exi_node.children.append(_json_node(k, v, "exi", HEADER_LEN, size))
        out.append(exi_node)
    elif not layers and r.fields:
        node = DetailNode("fields", "fields")
        for k, v in r.fields.items():
            node.children.append(_json_node(str(k), v, "fields", -1, 0))
        out.append(node)
    return out


def _layer_node(layer: Layer, base: int) -> DetailNode:
    start = base + layer.offset
    label = f"{layer.protocol.upper()}: {layer.name}"
    if layer.error:
        label += f"  ⚠ {layer.error}"
    node = DetailNode(label, layer.protocol, start, layer.length, error=layer.error is not None)
    seen: dict[str, int] = {}
    for f in layer.fields:
        node.children.append(_field_node(f, start, layer.protocol, seen))
    return node


def _field_node(f: Field, base: int, parent: str, seen: dict[str, int]) -> DetailNode:
    n = seen.get(f.name, 0)
    seen[f.name] = n + 1
    key = f"{parent}/{f.name}" + (f"[{n}]" if n else "")
    text = "" if f.children and f.value is None else f.text()
    if len(text) > 80:
        text = text[:77] + "..."
    label = f"{f.name}: {text}" if text else f.name
    node = DetailNode(label, key, base + f.offset if f.length else -1, f.length)
    inner: dict[str, int] = {}
    for c in f.children:
        node.children.append(_field_node(c, base, key, inner))
    return node


def exi_positions(r: Record) -> PositionedMessage | None:
    """The record's EXI decoded again with bit positions; ``None`` when it did not decode.

    Only for the one record on screen: a positioned decode is a few times slower than the
    pipeline's, which it does not touch."""
    schema = r.extra.get("schema")
    if r.kind != "v2g" or r.message is None or schema not in exi.SCHEMAS:
        return None
    try:
        return exi.decode_with_positions(r.data[HEADER_LEN:], str(schema))
    except exi.ExiError:
        return None


def place(node: DetailNode, bits: ElementBits, offset: int) -> None:
    """Point ``node`` at an element's own bytes and bits; its EXI stream starts at byte ``offset`` of ``data``."""
    base = offset * 8
    lo, hi = bits.span.byte_range
    node.offset, node.length = offset + lo, hi - lo
    node.bits = (base + bits.span.start, base + bits.span.end)
    if bits.value is not None:
        node.value_bits = (base + bits.value.start, base + bits.value.end)


def _element_node(el: Any, parent: str, offset: int, length: int, bits: ElementBits | None = None) -> DetailNode:
    """An element's node; with ``bits`` it points at the element's own bytes, else at the whole payload."""
    key = f"{parent}/{el.name}"
    text = el.text if el.value is not None else ""
    if text and is_secret_element(el.name):
        text = REDACTED
    if len(text) > 80:
        text = text[:77] + "..."
    try:  # a malformed (or hostile) element with a physical value's name but not its shape
        physical = el.physical if el.children else None
    except exi.ExiError:
        physical = None
    if physical is not None:
        unit = el.get("Unit")
        text = f"{physical:g}" + (f" {unit.text}" if unit is not None else "")
    label = f"{el.name}: {text}" if text else el.name
    for (_ns, name), value in el.attrs.items():
        label += f"  @{name}={value.hex() if isinstance(value, bytes) else value}"
    node = DetailNode(label, key, offset, length)
    if bits is not None:
        place(node, bits, offset)
    counts: dict[str, int] = {}
    for i, child in enumerate(el.children):
        n = counts.get(child.name, 0)
        counts[child.name] = n + 1
        sub_bits = bits.children[i] if bits is not None else None
        node.children.append(_element_node(child, key if not n else f"{key}#{n}", offset, length, sub_bits))
    return node


def _json_node(name: str, value: Any, parent: str, offset: int, length: int) -> DetailNode:
    key = f"{parent}/{name}"
    if isinstance(value, dict):
        node = DetailNode(name, key, offset, length)
        for k, v in value.items():
            node.children.append(_json_node(str(k), v, key, offset, length))
        return node
    if isinstance(value, list):
        node = DetailNode(f"{name} [{len(value)}]", key, offset, length)
        for i, v in enumerate(value):
            node.children.append(_json_node(f"{name}[{i}]", v, key, offset, length))
        return node
    return DetailNode(f"{name}: {value}", key, offset, length)


# -- hex dump ----------------------------------------------------------------------------------

HIDDEN_HEX = "••"
HIDDEN_CHAR = "•"


def hex_cells(data: bytes, row: int, per_row: int, lo: int, hi: int,
              value: tuple[int, int] = (0, 0),
              hidden: Sequence[tuple[int, int]] = ()) -> list[tuple[str, Style | None]]:
    """One hexdump line (offset, hex bytes, ASCII) with bytes ``lo <= i < hi`` highlighted, and the
    bytes of ``value`` (``start, end``) inside them underlined as well. Bytes in a ``hidden`` range
    (key material, :func:`~v2gsniff.sniffer.redaction.secret_spans`) show as dots."""
    start = row * per_row
    chunk = data[start : start + per_row]
    vlo, vhi = value
    secret = {p for a, b in hidden for p in range(max(a, start), min(b, start + len(chunk)))}

    def style(pos: int) -> Style | None:
        if not lo <= pos < hi:
            return None
        return STYLE_VALUE if vlo <= pos < vhi else STYLE_HIGHLIGHT

    cells: list[tuple[str, Style | None]] = [(f"{start:04x}  ", STYLE_DIM)]
    width = 0
    for i, b in enumerate(chunk):
        pos = start + i
        cells.append((HIDDEN_HEX if pos in secret else f"{b:02x}", style(pos)))
        width += 2
        if i + 1 < per_row:
            joined = style(pos) is not None and i + 1 < len(chunk) and lo <= pos + 1 < hi
            cells.append((" ", STYLE_HIGHLIGHT if joined else None))
            width += 1
            if per_row >= 16 and i == per_row // 2 - 1:
                cells.append((" ", None))
                width += 1
    full = hex_width(per_row)
    if width < full:
        cells.append((" " * (full - width), None))
    cells.append((" │", STYLE_DIM))
    for i, b in enumerate(chunk):
        ch = HIDDEN_CHAR if start + i in secret else chr(b) if 32 <= b < 127 else "."
        cells.append((ch, style(start + i) or STYLE_DIM))
    return cells


def bit_range_text(bits: tuple[int, int]) -> str:
    """``bits 157-180`` (inclusive, as a person counts them) or ``no bits`` for an empty range."""
    start, end = bits
    return f"bits {start}-{end - 1}" if end > start else f"no bits (at bit {start})"


def hex_width(per_row: int) -> int:
    """Characters of the hex part of a full line."""
    return per_row * 3 - 1 + (1 if per_row >= 16 else 0)


def bytes_per_row(width: int) -> int:
    """16 bytes a line when they fit (offset, hex, ASCII), else 8 or 4."""
    for n in (16, 8, 4):
        if 6 + hex_width(n) + 2 + n <= width:
            return n
    return 4
