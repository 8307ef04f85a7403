"""The filter bar: the filter's validity is shown as you type (green/red, with the reason);
Enter applies a valid filter, Escape leaves it. A ``fields.KEY`` that no record has is most likely
misspelt: the bar says so as ``decode --filter`` does, with the names that come closest."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Input, Static

from v2gsniff.sniffer.filters import FieldsSeen, Filter, FilterError, compile_filter


class FilterBar(Horizontal):
    DEFAULT_CSS = """
    FilterBar { height: 3; }
    FilterBar > Input { width: 1fr; }
    FilterBar > Input.-valid { border: tall $success; }
    FilterBar > Input.-invalid { border: tall $error; }
    FilterBar > #filter-status { width: auto; max-width: 60; padding: 1 1 0 1; }
    FilterBar > #filter-status.-invalid { color: $error; text-style: bold; }
    FilterBar > #filter-status.-unknown { color: $warning; max-width: 72; padding: 0 1; }
    """

    class Applied(Message):
        """A valid filter was submitted."""

        def __init__(self, filter: Filter) -> None:
            super().__init__()
            self.filter = filter

    class Left(Message):
        """Escape: focus goes back to the message list."""

    def __init__(self, *, id: str | None = None, fields_seen: FieldsSeen | None = None) -> None:
        super().__init__(id=id)
        self.error: FilterError | None = None
        self.fields_seen = fields_seen or FieldsSeen()
        """The field names records have had (the app passes its store's)."""
        self.unknown: list[str] = []
        """What the valid filter names that no record has (``FieldsSeen.unknown``)."""

    def compose(self) -> ComposeResult:
        yield Input(placeholder="/ filter: slac, v2g and name ~ CurrentDemand, session == 1, dir == ev, errors",
                    id="filter-input", select_on_focus=False)
        yield Static("", id="filter-status")

    @property
    def input(self) -> Input:
        return self.query_one(Input)

    @property
    def status(self) -> Static:
        return self.query_one("#filter-status", Static)

    def set_text(self, text: str, apply: bool = True) -> None:
        self.input.value = text
        self._check(text)
        if apply and self.error is None:
            self.post_message(self.Applied(compile_filter(text)))

    def _check(self, text: str) -> Filter | None:
        inp = self.input
        try:
            f = compile_filter(text)
        except FilterError as err:
            self.error = err
            inp.set_class(True, "-invalid")
            inp.set_class(False, "-valid")
            self.status.set_class(True, "-invalid")
            self.status.update(f"✗ at {err.position + 1}: {str(err).split(' (', 1)[0]}")
            return None
        self.error = None
        self.unknown = self.fields_seen.unknown(f)
        inp.set_class(False, "-invalid")
        inp.set_class(bool(text.strip()), "-valid")
        self.status.set_class(False, "-invalid")
        self.status.set_class(bool(self.unknown), "-unknown")
        self.status.update(("⚠ " + self.unknown[0]) if self.unknown else "✓ Enter applies" if text.strip() else "")
        return f

    @on(Input.Changed, "#filter-input")
    def _changed(self, event: Input.Changed) -> None:
        event.stop()
        self._check(event.value)

    @on(Input.Submitted, "#filter-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        f = self._check(event.value)
        if f is not None:
            if not self.unknown:  # a warning stays while its filter is applied
                self.status.update("")
            self.post_message(self.Applied(f))
        else:
            self.app.bell()

    def key_escape(self) -> None:
        self.post_message(self.Left())
