"""TLS inside the pipeline, on TLS 1.2 and 1.3 captures that lost frames (a QCA7000 sniffer misses some)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from v2gsniff.sniffer.addons import Keep
from v2gsniff.sniffer.capture import open_capture
from v2gsniff.sniffer.capture.writer import PcapngWriter
from v2gsniff.sniffer.engine import Engine, decode_file
from v2gsniff.sniffer.model import RawFrame, Record
from v2gsniff.sniffer.streams.tls.keylog import KeyLog

CAPTURES = Path(__file__).resolve().parents[2] / "captures"
TLS = ["iso20_tls13", "iso2_tls12", "iso2_pnc"]
"""TLS 1.3 (ISO 15118-20), TLS 1.2 (ISO 15118-2), TLS 1.2 with Plug & Charge (certificates, signatures)."""


def without(src: Path, dst: Path, drop: set[int]) -> Path:
    """``src`` rewritten without the frames numbered in ``drop``."""
    with open_capture(src) as reader, PcapngWriter(dst) as out:
        for f in reader:
            if type(f) is RawFrame and f.index not in drop:
                out.write_frame(f.data, f.time)
    return dst


def keylog(name: str) -> KeyLog:
    log = KeyLog()
    log.add_file(CAPTURES / f"{name}.keys")
    return log


def decoded(path: Path, name: str) -> list[Record]:
    records, problem = decode_file(path, keylog=keylog(name))
    assert problem is None
    return records


def v2g(records: list[Record]) -> list[tuple[str, str, object]]:
    """(name, direction, body) of the V2G messages."""
    return [(r.name, r.extra["dir"], r.extra["body"]) for r in records if r.kind == "v2g"]


@cache
def messages(name: str) -> list[Record]:
    """The V2G records of the whole capture."""
    return [r for r in decoded(CAPTURES / f"{name}.pcapng", name) if r.kind == "v2g" and r.extra.get("tls")]


@pytest.mark.parametrize("name", TLS)
@pytest.mark.parametrize("at", [0.1, 0.3, 0.6, 0.9])
@pytest.mark.parametrize("direction", ["ev->evse", "evse->ev"])
def test_a_lost_tls_frame_costs_its_own_message_only(tmp_path: Path, name: str, at: float, direction: str) -> None:
    """Setup, cable check, charge loop, welding detection: wherever the loss, the direction goes on."""
    clean = messages(name)
    mine = [r for r in clean if r.extra["dir"] == direction]
    victim = mine[int(at * len(mine))]
    records = decoded(without(CAPTURES / f"{name}.pcapng", tmp_path / "lossy.pcapng", {victim.frame}), name)
    gaps = [r for r in records if r.kind == "gap"]
    assert len(gaps) == 1 and gaps[0].extra["dir"] == direction and gaps[0].extra["tls"]
    assert "the TLS stream resumes at the next record that authenticates" in (gaps[0].error or "")
    # every other message of both directions, decrypted and decoded as in the whole capture
    for side in ("ev->evse", "evse->ev"):
        expected = [m for r, m in zip(clean, v2g(clean), strict=True) if r is not victim and m[1] == side]
        assert [m for m in v2g(records) if m[1] == side] == expected
    resync = [r for r in records if r.kind == "tls" and "decrypts at sequence number" in (r.summary or "")]
    assert len(resync) == 1 and ": 1 records of this direction before it" in (resync[0].summary or "")
    assert not [r for r in records if r.kind == "tls" and r.error]


def test_a_tls_gap_is_counted_like_a_cleartext_one(tmp_path: Path) -> None:
    clean = messages("iso20_tls13")
    victim = clean[len(clean) // 2]
    keep = Keep()
    engine = Engine([keep], keylog=keylog("iso20_tls13"))
    engine.read([without(CAPTURES / "iso20_tls13.pcapng", tmp_path / "lossy.pcapng", {victim.frame})])
    gaps = [r for r in keep.kept if r.kind == "gap"]
    assert engine.decoder is not None and len(gaps) == 1
    assert (engine.decoder.stats.gaps, engine.decoder.stats.lost_bytes) == (1, gaps[0].fields["missing_bytes"])


@pytest.mark.parametrize("cut", [0.2, 0.5])
def test_a_tls_13_capture_that_began_after_the_handshake_decrypts_with_the_key_log(tmp_path: Path, cut: float) -> None:
    """Started late (a long charge caught from the middle): no SYN, no hellos; the key log names the session."""
    clean = messages("iso20_tls13")
    first = clean[int(cut * len(clean))].frame
    with open_capture(CAPTURES / "iso20_tls13.pcapng") as reader:
        frames = [f.index for f in reader if type(f) is RawFrame]
    late = without(CAPTURES / "iso20_tls13.pcapng", tmp_path / "late.pcapng", {n for n in frames if n < first})
    records = decoded(late, "iso20_tls13")
    assert v2g(records) == v2g([r for r in clean if r.frame >= first])
    assert [r.summary or "" for r in records if r.kind == "tls"][0].startswith("no handshake seen: record 0 decrypts")
