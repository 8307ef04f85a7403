"""What a decode loads: heavy libraries only when the capture needs them (start-up is most of a short run)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

CAPTURES = Path(__file__).resolve().parents[2] / "captures"

PROBE = """
import contextlib, io, json, sys
for name in sys.argv[2:]:  # loaded before us (an editable install's import hook): seen only if loaded again
    sys.modules.pop(name, None)
from v2gsniff.sniffer.cli import main
with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):
    main(["decode", "--format", "jsonl", sys.argv[1]])
print(json.dumps(sorted(sys.modules)))
"""


def loaded_by_decode(capture: Path, modules: bool = False, forget: tuple[str, ...] = ()) -> set[str]:
    """Top-level packages a decode of ``capture`` loads (with ``modules``: every module's full name);
    the modules in ``forget`` are dropped from the interpreter's table first."""
    out = subprocess.run([sys.executable, "-c", PROBE, str(capture), *forget], capture_output=True, text=True,
                         check=True)
    names = json.loads(out.stdout.splitlines()[-1])
    return set(names) if modules else {m.split(".")[0] for m in names}


def test_a_capture_without_certificates_does_not_load_cryptography() -> None:
    # PnC checks and the findings registry used to import cryptography.x509 for every decode (~45 ms).
    assert "cryptography" not in loaded_by_decode(CAPTURES / "din_dc.pcapng")


def test_a_capture_with_certificates_does() -> None:
    # the same probe sees it load when a PnC capture brings certificates: the check above can fail
    assert "cryptography" in loaded_by_decode(CAPTURES / "iso2_pnc.pcapng")


# Frozen dataclasses cost their exec'd methods at import: these models were ~140 M instructions of
# every decode's start-up (benchmarks/decode_icount.py), and a decode without --sessions or
# certificates uses neither.
LAZY_MODELS = {"v2gsniff.sniffer.sessions.model", "v2gsniff.sniffer.sessions.tracker", "v2gsniff.sniffer.pnc.model",
               "v2gsniff.sniffer.pnc.certs"}


def test_a_capture_without_certificates_loads_neither_the_session_nor_the_pnc_model() -> None:
    assert not LAZY_MODELS & loaded_by_decode(CAPTURES / "din_dc.pcapng", modules=True)


def test_a_capture_with_certificates_loads_the_pnc_model() -> None:
    # the probe sees them load when they are needed: the check above can fail
    loaded = loaded_by_decode(CAPTURES / "iso2_pnc.pcapng", modules=True)
    assert {"v2gsniff.sniffer.pnc.model", "v2gsniff.sniffer.pnc.certs"} <= loaded


def test_an_uncompressed_capture_does_not_load_gzip_and_a_compressed_one_does(tmp_path: Path) -> None:
    import gzip

    assert not {"gzip", "zlib"} & loaded_by_decode(CAPTURES / "din_dc.pcapng")
    compressed = tmp_path / "din_dc.pcapng.gz"
    compressed.write_bytes(gzip.compress((CAPTURES / "din_dc.pcapng").read_bytes()))
    assert {"gzip", "zlib"} <= loaded_by_decode(compressed)
    # and reads it the same (the lazily imported reader is the one every gzip capture uses)
    plain = subprocess.run([sys.executable, "-c", "from v2gsniff.sniffer.cli import main; main()", "decode", "--format",
                            "jsonl", str(CAPTURES / "din_dc.pcapng")], capture_output=True, text=True, check=True)
    packed = subprocess.run([sys.executable, "-c", "from v2gsniff.sniffer.cli import main; main()", "decode", "--format",
                             "jsonl", str(compressed)], capture_output=True, text=True, check=True)
    assert plain.stdout == packed.stdout and plain.stdout.count("\n") > 50


def test_a_decode_leaves_the_modules_of_rare_paths_unloaded() -> None:
    # difflib (suggestions in an EXI error about undeclared content) and ipaddress (a service
    # announcement's address check) cost every decode's start-up ~2 ms when imported at module level
    rare = ("difflib", "ipaddress")
    assert not set(rare) & loaded_by_decode(CAPTURES / "din_dc.pcapng", forget=rare)
