"""The single exception type of the EXI codec."""

from __future__ import annotations


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
