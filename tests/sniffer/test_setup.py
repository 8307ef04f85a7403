"""What an analysis reads besides the captures: ``--keylog`` for every command that decodes.

A TLS capture whose key log lives in a file of its own (as ``SSLKEYLOGFILE`` writes it) is the
usual case; the bundled demo captures carry their secrets too, so each is rewritten without them
here and must then give exactly what the original gives once the key log file is named.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from v2gsniff.sniffer.capture import open_capture
from v2gsniff.sniffer.capture.writer import PcapngWriter
from v2gsniff.sniffer.cli import main
from v2gsniff.sniffer.model import RawFrame
from v2gsniff.sniffer.setup import AnalysisSetup

CAPTURES = Path(__file__).resolve().parents[2] / "captures"


def without_secrets(name: str, dst: Path) -> Path:
    """The capture's frames alone (its Decryption Secrets Blocks left out)."""
    with open_capture(CAPTURES / f"{name}.pcapng") as reader, PcapngWriter(dst) as out:
        for f in reader:
            if type(f) is RawFrame:
                out.write_frame(f.data, f.time)
    return dst


def cli(*args: str | Path) -> str:
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code in (0, 1), result.output
    return result.stdout


def test_the_setup_loads_every_key_log_it_names(tmp_path: Path) -> None:
    keys = CAPTURES / "iso2_tls12.keys"
    log = AnalysisSetup(keylogs=(str(keys),)).keylog()
    random, secret = keys.read_text().split()[1:3]
    assert log.get(bytes.fromhex(random), "CLIENT_RANDOM") == bytes.fromhex(secret)
    with pytest.raises(OSError):
        AnalysisSetup(keylogs=(str(tmp_path / "missing.keys"),)).keylog()


@pytest.mark.parametrize("name", ["iso2_tls12", "iso2_pnc", "iso20_tls13"])
def test_sessions_and_check_decrypt_with_a_key_log_file(tmp_path: Path, name: str) -> None:
    bare = without_secrets(name, tmp_path / f"{name}.pcapng")
    keys = CAPTURES / f"{name}.keys"
    original = CAPTURES / f"{name}.pcapng"
    blind = json.loads(cli("sessions", bare, "--format", "jsonl").splitlines()[-1])
    assert blind["protocol"] is None  # nothing decrypted without the key log
    told = cli("sessions", bare, "--format", "jsonl", "--keylog", keys)
    assert told.replace(bare.name, "*") == cli("sessions", original, "--format", "jsonl").replace(original.name, "*")
    assert json.loads(told.splitlines()[-1])["last_phase"] == "SessionStop"
    findings = cli("check", bare, "--format", "jsonl", "--keylog", keys)
    assert findings.replace(bare.name, "*") == cli("check", original, "--format", "jsonl").replace(original.name, "*")


def test_a_cached_analysis_is_kept_under_the_key_logs_too(tmp_path: Path) -> None:
    bare = without_secrets("iso2_tls12", tmp_path / "iso2_tls12.pcapng")
    keys = CAPTURES / "iso2_tls12.keys"
    cache = tmp_path / "cache"
    before = cli("report", bare, "--format", "csv", "--cache", cache)
    after = cli("report", bare, "--format", "csv", "--cache", cache, "--keylog", keys)
    assert after == cli("report", bare, "--format", "csv", "--keylog", keys)
    assert "ISO-2,DC" in after and "ISO-2,DC" not in before  # the key log's analysis, not the cached one
