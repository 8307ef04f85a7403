"""Capture writers: pcapng (one file or a ring of files) and classic pcap.

Each block goes out in one ``write`` call; with ``line_buffered=True`` it is also flushed, so
a file cut by Ctrl-C or ``kill -9`` ends at a block boundary and stays readable.
"""

from __future__ import annotations

import math
import os
import struct
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

from v2gsniff.sniffer.model import LINKTYPE_ETHERNET

from .pcapng import DSB, EPB, IDB, OPT_IF_NAME, OPT_IF_TSRESOL, SECRETS_TLS_KEYLOG, SHB_TYPE

__all__ = ["SECRETS_TLS_KEYLOG", "PcapWriter", "PcapngWriter", "RingWriter"]
OPT_SHB_USERAPPL = 4
DEFAULT_SNAPLEN = 262144

InterfaceSpec = tuple[int, "str | None", int]
"""(link type, name or None, snaplen) of one interface."""

Target = str | os.PathLike[str] | BinaryIO


def _pad(data: bytes) -> bytes:
    return data + b"\0" * (-len(data) % 4)


def _options(options: Sequence[tuple[int, bytes]]) -> bytes:
    if not options:
        return b""
    out = b"".join(struct.pack("<HH", code, len(value)) + _pad(value) for code, value in options)
    return out + b"\0\0\0\0"


def _block(block_type: int, body: bytes) -> bytes:
    length = 12 + len(body)
    return struct.pack("<II", block_type, length) + body + struct.pack("<I", length)


def _split_time(time: float, per_second: int) -> tuple[int, int]:
    """Whole seconds and fraction units; splitting first keeps sub-microsecond digits."""
    time = max(time, 0.0)
    sec = math.floor(time)
    frac = round((time - sec) * per_second)
    if frac >= per_second:
        sec, frac = sec + 1, frac - per_second
    return sec, frac


def epb_size(caplen: int) -> int:
    """Bytes an Enhanced Packet Block without options takes for ``caplen`` captured bytes."""
    return 32 + caplen + (-caplen % 4)


class _FileTarget:
    def __init__(self, target: Target, private: bool = False) -> None:
        if isinstance(target, (str, os.PathLike)):
            # A private file (one holding key material) is 0600 from its first byte, also when
            # it already existed with a looser mode.
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o666)
            if private:
                os.fchmod(fd, 0o600)
            self._f: BinaryIO = open(fd, "wb")  # noqa: SIM115 - closed in close()
            self._own = True
        else:
            self._f = target
            self._own = False
        self.bytes_written = 0
        self.closed = False

    def _write(self, data: bytes) -> None:
        self._f.write(data)
        self.bytes_written += len(data)

    def flush(self) -> None:
        self._f.flush()

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self._f.flush()
        if self._own:
            self._f.close()


class PcapngWriter(_FileTarget):
    """Writes one pcapng section: SHB, one IDB per interface, then packets and secrets.

    ``tsresol`` is the timestamp resolution as a power of ten (9 = nanoseconds, 6 = microseconds).
    ``private``: a file (not a stream) readable and writable by its owner only (mode 0600), for
    captures that embed secrets.
    """

    def __init__(
        self,
        target: Target,
        *,
        interfaces: Sequence[InterfaceSpec] = ((LINKTYPE_ETHERNET, None, DEFAULT_SNAPLEN),),
        tsresol: int = 9,
        line_buffered: bool = False,
        application: str = "v2gsniff",
        private: bool = False,
    ) -> None:
        if not 0 <= tsresol <= 9:
            raise ValueError(f"tsresol must be a power of ten from 0 to 9, not {tsresol}")
        if not interfaces:
            raise ValueError("a pcapng file needs at least one interface")
        super().__init__(target, private)
        self.interfaces = list(interfaces)
        self.tsresol = tsresol
        self._per_second = 10**tsresol
        self.line_buffered = line_buffered
        self.frames_written = 0
        shb = struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)
        shb += _options([(OPT_SHB_USERAPPL, application.encode())])
        blocks = [_block(SHB_TYPE, shb)]
        for linktype, name, snaplen in self.interfaces:
            opts = [(OPT_IF_TSRESOL, bytes([tsresol]))]
            if name:
                opts.insert(0, (OPT_IF_NAME, name.encode()))
            blocks.append(_block(IDB, struct.pack("<HHI", linktype, 0, snaplen) + _options(opts)))
        self._write(b"".join(blocks))
        self.flush()

    def write_frame(self, data: bytes, time: float, interface: int = 0, orig_len: int | None = None) -> int:
        """Append one frame (cut to the interface's snaplen); returns the bytes written."""
        if not 0 <= interface < len(self.interfaces):
            raise ValueError(f"interface {interface} is not defined (have {len(self.interfaces)})")
        snaplen = self.interfaces[interface][2]
        if orig_len is None:
            orig_len = len(data)
        if snaplen and len(data) > snaplen:
            data = data[:snaplen]
        sec, frac = _split_time(time, self._per_second)
        units = sec * self._per_second + frac
        body = struct.pack("<IIIII", interface, units >> 32, units & 0xFFFFFFFF, len(data), orig_len)
        block = _block(EPB, body + _pad(data))
        self._write(block)
        self.frames_written += 1
        if self.line_buffered:
            self.flush()
        return len(block)

    def write_secrets(self, data: bytes, secrets_type: int = SECRETS_TLS_KEYLOG) -> int:
        """Append a Decryption Secrets Block (an NSS key log by default); returns bytes written."""
        block = _block(DSB, struct.pack("<II", secrets_type, len(data)) + _pad(data))
        self._write(block)
        if self.line_buffered:
            self.flush()
        return len(block)

    def __enter__(self) -> PcapngWriter:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class RingWriter:
    """pcapng output rotated over ``files`` files of at most ``max_bytes`` each.

    ``capture.pcapng`` becomes ``capture_00001.pcapng``, ``capture_00002.pcapng`` ...; once
    more than ``files`` exist the oldest is deleted (``files=0`` keeps them all). A file
    only exceeds ``max_bytes`` when a single frame does not fit in an empty one. Secrets
    written so far are repeated at the start of every new file, so each file decrypts alone.
    """

    def __init__(
        self,
        path_pattern: str | os.PathLike[str],
        *,
        files: int,
        max_bytes: int,
        interfaces: Sequence[InterfaceSpec] = ((LINKTYPE_ETHERNET, None, DEFAULT_SNAPLEN),),
        tsresol: int = 9,
        line_buffered: bool = False,
        private: bool = False,
    ) -> None:
        if files < 0 or max_bytes <= 0:
            raise ValueError("files must be >= 0 and max_bytes > 0")
        base = Path(path_pattern)
        suffix = base.suffix or ".pcapng"
        self._stem = base.with_suffix("") if base.suffix else base
        self._suffix = suffix
        self.files = files
        self.max_bytes = max_bytes
        self._interfaces = list(interfaces)
        self._tsresol = tsresol
        self._line_buffered = line_buffered
        self._private = private
        self._secrets: list[tuple[int, bytes]] = []
        self.number = 0
        self.paths: list[Path] = []
        self._frames_in_file = 0
        self._writer = self._next_file()

    def _path(self, number: int) -> Path:
        return self._stem.with_name(f"{self._stem.name}_{number:05d}{self._suffix}")

    def _next_file(self) -> PcapngWriter:
        self.number += 1
        path = self._path(self.number)
        writer = PcapngWriter(
            path, interfaces=self._interfaces, tsresol=self._tsresol, line_buffered=self._line_buffered,
            private=self._private,
        )
        for secrets_type, data in self._secrets:
            writer.write_secrets(data, secrets_type)
        self.paths.append(path)
        while self.files and len(self.paths) > self.files:
            old = self.paths.pop(0)
            old.unlink(missing_ok=True)
        self._frames_in_file = 0
        return writer

    @property
    def current_path(self) -> Path:
        return self.paths[-1]

    def write_frame(self, data: bytes, time: float, interface: int = 0, orig_len: int | None = None) -> int:
        snaplen = self._writer.interfaces[interface][2] if interface < len(self._writer.interfaces) else 0
        caplen = min(len(data), snaplen) if snaplen else len(data)
        if self._frames_in_file and self._writer.bytes_written + epb_size(caplen) > self.max_bytes:
            self._writer.close()
            self._writer = self._next_file()
        self._frames_in_file += 1
        return self._writer.write_frame(data, time, interface, orig_len)

    def write_secrets(self, data: bytes, secrets_type: int = SECRETS_TLS_KEYLOG) -> int:
        self._secrets.append((secrets_type, data))
        return self._writer.write_secrets(data, secrets_type)

    def flush(self) -> None:
        self._writer.flush()

    def close(self) -> None:
        self._writer.close()

    def __enter__(self) -> RingWriter:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class PcapWriter(_FileTarget):
    """Classic pcap: one link type, micro- or nanosecond timestamps, either byte order."""

    def __init__(
        self,
        target: Target,
        *,
        linktype: int = LINKTYPE_ETHERNET,
        snaplen: int = DEFAULT_SNAPLEN,
        nanosecond: bool = False,
        byteorder: str = "<",
    ) -> None:
        if byteorder not in ("<", ">"):
            raise ValueError("byteorder is '<' or '>'")
        super().__init__(target)
        self._order = byteorder
        self._per_second = 1_000_000_000 if nanosecond else 1_000_000
        self.snaplen = snaplen
        magic = 0xA1B23C4D if nanosecond else 0xA1B2C3D4
        self._write(struct.pack(byteorder + "IHHiIII", magic, 2, 4, 0, 0, snaplen, linktype))

    def write_frame(self, data: bytes, time: float, orig_len: int | None = None) -> int:
        if orig_len is None:
            orig_len = len(data)
        if self.snaplen and len(data) > self.snaplen:
            data = data[: self.snaplen]
        sec, frac = _split_time(time, self._per_second)
        record = struct.pack(self._order + "IIII", sec, frac, len(data), orig_len) + data
        self._write(record)
        return len(record)

    def __enter__(self) -> PcapWriter:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
