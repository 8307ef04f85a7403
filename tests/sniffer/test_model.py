"""The model's shared-tail mapping behaves like the dict it stands for."""

from __future__ import annotations

from v2gsniff.sniffer.model import Record, SharedTail


def test_shared_tail_reads_like_one_dict_with_the_records_own_keys_first() -> None:
    tail = {"schema": "din", "body": {"A": 1}, "note": "shared"}
    extra = SharedTail({"stream": 3, "note": None}, tail)
    assert dict(extra) == {"stream": 3, "note": None, "schema": "din", "body": {"A": 1}}
    assert list(extra) == ["stream", "note", "schema", "body"]  # own keys, then the shared ones
    assert len(extra) == 4
    assert extra["note"] is None and extra.get("note", "x") is None  # the record's own value wins
    assert extra.get("schema") == "din" and extra.get("missing", 7) == 7
    assert "body" in extra and "missing" not in extra
    assert extra == {"stream": 3, "note": None, "schema": "din", "body": {"A": 1}}


def test_record_json_of_a_shared_tail_equals_that_of_a_plain_dict() -> None:
    tail = {"schema": "din", "exi_hex": "80", "body": {"A": 1}}
    head = {"stream": 0, "dir": "ev->evse"}
    shared = Record(5, 1.25, "v2g", "X", extra=SharedTail(head, tail))
    plain = Record(5, 1.25, "v2g", "X", extra={**head, **tail})
    assert shared.to_json() == plain.to_json()
    assert list(shared.to_json()) == list(plain.to_json())
