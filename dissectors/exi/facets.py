"""Facet checks of the lenient decoder and the strict encoder (the facets come from the generated tables).

Integer bounds (minInclusive/maxInclusive) are part of the integer datatypes and checked inline by
the decoder; the other facets (length, minLength, maxLength, pattern, totalDigits) are the
trailing ``(("maxLength", 37), ...)`` tuple of a generated datatype, compiled here once per grammar.
"""

from __future__ import annotations

import re
from typing import Any

Check = tuple[str, Any, Any]
"""(facet name, limit from the schema, compiled pattern or None)."""


def compile_checks(generated: tuple[Any, ...]) -> tuple[Check, ...] | None:
    """The checks of a generated datatype tuple, or None when it has no checked facet."""
    last = generated[-1] if len(generated) > 1 else None
    if not (isinstance(last, tuple) and last and all(isinstance(f, tuple) and len(f) == 2 for f in last)):
        return None
    checks: list[Check] = []
    for name, limit in last:
        if name == "pattern":
            try:
                checks.append((name, limit, re.compile(limit)))
            except re.error:  # an XSD regex construct Python lacks (\i, \c): not checkable here
                continue
        else:
            checks.append((name, limit, None))
    return tuple(checks) or None


def violated(value: Any, checks: tuple[Check, ...]) -> list[tuple[str, Any]]:
    """The (facet, limit) pairs ``value`` breaks: lengths count characters of text and octets of binary."""
    out: list[tuple[str, Any]] = []
    for name, limit, pattern in checks:
        if name == "length":
            bad = len(value) != limit
        elif name == "minLength":
            bad = len(value) < limit
        elif name == "maxLength":
            bad = len(value) > limit
        elif name == "totalDigits":
            bad = isinstance(value, int) and len(str(abs(value))) > limit
        elif name == "pattern":
            bad = isinstance(value, str) and pattern is not None and pattern.fullmatch(value) is None
        else:
            bad = False
        if bad:
            out.append((name, limit))
    return out


def bounds_violated(x: int, lo: int | None, hi: int | None) -> tuple[str, int] | None:
    """The integer bound ``x`` breaks, as (facet, limit), or None."""
    if lo is not None and x < lo:
        return ("minInclusive", lo)
    if hi is not None and x > hi:
        return ("maxInclusive", hi)
    return None
