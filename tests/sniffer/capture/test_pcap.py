"""Classic pcap files assembled byte by byte, in both byte orders and both time units."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from v2gsniff.sniffer.capture import CorruptCapture, TruncatedCapture, open_capture
from v2gsniff.sniffer.commands.exits import exit_code_for
from v2gsniff.sniffer.model import RawFrame

FRAMES = [
    (1_700_000_000, 123_456, bytes(range(60))),
    (1_700_000_001, 999_999, b"\xaa" * 14 + b"\x01\x02"),
    (1_700_000_002, 0, b""),
    (1_700_000_003, 500_000, bytes(1514)),
]


def pcap_bytes(order: str, nano: bool, frames=FRAMES, linktype: int = 1, modified: bool = False) -> bytes:
    magic = 0xA1B2CD34 if modified else (0xA1B23C4D if nano else 0xA1B2C3D4)
    out = struct.pack(order + "IHHiIII", magic, 2, 4, 0, 0, 65535, linktype)
    for sec, frac, data in frames:
        out += struct.pack(order + "IIII", sec, frac, len(data), len(data) + 4)
        if modified:
            out += struct.pack(order + "IHBB", 3, 0x0800, 0, 0)
        out += data
    return out


def read_all(path: Path) -> list[RawFrame]:
    with open_capture(path) as r:
        items = list(r)
    assert all(isinstance(i, RawFrame) for i in items)
    return items  # type: ignore[return-value]


@pytest.mark.parametrize("order", ["<", ">"])
@pytest.mark.parametrize("nano", [False, True])
def test_reads_both_byte_orders_and_time_units(tmp_path: Path, order: str, nano: bool) -> None:
    path = tmp_path / "x.bin"
    path.write_bytes(pcap_bytes(order, nano))
    with open_capture(path) as r:
        assert r.format == "pcap" and r.gzip is False and r.linktypes == {0: 1}
        assert r.size == len(path.read_bytes())
        frames = list(r)
        assert r.frames_read == 4 and r.bytes_read == r.size
    assert [f.index for f in frames] == [1, 2, 3, 4]
    divisor = 1e9 if nano else 1e6
    for f, (sec, frac, data) in zip(frames, FRAMES, strict=True):
        assert isinstance(f, RawFrame)
        assert f.data == data and f.orig_len == len(data) + 4 and f.linktype == 1 and f.interface == 0
        assert f.time == pytest.approx(sec + frac / divisor, abs=1e-9)


def test_nanosecond_digits_survive(tmp_path: Path) -> None:
    path = tmp_path / "n.pcap"
    path.write_bytes(pcap_bytes("<", True, [(10, 123_456_789, b"x")]))
    assert read_all(path)[0].time == pytest.approx(10.123456789, abs=1e-12)


def test_modified_pcap_record_headers(tmp_path: Path) -> None:
    path = tmp_path / "m.pcap"
    path.write_bytes(pcap_bytes("<", False, modified=True))
    assert [f.data for f in read_all(path)] == [d for _, _, d in FRAMES]


def test_fcs_bits_are_not_part_of_the_link_type(tmp_path: Path) -> None:
    path = tmp_path / "f.pcap"
    path.write_bytes(pcap_bytes("<", False, linktype=(1 << 28) | (4 << 29) | 113))
    frames = read_all(path)
    assert {f.linktype for f in frames} == {113}


def test_empty_capture_has_no_frames(tmp_path: Path) -> None:
    path = tmp_path / "e.pcap"
    path.write_bytes(pcap_bytes(">", False, frames=[]))
    assert read_all(path) == []


@pytest.mark.parametrize("order", ["<", ">"])
def test_every_cut_point_yields_complete_frames_then_truncated(tmp_path: Path, order: str) -> None:
    full = pcap_bytes(order, False)
    ends = []  # byte offset where each frame's record ends
    pos = 24
    for _, _, data in FRAMES:
        pos += 16 + len(data)
        ends.append(pos)
    path = tmp_path / "t.pcap"
    for cut in range(4, len(full)):
        path.write_bytes(full[:cut])
        got: list[RawFrame] = []
        if cut < 24:
            with pytest.raises(TruncatedCapture, match="pcap file header"):
                open_capture(path)
            continue
        with open_capture(path) as r:
            if cut in ends or cut == 24:
                got = list(r)  # type: ignore[arg-type]
            else:
                with pytest.raises(TruncatedCapture) as info:
                    for f in r:
                        got.append(f)  # type: ignore[arg-type]
                n = len(got)
                assert f"frame {n + 1}" in str(info.value)
                assert f"byte {24 if n == 0 else ends[n - 1]}" in str(info.value)
        complete = sum(1 for e in ends if e <= cut)
        assert [f.data for f in got] == [d for _, _, d in FRAMES[:complete]]


def test_truncation_message_names_sizes(tmp_path: Path) -> None:
    path = tmp_path / "t.pcap"
    path.write_bytes(pcap_bytes("<", False)[: 24 + 16 + 60 + 16 + 5])
    with open_capture(path) as r, pytest.raises(TruncatedCapture) as info:
        list(r)
    assert str(info.value) == "file ends inside frame 2 (byte 100: record header says 16 bytes, 5 present)"
    assert exit_code_for(info.value) == 5


def test_impossible_record_length_is_corrupt(tmp_path: Path) -> None:
    data = bytearray(pcap_bytes("<", False))
    struct.pack_into("<I", data, 24 + 16 + 60 + 8, 0x7FFFFFFF)
    path = tmp_path / "c.pcap"
    path.write_bytes(bytes(data))
    got = []
    with open_capture(path) as r, pytest.raises(CorruptCapture, match="frame 2 .*2147483647") as info:
        for f in r:
            got.append(f)
    assert len(got) == 1 and exit_code_for(info.value) == 6


def test_unknown_major_version_is_corrupt(tmp_path: Path) -> None:
    data = bytearray(pcap_bytes("<", False))
    struct.pack_into("<H", data, 4, 7)
    path = tmp_path / "v.pcap"
    path.write_bytes(bytes(data))
    with pytest.raises(CorruptCapture, match="version 7"):
        open_capture(path)
