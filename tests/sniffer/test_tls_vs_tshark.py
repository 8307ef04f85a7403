"""Our decrypted TLS streams against tshark's, byte for byte (skipped without tshark).

tshark is an independent TLS implementation: given the same key log it must recover the same
application data per direction as our one-pass pipeline (whose V2G records, concatenated per
direction, are the decrypted stream).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REAL
from tests.sniffer.decoded import decode_file
from v2gsniff.sniffer.capture import open_capture
from v2gsniff.sniffer.model import DecryptionSecrets, RawFrame
from v2gsniff.sniffer.streams.tls.keylog import extract_keylog_lines

ROOT = Path(__file__).resolve().parents[2]
CAPTURES = [
    ROOT / "captures" / "iso20_tls13.pcapng",
    ROOT / "captures" / "iso2_tls12.pcapng",
    REAL / "dsV2Gshark__ISO-2_DC_PnC_TLS_Contract_DS5366_RiseV2G.pcapng",
    REAL / "dsV2Gshark__ISO-2_DC_PnC_TLS_CertInstallation_DS5366_RiseV2G.pcapng",
    REAL / "dsV2Gshark__ISO-20_TLS13_DC_DS5366_Josev.pcapng",
]


def _keylog(path: Path) -> str:
    """Every key-log line the capture carries (DSB or UDP disclosure datagrams)."""
    lines: list[str] = []
    with open_capture(path) as reader:
        for item in reader:
            if isinstance(item, DecryptionSecrets):
                lines += item.data.decode().splitlines()
            elif isinstance(item, RawFrame) and (b"_SECRET" in item.data or b"CLIENT_RANDOM" in item.data):
                lines += extract_keylog_lines(item.data)
    return "\n".join(lines) + "\n"


def _tshark_streams(path: Path, keys: Path, stream: int) -> tuple[bytes, bytes]:
    """The two decrypted directions of one TCP stream as tshark's ``follow,tls,raw`` shows them."""
    out = subprocess.run(
        ["tshark", "-r", str(path), "-o", f"tls.keylog_file:{keys}", "-q", "-z", f"follow,tls,raw,{stream}"],
        capture_output=True, text=True, check=True, timeout=120,
    ).stdout
    client, server = bytearray(), bytearray()
    body = out.split("=" * 67)[1] if "=" * 67 in out else out
    for line in body.splitlines():
        if not line.strip() or ":" in line:
            continue
        if line.startswith("\t"):
            server += bytes.fromhex(line.strip())
        else:
            client += bytes.fromhex(line.strip())
    return bytes(client), bytes(server)


@pytest.mark.parametrize("path", CAPTURES, ids=lambda p: p.name)
def test_decrypted_bytes_equal_tshark(path: Path, tmp_path: Path) -> None:
    if shutil.which("tshark") is None:
        pytest.skip("tshark is not installed (apt install tshark) -- this cross-check needs it")
    if not path.exists():
        pytest.skip(f"{path.name} is absent (../shared holds the real captures)")
    keys = tmp_path / "keys.log"
    keys.write_text(_keylog(path))
    records, _ = decode_file(path)
    v2g = [r for r in records if r.kind == "v2g" and r.extra.get("tls")]
    assert v2g, "nothing was decrypted"
    streams = sorted({r.extra["stream"] for r in v2g})
    for stream in streams:
        ours_c = b"".join(r.data for r in v2g if r.extra["stream"] == stream and r.extra["dir"] == "ev->evse")
        ours_s = b"".join(r.data for r in v2g if r.extra["stream"] == stream and r.extra["dir"] == "evse->ev")
        # tshark numbers the follow nodes by the first decrypted data it shows, which for TLS 1.3
        # can be the server's; so the two directions are compared as a pair.
        theirs = _tshark_streams(path, keys, stream)
        assert sorted((len(ours_c), len(ours_s))) == sorted(len(t) for t in theirs)
        assert {ours_c, ours_s} == set(theirs)
