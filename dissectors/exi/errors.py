"""The single exception type of the EXI codec, and the one non-fatal schema violation it reports."""

from __future__ import annotations

from typing import NamedTuple


class ExiError(ValueError):
    """Any failure to decode or encode EXI; the message names the bit position and element path."""

    def __init__(self, message: str, bit: int | None = None, path: str | None = None) -> None:
        self.bit = bit
        self.path = path
        self.reason = message
        where = []
        if bit is not None:
            where.append(f"bit {bit}")
        if path is not None:
            where.append(f"in {path or '/'}")
        super().__init__(f"{' '.join(where)}: {message}" if where else message)


class FacetViolation(NamedTuple):
    """A value the bits carry unambiguously but the schema's facets forbid.

    The decoder keeps such values (a sniffer never drops what the bits say) and lists the
    violation on the message (``ExiMessage.violations``); judging it is the findings' job.
    """

    path: str
    """Element path in ExiError's form: ``/V2G_Message/Body/PowerDeliveryReq/.../Name``."""
    value: object
    """The decoded value (int, str, bytes ...)."""
    facet: str
    """XSD facet name: ``minInclusive``, ``maxInclusive``, ``length``, ``minLength``, ``maxLength``,
    ``pattern``, ``totalDigits``."""
    limit: object
    """The facet's value in the schema (``3`` for maxInclusive 3, the pattern text ...)."""
    bit: int
    """Bit position of the value in the EXI stream."""
