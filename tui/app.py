"""V2GSniffApp: the panes, the key bindings, and the worker that turns a source into records.

The same app serves ``open`` (files) and ``live`` (an interface): only the source and the
follow mode differ. Attributes go down (the app calls each pane's ``show``), messages come up.
"""

from __future__ import annotations

import gc
import time
from bisect import bisect_left
from collections.abc import Callable, Iterable
from typing import Any, ClassVar

from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.timer import Timer
from textual.worker import get_current_worker

from v2gsniff.sniffer.setup import AnalysisSetup
from v2gsniff.sniffer.streams.tls import KeyLog

from .feed import BUSY_RECORDS, Pump
from .help import HelpScreen
from .messages import RecordsArrived
from .store import RecordStore
from .widgets.detail_tree import DetailTree
from .widgets.filter_bar import FilterBar
from .widgets.hex_view import HexView
from .widgets.message_list import MessageList
from .widgets.plot import PowerPlot
from .widgets.sessions import SessionsPane
from .widgets.status_bar import StatusBar, status_text

SourceFactory = Callable[[], Iterable[Any]]
DETAIL_SECONDS = 0.5
"""While following, the detail tree and hex pane show the newest message at most this often: a
busy capture brings new rows many times a second, and rebuilding both panes for each is most of
the cost of a repaint (nobody reads a detail that changes faster). A user's move shows at once.
While records pour in (a batch of :data:`~.feed.BUSY_RECORDS` or more in the last
``DETAIL_SECONDS``) they wait for a calm: one rebuild takes the UI tens of milliseconds, long
enough to hold back the next rows past the 0.1 s they should take to show."""

CALM_SECONDS = DETAIL_SECONDS
"""Records have stopped pouring in once no batch of :data:`~.feed.BUSY_RECORDS` or more came for this long."""


class V2GSniffApp(App[int]):
    CSS_PATH = "app.tcss"
    TITLE = "v2gsniff"
    BINDINGS = [
        Binding("q", "quit", "Quit"),
        Binding("question_mark", "help", "Help (this screen)"),
        Binding("slash", "focus_filter", "Edit the filter"),
        Binding("backslash", "maximize_pane", "Maximise / restore the focused pane"),
        Binding("tab", "focus_next", "Next pane"),
        Binding("shift+tab", "focus_previous", "Previous pane"),
        Binding("s", "focus('session-list')", "Sessions pane"),
        Binding("m", "focus('message-list')", "Message list (in it, m starts a mark)"),
        Binding("d", "focus('detail-tree')", "Detail tree"),
        Binding("x", "focus('hex-view')", "Hex pane"),
        Binding("c", "clear_filter", "Clear the filter"),
        Binding("e", "errors_only", "Show errors and gaps only"),
        Binding("f", "follow", "Follow new messages (live)"),
    ]
    PANE_BINDINGS: ClassVar[list[tuple[str, list[BindingType]]]] = [
        ("Message list", list(MessageList.BINDINGS)),
        ("Detail tree", list(DetailTree.BINDINGS)),
        ("Sessions pane", [Binding("enter", "", "Show only this session's messages")]),
        ("Filter bar", [Binding("enter", "", "Apply the filter (red while invalid)"),
                        Binding("escape", "", "Back to the message list")]),
    ]

    def __init__(self, source_factory: SourceFactory, *, title: str = "v2gsniff", live: bool = False,
                 keylog: KeyLog | None = None, recording: Callable[[], str] | None = None,
                 on_stop: Callable[[], None] | None = None, setup: AnalysisSetup | None = None) -> None:
        super().__init__()
        self.source_factory = source_factory
        self.setup = setup
        """--trust/--oem-key: what Plug & Charge chains and contract keys are verified against."""
        self.source_title = title
        self.live = live
        self.keylog = keylog
        self.recording = recording
        self.on_stop = on_stop
        self.store = RecordStore()
        self.title = f"v2gsniff: {title}"
        self._detail_shown = -1.0  # monotonic time the detail panes were last rebuilt
        self._detail_timer: Timer | None = None
        self._detail_index = -2  # record shown in the detail panes (-1: none)
        self._pouring = -1.0  # monotonic time of the last batch of BUSY_RECORDS or more
        self._gc_paused = False

    # -- layout ------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Horizontal(id="main"):
            with Vertical(id="left"):
                yield SessionsPane(id="sessions")
                yield PowerPlot(id="plot")
            with Vertical(id="right"):
                yield FilterBar(id="filter", fields_seen=self.store.fields_seen)
                yield MessageList(self.store, follow=self.live, id="message-list")
                with Horizontal(id="bottom"):
                    yield DetailTree(id="detail-tree")
                    yield HexView(id="hex-view")
        yield StatusBar(id="status")

    def on_mount(self) -> None:
        titles = {"sessions": "Sessions", "plot": "Target / present (selected session)",
                  "message-list": "Messages", "detail-tree": "Detail", "hex-view": "Bytes"}
        for wid, text in titles.items():
            self.query_one(f"#{wid}").border_title = text
        self.messages.follow_allowed = self.live
        self.messages.focus()
        self._status()
        self.read_source()

    @property
    def messages(self) -> MessageList:
        return self.query_one(MessageList)

    # -- the worker --------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="source")
    def read_source(self) -> None:
        worker = get_current_worker()
        pump = Pump(lambda batch: self.post_message(RecordsArrived(batch, pump.taken)), keylog=self.keylog,
                    cancelled=lambda: worker.is_cancelled, default_capture=self.source_title, handshake=True,
                    setup=self.setup)
        pump.run(self.source_factory(), live=self.live)

    def on_records_arrived(self, message: RecordsArrived) -> None:
        batch = message.batch
        if len(batch.records) >= BUSY_RECORDS:
            self._pouring = time.monotonic()
            self._pause_gc()
        had = len(self.store.view)
        self.store.add(batch)
        if batch.sessions is not None:
            if len(batch.records) >= BUSY_RECORDS:
                # The sessions pane (a layout) and the rows in one repaint would hold the rows
                # back; painted after them, it takes the quiet before the next batch instead.
                self.call_after_refresh(self._show_sessions)
            else:
                self._show_sessions()
        self.messages.rows_added(had)
        if had == 0 and self.store.view and not self.live:
            self.messages.move_to(0)
        self._status()
        # The worker sends the next batch once this one is painted: under load batches grow
        # instead of queueing, and the screen repaints as often as it can, not once per batch.
        self.call_after_refresh(message.taken)

    def _show_sessions(self) -> None:
        pane = self.query_one(SessionsPane)
        pane.update_sessions(self.store.sessions)
        selected = pane.selected
        self.query_one(PowerPlot).show(selected.session if selected else None)

    def _pause_gc(self) -> None:
        """No automatic garbage collection while records pour in. Every record is kept, so each
        full collection walks them all: with 10^5 of them it holds the one GIL for 0.1 s and more
        (and the young ones cost about a tenth of the UI process's time), which the rows then
        wait for. Reference counting still frees all but cycles; those wait for the calm."""
        if self._gc_paused or not gc.isenabled():
            return
        gc.disable()
        self._gc_paused = True
        self.set_timer(CALM_SECONDS, self._resume_gc_when_calm)

    def _resume_gc_when_calm(self) -> None:
        wait = self._pouring + CALM_SECONDS - time.monotonic()
        if wait > 0:
            self.set_timer(wait, self._resume_gc_when_calm)
        else:
            self._resume_gc()

    def _resume_gc(self) -> None:
        if not self._gc_paused:
            return
        self._gc_paused = False
        # What the flood allocated goes straight to the oldest generation (freeze, then unfreeze,
        # only moves lists): a young collection would otherwise walk all of it at once.
        gc.freeze()
        gc.unfreeze()
        gc.enable()

    def on_unmount(self) -> None:
        self._resume_gc()

    def _status(self) -> None:
        s = self.store
        self.query_one(StatusBar).show(status_text(
            self.source_title, s.counters, len(s.view), done=s.done, live=self.live,
            follow=self.messages.follow, recording=self.recording() if self.recording else ""))

    # -- pane linkage ------------------------------------------------------------------------

    @on(MessageList.Selected)
    def _selected(self, event: MessageList.Selected) -> None:
        self._status()
        if event.following:
            if self._detail_timer is None:
                self._detail_when_due()
            return
        self._show_detail()

    def _detail_when_due(self) -> None:
        """While following: the detail panes now if they are due and records are not pouring in,
        else a look again when they would be."""
        self._detail_timer = None
        now = time.monotonic()
        wait = max(self._detail_shown, self._pouring) + DETAIL_SECONDS - now
        if wait > 0:
            self._detail_timer = self.set_timer(wait, self._detail_when_due)
        else:
            self._show_detail()

    def _show_detail(self) -> None:
        """The detail tree and hex pane for the message under the cursor."""
        if self._detail_timer is not None:
            self._detail_timer.stop()
            self._detail_timer = None
        self._detail_shown = time.monotonic()
        index = self.messages.index
        if index == self._detail_index:
            return
        self._detail_index = index
        record = self.store.records[index] if index >= 0 else None
        tree, hexv = self.query_one(DetailTree), self.query_one(HexView)
        tree.show(record, self.store.findings_at(index) if record is not None else ())
        hexv.show(record)
        node = tree.cursor_node
        if node is not None and node.data is not None:
            hexv.highlight(node.data.offset, node.data.length, node.data.bits, node.data.value_bits)

    @on(DetailTree.SpanSelected)
    def _span(self, event: DetailTree.SpanSelected) -> None:
        self.query_one(HexView).highlight(event.offset, event.length, event.bits, event.value_bits)

    @on(SessionsPane.Chosen)
    def _session(self, event: SessionsPane.Chosen) -> None:
        chosen = next((u for u in self.store.sessions if u.number == event.number), None)
        self.query_one(PowerPlot).show(chosen.session if chosen else None)
        if event.select:
            self.query_one(FilterBar).set_text(f"session == {event.number}")

    @on(FilterBar.Applied)
    def _filter(self, event: FilterBar.Applied) -> None:
        current = self.messages.index
        self.store.set_filter(event.filter)
        row = bisect_left(self.store.view, current) if current >= 0 else 0
        self.messages.follow = False
        self.messages.reset(row)
        self.messages.focus()
        self._status()

    @on(FilterBar.Left)
    def _left(self) -> None:
        self.messages.focus()

    # -- actions -----------------------------------------------------------------------------

    def action_help(self) -> None:
        self.push_screen(HelpScreen([("Everywhere", self.BINDINGS), *self.PANE_BINDINGS]))

    def action_focus_filter(self) -> None:
        self.query_one(FilterBar).input.focus()

    def action_maximize_pane(self) -> None:
        screen = self.screen
        if screen.maximized is not None:
            screen.minimize()
        elif self.focused is not None:
            target = self.focused
            if target.id == "session-list":
                target = self.query_one(SessionsPane)
            screen.maximize(target, container=False)

    def action_clear_filter(self) -> None:
        self.query_one(FilterBar).set_text("")

    def action_errors_only(self) -> None:
        self.query_one(FilterBar).set_text("errors")

    def action_follow(self) -> None:
        if self.live:
            self.messages.action_bottom()
            self.messages.follow = True
            self._status()

    async def action_quit(self) -> None:
        self.workers.cancel_group(self, "source")
        if self.on_stop is not None:
            self.on_stop()
        self.exit(self.store.exit_code)

    def _fatal_error(self) -> None:
        # Textual's crash report lists every frame's local variables: frame bytes or a key-log
        # line among them would put key material on the terminal. The same report without them.
        import rich
        from rich.segment import Segments
        from rich.traceback import Traceback

        self.bell()
        traceback = Traceback(show_locals=False, width=None, suppress=[rich])
        self._exit_renderables.append(Segments(self.console.render(traceback, self.console.options)))
        self._close_messages_no_wait()
