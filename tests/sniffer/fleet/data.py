"""Fleet test inputs: a few real captures copied beside simulated ones, and corrupt files."""

from __future__ import annotations

import os
from pathlib import Path

from tests.conftest import REAL, need_shared
from v2gsniff.sniffer.simulate import simulate, write_pcapng

REAL_SAMPLE = (
    "dsV2Gshark__ISO-20_BPT_AC_DS5366_Josev.pcapng",
    "dsV2Gshark__ISO-20_TLS13_DC_DS5366_Josev.pcapng",
    "dsV2Gshark__IEC61851_AC_PWM_Basic.pcapng",
    "everest-logfiles__BYD_Atto3_2023-04-18T15-31-50.525Z-2_config-dc-iso2.dump",
    "everest-logfiles__Fiat_Scudo_2024-02-20T09-29-24.291Z-1_din_spec.dump",
    "everest-logfiles__Hyundai_Kona_2017_din_spec_70121_kona1.dump",
    "everest-logfiles__Tesla_Model_Y_11.1_iso15118-2_2023-03-30T11-11-20.331Z-tesla_y-iso-not-supported.dump",
    "everest-logfiles__VW_id.4_din_spec_70121_2023-04-14T09-57-59.260Z-id4pro-din-spec-with-discharge.dump",
    "pyPLC__2023-05-03_TaycanLeftside_slacFail.pcapng",
)
"""Varied real captures: ISO-20 BPT and TLS 1.3, DIN, ISO-2, a cut-off file, no HLC, a SLAC failure;
the Fiat one (1 MiB) keeps a worker busy long enough to be killed in the middle of it."""

CUT_OFF, CORRUPT = 5, 6
"""Documented exit statuses (README, "Exit codes"): the whole report is still written, and the status
is the worst input's: a capture cut off mid-record, a corrupt capture structure."""

SCENARIOS = ("iso2-ac", "din-dc", "iso20-no-tls", "sap-no-common-protocol")


def simulated(folder: Path, count: int, first_seed: int = 1, scenarios: tuple[str, ...] = SCENARIOS) -> list[Path]:
    """``count`` simulated sessions (scenario and seed vary), written as ``sim-NNNN.pcapng``."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for i in range(count):
        path = folder / f"sim-{i:04d}.pcapng"
        write_pcapng(simulate(scenarios[i % len(scenarios)], seed=first_seed + i, loops=4), path)
        out.append(path)
    return out


def real_copies(folder: Path, names: tuple[str, ...] = REAL_SAMPLE) -> list[Path]:
    need_shared()
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).write_bytes((REAL / name).read_bytes())
    return [folder / name for name in names]


def corrupt(folder: Path) -> list[Path]:
    """A file that is no capture at all and a pcapng whose first block length is impossible."""
    folder.mkdir(parents=True, exist_ok=True)
    junk = folder / "junk.pcap"
    junk.write_bytes(b"this is not a capture, just text with a .pcap name\n" * 4)
    broken = folder / "broken.pcapng"
    broken.write_bytes(b"\x0a\x0d\x0d\x0a" + b"\xff\xff\xff\x7f" + b"\x4d\x3c\x2b\x1a" + bytes(40))
    return [junk, broken]


def a_second_later(capture: bytes) -> bytes:
    """A pcapng capture with every packet a second later: other bytes, the same size."""
    data = bytearray(capture)
    at = 0
    while at + 8 <= len(data):  # little-endian blocks, as the simulator writes them
        kind, length = int.from_bytes(data[at:at + 4], "little"), int.from_bytes(data[at + 4:at + 8], "little")
        if kind == 6:  # Enhanced Packet Block: timestamp high and low words (microseconds)
            t = int.from_bytes(data[at + 12:at + 16], "little") << 32 | int.from_bytes(data[at + 16:at + 20], "little")
            t += 1_000_000
            data[at + 12:at + 20] = (t >> 32).to_bytes(4, "little") + (t & 0xFFFFFFFF).to_bytes(4, "little")
        at += length
    return bytes(data)


def recorded_earlier(files: list[Path], seconds: float = 3600) -> None:
    """Captures as a nightly run finds them: last modified an hour ago (the cache's ``SETTLED`` is far
    behind)."""
    for f in files:
        then = f.stat().st_mtime - seconds
        os.utime(f, (then, then))
