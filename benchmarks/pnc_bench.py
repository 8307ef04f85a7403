"""What verifying Plug & Charge costs: the checker over a whole capture and per signed message.

    python benchmarks/pnc_bench.py [--rounds 5]

Records are decoded once (the real dSPACE PnC captures when ../shared is present, and the
simulated iso2-dc-pnc session); then the best of ``--rounds`` runs of ``PncChecker.observe`` over
all of them is timed, next to the decode itself. Target: a few milliseconds per message that
carries certificates or a signature (parsing, issuer signatures, EXI re-encoding, ECDSA), and under
1 % of the decode for a capture without any (the charge loop is never walked).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from v2gsniff.sniffer.engine import decode_file
from v2gsniff.sniffer.pnc import ChainCheck, PncChecker, SignatureCheck
from v2gsniff.sniffer.simulate import simulate, write_pcapng

REAL = Path(__file__).resolve().parents[1].parent / "shared" / "captures" / "real"
CAPTURES = [
    "dsV2Gshark__ISO-2_DC_PnC_TLS_Contract_DS5366_RiseV2G.pcapng",
    "dsV2Gshark__ISO-2_DC_PnC_TLS_CertInstallation_DS5366_RiseV2G.pcapng",
    "pyPLC__2023-04-16_at_home_Ioniq_in_currentDemandLoop.pcapng",  # no PnC: the cost of looking
]


def best(rounds: int, run: object) -> float:
    times = []
    for _ in range(rounds):
        t = time.perf_counter()
        run()  # type: ignore[operator]
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp())
    sim = tmp / "iso2_pnc.pcapng"
    write_pcapng(simulate("iso2-dc-pnc", seed=3, loops=200), sim)
    paths = [sim] + [REAL / n for n in CAPTURES if (REAL / n).exists()]
    print(f"{'capture':70} {'records':>8} {'signed':>6} {'chains':>6} {'decode ms':>10} {'check ms':>9} {'share':>6}")
    for path in paths:
        records = list(decode_file(str(path))[0])
        decode = best(args.rounds, lambda p=path: list(decode_file(str(p))[0]))
        checker = PncChecker()
        check = best(args.rounds, lambda rs=records: [PncChecker().observe(r) for r in rs])
        for r in records:
            checker.observe(r)
        signed = sum(isinstance(r, SignatureCheck) for r in checker.results)
        chains = sum(isinstance(r, ChainCheck) for r in checker.results)
        print(f"{path.name[:70]:70} {len(records):8} {signed:6} {chains:6} {decode * 1e3:10.1f} {check * 1e3:9.2f} "
              f"{check / decode:6.1%}")


if __name__ == "__main__":
    main()
