"""Frames in, records out: the sans-io decoding pipeline behind every command and the UI.

``Decoder.feed`` takes one :class:`RawFrame` (or secrets block) and returns the records it
completes; ``Decoder.finish`` flushes what waits at the end of a capture. Nothing here does
I/O, so the same object serves files, stdin and live interfaces (see ``engine.py``).

A frame's protocols are found by the one dispatch of ``dissectors/dispatch.py``, through the
full layer trees of ``layers.py``. The bulk of a capture (TCP, SDP and key-log UDP, HomePlug
over untagged Ethernet) takes fast paths that read the header fields straight from the bytes;
``Decoder(fast=False)`` turns them off, and a test holds both to the same records.
"""

from __future__ import annotations

import struct
from functools import lru_cache

from v2gsniff.dissectors import Layer, mac_text
from v2gsniff.dissectors.dispatch import NEXT_HEADERS, dissect_from, dissector, payload_end
from v2gsniff.dissectors.ethernet import ETHERTYPE_HOMEPLUG, ETHERTYPE_IPV6, ETHERTYPE_VLAN
from v2gsniff.dissectors.ipv6 import NH_TCP, NH_UDP, addr_text
from v2gsniff.dissectors.sdp import SDP_PORT
from v2gsniff.dissectors.transport import TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN
from v2gsniff.sniffer import records
from v2gsniff.sniffer.capture.pcapng import SECRETS_TLS_KEYLOG
from v2gsniff.sniffer.layers import link_of
from v2gsniff.sniffer.model import LINKTYPE_ETHERNET, DecryptionSecrets, RawFrame, Record
from v2gsniff.sniffer.records import DIR, Stats
from v2gsniff.sniffer.services import app_record
from v2gsniff.sniffer.streams.connection import (
    EVICT_MASK,
    HOLE_WAIT,
    UNACKED_WAIT,
    ConnectionTable,
    StreamEvent,
    TcpConnection,
)
from v2gsniff.sniffer.streams.framing import AppData, Message, Skipped
from v2gsniff.sniffer.streams.tcp import Chunk, ForeignAck, Gap
from v2gsniff.sniffer.streams.tls.keylog import KeyLog, extract_keylog_lines
from v2gsniff.sniffer.tlsflow import TlsFlow
from v2gsniff.sniffer.v2g import V2GDecoder

__all__ = ["Decoder", "Stats"]

_U16 = struct.Struct("!H")
_TCP = struct.Struct("!HHIIBB")
_ETH_IPV6_TCP = struct.Struct("!12xHB3xHB33xHHIIBB")
"""An untagged Ethernet frame's type, IPv6 version byte, payload length and next header, and the
TCP ports, sequence and acknowledgment numbers, data offset and flags after a bare IPv6 header:
one call for every header field the bulk of a capture needs."""
_IPV6 = ETHERTYPE_IPV6.to_bytes(2, "big")
_HOMEPLUG = ETHERTYPE_HOMEPLUG.to_bytes(2, "big")
_VLAN = ETHERTYPE_VLAN.to_bytes(2, "big")
_CONTROL = TCP_SYN | TCP_FIN | TCP_RST


class Decoder:
    """The pipeline. Mutable: it holds TCP connections, message-set state and statistics."""

    def __init__(self, *, show_keys: bool = False, keylog: KeyLog | None = None, xml: bool = False,
                 fast: bool = True) -> None:
        self.show_keys = show_keys
        self.fast = fast
        """Take the fast paths (off only to prove them equal to the layer trees)."""
        self.connections = ConnectionTable()
        self.v2g = V2GDecoder(xml=xml, show_keys=show_keys)
        self.tls = TlsFlow(keylog if keylog is not None else KeyLog(), self._framed, show_keys)
        self.stats = Stats()
        self.last_frame: RawFrame | None = None
        """The last frame fed (where stream-end records belong)."""

    @property
    def keylog(self) -> KeyLog:
        """Secrets known so far (from files, UDP disclosure datagrams and pcapng DSBs)."""
        return self.tls.keylog

    def add_keylog_text(self, text: str | bytes, source: str) -> list[Record]:
        """Key-log lines learned out of band (e.g. a followed file); returns records they unlock."""
        frame, time = self._last
        return self.stats.count(self.tls.add_secrets(text, source, frame, time)[1])

    # -- entry points -------------------------------------------------------------------

    def feed(self, item: RawFrame | DecryptionSecrets) -> list[Record]:
        if type(item) is not RawFrame and isinstance(item, DecryptionSecrets):
            return self.stats.count(self._secrets(item))
        stats = self.stats
        stats.frames += 1
        self.last_frame = item
        try:
            out = self._frame(item) if self.fast else self._layered(item)
        except Exception as exc:  # noqa: BLE001 - a decoder bug must not lose the rest of the capture
            out = [records.error(item, "frame", f"internal error while decoding: {type(exc).__name__}: {exc}")]
        return stats.count(out) if out else out

    def idle(self, now: float) -> list[Record]:
        """Records that time alone releases, at capture time ``now``: a connection silent for
        :data:`HOLE_WAIT` seconds while bytes its peer acknowledged are missing gives them up as gaps
        (:data:`UNACKED_WAIT` for bytes a retransmission may still bring), and what waited behind them
        comes out. Files reach this every few frames; a live source also between its batches
        (``Engine.idle``), so that a session that stops after a lost frame shows its last messages then,
        not when its connection is closed."""
        return self.stats.count(self._give_up(now))

    def _give_up(self, now: float) -> list[Record]:
        out: list[Record] = []
        for conn in self.connections.live():
            silent = now - conn.last_time
            if silent >= HOLE_WAIT and conn.waiting:
                frame, time = self._last
                out.extend(self._stream_records(conn, conn.give_up(frame, time, silent >= UNACKED_WAIT)))
        return out

    def finish(self) -> list[Record]:
        frame, time = self._last
        out: list[Record] = []
        for conn in self.connections.live():
            out.extend(self._close(conn, frame, time))
        return self.stats.count(out)

    @property
    def _last(self) -> tuple[int, float]:
        """(frame number, time) of the last frame fed: where stream-end records belong."""
        last = self.last_frame
        return (last.index, last.time) if last is not None else (0, 0.0)

    def _close(self, conn: TcpConnection, frame: int, time: float) -> list[Record]:
        out = self._stream_records(conn, conn.finish(frame, time))
        out.extend(self.tls.close(conn))
        self.v2g.forget(conn.index)
        return out

    # -- frames: fast paths ---------------------------------------------------------------

    def _frame(self, f: RawFrame) -> list[Record]:
        data = f.data
        # The bulk of a session: TCP over IPv6 over untagged Ethernet; header fields come
        # straight from the bytes, full Layer trees only on demand (layers.py).
        if len(data) >= 74 and f.linktype == LINKTYPE_ETHERNET:
            etype, version, plen, nh, sport, dport, seq, ack, doff, flags = _ETH_IPV6_TCP.unpack_from(data)
            if etype == ETHERTYPE_IPV6 and nh == NH_TCP and version >> 4 == 6:
                return self._tcp_fast(f, data, plen, sport, dport, seq, ack, doff, flags)
        if f.linktype != LINKTYPE_ETHERNET or len(data) < 14:
            return self._layered(f)
        etype = data[12:14]
        if etype == _IPV6:
            if len(data) >= 62 and data[20] == NH_UDP and data[14] >> 4 == 6 and not _wanted_udp(data):
                return []  # mDNS, SSDP and DHCPv6 chatter: dropped before any layer is built
            return self._ipv6_fast(f, data)
        if etype == _HOMEPLUG:
            return [self._homeplug(f, data[14:], _mac(data[6:12]), _mac(data[0:6]))]
        if etype == _VLAN:
            return self._layered(f)
        # IPv4, ARP and the like share the cable on many chargers (syslog, DHCP) but carry
        # no CCS communication: skip them before building any layer.
        return []

    def _ipv6_fast(self, f: RawFrame, data: bytes) -> list[Record]:
        payload = data[14:]
        nh = NEXT_HEADERS.get(payload[6]) if len(payload) >= 40 and payload[0] == 0x60 else None
        if nh == "udp" or nh == "icmpv6":
            # No extension header: the upper layer follows at once (addresses from the cache).
            (plen,) = _U16.unpack_from(payload, 4)
            upper = payload[40 : 40 + plen]
            src, dst = _addr(payload[8:24]), _addr(payload[24:40])
            if nh == "udp":
                return self._udp(f, dissect_from("udp", upper, 0), upper, src, dst)
            return [records.layer_record(f, "icmpv6", dissector("icmpv6")(upper), src, dst)]
        return self._layered(f)

    def _tcp_fast(self, f: RawFrame, data: bytes, plen: int, sport: int, dport: int, seq: int, ack: int,
                  doff: int, flags: int) -> list[Record]:
        """A TCP segment right after a bare IPv6 header (its fields unpacked by ``_frame``)."""
        end = 54 + plen
        if end > len(data):
            end = len(data)
        hlen = (doff >> 4) * 4
        if end - 54 < 20 or hlen < 20 or 54 + hlen > end:
            return self._layered(f)
        table = self.connections
        # Addresses and ports as raw bytes find an established connection without formatting
        # addresses or building endpoint tuples: the bulk of a capture takes this branch.
        key = data[22:58]
        flow = table.flows.get(key)
        if flow is not None and not flags & _CONTROL and f.index & EVICT_MASK:
            # _tcp_segment's common case, inlined
            conn = flow[0]
            if end == 54 + hlen and flags & TCP_ACK:
                events = conn.ack_only(flow[1], ack, f.index, f.time)
            else:
                events = conn.segment(flow[1], seq, ack, flags, data[54 + hlen : end], f.index, f.time)
            return self._stream_records(conn, events) if events else []
        if flow is None or flags & _CONTROL:
            src, dst = _addr(data[22:38]), _addr(data[38:54])
            flow = table.lookup((src, sport), (dst, dport), flags, f.index, seq)
            table.remember(key, flow)
        return self._tcp_segment(f, flow[0], flow[1], seq, ack, flags, data[54 + hlen : end])

    def _homeplug(self, f: RawFrame, payload: bytes, src: str, dst: str) -> Record:
        name, fields, error, summary = _homeplug_parts(payload, self.show_keys)
        return Record(f.index, f.time, "homeplug", name, src, dst, fields, error,
                      linktype=f.linktype, data=f.data, summary=summary)

    # -- frames: the layer trees ------------------------------------------------------------

    def _layered(self, f: RawFrame) -> list[Record]:
        """Records of a frame from its full layer tree (every frame the fast paths leave)."""
        data = f.data
        link = link_of(data, f.linktype)
        if link.error:
            return [records.error(f, *link.error)]
        layers = dissect_from(link.protocol, data, link.offset)
        if not layers:
            return []
        first = layers[0]
        if first.protocol == "homeplug":
            return [records.layer_record(f, "homeplug", first, link.src, link.dst, self.show_keys)]
        ip = first
        if ip.payload_offset < 0 or (ip.error and not ip.fields):
            return [records.error(f, "ipv6", ip.error or "IPv6 header cut short")]
        if len(layers) < 2:
            return []
        src_field, dst_field = ip.field("src"), ip.field("dst")
        assert src_field is not None and dst_field is not None
        src, dst = src_field.text(), dst_field.text()
        top = layers[1]
        ip_end = ip.offset + payload_end(ip, len(data) - ip.offset)
        if top.protocol == "icmpv6":
            return [records.layer_record(f, "icmpv6", top, src, dst)]
        if top.protocol == "udp":
            return self._udp(f, layers[1:], data[top.offset : ip_end], src, dst)
        if top.payload_offset < 0:
            return [records.error(f, "tcp", top.error or "TCP header cut short")]
        buf = data[top.offset : ip_end]
        sport, dport, seq, ack, doff, flags = _TCP.unpack_from(buf, 0)
        conn, from_client = self.connections.lookup((src, sport), (dst, dport), flags, f.index, seq)
        return self._tcp_segment(f, conn, from_client, seq, ack, flags, buf[(doff >> 4) * 4 :])

    def _udp(self, f: RawFrame, layers: list[Layer], buf: bytes, src: str, dst: str) -> list[Record]:
        """A UDP datagram (``buf``) and its dissected layers: an SDP message, or key-log lines."""
        udp = layers[0]
        if udp.payload_offset < 0:
            return [records.error(f, "udp", udp.error or "UDP header cut short")]
        s, d = f"[{src}]:{udp.get('src_port')}", f"[{dst}]:{udp.get('dst_port')}"
        if len(layers) > 1:  # the dispatch found SDP
            sdp = layers[1]
            if sdp.name == "SDPResponse" and sdp.error is None:
                self.connections.server_ports.add(sdp.get("secc_port"))
            return [records.layer_record(f, "sdp", sdp, s, d, error=sdp.error or udp.error)]
        payload = buf[8 : payload_end(udp, len(buf))]
        if b"_SECRET" in payload or b"CLIENT_RANDOM" in payload:
            lines = extract_keylog_lines(payload)
            if lines:
                added, unlocked = self.tls.add_secrets("\n".join(lines), f"UDP {s}", f.index, f.time)
                rec = Record(f.index, f.time, "keylog", "TLS key log lines", s, d,
                             {"lines": len(lines), "new_secrets": added,
                              "labels": sorted({line.split(" ", 1)[0] for line in lines}), **self._revealed(lines)},
                             linktype=f.linktype, data=f.data,
                             summary=f"{len(lines)} lines, {added} new secrets" + self._revealed_text(lines))
                return [rec, *unlocked]
        return []

    def _tcp_segment(self, f: RawFrame, conn: TcpConnection, from_client: bool, seq: int, ack: int, flags: int,
                     payload: bytes) -> list[Record]:
        events = conn.segment(from_client, seq, ack, flags, payload, f.index, f.time)
        if not flags & _CONTROL and f.index & EVICT_MASK:
            return self._stream_records(conn, events) if events else []
        out: list[Record] = []
        if flags & _CONTROL:
            s, d = conn.endpoint_name(from_client)
            out.append(records.tcp_flags(f, flags, s, d, conn.index, DIR[from_client == conn.ev_client],
                                              conn.notes(from_client, flags, seq, f.index)))
        if events:
            out.extend(self._stream_records(conn, events))
        for closed in self.connections.after_segment(flags, f.index):
            out.extend(self._close(closed, f.index, f.time))
        if not f.index & EVICT_MASK:
            out.extend(self._give_up(f.time))
        return out

    # -- streams --------------------------------------------------------------------------

    def _stream_records(self, conn: TcpConnection, events: list[StreamEvent]) -> list[Record]:
        out: list[Record] = []
        for ev in events:
            from_client, item = ev
            if type(item) is Message:  # cleartext V2GTP: the bulk of a capture
                src, dst = conn.endpoint_name(from_client)
                base = {"stream": conn.index, "dir": DIR[from_client == conn.ev_client]}
                rec = self.v2g.message(conn.index, from_client, item, src, dst, base)
                if not conn.roles_known and rec.message is not None and conn.learn_roles(from_client, rec.name):
                    base["dir"] = DIR[from_client == conn.ev_client]  # the record's own keys: its head
                out.append(rec)
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
            base = {"stream": conn.index, "dir": DIR[ev.from_client == conn.ev_client], **tls}
            if isinstance(item, Message):
                rec = self.v2g.message(conn.index, ev.from_client, item, s, d, base)
                if not conn.roles_known and rec.message is not None and conn.learn_roles(ev.from_client, rec.name):
                    base["dir"] = DIR[ev.from_client == conn.ev_client]
                out.append(rec)
            elif isinstance(item, Gap):
                out.append(records.gap(item, s, d, base))
            elif isinstance(item, AppData):
                out.append(app_record(item, self.v2g.services.for_server(*conn.server), s, d, base))
            elif isinstance(item, ForeignAck):  # made by the frame being fed: its bytes are at hand
                out.append(records.challenge_ack(item, self.last_frame, s, d, base, conn.index))
            elif isinstance(item, Skipped):
                out.append(records.resync(item, s, d, base))
        return out

    def _secrets(self, item: DecryptionSecrets) -> list[Record]:
        frame, time = self._last
        if item.secrets_type != SECRETS_TLS_KEYLOG:
            return [Record(frame, time, "keylog", "Decryption Secrets Block",
                           error=f"secrets type 0x{item.secrets_type:08x} is not a TLS key log; ignored")]
        added, unlocked = self.tls.add_secrets(item.data, "pcapng DSB", frame, time)
        lines = extract_keylog_lines(item.data) if self.show_keys else []
        rec = Record(frame, time, "keylog", "Decryption Secrets Block",
                     fields={"new_secrets": added, **self._revealed(lines)},
                     summary=f"{added} new TLS secrets" + self._revealed_text(lines))
        return [rec, *unlocked]


    def _revealed(self, lines: list[str]) -> dict[str, object]:
        """With ``show_keys``: the key-log lines themselves (``LABEL client_random secret``)."""
        return {"secrets": lines} if self.show_keys and lines else {}

    def _revealed_text(self, lines: list[str]) -> str:
        return "".join(f"; {line}" for line in lines) if self.show_keys else ""


# Addresses repeat in every frame of a conversation: their text is kept (bounded, like every cache).
_mac = lru_cache(4096)(mac_text)
_addr = lru_cache(4096)(addr_text)


@lru_cache(1024)
def _homeplug_parts(payload: bytes, show_keys: bool) -> tuple[str, dict[str, object], str | None, str]:
    """(name, fields, error, summary) of a HomePlug payload. Modems poll each other with identical
    management messages (VS_NW_INFO, VS_MODULE_OPERATION ...): a payload's decoding is kept, and its
    field map shared (read-only) by its records."""
    hp = dissector("homeplug")(payload)
    return hp.name, records.layer_json(hp, show_keys), hp.error, records.summary(hp, show_keys)


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


