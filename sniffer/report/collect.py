"""Captures in, sessions out: decode files (in parallel) and run the session tracker over each.

Results come back in the order of the sorted file list, whatever the number of workers, so a
report never depends on ``--jobs``.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

from v2gsniff.sniffer.addons import Pnc, Sessions
from v2gsniff.sniffer.capture import CaptureError, CaptureNotFound
from v2gsniff.sniffer.capture.open import PCAPNG_MAGIC
from v2gsniff.sniffer.capture.pcap import is_pcap_magic
from v2gsniff.sniffer.capture.remote import base_name, is_url, list_captures
from v2gsniff.sniffer.engine import Engine
from v2gsniff.sniffer.findings.model import Finding
from v2gsniff.sniffer.sessions import Session
from v2gsniff.sniffer.sessions.pathlabel import PathPattern, identify_by_path, relative_path
from v2gsniff.sniffer.setup import AnalysisSetup

from .identify import reconcile

CAPTURE_SUFFIXES = (".pcap", ".pcapng", ".dump", ".cap", ".pcap.gz", ".pcapng.gz", ".dump.gz")
"""File names taken from directories (files named explicitly are always read); other files in a
directory are taken when their first bytes are a pcap or pcapng magic number."""


def looks_like_capture(path: Path) -> bool:
    """A capture by name, or by content: labs keep ``ethernet-traffic`` files without a suffix."""
    if path.name.lower().endswith(CAPTURE_SUFFIXES):
        return True
    try:
        with open(path, "rb") as fh:
            magic = fh.read(4)
    except OSError:
        return False
    return magic == PCAPNG_MAGIC or is_pcap_magic(magic)


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
    failure: CaptureError | None = None
    """The error itself, for the command's exit code."""
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


def find_captures(paths: Iterable[str | Path]) -> tuple[list[Path | str], list[str]]:
    """Files to read (directories and URL prefixes searched recursively) and problems with the paths
    given. URLs stay strings (``s3://…``, see ``capture.remote``); local files are paths."""
    found, problems = sized_captures(paths)
    return [f for f, _ in found], problems


def sized_captures(paths: Iterable[str | Path]) -> tuple[list[tuple[Path | str, int]], list[str]]:
    """``find_captures`` with each file's size in bytes: local files from the directory walk, URLs
    from fsspec's listing (no request per object), so the workers get the biggest first either way."""
    files: dict[Path | str, int] = {}
    problems: list[str] = []
    for raw in paths:
        if is_url(raw):
            found_urls, problem = list_captures(str(raw), CAPTURE_SUFFIXES)
            files.update(found_urls)
            if problem:
                problems.append(problem)
            continue
        p = Path(raw)
        if p.is_dir():
            found = sorted(f for f in p.rglob("*") if f.is_file() and looks_like_capture(f))
            if not found:
                problems.append(f"{p}: no capture files ({', '.join(CAPTURE_SUFFIXES)}, or pcap/pcapng "
                                "content) in this directory")
            files.update((f, _size(f)) for f in found)
        elif p.exists() or str(raw) == "-":
            files[p] = _size(p)
        else:
            problems.append(f"{p}: no such file or directory")
    unique = sorted(files.items(), key=lambda item: (base_name(item[0]), str(item[0])))
    return unique, problems


def analyse_file(path: str | Path, label: str | None = None, name: str | None = None,
                 setup: AnalysisSetup | None = None, addons: Sequence[object] = ()) -> CaptureResult:
    """Decode one capture (a path, or an fsspec URL: the engine's source opens both) and return its
    sessions; ``name`` is how reports call it (its file name unless said otherwise), with their
    Plug & Charge checks. ``addons`` also see every record (the export's message rows)."""
    location = str(path) if is_url(path) else Path(path)
    name = name or ("stdin" if str(location) == "-" else base_name(location))
    pnc = Pnc(setup)  # signed messages and chains get their verdicts before the tracker sees them
    sessions = Sessions(label, attach=pnc.attach)
    engine = Engine([pnc, sessions, *addons], keylog=setup.keylog() if setup and setup.keylogs else None)
    failure: CaptureError | None = None
    try:
        engine.read([location], names=[name])
    except OSError as err:
        failure = CaptureNotFound(f"{type(err).__name__}: {err}")
        engine.finish()
    if engine.problems and isinstance(engine.problems[-1].error, CaptureError):
        failure = engine.problems[-1].error
    stats = engine.decoder.stats if engine.decoder is not None else None
    frames, v2g = (stats.frames, stats.by_kind.get("v2g", 0)) if stats is not None else (0, 0)
    error = _unnamed(str(failure), str(path)) if failure else None
    found = tuple(sessions.finished.get(name, ()))
    tracker = sessions.trackers.get(name)
    everything = [f for _stream, f in tracker.check.findings] if tracker is not None else []
    return CaptureResult(str(location), name, found, frames, v2g, error, failure,
                         capture_findings(found, everything))


def _unnamed(text: str, path: str) -> str:
    """The error without the file name in front (reports name the capture beside it)."""
    for prefix in (f"{path}: ", "<stdin>: "):
        if text.startswith(prefix):
            return text[len(prefix):]
    return text


def capture_names(files: Sequence[str | Path], arguments: Sequence[str | Path]) -> list[str]:
    """How reports name each capture: its path relative to the directory argument it was found in
    (labs file every car's capture as ``ethernet-traffic.dump``), else its file name."""
    return [relative_path(f, arguments) for f in files]


def capture_findings(sessions: tuple[Session, ...], everything: list[Finding]) -> tuple[Finding, ...]:
    """The sessions' findings plus the record-level ones no session took, in frame order."""
    taken = {(f.rule, f.frame, f.text) for s in sessions for f in s.findings}
    rest = [f for f in everything if (f.rule, f.frame, f.text) not in taken]
    return tuple(sorted([*(f for s in sessions for f in s.findings), *rest], key=lambda f: f.frame))


Work = Callable[[str | Path, str | None, str | None, AnalysisSetup | None], CaptureResult]
"""The unit of work: one capture, the ``--label``, its report name and the PnC setup in, its
result out; ``analyse_file`` or a wrapper of it (the cache in ``fleet``). It runs in worker
processes, so it must pickle."""

Keep = Callable[[int, CaptureResult], CaptureResult]
"""Called in the client as each result arrives (in any order) with its index in the file list;
what it returns is what the run keeps. The export writes a capture's rows to disk here and keeps
little of it, so a fleet's results do not pile up in the client."""


def collect(files: Sequence[str | Path], jobs: int = 1, label: str | None = None,
            progress: Callable[[CaptureResult], None] | None = None,
            names: Sequence[str] | None = None, setup: AnalysisSetup | None = None,
            work: Work = analyse_file, sizes: Sequence[int] | None = None,
            keep: Keep | None = None) -> list[CaptureResult]:
    """``work`` over ``files`` with ``jobs`` worker processes; results in ``files`` order
    (standard input, ``-``, can only be read here, so it makes the run sequential)."""
    jobs = 1 if any(str(f) == "-" for f in files) else max(1, min(jobs, len(files) or 1))
    given = list(names) if names is not None else [base_name(f) for f in files]
    results: list[CaptureResult] = []
    if jobs == 1:
        for i, (f, name) in enumerate(zip(files, given, strict=True)):
            res = work(f, label, name, setup)
            results.append(keep(i, res) if keep else res)
            if progress:
                progress(results[-1])
        return results
    done: dict[int, CaptureResult] = {}
    waiting = iter(biggest_first(files, sizes))
    running: dict[Future[CaptureResult], int] = {}
    with ProcessPoolExecutor(max_workers=jobs) as pool:

        def submit() -> None:
            i = next(waiting, None)
            if i is not None:
                running[pool.submit(work, files[i], label, given[i], setup)] = i

        # A few captures per worker in flight, not all of them: 100,000 pending futures would
        # cost the client more than their results (the export keeps little of each).
        for _ in range(IN_FLIGHT * jobs):
            submit()
        while running:
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for fut in finished:
                i = running.pop(fut)  # the future holds the whole result as long as it is referenced
                res = fut.result()
                done[i] = keep(i, res) if keep else res
                if progress:
                    progress(done[i])
                submit()
    return [done[i] for i in range(len(files))]


IN_FLIGHT = 4
"""Captures submitted per worker process ahead of their results."""


def biggest_first(files: Sequence[str | Path], sizes: Sequence[int] | None = None) -> list[int]:
    """Indexes of ``files``, biggest first (ties in list order), so no worker is left with a large
    capture at the end; ``sizes`` from the listing (``sized_captures``), else each file's own."""
    known = list(sizes) if sizes is not None else [_size(f) for f in files]
    return sorted(range(len(files)), key=lambda i: -known[i])


def _size(path: str | Path) -> int:
    if is_url(path) or str(path) == "-":
        return 0
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def label_by_path(results: list[CaptureResult], arguments: Sequence[str | Path],
                  patterns: Sequence[PathPattern]) -> list[CaptureResult]:
    """Brand, model, trim and software of every session, read from its capture's path
    (:func:`path_labels`), then reconciled with the addresses (:func:`reconciled`), so ``report``
    and ``sessions`` say the same."""
    return reconciled(path_labels(results, arguments, patterns)) if patterns else results


def path_labels(results: list[CaptureResult], arguments: Sequence[str | Path],
                patterns: Sequence[PathPattern]) -> list[CaptureResult]:
    """Each capture's sessions labelled from its path (the first pattern that matches; captures no
    pattern matches keep what the traffic says). Needs no other capture: done as results arrive."""
    out = []
    for r in results:
        entry = identify_by_path(r.path if is_url(r.path) else Path(r.path), arguments, patterns) if patterns else None
        if entry is None:
            out.append(r)
            continue
        sessions = tuple(dataclasses.replace(s, vehicle=dataclasses.replace(
            s.vehicle, brand=entry.brand, model=entry.model, trim=entry.trim, software=entry.software,
            identified_by="path")) for s in r.sessions)
        out.append(dataclasses.replace(r, sessions=sessions))
    return out


def reconciled(results: list[CaptureResult]) -> list[CaptureResult]:
    """Path labels checked against the addresses of all captures (``identify.reconcile``): a session
    whose address is another capture's only vehicle is that vehicle's."""
    settled = iter(reconcile([s for r in results for s in r.sessions]))
    return [dataclasses.replace(r, sessions=tuple(next(settled) for _ in r.sessions)) for r in results]
