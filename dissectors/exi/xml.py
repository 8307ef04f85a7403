"""XML text <-> element tree: namespaced rendering and namespace-aware parsing (xml.etree)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

from .errors import ExiError
from .model import XSI_NS, Element, format_value, json_value, node_json, to_node

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
# ("<tag>", "</tag>"); a document looks its namespaces' tables up once.  Both caches are bounded
# (undeclared content brings namespaces and names from the stream): past the bounds a tag is made
# for the one use.
Tag = tuple[str, str]
_MAX_TABLES = 256
_MAX_TAGS = 20000


class _Tags(dict[str, Tag]):
    """One (prefix, namespace)'s tags by local name, made on first use (``table[local]`` is the
    whole look-up: a subscript is the cheapest read a renderer can make per element)."""

    __slots__ = ("prefix",)
    made = 0

    def __init__(self, prefix: str) -> None:
        super().__init__()
        self.prefix = prefix

    def __missing__(self, local: str) -> Tag:
        name = f"{self.prefix}:{local}" if self.prefix else local
        tag = (f"<{name}>", f"</{name}>")
        if _Tags.made < _MAX_TAGS:
            _Tags.made += 1
            self[local] = tag
        return tag


_TABLES: dict[tuple[str, str], _Tags] = {}
_DECLS: dict[tuple[str, str], str] = {}


def _table(prefix: str, ns: str) -> _Tags:
    table = _TABLES.get((prefix, ns))
    if table is None:
        table = _Tags(prefix)
        if len(_TABLES) < _MAX_TABLES:
            _TABLES[prefix, ns] = table
            _DECLS[prefix, ns] = f' xmlns:{prefix}="{_escape(ns, True)}"' if ns else ""
    return table


_NO_TAGS = _Tags("")  # a start value for the renderer's loop; never read


def _qname(tag: Tag) -> str:
    return tag[0][1:-1]


class _Scope:
    """The namespaces a document has used so far, in order of first use: their prefixes, their tag
    tables and the declarations they make.  Documents that take up the same namespaces in the same
    order share their scopes (``after``), so a namespace's first use in a document costs one lookup;
    their dicts are read-only.  Past the bounds (a document with many namespaces from undeclared
    content, or many orders) a scope is the document's own and grows in place."""

    __slots__ = ("prefixes", "tables", "after", "shared", "_decls")

    def __init__(self, prefixes: dict[str, str], tables: dict[str, _Tags], shared: bool) -> None:
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
    return _document(root, False)[0]


def node_xml_json(root: list[Any]) -> tuple[str, Any]:
    """The XML text of an element in compact form and its JSON-ready content (``model.node_json``)
    in one walk: a line that carries both (``exi decode --format jsonl``) walks the tree once."""
    return _document(root, True)


def _document(root: list[Any], json: bool) -> tuple[str, Any]:
    parts: list[str] = []
    doc = [_EMPTY]
    content = _render(root, parts.append, doc, json)
    scope = doc[0]
    at = len(scope.tables[root[0]][root[1]][0]) - 1  # declarations go right after the root's name,
    first = parts[0]  # which the first part holds
    parts[0] = first[:at] + scope.decls + first[at:]
    return "".join(parts), content


def _tags(doc: list[_Scope], ns: str) -> _Tags:
    """The tags of ``ns`` in the document's current scope (``doc[0]``), which its first use extends.
    A caller's own view of the scope may be older (a child used a new namespace): it is a subset
    of the current one, so whatever it holds is still right, and what it lacks is looked up here."""
    scope = doc[0]
    table = scope.tables.get(ns)
    if table is None:
        scope = doc[0] = scope.then(ns)
        table = scope.tables[ns]
    return table


def _render(nd: list[Any], add: Callable[[str], None], doc: list[_Scope], json: bool) -> Any:
    """Add the element's XML text and, with ``json``, return its JSON content (``model.node_json``).
    The JSON is made here for the usual shape, children without attributes, text or a repeated
    name; an element with any of those (rare: signatures, schedules, lists) takes node_json's own
    walk of it.  Without ``json`` the dicts are left unmade (``to_xml`` alone: the capture's --xml)."""
    ns, local, attrs, children, value, dtype, texts = nd
    tables = doc[0].tables
    opener, closer = (tables.get(ns) or _tags(doc, ns))[local]
    if not children and not attrs:
        if value is None:
            add(opener[:-1] + "/>")
            return None
        add(f"{opener}{_text(value, dtype)}{closer}")
        return json_value(value, dtype) if json else None
    if attrs:
        add(opener[:-1])
        for (ans, alocal), avalue in attrs.items():
            aname = _qname(_tags(doc, ans)[alocal])  # before the value: prefixes follow the order of first use
            if isinstance(avalue, tuple):  # xsi:type qname
                avalue = _qname(_tags(doc, avalue[0])[avalue[1]])
            elif isinstance(avalue, bytes):
                avalue = avalue.hex().upper()
            else:
                avalue = format_value(avalue, -1)
            add(f' {aname}="{_escape(avalue, True)}"')
        if not children and value is None:
            add("/>")
            return node_json(nd) if json else None
        add(">")
    else:
        add(opener)
    if value is not None and texts is None:
        add(_text(value, dtype))
    if texts:
        for index, child in enumerate(children or ()):
            for k, text in texts:
                if k == index:
                    add(_escape(text))
            _render(child, add, doc, False)
        for k, text in texts:
            if k >= len(children or ()):
                add(_escape(text))
        add(closer)
        return node_json(nd) if json else None
    out: dict[str, Any] = {}
    if children:
        table_ns = None  # siblings mostly share a namespace: its table is looked up once
        table = _NO_TAGS
        for child in children:
            cns, clocal, cattrs, ckids, content, cdtype, _ = child
            if content is None or cattrs or ckids:
                content = _render(child, add, doc, json)
                table_ns = None
            else:
                # a leaf (most children): its tags from the table, its text without a call for the
                # common values (integers, booleans, names that need no escaping: enumerations)
                if cns is not table_ns:
                    table = doc[0].tables.get(cns) or _tags(doc, cns)
                    table_ns = cns
                copen, cclose = table[clocal]
                cls = type(content)
                if cls is int or cls is str and content.isidentifier():
                    add(f"{copen}{content}{cclose}")
                elif content is True:
                    add(f"{copen}true{cclose}")
                elif content is False:
                    add(f"{copen}false{cclose}")
                else:
                    add(f"{copen}{_text(content, cdtype)}{cclose}")
                    if json and cls is bytes:
                        content = json_value(content, cdtype)
            if json:
                out[clocal] = content
    add(closer)
    if not json:
        return None
    if attrs or value is not None or len(out) != len(children or ()):  # a repeated name: lists
        return node_json(nd)
    return out


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
