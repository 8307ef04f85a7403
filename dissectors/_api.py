"""The dissector data model: every dissector is a pure function ``bytes -> Layer``.

Offsets in a :class:`Field` are relative to the start of the buffer the dissector was
given; the caller knows where that buffer sits (frame, reassembled stream or decrypted
TLS data) and records it on the :class:`Layer`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NamedTuple


class DissectError(ValueError):
    """Raised by a dissector for input it cannot decode; the message names what is wrong."""

    def __init__(self, message: str, offset: int = 0) -> None:
        super().__init__(message)
        self.offset = offset
        """Byte offset in the dissector's buffer where decoding failed."""


class NeedMoreData(DissectError):
    """The buffer ends before the structure does (a stream framer may wait for more)."""

    def __init__(self, needed: int, have: int, what: str) -> None:
        super().__init__(f"{what}: needs {needed} bytes, has {have}", have)
        self.needed = needed
        """Total number of bytes the structure needs."""


class Field(NamedTuple):
    """One decoded field: a name from the standard, its value and where its bytes are.

    A NamedTuple, not a frozen dataclass: dissectors make one per value (an attenuation
    profile has 58), and construction is where they spent most of their time.
    """

    name: str
    """snake_case name (``run_id``, ``pev_mac``) or the standard's element name."""
    value: Any
    """Typed value: int, str, bytes, bool, float, or None for pure containers."""
    offset: int = 0
    """First byte of the field in the dissector's buffer."""
    length: int = 0
    """Number of bytes (0 when the field has no bytes of its own)."""
    display: str | None = None
    """Human text when it differs from ``str(value)`` (an enum name, a MAC address)."""
    children: tuple[Field, ...] = ()
    """Sub-fields, for structures and lists."""
    secret: bool = False
    """Key material: shown redacted unless the user asks for keys."""

    def text(self, show_keys: bool = False) -> str:
        """The value as a person reads it."""
        if self.secret and not show_keys:
            return "<redacted>"
        if self.display is not None:
            return self.display
        if isinstance(self.value, bytes):
            return self.value.hex()
        return str(self.value)

    def jsonable(self, show_keys: bool = False) -> Any:
        """The value as JSON: children become an object (or a list when names repeat)."""
        if self.secret and not show_keys:
            return "<redacted>"
        if self.children:
            return fields_to_json(self.children, show_keys)
        if self.display is not None:
            return self.display
        if isinstance(self.value, bytes):
            return self.value.hex()
        return self.value


def fields_to_json(fields: tuple[Field, ...], show_keys: bool = False) -> dict[str, Any] | list[Any]:
    """Fields as a JSON object; a repeated name becomes a list under that name."""
    out: dict[str, Any] = {}
    repeated = False
    for f in fields:
        # Field.jsonable, inlined for the plain leaf: records carry a JSON form of every field.
        if f.secret or f.children:
            value = f.jsonable(show_keys)
        elif f.display is not None:
            value = f.display
        else:
            value = f.value
            if isinstance(value, bytes):
                value = value.hex()
        name = f.name
        if name in out:
            existing = out[name]
            if isinstance(existing, Repeated):
                existing.append(value)
            else:
                out[name] = Repeated([existing, value])
                repeated = True
        else:
            out[name] = value
    if not repeated:
        return out
    return {k: (list(v) if isinstance(v, Repeated) else v) for k, v in out.items()}


class Repeated(list[Any]):
    """Marks lists made from repeated names while building JSON (a value of its own is never one);
    shared with the EXI model's ``to_json``."""


class Layer(NamedTuple):
    """One protocol layer of a frame or stream message."""

    protocol: str
    """Short protocol name: ``eth``, ``ipv6``, ``icmpv6``, ``udp``, ``tcp``, ``homeplug``, ``sdp``, ``v2gtp``."""
    name: str
    """The message or header name as the standard names it (``CM_SLAC_PARM.REQ``, ``SDPResponse``)."""
    offset: int
    """Where the layer starts in its buffer."""
    length: int
    """Header length in bytes (payload excluded)."""
    fields: tuple[Field, ...] = ()
    """Decoded fields, in wire order."""
    error: str | None = None
    """Why decoding stopped, when it did; the fields decoded before that are kept."""
    payload_offset: int = -1
    """Where the next layer's bytes start, or -1 when there is none."""

    def field(self, name: str) -> Field | None:
        """The first top-level field with this name."""
        for f in self.fields:
            if f.name == name:
                return f
        return None

    def get(self, name: str, default: Any = None) -> Any:
        """The value of the first top-level field with this name."""
        f = self.field(name)
        return default if f is None else f.value

    def walk(self) -> Iterator[Field]:
        """Every field, depth first."""
        stack = list(reversed(self.fields))
        while stack:
            f = stack.pop()
            yield f
            stack.extend(reversed(f.children))


def mac_text(b: bytes) -> str:
    """``aa:bb:cc:dd:ee:ff``."""
    return ":".join(f"{x:02x}" for x in b)
