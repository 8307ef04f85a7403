"""What ``v2gsniff live`` hands to its consumer (the decoder loop or the terminal UI).

:class:`LiveFeed` is an iterator of ``RawFrame | DecryptionSecrets | LinkEvent`` that merges
a batch source (a :class:`~.live.LiveCapture`, or a capture stream read by
:class:`StreamSource`) with key-log files followed as they grow (new lines become
:class:`DecryptionSecrets`), and records every frame and secret to a pcapng writer on the
way, so the recording never depends on the consumer.
"""

from __future__ import annotations

import os
import queue
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from typing import Protocol

from v2gsniff.sniffer.model import DecryptionSecrets, RawFrame

from .errors import CaptureError
from .live import LinkEvent
from .writer import SECRETS_TLS_KEYLOG, PcapngWriter, RingWriter

Item = RawFrame | DecryptionSecrets | LinkEvent
KEYLOG_SECONDS = 0.2
"""How often followed key-log files are looked at."""
BATCH = 512


class BatchSource(Protocol):
    def read_batch(self, timeout: float) -> list[RawFrame | LinkEvent] | list[Item] | None: ...
    def stop(self) -> None: ...


class KeylogFollower:
    """Follows a key-log file like ``tail -F``: complete new lines, from the start after truncation
    or replacement, and a file that does not exist yet is waited for."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        self._inode: tuple[int, int] | None = None
        self._offset = 0
        self._partial = b""

    def poll(self) -> bytes:
        """New complete lines since the last call (``b""`` when none)."""
        try:
            st = os.stat(self.path)
        except OSError:
            return b""
        inode = (st.st_dev, st.st_ino)
        if inode != self._inode or st.st_size < self._offset:
            self._inode, self._offset, self._partial = inode, 0, b""
        if st.st_size == self._offset:
            return b""
        try:
            with open(self.path, "rb") as fh:
                fh.seek(self._offset)
                data = fh.read(st.st_size - self._offset)
        except OSError:
            return b""
        self._offset += len(data)
        data = self._partial + data
        cut = data.rfind(b"\n") + 1
        self._partial = data[cut:]
        return data[:cut]


class StreamSource:
    """A capture read from a stream (stdin) in a thread, offered in batches with a timeout.

    Reading errors (a cut-off stream) are kept in ``error`` and end the batches after every
    frame before them was delivered.
    """

    def __init__(self, items: Iterable[RawFrame | DecryptionSecrets], maxsize: int = 20000) -> None:
        self.error: CaptureError | None = None
        self._queue: queue.Queue[RawFrame | DecryptionSecrets | BaseException | None] = queue.Queue(maxsize)
        self._stopped = threading.Event()
        self._done = False
        self._thread = threading.Thread(target=self._run, args=(items,), name="capture-stream", daemon=True)
        self._thread.start()

    def _run(self, items: Iterable[RawFrame | DecryptionSecrets]) -> None:
        put = self._queue.put
        try:
            for item in items:
                put(item)
                if self._stopped.is_set():
                    break
        except CaptureError as err:
            put(err)
        except Exception as err:  # noqa: BLE001 - reported to the consumer as a capture error
            put(CaptureError(f"reading the stream failed: {type(err).__name__}: {err}"))
        put(None)

    def read_batch(self, timeout: float) -> list[Item] | None:
        if self._done:
            return None
        out: list[Item] = []
        try:
            item = self._queue.get(timeout=timeout)
        except queue.Empty:
            return out
        while True:
            if item is None:
                self._done = True
                return out or None
            if isinstance(item, BaseException):
                self.error = item if isinstance(item, CaptureError) else CaptureError(str(item))
            else:
                out.append(item)
            if len(out) >= BATCH:
                return out
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return out

    def stop(self) -> None:
        self._stopped.set()
        self._done = True


class LiveFeed:
    """Iterator of ``RawFrame | DecryptionSecrets | LinkEvent`` (see the module docstring).

    ``stop()`` may be called from another thread; Ctrl-C while iterating ends it cleanly.
    ``frames`` counts frames delivered; ``writer`` (when given) has every one of them before
    the consumer sees it (``writer_interfaces`` is how many interfaces it was created with;
    frames of others are recorded on interface 0), and every secret too when
    ``embed_secrets`` (key material goes into a file only when the user asked for it).
    """

    def __init__(
        self,
        source: BatchSource,
        *,
        keylog_paths: Iterable[str] = (),
        writer: PcapngWriter | RingWriter | None = None,
        writer_interfaces: int = 1,
        embed_secrets: bool = False,
    ) -> None:
        self.source = source
        self.writer = writer
        self._secrets_writer = writer if embed_secrets else None
        self._writer_interfaces = writer_interfaces
        self.frames = 0
        self.keylogs = [KeylogFollower(p) for p in keylog_paths]
        self._ready: deque[Item] = deque()
        self._next_keylog = 0.0
        self._stopped = False
        self._ended = False

    def __iter__(self) -> Iterator[Item]:
        return self

    def __next__(self) -> Item:
        ready = self._ready
        while not ready:
            if self._ended or self._stopped:
                self._ended = True
                raise StopIteration
            try:
                self._fill()
            except KeyboardInterrupt:
                self.stop()
        return ready.popleft()

    def read_batch(self, timeout: float = KEYLOG_SECONDS) -> list[Item] | None:
        """Items that arrived within about ``timeout`` seconds; ``None`` at the end."""
        if not self._ready:
            if self._ended or self._stopped:
                self._ended = True
                return None
            self._fill(timeout)
        out = list(self._ready)
        self._ready.clear()
        return out

    def stop(self) -> None:
        self._stopped = True
        self.source.stop()

    def _fill(self, timeout: float = KEYLOG_SECONDS) -> None:
        now = time.monotonic()
        if self.keylogs and now >= self._next_keylog:
            self._next_keylog = now + KEYLOG_SECONDS
            for follower in self.keylogs:
                data = follower.poll()
                if data:
                    if self._secrets_writer is not None:
                        self._secrets_writer.write_secrets(data, SECRETS_TLS_KEYLOG)
                    self._ready.append(DecryptionSecrets(SECRETS_TLS_KEYLOG, data, self.frames))
            if self._ready:
                return
        wait = min(timeout, KEYLOG_SECONDS) if self.keylogs else timeout
        batch = self.source.read_batch(wait)
        if batch is None:
            self._ended = True
            return
        writer = self.writer
        for item in batch:
            if isinstance(item, RawFrame):
                self.frames = item.index
                if writer is not None:
                    iface = item.interface if item.interface < self._writer_interfaces else 0
                    orig = item.orig_len if item.orig_len >= len(item.data) else None
                    writer.write_frame(item.data, item.time, iface, orig)
            elif isinstance(item, DecryptionSecrets) and self._secrets_writer is not None:
                self._secrets_writer.write_secrets(item.data, item.secrets_type)
        self._ready.extend(batch)

