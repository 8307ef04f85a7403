"""Development check of the session simulator (not part of the test suite).

For every scenario: simulate it, decode it with our pipeline, then
1. decode every EXI message with EXIficient (../shared/tools/exi_oracle) and compare the tree it
   gives with ours (parsed back through ``exi.from_xml``);
2. open the capture in tshark (with the key log for TLS scenarios) and look for "Malformed"
   packets and error-level expert infos.

    python tools/check_simulated.py [--seed N] [--loops N] [SCENARIO...]
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from v2gsniff.dissectors import exi
from v2gsniff.sniffer.engine import decode_file
from v2gsniff.sniffer.simulate import SCENARIOS, keylog_text, simulate, write_pcapng

ORACLE = Path(__file__).resolve().parents[2] / "shared" / "tools" / "exi_oracle" / "exi_oracle.py"
ORACLE_SETS = {"apphand": "apphand", "din": "din", "iso2": "iso2", "iso20-cm": "iso20",
               "iso20-dc": "iso20_dc", "iso20-ac": "iso20_ac"}


def _oracle() -> Any:
    if not ORACLE.exists() or not shutil.which("java"):
        return None
    spec = importlib.util.spec_from_file_location("exi_oracle", ORACLE)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.Oracle()


def exi_check(oracle: Any, path: Path) -> tuple[int, int, list[str]]:
    ok = total = 0
    problems: list[str] = []
    records, _ = decode_file(path)
    for r in records:
        if r.kind != "v2g" or r.message is None:
            continue
        total += 1
        schema = r.extra["schema"]
        try:
            xml = oracle.decode(ORACLE_SETS[schema], r.extra["exi_hex"])
            theirs = exi.from_xml(xml, schema)
        except Exception as err:  # noqa: BLE001 - any oracle failure is a finding
            problems.append(f"frame {r.frame} {r.name}: EXIficient: {err}")
            continue
        if theirs.root != r.message.root:
            problems.append(f"frame {r.frame} {r.name}: EXIficient's tree differs from ours")
            continue
        ok += 1
    return ok, total, problems


def tshark_check(path: Path, keys: Path | None) -> tuple[int, list[str]]:
    cmd = ["tshark", "-r", str(path), "-V"]
    if keys is not None:
        cmd[3:3] = ["-o", f"tls.keylog_file:{keys}"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False).stdout
    frames = out.count("\nFrame ") + out.startswith("Frame ")
    bad = [line.strip() for line in out.splitlines() if "Malformed" in line or "[Severity level: Error]" in line]
    return frames, bad


def decrypted(path: Path, keys: Path | None) -> int:
    """Application-data records tshark decrypted (each shows a "Decrypted TLS" tab)."""
    cmd = ["tshark", "-r", str(path), "-Y", "tls.app_data", "-x"]
    if keys is not None:
        cmd[3:3] = ["-o", f"tls.keylog_file:{keys}"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False).stdout
    return out.count("Decrypted TLS")


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scenarios", nargs="*")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--loops", type=int, default=20)
    args = ap.parse_args(argv)
    names = args.scenarios or SCENARIOS.names()
    oracle = _oracle()
    has_tshark = shutil.which("tshark") is not None
    failed = False
    ok_all = total_all = 0
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            wire = simulate(name, seed=args.seed, loops=args.loops)
            path = Path(tmp) / f"{name}.pcapng"
            write_pcapng(wire, path)  # TLS: the key log rides in a DSB, as in captures/
            keys = None
            if wire.keylog:
                keys = Path(tmp) / f"{name}.keys"
                keys.write_text(keylog_text(wire))
                write_pcapng(wire, Path(tmp) / f"{name}.nodsb.pcapng", embed_keys=False)
            line = f"{name:26} {len(wire.frames):4} frames"
            if oracle is not None:
                ok, total, problems = exi_check(oracle, path)
                ok_all += ok
                total_all += total
                line += f"  EXIficient {ok}/{total}"
                failed |= bool(problems)
                for p in problems[:5]:
                    line += f"\n    {p}"
            if has_tshark:
                frames, bad = tshark_check(path, None)
                line += f"  tshark {frames} frames, {len(bad)} malformed/error"
                if keys is not None:
                    dsb, with_file = decrypted(path, None), decrypted(Path(tmp) / f"{name}.nodsb.pcapng", keys)
                    line += f", decrypted records: {dsb} (DSB) / {with_file} (key log file)"
                    failed |= dsb == 0 or dsb != with_file
                failed |= bool(bad) or frames != len(wire.frames)
                for b in bad[:5]:
                    line += f"\n    {b}"
            print(line)
    if oracle is not None:
        oracle.close()
        print(f"EXIficient: {ok_all}/{total_all} messages decode to the same tree")
    else:
        print("EXIficient: skipped (no ../shared/tools/exi_oracle or no java)")
    if not has_tshark:
        print("tshark: skipped (not installed)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
