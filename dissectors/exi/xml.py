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


_ESCAPED = ("&", "<", ">", "\r")


def node_xml(root: list[Any]) -> str:
    """``to_xml`` of an element in compact form (``model.to_node``)."""
    prefixes: dict[str, str] = {}
    tags: dict[tuple[str, str], str] = {}

    def name(ns: str, local: str) -> str:
        tag = tags.get((ns, local))
        if tag is None:
            if ns:
                p = prefixes.get(ns)
                if p is None:
                    p = _FIXED_PREFIXES.get(ns) or f"ns{len(prefixes) + 1}"
                    prefixes[ns] = p
                tag = f"{p}:{local}"
            else:
                tag = local
            tags[(ns, local)] = tag
        return tag

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
                add(f' {name(ans, alocal)}="{_escape(attr_value(avalue), True)}"')
            add(">" if children or value is not None else "/>")
        elif children or value is not None:
            add(f"<{tag}>")
        else:
            add(f"<{tag}/>")
            return
        if value is not None and texts is None:
            cls = value.__class__
            if cls is int:
                add(str(value))
            elif cls is str:
                add(_escape(value) if any(c in value for c in _ESCAPED) else value)
            else:
                add(_escape(format_value(value, dtype)))
        if children:
            if texts:
                for index, child in enumerate(children):
                    parts.extend(_escape(t) for k, t in texts if k == index)
                    render(child)
                parts.extend(_escape(t) for k, t in texts if k >= len(children))
            else:
                for child in children:
                    render(child)
        elif texts:
            parts.extend(_escape(t) for _k, t in texts)
        elif attrs and value is None:
            return
        add(f"</{tag}>")

    render(root)
    decls = "".join(f' xmlns:{p}="{_escape(ns, True)}"' for ns, p in prefixes.items())
    first = parts[0]  # "<tag" (attributes follow), "<tag>" or "<tag/>"
    if first.endswith("/>"):
        parts[0] = first[:-2] + decls + "/>"
    elif first.endswith(">"):
        parts[0] = first[:-1] + decls + ">"
    else:
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
