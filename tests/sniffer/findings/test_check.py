"""The findings check after a lost TCP segment: the gap is reported, and nobody is blamed for it.

Each case removes one frame from a real capture (the bundled demo captures, and with ../shared a
third-party recording), rewritten by the project's own capture reader and writer. Without the fix
every one of these gave errors: responses judged before the requests they answer, which the
reassembler still held behind the hole, and waits measured across the lost bytes.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import REAL, ROOT, need_shared
from v2gsniff.sniffer.capture import open_capture
from v2gsniff.sniffer.capture.writer import PcapngWriter
from v2gsniff.sniffer.commands.check import check
from v2gsniff.sniffer.engine import decode_file
from v2gsniff.sniffer.findings.model import Finding
from v2gsniff.sniffer.model import DecryptionSecrets, RawFrame
from v2gsniff.sniffer.report.collect import analyse_file
from v2gsniff.sniffer.simulate import simulate, write_pcapng

DEMO = ROOT / "captures"
CCS32 = "ccs32__2023-04-05_wt32_alpi_first_charge.pcapng"
BMW = "everest-logfiles__BMW_iX_fw_11_2022.64_iso_15118-2_2023-03-30T06-29-19.281Z_iso2.dump"
JUDGED = ("error", "warning")


def _copy(src: Path, dst: Path, drop: int | None = None) -> Path:
    """``src`` rewritten to ``dst`` without frame ``drop`` (1-based; ``None``: every frame); its key
    log (``x.keys`` beside ``x.pcapng``), if any, embedded so that TLS decrypts."""
    keys = src.with_suffix(".keys")
    with open_capture(src) as reader, PcapngWriter(dst) as out:
        if keys.exists():
            out.write_secrets(keys.read_bytes())
        for item in reader:
            if isinstance(item, DecryptionSecrets):
                out.write_secrets(item.data, item.secrets_type)
            elif isinstance(item, RawFrame) and item.index != drop:
                out.write_frame(item.data, item.time)
    return dst


class Damage:
    """A capture with and without one frame: its findings, its gap, in the original's frame numbers."""

    def __init__(self, src: Path, drop: int, tmp: Path) -> None:
        self.drop = drop
        whole, cut = _copy(src, tmp / f"whole-{src.name}.pcapng"), _copy(src, tmp / f"cut-{src.name}.pcapng", drop)
        self.before = analyse_file(whole).findings
        self.after = [f._replace(frame=self.frame(f.frame)) for f in analyse_file(cut).findings]
        records, _ = decode_file(cut)
        self.gaps = [r for r in records if r.kind == "gap"]

    def frame(self, n: int) -> int:
        """The original's number of the damaged capture's frame ``n``."""
        return n + 1 if n >= self.drop else n

    def judged(self, findings: list[Finding] | tuple[Finding, ...]) -> set[tuple[str, int, str]]:
        return {(f.rule, f.frame, f.side) for f in findings if f.severity in JUDGED}

    def outside(self, findings: set[tuple[str, int, str]]) -> set[tuple[str, int, str]]:
        """Those about frames outside the gap's exchange: from the frame before the lost one to the
        frame where the loss became certain."""
        end = max(self.frame(g.frame) for g in self.gaps)
        return {f for f in findings if not self.drop - 2 <= f[1] <= end}


@cache
def _damage(path: Path, drop: int, tmp: Path) -> Damage:
    return Damage(path, drop, tmp)


@pytest.fixture(scope="module")
def tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("damaged")


def _assert_nobody_blamed(d: Damage) -> None:
    assert len(d.gaps) == 1
    gap = d.gaps[0]
    assert gap.error and "missing" in gap.error and gap.fields["missing_bytes"] > 0
    # every error and warning of the damaged capture is one the whole capture has (no new blame) ...
    assert d.judged(d.after) <= d.judged(d.before)
    # ... and all of the whole capture's outside the lost exchange are still there
    assert d.outside(d.judged(d.after)) == d.outside(d.judged(d.before))
    # the loss is said once, as information, at the gap, blaming nobody
    said = [f for f in d.after if f.rule == "sequence.capture-gap"]
    assert [(f.severity, f.side, f.frame) for f in said] == [("info", "unknown", d.frame(gap.frame))]
    assert "judged afresh" in said[0].text


# (demo capture, frame removed): what it held
DEMO_CASES = [
    ("iso2_dc.pcapng", 61, "the EV's AuthorizationReq (the second of three)"),
    ("iso2_dc.pcapng", 71, "the charger's ChargeParameterDiscoveryRes (Ongoing)"),
    ("iso2_dc.pcapng", 149, "a CurrentDemandReq in the middle of the charge loop"),
    ("iso2_dc.pcapng", 151, "a CurrentDemandRes in the middle of the charge loop"),
    ("iso2_ac.pcapng", 61, "the EV's AuthorizationReq"),
    ("din_dc.pcapng", 63, "the charger's ContractAuthenticationRes"),
    ("din_dc.pcapng", 149, "a DIN CurrentDemandReq in the charge loop"),
    ("iso20_dc_bpt_dynamic.pcapng", 149, "an ISO 15118-20 DC_ChargeLoopReq"),
    ("iso20_dc_bpt_dynamic.pcapng", 151, "an ISO 15118-20 DC_ChargeLoopRes"),
    ("iso20_ac_bpt.pcapng", 131, "an ISO 15118-20 AC_ChargeLoopRes"),
    # TLS: the direction that lost bytes is decrypted on past them (the next record that authenticates)
    ("iso2_tls12.pcapng", 67, "the charger's AuthorizationRes over TLS 1.2"),
    ("iso2_tls12.pcapng", 101, "a CableCheckReq over TLS 1.2"),
    ("iso20_tls13.pcapng", 101, "a DC_CableCheckRes over TLS 1.3"),
]


@pytest.mark.parametrize(("name", "drop", "what"), DEMO_CASES, ids=[f"{n}-{d}" for n, d, _w in DEMO_CASES])
def test_a_lost_segment_is_a_gap_and_blames_nobody(name: str, drop: int, what: str, tmp: Path) -> None:
    _assert_nobody_blamed(_damage(DEMO / name, drop, tmp))


def test_the_brief_case_gives_the_gap_and_only_information(tmp: Path) -> None:
    # editcap iso2_dc.pcapng out.pcapng 61: once five errors blaming both sides at frames 62-72
    d = _damage(DEMO / "iso2_dc.pcapng", 61, tmp)
    gap = d.gaps[0]
    assert (d.frame(gap.frame), gap.extra["dir"], gap.fields["missing_bytes"], gap.fields["stream_offset"]) == (
        73, "ev->evse", 21, 164)
    assert [f.rule for f in d.after] == ["sequence.capture-gap"]


def test_check_passes_a_damaged_clean_capture_and_says_why_judgement_restarted(tmp: Path) -> None:
    path = _copy(DEMO / "iso2_dc.pcapng", tmp / "iso2_dc-lost-61.pcapng", 61)
    result = CliRunner().invoke(check, [str(path)])
    assert result.exit_code == 0, result.stdout  # nothing at or above the default --fail-on error
    assert result.stdout.splitlines() == [
        "iso2_dc-lost-61.pcapng#1 frame 72: info sequence.capture-gap [unknown] the capture lost 21 bytes the EV "
        "sent on stream 0 (offset 164): order and timing are judged afresh after them",
        "1 captures, 1 sessions: 0 errors, 0 warnings, 1 infos"]


@pytest.mark.parametrize(("first", "second"), [(61, 63), (149, 151)], ids=["authorization", "current-demand"])
def test_a_request_captured_after_its_answer_blames_nobody(first: int, second: int, tmp: Path) -> None:
    # a busy capture host shows the charger's answer before the EV's request it acknowledges: no bytes
    # are lost (no gap, nothing to say), and the request must come first for the order rules
    with open_capture(DEMO / "iso2_dc.pcapng") as reader:
        frames = [f for f in reader if isinstance(f, RawFrame)]
    frames[first - 1], frames[second - 1] = frames[second - 1], frames[first - 1]
    path = tmp / f"iso2_dc-swapped-{first}-{second}.pcapng"
    with PcapngWriter(path) as out:
        for f in frames:
            out.write_frame(f.data, f.time)
    records, _ = decode_file(path)
    assert [r for r in records if r.kind == "gap" or r.error] == []
    v2g = [(r.name, r.time) for r in records if r.kind == "v2g"]
    whole, _ = decode_file(DEMO / "iso2_dc.pcapng")
    assert v2g == [(r.name, r.time) for r in whole if r.kind == "v2g"]  # the conversation as it went
    assert analyse_file(path).findings == ()


@pytest.mark.parametrize("drop", [1502, 1504], ids=["request", "response"])
def test_a_lost_charge_loop_segment_of_a_real_car_blames_nobody(drop: int, tmp: Path) -> None:
    need_shared()
    d = _damage(REAL / BMW, drop, tmp)
    _assert_nobody_blamed(d)
    assert not d.judged(d.before)  # a clean session: the damaged one must be clean too


def test_real_sequence_errors_before_after_and_beside_the_gap_are_still_found(tmp: Path) -> None:
    need_shared()
    # the ccs32clara EV garbles its SessionID at frame 1355 of connection 1 (the SECC answers
    # FAILED_UnknownSession), after an unanswered ContractAuthenticationReq on connection 0 (frame 195);
    # frame 1301, a CurrentDemandReq of connection 1, is lost
    d = _damage(REAL / CCS32, 1301, tmp)
    _assert_nobody_blamed(d)
    found = d.judged(d.after)
    assert {("sequence.session-id", 1355, "ev"), ("codes.failed", 1356, "ev"),
            ("sequence.no-response", 195, "evse")} <= found


def test_a_fin_that_comes_before_the_held_messages_blames_nobody(tmp: Path) -> None:
    need_shared()
    # the charger's PreChargeRes of frame 1355 is lost; the EV gives up on its PowerDeliveryReq
    # (frame 1384) and closes at 1387, a FIN that acknowledges the lost bytes: its record comes
    # before the messages the reassembler holds until it gives the bytes up
    d = _damage(REAL / "pyPLC__2022-12-13_compleo_powerdelivery230_no_load.pcapng", 1355, tmp)
    _assert_nobody_blamed(d)
    assert ("sequence.no-response", 532, "evse") in d.judged(d.after)  # an earlier connection's, still found


@pytest.mark.parametrize("drop", [61, 141], ids=["lost-before", "lost-after"])
def test_a_phase_skipped_on_the_same_connection_is_found_across_a_gap(drop: int, tmp: Path) -> None:
    # the simulator's EV skips PowerDelivery (CurrentDemandReq at frame 137 right after PreCharge);
    # an AuthorizationReq long before it, or the SessionStopReq after it, is lost
    path = tmp / "iso2-dc-sequence-error.pcapng"
    if not path.exists():
        write_pcapng(simulate("iso2-dc-sequence-error", seed=7, loops=6), path)
    d = _damage(path, drop, tmp)
    _assert_nobody_blamed(d)
    assert ("sequence.phase-order", 137, "ev") in d.judged(d.after)
