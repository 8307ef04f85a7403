"""One row per V2G message of a capture, for ``messages.parquet``, collected while it is decoded.

Sessions keep phases and series, not every message; the export wants every message with the
session it belongs to. Rows are gathered beside the tracker (an engine addon of ``analyse_file``) and
tied to sessions afterwards through their TCP stream: the tracker gives each stream to exactly
one session (``Session.streams``). Columns are plain lists (JSON-ready for the cache, cheap to
pickle back from a worker); the values are the ones the plots use (``SERIES_FIELDS``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from v2gsniff.sniffer.model import Record
from v2gsniff.sniffer.sessions import SERIES_FIELDS, Session
from v2gsniff.sniffer.sessions.body import BodyMemo, message_of, v2g_of
from v2gsniff.sniffer.sessions.series import series_values

COLUMNS = ("frame", "time", "stream", "direction", "schema", "name", "response_code", "error")
"""Per-message columns before ``session`` and the ``SERIES_FIELDS`` values."""


class MessageRows:
    """Collects the ``v2g`` records of one capture (an engine addon: ``records``), then ``columns(sessions)``."""

    def __init__(self) -> None:
        self._rows: list[tuple[Any, ...]] = []
        self._messages = BodyMemo(message_of)
        self._values = BodyMemo(series_values)

    def records(self, records: list[Record]) -> None:
        for r in records:
            self.observe(r)

    def observe(self, record: Record) -> None:
        if record.kind != "v2g":
            return
        extra = record.extra
        stream = extra.get("stream")
        direction = extra.get("dir")
        v = v2g_of(record, self._messages)
        if v is None:  # undecodable: still a message, with its error
            self._rows.append((record.frame, record.time, stream if isinstance(stream, int) else None,
                               direction, extra.get("schema"), record.name, None, record.error or "not decoded",
                               ()))
            return
        self._rows.append((v.frame, v.time, v.stream, direction, v.schema, v.name, v.response_code,
                           record.error, self._values(v.content)))

    def columns(self, sessions: Sequence[Session]) -> dict[str, list[Any]]:
        owner = {stream: s.id for s in sessions for stream in s.streams}
        out: dict[str, list[Any]] = {"session": [owner.get(r[2]) for r in self._rows]}
        for i, name in enumerate(COLUMNS):
            out[name] = [r[i] for r in self._rows]
        for name in SERIES_FIELDS:
            out[name] = [dict(r[8]).get(name) for r in self._rows]
        return out
