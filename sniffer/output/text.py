"""Readable one-line-per-record output, coloured with rich on a terminal."""

from __future__ import annotations

import datetime as _dt
from typing import IO

from rich.console import Console
from rich.markup import escape

from v2gsniff.sniffer.model import Record

from .inert import inert_line

KIND_STYLE = {
    "homeplug": "cyan",
    "sdp": "magenta",
    "v2gtp": "yellow",
    "v2g": "green",
    "tls": "blue",
    "tcp": "dim",
    "app": "dim",
    "icmpv6": "dim",
    "gap": "bold red",
    "error": "bold red",
    "keylog": "blue",
}

SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}
"""Findings (kind ``finding``) are coloured by severity, not by kind."""

ARROWS = {"ev->evse": "EV→EVSE", "evse->ev": "EVSE→EV"}


def format_line(r: Record) -> str:
    """The plain text of one record's line."""
    ts = _dt.datetime.fromtimestamp(r.time, _dt.timezone.utc).strftime("%H:%M:%S.%f")
    direction = ARROWS.get(str(r.extra.get("dir", "")), "")
    where = direction or (f"{r.src} → {r.dst}" if r.src or r.dst else "")
    text = f"{ts} {r.frame:>6} {r.kind:<8} {r.name:<28} {where:<10} {r.summary}"
    if r.error:
        text += f"  ERROR: {r.error}"
    return inert_line(text.rstrip())


class TextWriter:
    """Writes readable lines; colours when the output is a terminal, or always with ``color=True``
    (``--color``: a pipe into ``less -R`` keeps them)."""

    def __init__(self, stream: IO[str], color: bool | None = None) -> None:
        self._stream = stream
        is_tty = stream.isatty() if color is None else color
        if not is_tty:
            self._console: Console | None = None
        elif color:
            self._console = Console(file=stream, highlight=False, soft_wrap=True, force_terminal=True, no_color=False,
                                    color_system="standard")
        else:
            self._console = Console(file=stream, highlight=False, soft_wrap=True)

    def write(self, r: Record) -> None:
        line = format_line(r)
        if self._console is None:
            self._stream.write(line + "\n")
            return
        if r.kind == "finding":
            style = SEVERITY_STYLE.get(str(r.extra.get("severity")), "")
        else:
            style = "bold red" if r.error else KIND_STYLE.get(r.kind, "")
        self._console.print(f"[{style}]{escape(line)}[/]" if style else escape(line))

    def flush(self) -> None:
        self._stream.flush()

    def close(self) -> None:
        self._stream.flush()
