"""Captures in, sessions out: decode files (in parallel) and run the session tracker over each.

Results come back in the order of the sorted file list, whatever the number of workers, so a
report never depends on ``--jobs``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from v2gsniff.sniffer.capture import CaptureError, open_capture
from v2gsniff.sniffer.findings.model import Finding
from v2gsniff.sniffer.pipeline import Decoder
from v2gsniff.sniffer.sessions import Session, SessionTracker

CAPTURE_SUFFIXES = (".pcap", ".pcapng", ".dump", ".cap", ".pcap.gz", ".pcapng.gz", ".dump.gz")
"""File names taken from directories (files named explicitly are always read)."""


@dataclass(frozen=True, slots=True)
class CaptureResult:
    """The sessions of one capture and what went wrong reading it, if anything."""

    path: str
    capture: str
    """File name, as reports show it."""
    sessions: tuple[Session, ...]
    frames: int = 0
    v2g_messages: int = 0
    error: str | None = None
    """Why the capture could not be read to its end (what was readable is still analysed)."""
    findings: tuple[Finding, ...] = ()
    """Every finding of the capture in frame order: those of its sessions (``Session.findings``,
    with ``session`` set) and those outside any session (``session`` None)."""

    @property
    def message(self) -> str | None:
        """A user-facing note when this capture contributes nothing (or not everything)."""
        if self.error and not self.frames:
            return f"cannot read: {self.error}"
        if not self.sessions:
            return "no charging session found (no SLAC, SDP or V2G traffic)"
        if not self.v2g_messages:
            return "no V2G traffic (" + ", ".join(s.last_phase or "?" for s in self.sessions) + " only)"
        if self.error:
            return f"read up to an error: {self.error}"
        return None


def find_captures(paths: Iterable[str | Path]) -> tuple[list[Path], list[str]]:
    """Files to read (directories searched recursively) and problems with the paths given."""
    files: list[Path] = []
    problems: list[str] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            found = sorted(f for f in p.rglob("*") if f.is_file() and f.name.lower().endswith(CAPTURE_SUFFIXES))
            if not found:
                problems.append(f"{p}: no capture files ({', '.join(CAPTURE_SUFFIXES)}) in this directory")
            files.extend(found)
        elif p.exists():
            files.append(p)
        else:
            problems.append(f"{p}: no such file or directory")
    unique = sorted(set(files), key=lambda f: (f.name, str(f)))
    return unique, problems


def analyse_file(path: str | Path, label: str | None = None) -> CaptureResult:
    """Decode one capture and return its sessions."""
    p = Path(path)
    decoder = Decoder()
    tracker = SessionTracker(p.name, label=label)
    error = None
    try:
        with open_capture(p) as reader:
            try:
                for item in reader:
                    for record in decoder.feed(item):
                        tracker.observe(record)
            except CaptureError as err:
                error = str(err)
            for record in decoder.finish():
                tracker.observe(record)
    except CaptureError as err:
        error = str(err)
    except OSError as err:
        error = f"{type(err).__name__}: {err}"
    v2g = decoder.stats.by_kind.get("v2g", 0)
    sessions = tuple(tracker.finish())
    return CaptureResult(str(p), p.name, sessions, decoder.stats.frames, v2g, error,
                         capture_findings(sessions, [f for _stream, f in tracker.check.findings]))


def capture_findings(sessions: tuple[Session, ...], everything: list[Finding]) -> tuple[Finding, ...]:
    """The sessions' findings plus the record-level ones no session took, in frame order."""
    taken = {(f.rule, f.frame, f.text) for s in sessions for f in s.findings}
    rest = [f for f in everything if (f.rule, f.frame, f.text) not in taken]
    return tuple(sorted([*(f for s in sessions for f in s.findings), *rest], key=lambda f: f.frame))


def collect(files: list[Path], jobs: int = 1, label: str | None = None,
            progress: Callable[[CaptureResult], None] | None = None) -> list[CaptureResult]:
    """``analyse_file`` over ``files`` with ``jobs`` worker processes; results in ``files`` order."""
    jobs = max(1, min(jobs, len(files) or 1))
    results: list[CaptureResult] = []
    if jobs == 1:
        for f in files:
            results.append(analyse_file(f, label))
            if progress:
                progress(results[-1])
        return results
    # Biggest files first keeps the workers busy to the end; order is restored afterwards.
    order = sorted(range(len(files)), key=lambda i: -_size(files[i]))
    done: dict[int, CaptureResult] = {}
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = {pool.submit(analyse_file, files[i], label): i for i in order}
        from concurrent.futures import as_completed

        for fut in as_completed(futures):
            res = fut.result()
            done[futures[fut]] = res
            if progress:
                progress(res)
    return [done[i] for i in range(len(files))]


def _size(path: Path) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0
