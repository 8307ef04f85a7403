"""The help screen, generated from the key bindings of the app and its panes, plus the filter syntax."""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

import v2gsniff.sniffer.filters as filters

_KEY_NAMES = {"question_mark": "?", "slash": "/", "backslash": "\\", "tab": "Tab", "shift+tab": "Shift+Tab",
              "escape": "Esc", "enter": "Enter", "pagedown": "PgDn", "pageup": "PgUp",
              "apostrophe": "'", "home": "Home", "end": "End"}


def key_text(keys: str) -> str:
    return " / ".join(_KEY_NAMES.get(k.strip(), k.strip()) for k in keys.split(","))


def bindings_table(sections: Iterable[tuple[str, Iterable[BindingType]]]) -> Text:
    """Every binding that has a description, grouped by where it applies."""
    t = Text()
    for title, bindings in sections:
        rows = [b for b in bindings if isinstance(b, Binding) and b.description]
        if not rows:
            continue
        t.append(f"{title}\n", style="bold underline")
        for b in rows:
            t.append(f"  {key_text(b.key):<22}", style="bold cyan")
            t.append(f"{b.description}\n")
        t.append("\n")
    return t


def filter_help() -> Text:
    doc = (filters.__doc__ or "").strip().split("\n", 1)[-1].strip()
    return Text("Filter syntax\n", style="bold underline") + Text(doc + "\n")


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 100; height: 90%; border: thick $primary; background: $surface;
                                  padding: 0 1; }
    """
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close help")]

    def __init__(self, sections: list[tuple[str, Iterable[BindingType]]]) -> None:
        super().__init__()
        self.sections = sections

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(Text("v2gsniff keys (termshark-style; the mouse works too)\n\n", style="bold")
                         + bindings_table(self.sections) + filter_help(), id="help-text")

    def action_dismiss(self) -> None:  # type: ignore[override]
        self.dismiss(None)
