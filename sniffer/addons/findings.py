"""The findings check as an engine stage: each record's findings follow it as ``finding`` records."""

from __future__ import annotations

from typing import TYPE_CHECKING

from v2gsniff.sniffer.findings.check import FindingsCheck
from v2gsniff.sniffer.findings.model import Finding
from v2gsniff.sniffer.findings.records import finding_record
from v2gsniff.sniffer.model import Record, SharedTail

from .visibility import Visibility

if TYPE_CHECKING:
    from v2gsniff.sniffer.engine import Engine
    from v2gsniff.sniffer.sessions import SessionTracker


class Findings(Visibility):
    """A :class:`FindingsCheck` per capture, fed every record. With ``write`` (``--no-findings``
    turns it off) a record's findings are inserted right after it, and those only the end of the
    capture settles come last. Its visibility check judges as :class:`Visibility` does (the
    engine's ``findings`` hook), at the capture's end before the late findings; a capture that
    could not be read to its end gets neither (what was read may stop mid-conversation).

    With ``sessions`` (``decode --sessions``) the check is a :class:`SessionTracker`'s, the one
    tracker of the run: every record and finding gains ``session``, the id ``v2gsniff sessions``
    gives its charging session (``None`` outside any), as far as the record shows it when it comes."""

    def __init__(self, write: bool = True, sessions: bool = False) -> None:
        super().__init__()
        self.write = write
        self.sessions = sessions
        self.tracker: SessionTracker | None = None
        self.check = FindingsCheck()
        self.visibility = self.check.visibility
        self._cut = False

    def capture_start(self, engine: Engine) -> None:
        super().capture_start(engine)
        if self.sessions:
            from v2gsniff.sniffer.sessions import SessionTracker  # with --sessions only: it loads the model

            self.tracker = SessionTracker(engine.capture)
            self.check = self.tracker.check
        else:
            self.check = FindingsCheck()
        self.visibility = self.check.visibility
        self._cut = False

    def capture_problem(self, engine: Engine, problem: object) -> None:
        self._cut = True

    records = None  # type: ignore[assignment]  # the check feeds its visibility check itself

    def transform(self, records: list[Record]) -> list[Record]:
        out: list[Record] = []
        if self.tracker is not None:
            observe, session_of = self.tracker.observe, self.tracker.session_of
            for r in records:
                found = observe(r)
                sid = session_of(r)
                out.append(with_session(r, sid))
                if found and self.write:
                    out += as_records([f._replace(session=sid) for f in found], r.time)
            return out
        feed = self.check.feed
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
        if self.tracker is None:
            late = self.check.finish()
            return as_records(late) if self.write else []
        before = len(self.check.findings)
        # the sessions as ``sessions`` shows them say which session a late finding belongs to
        final = {(f.rule, f.frame, f.text): f.session for s in self.tracker.finish() for f in s.findings}
        late = [f._replace(session=final.get((f.rule, f.frame, f.text))) for _s, f in self.check.findings[before:]]
        return as_records(late) if self.write else []

    def capture_end(self, engine: Engine) -> None:
        pass  # judged in settle, before the late findings


def with_session(r: Record, session: int | None) -> Record:
    """``r`` with its session id among its own keys (``session``)."""
    extra = r.extra
    if r.kind == "finding":
        return r
    if type(extra) is SharedTail:
        return r._replace(extra=SharedTail({**extra.head, "session": session}, extra.tail))
    return r._replace(extra={**extra, "session": session})


def as_records(found: list[Finding], time: float | None = None) -> list[Record]:
    """Findings as ``finding`` records (``time`` for those that have none)."""
    return [finding_record(f, time) for f in found]
