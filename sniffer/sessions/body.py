"""Small accessors over the JSON form of decoded V2G messages (``Record.extra["body"]``).

The analysis reads only this JSON form (documented in ``v2gsniff.dissectors.exi.model``), so it
works the same on live records and on records read back from JSONL.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from v2gsniff.sniffer.bounded import BoundedDict
from v2gsniff.sniffer.model import Record

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class V2G:
    """One decoded V2G message, reduced to what the session analysis needs."""

    name: str
    """Message name (``CurrentDemandReq``, ``supportedAppProtocolRes``)."""
    schema: str | None
    content: Mapping[str, Any]
    """The message element's content (the Body child for DIN/ISO-2)."""
    header: Mapping[str, Any]
    stream: int
    from_ev: bool
    frame: int
    time: float
    tls: str | None
    """TLS version of the connection when the message was decrypted, else ``None``."""

    @property
    def response_code(self) -> str | None:
        code = self.content.get("ResponseCode")
        return code if isinstance(code, str) else None

    @property
    def session_id(self) -> str | None:
        sid = self.header.get("SessionID")
        return sid if isinstance(sid, str) else None


Message = tuple[str, Mapping[str, Any], Mapping[str, Any]]
"""A decoded body's message name, content (the Body child for DIN/ISO-2) and header."""


def v2g_of(record: Record, message_of_body: Callable[[Any], Message | None] | None = None) -> V2G | None:
    """The V2G view of a ``v2g`` record (``None`` for other records or undecodable ones).
    ``message_of_body`` stands in for :func:`message_of` (a :class:`BodyMemo` of it)."""
    if record.kind != "v2g":
        return None
    extra = record.extra
    found = (message_of_body or message_of)(extra.get("body"))
    if found is None:
        return None
    name, content, header = found
    stream = extra.get("stream")
    tls = extra.get("tls_version") if extra.get("tls") else None
    return V2G(name, extra.get("schema"), content, header, stream if isinstance(stream, int) else -1,
               extra.get("dir") == "ev->evse", record.frame, record.time, tls if isinstance(tls, str) else None)


def message_of(body: Any) -> Message | None:
    """Name, content and header of a decoded body (``None`` when it has no message)."""
    if not isinstance(body, Mapping) or not body:
        return None
    root_name, root = next(iter(body.items()))
    header: Mapping[str, Any] = {}
    name, content = root_name, root
    if root_name == "V2G_Message" and isinstance(root, Mapping):
        header = root.get("Header") or {}
        inner = root.get("Body") or {}
        if not isinstance(inner, Mapping) or not inner:
            return None
        name, content = next(iter(inner.items()))
    elif isinstance(root, Mapping):
        header = root.get("Header") or {}
    if not isinstance(content, Mapping):
        content = {}
    return name, content, header if isinstance(header, Mapping) else {}


def physical(node: Any) -> float | None:
    """Value x 10^Multiplier (DIN/ISO-2 PhysicalValueType) or x 10^Exponent (ISO-20 RationalNumber)."""
    if type(node) is not dict and not isinstance(node, Mapping):  # the ABC check only for non-dicts
        return None
    value = node.get("Value")
    scale = node.get("Multiplier", node.get("Exponent"))
    if not isinstance(value, int) or not isinstance(scale, int):
        return None
    return float(value * 10**scale) if scale >= 0 else value / 10 ** (-scale)


def walk(node: Any) -> list[tuple[str, Any]]:
    """Every (key, value) below ``node``, depth first, in document order (lists flattened)."""
    out: list[tuple[str, Any]] = []
    if isinstance(node, Mapping):
        _collect(node, out)
    return out


_LEAVES = frozenset({str, int, float, bool, type(None)})


def _collect(node: Mapping[str, Any], out: list[tuple[str, Any]]) -> None:
    # Runs for every message of a session (series points, control mode), so it builds one list
    # instead of nesting generators, and tests leaves by exact type before the slow ABC check.
    for key, value in node.items():
        if isinstance(value, list):
            for item in value:
                out.append((key, item))
                if type(item) is dict or (type(item) not in _LEAVES and isinstance(item, Mapping)):
                    _collect(item, out)
        else:
            out.append((key, value))
            if type(value) is dict or (type(value) not in _LEAVES and isinstance(value, Mapping)):
                _collect(value, out)


def find(node: Any, key: str) -> Any:
    """The first value named ``key`` anywhere below ``node`` (``None`` if absent)."""
    for k, v in walk(node):
        if k == key:
            return v
    return None


def find_all(node: Any, key: str) -> list[Any]:
    return [v for k, v in walk(node) if k == key]


def as_list(value: Any) -> list[Any]:
    """Repeated children are lists in JSON, single ones are not: always a list."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


class BodyMemo(Generic[T]):
    """A pure function of a decoded message's JSON, remembered per JSON object. Mutable.

    The decoder hands every record of the same V2GTP bytes the same read-only body (charge loops
    repeat their messages: most real captures hold under 5 % distinct payloads), so a repeat
    costs one dict lookup. Keyed by ``id``; each entry holds its object, so the id cannot be
    reused while it is remembered. The oldest entries go first beyond ``size``.
    """

    def __init__(self, func: Callable[[Any], T], size: int = 1024) -> None:
        self.func = func
        self.size = size
        self._memo: BoundedDict[int, tuple[Any, T]] = BoundedDict(size)

    def __call__(self, node: Any) -> T:
        hit = self._memo.get(id(node))
        if hit is not None and hit[0] is node:
            return hit[1]
        value = self.func(node)
        self._memo.put(id(node), (node, value))
        return value
