"""Text that came from a capture, made safe to print: nothing in it is acted on by a terminal.

A capture is input from whoever sits at the other end of the cable; its strings (an EVSEID, a
certificate's subject, a modem's version string, a vendor's diagnostic text) reach terminals
through every output. The characters a terminal acts on are shown as escapes instead
(``\\x1b``): C0 controls, DEL, C1 controls (U+0080-U+009F; U+009B is an 8-bit CSI) and the
bidirectional overrides and isolates (U+202A-U+202E, U+2066-U+2069) that reorder what is shown.
JSON keeps exact values: the same characters become ``\\uXXXX`` escapes, which decode to them.
Markup is the renderers' business: HTML escapes it, the text writers never interpret it.

Every writer passes its text through one of these before it leaves the process.
"""

from __future__ import annotations

import re

__all__ = ["inert_json", "inert_line", "inert_text"]

_UNSAFE = (*range(0x20), 0x7F, *range(0x80, 0xA0), *range(0x202A, 0x202F), *range(0x2066, 0x206A))


def _escape(code: int) -> str:
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


_LINE = {c: _escape(c) for c in _UNSAFE}
_TEXT = {c: e for c, e in _LINE.items() if c not in (0x09, 0x0A)}
_JSON = {c: f"\\u{c:04x}" for c in _UNSAFE if c >= 0x7F}  # the encoder escapes C0 itself
# Clean text is the rule: a test in C decides whether the slower translate is needed at all.
_ANY_TEXT = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def inert_line(text: str) -> str:
    """One line of output: every control character escaped, tab and newline too."""
    # Printable text has none of them (the bidi controls are format characters, not printable);
    # what is not printable but harmless (other format characters) goes through translate unchanged.
    return text if text.isprintable() else text.translate(_LINE)


def inert_text(text: str) -> str:
    """A document (Markdown, CSV, HTML, a table): tabs and newlines kept, the rest escaped."""
    return text.translate(_TEXT) if _ANY_TEXT.search(text) else text


def inert_json(text: str) -> str:
    """JSON text (whose C0 controls the encoder already escaped): DEL, C1 and bidi controls as
    ``\\uXXXX`` escapes. These characters occur only inside strings, so the JSON means the same."""
    if text.isascii() and "\x7f" not in text:  # isascii is a flag test: the usual case costs nothing
        return text
    return text.translate(_JSON)
