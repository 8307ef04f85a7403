"""Classic libpcap files: a 24-byte file header, then 16-byte record headers and frame bytes.

Byte order and timestamp unit come from the magic number (written in the writer's order):
``a1b2c3d4`` microseconds, ``a1b23c4d`` nanoseconds, and ``a1b2cd34`` for the "modified"
format of old patched libpcaps, whose record headers carry 8 extra bytes.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

from v2gsniff.sniffer.model import DecryptionSecrets, RawFrame

from ._source import ReadAhead, Source
from .errors import CorruptCapture, TruncatedCapture

# magic as read little-endian -> (byte order, fraction divisor, record header size)
MAGICS: dict[int, tuple[str, int, int]] = {
    0xA1B2C3D4: ("<", 1_000_000, 16),
    0xD4C3B2A1: (">", 1_000_000, 16),
    0xA1B23C4D: ("<", 1_000_000_000, 16),
    0x4D3CB2A1: (">", 1_000_000_000, 16),
    0xA1B2CD34: ("<", 1_000_000, 24),
    0x34CDB2A1: (">", 1_000_000, 24),
}

# Frames bigger than this are not frames but a damaged length field (Wireshark's own
# limit is 256 KiB for Ethernet; a larger snaplen in the header raises ours).
MAX_FRAME = 256 * 1024
MAX_SNAPLEN_TRUSTED = 64 * 1024 * 1024


def is_pcap_magic(magic: bytes) -> bool:
    return len(magic) == 4 and struct.unpack("<I", magic)[0] in MAGICS


# Records built per frame skip the NamedTuple's generated ``__new__`` (a Python-level call) and
# make the tuple directly: same object, in field order.
_new = tuple.__new__


class PcapParser:
    """Parses one pcap stream whose 4 magic bytes were already read from ``src``."""

    format = "pcap"

    def __init__(self, src: Source, magic: bytes) -> None:
        self._src = src
        self._order, self._divisor, self._rec_size = MAGICS[struct.unpack("<I", magic)[0]]
        rest = src.read(20)
        if len(rest) < 20:
            raise TruncatedCapture(
                f"{src.ends_how()} inside the pcap file header (byte 4: {len(rest) + 4} of 24 bytes present)"
            )
        major, minor, _zone, _sigfigs, snaplen, network = struct.unpack(self._order + "HHiIII", rest)
        if major != 2:
            raise CorruptCapture(f"pcap file header has version {major}.{minor}; only 2.x exists")
        self.nanosecond = self._divisor == 1_000_000_000
        self.snaplen = snaplen
        # The top 6 bits of the link-type field carry FCS information, not the link type.
        self.linktype = network & 0x03FFFFFF
        self.linktypes: dict[int, int] = {0: self.linktype}
        self.frames = 0
        self._limit = max(MAX_FRAME, min(snaplen, MAX_SNAPLEN_TRUSTED))

    def items(self) -> Iterator[RawFrame | DecryptionSecrets]:
        try:
            yield from self._items()
        except OSError as err:
            raise self._src.read_error(err) from err

    def _items(self) -> Iterator[RawFrame | DecryptionSecrets]:
        src = self._src
        ahead = ReadAhead(src) if src.regular else None
        read = src.direct if ahead is None else ahead.read  # this loop keeps src.pos itself
        rec_size = self._rec_size
        unpack = struct.Struct(self._order + "IIII").unpack_from
        divisor = self._divisor
        linktype = self.linktype
        limit = self._limit
        while True:
            if ahead is not None:
                # Records lying whole in the read-ahead buffer are taken in place; one cut by the
                # buffer's end waits for the next chunk, and anything wrong goes the general way.
                buf, p, base = ahead.buf, ahead.p, ahead.base
                end = len(buf)
                short = True
                while p + rec_size <= end:
                    sec, frac, incl, orig = unpack(buf, p)
                    q = p + rec_size
                    r = q + incl
                    if incl > limit:
                        short = False
                        break
                    if r > end:
                        break
                    self.frames = frame = self.frames + 1
                    src.pos = base + r
                    p = r
                    yield _new(RawFrame, (frame, sec + frac / divisor, linktype, buf[q:r], orig, 0))
                ahead.p = p
                if short and ahead.fill():
                    continue
            start = src.pos
            header = read(rec_size)
            src.pos = start + len(header)
            if len(header) < rec_size:
                if not header and not src.cut:
                    return
                if not header:
                    raise TruncatedCapture(f"{src.ends_how()} after frame {self.frames} (byte {start})")
                raise TruncatedCapture(
                    f"{src.ends_how()} inside the record header of frame {self.frames + 1} "
                    f"(byte {start}: {len(header)} of {rec_size} bytes present)"
                )
            sec, frac, incl, orig = unpack(header)
            if incl > limit:
                raise CorruptCapture(
                    f"record header of frame {self.frames + 1} (byte {start}) says {incl} bytes, "
                    f"more than the limit of {limit}"
                )
            data = read(incl)
            src.pos = start + rec_size + len(data)
            if len(data) < incl:
                raise TruncatedCapture(
                    f"{src.ends_how()} inside frame {self.frames + 1} (byte {start}: record header "
                    f"says {incl} bytes, {len(data)} present)"
                )
            self.frames += 1
            yield RawFrame(self.frames, sec + frac / divisor, linktype, data, orig, 0)
