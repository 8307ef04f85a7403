"""TLS inside the pipeline: key material from every source, one TlsConnection per TCP connection.

Decrypted application data is framed into V2GTP exactly like cleartext TCP. Secrets may
arrive at any time (key-log file, UDP disclosure datagrams, pcapng DSB); when they do, every
connection retries the records it had to keep, so one pass is enough.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from v2gsniff.sniffer import records
from v2gsniff.sniffer.model import Record
from v2gsniff.sniffer.streams.connection import StreamEvent, TcpConnection
from v2gsniff.sniffer.streams.tcp import Chunk, Gap
from v2gsniff.sniffer.streams.tls.keylog import KeyLog

if TYPE_CHECKING:
    from v2gsniff.sniffer.streams.tls.connection import TlsConnection
    from v2gsniff.sniffer.streams.tls.events import TlsEvent

MessageSink = Callable[[TcpConnection, list[StreamEvent], dict[str, object]], list[Record]]
"""Turns framed plaintext events into records (the pipeline's V2G path)."""


class _State:
    def __init__(self, conn: TcpConnection, tls: TlsConnection) -> None:
        self.conn = conn
        self.tls = tls
        self.plain_offset = [0, 0]  # decrypted bytes delivered so far per direction


class TlsFlow:
    """Mutable: the key log and the TLS state of every live TCP connection that carries TLS."""

    def __init__(self, keylog: KeyLog, sink: MessageSink, show_keys: bool = False) -> None:
        self.keylog = keylog
        self._sink = sink
        self._show_keys = show_keys
        self._states: dict[int, _State] = {}

    def add_secrets(self, text: str | bytes, source: str, frame: int, time: float) -> tuple[int, list[Record]]:
        """New key-log text; returns how many secrets were new and the records retries produced."""
        added = self.keylog.add_text(text, source)
        out: list[Record] = []
        if added:
            for st in list(self._states.values()):
                out.extend(self._records(st, st.tls.retry(frame, time)))
        return added, out

    def stream_event(self, conn: TcpConnection, ev: StreamEvent) -> list[Record]:
        """An in-order chunk (or a gap) of a TLS connection."""
        st = self._states.get(conn.index)
        if st is None:
            # Imported here: the ciphers (cryptography) load only for captures that carry TLS.
            from v2gsniff.sniffer.streams.tls.connection import TlsConnection

            st = self._states[conn.index] = _State(conn, TlsConnection(self.keylog))
        item = ev.item
        if isinstance(item, Gap):
            s, d = conn.endpoint_name(ev.from_client)
            gap = records.gap(item, s, d, {"stream": conn.index, "dir": conn.dir(ev.from_client), "tls": True},
                              "; the TLS stream resumes at the next record that authenticates")
            return [gap, *self._records(st, st.tls.gap(ev.from_client, item.length, item.frame, item.time))]
        if not isinstance(item, Chunk):
            return []
        return self._records(st, st.tls.feed(ev.from_client, item.data, item.frame, item.time))

    def close(self, conn: TcpConnection) -> list[Record]:
        st = self._states.pop(conn.index, None)
        return [] if st is None else self._records(st, st.tls.close())

    def _records(self, st: _State, events: list[TlsEvent]) -> list[Record]:
        # Imported here, like the ciphers: a capture without TLS never loads the event types.
        from v2gsniff.sniffer.streams.tls.events import (
            TlsAlert,
            TlsError,
            TlsGap,
            TlsHandshake,
            TlsNote,
            TlsPlaintext,
        )

        out: list[Record] = []
        conn = st.conn
        for ev in events:
            from_client = ev.from_client if ev.from_client is not None else True
            s, d = conn.endpoint_name(from_client)
            base: dict[str, object] = {"stream": conn.index, "dir": conn.dir(from_client)}
            if isinstance(ev, TlsPlaintext):
                side = 0 if from_client else 1
                framed = conn.frame_plaintext(from_client, st.plain_offset[side], ev.data, ev.frame, ev.time)
                st.plain_offset[side] += len(ev.data)
                out.extend(self._sink(conn, framed, {"tls": True, "tls_version": ev.version}))
            elif isinstance(ev, TlsGap):  # a V2GTP message the lost bytes cut cannot complete
                framed = conn.plaintext_gap(from_client, st.plain_offset[0 if from_client else 1],
                                            f"a {ev.length}-byte gap in the TLS stream", ev.frame, ev.time)
                out.extend(self._sink(conn, framed, {"tls": True}))
            elif isinstance(ev, TlsHandshake):
                summary = " ".join(
                    f"{k}={v}" for k, v in (("version", ev.version), ("cipher", ev.cipher_suite_name), ("sni", ev.sni))
                    if v
                )
                # the event rides along (as ``message``) so certificate checks get the DER it holds
                out.append(Record(ev.frame, ev.time, "tls", ev.name, s, d, ev.fields(self._show_keys), ev.error,
                                  extra=base, summary=summary, message=ev))
            elif isinstance(ev, TlsAlert):
                error = f"fatal alert {ev.description}" if ev.level == "fatal" else None
                out.append(Record(ev.frame, ev.time, "tls", "Alert", s, d, ev.fields(), error, extra=base,
                                  summary=f"{ev.level} {ev.description}"))
            elif isinstance(ev, TlsNote):
                shown = "".join(f" {label}={v.hex()}" for label, v in ev.secrets) if self._show_keys else ""
                out.append(Record(ev.frame, ev.time, "tls", "TLS note", s, d, ev.fields(self._show_keys), extra=base,
                                  summary=ev.message + shown))
            elif isinstance(ev, TlsError):
                out.append(Record(ev.frame, ev.time, "tls", "TLS error", s, d, ev.fields(), ev.message, extra=base,
                                  summary=ev.code))
        return out

