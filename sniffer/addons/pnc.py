"""Plug & Charge as an engine stage: signed messages and certificate chains carry their verdicts."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from v2gsniff.sniffer.model import Record
from v2gsniff.sniffer.pnc import PncChecker
from v2gsniff.sniffer.setup import AnalysisSetup

if TYPE_CHECKING:
    from v2gsniff.sniffer.engine import Engine
    from v2gsniff.sniffer.sessions import Session


class Pnc:
    """A fresh :class:`PncChecker` per capture (``setup``: --trust/--oem-key), asked about every
    record before the sinks see it (``observe`` adds ``signature``/``chains``). Put it first."""

    def __init__(self, setup: AnalysisSetup | None = None) -> None:
        self.setup = setup
        self.checker = self._new()

    def _new(self) -> PncChecker:
        return self.setup.checker() if self.setup is not None else PncChecker()

    def capture_start(self, engine: Engine) -> None:
        self.checker = self._new()

    def transform(self, records: list[Record]) -> list[Record]:
        observe = self.checker.observe
        return [observe(r) for r in records]

    def attach(self, sessions: Iterable[Session]) -> tuple[Session, ...]:
        """The current capture's sessions with their PnC section (see :meth:`PncChecker.attach`)."""
        return self.checker.attach(sessions)
