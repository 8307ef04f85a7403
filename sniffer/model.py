"""The core data model: frames flow in, records flow out.

``RawFrame`` comes from a capture source; the pipeline turns frames into ``Record``\\ s, one
per message it recognises (a HomePlug MME, an SDP message, a V2GTP message, a decoded EXI
message, a TLS event, a gap in a TCP stream, an error).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

LINKTYPE_ETHERNET = 1
LINKTYPE_LINUX_SLL = 113
LINKTYPE_LINUX_SLL2 = 276


class RawFrame(NamedTuple):
    """One captured link-layer frame.

    A NamedTuple rather than a frozen dataclass: one is built for every frame read, and the
    dataclass's ``__init__`` was the largest single cost of reading a capture.
    """

    index: int  # type: ignore[assignment]  # shadows tuple.index, which nothing here uses
    """1-based frame number, counted as Wireshark counts (over all interfaces)."""
    time: float
    """Capture time, epoch seconds."""
    linktype: int
    """pcap LINKTYPE_* of the interface the frame came from."""
    data: bytes
    """Captured bytes (possibly shorter than ``orig_len``)."""
    orig_len: int = -1
    """Length on the wire; -1 when unknown."""
    interface: int = 0
    """Interface index (pcapng IDB order)."""


class DecryptionSecrets(NamedTuple):
    """A pcapng Decryption Secrets Block: key material carried inside the capture."""

    secrets_type: int
    """0x544c534b ("TLSK") for an NSS key log."""
    data: bytes
    """The secrets, e.g. NSS key-log lines."""
    after_frame: int
    """Number of frames read before this block (secrets apply from here on, and retroactively)."""


_EMPTY: Mapping[str, Any] = MappingProxyType({})


class SharedTail(Mapping[str, Any]):
    """A record's ``extra``: keys of its own, then keys shared with other records.

    Decoded V2G messages repeat verbatim (a charge loop sends the same bytes again and again),
    and the keys that depend only on those bytes (schema, hex, decoded body) are one shared
    dict. Writers may keep that tail's serialised form, keyed by its identity.
    """

    __slots__ = ("head", "tail")

    def __init__(self, head: dict[str, Any], tail: Mapping[str, Any]) -> None:
        self.head = head
        """This record's own keys."""
        self.tail = tail
        """Keys shared by every record of the same payload; never mutated."""

    def __getitem__(self, key: str) -> Any:
        head = self.head
        return head[key] if key in head else self.tail[key]

    def get(self, key: str, default: Any = None) -> Any:
        # Mapping.get goes through __getitem__ and KeyError; readers call this per record.
        head = self.head
        return head[key] if key in head else self.tail.get(key, default)

    def __contains__(self, key: object) -> bool:
        return key in self.head or key in self.tail

    def __iter__(self) -> Iterator[str]:
        yield from self.head
        head = self.head
        yield from (k for k in self.tail if k not in head)

    def __len__(self) -> int:
        return len(self.head) + sum(1 for k in self.tail if k not in self.head)

    def __repr__(self) -> str:
        return f"SharedTail({dict(self)!r})"


class Record(NamedTuple):
    """One decoded message (or gap, or error) as the user sees it.

    ``to_json`` gives the documented JSONL form; ``extra`` holds kind-specific keys that are
    placed at the top level of that object (``schema``, ``exi_hex``, ``tls``, ``stream`` ...).

    A NamedTuple, like :class:`RawFrame`, because one is built for nearly every frame. Its
    mappings are shared with the decoder's caches: treat them as read-only.
    """

    frame: int
    """Frame number; for a message reassembled from several segments, the frame that completes it."""
    time: float
    """Epoch seconds of that frame."""
    kind: str
    """``homeplug``, ``sdp``, ``v2gtp``, ``v2g``, ``tls``, ``tcp``, ``app``, ``icmpv6``, ``gap``, ``keylog``, ``error`` ..."""
    name: str
    """Message name as its standard spells it (``CM_SLAC_PARM.REQ``, ``SDPResponse``, ``CurrentDemandReq``)."""
    src: str = ""
    """Source address (MAC for HomePlug, ``[ipv6]:port`` for IP)."""
    dst: str = ""
    """Destination address."""
    fields: Mapping[str, Any] = _EMPTY
    """The decoded fields as JSON-ready values."""
    error: str | None = None
    """``None`` or why this message could not be (fully) decoded."""
    extra: Mapping[str, Any] = _EMPTY
    """Kind-specific top-level JSON keys."""
    linktype: int = -1
    """The pcap LINKTYPE_* of ``data`` when it is a whole captured frame (frame-level records);
    -1 when it is not (v2g records hold a V2GTP message, gaps hold nothing)."""
    data: bytes = b""
    """The bytes this record decodes: the frame (homeplug, sdp, icmpv6, tcp, keylog, error records)
    or the V2GTP message, header included (v2g records; reassembled or decrypted)."""
    summary: str = ""
    """Key values in one short line, for readable output."""
    message: Any = None
    """For ``v2g`` records: the decoded :class:`~v2gsniff.dissectors.exi.ExiMessage`; for ``tls`` handshake
    records: the :class:`~v2gsniff.sniffer.streams.tls.events.TlsHandshake` event. Not part of the JSON form.
    A frame-level record's layer trees come from :func:`v2gsniff.sniffer.layers.record_layers`."""

    def to_json(self) -> dict[str, Any]:
        """The JSONL object documented in the README."""
        out: dict[str, Any] = {
            "frame": self.frame,
            "time": round(self.time, 6),
            "kind": self.kind,
            "name": self.name,
            "src": self.src,
            "dst": self.dst,
            "fields": dict(self.fields),
            "error": self.error,
        }
        out.update(self.extra)
        return out
