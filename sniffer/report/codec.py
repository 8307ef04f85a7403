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
    return typing.cast(T, _decode(tp, data))


@cache
def _hints(cls: type) -> dict[str, Any]:
    return get_type_hints(cls, localns=_deferred_names())


@cache
def _deferred_names() -> dict[str, Any]:
    """Names that model modules import only for type checking, to avoid import cycles (``Session.pnc``
    is a ``PncSection``, and the PnC package imports sessions): resolved here, once, at decode time."""
    from v2gsniff.sniffer import pnc

    return {name: getattr(pnc, name) for name in dir(pnc) if not name.startswith("_")}


def _decode(tp: Any, data: Any) -> Any:
    if data is None:
        return None
    origin = get_origin(tp)
    if origin is Union or origin is types.UnionType:
        options = [a for a in get_args(tp) if a is not type(None)]
        # X | None decodes as X; unions of scalars (int | str) are told apart by JSON itself.
        return _decode(options[0], data) if len(options) == 1 else data
    if origin is tuple:
        args = get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_decode(args[0], v) for v in data)
        return tuple(_decode(a, v) for a, v in zip(args, data, strict=True))
    if origin is list:
        (arg,) = get_args(tp)
        return [_decode(arg, v) for v in data]
    if tp is bytes:
        return base64.b64decode(data)
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        hints = _hints(tp)
        return tp(**{f.name: _decode(hints[f.name], data[f.name])
                     for f in dataclasses.fields(tp) if f.init and f.name in data})
    if isinstance(tp, type) and issubclass(tp, tuple) and hasattr(tp, "_fields"):
        hints = _hints(tp)
        return tp(**{name: _decode(hints[name], data[name]) for name in tp._fields if name in data})
    return data
