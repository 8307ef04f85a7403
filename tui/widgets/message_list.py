"""The message list: a Line-API ScrollView over the store's view, one rendered Strip per visible row.

No widget per row: ``render_line`` renders the rows on screen, cached in an LRU keyed by record
and width, so 10^5 messages scroll as fast as 10. In follow mode (live) the cursor stays on the
newest message until the user moves away; ``G``/End resumes following.
"""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ..render import HEADER, row_cells
from ..store import RecordStore

CURSOR = Style(bgcolor="grey30", bold=True)
CURSOR_FOCUSED = Style(bgcolor="dark_blue", bold=True)


class MessageList(ScrollView, can_focus=True):
    DEFAULT_CSS = """
    MessageList { scrollbar-gutter: stable; }
    """
    BINDINGS = [
        Binding("j,down", "cursor(1)", "Next message", show=False),
        Binding("k,up", "cursor(-1)", "Previous message", show=False),
        Binding("pagedown,ctrl+f", "page(1)", "Page down", show=False),
        Binding("pageup,ctrl+b", "page(-1)", "Page up", show=False),
        Binding("g", "g", "g g: first message", show=False),
        Binding("home", "top", "First message", show=False),
        Binding("G,end", "bottom", "Last message (and follow)", show=False),
        Binding("n", "error(1)", "Next error or gap", show=False),
        Binding("N", "error(-1)", "Previous error or gap", show=False),
    ]

    class Selected(Message):
        """The cursor moved to view row ``row`` (record index ``index``; -1 when the view is empty)."""

        def __init__(self, row: int, index: int) -> None:
            super().__init__()
            self.row = row
            self.index = index

    cursor: reactive[int] = reactive(0, always_update=True, repaint=False)

    def __init__(self, store: RecordStore, *, follow: bool = False, id: str | None = None) -> None:
        super().__init__(id=id)
        self.store = store
        self.follow = follow
        self._cache: LRUCache[tuple[int, int], Strip] = LRUCache(2048)
        self._pending_g = False
        self._selected = -2

    # -- data --------------------------------------------------------------------------------

    def rows_added(self) -> None:
        """New rows at the end of the view (the view itself is the store's)."""
        self._resize()
        if self.follow and self.store.view:
            self.cursor = len(self.store.view) - 1
        elif self._selected < 0 and self.store.view:
            self.cursor = min(self.cursor, len(self.store.view) - 1)
        self.refresh()

    def reset(self, row: int = 0) -> None:
        """The view was rebuilt (new filter)."""
        self._resize()
        n = len(self.store.view)
        self.cursor = max(0, min(row, n - 1)) if n else 0
        self.refresh()

    def _resize(self) -> None:
        self.virtual_size = Size(self.size.width, len(self.store.view) + 1)

    @property
    def index(self) -> int:
        """Record index under the cursor, -1 when the view is empty."""
        view = self.store.view
        return view[self.cursor] if 0 <= self.cursor < len(view) else -1

    # -- cursor ------------------------------------------------------------------------------

    def validate_cursor(self, value: int) -> int:
        return max(0, min(value, len(self.store.view) - 1)) if self.store.view else 0

    def watch_cursor(self, old: int, new: int) -> None:
        self._scroll_into_view(new)
        self._refresh_row(old)
        self._refresh_row(new)
        if new != self._selected or self.index != self._selected_index:
            self._selected = new
            self._selected_index = self.index
            self.post_message(self.Selected(new, self.index))

    _selected_index = -2

    def _scroll_into_view(self, row: int) -> None:
        top, rows = self.scroll_offset.y, max(1, self.size.height - 1)  # line 0 is the header
        if row < top:
            self.scroll_to(y=row, animate=False, force=True, immediate=True)
        elif row >= top + rows:
            self.scroll_to(y=row - rows + 1, animate=False, force=True, immediate=True)

    def _refresh_row(self, row: int) -> None:
        y = row + 1 - self.scroll_offset.y
        if 0 <= y < self.size.height:
            self.refresh_line(y)

    def move_to(self, row: int) -> None:
        last = len(self.store.view) - 1
        self.cursor = row
        self.follow = self.cursor >= last and self.follow_allowed

    follow_allowed = False
    """Live mode: reaching the last row turns following back on."""

    def action_cursor(self, step: int) -> None:
        self.move_to(self.cursor + step)

    def action_page(self, step: int) -> None:
        self.move_to(self.cursor + step * max(1, self.size.height - 2))

    def action_top(self) -> None:
        self.move_to(0)

    def action_bottom(self) -> None:
        self.move_to(len(self.store.view) - 1)
        self.follow = self.follow_allowed

    def action_g(self) -> None:
        if self._pending_g:
            self._pending_g = False
            self.action_top()
        else:
            self._pending_g = True
            self.set_timer(1.0, self._clear_g)

    def _clear_g(self) -> None:
        self._pending_g = False

    def action_error(self, step: int) -> None:
        row = self.store.next_error_row(self.cursor, step)
        if row is not None:
            self.move_to(row)
        else:
            self.notify("no further error or gap in this direction", timeout=2)

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        row = offset.y + self.scroll_offset.y - 1  # line 0 is the header
        if 0 <= row < len(self.store.view):
            self.move_to(row)
        self.focus()

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        self.follow = False

    # -- rendering ---------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        if y == 0:
            return Strip([Segment(text, Style(bold=True, underline=True)) for text, _ in HEADER]).crop_extend(
                0, width, Style(underline=True))
        row = y - 1 + self.scroll_offset.y
        view = self.store.view
        if row >= len(view):
            return Strip.blank(width)
        index = view[row]
        key = (index, width)
        strip = self._cache.get(key)
        if strip is None:
            record = self.store.records[index]
            cells = row_cells(record, self.store.first_time)
            strip = Strip([Segment(text, style) for text, style in cells]).crop_extend(0, width, None)
            self._cache[key] = strip
        if row == self.cursor:
            strip = strip.apply_style(CURSOR_FOCUSED if self.has_focus else CURSOR)
        return strip

    def on_resize(self) -> None:
        self._resize()

    def on_focus(self) -> None:
        self._refresh_row(self.cursor)

    def on_blur(self) -> None:
        self._refresh_row(self.cursor)
