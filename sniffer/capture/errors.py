"""Errors raised while opening or reading a capture file.

Each error carries the process exit code the CLI uses when it stops on it; ``str(err)`` is a
one-line message meant for the user:

====================  ====  =====================================================================
class                 code  meaning
====================  ====  =====================================================================
``CaptureError``      1     any other read failure (I/O error on the device, broken pipe ...)
``CaptureNotFound``   2     the file does not exist or cannot be opened for reading
``NotACapture``       3     the first bytes are not a pcap, pcapng or gzip magic number
``TruncatedCapture``  4     the file (or its gzip stream) ends in the middle of a record/block;
                            raised only after every complete frame before the cut was yielded
``CorruptCapture``    5     impossible structure: bad block lengths, unknown interface, bad gzip
====================  ====  =====================================================================
"""

from __future__ import annotations


class CaptureError(Exception):
    """Base class: reading the capture failed."""

    exit_code: int = 1


class CaptureNotFound(CaptureError):
    """The capture file is missing or not readable."""

    exit_code = 2


class NotACapture(CaptureError):
    """The file's magic number is not one we read."""

    exit_code = 3


class TruncatedCapture(CaptureError):
    """The file ends inside a record or block (typical of a capture killed while writing)."""

    exit_code = 4


class CorruptCapture(CaptureError):
    """The file's structure is impossible (lengths, interface numbers, compressed data)."""

    exit_code = 5


# Exit statuses of the CLI for capture errors (the table every command shows is
# ``commands/exits.py``, which re-exports these); 2 is click's own code for usage errors, so they
# differ from the classes' ``exit_code`` above.
EXIT_OK = 0
EXIT_NOT_FOUND = 3
EXIT_NOT_A_CAPTURE = 4
EXIT_TRUNCATED = 5
EXIT_CORRUPT = 6


def exit_code_for(err: BaseException) -> int:
    """The CLI's exit status when a capture stops on ``err`` (an ``OSError`` reading a file counts
    as not found)."""
    if isinstance(err, CaptureNotFound | OSError):
        return EXIT_NOT_FOUND
    if isinstance(err, NotACapture):
        return EXIT_NOT_A_CAPTURE
    if isinstance(err, TruncatedCapture):
        return EXIT_TRUNCATED
    return EXIT_CORRUPT
