"""One line at the bottom: source, frames, messages (shown/all), errors, gaps, drops, link, follow."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from ..feed import Counters


def status_text(title: str, c: Counters, shown: int, *, done: bool, live: bool, follow: bool,
                recording: str = "") -> Text:
    t = Text()
    t.append(f" {title} ", style="bold reverse")
    t.append(f" frames {c.frames}  messages {shown}/{c.messages}  ")
    t.append(f"errors {c.errors}", style="bold red" if c.errors else "")
    t.append("  ")
    gaps = f"gaps {c.gaps}" + (f" ({c.lost_bytes} B lost)" if c.lost_bytes else "")
    t.append(gaps, style="bold yellow" if c.gaps else "")
    t.append("  ")
    t.append(f"drops {c.drops}", style="bold red" if c.drops else "")
    if live:
        link = c.link or "up"
        t.append(f"  link {link}", style="bold red" if link == "down" else "green")
        t.append("  following" if follow else "  paused (G follows)", style="cyan" if follow else "yellow")
    if recording:
        t.append(f"  ● {recording}", style="red")
    t.append("  done" if done else "  reading…", style="dim" if done else "yellow")
    t.append("   ? help", style="dim")
    return t


class StatusBar(Static):
    DEFAULT_CSS = """
    StatusBar { height: 1; dock: bottom; background: $panel; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._shown = Text()

    def show(self, text: Text) -> None:
        """Show ``text`` if it differs from what is shown. One line of fixed height, so no
        layout pass: a layout reflows the whole screen, and live counters change many times a second."""
        if text != self._shown:
            self._shown = text
            self.update(text, layout=False)
