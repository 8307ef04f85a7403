"""What a decode loads: heavy libraries only when the capture needs them (start-up is most of a short run)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

CAPTURES = Path(__file__).resolve().parents[2] / "captures"

PROBE = """
import contextlib, io, json, sys
from v2gsniff.sniffer.cli import main
with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):
    main(["decode", "--format", "jsonl", sys.argv[1]])
print(json.dumps(sorted({m.split(".")[0] for m in sys.modules})))
"""


def loaded_by_decode(capture: Path) -> set[str]:
    out = subprocess.run([sys.executable, "-c", PROBE, str(capture)], capture_output=True, text=True, check=True)
    return set(json.loads(out.stdout.splitlines()[-1]))


def test_a_capture_without_certificates_does_not_load_cryptography() -> None:
    # PnC checks and the findings registry used to import cryptography.x509 for every decode (~45 ms).
    assert "cryptography" not in loaded_by_decode(CAPTURES / "din_dc.pcapng")


def test_a_capture_with_certificates_does() -> None:
    # the same probe sees it load when a PnC capture brings certificates: the check above can fail
    assert "cryptography" in loaded_by_decode(CAPTURES / "iso2_pnc.pcapng")
