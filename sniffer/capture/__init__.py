"""Capture sources: pcap, pcapng, gzip, stdin and live interfaces, as streams of frames.

``open_capture(path)`` gives a :class:`CaptureReader` yielding :class:`RawFrame` and
:class:`DecryptionSecrets`; ``decode_link``/``to_ethernet`` take a frame's link header off;
``PcapngWriter``, ``RingWriter`` and ``PcapWriter`` write captures. Errors and their exit
codes are in :mod:`.errors`.
"""

from .errors import CaptureError, CaptureNotFound, CorruptCapture, NotACapture, TruncatedCapture
from .linktype import LinkError, LinkFrame, decode_link, to_ethernet
from .open import CaptureReader, open_capture
from .writer import SECRETS_TLS_KEYLOG, PcapngWriter, PcapWriter, RingWriter

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
