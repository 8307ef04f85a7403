"""The findings check as an engine stage: each record's findings follow it as ``finding`` records."""

from __future__ import annotations

from typing import TYPE_CHECKING

from v2gsniff.sniffer.findings.check import FindingsCheck
from v2gsniff.sniffer.findings.model import Finding
from v2gsniff.sniffer.findings.records import finding_record
from v2gsniff.sniffer.model import Record

from .visibility import Visibility

if TYPE_CHECKING:
    from v2gsniff.sniffer.engine import Engine


class Findings(Visibility):
    """A :class:`FindingsCheck` per capture, fed every record. With ``write`` (``--no-findings``
    turns it off) a record's findings are inserted right after it, and those only the end of the
    capture settles come last. Its visibility check judges as :class:`Visibility` does (the
    engine's ``findings`` hook), at the capture's end before the late findings; a capture that
    could not be read to its end gets neither (what was read may stop mid-conversation)."""

    def __init__(self, write: bool = True) -> None:
        super().__init__()
        self.write = write
        self.check = FindingsCheck()
        self.visibility = self.check.visibility
        self._cut = False

    def capture_start(self, engine: Engine) -> None:
        super().capture_start(engine)
        self.check = FindingsCheck()
        self.visibility = self.check.visibility
        self._cut = False

    def capture_problem(self, engine: Engine, problem: object) -> None:
        self._cut = True

    records = None  # type: ignore[assignment]  # the check feeds its visibility check itself

    def transform(self, records: list[Record]) -> list[Record]:
        feed, out = self.check.feed, []
        for r in records:
            out.append(r)
            found = feed(r)
            if found and self.write:
                out += as_records(found, r.time)
        return out

    def settle(self, engine: Engine) -> list[Record]:
        if self._cut:
            return []
        self._judge(engine, None)
        late = self.check.finish()
        return as_records(late) if self.write else []

    def capture_end(self, engine: Engine) -> None:
        pass  # judged in settle, before the late findings


def as_records(found: list[Finding], time: float | None = None) -> list[Record]:
    """Findings as ``finding`` records (``time`` for those that have none)."""
    return [finding_record(f, time) for f in found]
