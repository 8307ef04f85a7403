"""Frames in, records out: the sans-io decoding pipeline shared by ``decode``, ``live`` and the UI.

``Decoder.feed`` takes one :class:`RawFrame` (or secrets block) and returns the records it
completes; ``Decoder.finish`` flushes what waits at the end of a capture. Nothing here does
I/O, so the same object serves files, stdin and live interfaces.
"""

from __future__ import annotations

import struct
from collections import Counter
from collections.abc import Callable

from v2gsniff.dissectors import Layer, fields_to_json, mac_text
from v2gsniff.dissectors.ethernet import ETHERTYPE_HOMEPLUG, ETHERTYPE_IPV6, ETHERTYPE_VLAN, dissect_ethernet
from v2gsniff.dissectors.icmpv6 import dissect_icmpv6
from v2gsniff.dissectors.ipv6 import NH_ICMPV6, NH_TCP, NH_UDP, addr_text, dissect_ipv6
from v2gsniff.dissectors.sdp import SDP_PORT, dissect_sdp
from v2gsniff.dissectors.transport import (
    TCP_ACK,
    TCP_FIN,
    TCP_RST,
    TCP_SYN,
    dissect_tcp,
    dissect_udp,
    flags_text,
)
from v2gsniff.sniffer.capture.linktype import LinkError, decode_link
from v2gsniff.sniffer.capture.pcapng import SECRETS_TLS_KEYLOG
from v2gsniff.sniffer.model import LINKTYPE_ETHERNET, DecryptionSecrets, RawFrame, Record
from v2gsniff.sniffer.services import app_record
from v2gsniff.sniffer.streams.connection import ConnectionTable, StreamEvent, TcpConnection, challenge_note
from v2gsniff.sniffer.streams.framing import AppData, Message, Skipped
from v2gsniff.sniffer.streams.tcp import Chunk, ForeignAck, Gap
from v2gsniff.sniffer.streams.tls.keylog import KeyLog, extract_keylog_lines
from v2gsniff.sniffer.tlsflow import TlsFlow
from v2gsniff.sniffer.v2g import V2GDecoder


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


_U16 = struct.Struct("!H")
_RELEVANT_ETHERTYPES = frozenset(
    t.to_bytes(2, "big") for t in (ETHERTYPE_HOMEPLUG, ETHERTYPE_IPV6, ETHERTYPE_VLAN)
)
_TCP = struct.Struct("!HHIIBB")


class Decoder:
    """The pipeline. Mutable: it holds TCP connections, message-set state and statistics."""

    def __init__(self, *, show_keys: bool = False, keylog: KeyLog | None = None, xml: bool = False) -> None:
        self.show_keys = show_keys
        self.connections = ConnectionTable()
        self.v2g = V2GDecoder(xml=xml, show_keys=show_keys)
        self.tls = TlsFlow(keylog if keylog is not None else KeyLog(), self._framed, show_keys)
        self.stats = Stats()
        self._last_frame: RawFrame | None = None
        self._addr_cache: dict[bytes, str] = {}
        self._dissect_homeplug: Callable[[bytes], Layer] | None = None
        self._homeplug_cache: dict[bytes, tuple[str, dict[str, object], str | None, str]] = {}

    @property
    def keylog(self) -> KeyLog:
        """Secrets known so far (from files, UDP disclosure datagrams and pcapng DSBs)."""
        return self.tls.keylog

    def add_keylog_text(self, text: str | bytes, source: str) -> list[Record]:
        """Key-log lines learned out of band (e.g. a followed file); returns records they unlock."""
        frame, time = self._last
        return self._count(self.tls.add_secrets(text, source, frame, time)[1])

    # -- entry points -------------------------------------------------------------------

    def feed(self, item: RawFrame | DecryptionSecrets) -> list[Record]:
        if isinstance(item, DecryptionSecrets):
            return self._count(self._secrets(item))
        self.stats.frames += 1
        self._last_frame = item
        try:
            records = self._frame(item)
        except Exception as exc:  # noqa: BLE001 - a decoder bug must not lose the rest of the capture
            records = [
                self._error(item, "frame", f"internal error while decoding: {type(exc).__name__}: {exc}")
            ]
        return self._count(records) if records else records

    def finish(self) -> list[Record]:
        frame, time = self._last
        out: list[Record] = []
        for conn in self.connections.live():
            out.extend(self._close(conn, frame, time))
        return self._count(out)

    @property
    def _last(self) -> tuple[int, float]:
        """(frame number, time) of the last frame fed: where stream-end records belong."""
        last = self._last_frame
        return (last.index, last.time) if last is not None else (0, 0.0)

    def _close(self, conn: TcpConnection, frame: int, time: float) -> list[Record]:
        out = self._stream_records(conn, conn.finish(frame, time))
        out.extend(self.tls.close(conn))
        self.v2g.forget(conn.index)
        return out

    # -- frames ---------------------------------------------------------------------------

    def _frame(self, f: RawFrame) -> list[Record]:
        data = f.data
        if f.linktype == LINKTYPE_ETHERNET:
            # Fast path for the bulk of a session (TCP over IPv6 over untagged Ethernet): header
            # fields straight from the bytes; full Layer trees are built on demand (layers.py).
            if (
                len(data) >= 74
                and data[12] == 0x86
                and data[13] == 0xDD
                and data[20] == NH_TCP
                and data[14] >> 4 == 6
            ):
                return self._tcp_fast(f, data)
            if len(data) >= 62 and data[20] == NH_UDP and data[12:14] == b"\x86\xdd" and not _wanted_udp(data):
                return []
            # IPv4, ARP and the like share the cable on many chargers (syslog, DHCP) but carry
            # no CCS communication: skip them before building any layer.
            if len(data) >= 14 and data[12:14] not in _RELEVANT_ETHERTYPES:
                return []
            if len(data) >= 14 and data[12] != 0x81:  # untagged: no Layer needed
                etype, payload = (data[12] << 8) | data[13], data[14:]
            else:
                eth = dissect_ethernet(data)
                if eth.error:
                    return [self._error(f, "eth", eth.error)]
                etype, payload = eth.get("ethertype"), data[eth.payload_offset :]
            src, dst = self._mac(data[6:12]), self._mac(data[0:6])
        else:
            link = decode_link(f)
            if isinstance(link, LinkError):
                return [self._error(f, "link layer", link.reason)]
            etype, payload = link.ethertype, link.payload
            src, dst = link.src_mac or "", link.dst_mac or ""
        if etype == ETHERTYPE_HOMEPLUG:
            return [self._homeplug(f, payload, src, dst)]
        if etype == ETHERTYPE_IPV6:
            return self._ipv6(f, payload)
        return []

    def _mac(self, b: bytes) -> str:
        text = self._addr_cache.get(b)
        if text is None:
            text = mac_text(b)
            if len(self._addr_cache) < 4096:  # bounded: memory stays flat on hostile input
                self._addr_cache[b] = text
        return text

    def _addr(self, b: bytes) -> str:
        text = self._addr_cache.get(b)
        if text is None:
            text = addr_text(b)
            if len(self._addr_cache) < 4096:  # bounded: memory stays flat on hostile input
                self._addr_cache[b] = text
        return text

    def _tcp_fast(self, f: RawFrame, data: bytes) -> list[Record]:
        (plen,) = _U16.unpack_from(data, 18)
        end = min(len(data), 54 + plen)
        hlen = (data[66] >> 4) * 4
        if end - 54 < 20 or hlen < 20 or 54 + hlen > end:
            return self._ipv6(f, data[14:])
        sport, dport, seq, ack, _, flags = _TCP.unpack_from(data, 54)
        table = self.connections
        # Addresses and ports as raw bytes find an established connection without formatting
        # addresses or building endpoint tuples: the bulk of a capture takes this branch.
        key = data[22:58]
        flow = table.flows.get(key)
        if flow is not None and not flags & (TCP_SYN | TCP_FIN | TCP_RST) and f.index & 63:
            # _tcp_segment's common case, inlined
            conn = flow[0]
            if end == 54 + hlen and flags & TCP_ACK:
                events = conn.ack_only(flow[1], ack, f.index, f.time)
            else:
                events = conn.segment(flow[1], seq, ack, flags, data[54 + hlen : end], f.index, f.time)
            return self._stream_records(conn, events) if events else []
        if flow is None or flags & (TCP_SYN | TCP_FIN | TCP_RST):
            src, dst = self._addr(data[22:38]), self._addr(data[38:54])
            flow = table.lookup((src, sport), (dst, dport), flags, f.index, seq)
            table.remember(key, flow)
        return self._tcp_segment(f, flow[0], flow[1], seq, ack, flags, data[54 + hlen : end])

    def _tcp_slow(self, f: RawFrame, buf: bytes, src: str, dst: str) -> list[Record]:
        sport, dport, seq, ack, doff, flags = _TCP.unpack_from(buf, 0)
        conn, from_client = self.connections.lookup((src, sport), (dst, dport), flags, f.index, seq)
        return self._tcp_segment(f, conn, from_client, seq, ack, flags, buf[(doff >> 4) * 4 :])

    def _tcp_segment(
        self,
        f: RawFrame,
        conn: TcpConnection,
        from_client: bool,
        seq: int,
        ack: int,
        flags: int,
        payload: bytes,
    ) -> list[Record]:
        events = conn.segment(from_client, seq, ack, flags, payload, f.index, f.time)
        if not flags & (TCP_SYN | TCP_FIN | TCP_RST) and f.index & 63:
            return self._stream_records(conn, events) if events else []
        out: list[Record] = []
        if flags & (TCP_SYN | TCP_FIN | TCP_RST):
            name = flags_text(flags & (TCP_SYN | TCP_FIN | TCP_RST | 0x10))
            s, d = conn.endpoint_name(from_client)
            notes = conn.notes(from_client, flags, seq, f.index)
            out.append(
                Record(
                    f.index,
                    f.time,
                    "tcp",
                    name,
                    s,
                    d,
                    {"flags": name, "notes": notes} if notes else {"flags": name},
                    extra={"stream": conn.index, "dir": _dir(from_client)},
                    linktype=f.linktype,
                    data=f.data,
                    summary=f"stream {conn.index}",
                )
            )
        if events:
            out.extend(self._stream_records(conn, events))
        if flags & (TCP_FIN | TCP_RST) or f.index % 64 == 0:
            for closed in self.connections.evict(f.index):
                out.extend(self._close(closed, f.index, f.time))
        return out

    def _homeplug(self, f: RawFrame, payload: bytes, src: str, dst: str) -> Record:
        dissect = self._dissect_homeplug
        if dissect is None:
            # Loaded with the first HomePlug frame (V2G-only captures never need the tables), then
            # kept: an import statement here would cost a module lookup per frame.
            from v2gsniff.dissectors.homeplug import dissect_homeplug

            dissect = self._dissect_homeplug = dissect_homeplug
        # Modems poll each other with identical management messages (VS_NW_INFO, VS_MODULE_OPERATION
        # ...): a payload's decoding is kept, and its field map shared (read-only) by its records.
        hit = self._homeplug_cache.get(payload)
        if hit is None:
            hp = dissect(payload)
            hit = (hp.name, _json(hp, self.show_keys), hp.error, _summary(hp, self.show_keys))
            if len(self._homeplug_cache) < 1024:  # bounded: memory stays flat on hostile input
                self._homeplug_cache[payload] = hit
        name, fields, error, summary = hit
        return Record(f.index, f.time, "homeplug", name, src, dst, fields, error,
                      linktype=f.linktype, data=f.data, summary=summary)

    def _ipv6(self, f: RawFrame, payload: bytes) -> list[Record]:
        nh = payload[6] if len(payload) >= 40 else -1
        if payload[:1] == b"\x60" and nh in (NH_ICMPV6, NH_UDP):
            # No extension header: the upper layer follows at once (addresses from the cache).
            (plen,) = _U16.unpack_from(payload, 4)
            upper = payload[40 : 40 + plen]
            src, dst = self._addr(payload[8:24]), self._addr(payload[24:40])
            if nh == NH_UDP:
                return self._udp(f, upper, src, dst)
            return [self._icmpv6(f, upper, src, dst)]
        ip = dissect_ipv6(payload)
        if ip.payload_offset < 0 or (ip.error and not ip.fields):
            return [self._error(f, "ipv6", ip.error or "IPv6 header cut short")]
        nh = ip.get("next_header")
        end = 40 + ip.get("payload_length")
        upper = payload[ip.payload_offset : end]
        src_field, dst_field = ip.field("src"), ip.field("dst")
        assert src_field is not None and dst_field is not None
        src, dst = src_field.text(), dst_field.text()
        if nh == NH_ICMPV6:
            return [self._icmpv6(f, upper, src, dst)]
        if nh == NH_UDP:
            return self._udp(f, upper, src, dst)
        if nh == NH_TCP:
            return self._tcp(f, upper, src, dst)
        return []

    def _icmpv6(self, f: RawFrame, buf: bytes, src: str, dst: str) -> Record:
        icmp = dissect_icmpv6(buf)
        return Record(f.index, f.time, "icmpv6", icmp.name, src, dst, _json(icmp), icmp.error,
                      linktype=f.linktype, data=f.data, summary=_summary(icmp))

    def _udp(self, f: RawFrame, buf: bytes, src: str, dst: str) -> list[Record]:
        udp = dissect_udp(buf)
        if udp.payload_offset < 0:
            return [self._error(f, "udp", udp.error or "UDP header cut short")]
        sport, dport, length = udp.get("src_port"), udp.get("dst_port"), udp.get("length")
        payload = buf[8:length] if 8 <= length <= len(buf) else buf[8:]
        s, d = f"[{src}]:{sport}", f"[{dst}]:{dport}"
        if SDP_PORT in (sport, dport):
            sdp = dissect_sdp(payload)
            if sdp.name == "SDPResponse" and sdp.error is None:
                self.connections.server_ports.add(sdp.get("secc_port"))
            error = sdp.error or udp.error
            return [
                Record(
                    f.index,
                    f.time,
                    "sdp",
                    sdp.name,
                    s,
                    d,
                    _json(sdp),
                    error,
                    linktype=f.linktype,
                    data=f.data,
                    summary=_summary(sdp),
                )
            ]
        if b"_SECRET" in payload or b"CLIENT_RANDOM" in payload:
            lines = extract_keylog_lines(payload)
            if lines:
                added, unlocked = self.tls.add_secrets("\n".join(lines), f"UDP {s}", f.index, f.time)
                rec = Record(
                    f.index,
                    f.time,
                    "keylog",
                    "TLS key log lines",
                    s,
                    d,
                    {
                        "lines": len(lines),
                        "new_secrets": added,
                        "labels": sorted({line.split(" ", 1)[0] for line in lines}),
                        **self._revealed(lines),
                    },
                    linktype=f.linktype,
                    data=f.data,
                    summary=f"{len(lines)} lines, {added} new secrets" + self._revealed_text(lines),
                )
                return [rec, *unlocked]
        return []

    def _tcp(self, f: RawFrame, buf: bytes, src: str, dst: str) -> list[Record]:
        tcp = dissect_tcp(buf)
        if tcp.payload_offset < 0:
            return [self._error(f, "tcp", tcp.error or "TCP header cut short")]
        return self._tcp_slow(f, buf, src, dst)

    # -- streams --------------------------------------------------------------------------

    def _stream_records(self, conn: TcpConnection, events: list[StreamEvent]) -> list[Record]:
        out: list[Record] = []
        for ev in events:
            item = ev.item
            if type(item) is Message:  # cleartext V2GTP: the bulk of a capture
                src, dst = conn.endpoint_name(ev.from_client)
                base = {"stream": conn.index, "dir": _DIR[ev.from_client]}
                out.append(self.v2g.message(conn.index, ev.from_client, item, src, dst, base))
            elif conn.tls and isinstance(item, Chunk | Gap):
                out.extend(self.tls.stream_event(conn, ev))
            else:
                out.extend(self._framed(conn, [ev], {}))
        return out

    def _framed(self, conn: TcpConnection, events: list[StreamEvent], tls: dict[str, object]) -> list[Record]:
        """Records of framed V2GTP messages, resyncs and gaps (cleartext or decrypted)."""
        out: list[Record] = []
        for ev in events:
            s, d = conn.endpoint_name(ev.from_client)
            item = ev.item
            base = {"stream": conn.index, "dir": _dir(ev.from_client), **tls}
            if isinstance(item, Message):
                out.append(self.v2g.message(conn.index, ev.from_client, item, s, d, base))
            elif isinstance(item, Gap):
                self.stats.gaps += 1
                self.stats.lost_bytes += item.length
                out.append(
                    Record(
                        item.frame,
                        item.time,
                        "gap",
                        "TCP gap",
                        s,
                        d,
                        {"missing_bytes": item.length, "stream_offset": item.offset},
                        f"{item.length} bytes missing at stream offset {item.offset}: {item.reason}",
                        extra=base,
                        summary=f"{item.length} bytes lost",
                    )
                )
            elif isinstance(item, AppData):
                out.append(app_record(item, self.v2g.services.for_server(*conn.server), s, d, base))
            elif isinstance(item, ForeignAck):  # made by the frame being fed: its bytes are at hand
                f = self._last_frame if self._last_frame and self._last_frame.index == item.frame else None
                out.append(Record(item.frame, item.time, "tcp", "ACK", s, d,
                                  {"flags": "ACK", "notes": [challenge_note(item)]}, extra=base,
                                  linktype=f.linktype if f else -1, data=f.data if f else b"",
                                  summary=f"stream {conn.index}: challenge ACK"))
            elif isinstance(item, Skipped):
                out.append(
                    Record(
                        item.frame,
                        item.time,
                        "v2gtp",
                        "V2GTP resync",
                        s,
                        d,
                        {"skipped_bytes": item.length, "stream_offset": item.offset},
                        f"{item.length} bytes skipped at stream offset {item.offset}: {item.reason}",
                        extra=base,
                        summary=f"{item.length} bytes skipped",
                    )
                )
        return out

    def _secrets(self, item: DecryptionSecrets) -> list[Record]:
        frame, time = self._last
        if item.secrets_type != SECRETS_TLS_KEYLOG:
            return [
                Record(
                    frame,
                    time,
                    "keylog",
                    "Decryption Secrets Block",
                    error=(f"secrets type 0x{item.secrets_type:08x} is not a TLS key log; ignored"),
                )
            ]
        added, unlocked = self.tls.add_secrets(item.data, "pcapng DSB", frame, time)
        lines = extract_keylog_lines(item.data) if self.show_keys else []
        rec = Record(
            frame,
            time,
            "keylog",
            "Decryption Secrets Block",
            fields={"new_secrets": added, **self._revealed(lines)},
            summary=f"{added} new TLS secrets" + self._revealed_text(lines),
        )
        return [rec, *unlocked]

    # -- helpers --------------------------------------------------------------------------

    def _revealed(self, lines: list[str]) -> dict[str, object]:
        """With ``show_keys``: the key-log lines themselves (``LABEL client_random secret``)."""
        return {"secrets": lines} if self.show_keys and lines else {}

    def _revealed_text(self, lines: list[str]) -> str:
        return "".join(f"; {line}" for line in lines) if self.show_keys else ""

    def _error(self, f: RawFrame, where: str, message: str) -> Record:
        return Record(
            f.index, f.time, "error", f"malformed {where}", error=message, linktype=f.linktype, data=f.data
        )

    def _count(self, records: list[Record]) -> list[Record]:
        st = self.stats
        for r in records:
            st.records += 1
            st.by_kind[r.kind] += 1
            if r.error:
                st.errors += 1
        return records


_SDP_PORT_BYTES = SDP_PORT.to_bytes(2, "big")


def _wanted_udp(frame: bytes) -> bool:
    """Whether a UDP/IPv6 frame (no extension headers) can matter: SDP, or TLS key-log lines.

    mDNS, SSDP and DHCPv6 chatter is dropped here, before any layer is built.
    """
    return (
        frame[54:56] == _SDP_PORT_BYTES
        or frame[56:58] == _SDP_PORT_BYTES
        or b"_SECRET" in frame
        or b"CLIENT_RANDOM" in frame
    )


_DIR = {True: "ev->evse", False: "evse->ev"}


def _dir(from_client: bool) -> str:
    return _DIR[from_client]


def _json(layer: Layer, show_keys: bool = False) -> dict[str, object]:
    data = fields_to_json(layer.fields, show_keys)
    return data if isinstance(data, dict) else {"items": data}


_SUMMARY_SKIP = {"checksum", "version", "inverse_version", "payload_length", "mmv", "fmi", "fmsn", "fmid"}


def _summary(layer: Layer, show_keys: bool = False, limit: int = 6) -> str:
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
