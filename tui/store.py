"""What the UI shows, without widgets: all records, the filtered view, sessions and counters.

Mutable, touched only on the UI thread. Records are kept once; the view is a list of indices
into them, so filtering 10^5 records builds one list of ints.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass

from v2gsniff.sniffer.filters import FieldsSeen, Filter, compile_filter
from v2gsniff.sniffer.findings.model import SEVERITIES, Finding
from v2gsniff.sniffer.model import Record
from v2gsniff.sniffer.sessions import Session

from .feed import Batch, Counters


@dataclass(frozen=True, slots=True)
class UiSession:
    """A session as the UI numbers it (1-based over every open capture)."""

    number: int
    capture: str
    session: Session


class RecordStore:
    def __init__(self) -> None:
        self.records: list[Record] = []
        self.view: list[int] = []
        """Indices into ``records`` that pass the filter, in order."""
        self.filter: Filter = compile_filter("")
        self.fields_seen = FieldsSeen()
        """The ``fields.KEY`` names of every record so far (the filter bar names unknown ones)."""
        self.counters = Counters()
        self.done = False
        self.exit_code = 0
        self.sessions: list[UiSession] = []
        self._captures: list[tuple[int, str]] = []
        self._by_capture: dict[str, list[Session]] = {}
        self._session_of: list[int | None] = []
        self._mapped_revision = -1
        self._revision = 0
        self._first_time: float | None = None
        self.marks: dict[str, int] = {}
        """termshark marks: letter -> record index (by record, so they outlive a filter)."""

    # -- input -------------------------------------------------------------------------------

    def add(self, batch: Batch) -> list[int]:
        """Take a batch; returns the view positions it added (rows appended at the end)."""
        self._captures.extend(batch.captures)
        start = len(self.records)
        self.records.extend(batch.records)
        note = self.fields_seen.note
        for r in batch.records:
            note(r)
        if self._first_time is None:
            for r in batch.records:
                if r.time:
                    self._first_time = r.time
                    break
        if batch.sessions is not None:
            self._by_capture.update(batch.sessions)
            self._renumber()
        self.counters = batch.counters
        self.done = self.done or batch.done
        self.exit_code = max(self.exit_code, batch.exit_code)
        first_row = len(self.view)
        f = self.filter
        if f.empty:
            self.view.extend(range(start, len(self.records)))
        else:
            need = f.uses_session
            for i in range(start, len(self.records)):
                if f.matches(self.records[i], self.session_number(i) if need else None):
                    self.view.append(i)
        return list(range(first_row, len(self.view)))

    def set_filter(self, f: Filter) -> None:
        self.filter = f
        records = self.records
        if f.empty:
            self.view = list(range(len(records)))
        elif f.uses_session:
            self.view = [i for i in range(len(records)) if f.matches(records[i], self.session_number(i))]
        else:
            match = f.matches
            self.view = [i for i, r in enumerate(records) if match(r)]

    # -- lookups -----------------------------------------------------------------------------

    @property
    def first_time(self) -> float:
        return self._first_time or 0.0

    def capture_of(self, index: int) -> str:
        """Name of the capture record ``index`` came from."""
        if not self._captures:
            return ""
        if len(self._captures) == 1:
            return self._captures[0][1]
        pos = bisect_right([c[0] for c in self._captures], index) - 1
        return self._captures[max(pos, 0)][1]

    def session_number(self, index: int) -> int | None:
        """UI number of the session record ``index`` belongs to (by TCP stream, else by frame span)."""
        if self._mapped_revision != self._revision:
            self._session_of = []
            self._mapped_revision = self._revision
        mapped = self._session_of
        while len(mapped) <= index:
            mapped.append(self._map(len(mapped)))
        return mapped[index]

    def _map(self, index: int) -> int | None:
        r = self.records[index]
        by_stream, spans = self._lookup(self.capture_of(index))
        stream = r.extra.get("stream")
        if stream is not None and stream in by_stream:
            return by_stream[stream]
        hit = None
        for first, last, number in spans:
            if first <= r.frame <= last:
                hit = number
        return hit

    def _lookup(self, capture: str) -> tuple[dict[int, int], list[tuple[int, int, int]]]:
        """Per capture: TCP stream -> session number, and (first, last frame, number) spans."""
        key = (self._revision, capture)
        if self._lookups_key != key:
            mine = [s for s in self.sessions if s.capture == capture or not capture]
            by_stream: dict[int, int] = {}
            for s in mine:
                for stream in s.session.streams:
                    by_stream.setdefault(stream, s.number)
            self._lookups = (by_stream, [(s.session.first_frame, s.session.last_frame, s.number) for s in mine])
            self._lookups_key = key
        return self._lookups

    _lookups_key: tuple[int, str] | None = None
    _lookups: tuple[dict[int, int], list[tuple[int, int, int]]] = ({}, [])

    def first_row_of_session(self, number: int) -> int | None:
        """View row of the first record of session ``number`` (or the nearest after its start)."""
        target = next((s for s in self.sessions if s.number == number), None)
        if target is None:
            return None
        for row, i in enumerate(self.view):
            if self.session_number(i) == number:
                return row
        return None

    def row_of(self, index: int) -> int | None:
        """View row of record ``index``, ``None`` when the filter hides it."""
        row = bisect_left(self.view, index)  # the view keeps record order
        return row if row < len(self.view) and self.view[row] == index else None

    def row_of_frame(self, frame: int) -> int | None:
        """First view row whose frame is ``frame`` or later (termshark's ``42G``), else the last row."""
        records = self.records
        for row, i in enumerate(self.view):
            if records[i].frame >= frame:
                return row
        return len(self.view) - 1 if self.view else None

    def findings_at(self, index: int) -> list[Finding]:
        """The findings whose frame is record ``index``'s (its sessions' findings, worst first)."""
        if self._findings_key != self._revision:
            at: dict[tuple[str, int], list[Finding]] = {}
            for u in self.sessions:
                for f in u.session.findings:
                    at.setdefault((u.capture, f.frame), []).append(f)
            for found in at.values():
                found.sort(key=lambda f: SEVERITIES.index(f.severity))
            self._findings = at
            self._findings_key = self._revision
        if not self._findings:
            return []
        return self._findings.get((self.capture_of(index), self.records[index].frame), [])

    def severity_at(self, index: int) -> str | None:
        """The worst severity of the findings shown by record ``index``'s frame (``None``: none)."""
        found = self.findings_at(index)
        return found[0].severity if found else None

    _findings_key = -1
    _findings: dict[tuple[str, int], list[Finding]] = {}

    def mark_of(self, index: int) -> str:
        """The letter marking record ``index`` (the first in a-z when several do), or ``""``."""
        return min((letter for letter, i in self.marks.items() if i == index), default="")

    def next_error_row(self, row: int, step: int) -> int | None:
        """Next view row (in direction ``step``) whose record carries an error, or whose frame shows
        an error or warning finding (the first row of that frame)."""
        view, records = self.view, self.records
        r = row + step
        while 0 <= r < len(view):
            i = view[r]
            if records[i].error:
                return r
            if self.severity_at(i) in ("error", "warning"):
                before = view[r - 1] if r > 0 else None
                if before is None or records[before].frame != records[i].frame:
                    return r
            r += step
        return None

    # -- internals ---------------------------------------------------------------------------

    def _renumber(self) -> None:
        names = dict.fromkeys([name for _start, name in self._captures] + list(self._by_capture))
        out: list[UiSession] = []
        for name in names:
            for s in self._by_capture.get(name, []):
                out.append(UiSession(len(out) + 1, name, s))
        self.sessions = out
        self._revision += 1
