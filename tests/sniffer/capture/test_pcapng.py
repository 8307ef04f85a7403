"""pcapng files assembled block by block, in both byte orders."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from v2gsniff.sniffer.capture import CorruptCapture, TruncatedCapture, open_capture
from v2gsniff.sniffer.commands.exits import exit_code_for
from v2gsniff.sniffer.model import DecryptionSecrets, RawFrame


def pad(b: bytes) -> bytes:
    return b + b"\0" * (-len(b) % 4)


def block(o: str, btype: int, body: bytes) -> bytes:
    body = pad(body)
    return struct.pack(o + "II", btype, 12 + len(body)) + body + struct.pack(o + "I", 12 + len(body))


def opts(o: str, *items: tuple[int, bytes]) -> bytes:
    return b"".join(struct.pack(o + "HH", c, len(v)) + pad(v) for c, v in items) + b"\0\0\0\0"


def shb(o: str) -> bytes:
    return block(o, 0x0A0D0D0A, struct.pack(o + "IHHq", 0x1A2B3C4D, 1, 0, -1) + opts(o, (4, b"hand")))


def idb(o: str, linktype: int = 1, snaplen: int = 0, *options: tuple[int, bytes]) -> bytes:
    return block(o, 1, struct.pack(o + "HHI", linktype, 0, snaplen) + (opts(o, *options) if options else b""))


def epb(o: str, iface: int, ts: int, data: bytes, orig: int | None = None) -> bytes:
    head = struct.pack(
        o + "IIIII", iface, ts >> 32, ts & 0xFFFFFFFF, len(data), len(data) if orig is None else orig
    )
    return block(o, 6, head + pad(data) + opts(o, (1, b"a comment")))


def spb(o: str, data: bytes, orig: int | None = None) -> bytes:
    return block(o, 3, struct.pack(o + "I", len(data) if orig is None else orig) + data)


def pb(o: str, iface: int, ts: int, data: bytes) -> bytes:
    head = struct.pack(o + "HHIIII", iface, 0, ts >> 32, ts & 0xFFFFFFFF, len(data), len(data))
    return block(o, 2, head + data)


def dsb(o: str, stype: int, data: bytes) -> bytes:
    return block(o, 0x0A, struct.pack(o + "II", stype, len(data)) + data)


def items_of(path: Path) -> list[RawFrame | DecryptionSecrets]:
    with open_capture(path) as r:
        return list(r)


def frames_of(path: Path) -> list[RawFrame]:
    return [i for i in items_of(path) if isinstance(i, RawFrame)]


def write(tmp_path: Path, data: bytes, name: str = "x.pcapng") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("o", ["<", ">"])
def test_interfaces_resolutions_and_packet_kinds(tmp_path: Path, o: str) -> None:
    nrb = block(o, 4, struct.pack(o + "HH", 1, 8) + bytes([10, 0, 0, 1]) + b"host" + b"\0" * 4)
    isb = block(o, 5, struct.pack(o + "III", 0, 0, 0))
    custom = block(o, 0x00000BAD, struct.pack(o + "I", 32473) + b"private")
    data = b"".join(
        [
            shb(o),
            idb(o, 1, 0),  # default microseconds
            idb(o, 113, 0, (2, b"any"), (9, bytes([3]))),  # milliseconds
            idb(o, 276, 0, (9, bytes([0x80 | 10])), (14, struct.pack(o + "q", 1_000_000))),  # 2^-10 s, +1e6 s
            nrb,
            epb(o, 0, 1_700_000_000_250_000, b"eth frame"),
            epb(o, 1, 1_700_000_000_500, b"sll frame", orig=100),
            custom,
            epb(o, 2, 1024 * 5 + 512, b"sll2 frame"),
            isb,
            pb(o, 0, 1_700_000_001_000_000, b"old packet block"),
            spb(o, b"simple"),
        ]
    )
    path = write(tmp_path, data)
    with open_capture(path) as r:
        assert r.format == "pcapng"
        assert r.linktypes == {0: 1, 1: 113, 2: 276}  # known before the first frame
        frames = list(r)
    assert all(isinstance(f, RawFrame) for f in frames)
    assert [f.index for f in frames] == [1, 2, 3, 4, 5]  # type: ignore[union-attr]
    assert [(f.data, f.linktype, f.interface) for f in frames] == [  # type: ignore[union-attr]
        (b"eth frame", 1, 0),
        (b"sll frame", 113, 1),
        (b"sll2 frame", 276, 2),
        (b"old packet block", 1, 0),
        (b"simple", 1, 0),
    ]
    times = [f.time for f in frames]  # type: ignore[union-attr]
    assert times[0] == pytest.approx(1_700_000_000.25, abs=1e-7)
    assert times[1] == pytest.approx(1_700_000_000.5, abs=1e-7)
    assert times[2] == pytest.approx(1_000_000 + 5.5, abs=1e-9)
    assert times[3] == pytest.approx(1_700_000_001.0, abs=1e-7)
    assert times[4] == times[3]  # SPB has no timestamp: the previous frame's
    assert frames[1].orig_len == 100  # type: ignore[union-attr]


@pytest.mark.parametrize("o", ["<", ">"])
def test_nanosecond_resolution(tmp_path: Path, o: str) -> None:
    path = write(
        tmp_path, shb(o) + idb(o, 1, 0, (9, bytes([9]))) + epb(o, 0, 1_700_000_000_123_456_789, b"x")
    )
    assert frames_of(path)[0].time == pytest.approx(1_700_000_000.123456789, abs=1e-6)
    path = write(tmp_path, shb(o) + idb(o, 1, 0, (9, bytes([9]))) + epb(o, 0, 1_123_456_789, b"x"))
    assert frames_of(path)[0].time == pytest.approx(1.123456789, abs=1e-12)


def test_simple_packet_block_is_cut_to_snaplen_and_starts_at_time_zero(tmp_path: Path) -> None:
    path = write(tmp_path, shb("<") + idb("<", 1, 4) + spb("<", b"abcdefgh", orig=8) + spb("<", b"xyz"))
    frames = frames_of(path)
    assert [(f.data, f.orig_len, f.time) for f in frames] == [(b"abcd", 8, 0.0), (b"xyz", 3, 0.0)]


@pytest.mark.parametrize("o", ["<", ">"])
def test_decryption_secrets_come_in_file_order(tmp_path: Path, o: str) -> None:
    keys = b"CLIENT_RANDOM 0011 2233\n"
    data = shb(o) + idb(o) + dsb(o, 0x544C534B, keys) + epb(o, 0, 1, b"a") + epb(o, 0, 2, b"b")
    data += dsb(o, 0x544C534B, b"SERVER_HANDSHAKE_TRAFFIC_SECRET x y\n")
    items = items_of(write(tmp_path, data))
    assert items[0] == DecryptionSecrets(0x544C534B, keys, 0)
    assert isinstance(items[3], DecryptionSecrets) and items[3].after_frame == 2
    assert items[3].data == b"SERVER_HANDSHAKE_TRAFFIC_SECRET x y\n"


def test_new_section_resets_interfaces_and_byte_order(tmp_path: Path) -> None:
    data = shb("<") + idb("<", 1) + epb("<", 0, 1_000_000, b"first")
    data += shb(">") + idb(">", 113) + idb(">", 1, 0, (9, bytes([9]))) + epb(">", 1, 7_000_000_000, b"second")
    data += epb(">", 0, 3_000_000, b"third")
    path = write(tmp_path, data)
    with open_capture(path) as r:
        frames = list(r)
        assert r.linktypes == {0: 1, 1: 113, 2: 1}
    assert [(f.index, f.data, f.interface, f.linktype, f.time) for f in frames] == [  # type: ignore[union-attr]
        (1, b"first", 0, 1, 1.0),
        (2, b"second", 2, 1, 7.0),
        (3, b"third", 1, 113, 3.0),
    ]


def test_interface_of_an_earlier_section_is_not_reachable(tmp_path: Path) -> None:
    data = shb("<") + idb("<", 1) + idb("<", 1) + shb("<") + idb("<", 1) + epb("<", 1, 0, b"x")
    with pytest.raises(CorruptCapture, match="names interface 1, but its section defines 1"):
        items_of(write(tmp_path, data))


@pytest.mark.parametrize("o", ["<", ">"])
def test_every_cut_point_yields_complete_frames_then_truncated(tmp_path: Path, o: str) -> None:
    blocks = [shb(o), idb(o), epb(o, 0, 1, b"one"), dsb(o, 1, b"k"), epb(o, 0, 2, b"two" * 30), spb(o, b"3")]
    full = b"".join(blocks)
    ends, pos = [], 0
    for b in blocks:
        pos += len(b)
        ends.append(pos)
    path = tmp_path / "cut.pcapng"
    for cut in range(4, len(full)):
        path.write_bytes(full[:cut])
        if cut < ends[0]:
            with pytest.raises(TruncatedCapture, match="section header"):
                open_capture(path)
            continue
        got: list[RawFrame | DecryptionSecrets] = []
        with open_capture(path) as r:
            if cut in ends:
                got = list(r)
            else:
                with pytest.raises(TruncatedCapture) as info:
                    for item in r:
                        got.append(item)
                start = max(e for e in ends if e <= cut)
                assert f"byte {start}" in str(info.value)
        complete = [b for b, e in zip(blocks, ends, strict=True) if e <= cut]
        assert len(got) == sum(1 for b in complete if b in blocks[2:])
    with open_capture(path) as r, pytest.raises(TruncatedCapture) as info:
        list(r)
    last = len(full) - len(blocks[-1])
    assert (
        str(info.value) == f"file ends inside frame 3 (byte {last}: block header says 20 bytes, 19 present)"
    )


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda b: b[:4] + struct.pack("<I", 13) + b[8:], "impossible length 13"),
        (lambda b: b[:4] + struct.pack("<I", 8) + b[8:], "impossible length 8"),
        (lambda b: b[:-4] + struct.pack("<I", 999), "ends with length 999, starts with"),
        (lambda b: b[:20] + struct.pack("<I", 200) + b[24:], "says 200 captured bytes"),
        (lambda b: b[:8] + struct.pack("<I", 5) + b[12:], "names interface 5"),
    ],
)
def test_corrupt_blocks(tmp_path: Path, damage: object, message: str) -> None:
    bad = damage(epb("<", 0, 1, b"payload!"))  # type: ignore[operator]
    data = shb("<") + idb("<") + epb("<", 0, 1, b"ok") + bad
    got = []
    with open_capture(write(tmp_path, data)) as r, pytest.raises(CorruptCapture, match=message) as info:
        for item in r:
            got.append(item)
    assert len(got) == 1 and exit_code_for(info.value) == 6


def test_bad_byte_order_magic_is_corrupt(tmp_path: Path) -> None:
    data = bytearray(shb("<"))
    data[8:12] = b"\x01\x02\x03\x04"
    with pytest.raises(CorruptCapture, match="byte-order magic 01 02 03 04"):
        open_capture(write(tmp_path, bytes(data)))
