"""Fleet scale: the per-capture work with a cache, on local processes or a Dask cluster.

``Analyse`` wraps ``analyse_file`` (the unit of work) with the ``--cache`` and the export's
message rows; ``analyse_all`` runs it over every capture with ``--jobs`` processes
(``collect``) or as Dask tasks (``--dask SCHEDULER|local``). Either way results come back in
the order of the sorted capture list, so the report is byte-identical whatever ran it.

Only capture locations travel to the workers; each worker opens its captures itself (local
paths it can see, or fsspec URLs), so nothing large passes through the scheduler. Dask's own
fault tolerance re-runs the tasks of a worker that dies; a capture that kills its worker every
time (or raises) becomes a problem line in the report, never a failed run.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from v2gsniff.sniffer.capture.remote import base_name
from v2gsniff.sniffer.setup import AnalysisSetup

from .collect import CaptureResult, Keep, Work, analyse_file, biggest_first, collect

FLEET_HINT = "pip install 'v2gsniff[fleet]'  (dask, distributed, fsspec, pyarrow)"


class FleetUnavailable(RuntimeError):
    """An optional part (Dask, fsspec, pyarrow) is not installed; the message says what to install."""


@dataclass(frozen=True, slots=True)
class FleetResult(CaptureResult):
    """A ``CaptureResult`` that also says where it came from and, for the export, its messages."""

    from_cache: bool = False
    messages: dict[str, list[Any]] | None = None
    """``MessageRows.columns`` of the capture, when the work was asked for them."""
    hashed: bool = False
    """The capture was read to find its cache entry (the cache's index did not know it unchanged)."""


@dataclass(frozen=True, slots=True)
class Analyse:
    """The unit of work with the cache: picklable, so processes and Dask workers run it as it is."""

    cache: str | None = None
    """``--cache`` directory or URL."""
    messages: bool = False
    """Also collect one row per V2G message (the export)."""
    series: bool = True
    """Keep the sessions' time series. Only JSON and the HTML plots read them, and they are most of
    a session's size: without them a fleet's results cost the workers' network and the client's
    memory far less. The cache keeps them either way."""

    def __call__(self, location: str | Path, label: str | None = None, name: str | None = None,
                 setup: AnalysisSetup | None = None) -> CaptureResult:
        loc = str(location)
        name = name or base_name(loc)
        try:
            result = self._run(loc, label, name, setup)
            if not self.series and any(s.series for s in result.sessions):
                result = dataclasses.replace(result, sessions=tuple(dataclasses.replace(s, series=())
                                                                    for s in result.sessions))
            return result
        except Exception as err:  # noqa: BLE001 - one bad capture must not stop the other 99,999
            return FleetResult(loc, name, (), error=f"analysis failed: {type(err).__name__}: {err}")

    def _run(self, location: str, label: str | None, name: str, setup: AnalysisSetup | None) -> FleetResult:
        from v2gsniff.sniffer.capture import CaptureError

        from .cache import AnalysisCache, from_entry, to_entry

        store = AnalysisCache(self.cache) if self.cache else None
        key, hashed = None, False
        if store is not None:
            try:
                digest, hashed = store.content_digest(location)
                key = store.entry_key(digest, label, setup)
            except (OSError, CaptureError):
                key = None  # unreadable: analyse_file says why, and nothing is cached
            entry = store.get(key) if key else None
            if entry is not None and (not self.messages or "messages" in entry):
                r = from_entry(entry, location, name, self.series)
                return FleetResult(r.path, r.capture, r.sessions, r.frames, r.v2g_messages, r.error, r.failure,
                                   r.findings, from_cache=True, messages=entry.get("messages"), hashed=hashed)
        rows = None
        if self.messages:
            from .messages import MessageRows

            rows = MessageRows()
        r = analyse_file(location, label, name, setup, [rows] if rows else ())
        columns = rows.columns(r.sessions) if rows else None
        if store is not None and key and not (r.error and not r.frames):
            store.put(key, to_entry(r, columns))  # an open/read failure may be passing: not kept
        return FleetResult(r.path, r.capture, r.sessions, r.frames, r.v2g_messages, r.error, r.failure,
                           r.findings, messages=columns, hashed=hashed)


def analyse_all(files: Sequence[str | Path], *, jobs: int = 1, dask: str | None = None,
                label: str | None = None, work: Work = analyse_file,
                progress: Callable[[CaptureResult], None] | None = None,
                names: Sequence[str] | None = None, setup: AnalysisSetup | None = None,
                sizes: Sequence[int] | None = None, keep: Keep | None = None) -> list[CaptureResult]:
    """``work`` over ``files`` in ``files`` order (named by ``names``, their file names unless
    given; ``sizes`` from the listing pick the biggest first): ``jobs`` processes, or a Dask
    cluster. ``keep`` sees each result as it arrives and says what of it to keep."""
    if dask is None:
        return collect(files, jobs, label, progress, names, setup, work, sizes, keep)
    return run_dask(files, dask, label, work, progress, workers=jobs if jobs > 1 else None, names=names, setup=setup,
                    sizes=sizes, keep=keep)


MAX_BATCH = 64
"""Captures per Dask task at most. A task costs the scheduler about a millisecond whatever it does,
and a simulated capture decodes in ten: small captures go in batches, so that a million of them
is some ten thousand tasks, yet every worker still gets several tasks to balance the load."""


def batches(order: Sequence[int], slots: int) -> list[list[int]]:
    """``order`` (biggest capture first) dealt round-robin into batches of similar total size."""
    size = max(1, min(MAX_BATCH, len(order) // (8 * max(1, slots))))
    count = -(-len(order) // size)
    return [list(order[k::count]) for k in range(count)]


def _analyse_batch(work: Work, locations: list[tuple[str, str]], label: str | None,
                   setup: AnalysisSetup | None) -> list[CaptureResult]:
    return [work(loc, label, name, setup) for loc, name in locations]


def run_dask(files: Sequence[str | Path], scheduler: str, label: str | None, work: Work,
             progress: Callable[[CaptureResult], None] | None = None,
             workers: int | None = None, names: Sequence[str] | None = None,
             setup: AnalysisSetup | None = None, sizes: Sequence[int] | None = None,
             keep: Keep | None = None) -> list[CaptureResult]:
    """Dask tasks of one or more captures on ``scheduler`` (an address, or ``local`` for a LocalCluster).

    Biggest captures are dealt out first so no worker is left with a large one at the end; the
    order is restored afterwards. Results are fetched and released as they complete.
    """
    distributed = require_dask()
    locations = [str(f) for f in files]
    given = list(names) if names is not None else [base_name(f) for f in locations]
    order = biggest_first(locations, sizes)
    run = uuid.uuid4().hex[:8]
    done: dict[int, CaptureResult] = {}
    with dask_client(scheduler, workers) as client:
        groups = batches(order, sum(client.nthreads().values()))
        futures = client.map(_analyse_batch, [work] * len(groups),
                             [[(locations[i], given[i]) for i in g] for g in groups],
                             [label] * len(groups), [setup] * len(groups), key=[f"v2gsniff-{run}-{n}" for n in range(len(groups))],
                             pure=False)
        index = {f.key: g for f, g in zip(futures, groups, strict=True)}
        for fut in distributed.as_completed(futures):
            group = index[fut.key]
            try:
                results = fut.result()
            except Exception as err:  # noqa: BLE001 - e.g. KilledWorker after Dask's retries
                why = f"analysis failed on the cluster: {type(err).__name__}: {err}"
                results = [FleetResult(locations[i], given[i], (), error=why) for i in group]
            fut.release()
            for i, res in zip(group, results, strict=True):
                done[i] = keep(i, res) if keep else res
                if progress:
                    progress(done[i])
    return [done[i] for i in range(len(locations))]


def require_dask() -> Any:
    try:
        import distributed
    except ImportError as err:
        raise FleetUnavailable(f"--dask needs Dask: {FLEET_HINT}") from err
    return distributed


@contextmanager
def dask_client(scheduler: str, workers: int | None = None) -> Iterator[Any]:
    """A client of ``scheduler``; ``local`` starts (and stops) a LocalCluster of worker processes."""
    distributed = require_dask()
    if scheduler != "local":
        with distributed.Client(scheduler, timeout="30s") as client:
            yield client
        return
    n = workers or os.cpu_count() or 1
    # One thread per worker: the decoder is pure Python, so threads would only share one GIL.
    # ":0": the scheduler's HTTP endpoints take any free port (8787 may be another cluster's).
    with distributed.LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=":0",
                                  silence_logs=logging.ERROR) as cluster, distributed.Client(cluster) as client:
        yield client


@dataclass(frozen=True, slots=True)
class Summary:
    """The closing line of a run: captures read, taken from the cache, failed (nothing readable)
    and cut short (read up to an error); the reasons are the report's capture notes. With a cache,
    also how many captures were read to hash them (the others were known unchanged by the index)."""

    read: int
    from_cache: int
    failed: int
    cut_short: int
    hashed: int = 0
    cached: bool = False
    """A cache was in use."""

    @classmethod
    def of(cls, results: Sequence[CaptureResult], cached: bool = False) -> Summary:
        from_cache = sum(1 for r in results if isinstance(r, FleetResult) and r.from_cache)
        hashed = sum(1 for r in results if isinstance(r, FleetResult) and r.hashed)
        failed = sum(1 for r in results if r.error and not r.frames)
        return cls(len(results), from_cache, failed, sum(1 for r in results if r.error) - failed, hashed, cached)

    def __str__(self) -> str:
        text = (f"{self.read} captures read ({self.read - self.from_cache} decoded, {self.from_cache} from "
                f"cache), {self.failed} failed, {self.cut_short} read up to an error")
        return text + (f", {self.hashed} hashed for the cache" if self.cached else "")
