"""How the pipeline turns layers and stream events into :class:`Record`\\ s (shared by all its paths)."""

from __future__ import annotations

from collections import Counter

from v2gsniff.dissectors import Layer, fields_to_json
from v2gsniff.dissectors.transport import TCP_FIN, TCP_RST, TCP_SYN, flags_text
from v2gsniff.sniffer.model import RawFrame, Record
from v2gsniff.sniffer.streams.connection import challenge_note
from v2gsniff.sniffer.streams.framing import Skipped
from v2gsniff.sniffer.streams.tcp import ForeignAck, Gap


class Stats:
    """Counters shown in status bars and summaries."""

    __slots__ = ("frames", "records", "errors", "gaps", "lost_bytes", "by_kind")

    def __init__(self) -> None:
        self.frames = 0
        self.records = 0
        self.errors = 0
        self.gaps = 0
        self.lost_bytes = 0
        self.by_kind: Counter[str] = Counter()

    def count(self, records: list[Record]) -> list[Record]:
        by_kind = self.by_kind
        self.records += len(records)
        for r in records:
            by_kind[r.kind] += 1
            if r.error:  # a gap record is an error too: its count comes here, cleartext or TLS
                self.errors += 1
                if r.kind == "gap":
                    self.gaps += 1
                    self.lost_bytes += r.fields.get("missing_bytes", 0) if r.fields else 0
        return records


DIR = {True: "ev->evse", False: "evse->ev"}
"""``dir`` of a record by whether it travels from the TCP client (the EV)."""


def error(f: RawFrame, where: str, message: str) -> Record:
    """A frame that could not be decoded at ``where``."""
    return Record(f.index, f.time, "error", f"malformed {where}", error=message, linktype=f.linktype, data=f.data)


def layer_record(f: RawFrame, kind: str, layer: Layer, src: str, dst: str, show_keys: bool = False,
                 error: str | None = None) -> Record:
    """A frame-level record of one layer (HomePlug, ICMPv6, SDP)."""
    return Record(f.index, f.time, kind, layer.name, src, dst, layer_json(layer, show_keys), error or layer.error,
                  linktype=f.linktype, data=f.data, summary=summary(layer, show_keys))


def tcp_flags(f: RawFrame, flags: int, src: str, dst: str, stream: int, direction: str,
              notes: list[str] | None = None) -> Record:
    """A SYN, FIN or RST segment (``notes``: what it means for its connection, e.g. a reused port)."""
    name = flags_text(flags & (TCP_SYN | TCP_FIN | TCP_RST | 0x10))
    return Record(f.index, f.time, "tcp", name, src, dst, {"flags": name, "notes": notes} if notes else {"flags": name},
                  extra={"stream": stream, "dir": direction}, linktype=f.linktype, data=f.data,
                  summary=f"stream {stream}")


def gap(item: Gap, src: str, dst: str, base: dict[str, object], then: str = "") -> Record:
    """A TCP gap; ``then`` says how decoding goes on when that is not the V2GTP framer's resync."""
    return Record(item.frame, item.time, "gap", "TCP gap", src, dst,
                  {"missing_bytes": item.length, "stream_offset": item.offset},
                  f"{item.length} bytes missing at stream offset {item.offset}: {item.reason}{then}",
                  extra=base, summary=f"{item.length} bytes lost")


def challenge_ack(item: ForeignAck, last: RawFrame | None, src: str, dst: str, base: dict[str, object],
                  stream: int) -> Record:
    """A challenge ACK (``last``: the frame being fed, which made it)."""
    f = last if last is not None and last.index == item.frame else None
    return Record(item.frame, item.time, "tcp", "ACK", src, dst, {"flags": "ACK", "notes": [challenge_note(item)]},
                  extra=base, linktype=f.linktype if f else -1, data=f.data if f else b"",
                  summary=f"stream {stream}: challenge ACK")


def resync(item: Skipped, src: str, dst: str, base: dict[str, object]) -> Record:
    return Record(item.frame, item.time, "v2gtp", "V2GTP resync", src, dst,
                  {"skipped_bytes": item.length, "stream_offset": item.offset},
                  f"{item.length} bytes skipped at stream offset {item.offset}: {item.reason}",
                  extra=base, summary=f"{item.length} bytes skipped")


def layer_json(layer: Layer, show_keys: bool = False) -> dict[str, object]:
    data = fields_to_json(layer.fields, show_keys)
    return data if isinstance(data, dict) else {"items": data}


_SUMMARY_SKIP = {"checksum", "version", "inverse_version", "payload_length", "mmv", "fmi", "fmsn", "fmid"}


def summary(layer: Layer, show_keys: bool = False, limit: int = 6) -> str:
    """The first ``limit`` fields, shortened; with ``show_keys`` every key too, in full (asked for)."""
    parts: list[str] = []
    for f in layer.fields:
        if f.name in _SUMMARY_SKIP or f.children:
            continue
        if len(parts) >= limit:
            if not show_keys:
                break
            if f.secret:
                parts.append(f"{f.name}={f.text(True)}")
            continue
        text = f.text(show_keys)
        if len(text) > 40 and not (show_keys and f.secret):
            text = text[:37] + "..."
        parts.append(f"{f.name}={text}")
    return " ".join(parts)
