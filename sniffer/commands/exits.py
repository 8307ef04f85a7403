"""Exit codes and error messages shared by every command (one table, one wording).

    0 success; 1 the command's own verdict (check's findings, exi decode's failures); 2 usage
    error (click's own code); 3 file not found or unreadable; 4 not a pcap/pcapng file;
    5 capture cut off mid-record; 6 corrupt capture structure.

A command that reads several inputs goes on after a bad one and exits with the highest code.
"""

from __future__ import annotations

import sys
from typing import NoReturn

import click

from v2gsniff.sniffer.capture.errors import CaptureNotFound, CorruptCapture, NotACapture, TruncatedCapture
from v2gsniff.sniffer.output.inert import inert_line

EXIT_OK = 0
EXIT_FAILED = 1
"""The command's own verdict: findings at or above ``check --fail-on``, a message ``exi decode`` cannot decode."""
EXIT_USAGE = 2
"""click's own code for usage errors; also no terminal for the UI, a file ``exi encode`` refuses."""
EXIT_NOT_FOUND = 3
"""A file (or interface) that does not exist or cannot be read."""
EXIT_NOT_A_CAPTURE = 4
EXIT_TRUNCATED = 5
"""Cut off mid-record: every complete frame before the cut was still decoded."""
EXIT_CORRUPT = 6
"""Impossible structure, or any other failure while reading."""

_CAPTURE_CODES: tuple[tuple[type[BaseException], int], ...] = (
    (CaptureNotFound, EXIT_NOT_FOUND), (OSError, EXIT_NOT_FOUND), (NotACapture, EXIT_NOT_A_CAPTURE),
    (TruncatedCapture, EXIT_TRUNCATED), (CorruptCapture, EXIT_CORRUPT),
)

__all__ = ["EXIT_CODES_HELP", "EXIT_CORRUPT", "EXIT_FAILED", "EXIT_NOT_A_CAPTURE", "EXIT_NOT_FOUND", "EXIT_OK",
           "EXIT_TRUNCATED", "EXIT_USAGE", "NO_TERMINAL", "exit_code_for", "fail", "has_terminal", "message", "warn"]


def exit_code_for(err: BaseException | None) -> int:
    """The exit status when reading a capture stops on ``err`` (an ``OSError`` reading a file counts
    as not found; any other read failure as corrupt)."""
    return next((code for kind, code in _CAPTURE_CODES if isinstance(err, kind)), EXIT_CORRUPT)


EXIT_CODES_HELP = (
    "Exit codes: 0 success (decode errors inside a capture are records, not failures); "
    "2 usage error; 3 file not found or unreadable; 4 not a pcap/pcapng file; "
    "5 capture cut off mid-record (every complete frame before the cut is still decoded); "
    "6 corrupt capture structure."
)


def message(path: str, err: BaseException | str) -> str:
    """``path: what went wrong`` with the file named once (capture errors often name it already)."""
    text = str(err)
    shown = "<stdin>" if path == "-" else path
    if text.startswith((f"{shown}:", f"{path}:", "<stdin>:")):
        return text
    return f"{shown}: {text}"


def warn(path: str, err: BaseException | str) -> None:
    # Paths and errors can carry a capture's own strings: nothing in them may drive the terminal.
    click.echo(inert_line(f"v2gsniff: {message(path, err)}"), err=True)


def fail(text: str, code: int = EXIT_USAGE) -> NoReturn:
    """One sentence on stderr, then exit with ``code``."""
    click.echo(inert_line(f"v2gsniff: {text}"), err=True)
    sys.exit(code)


def has_terminal(stdin_needed: bool = True) -> bool:
    """Whether a full-screen UI can run: stdout (and stdin, for keys, unless it comes from elsewhere) is a TTY."""
    return sys.stdout.isatty() and (sys.stdin.isatty() or not stdin_needed)


NO_TERMINAL = "the terminal UI needs a terminal (standard input and output are not one)"
