"""pcapng files: a sequence of blocks, each ``type, total length, body, total length``.

A Section Header Block (SHB) starts each section and fixes its byte order; Interface
Description Blocks (IDB) define interfaces numbered from 0 within the section; packets come
in Enhanced (EPB), Simple (SPB) or obsolete Packet Blocks; Decryption Secrets Blocks (DSB)
carry key material. Every other block type (name resolution, statistics, custom) is skipped.

Interfaces are numbered across the whole file (a second section's first interface follows
the first section's last one), as Wireshark numbers them; a frame's ``interface`` is that
global number.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from typing import NamedTuple

from v2gsniff.sniffer.model import DecryptionSecrets, RawFrame

from ._source import ReadAhead, Source
from .errors import CorruptCapture, TruncatedCapture

SHB_TYPE = 0x0A0D0D0A
BYTE_ORDER_MAGIC = 0x1A2B3C4D
IDB, PB, SPB, EPB, DSB = 0x01, 0x02, 0x03, 0x06, 0x0A
SECRETS_TLS_KEYLOG = 0x544C534B
"""DSB secrets type of an NSS key log ("TLSK")."""
OPT_IF_NAME, OPT_IF_TSRESOL, OPT_IF_TSOFFSET = 2, 9, 14

# No legitimate block comes near this; a bigger length field is damage, and refusing it
# keeps memory bounded whatever the file says.
MAX_BLOCK = 64 * 1024 * 1024

_BLOCK_NAMES = {
    IDB: "interface description",
    PB: "packet",
    SPB: "simple packet",
    EPB: "enhanced packet",
    DSB: "decryption secrets",
    0x04: "name resolution",
    0x05: "interface statistics",
    SHB_TYPE: "section header",
}


class Interface(NamedTuple):
    number: int
    """Global interface number (over all sections)."""
    linktype: int
    snaplen: int
    divisor: int
    """Timestamp units per second (10**n or 2**n, from if_tsresol)."""
    offset: int
    """Seconds added to every timestamp (if_tsoffset)."""
    name: str | None


def block_name(block_type: int) -> str:
    return _BLOCK_NAMES.get(block_type, f"0x{block_type:08x}")


def parse_options(body: bytes, start: int, end: int, order: str) -> Iterator[tuple[int, bytes]]:
    """Options as (code, value) until opt_endofopt or the end; a malformed tail is ignored."""
    head = struct.Struct(order + "HH")
    pos = start
    while pos + 4 <= end:
        code, length = head.unpack_from(body, pos)
        if code == 0:
            return
        value_end = pos + 4 + length
        if value_end > end:
            return
        yield code, body[pos + 4 : value_end]
        pos = value_end + (-length % 4)


def _interface(number: int, body: bytes, order: str) -> Interface:
    """IDB body here starts at the link type (after the 8-byte block header)."""
    linktype, _reserved, snaplen = struct.unpack_from(order + "HHI", body, 0)
    divisor, offset, name = 1_000_000, 0, None
    for code, value in parse_options(body, 8, len(body) - 4, order):
        if code == OPT_IF_TSRESOL and len(value) >= 1:
            exp = value[0] & 0x7F
            divisor = (1 << exp) if value[0] & 0x80 else 10**exp
        elif code == OPT_IF_TSOFFSET and len(value) == 8:
            offset = struct.unpack(order + "q", value)[0]
        elif code == OPT_IF_NAME:
            name = value.rstrip(b"\0").decode("utf-8", "replace")
    return Interface(number, linktype, snaplen, divisor, offset, name)


# Records built per frame skip the NamedTuple's generated ``__new__`` (a Python-level call) and
# make the tuple directly: same object, in field order.
_new = tuple.__new__


class PcapngParser:
    """Parses a pcapng stream whose first 4 bytes (the SHB type) were already read."""

    format = "pcapng"

    def __init__(self, src: Source) -> None:
        self._src = src
        self.frames = 0
        self.linktypes: dict[int, int] = {}
        self.interfaces: list[Interface] = []
        self.sections = 0
        self._section: list[Interface] = []
        self._order = "<"
        self._read = src.read
        """Reads for the section header: the source's, or the read-ahead buffer's once frames are read."""
        self._read_shb(0)

    def _truncated(self, start: int, block_type: int, length: int, present: int) -> TruncatedCapture:
        how = self._src.ends_how()
        detail = f"byte {start}: block header says {length} bytes, {present} present"
        if block_type in (EPB, SPB, PB):
            return TruncatedCapture(f"{how} inside frame {self.frames + 1} ({detail})")
        return TruncatedCapture(
            f"{how} inside a {block_name(block_type)} block after frame {self.frames} ({detail})"
        )

    def _check_length(self, start: int, block_type: int, length: int, minimum: int) -> None:
        if length < minimum or length % 4 or length > MAX_BLOCK:
            raise CorruptCapture(
                f"impossible length {length} for a {block_name(block_type)} block at byte {start} "
                f"(after frame {self.frames})"
            )

    def _read_shb(self, start: int, got: bytes = b"") -> None:
        """Read the rest of a section header block whose type field started at ``start``.

        ``got`` holds bytes after the type field that were read already.
        """
        head = got + self._read(8 - len(got))
        if len(head) < 8:
            raise self._truncated(start, SHB_TYPE, 0, 4 + len(head))
        if head[4:] == b"\x4d\x3c\x2b\x1a":
            order = "<"
        elif head[4:] == b"\x1a\x2b\x3c\x4d":
            order = ">"
        else:
            raise CorruptCapture(
                f"section header at byte {start} has byte-order magic {head[4:].hex(' ')}, "
                "expected 1a 2b 3c 4d in either order"
            )
        length = struct.unpack(order + "I", head[:4])[0]
        self._check_length(start, SHB_TYPE, length, 28)
        body = self._read(length - 12)
        if len(body) < length - 12:
            raise self._truncated(start, SHB_TYPE, length, 12 + len(body))
        major, minor = struct.unpack_from(order + "HH", body, 0)
        if major != 1:
            raise CorruptCapture(
                f"section header at byte {start} has version {major}.{minor}; only 1.x exists"
            )
        self._check_trailer(start, SHB_TYPE, length, body, order)
        self._order = order
        self._section = []
        self.sections += 1

    def _check_trailer(self, start: int, block_type: int, length: int, body: bytes, order: str) -> None:
        trailer = struct.unpack_from(order + "I", body, len(body) - 4)[0]
        if trailer != length:
            raise CorruptCapture(
                f"{block_name(block_type)} block at byte {start} ends with length {trailer}, "
                f"starts with {length}"
            )

    def _iface(self, index: int, start: int, block_type: int) -> Interface:
        if index >= len(self._section):
            raise CorruptCapture(
                f"{block_name(block_type)} block at byte {start} (frame {self.frames + 1}) names "
                f"interface {index}, but its section defines {len(self._section)}"
            )
        return self._section[index]

    def items(self) -> Iterator[RawFrame | DecryptionSecrets]:
        try:
            yield from self._items()
        except OSError as err:
            raise self._src.read_error(err) from err

    def _items(self) -> Iterator[RawFrame | DecryptionSecrets]:
        src = self._src
        ahead = ReadAhead(src) if src.regular else None
        if ahead is not None:
            self._read = ahead.read
        read = src.direct if ahead is None else ahead.read  # this loop keeps src.pos itself
        last_time = 0.0
        while True:
            order = self._order
            head_u = struct.Struct(order + "II").unpack_from
            epb_u = struct.Struct(order + "IIIII").unpack_from
            # an EPB's block header and fixed fields in one call (type, length, interface, time, lengths)
            block_u = struct.Struct(order + "IIIIIII").unpack_from
            trailer_u = struct.Struct(order + "I").unpack_from
            section = self._section
            while True:
                if ahead is not None:
                    # EPBs lying whole in the read-ahead buffer are taken in place; one cut by the
                    # buffer's end waits for the next chunk; other blocks and damage go the general way.
                    buf, p = ahead.buf, ahead.p
                    end = len(buf)
                    short = True
                    frame = self.frames
                    # the position counts the whole buffer as read (it is, from the file): exact
                    # again below, where a block goes the general way or damage is reported
                    src.pos = ahead.base + end
                    while p + 32 <= end:
                        block_type, length, index, hi, lo, caplen, orig = block_u(buf, p)
                        if block_type != EPB or length < 32 or length & 3 or length > MAX_BLOCK:
                            short = False
                            break
                        q = p + length
                        if q > end:
                            break
                        if caplen > length - 32 or index >= len(section) or trailer_u(buf, q - 4)[0] != length:
                            short = False
                            break
                        number, linktype, _, divisor, offset, _ = section[index]
                        last_time = ((hi << 32) | lo) / divisor + offset
                        frame += 1
                        self.frames = frame
                        yield _new(RawFrame, (frame, last_time, linktype, buf[p + 28 : p + 28 + caplen], orig, number))
                        p = q
                    ahead.p = p
                    src.pos = ahead.base + p
                    if short and ahead.fill():
                        continue
                start = src.pos
                head = read(8)
                src.pos = start + len(head)
                if len(head) < 8:
                    if not head and not src.cut:
                        return
                    if not head:
                        raise TruncatedCapture(f"{src.ends_how()} after frame {self.frames} (byte {start})")
                    raise TruncatedCapture(
                        f"{src.ends_how()} inside a block header after frame {self.frames} "
                        f"(byte {start}: {len(head)} of 8 bytes present)"
                    )
                block_type, length = head_u(head)
                if block_type == SHB_TYPE:
                    # The length is in the new section's byte order, known after its magic.
                    break
                if length < 12 or length & 3 or length > MAX_BLOCK:  # _check_length's test, inlined
                    self._check_length(start, block_type, length, 12)
                body = read(length - 8)
                src.pos = start + 8 + len(body)
                if len(body) < length - 8:
                    raise self._truncated(start, block_type, length, 8 + len(body))
                if body[-4:] != head[4:]:
                    self._check_trailer(start, block_type, length, body, order)
                if block_type == EPB:
                    if length < 32:
                        self._check_length(start, block_type, length, 32)
                    index, hi, lo, caplen, orig = epb_u(body, 0)
                    if caplen > length - 32:
                        raise CorruptCapture(
                            f"enhanced packet block at byte {start} (frame {self.frames + 1}) says "
                            f"{caplen} captured bytes but holds at most {length - 32}"
                        )
                    iface = section[index] if index < len(section) else self._iface(index, start, EPB)
                    number, linktype, _, divisor, offset, _ = iface
                    last_time = ((hi << 32) | lo) / divisor + offset
                    self.frames = frame = self.frames + 1
                    yield RawFrame(frame, last_time, linktype, body[20 : 20 + caplen], orig, number)
                elif block_type == SPB:
                    self._check_length(start, block_type, length, 16)
                    iface = self._iface(0, start, SPB)
                    orig = struct.unpack_from(order + "I", body, 0)[0]
                    caplen = min(orig, length - 16)
                    if iface.snaplen:
                        caplen = min(caplen, iface.snaplen)
                    self.frames += 1
                    yield RawFrame(
                        self.frames, last_time, iface.linktype, body[4 : 4 + caplen], orig, iface.number
                    )
                elif block_type == IDB:
                    self._check_length(start, block_type, length, 20)
                    iface = _interface(len(self.interfaces), body, order)
                    section.append(iface)
                    self.interfaces.append(iface)
                    self.linktypes[iface.number] = iface.linktype
                elif block_type == DSB:
                    self._check_length(start, block_type, length, 20)
                    secrets_type, size = struct.unpack_from(order + "II", body, 0)
                    if size > length - 20:
                        raise CorruptCapture(
                            f"decryption secrets block at byte {start} says {size} bytes of secrets "
                            f"but holds at most {length - 20}"
                        )
                    yield DecryptionSecrets(secrets_type, body[8 : 8 + size], self.frames)
                elif block_type == PB:
                    self._check_length(start, block_type, length, 32)
                    index, _drops, hi, lo, caplen, orig = struct.unpack_from(order + "HHIIII", body, 0)
                    if caplen > length - 32:
                        raise CorruptCapture(
                            f"packet block at byte {start} (frame {self.frames + 1}) says "
                            f"{caplen} captured bytes but holds at most {length - 32}"
                        )
                    iface = self._iface(index, start, PB)
                    last_time = ((hi << 32) | lo) / iface.divisor + iface.offset
                    self.frames += 1
                    yield RawFrame(
                        self.frames, last_time, iface.linktype, body[20 : 20 + caplen], orig, iface.number
                    )
                # any other block type: skipped (its length has been checked)
            self._read_shb(start, head[4:])
