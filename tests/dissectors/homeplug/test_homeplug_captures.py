"""Every 0x88E1 frame of every real capture, named and counted like TRUTH.jsonl.

TRUTH's ``homeplug`` list (``[frame, name]``) and ``slac_by_mmtype`` come from Wireshark's
homeplug-av dissector. We use the specification's (or vendor's) names where Wireshark
differs; WIRESHARK_TO_SPEC is that mapping. Frames are read with scapy's raw readers.
"""

from __future__ import annotations

import json
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from v2gsniff.dissectors.homeplug import dissect_homeplug

REAL = Path(__file__).resolve().parents[3].parent / "shared" / "captures" / "real"

WIRESHARK_TO_SPEC = {
    # Qualcomm Atheros VS_* (Wireshark drops the prefix and abbreviates; open-plc-utils names)
    "GET_SW": "VS_SW_VER",
    "NW_INFO": "VS_NW_INFO",
    "OP_ATTR": "VS_OP_ATTRIBUTES",
    "GET_ENET_PHY": "VS_ENET_SETTINGS",
    "TONE_MAP_TX": "VS_TONE_MAP_CHAR",
    "TONE_MAP_RX": "VS_RX_TONE_MAP_CHAR",
    "FR_LBK": "VS_FR_LBK",
    "LNK_STATS": "VS_LNK_STATS",
    # Wireshark's spelling of the HomePlug AV 2.0 / Green PHY name
    "CM_STA_INDENTIFY": "CM_STA_IDENTIFY",
}
WIRESHARK_UNNAMED = {
    # Types Wireshark shows as a number
    "0x8002": "DSPACE_SCS_DIAG.IND",
    "0xA14E": "VS_ATTENUATION_CHARACTERISTICS.IND",
    "0xA0B0": "VS_MODULE_OPERATION.REQ",
    "0xA0B1": "VS_MODULE_OPERATION.CNF",
    "0xA0F8": "VS_GET_PROPERTY.REQ",
    "0xA0F9": "VS_GET_PROPERTY.CNF",
}


def spec_name(wireshark: str) -> str:
    if wireshark in WIRESHARK_UNNAMED:
        return WIRESHARK_UNNAMED[wireshark]
    base, _, var = wireshark.rpartition(".")
    return f"{WIRESHARK_TO_SPEC.get(base, base)}.{var}"


@cache
def truth() -> dict[str, dict[str, Any]]:
    path = REAL / "TRUTH.jsonl"
    if not path.exists():
        return {}
    with open(path, encoding="utf-8") as fh:
        return {row["capture"]: row for row in map(json.loads, fh) if row}


def captures() -> list[str]:
    return sorted(n for n in truth() if (REAL / n).exists()) or ["<no ../shared>"]


def homeplug_frames(path: Path, frames: int) -> list[tuple[int, bytes, bool]]:
    """(frame number, 0x88E1 payload, incomplete in the file) for the first ``frames`` frames."""
    from scapy.utils import RawPcapNgReader, RawPcapReader

    with open(path, "rb") as fh:
        ng = fh.read(4) == b"\x0a\x0d\x0d\x0a"
    reader = (RawPcapNgReader if ng else RawPcapReader)(str(path))
    out = []
    try:
        for number, (data, meta) in enumerate(reader, start=1):
            # tshark stops before a record the file cuts short; frames past its count are that record.
            if number > frames:
                break
            off, ethertype = 14, int.from_bytes(data[12:14], "big")
            if ethertype == 0x8100 and len(data) >= 18:
                off, ethertype = 18, int.from_bytes(data[16:18], "big")
            if ethertype == 0x88E1:
                out.append((number, bytes(data[off:]), meta.wirelen > len(data)))
    finally:
        reader.close()
    return out


@pytest.mark.parametrize("capture", captures())
def test_names_and_counts_match_wireshark(capture: str) -> None:
    if not truth():
        pytest.skip(f"{REAL} is absent (real captures live in ../shared beside the repository)")
    row = truth()[capture]
    frames = homeplug_frames(REAL / capture, row["counts"]["frames"])
    ours = {n: dissect_homeplug(p) for n, p, _ in frames}
    expected = {int(n): spec_name(name) for n, name in row["homeplug"]}
    assert {n: layer.name for n, layer in ours.items()} == expected
    counts = Counter(layer.name for layer in ours.values())
    assert counts == Counter({spec_name(k): v for k, v in row["slac_by_mmtype"].items()})
    # No decode error on a real frame unless the frame is incomplete in the file.
    cut = {n for n, _, truncated in frames if truncated}
    errors = {n: layer.error for n, layer in ours.items() if layer.error and n not in cut}
    assert errors == {}


def test_truncated_frames_are_errors_not_exceptions() -> None:
    """An EVerest Opel Mokka-E capture ends inside its last record, a CM_ATTEN_PROFILE.IND (60 of 85 octets).

    tshark drops that record (so TRUTH does not list it); scapy hands over the partial bytes.
    """
    name = "everest-logfiles__Opel_Mokka-E_iso_15118-2_AC_not_supported_2023-04-14T14-21-01.727Z-3_config-ac-iso2.dump"
    if name not in truth():
        pytest.skip(f"{REAL} is absent")
    frames = homeplug_frames(REAL / name, 10**9)
    cut = [(n, dissect_homeplug(p)) for n, p, truncated in frames if truncated]
    assert [(n, layer.name, layer.error) for n, layer in cut] == [
        (84, "CM_ATTEN_PROFILE.IND", "CM_ATTEN_PROFILE.IND: 60 bytes, needs 71")]
    assert cut[0][1].get("num_groups") == 58
