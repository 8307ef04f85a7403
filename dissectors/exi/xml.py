"""XML text <-> element tree: namespaced rendering and namespace-aware parsing (xml.etree)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from .errors import ExiError
from .model import XSI_NS, Element, format_value

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
    prefixes: dict[str, str] = {}

    def prefix(ns: str) -> str:
        p = prefixes.get(ns)
        if p is None:
            p = _FIXED_PREFIXES.get(ns) or f"ns{len(prefixes) + 1}"
            prefixes[ns] = p
        return p

    def name(ns: str, local: str) -> str:
        return f"{prefix(ns)}:{local}" if ns else local

    def attr_value(value: Any) -> str:
        if isinstance(value, tuple):  # xsi:type qname
            return name(value[0], value[1])
        return format_value(value, -1) if not isinstance(value, bytes) else value.hex().upper()

    parts: list[str] = []

    def render(e: Element) -> None:
        tag = name(e.ns, e.name)
        parts.append("<" + tag)
        for (ans, alocal), value in e.attrs.items():
            parts.append(f' {name(ans, alocal)}="{_escape(attr_value(value), True)}"')
        if not e.children and e.value is None:
            parts.append("/>")
            return
        parts.append(">")
        texts = e.texts
        if texts is None and e.value is not None:
            parts.append(_escape(format_value(e.value, e.dtype)))
        for index, child in enumerate(e.children):
            if texts:
                parts.extend(_escape(t) for k, t in texts if k == index)
            render(child)
        if texts:
            parts.extend(_escape(t) for k, t in texts if k >= len(e.children))
        parts.append(f"</{tag}>")

    render(root)
    decls = "".join(f' xmlns:{p}="{_escape(ns, True)}"' for ns, p in prefixes.items())
    first = parts[0]
    parts[0] = first + decls
    return "".join(parts)


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
