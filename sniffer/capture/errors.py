"""Errors raised while opening or reading a capture file; ``str(err)`` is a one-line message
meant for the user. The exit status each gives is the CLI's business: the one table is
``sniffer/commands/exits.py``.

====================  =====================================================================
class                 meaning
====================  =====================================================================
``CaptureError``      any other read failure (I/O error on the device, broken pipe ...)
``CaptureNotFound``   the file does not exist or cannot be opened for reading
``NotACapture``       the first bytes are not a pcap, pcapng or gzip magic number
``TruncatedCapture``  the file (or its gzip stream) ends in the middle of a record/block;
                      raised only after every complete frame before the cut was yielded
``CorruptCapture``    impossible structure: bad block lengths, unknown interface, bad gzip
====================  =====================================================================
"""

from __future__ import annotations


class CaptureError(Exception):
    """Base class: reading the capture failed."""


class CaptureNotFound(CaptureError):
    """The capture file is missing or not readable."""


class NotACapture(CaptureError):
    """The file's magic number is not one we read."""


class TruncatedCapture(CaptureError):
    """The file ends inside a record or block (typical of a capture killed while writing)."""


class CorruptCapture(CaptureError):
    """The file's structure is impossible (lengths, interface numbers, compressed data)."""
