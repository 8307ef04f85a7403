"""Hex dump of the selected record's bytes with the selected field's bytes highlighted.

The bytes are ``Record.data``: the captured frame, the reassembled V2GTP message or the
decrypted TLS data; the first line says which.
"""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from v2gsniff.sniffer.model import Record

from ..render import buffer_label, bytes_per_row, hex_cells


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

    @property
    def per_row(self) -> int:
        return bytes_per_row(self.scrollable_content_region.width)

    def show(self, record: Record | None) -> None:
        self.record = record
        self.data = record.data if record is not None else b""
        self.span = (0, 0)
        self._resize()
        self.scroll_to(y=0, animate=False, immediate=True)
        self.refresh()

    def highlight(self, offset: int, length: int) -> None:
        """Highlight ``length`` bytes at ``offset`` (nothing when the node has no bytes)."""
        if offset < 0 or length <= 0 or offset >= len(self.data):
            self.span = (0, 0)
        else:
            self.span = (offset, min(len(self.data), offset + length))
            row = offset // self.per_row
            top, rows = self.scroll_offset.y, max(1, self.size.height - 1)  # line 0 is the label
            if not top <= row < top + rows:
                self.scroll_to(y=max(0, row - 1), animate=False, immediate=True)
        self.refresh()

    def highlighted_bytes(self) -> bytes:
        lo, hi = self.span
        return self.data[lo:hi]

    def _resize(self) -> None:
        rows = -(-len(self.data) // self.per_row)
        self.virtual_size = Size(self.size.width, rows + 1)

    def on_resize(self) -> None:
        self._resize()

    def render_line(self, y: int) -> Strip:
        width = self.size.width
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
        cells = hex_cells(self.data, row, self.per_row, lo, hi)
        return Strip([Segment(text, style) for text, style in cells]).crop_extend(0, width, None)
