"""The pipeline's fast paths against its layer-tree path: the same records for every real frame.

``Decoder(fast=False)`` builds every record from the full layer trees (``layers.py`` and the one
dispatch in ``dissectors/dispatch.py``); the fast paths read header fields straight from the
bytes. Both must agree on every frame of every real capture, on the same frames re-framed as
802.1Q, Linux cooked (SLL) and SLL2, and at the frames where closed connections are evicted.
"""

from __future__ import annotations

import struct
from functools import cache
from pathlib import Path

import pytest

from tests.conftest import REAL, need_shared
from v2gsniff.sniffer.capture import CaptureError, open_capture
from v2gsniff.sniffer.model import (
    LINKTYPE_ETHERNET,
    LINKTYPE_LINUX_SLL,
    LINKTYPE_LINUX_SLL2,
    RawFrame,
    Record,
)
from v2gsniff.sniffer.pipeline import Decoder
from v2gsniff.sniffer.streams.connection import EVICT_EVERY

SUFFIXES = (".pcap", ".pcapng", ".dump")
CAPTURES = sorted(p.name for p in REAL.iterdir() if p.suffix in SUFFIXES) if REAL.is_dir() else ["(none)"]
# Captures with HomePlug, SDP, TCP, TLS with in-band keys and gaps between them.
REFRAMED = ["dsV2Gshark__ISO-2_DC_PnC_TLS_Contract_DS5366_RiseV2G.pcapng", "dsV2Gshark__DIN_DC_DS5366_Josev.pcapng",
            "everest-logfiles__Audi_Q4_dc-iso2.dump"]


@cache
def frames(name: str) -> tuple[object, ...]:
    items: list[object] = []
    try:
        with open_capture(REAL / name) as reader:
            items.extend(reader)
    except CaptureError:
        pass  # cut off: the frames before the cut count
    return tuple(items)


def decode(items: tuple[object, ...] | list[object], fast: bool) -> tuple[list[Record], list[int]]:
    """The records, and the frames at which closed connections were evicted."""
    decoder = Decoder(fast=fast)
    evicted: list[int] = []
    table = decoder.connections
    after = table.after_segment

    def watched(flags: int, frame: int) -> list[object]:
        out = after(flags, frame)
        if out:
            evicted.append(frame)
        return out  # type: ignore[return-value]

    table.after_segment = watched  # type: ignore[method-assign]
    out: list[Record] = []
    for item in items:
        out.extend(decoder.feed(item))  # type: ignore[arg-type]
    return out + decoder.finish(), evicted


@pytest.mark.parametrize("name", CAPTURES)
def test_fast_paths_and_layer_trees_give_the_same_records(name: str) -> None:
    need_shared()
    fast, evicted = decode(frames(name), fast=True)
    slow, evicted_slow = decode(frames(name), fast=False)
    assert fast == slow  # whole sequences: every field of every record, in order
    assert evicted == evicted_slow


def test_eviction_frames_are_exercised() -> None:
    """Connections are flushed at the 64th, 128th ... frame (not only at FIN/RST) in real captures."""
    need_shared()
    at_rhythm = [f for name in CAPTURES for f in decode(frames(name), fast=True)[1] if f % EVICT_EVERY == 0]
    assert len(at_rhythm) >= 2


def _vlan(f: RawFrame) -> RawFrame:
    d = f.data
    return f._replace(data=d[:12] + struct.pack("!HH", 0x8100, 5) + d[12:])


def _sll(f: RawFrame) -> RawFrame:
    d = f.data
    header = struct.pack("!HHH", 0, 1, 6) + d[6:12] + b"\0\0" + d[12:14]
    return f._replace(linktype=LINKTYPE_LINUX_SLL, data=header + d[14:])


def _sll2(f: RawFrame) -> RawFrame:
    d = f.data
    header = d[12:14] + b"\0\0" + struct.pack("!IHBB", 2, 1, 0, 6) + d[6:12] + b"\0\0"
    return f._replace(linktype=LINKTYPE_LINUX_SLL2, data=header + d[14:])


def _plain(records: list[Record], cooked: bool) -> list[Record]:
    """Records without what the link header alone decides (the frame bytes; the destination MAC,
    which cooked headers do not record)."""
    out = []
    for r in records:
        if r.linktype >= 0:
            r = r._replace(linktype=LINKTYPE_ETHERNET, data=b"")
            if cooked and r.kind in ("homeplug", "error"):
                r = r._replace(dst="")
        out.append(r)
    return out


@pytest.mark.parametrize("wrap", [_vlan, _sll, _sll2], ids=["vlan", "sll", "sll2"])
@pytest.mark.parametrize("name", REFRAMED)
def test_reframed_links_decode_like_ethernet_on_both_paths(name: str, wrap: object) -> None:
    need_shared()
    if not (REAL / name).exists():
        pytest.skip(f"{name} is absent")
    items = frames(name)
    wrapped = [wrap(x) if isinstance(x, RawFrame) else x for x in items]  # type: ignore[operator]
    fast, _ = decode(wrapped, fast=True)
    slow, _ = decode(wrapped, fast=False)
    assert fast == slow
    cooked = wrap is not _vlan
    assert _plain(fast, cooked) == _plain(decode(items, fast=True)[0], cooked)


def test_the_real_captures_are_there() -> None:
    need_shared()
    assert len(CAPTURES) > 50 and all((REAL / n).exists() for n in REFRAMED)
    assert Path(REAL / CAPTURES[0]).suffix in SUFFIXES
