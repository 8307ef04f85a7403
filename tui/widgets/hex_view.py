"""Hex dump of the selected record's bytes with the selected field's bytes highlighted.

The bytes are ``Record.data``: the captured frame, the reassembled V2GTP message or the
decrypted TLS data; the first line says which. An EXI element is bit-packed: the highlight covers
the bytes that hold its bits, its value's bytes are underlined, and the pane's bottom border gives
the exact bit ranges (bit n of the buffer is in byte n // 8, most significant bit first).
"""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from v2gsniff.sniffer.model import Record
from v2gsniff.sniffer.redaction import secret_spans

from ..render import bit_range_text, buffer_label, bytes_per_row, hex_cells


class HexView(ScrollView, can_focus=True):
    DEFAULT_CSS = """
    HexView { scrollbar-gutter: stable; }
    """
    BINDINGS = [
        Binding("j,down", "scroll_down", "Scroll down", show=False),
        Binding("k,up", "scroll_up", "Scroll up", show=False),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.record: Record | None = None
        self.data = b""
        self.span = (0, 0)
        """Highlighted bytes: ``start <= i < end``."""
        self.bits: tuple[int, int] | None = None
        """The selected EXI element's exact bits (``start <= n < end``), inside ``span``."""
        self.value_bits: tuple[int, int] | None = None
        """Its typed value's bits; ``value_span`` are the bytes that hold them."""
        self.value_span = (0, 0)
        self.hidden: list[tuple[int, int]] = []
        """Bytes of key material, shown as dots (the UI never shows keys)."""

    @property
    def per_row(self) -> int:
        return bytes_per_row(self.scrollable_content_region.width)

    def show(self, record: Record | None) -> None:
        self.record = record
        self.data = record.data if record is not None else b""
        self.hidden = secret_spans(record) if record is not None else []
        self._set_bits(None, None)
        self.span = (0, 0)
        self._resize()
        self.scroll_to(y=0, animate=False, immediate=True)
        self.refresh()

    def highlight(self, offset: int, length: int, bits: tuple[int, int] | None = None,
                  value_bits: tuple[int, int] | None = None) -> None:
        """Highlight ``length`` bytes at ``offset`` (nothing when the node has no bytes); for an EXI
        element ``bits`` and ``value_bits`` say which of their bits it is."""
        if offset < 0 or length <= 0 or offset >= len(self.data):
            self.span = (0, 0)
            self._set_bits(None, None)
        else:
            self.span = (offset, min(len(self.data), offset + length))
            self._set_bits(bits, value_bits)
            row = offset // self.per_row
            top, rows = self.scroll_offset.y, max(1, self.scrollable_content_region.height - 1)  # line 0: the label
            if not top <= row < top + rows:
                self.scroll_to(y=max(0, row - 1), animate=False, immediate=True)
        self.refresh()

    def _set_bits(self, bits: tuple[int, int] | None, value_bits: tuple[int, int] | None) -> None:
        self.bits, self.value_bits = bits, value_bits
        self.value_span = (value_bits[0] // 8, (value_bits[1] + 7) // 8) if value_bits else (0, 0)
        parts = [bit_range_text(bits)] if bits else []
        if value_bits:
            parts.append("value " + bit_range_text(value_bits))
        self.border_subtitle = ", ".join(parts)

    def highlighted_value(self) -> bytes:
        lo, hi = self.value_span
        return self._shown(lo, hi)

    def highlighted_bytes(self) -> bytes:
        lo, hi = self.span
        return self._shown(lo, hi)

    def _shown(self, lo: int, hi: int) -> bytes:
        """``data[lo:hi]`` with hidden bytes as zeros: nothing taken from the pane reveals a key."""
        out = bytearray(self.data[lo:hi])
        for a, b in self.hidden:
            for p in range(max(a, lo), min(b, hi)):
                out[p - lo] = 0
        return bytes(out)

    def _resize(self) -> None:
        # As wide as the region the scrollbars leave (as the message list): no horizontal
        # scrollbar appears with the vertical one to hide the last line.
        rows = -(-len(self.data) // self.per_row)
        self.virtual_size = Size(self.scrollable_content_region.width, rows + 1)

    def on_resize(self) -> None:
        self._resize()

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        if y == 0:
            if self.record is None:
                label = "no message selected"
            else:
                label = buffer_label(self.record)
                lo, hi = self.span
                if hi > lo:
                    label += f"; selected {hi - lo} bytes at {lo}"
            return Strip([Segment(label, Style(bold=True))]).crop_extend(0, width, None)
        row = y - 1 + self.scroll_offset.y
        if row * self.per_row >= len(self.data):
            return Strip.blank(width)
        lo, hi = self.span
        cells = hex_cells(self.data, row, self.per_row, lo, hi, self.value_span, self.hidden)
        return Strip([Segment(text, style) for text, style in cells]).crop_extend(0, width, None)
