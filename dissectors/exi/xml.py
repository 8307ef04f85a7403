"""XML text <-> element tree: namespaced rendering and namespace-aware parsing (xml.etree)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from .errors import ExiError
from .model import XSI_NS, Element, format_value, to_node

_FIXED_PREFIXES = {XSI_NS: "xsi", "http://www.w3.org/2000/09/xmldsig#": "ds",
                   "http://www.w3.org/2001/XMLSchema": "xs"}


def _escape(text: str, attr: bool = False) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if attr:
        text = text.replace('"', "&quot;").replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;")
    else:
        text = text.replace("\r", "&#13;")
    return text


def to_xml(root: Element) -> str:
    """Render one element tree as XML; namespaces get prefixes ns1, ns2, ... (xsi, ds, xs fixed)."""
    return node_xml(to_node(root))


def _text(value: Any, dtype: int, cached: bool = False) -> str:
    """Escaped XML text of a typed value (the common kinds first; only strings can need escaping)."""
    cls = value.__class__
    if cls is int:
        return str(value)
    if cls is str:
        if "&" in value or "<" in value or ">" in value or "\r" in value or "\x00" in value:
            if cached and "\x00" in value:
                raise _Uncached
            return _escape(value)
        return str(value)  # already a str (cls is str)
    if cls is bool:
        return "true" if value else "false"
    if cls is bytes:
        return format_value(value, dtype)
    return _escape(format_value(value, dtype))


# Tags are cached across documents with a placeholder for their prefix ("\x00<k>\x00:" + local name),
# because prefixes (ns1, ns2, ...) follow each document's order of first use: the placeholders are
# replaced once per document, in the order they first occur in its text.  The caches are bounded
# (undeclared content brings namespaces and names from the stream); past the bounds, and when a
# text contains NUL itself, a document is rendered with plain per-document tags.
_MARKS: dict[str, str] = {}
_TAGS: dict[str, dict[str, str]] = {}
_MAX_MARKS = 64
_MAX_TAGS = 20000
_n_tags = 0


def _cached_tag(ns: str, local: str) -> str | None:
    global _n_tags
    mark = _MARKS.get(ns)
    if mark is None:
        if len(_MARKS) >= _MAX_MARKS:
            return None
        mark = _MARKS[ns] = f"\x00{len(_MARKS)}\x00"
        _TAGS[ns] = {}
    if _n_tags >= _MAX_TAGS:
        return None
    _n_tags += 1
    tag = _TAGS[ns][local] = f"{mark}:{local}" if ns else local
    return tag


def node_xml(root: list[Any]) -> str:
    """``to_xml`` of an element in compact form (``model.to_node``)."""
    text = _render(root, True)
    if text is None:
        return _render(root, False) or ""
    return text


def _render(root: list[Any], cached: bool) -> str | None:
    prefixes: dict[str, str] = {}
    tags_of = _TAGS.get

    def name(ns: str, local: str) -> str:
        if cached:
            tag = (tags_of(ns) or {}).get(local) or _cached_tag(ns, local)
            if tag is not None:
                return tag
            raise _Uncached
        if not ns:
            return local
        p = prefixes.get(ns)
        if p is None:
            p = _FIXED_PREFIXES.get(ns) or f"ns{len(prefixes) + 1}"
            prefixes[ns] = p
        return f"{p}:{local}"

    def attr_value(value: Any) -> str:
        if isinstance(value, tuple):  # xsi:type qname
            return name(value[0], value[1])
        return format_value(value, -1) if not isinstance(value, bytes) else value.hex().upper()

    parts: list[str] = []
    add = parts.append

    def render(nd: list[Any]) -> None:
        ns, local, attrs, children, value, dtype, texts = nd
        tag = name(ns, local)
        if attrs:
            add("<" + tag)
            for (ans, alocal), avalue in attrs.items():
                aname = name(ans, alocal)  # before the value: prefixes follow the order of first use
                text = _escape(attr_value(avalue), True)
                if cached and "\x00" in text:
                    raise _Uncached
                add(f' {aname}="{text}"')
            if not children and value is None:
                add("/>")
                return
            add(">")
        elif children or value is not None:
            add(f"<{tag}>")
        else:
            add(f"<{tag}/>")
            return
        if value is not None and texts is None:
            add(_text(value, dtype, cached))
        if children:
            if cached and texts and any("\x00" in chunk for _k, chunk in texts):
                raise _Uncached
            if texts:
                for index, child in enumerate(children):
                    parts.extend(_escape(t) for k, t in texts if k == index)
                    render(child)
                parts.extend(_escape(t) for k, t in texts if k >= len(children))
            else:
                for child in children:
                    if child[2] or child[3] or child[4] is None:
                        render(child)
                        continue
                    ctag = (tags_of(child[0]) or {}).get(child[1]) if cached else None
                    if ctag is None:
                        ctag = name(child[0], child[1])
                    cvalue = child[4]
                    if cvalue.__class__ is int:  # most leaves: no call for the text
                        add(f"<{ctag}>{cvalue}</{ctag}>")
                    else:
                        add(f"<{ctag}>{_text(cvalue, child[5], cached)}</{ctag}>")
        elif texts:
            if cached and any("\x00" in chunk for _k, chunk in texts):
                raise _Uncached
            parts.extend(_escape(t) for _k, t in texts)
        add(f"</{tag}>")

    try:
        render(root)
    except _Uncached:
        return None
    root_tag = name(root[0], root[1])
    out = "".join(parts)
    if not cached:
        decls = "".join(f' xmlns:{p}="{_escape(ns, True)}"' for ns, p in prefixes.items())
    else:
        found = sorted((i, ns, mark) for ns, mark in _MARKS.items() if (i := out.find(mark)) >= 0)
        if out.count("\x00") != sum(out.count(mark) for _i, _ns, mark in found) * 2:
            return None  # the content has NULs of its own: no placeholders here
        decls_list = []
        for k, (_i, ns, mark) in enumerate(found, 1):
            prefix = _FIXED_PREFIXES.get(ns) or f"ns{k}"
            out = out.replace(mark, prefix)
            root_tag = root_tag.replace(mark, prefix)
            decls_list.append(f' xmlns:{prefix}="{_escape(ns, True)}"')
        decls = "".join(decls_list)
    at = 1 + len(root_tag)  # declarations go right after the root's tag name
    return out[:at] + decls + out[at:]


class _Uncached(Exception):
    """A tag past the cache bounds, or a NUL in the content: render with per-document tags."""


def parse_xml(text: str | bytes) -> Element:
    """Parse XML into an untyped element tree (values and attributes stay strings)."""
    prefixes: dict[str, str] = {}
    try:
        parser: ET.XMLPullParser[Any] = ET.XMLPullParser(events=("start-ns", "start"))
        parser.feed(text)
        parser.close()
        root: ET.Element | None = None
        events: Any = parser.read_events()  # typeshed's element type for these events is too narrow
        for event, found in events:
            if event == "start-ns":
                prefixes.setdefault(found[0], found[1])  # document-wide: enough for xsi:type values
            elif root is None:
                root = found
    except ET.ParseError as exc:
        raise ExiError(f"XML is not well-formed: {exc}") from None
    if root is None:
        raise ExiError("XML has no root element")

    def split(tag: str) -> tuple[str, str]:
        if tag.startswith("{"):
            ns, _, local = tag[1:].partition("}")
            return ns, local
        return "", tag

    def build(node: ET.Element) -> Element:
        ns, local = split(node.tag)
        attrs: dict[tuple[str, str], Any] = {split(k): v for k, v in sorted(node.attrib.items(),
                                                                           key=lambda kv: split(kv[0])[::-1])}
        xsi_type = attrs.get((XSI_NS, "type"))
        if isinstance(xsi_type, str):  # a QName value: resolve its prefix
            prefix, _, type_name = xsi_type.strip().rpartition(":")
            if prefix not in prefixes and prefix:
                raise ExiError(f"xsi:type {xsi_type!r}: undeclared prefix {prefix!r}")
            attrs[(XSI_NS, "type")] = (prefixes.get(prefix, ""), type_name)
        children = [build(c) for c in node]
        text = node.text
        texts: list[tuple[int, str]] | None = None
        if children:  # text between children (mixed content); whitespace-only chunks are layout
            chunks = [(0, text or "")] + [(i + 1, c.tail or "") for i, c in enumerate(node)]
            texts = [(k, t) for k, t in chunks if t.strip()] or None
            value: Any = "".join(t for _, t in texts) if texts else None
        else:
            value = text
        return Element(ns, local, attrs, children, value, -1, texts)

    return build(root)
