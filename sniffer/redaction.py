"""Key material in what v2gsniff shows: the one place that says which bytes are secret.

Values are redacted where records are made: a dissector marks key fields ``secret``
(:class:`~v2gsniff.dissectors.Field`), and the :class:`~v2gsniff.sniffer.pipeline.Decoder`
renders them as ``<redacted>`` unless it was made with ``show_keys`` (``--show-keys``), so every
writer (text, JSONL, reports, sessions, the UI's detail tree) gets redacted values without
knowing about keys. Only views of raw bytes (the UI's hex pane) need more: :func:`secret_spans`
says which bytes of a record's ``data`` to hide: NMKs, NEKs and DAKs of HomePlug messages, and
the secrets of NSS key-log lines a datagram carries in-band.
"""

from __future__ import annotations

from v2gsniff.sniffer.model import Record
from v2gsniff.sniffer.streams.tls.keylog import keylog_secret_spans

__all__ = ["secret_spans"]


def secret_spans(record: Record) -> list[tuple[int, int]]:
    """``(start, end)`` byte ranges of ``record.data`` that hold key material, in order."""
    spans: list[tuple[int, int]] = []
    for layer in record.layers:
        for f in layer.walk():
            if f.secret and f.length:
                start = layer.offset + f.offset
                spans.append((start, start + f.length))
    if b"_SECRET" in record.data or b"CLIENT_RANDOM" in record.data:
        spans.extend(keylog_secret_spans(record.data))
    return sorted(spans)
