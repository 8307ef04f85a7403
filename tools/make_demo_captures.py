"""Regenerate the demo captures in captures/ with the session simulator (fixed seeds).

    python tools/make_demo_captures.py [OUTDIR]

Same seeds, same bytes: tests/sniffer/simulate checks that a fresh run matches the committed files.
"""

from __future__ import annotations

import sys
from pathlib import Path

from v2gsniff.sniffer.simulate import keylog_text, simulate, write_pcapng

DEMO: tuple[tuple[str, str, int, int], ...] = (
    # (file stem, scenario, seed, charge-loop cycles)
    ("din_dc", "din-dc", 70121, 40),
    ("iso2_dc", "iso2-dc", 15118, 30),
    ("iso2_ac", "iso2-ac", 2013, 24),
    ("iso20_dc_bpt_dynamic", "iso20-dc-bpt-dynamic", 2022, 40),
    ("iso20_dc_bpt_scheduled", "iso20-dc-bpt-scheduled", 2023, 30),
    ("iso20_ac_bpt", "iso20-ac-bpt", 2024, 30),
    ("iso20_no_tls", "iso20-no-tls", 20, 20),
    ("iso20_tls13", "iso20-dc-tls13", 13, 20),
    ("iso2_tls12", "iso2-dc-tls12", 12, 20),
    ("iso2_pnc", "iso2-dc-pnc", 1512, 20),
    ("sap_no_common_protocol", "sap-no-common-protocol", 404, 4),
    ("slac_no_match", "slac-no-match", 3, 4),
)


def make(outdir: Path, only: str | None = None) -> list[Path]:
    """Write the demo files into ``outdir``; returns the paths written."""
    from v2gsniff.sniffer.simulate import SCENARIOS

    written = []
    for stem, scenario, seed, loops in DEMO:
        if scenario not in SCENARIOS or (only and stem != only):
            continue
        wire = simulate(scenario, seed=seed, loops=loops)
        path = outdir / f"{stem}.pcapng"
        write_pcapng(wire, path)
        written.append(path)
        if wire.keylog:
            keys = outdir / f"{stem}.keys"
            keys.write_text(keylog_text(wire))
            written.append(keys)
    return written


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "captures"
    target.mkdir(parents=True, exist_ok=True)
    for p in make(target):
        print(f"{p} {p.stat().st_size} bytes")
