"""The engine's stages (PnC verdicts, findings) against the plain record-by-record loop they replace."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import REAL, ROOT, need_shared
from v2gsniff.sniffer.addons import Findings, Keep, Pnc, Sessions
from v2gsniff.sniffer.engine import Engine, decode_file
from v2gsniff.sniffer.findings.check import FindingsCheck
from v2gsniff.sniffer.findings.records import finding_record
from v2gsniff.sniffer.model import Record
from v2gsniff.sniffer.pnc import PncChecker

PNC = ROOT / "captures" / "iso2_pnc.pcapng"
CUT = "everest-logfiles__BYD_Atto3_2023-04-18T15-30-40.007Z-1_config-dc-dinspec.dump"
"""A real capture cut off mid-record."""
FINDINGS = "ccs32__2023-04-05_wt32_alpi_first_charge.pcapng"
BYSTANDER = "pyPLC__2025-01-21_listenMode_05_cutted_tx_path_no_joining.pcapng"
"""A modem that hears only one side: the visibility check says so."""


def _plain_loop(path: Path) -> list[Record]:
    """What decode wrote before the engine had stages: each record PnC-checked, its findings after it,
    the visibility judgements and then the late findings at the end (none when the capture is cut)."""
    records, problem = decode_file(path)
    pnc, check, out = PncChecker(), FindingsCheck(), []
    for r in records:
        r = pnc.observe(r)
        out.append(r)
        out += [finding_record(f, r.time) for f in check.feed(r)]
    if problem is None:
        out += [v.to_record() for v in check.visibility.findings()]
        out += [finding_record(f) for f in check.finish()]
    return out


def _staged(path: Path) -> list[Record]:
    keep = Keep()
    Engine([Pnc(), Findings(), keep]).read([path])
    return _merge(keep)


def _merge(keep: Keep) -> list[Record]:
    # visibility judgements reach the ``findings`` hook: they come right before the late findings,
    # which are the trailing finding records with no record after them
    tail = len(keep.kept)
    while tail and keep.kept[tail - 1].kind == "finding":
        tail -= 1
    return keep.kept[:tail] + keep.judged + keep.kept[tail:]


def test_pnc_and_findings_stages_give_what_the_plain_loop_gives_on_the_pnc_demo() -> None:
    staged = _staged(PNC)
    assert staged == _plain_loop(PNC)
    assert any("signature" in r.extra for r in staged)  # the PnC stage ran before the sink


@pytest.mark.parametrize("name", [CUT, FINDINGS, BYSTANDER])
def test_real_captures_staged_as_the_plain_loop(name: str) -> None:
    """Findings after their record, the visibility judgements and then the late findings at the end;
    a cut capture gets neither."""
    need_shared()
    staged = _staged(REAL / name)
    assert staged == _plain_loop(REAL / name)
    expected = {FINDINGS: "finding", BYSTANDER: "visibility"}.get(name)
    if expected is not None:  # the comparison is not between two empty tails
        assert expected in {r.kind for r in staged}


def test_sessions_get_their_pnc_section_through_the_stage() -> None:
    pnc = Pnc()
    sessions = Sessions(attach=pnc.attach)
    Engine([pnc, sessions]).read([PNC])
    found = sessions.finished[str(PNC)]
    assert found and all(s.pnc is not None for s in found if s.protocol == "iso2")
