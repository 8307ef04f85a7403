"""Capture sources: pcap, pcapng, gzip, stdin and live interfaces, as streams of frames.

``open_capture(path)`` gives a :class:`CaptureReader` yielding :class:`RawFrame` and
:class:`DecryptionSecrets`; ``decode_link``/``to_ethernet`` take a frame's link header off;
``PcapngWriter``, ``RingWriter`` and ``PcapWriter`` write captures. Errors and their exit
codes are in :mod:`.errors`.
"""

from typing import TYPE_CHECKING, Any

from .errors import CaptureError, CaptureNotFound, CorruptCapture, NotACapture, TruncatedCapture
from .linktype import LinkError, LinkFrame, decode_link, to_ethernet
from .open import CaptureReader, open_capture

if TYPE_CHECKING:
    from .writer import SECRETS_TLS_KEYLOG, PcapngWriter, PcapWriter, RingWriter

_WRITER_NAMES = ("SECRETS_TLS_KEYLOG", "PcapngWriter", "PcapWriter", "RingWriter")


def __getattr__(name: str) -> Any:
    # The writers (and pathlib with them) load only for commands that write captures.
    if name in _WRITER_NAMES:
        from . import writer

        return getattr(writer, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "CaptureError",
    "CaptureNotFound",
    "CaptureReader",
    "CorruptCapture",
    "LinkError",
    "LinkFrame",
    "NotACapture",
    "PcapWriter",
    "PcapngWriter",
    "RingWriter",
    "SECRETS_TLS_KEYLOG",
    "TruncatedCapture",
    "decode_link",
    "open_capture",
    "to_ethernet",
]
