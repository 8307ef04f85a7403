"""Sans-io TLS 1.2/1.3 decryption of one TCP connection, with secrets from a key log.

Each direction's bytes are cut into records. Records are queued per direction and processed
in order; a record that cannot be processed yet (no key, or the ServerHello that tells how
to read it has not been fed) stays queued, bounded, until a later ``feed`` or ``retry``
makes it processable. Directions are independent: a record's keys depend only on its own
direction's earlier records (ChangeCipherSpec, Finished, KeyUpdate) and on the ServerHello.
"""

from __future__ import annotations

from v2gsniff.sniffer.streams.tls import keylog as kl
from v2gsniff.sniffer.streams.tls.events import TlsError, TlsEvent, TlsGap, TlsNote
from v2gsniff.sniffer.streams.tls.record import (
    DecryptError,
    Tls13Aead,
    next_traffic_secret,
    tls12_protections,
)
from v2gsniff.sniffer.streams.tls.resync import MAX_WINDOW, MIN_PROTECTED, RETRY_WINDOW, record_start, trial
from v2gsniff.sniffer.streams.tls.session import (
    ALERT,
    APPLICATION_DATA,
    APPLICATION_KEYS,
    CCS,
    EARLY,
    HANDSHAKE,
    HANDSHAKE_KEYS,
    HEARTBEAT,
    MAX_RECORD,
    TLS12,
    TLS13,
    DroppedRecords,
    LostBytes,
    Negotiation,
    QueuedRecord,
    Side,
)
from v2gsniff.sniffer.streams.tls.suites import TLS13_SUITES, suite_name, version_name


class TlsConnection(Negotiation):
    """One TCP connection's TLS; ``feed`` each direction's in-order bytes and collect events.

    The record layer and the keys are here; what the hellos negotiated and what the records say
    is :class:`~.session.Negotiation`."""

    def __init__(self, keylog: kl.KeyLog, max_pending: int = 4 << 20) -> None:
        super().__init__()
        self._keylog = keylog
        self._max_pending = max_pending

    # --- public API -------------------------------------------------------------------

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

    def gap(self, from_client: bool, length: int, frame: int, time: float) -> list[TlsEvent]:
        """``length`` bytes of a direction were lost before its next ``feed`` (a TCP gap).

        The record they cut is dropped and the next record header is searched for; the next protected
        record is tried under every sequence number the lost bytes can have used, and the one whose
        tag authenticates says how many records were lost: the direction is followed on."""
        out: list[TlsEvent] = []
        try:
            side = self._sides[from_client]
            side.last_frame, side.last_time = frame, time
            if not side.dead:
                side.pending.append(LostBytes(length + len(side.buf), frame, time))
                side.buf.clear()
                side.align = True
                self._pump(out)
        except Exception as exc:
            out.append(TlsError(from_client, frame, time, "internal", f"internal error in TLS decoder: {exc!r}"))
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
            waiting = [r for r in side.pending if isinstance(r, QueuedRecord)]
            if waiting:
                size = sum(len(r.fragment) for r in waiting)
                out.append(TlsNote(c, f, t, "undecrypted",
                                   f"{len(waiting)} records ({size} bytes) were never decrypted: no key"))
        return out

    # --- record splitting and queueing --------------------------------------------------

    def _split(self, side: Side, frame: int, time: float, out: list[TlsEvent]) -> None:
        buf = side.buf
        if side.align:
            start = record_start(buf)
            if start < 0:
                del buf[: max(len(buf) - 4, 0)]  # the rest of a cut record; a header may straddle the next chunk
                return
            del buf[:start]
            side.align = False
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
            rec = QueuedRecord(ctype, (major << 8) | buf[pos + 2], bytes(buf[pos + 5 : pos + 5 + length]), frame, time,
                          side.records)
            side.records += 1
            pos += 5 + length
            if side.pending and side.pending_bytes + length > self._max_pending:
                if isinstance(side.pending[-1], DroppedRecords):
                    side.pending[-1].count += 1
                else:
                    side.pending.append(DroppedRecords(1, frame, time))
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
                    if isinstance(item, QueuedRecord):
                        side.pending_bytes -= len(item.fragment)
                        side.processed += 1
                    progress = True

    # --- per-record processing ----------------------------------------------------------

    def _process(self, side: Side, item: QueuedRecord | DroppedRecords | LostBytes, out: list[TlsEvent]) -> bool:
        """Handle one queued record; False means "not yet" (it stays queued)."""
        if isinstance(item, LostBytes):
            if side.hs:
                out.append(TlsError(side.from_client, item.frame, item.time, "truncated",
                                    f"handshake message cut by a gap ({len(side.hs)} bytes before it)"))
                side.hs.clear()
            side.window = min(side.window + item.length // MIN_PROTECTED + 1, MAX_WINDOW)
            out.append(TlsGap(side.from_client, item.frame, item.time, item.length))
            return True
        if isinstance(item, DroppedRecords):
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
            if rec.ctype == APPLICATION_DATA and self._client_random is None and self._without_hellos(side, rec, out):
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
            if side.window and self._ccs_lost(side, rec, out):
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

    def _without_hellos(self, side: Side, rec: QueuedRecord, out: list[TlsEvent]) -> bool:
        """Application data, and no ClientHello seen (the capture began after the handshake, or lost
        it): the TLS 1.3 session whose traffic secret authenticates the record under some sequence
        number of the window is this connection's; its secrets' length tells the suites to try. The
        key log is searched once per state of it (a new secret searches again)."""
        if self._guessed_at == self._keylog.version:
            return False
        self._guessed_at = self._keylog.version
        # without a SYN the TCP roles are a guess (who spoke first): the other role's secret is tried too
        for client in (side.from_client, not side.from_client):
            if self._session_of(side, rec, client, out):
                return True
        return False

    def _session_of(self, side: Side, rec: QueuedRecord, client: bool, out: list[TlsEvent]) -> bool:
        label = kl.CLIENT_TRAFFIC_0 if client else kl.SERVER_TRAFFIC_0
        for client_random, secret in self._keylog.sessions(label):
            for suite in (s for s in TLS13_SUITES if s.hash_len == len(secret)):
                protection = Tls13Aead(suite, secret)
                found = trial(protection, 0, MAX_WINDOW, rec)
                if found is None:
                    continue
                seq, (ctype, plain) = found
                self._version, self._suite_number, self._suite, self._client_random = \
                    TLS13, suite.number, suite, client_random
                for s in self._sides:  # the other direction's sequence number is unknown too
                    s.epoch, s.window = APPLICATION_KEYS, MAX_WINDOW
                    s.client = s.from_client == (client == side.from_client)
                side.secret, side.protection, side.seq, side.window, side.authenticated = \
                    secret, protection, seq + 1, 0, 1
                out.append(TlsNote(side.from_client, rec.frame, rec.time, "keys-inferred",
                                   f"no handshake seen: record {rec.number} decrypts at sequence number {seq} under "
                                   f"the {label} of client random {client_random.hex()} ({suite.name})"))
                self._keys_note(rec, side, out)
                self._content(side, ctype, plain, rec, True, out)
                return True
        return False

    def _hello_state(self, side: Side, rec: QueuedRecord, out: list[TlsEvent]) -> bool | None:
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

    def _keys12(self, side: Side, rec: QueuedRecord, out: list[TlsEvent]) -> bool | None:
        """Both directions' TLS 1.2 protections, made once: True when ready, None to wait (hellos or
        key to come), False to give up."""
        if side.protection is not None:
            return True
        state = self._hello_state(side, rec, out)
        if not state:
            return state
        assert self._suite is not None and self._client_random is not None and self._server_random is not None
        entry = self._keylog.entry(self._client_random, kl.CLIENT_RANDOM)
        if entry is None:
            self._no_key(side, rec, out, kl.CLIENT_RANDOM)
            return None
        self._etm = self._etm_offered and self._etm_accepted
        client, server = tls12_protections(self._suite, entry.secret.reveal(), self._client_random,
                                           self._server_random, self._etm)
        self._sides[True].protection, self._sides[False].protection = client, server
        self._keys_note(rec, side, out)
        return True

    def _ccs_lost(self, side: Side, rec: QueuedRecord, out: list[TlsEvent]) -> bool:
        """TLS 1.2, a record after a gap on a side that has not changed cipher spec: the ChangeCipherSpec
        (and Finished) may have been lost in it. If the record authenticates under the keys, they were."""
        if rec.ctype == CCS or self._keys12(side, rec, out) is not True:
            return False
        assert side.protection is not None
        found = trial(side.protection, 0, side.window, rec)
        if found is None:
            return False
        seq, (ctype, plain) = found
        out.append(TlsNote(side.from_client, rec.frame, rec.time, "key-change-inferred",
                           f"record {rec.number} decrypts at sequence number {seq} under the keys: the "
                           "ChangeCipherSpec was lost in the gap before it"))
        side.ccs_seen = side.encrypting = True
        side.seq, side.window = seq + 1, 0
        side.authenticated += 1
        self._content(side, ctype, plain, rec, True, out)
        return True

    def _decrypt12(self, side: Side, rec: QueuedRecord, out: list[TlsEvent]) -> bool:
        ready = self._keys12(side, rec, out)
        if not ready:
            return ready is False  # give up: the record is done with; wait: it stays queued
        try:
            ctype, plain = self._open(side, rec, out)
        except DecryptError as exc:
            self._decrypt_error(side, rec, exc, out)
            side.seq += 1
            return True
        side.seq += 1
        side.authenticated += 1
        self._content(side, ctype, plain, rec, True, out)
        return True

    def _open(self, side: Side, rec: QueuedRecord, out: list[TlsEvent]) -> tuple[int, bytes]:
        """(content type, plaintext) of a protected record; after a gap, under the first sequence
        number of the window that authenticates (it becomes ``side.seq``)."""
        protection = side.protection
        assert protection is not None
        if not side.window:
            return protection.decrypt(side.seq, rec.ctype, rec.version, rec.fragment)
        found = trial(protection, side.seq, side.window, rec)
        if found is None:
            raise DecryptError("no-resync", f"the first record after a gap authenticates under none of sequence "
                                            f"numbers {side.seq}..{side.seq + side.window}")
        seq, opened = found
        out.append(TlsNote(side.from_client, rec.frame, rec.time, "resync",
                           f"record {rec.number} decrypts at sequence number {seq}: {seq - side.seq} records of "
                           "this direction before it are not in the capture"))
        side.seq, side.window = seq, 0
        return opened

    def _secret13(self, side: Side, epoch: int) -> bytes | None:
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
        }.get((side.client, epoch))
        if label is None or self._client_random is None:
            return None
        secret: bytes | None = self._keylog.get(self._client_random, label)
        return secret

    def _decrypt13(self, side: Side, rec: QueuedRecord, out: list[TlsEvent]) -> bool:
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
        try:
            ctype, plain = self._open(side, rec, out)
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

    def _skip_handshake_epoch(self, side: Side, rec: QueuedRecord, out: list[TlsEvent]) -> bool:
        """Only the application secrets are known: records that do not decrypt under them are the
        (encrypted) handshake, skipped; the first one that does starts the application epoch."""
        if self._try_next_epoch(side, rec, out, announce=False):
            self._keys_note(rec, side, out)
            return True
        self._note_once(out, f"no-handshake-keys-{side.from_client}", side.from_client, rec.frame, rec.time,
                        f"{self._label13(side, HANDSHAKE_KEYS)} missing: encrypted handshake records of this "
                        "direction are skipped, application data is decrypted")
        return True

    def _try_next_epoch(self, side: Side, rec: QueuedRecord, out: list[TlsEvent], announce: bool = True) -> bool:
        """A record that fails under the current keys may be the first under the next ones, when the
        message announcing the change (Finished, KeyUpdate) was itself lost to corruption."""
        assert self._suite is not None
        nxt = self._secret13(side, side.epoch + 1)
        if nxt is None or len(nxt) != self._suite.hash_len:
            return False
        protection = Tls13Aead(self._suite, nxt)
        # after a gap, the change may lie in it, with records under the new keys
        found = trial(protection, 0, side.window, rec)
        if found is None:
            return False
        seq, (ctype, plain) = found
        if announce:
            out.append(TlsNote(side.from_client, rec.frame, rec.time, "key-change-inferred",
                               f"record {rec.number} decrypts only under the next keys: the message announcing "
                               "the change was not seen"))
        side.epoch += 1
        side.secret, side.protection, side.seq, side.authenticated, side.switch = nxt, protection, seq + 1, 1, None
        side.window = 0
        self._content(side, ctype, plain, rec, True, out)
        self._apply_switch(side)
        return True

    def _apply_switch(self, side: Side) -> None:
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
    def _label13(side: Side, epoch: int) -> str:
        label: str
        if epoch == EARLY:
            label = kl.CLIENT_EARLY
        elif epoch == HANDSHAKE_KEYS:
            label = kl.CLIENT_HANDSHAKE if side.client else kl.SERVER_HANDSHAKE
        else:
            label = kl.CLIENT_TRAFFIC_0 if side.client else kl.SERVER_TRAFFIC_0
        return label

    # --- notes ----------------------------------------------------------------------------

    def _no_key(self, side: Side, rec: QueuedRecord, out: list[TlsEvent], label: str) -> None:
        cr = self._client_random.hex() if self._client_random else "?"
        self._note_once(out, "no-key", side.from_client, rec.frame, rec.time,
                        f"encrypted: no key for this client random {cr} ({label} missing)")

    def _keys_note(self, rec: QueuedRecord, side: Side, out: list[TlsEvent]) -> None:
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

    def _decrypt_error(self, side: Side, rec: QueuedRecord, exc: DecryptError, out: list[TlsEvent]) -> None:
        # A record after a gap that authenticates under no sequence number of the window: under keys
        # that never worked no window helps; else the next records try a few (a damaged record).
        side.window = min(side.window, RETRY_WINDOW) if side.authenticated else 0
        message = f"record {rec.number} (seq {side.seq}): {exc.message}"
        if side.authenticated == 0 and exc.code in ("bad-mac", "bad-tag"):
            message += "; no record has authenticated under these keys yet: the key log secret may not belong " \
                       "to this session"
        out.append(TlsError(side.from_client, rec.frame, rec.time, exc.code, message, rec.number))


def _ordered(events: list[TlsEvent]) -> list[TlsEvent]:
    """Both directions' events in frame order (stable: each direction's own order is kept)."""
    return sorted(events, key=lambda e: e.frame) if len(events) > 1 else events
