"""Regular files are parsed from a read-ahead buffer, streams by exact reads: both must see the same capture.

Every test reads the same bytes twice, once as a file (read ahead, with chunk sizes small enough to
cut headers, bodies and trailers at every possible place) and once as a stream on standard input
(exact reads), and compares frames, secrets, positions and error messages.
"""

from __future__ import annotations

import io
import random
import struct
from pathlib import Path

import pytest

from v2gsniff.sniffer.capture import CaptureError, PcapngWriter, PcapWriter, _source, open_capture

CHUNKS = [1, 7, 64, 1000, 256 * 1024]


def _frames(seed: int, n: int) -> list[bytes]:
    rng = random.Random(seed)
    return [rng.randbytes(rng.choice([14, 60, 61, 62, 63, 590, 1514, rng.randrange(1, 3000)])) for _ in range(n)]


def _pcapng_section(frames: list[bytes], tsresol: int, secrets_every: int) -> bytes:
    out = io.BytesIO()
    with PcapngWriter(out, interfaces=[(1, "eth0", 65535), (1, "qca0", 262144)], tsresol=tsresol) as w:
        for i, data in enumerate(frames):
            w.write_frame(data, 1_700_000_000 + i * 0.001, interface=i % 2)
            if i % secrets_every == 0:
                w.write_secrets(b"CLIENT_RANDOM " + bytes([i % 256]) * 32 + b" " + b"ab" * 48 + b"\n")
        return out.getvalue()


def pcapng_bytes() -> bytes:
    # Two sections (the second with other timestamp units), key-log blocks, and a block type
    # the parser skips, so every kind of block meets the read-ahead buffer's edges.
    unknown = struct.pack("<II", 0x00000BAD, 20) + b"skip" * 2 + struct.pack("<I", 20)
    first = _pcapng_section(_frames(1, 300), 9, 37)
    second = _pcapng_section(_frames(2, 100), 6, 41)
    return first + unknown + second


def pcap_bytes() -> bytes:
    out = io.BytesIO()
    with PcapWriter(out, nanosecond=True) as w:
        for i, data in enumerate(_frames(3, 400)):
            w.write_frame(data, 1_700_000_000 + i * 0.001)
        return out.getvalue()


def _read(reader_source: Path | bytes) -> tuple[list[object], str | None, int]:
    """Everything a reader yields, the error it ends with (type and text) and its final position."""
    if isinstance(reader_source, Path):
        reader = open_capture(reader_source)
    else:
        reader = open_capture("-", stdin=io.BytesIO(reader_source))
    items: list[object] = []
    error = None
    with reader:
        try:
            for item in reader:
                items.append(item)
        except CaptureError as err:
            error = f"{type(err).__name__}: {err}"
        return items, error, reader.bytes_read


@pytest.fixture(params=CHUNKS, ids=lambda c: f"chunk{c}")
def chunk(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(_source, "READ_AHEAD", request.param)
    return int(request.param)


@pytest.mark.parametrize("make", [pcapng_bytes, pcap_bytes])
def test_whole_file_reads_as_the_stream_does(tmp_path: Path, chunk: int, make) -> None:  # type: ignore[no-untyped-def]
    data = make()
    path = tmp_path / "capture"
    path.write_bytes(data)
    from_file, from_stream = _read(path), _read(data)
    assert from_file == from_stream
    items, error, position = from_file
    assert error is None and position == len(data)
    assert sum(1 for x in items if type(x).__name__ == "RawFrame") == 400


@pytest.mark.parametrize("make", [pcapng_bytes, pcap_bytes])
def test_cut_off_anywhere_gives_the_same_frames_and_message(tmp_path: Path, make) -> None:  # type: ignore[no-untyped-def]
    data = make()
    rng = random.Random(7)
    cuts = sorted(rng.sample(range(30, len(data)), 40))
    path = tmp_path / "cut"
    for size in (7, 1000):
        _source.READ_AHEAD, saved = size, _source.READ_AHEAD
        try:
            for cut in cuts:
                path.write_bytes(data[:cut])
                from_file, from_stream = _read(path), _read(data[:cut])
                assert from_file == from_stream, cut
                assert from_file[1] is not None and from_file[1].startswith("TruncatedCapture"), cut
        finally:
            _source.READ_AHEAD = saved


def test_damage_in_the_middle_is_reported_at_the_same_place(tmp_path: Path, chunk: int) -> None:
    data = bytearray(pcapng_bytes())
    # The 200th enhanced packet block gets a wrong trailing length.
    pos, seen = 0, 0
    while True:
        block_type, length = struct.unpack_from("<II", data, pos)
        if block_type == 6:
            seen += 1
            if seen == 200:
                data[pos + length - 4] ^= 0x04
                break
        pos += length
    path = tmp_path / "damaged"
    path.write_bytes(bytes(data))
    from_file, from_stream = _read(path), _read(bytes(data))
    assert from_file == from_stream
    items, error, _ = from_file
    assert error is not None and "ends with length" in error and f"byte {pos}" in error
    assert sum(1 for x in items if type(x).__name__ == "RawFrame") == 199
