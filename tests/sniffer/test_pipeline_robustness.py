"""Bad input never breaks the pipeline: mutated real frames give specific errors, never internal ones.

Every frame of a real session is damaged (bytes flipped, cut short, extended) and fed in order;
the pipeline must return records for what it can decode, errors that say what is wrong, and no
"internal error" (that would mean an exception escaped a dissector).
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from v2gsniff.sniffer.capture import open_capture
from v2gsniff.sniffer.model import RawFrame
from v2gsniff.sniffer.pipeline import Decoder

CAPTURES = Path(__file__).resolve().parents[2] / "captures"


def _mutate(rng: random.Random, data: bytes) -> bytes:
    b = bytearray(data)
    roll = rng.random()
    if roll < 0.5 and b:
        for _ in range(rng.randint(1, 4)):
            b[rng.randrange(len(b))] ^= 1 << rng.randrange(8)
    elif roll < 0.75:
        del b[rng.randrange(len(b) + 1) :]
    else:
        b += rng.randbytes(rng.randint(1, 64))
    return bytes(b)


@pytest.mark.parametrize("name", ["din_dc.pcapng", "iso20_tls13.pcapng", "iso2_ac.pcapng"])
@pytest.mark.parametrize("seed", range(4))
def test_damaged_frames_give_specific_errors(name: str, seed: int) -> None:
    rng = random.Random(seed)
    with open_capture(CAPTURES / name) as reader:
        items = list(reader)
    dec = Decoder()
    records = []
    for item in items:
        if isinstance(item, RawFrame) and rng.random() < 0.3:
            item = item._replace(data=_mutate(rng, item.data))
        records += dec.feed(item)
    records += dec.finish()
    internal = [(r.frame, r.error) for r in records if r.error and "internal error" in r.error]
    assert internal == []
    assert records, "undamaged frames must still decode"
    assert any(r.kind == "homeplug" and r.error is None for r in records)


def test_random_garbage_frames() -> None:
    rng = random.Random(7)
    dec = Decoder()
    records = []
    for i in range(1, 3001):
        size = rng.randint(0, 200)
        data = rng.randbytes(size)
        if i % 3 == 0 and size > 14:  # make the Ethernet type plausible so deeper layers run
            data = data[:12] + rng.choice([b"\x86\xdd", b"\x88\xe1", b"\x81\x00"]) + data[14:]
        if i % 5 == 0 and size > 60:  # IPv6 next header TCP/UDP/ICMPv6
            data = data[:12] + b"\x86\xdd\x60" + data[15:20] + rng.choice([b"\x06", b"\x11", b"\x3a"]) + data[21:]
        records += dec.feed(RawFrame(i, float(i), 1, data))
    records += dec.finish()
    assert [(r.frame, r.error) for r in records if r.error and "internal error" in r.error] == []
