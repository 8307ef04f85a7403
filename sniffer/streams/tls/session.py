"""One TLS session's state apart from the record layer: what the hellos negotiated, and what the
(decrypted) records say. :class:`~.connection.TlsConnection` adds record splitting, queueing and keys.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from v2gsniff.sniffer.streams.tls import handshake as hs
from v2gsniff.sniffer.streams.tls.events import (
    ALERT_DESCRIPTIONS,
    ALERT_LEVELS,
    TlsAlert,
    TlsError,
    TlsEvent,
    TlsHandshake,
    TlsNote,
    TlsPlaintext,
)
from v2gsniff.sniffer.streams.tls.record import Protection
from v2gsniff.sniffer.streams.tls.suites import SUITES, CipherSuite, suite_name, version_name

CCS, ALERT, HANDSHAKE, APPLICATION_DATA, HEARTBEAT = 20, 21, 22, 23, 24
TLS12, TLS13 = 0x0303, 0x0304
MAX_RECORD = 16384 + 2048
"""RFC 5246 §6.2.3: TLSCiphertext.length never exceeds 2^14 + 2048."""
MAX_HANDSHAKE_MESSAGE = 1 << 20
EARLY, HANDSHAKE_KEYS, APPLICATION_KEYS = 0, 1, 2
"""TLS 1.3 key epochs per direction; epoch 2 + n is the application secret after n KeyUpdates."""


@dataclass(slots=True)
class QueuedRecord:
    """One record as cut from its direction's bytes, waiting to be processed."""

    ctype: int
    version: int
    fragment: bytes
    frame: int
    time: float
    number: int


@dataclass(slots=True)
class DroppedRecords:
    """Records not kept because the queue was full; only their count matters (sequence numbers)."""

    count: int
    frame: int
    time: float


@dataclass(slots=True)
class LostBytes:
    """Bytes of this direction the capture lost here (a TCP gap): the records around them do not
    join, and the next protected record's sequence number is unknown by up to ``window``."""

    length: int
    """Bytes lost, with the cut record before them (at least the lost records' size)."""
    frame: int
    time: float


class Side:
    """One direction's state."""

    def __init__(self, from_client: bool) -> None:
        self.from_client = from_client
        self.client = from_client
        """Whether this direction is TLS's client: the TCP client's unless a capture without SYN and
        hellos had the roles the other way round (the secret that authenticates tells)."""
        self.buf = bytearray()
        self.dead = False
        self.records = 0
        self.processed = 0
        self.pending: deque[QueuedRecord | DroppedRecords | LostBytes] = deque()
        self.pending_bytes = 0
        self.ccs_seen = False
        self.encrypting = False
        """TLS 1.2: a ChangeCipherSpec was processed, later records are protected."""
        self.hs = bytearray()
        self.protection: Protection | None = None
        self.epoch = -1
        self.secret: bytes | None = None
        self.seq = 0
        self.authenticated = 0
        """Records that authenticated under the current keys."""
        self.switch: int | None = None
        self.align = False
        """After a gap: the next bytes start anywhere, the next record header is searched for."""
        self.window = 0
        """After a gap: how many sequence numbers the next protected record may have skipped."""
        self.last_frame = 0
        self.last_time = 0.0


class Negotiation:
    """The hellos' parameters of one connection, its two directions, and their content. Mutable."""

    def __init__(self) -> None:
        self._sides = (Side(False), Side(True))
        self._client_random: bytes | None = None
        self._server_random: bytes | None = None
        self._version: int | None = None
        self._suite_number: int | None = None
        self._suite: CipherSuite | None = None
        self._etm_offered = False
        self._etm = False
        self._etm_accepted = False
        self._early_offered = False
        self._hello_retry = False
        self._sni: str | None = None
        self._once: set[str] = set()
        self._guessed_at = -1
        """Key-log version of the last search for the session of a capture without hellos."""

    @property
    def version(self) -> str | None:
        return None if self._version is None else version_name(self._version)

    @property
    def cipher_suite(self) -> int | None:
        return self._suite_number

    @property
    def cipher_suite_name(self) -> str | None:
        return None if self._suite_number is None else suite_name(self._suite_number)

    @property
    def client_random(self) -> bytes | None:
        return self._client_random

    @property
    def sni(self) -> str | None:
        return self._sni

    @property
    def hello_retry(self) -> bool:
        return self._hello_retry

    @property
    def encrypt_then_mac(self) -> bool:
        return self._etm

    # --- content ------------------------------------------------------------------------

    def _content(self, side: Side, ctype: int, data: bytes, rec: QueuedRecord, encrypted: bool,
                 out: list[TlsEvent]) -> None:
        c = side.from_client
        if ctype == APPLICATION_DATA:
            if data:
                out.append(TlsPlaintext(c, data, rec.frame, rec.time, version_name(self._version or TLS12),
                                        rec.number, side.seq - 1))
        elif ctype == HANDSHAKE:
            side.hs += data
            self._handshake_messages(side, rec, encrypted, out)
        elif ctype == ALERT:
            if len(data) % 2 or not data:
                out.append(TlsError(c, rec.frame, rec.time, "malformed-alert",
                                    f"alert record of {len(data)} bytes", rec.number))
            for i in range(0, len(data) - 1, 2):
                level, code = data[i], data[i + 1]
                out.append(TlsAlert(c, rec.frame, rec.time, ALERT_LEVELS.get(level, f"level {level}"),
                                    ALERT_DESCRIPTIONS.get(code, f"alert {code}"), code, encrypted))
        elif ctype == HEARTBEAT:
            self._note_once(out, "heartbeat", c, rec.frame, rec.time, "heartbeat records present (ignored)")
        else:
            out.append(TlsError(c, rec.frame, rec.time, "unexpected-record",
                                f"content type {ctype} inside a protected record", rec.number))

    def _handshake_messages(self, side: Side, rec: QueuedRecord, encrypted: bool, out: list[TlsEvent]) -> None:
        buf = side.hs
        while len(buf) >= 4:
            mtype, length = buf[0], int.from_bytes(buf[1:4], "big")
            if length > MAX_HANDSHAKE_MESSAGE:
                out.append(TlsError(side.from_client, rec.frame, rec.time, "malformed-handshake",
                                    f"handshake message type {mtype} claims {length} bytes; dropping "
                                    f"{len(buf)} buffered handshake bytes", rec.number))
                buf.clear()
                return
            if len(buf) < 4 + length:
                return
            body = bytes(buf[4 : 4 + length])
            del buf[: 4 + length]
            self._handshake(side, mtype, body, rec, encrypted, out)

    def _handshake(self, side: Side, mtype: int, body: bytes, rec: QueuedRecord, encrypted: bool,
                   out: list[TlsEvent]) -> None:
        decoded = hs.decode(mtype, body, self._version == TLS13)
        fields = decoded.fields
        name = fields.pop("name")
        out.append(TlsHandshake(from_client=side.from_client, name=name, frame=rec.frame, time=rec.time,
                                msg_type=mtype, length=len(body), encrypted=encrypted, **fields))
        if "error" in fields:
            return
        if mtype == hs.CLIENT_HELLO and side.from_client:
            if self._client_random is None:
                self._client_random = decoded.random
                self._sni = fields.get("sni")
            elif decoded.random != self._client_random:
                out.append(TlsNote(True, rec.frame, rec.time, "new-client-random",
                                   "a later ClientHello has a different random; keys are looked up by the first"))
            self._etm_offered = hs.EXT_ENCRYPT_THEN_MAC in decoded.extensions
            self._early_offered = hs.EXT_EARLY_DATA in decoded.extensions
        elif mtype == hs.SERVER_HELLO and not side.from_client:
            if decoded.hello_retry:
                self._hello_retry = True
            elif self._server_random is None:
                self._server_random = decoded.random
            else:
                return  # renegotiation: keep the first session's parameters
            if self._version is None or decoded.hello_retry or self._version == decoded.version:
                self._set_version(decoded.version, decoded.cipher_suite, decoded.extensions)
            if self._version == TLS13 and not decoded.hello_retry and side.epoch < 0:
                side.epoch = HANDSHAKE_KEYS
        elif self._version == TLS13 and encrypted:
            if mtype == hs.FINISHED and side.epoch < APPLICATION_KEYS:
                side.switch = APPLICATION_KEYS
            elif mtype == hs.KEY_UPDATE and side.epoch >= APPLICATION_KEYS:
                side.switch = side.epoch + 1
            elif mtype == hs.END_OF_EARLY_DATA and side.epoch == EARLY:
                side.switch = HANDSHAKE_KEYS

    def _set_version(self, version: int | None, suite_number: int | None, extensions: frozenset[int]) -> None:
        self._version = version
        self._suite_number = suite_number
        suite = SUITES.get(suite_number) if suite_number is not None else None
        self._suite = suite if suite is not None and suite.tls13 == (version == TLS13) else None
        # RFC 7366: encrypt-then-MAC only when both hellos carry extension 22 (decided at key time,
        # because the ClientHello may be fed after the ServerHello).
        self._etm_accepted = version == TLS12 and hs.EXT_ENCRYPT_THEN_MAC in extensions
        if version == TLS12:
            for s in self._sides:
                if s.ccs_seen:
                    s.encrypting = True

    # --- notes ----------------------------------------------------------------------------

    def _note_once(self, out: list[TlsEvent], code: str, from_client: bool | None, frame: int, time: float,
                   message: str) -> None:
        if code not in self._once:
            self._once.add(code)
            out.append(TlsNote(from_client, frame, time, code, message))

    def _error_once(self, out: list[TlsEvent], code: str, from_client: bool, rec: QueuedRecord, message: str) -> None:
        if code not in self._once:
            self._once.add(code)
            out.append(TlsError(from_client, rec.frame, rec.time, code, message, rec.number))
