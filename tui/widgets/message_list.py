"""The message list: a Line-API ScrollView over the store's view, one rendered Strip per visible row.

No widget per row: ``render_line`` renders the rows on screen, cached in an LRU keyed by record,
width and mark, so 10^5 messages scroll as fast as 10. In follow mode (live) the cursor stays on
the newest message until the user moves away; ``G``/End resumes following.

Keys follow termshark (and vim): a count typed before ``G`` goes to that frame (``42G``) and
before ``j``/``k`` moves that many rows; ``m`` then a letter marks the message, ``'`` then the
letter jumps back to it and ``''`` returns to where the last jump (``G``, ``gg``, a mark) started.
What is typed so far shows in the bottom border.
"""

from __future__ import annotations

from math import ceil

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.cache import LRUCache
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.scrollbar import ScrollBar
from textual.strip import Strip
from textual.timer import Timer
from textual.widget import Widget

from ..render import HEADER, row_cells
from ..store import RecordStore

CURSOR = Style(bgcolor="grey30", bold=True)
CURSOR_FOCUSED = Style(bgcolor="dark_blue", bold=True)


def thumb(height: int, virtual: int, window: int, position: float) -> tuple[int, int]:
    """Where a vertical scrollbar ``height`` cells high draws its thumb, in eighths of a cell
    (first, end), computed as Textual's ScrollBarRender does; (0, 0) when it draws none."""
    window = window if window < virtual else 0
    if not (window and height and virtual) or height == virtual:
        return (0, 0)
    size = max(1.0, window / (virtual / height))
    start = int((height - size) * (position / (virtual - window)) * 8)
    return start, start + ceil(size * 8)


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
        Binding("G,end", "goto", "Last message (and follow); 42G: frame 42 (or the next one)", show=False),
        Binding("m", "await_letter('m')", "m a-z: mark this message (the letter shows left of it)", show=False),
        Binding("apostrophe", "await_letter(\"'\")", "' a-z: jump to that mark; ' ': back to before the last jump",
                show=False),
        Binding("n", "error(1)", "Next error, gap or finding (error/warning; ✗ ! in the gutter)", show=False),
        Binding("N", "error(-1)", "Previous error, gap or finding", show=False),
    ]

    class Selected(Message):
        """The cursor moved to view row ``row`` (record index ``index``; -1 when the view is empty);
        ``following``: it moved only because new rows came while following."""

        def __init__(self, row: int, index: int, following: bool = False) -> None:
            super().__init__()
            self.row = row
            self.index = index
            self.following = following

    cursor: reactive[int] = reactive(0, always_update=True, repaint=False)

    def __init__(self, store: RecordStore, *, follow: bool = False, id: str | None = None) -> None:
        super().__init__(id=id)
        self.store = store
        self.follow = follow
        self._cache: LRUCache[tuple[int, int, str, str | None], Strip] = LRUCache(2048)
        self._pending_g = False
        self._g_count: int | None = None
        self._g_timer: Timer | None = None
        self._selected = -2
        self._typed = ""  # digits of a count being typed
        self._count: int | None = None  # the count the key being handled was given
        self._awaiting = ""  # "m" or "'" while the next key is their letter
        self._before_jump: int | None = None  # record index that '' returns to
        self._following_move = False  # the cursor is being moved by rows_added

    # -- data --------------------------------------------------------------------------------

    def rows_added(self, first: int) -> None:
        """Rows ``first`` and on are new, at the end of the view (the view itself is the store's)."""
        self._resize(layout=False)
        if self.follow and self.store.view:
            self._following_move = True
            try:
                self.cursor = len(self.store.view) - 1
            finally:
                self._following_move = False
        elif self._selected < 0 and self.store.view:
            self.cursor = min(self.cursor, len(self.store.view) - 1)
        self._sync_scrollbar()
        # Paint only new rows inside the window: following scrolls, and a scroll repaints the
        # whole list by itself; rows below the window only grow the scrollbar.
        y = max(1, first + 1 - self.scroll_offset.y)  # line 0 is the header
        if y <= self._rows_shown:
            self.refresh(Region(0, y, self.size.width, self._rows_shown - y + 1))

    def reset(self, row: int = 0) -> None:
        """The view was rebuilt (new filter)."""
        self._resize()
        n = len(self.store.view)
        self.cursor = max(0, min(row, n - 1)) if n else 0
        self.refresh()

    def _resize(self, layout: bool = True) -> None:
        # As wide as the region the scrollbars leave: rows are cut to fit, so there is never a
        # horizontal scrollbar to hide the bottom row.
        size = Size(self.scrollable_content_region.width, len(self.store.view) + 1)
        if layout or not self.show_vertical_scrollbar:
            self.virtual_size = size
            return
        # Rows appended: setting virtual_size would lay out the whole screen, and so repaint every
        # pane, for each batch. The list keeps its size, so only the scrollbar has to learn the new
        # height (the caller syncs it once it has scrolled).
        self.set_reactive(Widget.virtual_size, size)

    def _sync_scrollbar(self) -> None:
        """Give the vertical scrollbar the list's height and position; it repaints only when its
        thumb moves. (Textual repaints it on every change, and a scrollbar costs as much to paint
        as the rows: following a busy capture changes both for every batch, mostly by less than
        the eighth of a cell the thumb can show.)"""
        if not self.show_vertical_scrollbar:
            return
        bar = self.vertical_scrollbar
        virtual, position = self.virtual_size.height, bar.validate_position(self.scroll_y)
        height, window = bar.size.height, bar.window_size
        if thumb(height, virtual, window, position) == thumb(height, bar.window_virtual_size, window, bar.position):
            bar.set_reactive(ScrollBar.window_virtual_size, virtual)
            bar.set_reactive(ScrollBar.position, position)
        else:
            bar.window_virtual_size = virtual
            bar.position = position

    def watch_scroll_y(self, old: float, new: float) -> None:
        # As ScrollView's, but the scrollbar repaints only when its thumb moves.
        self._sync_scrollbar()
        if round(old) != round(new):
            self.refresh(self.size.region)

    def watch_show_vertical_scrollbar(self, shown: bool) -> None:
        # The list may have scrolled (following) before its scrollbar appeared: Textual moves the
        # thumb only on a later scroll, so it would sit at the top until then.
        if shown:
            self.vertical_scrollbar.position = self.scroll_y

    @property
    def _rows_shown(self) -> int:
        """Message rows that fit below the header, scrollbars excluded."""
        return max(1, self.scrollable_content_region.height - 1)

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
            self.post_message(self.Selected(new, self.index, following=self._following_move))

    _selected_index = -2

    def _scroll_into_view(self, row: int) -> None:
        top, rows = self.scroll_offset.y, self._rows_shown
        if row < top:
            self.scroll_to(y=row, animate=False, force=True, immediate=True)
        elif row >= top + rows:
            self.scroll_to(y=row - rows + 1, animate=False, force=True, immediate=True)

    def _refresh_row(self, row: int) -> None:
        y = row + 1 - self.scroll_offset.y  # line 0 is the header
        if 0 < y <= self._rows_shown:
            # Widget lines (ScrollView.refresh_line would take y as a virtual line, scrolled again).
            self.refresh(Region(0, y, self.size.width, 1))

    def move_to(self, row: int) -> None:
        last = len(self.store.view) - 1
        self.cursor = row
        self.follow = self.cursor >= last and self.follow_allowed

    follow_allowed = False
    """Live mode: reaching the last row turns following back on."""

    def action_cursor(self, step: int) -> None:
        self.move_to(self.cursor + step * (self._count or 1))

    def action_page(self, step: int) -> None:
        self.move_to(self.cursor + step * max(1, self._rows_shown - 1))

    def action_top(self) -> None:
        self.jump(0)

    def action_bottom(self) -> None:
        self.jump(len(self.store.view) - 1)
        self.follow = self.follow_allowed

    def action_goto(self) -> None:
        if self._count is None:
            self.action_bottom()
        else:
            self._to_frame(self._count)

    def action_g(self) -> None:
        if self._g_timer is not None:
            # An earlier g's timeout must not clear this one (a slow second g made '42gg' go nowhere).
            self._g_timer.stop()
            self._g_timer = None
        if self._pending_g:
            self._pending_g = False
            if self._g_count is not None:
                self._to_frame(self._g_count)
            else:
                self.action_top()
        else:
            self._pending_g = True
            self._g_count = self._count
            self._g_timer = self.set_timer(1.0, self._clear_g)
        self._show_typed()

    def _clear_g(self) -> None:
        self._g_timer = None
        self._pending_g = False
        self._show_typed()

    def _to_frame(self, frame: int) -> None:
        row = self.store.row_of_frame(frame)
        if row is not None:
            self.jump(row)

    # -- marks and counts --------------------------------------------------------------------

    def jump(self, row: int) -> None:
        """Move to ``row`` as a jump: ``''`` comes back to where it started."""
        if self.index >= 0:
            self._before_jump = self.index
        self.move_to(row)

    def action_await_letter(self, prefix: str) -> None:
        self._awaiting = prefix
        self._show_typed()

    def on_key(self, event: events.Key) -> None:
        """Keys that give the next key its meaning, before the bindings see it: counts and letters."""
        char = event.character or ""
        if self._awaiting:
            prefix, self._awaiting = self._awaiting, ""
            event.stop()
            event.prevent_default()
            if event.key != "escape":
                self._letter(prefix, char)
        elif len(char) == 1 and char in "0123456789" and (self._typed or char != "0"):
            self._typed += char
            event.stop()
            event.prevent_default()
        else:
            self._count = int(self._typed) if self._typed else None
            self._typed = ""
        self._show_typed()

    def _letter(self, prefix: str, char: str) -> None:
        store = self.store
        if prefix == "'" and char == "'":
            target, what = self._before_jump, "the message before the last jump"
        elif len(char) == 1 and "a" <= char <= "z":
            if prefix == "m":
                if self.index >= 0:
                    store.marks[char] = self.index
                    self.refresh()
                return
            target, what = store.marks.get(char), f"mark {char}"
            if target is None:
                self.notify(f"mark {char} is not set (m {char} sets it)", timeout=2)
                return
        else:
            self.notify(f"{prefix} wants a letter a-z" + (" or '" if prefix == "'" else ""), timeout=2)
            return
        row = store.row_of(target) if target is not None else None
        if row is None:
            self.notify(f"{what} is not in the list (no jump yet, or the filter hides it)", timeout=2)
        else:
            self.jump(row)

    def _show_typed(self) -> None:
        """The keys typed so far, as vim's showcmd does."""
        self.border_subtitle = self._typed + ("g" if self._pending_g else "") + self._awaiting

    def action_error(self, step: int) -> None:
        row = self.store.next_error_row(self.cursor, step)
        if row is not None:
            self.move_to(row)
        else:
            self.notify("no further error, gap or finding in this direction", timeout=2)

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
        width = self.scrollable_content_region.width
        if y == 0:
            return Strip([Segment(text, Style(bold=True, underline=True)) for text, _ in HEADER]).crop_extend(
                0, width, Style(underline=True))
        row = y - 1 + self.scroll_offset.y
        view = self.store.view
        if row >= len(view):
            return Strip.blank(width)
        index = view[row]
        mark = self.store.mark_of(index) if self.store.marks else ""
        severity = self.store.severity_at(index)
        key = (index, width, mark, severity)
        strip = self._cache.get(key)
        if strip is None:
            record = self.store.records[index]
            cells = row_cells(record, self.store.first_time, mark, severity)
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
