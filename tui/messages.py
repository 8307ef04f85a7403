"""Messages the worker posts to the app (from its thread; ``post_message`` is thread-safe)."""

from __future__ import annotations

from textual.message import Message

from .feed import Batch


class RecordsArrived(Message):
    """A coalesced batch of records, counters and (when changed) sessions."""

    def __init__(self, batch: Batch) -> None:
        super().__init__()
        self.batch = batch
