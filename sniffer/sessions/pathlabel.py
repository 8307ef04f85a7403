"""Vehicle identity from where a capture is filed: ``--vehicle-from-path PATTERN``.

Labs and public corpora file captures by vehicle (``Audi/Q4/dc-iso2.dump``). A pattern is either
a template of path segments, ``{brand}/{model}/**`` (``{name}`` takes text without ``/``, ``*``
any text within a segment, ``**`` any number of segments), or a regular expression with named
groups ``brand``, ``model``, ``trim``, ``software`` (searched in the path). Both are applied to the
path relative to the PATH argument the capture was found under, with ``/`` separators.
Underscores in taken values become spaces (``Model_Y`` -> ``Model Y``): folders cannot hold spaces
comfortably, names in a report can.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from v2gsniff.sniffer.capture.remote import base_name, is_url

from .inventory import Entry

FIELDS = ("brand", "model", "trim", "software")


class PatternError(ValueError):
    """A ``--vehicle-from-path`` pattern that cannot be used; the message says why."""


@dataclass(frozen=True, slots=True)
class PathPattern:
    text: str
    regex: re.Pattern[str]
    template: bool

    def match(self, relative: str) -> Entry | None:
        """The identity this pattern reads from ``relative`` (``None`` when it does not match)."""
        m = self.regex.fullmatch(relative) if self.template else self.regex.search(relative)
        if m is None:
            return None
        values = {k: v.replace("_", " ").strip() for k, v in m.groupdict().items() if v and v.strip(" _")}
        if not values:
            return None
        return Entry(values.get("brand"), values.get("model"), values.get("trim"), values.get("software"))


_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def compile_pattern(text: str) -> PathPattern:
    """A template when the pattern holds ``{field}`` placeholders, else a regular expression."""
    if _PLACEHOLDER.search(text) and "(?P<" not in text:
        return PathPattern(text, _template(text), True)
    try:
        regex = re.compile(text)
    except re.error as err:
        raise PatternError(f"{text!r} is not a regular expression: {err}") from None
    _check_names(text, regex.groupindex)
    return PathPattern(text, regex, False)


def _template(text: str) -> re.Pattern[str]:
    names = _PLACEHOLDER.findall(text)
    _check_names(text, names)
    if len(set(names)) != len(names):
        raise PatternError(f"{text!r} names a field twice")
    segments = text.strip("/").split("/")
    parts = []
    for i, segment in enumerate(segments):
        last = i == len(segments) - 1
        if segment == "**":
            parts.append(".*" if last else "(?:.*/)?")
            continue
        out, pos = "", 0
        for m in _PLACEHOLDER.finditer(segment):
            out += _glob(segment[pos:m.start()]) + f"(?P<{m.group(1)}>[^/]+?)"
            pos = m.end()
        parts.append(out + _glob(segment[pos:]) + ("" if last else "/"))
    return re.compile("".join(parts))


def _glob(literal: str) -> str:
    return "[^/]*".join(re.escape(x) for x in literal.split("*"))


def _check_names(text: str, names: Iterable[str]) -> None:
    names = list(names)
    unknown = sorted(set(names) - set(FIELDS))
    if unknown:
        raise PatternError(f"{text!r}: unknown field(s) {unknown}; use {', '.join(FIELDS)}")
    if not names:
        raise PatternError(f"{text!r} takes nothing from the path; name at least one of {', '.join(FIELDS)}")


def relative_path(file: Path | str, arguments: Iterable[str | Path]) -> str:
    """``file`` relative to the PATH argument it was found under (its name when given directly);
    an fsspec URL (a string) relative to the URL prefix it was found under."""
    if str(file) == "-":
        return "stdin"
    if isinstance(file, str) and is_url(file):
        prefixes = [_url_key(str(a)).rstrip("/") + "/" for a in arguments if is_url(a)]
        key = _url_key(file)
        rests = [key[len(p):] for p in prefixes if key.startswith(p)]
        return min(rests, key=lambda r: r.count("/")) if rests else base_name(file)
    best: Path | None = None
    here = Path(os.path.abspath(file))  # not resolve(): a linked file keeps the path it was found at
    for arg in arguments:
        root = Path(arg)
        if root.is_dir():
            try:
                rel = here.relative_to(os.path.abspath(root))
            except ValueError:
                continue
            if best is None or len(rel.parts) < len(best.parts):
                best = rel
    return (best or Path(Path(file).name)).as_posix()


def _url_key(url: str) -> str:
    """``scheme:path`` without the slashes after ``://`` (fsspec lists ``memory:///a/b`` for ``memory://a/``)."""
    scheme, _, rest = url.partition("://")
    return f"{scheme}:{rest.lstrip('/')}"


def identify_by_path(file: Path | str, arguments: Iterable[str | Path], patterns: Iterable[PathPattern]) -> Entry | None:
    """The first pattern's reading of ``file``'s path, or ``None`` when none matches."""
    rel = relative_path(file, arguments)
    for pattern in patterns:
        entry = pattern.match(rel)
        if entry is not None:
            return entry
    return None
