"""Every record in a list: for tests, scripts and small tools."""

from __future__ import annotations

from v2gsniff.sniffer.model import Record


class Keep:
    """Keeps every record in ``kept`` (and every finding in ``judged``), in order."""

    def __init__(self) -> None:
        self.kept: list[Record] = []
        self.judged: list[Record] = []

    def records(self, records: list[Record]) -> None:
        self.kept.extend(records)

    def findings(self, records: list[Record]) -> None:
        self.judged.extend(records)
