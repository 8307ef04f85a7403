"""Records and findings to a writer (``JsonlWriter``, ``TextWriter``): ``decode`` and ``live --no-tui``."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from v2gsniff.sniffer.model import Record

if TYPE_CHECKING:
    from v2gsniff.sniffer.engine import Engine


class Writer(Protocol):
    def write(self, r: Record) -> None: ...
    def flush(self) -> None: ...
    def close(self) -> None: ...


class RecordWriter:
    """Writes the records ``matches`` selects (all without it) and every finding.

    ``open_writer(capture)`` makes the writer when a capture starts; it is closed at its end.
    With ``findings=False`` findings are left to another addon (``live`` warns on stderr).
    """

    def __init__(self, open_writer: Callable[[str], Writer], *, matches: Callable[[Record], bool] | None = None,
                 findings: bool = True) -> None:
        self._open = open_writer
        self._matches = matches
        self._findings = findings
        self.writer: Writer | None = None

    def capture_start(self, engine: Engine) -> None:
        self.writer = self._open(engine.capture)

    def records(self, records: list[Record]) -> None:
        assert self.writer is not None
        write, matches = self.writer.write, self._matches
        if matches is None:
            for r in records:
                write(r)
        else:
            for r in records:
                if matches(r):
                    write(r)

    def findings(self, records: list[Record]) -> None:
        if self._findings:
            assert self.writer is not None
            for r in records:
                self.writer.write(r)

    def batch_end(self, engine: Engine) -> None:
        if self.writer is not None:
            self.writer.flush()

    def capture_end(self, engine: Engine) -> None:
        if self.writer is not None:
            self.writer.close()
