"""Writes the export's tables as results arrive, in memory that does not grow with the fleet.

A capture's rows go to disk the moment its result reaches the client, whatever order the
workers finish in: one Arrow record batch per table into a spool file (Arrow IPC, which reads
any batch back by number). When every capture is in, ``finish`` copies the batches into the
Parquet files in the tables' order (capture name, then session and frame), a row group every
``ROW_GROUP`` rows, and fills the two session columns that depend on every capture
(``tables.GLOBAL_COLUMNS``). So the files are the same whatever ran the analysis, and the client
holds one row group and, per session, only what names its vehicle and charger
(``identity_only``): a session's row is on disk, not in memory.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from v2gsniff.sniffer.sessions import Bpt, Handshake, Inventory, Phase, SapOffer, Session, TlsPosture

from .build import charger_name, vehicle_reports
from .collect import CaptureResult
from .fleet import FleetResult
from .tables import GLOBAL_COLUMNS, capture_rows, require_pyarrow, schemas, table_sessions

ROW_GROUP = 65_536
"""Rows per Parquet row group: few enough that one group of ``messages`` (some 40 columns) stays
tens of MiB in the client, many enough for DuckDB's parallel scans."""


_NO_BPT = Bpt("")


def identity_only(s: Session) -> Session:
    """What the client keeps of a session until the end, some hundreds of bytes: what
    ``vehicle_reports`` reads to group sessions into vehicles and name chargers (identity, charger,
    the offer list and SDP requests of the fingerprint) and the name of the last phase a capture's
    note quotes. The rest is already on disk; the names many sessions share are interned."""
    shared = sys.intern
    offers = next((h.offers for h in s.handshakes if h.offers), ())
    v = s.vehicle
    return dataclasses.replace(
        s, vehicle=dataclasses.replace(v, modem_vendor=v.modem_vendor and shared(v.modem_vendor)),
        protocol=None, negotiated_namespace=None, sap_offers=(), sap_response_code=None,
        handshakes=(Handshake(0, 0, tuple(SapOffer(shared(o.namespace), 0, 0, 0, o.priority) for o in offers)),)
        if offers else (),
        session_id=None, slac=None, streams=(),
        phases=tuple(Phase(shared(p.name), 0.0, 0.0, 0, 0, True) for p in s.phases[-1:]), failures=(),
        ended_by=None, bpt=_NO_BPT, tls=TlsPosture(ev_requests=tuple(map(shared, s.tls.ev_requests))), series=(),
        evidence=(), energy_transfer=None, authorization=None, notes=(), pnc=None, findings=())


class ParquetExport:
    """The four Parquet tables of ``names`` (the capture names, in the run's file order) in ``folder``.

    ``add`` is the run's ``keep`` hook; ``finish`` writes the files and returns rows per file.
    """

    def __init__(self, folder: str | os.PathLike[str], names: Sequence[str],
                 inventory: Inventory | None = None) -> None:
        self._pa = pa = require_pyarrow()
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self._inventory = inventory
        self._schemas = schemas()
        self._names = list(names)
        self._spool = Path(tempfile.mkdtemp(prefix=".v2gsniff-spool-", dir=self.folder))
        self._writers = {name: pa.ipc.new_file(str(self._spool / name), schema)
                         for name, schema in self._schemas.items()}
        self._batch: dict[str, dict[int, int]] = {name: {} for name in self._schemas}
        """Table -> capture index -> its batch number in the spool (captures without rows have none)."""
        self._listed: dict[int, tuple[int, ...]] = {}
        """Capture index -> the ids of its sessions in the tables (``identity_only`` cannot tell strays)."""

    def add(self, index: int, result: CaptureResult) -> CaptureResult:
        """Spool the rows of the capture at ``index``; what the run keeps of it: its counts and read
        error, its sessions ``identity_only``, no findings, no message rows."""
        inventory = self._inventory
        applied = [dataclasses.replace(s, vehicle=inventory.apply(s.vehicle)) for s in result.sessions] \
            if inventory is not None else list(result.sessions)
        listed = table_sessions(applied)
        self._listed[index] = tuple(s.id for s in listed)
        for name, cols in capture_rows(result, listed).items():
            if any(cols.values()):
                batch = self._pa.RecordBatch.from_pydict(cols, schema=self._schemas[name])
                self._batch[name][index] = len(self._batch[name])
                self._writers[name].write_batch(batch)
        kept = dataclasses.replace(result, sessions=tuple(identity_only(s) for s in applied), findings=())
        return dataclasses.replace(kept, messages=None) if isinstance(kept, FleetResult) else kept

    def finish(self, results: Sequence[CaptureResult]) -> dict[str, int]:
        """The Parquet files from the spool, ``results`` being what ``add`` kept, in file order."""
        import pyarrow.parquet as pq

        pa = self._pa
        self._close_spool()
        own = []
        for i, r in enumerate(results):
            by_id = {s.id: s for s in r.sessions}
            own.append([by_id[n] for n in self._listed.get(i, ())])
        vehicles = vehicle_reports([s for sessions in own for s in sessions])
        key_of = {id(s): v.key for v in vehicles for s in v.sessions}
        charger_of = {id(s): charger_name(s, ids) for v in vehicles for ids in (dict(v.charger_ids),)
                      for s in v.sessions}
        order = sorted(range(len(self._names)), key=lambda i: (self._names[i], i))
        written = {}
        try:
            for name, schema in self._schemas.items():
                target = self.folder / f"{name}.parquet"
                rows = 0
                with pa.OSFile(str(self._spool / name)) as source, pq.ParquetWriter(
                        str(self._spool / f"{name}.parquet"), schema) as out:
                    spool = pa.ipc.open_file(source)
                    group = _RowGroup(pa, schema)
                    for i in order:
                        at = self._batch[name].get(i)
                        if at is None:
                            continue
                        batch = spool.get_batch(at)
                        if name == "sessions":
                            batch = self._fill(batch, [key_of[id(s)] for s in own[i]],
                                               [charger_of[id(s)] for s in own[i]])
                        group.add(batch)
                        if group.rows >= ROW_GROUP:
                            rows += group.write(out)
                    if group.rows or not rows:  # no rows at all: the file still has every column
                        rows += group.write(out)
                os.replace(self._spool / f"{name}.parquet", target)
                written[target.name] = rows
        finally:
            self.close()
        return written

    def close(self) -> None:
        """Remove the spool (``finish`` does; call it when a run stops before)."""
        try:
            self._close_spool()
        finally:
            shutil.rmtree(self._spool, ignore_errors=True)

    def _close_spool(self) -> None:
        while self._writers:
            self._writers.popitem()[1].close()

    def _fill(self, batch: Any, keys: list[str], chargers: list[str]) -> Any:
        columns = dict(zip(GLOBAL_COLUMNS, (keys, chargers), strict=True))
        arrays = [self._pa.array(columns[f.name], f.type) if f.name in columns else batch.column(i)
                  for i, f in enumerate(batch.schema)]
        return self._pa.RecordBatch.from_arrays(arrays, schema=batch.schema)


class _RowGroup:
    """The batches of the next row group. A capture's batch may be one row of 60 columns, and an
    Arrow batch costs some kilobytes of bookkeeping whatever its rows: every ``COMPACT`` batches
    are joined into one, so a group costs its data, not its number of captures."""

    COMPACT = 256

    def __init__(self, pa: Any, schema: Any) -> None:
        self._pa, self._schema = pa, schema
        self._joined: list[Any] = []
        self._fresh: list[Any] = []
        self.rows = 0

    def add(self, batch: Any) -> None:
        self._fresh.append(batch)
        self.rows += batch.num_rows
        if len(self._fresh) >= self.COMPACT:
            self._joined += self._pa.Table.from_batches(self._fresh, self._schema).combine_chunks().to_batches()
            self._fresh = []

    def write(self, out: Any) -> int:
        """One row group into the Parquet writer ``out``; returns its rows."""
        rows = self.rows
        out.write_table(self._pa.Table.from_batches(self._joined + self._fresh, self._schema),
                        row_group_size=max(1, rows))
        self._joined, self._fresh, self.rows = [], [], 0
        return rows
