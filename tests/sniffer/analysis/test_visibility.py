"""The visibility check on real captures: pyPLC listen-mode bystander captures vs normal sessions."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import REAL
from v2gsniff.sniffer.analysis import VisibilityCheck, check_visibility
from v2gsniff.sniffer.engine import decode_file
from v2gsniff.sniffer.model import Record


def _records(name: str) -> list[Record]:
    path = REAL / name
    if not path.exists():
        pytest.skip("../shared/captures/real is absent (the real captures live beside the repository)")
    return decode_file(path)[0]  # some real captures are cut off; every record before the cut counts


@pytest.mark.parametrize("name", [
    "pyPLC__2025-01-21_listenMode_01_slow_and_only_broadcast_visible.pcapng",
    "pyPLC__2025-01-21_listenMode_04_cutted_tx_path_no_joining.pcapng",
    "pyPLC__2025-01-21_listenMode_05_cutted_tx_path_no_joining.pcapng",
])
def test_listen_mode_sees_only_slac_and_broadcasts(name: str) -> None:
    findings = check_visibility(_records(name))
    assert [f.kind for f in findings] == ["slac-only"]
    msg = findings[0].message
    # The bystander host joined with CM_SET_KEY; the SLAC parties are the EV and the EVSE.
    assert "dc:0e:a1:11:67:08" in msg and "b8:27:eb:27:33:53" in msg and "02:35:30:69:20:43" in msg
    assert "only passes on frames addressed to its own host and broadcasts" in msg
    assert "EVSE or EV controller" in msg and "MST216D" in msg


def test_listen_mode_with_mac_spoofing_sees_one_direction() -> None:
    findings = check_visibility(_records("pyPLC__2025-01-21_listenMode_02_mac_spoofing_some_frames_visible.pcapng"))
    assert [(f.kind, f.stream) for f in findings] == [("one-direction", 0)]
    # the one message visible is a CableCheckRes: the charger's direction (no SYN: the message says so)
    assert "Only the EVSE→EV direction of TCP stream 0 is visible" in findings[0].message
    rec = findings[0].to_record()
    assert rec.kind == "visibility" and rec.fields["finding"] == "one-direction" and rec.extra["stream"] == 0


@pytest.mark.parametrize("name", [
    "ccs32__2023-04-05_wt32_alpi_first_charge.pcapng",  # EV side, whole session
    "pyPLC__2022-11-17_Dehner_Alpitronic_until_SdpRequest.pcapng",  # failed session, not a blind spot
    "everest-logfiles__Fiat_Scudo_2024-02-20T09-37-13.153Z-2_iso2_dc.dump",  # SLAC then no SDP (EVSE side)
    "everest-logfiles__BYD_Atto3_2023-04-18T15-33-10.987Z-3_config-ac-iso2_not_supported.dump",  # starts mid-stream
])
def test_normal_captures_give_no_warning(name: str) -> None:
    assert check_visibility(_records(name)) == []


def test_live_grace_period_waits_for_the_session_to_get_going() -> None:
    records = _records("pyPLC__2025-01-21_listenMode_01_slow_and_only_broadcast_visible.pcapng")
    check = VisibilityCheck()
    match = next(r for r in records if r.name == "CM_SLAC_MATCH.CNF")
    for r in records:
        check.add(r)
    assert check.findings(now=match.time + 1.0) == []
    assert [f.kind for f in check.findings(now=match.time + 30.0)] == ["slac-only"]


def test_every_real_capture_with_a_finding_is_a_bystander_capture() -> None:
    if not REAL.is_dir():
        pytest.skip("../shared/captures/real is absent (the real captures live beside the repository)")
    flagged = set()
    for path in sorted(Path(REAL).iterdir()):
        if path.suffix in (".md", ".jsonl") or path.name.endswith(".log"):
            continue
        if check_visibility(_records(path.name)):
            flagged.add(path.name)
    assert flagged == {
        "pyPLC__2022-10-26_WP4_networkEstablishedButHiddenCommunication.pcapng",
        "pyPLC__2025-01-21_listenMode_01_slow_and_only_broadcast_visible.pcapng",
        "pyPLC__2025-01-21_listenMode_02_mac_spoofing_some_frames_visible.pcapng",
        "pyPLC__2025-01-21_listenMode_04_cutted_tx_path_no_joining.pcapng",
        "pyPLC__2025-01-21_listenMode_05_cutted_tx_path_no_joining.pcapng",
    }


def test_a_stream_answered_once_is_never_one_way_and_a_one_way_count_is_every_message() -> None:
    # The check stops counting a stream once both sides have spoken (nothing can make it one-way
    # again): a long one-way tail after a real exchange is still no finding, while a one-way
    # stream's sentence counts each of its data records.
    records = _records("ccs32__2023-04-05_wt32_alpi_first_charge.pcapng")
    ev = [r for r in records if r.kind == "v2g" and r.extra.get("dir") == "ev->evse"]
    assert ev and check_visibility(records + ev * 3) == []
    one_way = _records("pyPLC__2025-01-21_listenMode_02_mac_spoofing_some_frames_visible.pcapng")
    data = [r for r in one_way if r.kind in ("v2g", "v2gtp", "tls") and r.extra.get("stream") == 0]
    (finding,) = check_visibility(one_way)
    assert f"({len(data)} messages, nothing from the other side)" in finding.message
