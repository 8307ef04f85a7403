"""Output writers for decoded records: readable lines and JSONL."""

from __future__ import annotations

from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from .jsonl import JsonlWriter
    from .text import TextWriter

FORMATS = ("text", "jsonl")


def open_writer(fmt: str, out: IO[str], color: bool | None = None,
                extra: dict[str, str] | None = None) -> JsonlWriter | TextWriter:
    """The writer of a ``--format`` (``extra``: JSONL keys added to every line). Each loads only
    when chosen: orjson for JSONL, rich for readable lines."""
    if fmt == "jsonl":
        from .jsonl import JsonlWriter

        return JsonlWriter(out, extra)
    from .text import TextWriter

    return TextWriter(out, color)
