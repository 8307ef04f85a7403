"""Following a TLS direction past bytes the capture lost: where the next record starts, and which
sequence number it was sent under (the one its tag authenticates; a wrong one never does)."""

from __future__ import annotations

import re

from v2gsniff.sniffer.streams.tls.record import DecryptError, Protection
from v2gsniff.sniffer.streams.tls.session import MAX_RECORD, QueuedRecord

MIN_PROTECTED = 21
"""Bytes of the smallest protected record on the wire (header and a 16-byte tag): a gap of n bytes
held at most n // 21 + 1 records, the sequence numbers the next record is tried under."""
MAX_WINDOW = 4096
"""Sequence numbers tried at most after one gap (a few ms of trial decryptions)."""
RETRY_WINDOW = 16
"""Sequence numbers the records after a failed trial still try (so a wrong key costs no more)."""
_HEADER = re.compile(rb"[\x15-\x17]\x03[\x01-\x04]")
"""Alert, handshake or application data, version 3.1-3.4: where a record may start after a gap."""


def trial(protection: Protection, first: int, window: int, rec: QueuedRecord) -> tuple[int, tuple[int, bytes]] | None:
    """The first sequence number of ``first``..``first + window`` under which ``rec`` authenticates,
    with its (content type, plaintext); ``None`` when none does."""
    for seq in range(first, first + window + 1):
        try:
            return seq, protection.decrypt(seq, rec.ctype, rec.version, rec.fragment)
        except DecryptError:
            continue
    return None


def record_start(buf: bytearray) -> int:
    """Where the first plausible record header lies in ``buf`` after a gap (-1: none). A header is
    plausible when its length is, and the header after its record too when ``buf`` holds it; the
    record's tag has the last word (``TlsConnection._open``). A header cut by the end of ``buf`` counts."""
    for m in _HEADER.finditer(buf):
        p = m.start()
        if len(buf) - p < 5:
            return p
        length = (buf[p + 3] << 8) | buf[p + 4]
        if not 0 < length <= MAX_RECORD:
            continue
        end = p + 5 + length
        if len(buf) - end < 3 or _HEADER.match(buf, end):
            return p
    return -1
