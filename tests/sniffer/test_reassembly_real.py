"""Reassembly under damage: real captures with TCP segments shuffled, duplicated and dropped.

Every V2GTP message whose bytes were not dropped must still come out, and the bytes that
are really missing (dropped and not carried by any other segment) must be reported as gaps,
exactly.
"""

from __future__ import annotations

import random
import struct

import pytest

from tests.conftest import REAL, need_shared
from v2gsniff.sniffer.capture import open_capture
from v2gsniff.sniffer.model import RawFrame, Record
from v2gsniff.sniffer.pipeline import Decoder

CAPTURES = [
    "ccs32__2023-04-05_wt32_alpi_first_charge.pcapng",
    "everest-logfiles__BMW_iX_fw_11_2022.64_iso_15118-2_2023-03-30T06-29-19.281Z_iso2.dump",
    "pyPLC__2022-12-13_compleo_powerdelivery230_no_load.pcapng",
]


def _tcp_info(f: RawFrame) -> tuple[tuple[str, str], int, int, int] | None:
    """((src, dst) endpoints, seq, flags, payload length) of an Ethernet/IPv6/TCP frame."""
    d = f.data
    if len(d) < 74 or d[12:14] != b"\x86\xdd" or d[20] != 6:
        return None
    import ipaddress

    src = f"[{ipaddress.IPv6Address(d[22:38])}]:{struct.unpack_from('!H', d, 54)[0]}"
    dst = f"[{ipaddress.IPv6Address(d[38:54])}]:{struct.unpack_from('!H', d, 56)[0]}"
    seq = struct.unpack_from("!I", d, 58)[0]
    flags = d[67]
    plen = struct.unpack_from("!H", d, 18)[0] - (d[66] >> 4) * 4
    return (src, dst), seq, flags, plen


def _decode(frames: list[RawFrame]) -> list[Record]:
    dec = Decoder()
    out: list[Record] = []
    for f in frames:
        out.extend(dec.feed(f))
    return out + dec.finish()


def _intervals_union(ivs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for a, b in sorted(ivs):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        elif b > a:
            out.append((a, b))
    return out


def _subtract(a: list[tuple[int, int]], b: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out = []
    for x0, x1 in a:
        cur = x0
        for y0, y1 in b:
            if y1 <= cur or y0 >= x1:
                continue
            if y0 > cur:
                out.append((cur, y0))
            cur = max(cur, y1)
        if cur < x1:
            out.append((cur, x1))
    return out


@pytest.mark.parametrize("name", CAPTURES)
@pytest.mark.parametrize("seed", [1, 2])
def test_damaged_stream_keeps_every_untouched_message(name: str, seed: int) -> None:
    need_shared()
    with open_capture(REAL / name) as reader:
        frames = [f for f in reader if isinstance(f, RawFrame)]
    baseline = [r for r in _decode(frames) if r.kind == "v2g"]
    assert baseline

    rng = random.Random(seed)
    base_seq: dict[tuple[str, str], int] = {}
    ranges: dict[tuple[str, str], list[tuple[int, int]]] = {}
    damaged: list[RawFrame] = []
    dropped: dict[tuple[str, str], list[tuple[int, int]]] = {}
    kept: dict[tuple[str, str], list[tuple[int, int]]] = {}
    for f in frames:
        info = _tcp_info(f)
        if info is None:
            damaged.append(f)
            continue
        key, seq, flags, plen = info
        if flags & 0x02:
            base_seq.setdefault(key, seq + 1)
        if plen > 0 and key in base_seq:
            iv = ((seq - base_seq[key]) % (1 << 32), (seq - base_seq[key]) % (1 << 32) + plen)
            ranges.setdefault(key, []).append(iv)
            if not flags & 0x07 and rng.random() < 0.03:
                dropped.setdefault(key, []).append(iv)
                continue
            kept.setdefault(key, []).append(iv)
            if rng.random() < 0.05:
                damaged.append(f._replace())  # duplicate (a retransmission)
        damaged.append(f)
    # local reordering: swap neighbours now and then
    for i in range(len(damaged) - 1):
        if rng.random() < 0.05:
            damaged[i], damaged[i + 1] = damaged[i + 1], damaged[i]
    assert dropped, "the seed must drop something"

    missing = {k: _subtract(_intervals_union(v), _intervals_union(kept.get(k, []))) for k, v in dropped.items()}
    records = _decode(damaged)
    gaps: dict[tuple[str, str], list[tuple[int, int]]] = {}
    for r in records:
        if r.kind == "gap":
            off, n = r.fields["stream_offset"], r.fields["missing_bytes"]
            gaps.setdefault((r.src, r.dst), []).append((off, off + n))
    assert {k: _intervals_union(v) for k, v in gaps.items()} == {k: v for k, v in missing.items() if v}

    got = {(r.src, r.dst, r.extra["offset"], r.extra["exi_hex"]) for r in records if r.kind == "v2g"}
    for m in baseline:
        key = (m.src, m.dst)
        start = m.extra["offset"]
        end = start + len(m.data)
        touched = any(a < end and start < b for a, b in missing.get(key, []))
        if not touched:
            assert (m.src, m.dst, start, m.extra["exi_hex"]) in got, f"message at frame {m.frame} lost"
