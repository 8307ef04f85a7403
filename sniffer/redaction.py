"""Key material in what v2gsniff shows: the one place that says which bytes are secret.

Values are redacted where records are made: a dissector marks key fields ``secret``
(:class:`~v2gsniff.dissectors.Field`), and the :class:`~v2gsniff.sniffer.pipeline.Decoder`
renders them as ``<redacted>`` unless it was made with ``show_keys`` (``--show-keys``), so every
writer (text, JSONL, reports, sessions, the UI's detail tree) gets redacted values without
knowing about keys. EXI messages have no such flag: :func:`is_secret_element` names the elements
that carry a private key, and the V2G decoder redacts their values (and the message's EXI hex)
with :func:`redact_json` and :func:`redact_xml`. Only views of raw bytes (the UI's hex pane)
need more: :func:`secret_spans` says which bytes of a record's ``data`` to hide: NMKs, NEKs and
DAKs of HomePlug messages, the secrets of NSS key-log lines a datagram carries in-band, and the
bits of a private key in an EXI message.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from v2gsniff.dissectors import exi
from v2gsniff.dissectors.exi.model import Element
from v2gsniff.dissectors.v2gtp import HEADER_LEN
from v2gsniff.sniffer.model import Record
from v2gsniff.sniffer.streams.tls.keylog import keylog_secret_spans

__all__ = ["REDACTED", "carries_private_key", "is_secret_element", "redact_json", "redact_xml", "secret_spans"]

REDACTED = "<redacted>"


def is_secret_element(name: str) -> bool:
    """An EXI element holding a private key: ISO 15118-2 ContractSignatureEncryptedPrivateKey and
    ISO 15118-20 SECP521_/X448_/TPM_EncryptedPrivateKey (the contract certificate's key, encrypted
    for the EV: a private key all the same, shown only with ``--show-keys``)."""
    return name.endswith("EncryptedPrivateKey")


def _walk(elements: Iterable[Element]) -> Iterator[Element]:
    stack = list(elements)
    while stack:
        el = stack.pop()
        yield el
        stack.extend(el.children)


def carries_private_key(message: exi.ExiMessage) -> bool:
    return message.name.startswith("Certificate") and any(is_secret_element(e.name) for e in _walk(message.elements))


def redact_json(value: Any) -> Any:
    """A message's JSON form with private keys' values redacted (attributes such as ``@Id`` kept)."""
    if isinstance(value, list):
        return [redact_json(v) for v in value]
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for key, v in value.items():
        if is_secret_element(key):
            v = {k: (REDACTED if k == "#text" else x) for k, x in v.items()} if isinstance(v, dict) else REDACTED
        out[key] = redact_json(v)
    return out


_XML_KEY = re.compile(r"(<(?:[\w.-]+:)?\w*EncryptedPrivateKey\b[^>]*>)[^<]*(</)")


def redact_xml(xml: str) -> str:
    return _XML_KEY.sub(r"\1&lt;redacted&gt;\2", xml)


def secret_spans(record: Record) -> list[tuple[int, int]]:
    """``(start, end)`` byte ranges of ``record.data`` that hold key material, in order."""
    from v2gsniff.sniffer.layers import record_layers  # the dissect stack, only when a pane asks

    spans: list[tuple[int, int]] = []
    for layer in record_layers(record):
        for f in layer.walk():
            if f.secret and f.length:
                start = layer.offset + f.offset
                spans.append((start, start + f.length))
    if b"_SECRET" in record.data or b"CLIENT_RANDOM" in record.data:
        spans.extend(keylog_secret_spans(record.data))
    message = record.message
    if isinstance(message, exi.ExiMessage) and carries_private_key(message):
        spans.extend(_exi_key_spans(record.data, message.schema))
    return sorted(spans)


def _exi_key_spans(data: bytes, schema: str) -> list[tuple[int, int]]:
    try:
        positioned = exi.decode_with_positions(data[HEADER_LEN:], schema)
    except exi.ExiError:
        return [(HEADER_LEN, len(data))]  # cannot place the key: hide the whole message
    out = []
    for el, bits in positioned.walk():
        if is_secret_element(el.name):
            lo, hi = (bits.value or bits.span).byte_range
            out.append((HEADER_LEN + lo, HEADER_LEN + hi))
    return out
