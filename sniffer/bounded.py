"""The one bounded-cache rule for tables that are not pure functions (pure ones use ``functools.lru_cache``)."""

from __future__ import annotations

from typing import TypeVar

K = TypeVar("K")
V = TypeVar("V")


class BoundedDict(dict[K, V]):
    """A dict of at most ``size`` entries: adding one more drops the oldest, so memory stays flat on
    hostile input. Reads are plain ``dict`` reads (``get`` stays a C call on hot paths)."""

    __slots__ = ("size",)

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def put(self, key: K, value: V) -> V:
        """Store ``value`` under ``key`` (evicting the oldest entry when full); returns ``value``."""
        if key not in self and len(self) >= self.size:
            del self[next(iter(self))]
        self[key] = value
        return value
