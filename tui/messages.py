"""Messages the worker posts to the app (from its thread; ``post_message`` is thread-safe)."""

from __future__ import annotations

from collections.abc import Callable

from textual.message import Message

from .feed import Batch


class RecordsArrived(Message):
    """A coalesced batch of records, counters and (when changed) sessions; ``taken`` tells the
    worker once the batch is on screen, so that it sends the next."""

    def __init__(self, batch: Batch, taken: Callable[[], object] = lambda: None) -> None:
        super().__init__()
        self.batch = batch
        self.taken = taken
