"""Sans-io TLS 1.2/1.3 decryption of one TCP connection, with secrets from a key log.

Each direction's bytes are cut into records. Records are queued per direction and processed
in order; a record that cannot be processed yet (no key, or the ServerHello that tells how
to read it has not been fed) stays queued, bounded, until a later ``feed`` or ``retry``
makes it processable. Directions are independent: a record's keys depend only on its own
direction's earlier records (ChangeCipherSpec, Finished, KeyUpdate) and on the ServerHello.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from v2gsniff.sniffer.streams.tls import handshake as hs
from v2gsniff.sniffer.streams.tls import keylog as kl
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
from v2gsniff.sniffer.streams.tls.record import (
    DecryptError,
    Protection,
    Tls13Aead,
    next_traffic_secret,
    tls12_protections,
)
from v2gsniff.sniffer.streams.tls.suites import SUITES, CipherSuite, suite_name, version_name

CCS, ALERT, HANDSHAKE, APPLICATION_DATA, HEARTBEAT = 20, 21, 22, 23, 24
TLS12, TLS13 = 0x0303, 0x0304
MAX_RECORD = 16384 + 2048
"""RFC 5246 §6.2.3: TLSCiphertext.length never exceeds 2^14 + 2048."""
MAX_HANDSHAKE_MESSAGE = 1 << 20
EARLY, HANDSHAKE_KEYS, APPLICATION_KEYS = 0, 1, 2
"""TLS 1.3 key epochs per direction; epoch 2 + n is the application secret after n KeyUpdates."""


@dataclass(slots=True)
class _Record:
    ctype: int
    version: int
    fragment: bytes
    frame: int
    time: float
    number: int


@dataclass(slots=True)
class _Dropped:
    """Records not kept because the queue was full; only their count matters (sequence numbers)."""

    count: int
    frame: int
    time: float


class _Side:
    """One direction's state."""

    def __init__(self, from_client: bool) -> None:
        self.from_client = from_client
        self.buf = bytearray()
        self.dead = False
        self.records = 0
        self.processed = 0
        self.pending: deque[_Record | _Dropped] = deque()
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
        self.last_frame = 0
        self.last_time = 0.0


class TlsConnection:
    """One TCP connection's TLS; ``feed`` each direction's in-order bytes and collect events."""

    def __init__(self, keylog: kl.KeyLog, max_pending: int = 4 << 20) -> None:
        self._keylog = keylog
        self._max_pending = max_pending
        self._sides = (_Side(False), _Side(True))
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

    # --- public API -------------------------------------------------------------------

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

    @property
    def decryptable(self) -> bool:
        """The key log holds the secrets for this session's application data."""
        cr = self._client_random
        if cr is None or self._version not in (TLS12, TLS13):
            return False
        if self._version == TLS12:
            return self._keylog.get(cr, kl.CLIENT_RANDOM) is not None
        needed = {kl.CLIENT_TRAFFIC_0, kl.SERVER_TRAFFIC_0}
        have: frozenset[str] = self._keylog.labels(cr)
        return needed <= have

    def feed(self, from_client: bool, data: bytes, frame: int, time: float) -> list[TlsEvent]:
        out: list[TlsEvent] = []
        try:
            side = self._sides[from_client]
            side.last_frame, side.last_time = frame, time
            if not side.dead and data:
                side.buf += data
                self._split(side, frame, time, out)
                self._pump(out)
        except Exception as exc:  # a bug must not take the capture down; report it as data
            out.append(TlsError(from_client, frame, time, "internal", f"internal error in TLS decoder: {exc!r}"))
        return _ordered(out)

    def retry(self, frame: int, time: float) -> list[TlsEvent]:
        """Process queued records again (call when the key log gained secrets)."""
        out: list[TlsEvent] = []
        try:
            self._pump(out)
        except Exception as exc:
            out.append(TlsError(None, frame, time, "internal", f"internal error in TLS decoder: {exc!r}"))
        return _ordered(out)

    def close(self) -> list[TlsEvent]:
        """End of both streams: report unfinished records and messages, and records left encrypted."""
        out: list[TlsEvent] = []
        for side in self._sides:
            f, t, c = side.last_frame, side.last_time, side.from_client
            if side.buf and not side.dead:
                n = len(side.buf)
                if n < 5:
                    msg = f"truncated record at end of stream: {n} of 5 header bytes"
                else:
                    want = int.from_bytes(side.buf[3:5], "big")
                    msg = (f"truncated record at end of stream: header announces {want} bytes of "
                           f"content type {side.buf[0]}, only {n - 5} arrived")
                out.append(TlsError(c, f, t, "truncated", msg, side.records))
            if side.hs:
                out.append(TlsError(c, f, t, "truncated",
                                    f"incomplete handshake message at end of stream ({len(side.hs)} bytes)"))
            waiting = [r for r in side.pending if isinstance(r, _Record)]
            if waiting:
                size = sum(len(r.fragment) for r in waiting)
                out.append(TlsNote(c, f, t, "undecrypted",
                                   f"{len(waiting)} records ({size} bytes) were never decrypted: no key"))
        return out

    # --- record splitting and queueing --------------------------------------------------

    def _split(self, side: _Side, frame: int, time: float, out: list[TlsEvent]) -> None:
        buf = side.buf
        pos = 0
        while len(buf) - pos >= 5:
            ctype, major, length = buf[pos], buf[pos + 1], (buf[pos + 3] << 8) | buf[pos + 4]
            if ctype not in (CCS, ALERT, HANDSHAKE, APPLICATION_DATA, HEARTBEAT) or major != 3 or length > MAX_RECORD:
                out.append(TlsError(side.from_client, frame, time, "bad-record-header",
                                    f"not a TLS record header: {bytes(buf[pos:pos + 5]).hex()} (record "
                                    f"{side.records}); this direction is no longer decoded", side.records))
                side.dead = True
                buf.clear()
                return
            if len(buf) - pos - 5 < length:
                break
            rec = _Record(ctype, (major << 8) | buf[pos + 2], bytes(buf[pos + 5 : pos + 5 + length]), frame, time,
                          side.records)
            side.records += 1
            pos += 5 + length
            if side.pending and side.pending_bytes + length > self._max_pending:
                if isinstance(side.pending[-1], _Dropped):
                    side.pending[-1].count += 1
                else:
                    side.pending.append(_Dropped(1, frame, time))
                self._note_once(out, "buffer-full", side.from_client, frame, time,
                                f"more than {self._max_pending} bytes of records wait for keys; "
                                "further records are not kept")
                continue
            side.pending.append(rec)
            side.pending_bytes += length
        del buf[:pos]

    def _pump(self, out: list[TlsEvent]) -> None:
        progress = True
        while progress:
            progress = False
            for side in self._sides:
                while side.pending:
                    item = side.pending[0]
                    if not self._process(side, item, out):
                        break
                    side.pending.popleft()
                    if isinstance(item, _Record):
                        side.pending_bytes -= len(item.fragment)
                        side.processed += 1
                    progress = True

    # --- per-record processing ----------------------------------------------------------

    def _process(self, side: _Side, item: _Record | _Dropped, out: list[TlsEvent]) -> bool:
        """Handle one queued record; False means "not yet" (it stays queued)."""
        if isinstance(item, _Dropped):
            side.seq += item.count
            out.append(TlsNote(side.from_client, item.frame, item.time, "dropped",
                               f"{item.count} records were not kept while waiting for keys; they are lost"))
            return True
        rec = item
        version = self._version
        if version is None:
            if rec.ctype == CCS:
                side.ccs_seen = True
                return True
            if side.ccs_seen or rec.ctype == APPLICATION_DATA:
                return False  # protected or unknown layout until the ServerHello is seen
        elif version == TLS13:
            if rec.ctype == APPLICATION_DATA:
                return self._decrypt13(side, rec, out)
            if rec.ctype == CCS:
                return True  # middlebox-compatibility dummy (RFC 8446 §5), not protected, no sequence number
        elif version == TLS12:
            if side.encrypting:
                return self._decrypt12(side, rec, out)
            if rec.ctype == CCS:
                side.ccs_seen = side.encrypting = True
                side.seq = 0
                return True
            if rec.ctype == APPLICATION_DATA:
                out.append(TlsError(side.from_client, rec.frame, rec.time, "unexpected-record",
                                    "application data before ChangeCipherSpec", rec.number))
                return True
        else:
            self._note_once(out, "unsupported-version", None, rec.frame, rec.time,
                            f"{version_name(version)} is not decrypted (only TLS 1.2 and 1.3)")
            side.ccs_seen = side.ccs_seen or rec.ctype == CCS
            if side.ccs_seen or rec.ctype == APPLICATION_DATA:
                return True
        self._content(side, rec.ctype, rec.fragment, rec, False, out)
        return True

    def _hello_state(self, side: _Side, rec: _Record, out: list[TlsEvent]) -> bool | None:
        """True when the hellos needed for keys are known, None to wait for them, False to give up."""
        if self._suite_number is not None and self._suite is None:
            self._error_once(out, "unsupported-cipher", side.from_client, rec,
                             f"cipher suite {suite_name(self._suite_number)} is not supported for decryption")
            return False
        if self._client_random is not None and self._suite is not None and (
                self._version != TLS12 or self._server_random is not None):
            return True
        if self._client_random is None and self._sides[True].processed == 0:
            return None  # no client record processed yet: its ClientHello may still come
        self._note_once(out, "no-hello", side.from_client, rec.frame, rec.time,
                        "encrypted records but the hellos were not seen: cannot look up keys")
        return False

    def _decrypt12(self, side: _Side, rec: _Record, out: list[TlsEvent]) -> bool:
        if side.protection is None:
            state = self._hello_state(side, rec, out)
            if not state:
                return state is not None
            assert self._suite is not None and self._client_random is not None and self._server_random is not None
            entry = self._keylog.entry(self._client_random, kl.CLIENT_RANDOM)
            if entry is None:
                self._no_key(side, rec, out, kl.CLIENT_RANDOM)
                return False
            self._etm = self._etm_offered and self._etm_accepted
            client, server = tls12_protections(self._suite, entry.secret.reveal(), self._client_random,
                                               self._server_random, self._etm)
            self._sides[True].protection, self._sides[False].protection = client, server
            self._keys_note(rec, side, out)
        assert side.protection is not None
        try:
            ctype, plain = side.protection.decrypt(side.seq, rec.ctype, rec.version, rec.fragment)
        except DecryptError as exc:
            self._decrypt_error(side, rec, exc, out)
            side.seq += 1
            return True
        side.seq += 1
        side.authenticated += 1
        self._content(side, ctype, plain, rec, True, out)
        return True

    def _secret13(self, side: _Side, epoch: int) -> bytes | None:
        if epoch > APPLICATION_KEYS:
            if side.epoch == epoch - 1 and side.secret is not None and self._suite is not None:
                derived: bytes = next_traffic_secret(self._suite, side.secret)
                return derived
            return None
        label = {
            (True, EARLY): kl.CLIENT_EARLY,
            (True, HANDSHAKE_KEYS): kl.CLIENT_HANDSHAKE,
            (False, HANDSHAKE_KEYS): kl.SERVER_HANDSHAKE,
            (True, APPLICATION_KEYS): kl.CLIENT_TRAFFIC_0,
            (False, APPLICATION_KEYS): kl.SERVER_TRAFFIC_0,
        }.get((side.from_client, epoch))
        if label is None or self._client_random is None:
            return None
        secret: bytes | None = self._keylog.get(self._client_random, label)
        return secret

    def _decrypt13(self, side: _Side, rec: _Record, out: list[TlsEvent]) -> bool:
        state = self._hello_state(side, rec, out)
        if not state:
            return state is not None
        suite = self._suite
        assert suite is not None
        if side.epoch < 0:
            early = side.from_client and self._early_offered and not self._hello_retry
            side.epoch = EARLY if early and self._secret13(side, EARLY) is not None else HANDSHAKE_KEYS
        if side.protection is None:
            secret = self._secret13(side, side.epoch)
            if secret is None and side.epoch == HANDSHAKE_KEYS and self._secret13(side, APPLICATION_KEYS):
                return self._skip_handshake_epoch(side, rec, out)
            if secret is None:
                label = self._label13(side, side.epoch)
                self._no_key(side, rec, out, label)
                return False
            if len(secret) != suite.hash_len:
                self._error_once(out, "wrong-key", side.from_client, rec,
                                 f"key log secret has {len(secret)} bytes, {suite.name} needs {suite.hash_len}")
                return True
            side.secret, side.protection, side.seq, side.authenticated = secret, Tls13Aead(suite, secret), 0, 0
            self._keys_note(rec, side, out)
        assert side.protection is not None
        try:
            ctype, plain = side.protection.decrypt(side.seq, rec.ctype, rec.version, rec.fragment)
        except DecryptError as exc:
            if self._try_next_epoch(side, rec, out):
                return True
            self._decrypt_error(side, rec, exc, out)
            side.seq += 1
            return True
        side.seq += 1
        side.authenticated += 1
        self._content(side, ctype, plain, rec, True, out)
        self._apply_switch(side)
        return True

    def _skip_handshake_epoch(self, side: _Side, rec: _Record, out: list[TlsEvent]) -> bool:
        """Only the application secrets are known: records that do not decrypt under them are the
        (encrypted) handshake, skipped; the first one that does starts the application epoch."""
        if self._try_next_epoch(side, rec, out, announce=False):
            self._keys_note(rec, side, out)
            return True
        self._note_once(out, f"no-handshake-keys-{side.from_client}", side.from_client, rec.frame, rec.time,
                        f"{self._label13(side, HANDSHAKE_KEYS)} missing: encrypted handshake records of this "
                        "direction are skipped, application data is decrypted")
        return True

    def _try_next_epoch(self, side: _Side, rec: _Record, out: list[TlsEvent], announce: bool = True) -> bool:
        """A record that fails under the current keys may be the first under the next ones, when the
        message announcing the change (Finished, KeyUpdate) was itself lost to corruption."""
        assert self._suite is not None
        nxt = self._secret13(side, side.epoch + 1)
        if nxt is None or len(nxt) != self._suite.hash_len:
            return False
        protection = Tls13Aead(self._suite, nxt)
        try:
            ctype, plain = protection.decrypt(0, rec.ctype, rec.version, rec.fragment)
        except DecryptError:
            return False
        if announce:
            out.append(TlsNote(side.from_client, rec.frame, rec.time, "key-change-inferred",
                               f"record {rec.number} decrypts only under the next keys: the message announcing "
                               "the change was not seen"))
        side.epoch += 1
        side.secret, side.protection, side.seq, side.authenticated, side.switch = nxt, protection, 1, 1, None
        self._content(side, ctype, plain, rec, True, out)
        self._apply_switch(side)
        return True

    def _apply_switch(self, side: _Side) -> None:
        if side.switch is None or side.switch <= side.epoch:
            side.switch = None
            return
        target, side.switch = side.switch, None
        secret = self._secret13(side, target) if target > APPLICATION_KEYS else None
        side.epoch = target
        side.secret = secret
        side.seq = side.authenticated = 0
        side.protection = None if secret is None or self._suite is None else Tls13Aead(self._suite, secret)

    @staticmethod
    def _label13(side: _Side, epoch: int) -> str:
        label: str
        if epoch == EARLY:
            label = kl.CLIENT_EARLY
        elif epoch == HANDSHAKE_KEYS:
            label = kl.CLIENT_HANDSHAKE if side.from_client else kl.SERVER_HANDSHAKE
        else:
            label = kl.CLIENT_TRAFFIC_0 if side.from_client else kl.SERVER_TRAFFIC_0
        return label

    # --- content ------------------------------------------------------------------------

    def _content(self, side: _Side, ctype: int, data: bytes, rec: _Record, encrypted: bool,
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

    def _handshake_messages(self, side: _Side, rec: _Record, encrypted: bool, out: list[TlsEvent]) -> None:
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

    def _handshake(self, side: _Side, mtype: int, body: bytes, rec: _Record, encrypted: bool,
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

    def _error_once(self, out: list[TlsEvent], code: str, from_client: bool, rec: _Record, message: str) -> None:
        if code not in self._once:
            self._once.add(code)
            out.append(TlsError(from_client, rec.frame, rec.time, code, message, rec.number))

    def _no_key(self, side: _Side, rec: _Record, out: list[TlsEvent], label: str) -> None:
        cr = self._client_random.hex() if self._client_random else "?"
        self._note_once(out, "no-key", side.from_client, rec.frame, rec.time,
                        f"encrypted: no key for this client random {cr} ({label} missing)")

    def _keys_note(self, rec: _Record, side: _Side, out: list[TlsEvent]) -> None:
        assert self._client_random is not None
        if "keys" in self._once:
            return
        self._once.add("keys")
        secrets = []
        sources = set()
        for label in sorted(self._keylog.labels(self._client_random)):
            entry = self._keylog.entry(self._client_random, label)
            if entry is not None:
                secrets.append((label, entry.secret))
                sources.add(entry.source)
        out.append(TlsNote(side.from_client, rec.frame, rec.time, "keys",
                           f"decrypting {self.version} {self.cipher_suite_name} with secrets for client random "
                           f"{self._client_random.hex()} from {', '.join(sorted(sources))}", tuple(secrets)))

    def _decrypt_error(self, side: _Side, rec: _Record, exc: DecryptError, out: list[TlsEvent]) -> None:
        message = f"record {rec.number} (seq {side.seq}): {exc.message}"
        if side.authenticated == 0 and exc.code in ("bad-mac", "bad-tag"):
            message += "; no record has authenticated under these keys yet: the key log secret may not belong " \
                       "to this session"
        out.append(TlsError(side.from_client, rec.frame, rec.time, exc.code, message, rec.number))


def _ordered(events: list[TlsEvent]) -> list[TlsEvent]:
    """Both directions' events in frame order (stable: each direction's own order is kept)."""
    return sorted(events, key=lambda e: e.frame) if len(events) > 1 else events
