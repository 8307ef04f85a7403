"""Sessions to JSON and back, exactly: the cache's form of a capture's analysis.

``Session.to_json`` is for readers (rounded times, derived keys); a cache needs the objects back
bit for bit, so a cached report is byte-identical to a decoded one. This codec walks the frozen
dataclasses and NamedTuples by their type annotations: a field added to ``Session`` (or to
anything it holds) is stored and restored without touching this module, as long as its type is
built from dataclasses, NamedTuples, tuples, unions, JSON scalars and ``bytes`` (base64: the DER
of a PnC certificate). Floats survive because ``json`` writes their shortest exact repr; ints
stay ints.
"""

from __future__ import annotations

import base64
import dataclasses
import types
import typing
from collections.abc import Callable
from functools import cache
from typing import Any, TypeVar, Union, get_args, get_origin, get_type_hints

T = TypeVar("T")


def encode(value: Any) -> Any:
    """A JSON-ready form of ``value`` (dataclasses and NamedTuples become objects by field name)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return {name: encode(getattr(value, name)) for name in value._fields}
    if isinstance(value, tuple | list):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        return {str(k): encode(v) for k, v in value.items()}
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return value


def decode(tp: type[T], data: Any) -> T:
    """The ``tp`` that ``encode`` turned into ``data``."""
    return typing.cast(T, _decoder(typing.cast(Any, tp))(data))


@cache
def _hints(cls: type) -> dict[str, Any]:
    return get_type_hints(cls, localns=_deferred_names())


@cache
def _deferred_names() -> dict[str, Any]:
    """Names that model modules import only for type checking, to avoid import cycles (``Session.pnc``
    is a ``PncSection``, and the PnC package imports sessions): resolved here, once, at decode time."""
    from v2gsniff.sniffer import pnc

    return {name: getattr(pnc, name) for name in dir(pnc) if not name.startswith("_")}


Decoder = Callable[[Any], Any]


@cache
def _decoder(tp: Any) -> Decoder:
    """A function that decodes ``tp``, made once per type: a warm cache decodes thousands of sessions,
    and reading the annotations again for every value was most of its time."""
    origin = get_origin(tp)
    if origin is Union or origin is types.UnionType:
        options = [a for a in get_args(tp) if a is not type(None)]
        # X | None decodes as X; unions of scalars (int | str) are told apart by JSON itself.
        return _decoder(options[0]) if len(options) == 1 else _as_is
    if origin is tuple:
        args = get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            item = _decoder(args[0])
            return lambda data: None if data is None else tuple(map(item, data))
        items = [_decoder(a) for a in args]
        return lambda data: None if data is None else tuple(f(v) for f, v in zip(items, data, strict=True))
    if origin is list:
        (arg,) = get_args(tp)
        item = _decoder(arg)
        return lambda data: None if data is None else list(map(item, data))
    if tp is bytes:
        return lambda data: None if data is None else base64.b64decode(data)
    if isinstance(tp, type) and (dataclasses.is_dataclass(tp) or issubclass(tp, tuple) and hasattr(tp, "_fields")):
        return _Record(tp)
    return _as_is


def _as_is(data: Any) -> Any:
    return data


class _Record:
    """Decodes a dataclass or NamedTuple by field; the fields' decoders are looked up on first use,
    so a type may contain itself."""

    def __init__(self, tp: type) -> None:
        self.tp = tp
        self.fields: list[tuple[str, Decoder]] | None = None

    def __call__(self, data: Any) -> Any:
        if data is None:
            return None
        if self.fields is None:
            hints = _hints(self.tp)
            names = [f.name for f in dataclasses.fields(self.tp) if f.init] if dataclasses.is_dataclass(self.tp) \
                else list(self.tp._fields)  # type: ignore[attr-defined]
            self.fields = [(name, _decoder(hints[name])) for name in names]
        return self.tp(**{name: f(data[name]) for name, f in self.fields if name in data})
