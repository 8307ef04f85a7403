"""Byte sources for the parsers: a position-counting reader over a plain or gzip stream."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import BinaryIO

from .errors import CaptureError, CorruptCapture


class Source:
    """Reads exact byte counts and remembers how far into the (uncompressed) capture it is.

    A short result means end of data. ``cut`` is set when a gzip stream stopped before its
    end marker, so truncation messages can say so.
    """

    __slots__ = ("_read", "pos", "cut", "compressed", "regular", "_errors")

    def __init__(self, read: Callable[[int], bytes], pos: int = 0, compressed: bool = False) -> None:
        self._read = read
        self.pos = pos
        self.cut = False
        self.compressed = compressed
        self.regular = False
        """An uncompressed regular file: reading ahead of the parser never waits for data."""
        self._errors: tuple[type[Exception], ...] = (OSError,)
        if compressed:
            import zlib  # with gzip only (start-up)

            self._errors = (zlib.error, OSError)

    def read(self, n: int) -> bytes:
        try:
            data = self._read(n)
        except EOFError:
            # gzip: compressed stream ended before its end marker; what it held is already out.
            self.cut = True
            return b""
        except self._errors as err:
            if self.compressed and not isinstance(err, (FileNotFoundError, PermissionError)):
                raise CorruptCapture(
                    f"gzip data is corrupt near uncompressed byte {self.pos}: {err}"
                ) from err
            raise CaptureError(f"read error at byte {self.pos}: {err}") from err
        self.pos += len(data)
        return data

    @property
    def direct(self) -> Callable[[int], bytes]:
        """A read for hot loops: the underlying read itself when the data is not compressed.

        It does not count ``pos`` (the caller keeps it) and lets ``OSError`` through (the
        caller turns it into :class:`CaptureError` with :meth:`read_error`); compressed data
        needs :meth:`read` for its end-of-stream and corruption handling.
        """
        return self.read if self.compressed else self._read

    def read_error(self, err: OSError) -> CaptureError:
        """The error for a failed :attr:`direct` read."""
        return CaptureError(f"read error at byte {self.pos}: {err}")

    def ends_how(self) -> str:
        return "gzip stream is cut off" if self.cut else "file ends"


READ_AHEAD = 256 * 1024
"""Bytes a :class:`ReadAhead` reads at a time."""


class ReadAhead:
    """A regular file read in large chunks, for parsers that take whole records out of ``buf`` in place.

    Reading a record as two exact reads (header, body) costs two calls and two byte strings per
    frame; a parser's hot loop instead unpacks headers from ``buf`` at ``p`` and slices out only
    the frame. Only for regular files: on a pipe a large read would wait for data that a live
    sender has not sent yet. ``base`` is the capture offset of ``buf[0]``.
    """

    __slots__ = ("buf", "p", "base", "_src", "_read", "_chunk")

    def __init__(self, src: Source, chunk: int | None = None) -> None:
        self.buf = b""
        self.p = 0
        self.base = src.pos
        self._src = src
        self._read = src.direct
        self._chunk = chunk or READ_AHEAD

    def fill(self) -> bool:
        """Append the next chunk to what is left unparsed; False at the end of the file."""
        more = self._read(self._chunk)
        if not more:
            return False
        self.base += self.p
        self.buf = self.buf[self.p :] + more
        self.p = 0
        return True

    def read(self, n: int) -> bytes:
        """``n`` bytes (fewer at the end), the buffered ones first; counts ``src.pos`` like ``Source.read``."""
        buf, p = self.buf, self.p
        if p + n <= len(buf):
            self.p = p + n
            data = buf[p : p + n]
        else:
            data = buf[p:] + self._read(n - (len(buf) - p))
            self.base += len(buf) + len(data) - (len(buf) - p)
            self.buf, self.p = b"", 0
        self._src.pos += len(data)
        return data


class CountingRaw(io.RawIOBase):
    """Raw stream over a binary file object that counts the bytes it delivered.

    Uses ``read1`` where the object has it, so a pipe hands over what has arrived instead of
    blocking until a whole buffer is full (frames from a live ``tcpdump -w -`` flow at once).
    """

    def __init__(self, f: BinaryIO) -> None:
        super().__init__()
        self.count = 0
        read1 = getattr(f, "read1", None)
        self._read: Callable[[int], bytes] = read1 if callable(read1) else f.read

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self._read(len(b))
        n = len(data)
        b[:n] = data
        self.count += n
        return n


class PrefixedReader:
    """``read`` that first gives back bytes already taken from the stream (the magic number)."""

    def __init__(self, prefix: bytes, read: Callable[[int], bytes]) -> None:
        self._prefix = prefix
        self._read = read

    def read(self, n: int = -1, /) -> bytes:
        if not self._prefix:
            return self._read(n)
        if n < 0:
            data, self._prefix = self._prefix + self._read(-1), b""
            return data
        data, self._prefix = self._prefix[:n], self._prefix[n:]
        return data

    def seek(self, n: int, /) -> int:
        """Part of the file protocol ``gzip`` expects; reading forward never calls it."""
        raise io.UnsupportedOperation("capture streams are read forward only")
