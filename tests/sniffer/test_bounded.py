"""The one bounded cache: never more than its size, the oldest entry goes first."""

from __future__ import annotations

from v2gsniff.sniffer.bounded import BoundedDict


def test_a_full_cache_drops_its_oldest_entry_and_never_grows() -> None:
    cache: BoundedDict[int, str] = BoundedDict(3)
    for i in range(10):
        assert cache.put(i, str(i)) == str(i)
        assert len(cache) <= 3
    assert list(cache.items()) == [(7, "7"), (8, "8"), (9, "9")]


def test_replacing_a_key_evicts_nothing() -> None:
    cache: BoundedDict[str, int] = BoundedDict(2)
    cache.put("a", 1)
    cache.put("b", 2)
    cache.put("a", 3)
    assert dict(cache) == {"a": 3, "b": 2}
