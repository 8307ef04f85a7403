"""XML text <-> element tree: namespaced rendering and namespace-aware parsing (xml.etree)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
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


def _text(value: Any, dtype: int) -> str:
    """Escaped XML text of a typed value (the common kinds first; only strings can need escaping)."""
    cls = type(value)
    if cls is int:
        return str(value)
    if cls is str:
        if "&" in value or "<" in value or ">" in value or "\r" in value:
            return _escape(value)
        return str(value)  # already a str (cls is str)
    if cls is bool:
        return "true" if value else "false"
    if cls is bytes:
        return format_value(value, dtype)
    return _escape(format_value(value, dtype))


# Prefixes (ns1, ns2, ...) follow each document's order of first use, so a tag is text only once
# its namespace has a prefix in the document; but most documents of a message set give a namespace
# the same prefix.  Tags are therefore kept per (prefix, namespace) across documents, as
# (tag, "<tag>", "</tag>"); a document looks its namespaces' tables up once.  Both caches are
# bounded (undeclared content brings namespaces and names from the stream): past the bounds a tag
# is made for the one use.
Tag = tuple[str, str, str]
_TABLES: dict[tuple[str, str], dict[str, Tag]] = {}
_DECLS: dict[tuple[str, str], str] = {}
_MAX_TABLES = 256
_MAX_TAGS = 20000
_n_tags = 0


def _table(prefix: str, ns: str) -> dict[str, Tag]:
    table = _TABLES.get((prefix, ns))
    if table is None:
        table = {}
        if len(_TABLES) < _MAX_TABLES:
            _TABLES[prefix, ns] = table
            _DECLS[prefix, ns] = f' xmlns:{prefix}="{_escape(ns, True)}"' if ns else ""
    return table


def _new_tag(table: dict[str, Tag], prefix: str, local: str) -> Tag:
    global _n_tags
    name = f"{prefix}:{local}" if prefix else local
    tag = (name, f"<{name}>", f"</{name}>")
    if _n_tags < _MAX_TAGS:
        _n_tags += 1
        table[local] = tag
    return tag


class _Scope:
    """The namespaces a document has used so far, in order of first use: their prefixes, their tag
    tables and the declarations they make.  Documents that take up the same namespaces in the same
    order share their scopes (``after``), so a namespace's first use in a document costs one lookup;
    their dicts are read-only.  Past the bounds (a document with many namespaces from undeclared
    content, or many orders) a scope is the document's own and grows in place."""

    __slots__ = ("prefixes", "tables", "after", "shared", "_decls")

    def __init__(self, prefixes: dict[str, str], tables: dict[str, dict[str, Tag]], shared: bool) -> None:
        self.prefixes = prefixes
        self.tables = tables
        self.after: dict[str, _Scope] = {}
        self.shared = shared
        self._decls: str | None = None

    def then(self, ns: str) -> _Scope:
        """The scope once ``ns`` is used too."""
        global _n_scopes
        nxt = self.after.get(ns)
        if nxt is not None:
            return nxt
        shared = self.shared and _n_scopes < _MAX_SCOPES and len(self.prefixes) < _MAX_SHARED_DEPTH
        if self.shared:
            nxt = _Scope(dict(self.prefixes), dict(self.tables), shared)
        else:
            nxt = self
            nxt._decls = None
        prefix = ""
        if ns:
            prefix = nxt.prefixes[ns] = _FIXED_PREFIXES.get(ns) or f"ns{len(nxt.prefixes) + 1}"
        nxt.tables[ns] = _table(prefix, ns)
        if shared:
            _n_scopes += 1
            self.after[ns] = nxt
        return nxt

    @property
    def decls(self) -> str:
        """The namespace declarations of the root's tag."""
        if self._decls is None:
            self._decls = "".join(_DECLS.get((p, ns)) or f' xmlns:{p}="{_escape(ns, True)}"'
                                  for ns, p in self.prefixes.items())
        return self._decls


_MAX_SCOPES = 256
_MAX_SHARED_DEPTH = 16
_n_scopes = 0
_EMPTY = _Scope({}, {}, True)


def node_xml(root: list[Any]) -> str:
    """``to_xml`` of an element in compact form (``model.to_node``)."""
    scope = _EMPTY
    prefixes = scope.prefixes  # this document's, in order of first use
    tables = scope.tables

    def table_of(ns: str) -> dict[str, Tag]:
        """A namespace's first use in the document: its prefix, and its tags."""
        nonlocal scope, prefixes, tables
        scope = scope.then(ns)
        prefixes = scope.prefixes
        tables = scope.tables
        return tables[ns]

    def tag_of(ns: str, local: str) -> Tag:
        table = tables.get(ns)
        if table is None:
            table = table_of(ns)
        tag = table.get(local)
        return tag if tag is not None else _new_tag(table, prefixes.get(ns, ""), local)

    def attr_value(value: Any) -> str:
        if isinstance(value, tuple):  # xsi:type qname
            return tag_of(value[0], value[1])[0]
        return format_value(value, -1) if not isinstance(value, bytes) else value.hex().upper()

    parts: list[str] = []
    add = parts.append

    # ``render`` recurses through its argument ``again`` (itself), not its own name: a closure that
    # names itself is a reference cycle, left (with the document's parts) to the cycle collector.
    def render(nd: list[Any], again: Callable[[list[Any], Any], None]) -> None:
        ns, local, attrs, children, value, dtype, texts = nd
        table = tables.get(ns)
        if table is None:
            table = table_of(ns)
        tag = table.get(local)
        if tag is None:
            tag = _new_tag(table, prefixes.get(ns, ""), local)
        if attrs:
            add("<" + tag[0])
            for (ans, alocal), avalue in attrs.items():
                aname = tag_of(ans, alocal)[0]  # before the value: prefixes follow the order of first use
                add(f' {aname}="{_escape(attr_value(avalue), True)}"')
            if not children and value is None:
                add("/>")
                return
            add(">")
        elif children or value is not None:
            add(tag[1])
        else:
            add(f"<{tag[0]}/>")
            return
        if value is not None and texts is None:
            add(_text(value, dtype))
        if children:
            if texts:
                for index, child in enumerate(children):
                    parts.extend(_escape(t) for k, t in texts if k == index)
                    again(child, again)
                parts.extend(_escape(t) for k, t in texts if k >= len(children))
            else:
                table_ns = None  # siblings mostly share a namespace: its table is looked up once
                for child in children:
                    cns, clocal, cattrs, ckids, cvalue, cdtype, _ = child
                    if cattrs or ckids or cvalue is None:
                        again(child, again)
                        continue
                    # a leaf (most children): its tag from the tables, its text without a call for ints
                    # and plain names (enumeration values)
                    if cns is not table_ns:
                        table = tables.get(cns)
                        if table is None:
                            table = table_of(cns)
                        table_ns = cns
                    ctag = table.get(clocal)
                    if ctag is None:
                        ctag = _new_tag(table, prefixes.get(cns, ""), clocal)
                    cls = type(cvalue)
                    if cls is int or cls is str and cvalue.isidentifier():  # nothing to escape
                        add(f"{ctag[1]}{cvalue}{ctag[2]}")
                    else:
                        add(f"{ctag[1]}{_text(cvalue, cdtype)}{ctag[2]}")
        elif texts:
            parts.extend(_escape(t) for _k, t in texts)
        add(tag[2])

    render(root, render)
    at = 1 + len(tag_of(root[0], root[1])[0])  # declarations go right after the root's tag name,
    first = parts[0]  # which the first part holds
    parts[0] = first[:at] + scope.decls + first[at:]
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
