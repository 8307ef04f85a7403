"""Open a capture file or standard input and read it as a stream of frames.

The format comes from the first bytes, never from the file name: classic pcap (either byte
order, micro- or nanosecond), pcapng, and either of them gzip-compressed. Nothing seeks, so a
pipe works as well as a file, and nothing holds more than one block at a time.
"""

from __future__ import annotations

import io
import os
import stat
import sys
from collections.abc import Iterator
from types import TracebackType
from typing import BinaryIO

from v2gsniff.sniffer.model import DecryptionSecrets, RawFrame

from ._source import CountingRaw, PrefixedReader, Source
from .errors import CaptureError, CaptureNotFound, NotACapture, TruncatedCapture
from .pcap import PcapParser, is_pcap_magic
from .pcapng import PcapngParser

GZIP_MAGIC = b"\x1f\x8b"
PCAPNG_MAGIC = b"\x0a\x0d\x0d\x0a"
_BUFFER = 1 << 20

_Parser = PcapParser | PcapngParser


def _describe_start(magic: bytes) -> str:
    if not magic:
        return "is empty"
    text = magic.hex(" ")
    if len(magic) < 4:
        return f"is only {len(magic)} bytes long ({text})"
    return f"starts with {text}"


class CaptureReader:
    """Iterator of :class:`RawFrame` and :class:`DecryptionSecrets` from one capture.

    ``linktypes`` maps interface number to link type; for pcapng it holds every interface
    defined before the first packet once the reader is open, and grows if later sections or
    late interface blocks add more.
    """

    def __init__(
        self,
        name: str,
        parser: _Parser,
        src: Source,
        *,
        gzip: bool,
        size: int | None,
        raw: CountingRaw,
        to_close: list[BinaryIO | io.IOBase],
    ) -> None:
        self.name = name
        self.format: str = parser.format
        self.gzip = gzip
        self.size = size
        self._parser = parser
        self._src = src
        self._raw = raw
        self._to_close = to_close
        self._items = parser.items()
        self._pending: RawFrame | DecryptionSecrets | None = None
        self._error: CaptureError | None = None
        self._done = False
        if isinstance(parser, PcapngParser):
            # Pull the first packet so the interface blocks before it are known up front;
            # an error here belongs to iteration (it comes after zero frames either way).
            try:
                self._pending = next(self._items)
            except StopIteration:
                self._done = True
            except CaptureError as err:
                self._error = err

    @property
    def linktypes(self) -> dict[int, int]:
        return self._parser.linktypes

    @property
    def frames_read(self) -> int:
        """Frames yielded so far (the last frame's number)."""
        if self._pending is not None and isinstance(self._pending, RawFrame):
            return self._parser.frames - 1
        return self._parser.frames

    @property
    def bytes_read(self) -> int:
        """How far into the file (the compressed file, for gzip) reading has come."""
        if self.gzip:
            return self._raw.count
        return self._src.pos

    def __iter__(self) -> Iterator[RawFrame | DecryptionSecrets]:
        # A generator, not this object: a for loop then resumes the parser's generator
        # directly instead of calling __next__ in Python for every frame.
        return self._iterate()

    def _iterate(self) -> Iterator[RawFrame | DecryptionSecrets]:
        while self._pending is not None or self._error is not None:
            yield self.__next__()
        if self._done:
            return
        try:
            yield from self._items
        finally:
            self._done = True

    def __next__(self) -> RawFrame | DecryptionSecrets:
        if self._pending is not None:
            item, self._pending = self._pending, None
            return item
        if self._error is not None:
            err, self._error = self._error, None
            self._done = True
            raise err
        if self._done:
            raise StopIteration
        try:
            return next(self._items)
        except StopIteration:
            self._done = True
            raise

    def close(self) -> None:
        for f in self._to_close:
            f.close()
        self._to_close = []

    def __enter__(self) -> CaptureReader:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def open_capture(path: str | os.PathLike[str], *, stdin: BinaryIO | None = None) -> CaptureReader:
    """Open ``path`` (``"-"`` for standard input, or ``stdin`` when given) for reading.

    Raises :class:`CaptureNotFound`, :class:`NotACapture`, :class:`TruncatedCapture` (header
    cut off) or :class:`CorruptCapture`; see :mod:`.errors` for their exit codes.
    """
    name = os.fsdecode(path)
    to_close: list[BinaryIO | io.IOBase] = []
    size: int | None = None
    if name == "-":
        f: BinaryIO = stdin if stdin is not None else sys.stdin.buffer
        name = "<stdin>"
    else:
        try:
            f = open(path, "rb", buffering=0)  # noqa: SIM115 - closed by the reader
        except OSError as err:
            raise cannot_open(name, err) from err
        to_close.append(f)
        try:
            st = os.fstat(f.fileno())
            if stat.S_ISREG(st.st_mode):
                size = st.st_size
        except OSError:
            pass
    try:
        return _open_stream(name, f, size, to_close)
    except BaseException:
        for c in to_close:
            c.close()
        raise


def _open_stream(
    name: str, f: BinaryIO, size: int | None, to_close: list[BinaryIO | io.IOBase]
) -> CaptureReader:
    raw = CountingRaw(f)
    buffered = io.BufferedReader(raw, _BUFFER)
    src = Source(buffered.read)
    try:
        magic = src.read(4)
    except CaptureError as err:
        raise CaptureNotFound(f"{name}: cannot read: {err}") from err
    compressed = magic[:2] == GZIP_MAGIC
    if compressed:
        import gzip  # here, not at start-up: most captures are not compressed

        gz = gzip.GzipFile(fileobj=PrefixedReader(magic, buffered.read), mode="rb")
        to_close.append(gz)
        src = Source(gz.read, compressed=True)
        magic = src.read(4)
    else:
        src.regular = size is not None
    parser: _Parser
    if magic == PCAPNG_MAGIC:
        parser = PcapngParser(src)
    elif is_pcap_magic(magic):
        parser = PcapParser(src, magic)
    elif compressed and src.cut and len(magic) < 4:
        raise TruncatedCapture(f"{name}: gzip stream is cut off before the capture's first 4 bytes")
    elif compressed:
        how = "gzip stream is cut off" if src.cut else "gzip-compressed"
        raise NotACapture(f"{name}: {how}, not a pcap or pcapng file inside ({_describe_start(magic)})")
    else:
        raise NotACapture(f"{name}: not a pcap or pcapng file ({_describe_start(magic)})")
    return CaptureReader(name, parser, src, gzip=compressed, size=size, raw=raw, to_close=to_close)


def cannot_open(name: str, err: OSError) -> CaptureNotFound:
    """Why ``name`` (a path or URL) cannot be opened, in one sentence (exit code: not found)."""
    if isinstance(err, FileNotFoundError):
        return CaptureNotFound(f"{name}: no such file")
    if isinstance(err, IsADirectoryError):
        return CaptureNotFound(f"{name}: is a directory, not a capture file")
    if isinstance(err, PermissionError):
        return CaptureNotFound(f"{name}: permission denied")
    return CaptureNotFound(f"{name}: cannot open: {err.strerror or err}")
