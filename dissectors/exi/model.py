"""Decoded EXI messages: an ordered element tree with attributes and typed values.

``Element`` values are typed: ``int`` (all integer types), ``bool``, ``str`` (strings, URIs, IDs and
enumerations, by their schema name), ``bytes`` (hexBinary and base64Binary; ``dtype`` tells which), or
``None`` when the element has no character content.  Text between child elements (xmldsig mixed
content, undeclared content) is joined in ``value`` and kept with its positions in ``texts``.

JSON form (``ExiMessage.to_json()`` / ``Element.to_json()``), stable and lossless for V2G content:

* a message is ``{root_local_name: content}``;
* simple content without attributes is the bare value: int, bool, str; hexBinary as upper-case hex,
  base64Binary as base64 text; an empty element is ``null``;
* otherwise an object: attributes as ``"@Name"`` (local name), then child elements by local name in
  document order; character content next to attributes or children is ``"#text"``;
* a child name that occurs more than once in the same parent becomes a list (in document order);
* namespaces are not repeated in JSON: they follow from the schema (``ExiMessage.namespace``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from .._api import Repeated
from .errors import ExiError, FacetViolation
from .grammar import D_B64, D_HEX

XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"


class Element:
    """One element: namespace, local name, attributes, children and typed character value."""

    __slots__ = ("ns", "name", "attrs", "children", "value", "dtype", "texts")

    def __init__(self, ns: str, name: str, attrs: dict[tuple[str, str], Any] | None = None,
                 children: list[Element] | None = None, value: Any = None, dtype: int = -1,
                 texts: list[tuple[int, str]] | None = None) -> None:
        self.ns = ns
        self.name = name
        self.attrs = attrs if attrs is not None else {}
        self.children = children if children is not None else []
        self.value = value
        self.dtype = dtype
        # mixed content only: (number of children before it, text) per text chunk; ``value`` is their join
        self.texts = texts

    # -- navigation ----------------------------------------------------------------------------
    def __getitem__(self, key: str | int) -> Element:
        """Child by local name (first match) or by position."""
        if isinstance(key, int):
            return self.children[key]
        for child in self.children:
            if child.name == key:
                return child
        raise KeyError(f"{self.name} has no child {key!r}")

    def __contains__(self, key: str) -> bool:
        return any(child.name == key for child in self.children)

    def __iter__(self) -> Iterator[Element]:
        return iter(self.children)

    def __len__(self) -> int:
        return len(self.children)

    def get(self, key: str, default: Element | None = None) -> Element | None:
        """Child by local name, or ``default``."""
        for child in self.children:
            if child.name == key:
                return child
        return default

    def findall(self, key: str) -> list[Element]:
        """All children with this local name, in document order."""
        return [child for child in self.children if child.name == key]

    def attr(self, local: str, default: Any = None) -> Any:
        """Attribute value by local name (any namespace)."""
        for (_ns, name), value in self.attrs.items():
            if name == local:
                return value
        return default

    @property
    def text(self) -> str:
        """The character value as XML text ("" when empty)."""
        return format_value(self.value, self.dtype)

    @property
    def physical(self) -> float | None:
        """Physical value of a DIN/ISO-2 PhysicalValueType or ISO-20 RationalNumberType element."""
        if self.get("Value") is None or (self.get("Multiplier") is None and self.get("Exponent") is None):
            return None
        return physical(self)

    # -- comparison / display ------------------------------------------------------------------
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Element):
            return NotImplemented
        return (self.ns == other.ns and self.name == other.name and self.attrs == other.attrs
                and self.value == other.value and self.children == other.children and self.texts == other.texts)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        inner = repr(self.value) if not self.children else f"{len(self.children)} children"
        return f"<Element {{{self.ns}}}{self.name} {inner}>"

    def to_json(self) -> Any:
        """JSON-ready content of this element (see module docstring)."""
        return node_json(to_node(self))


def _b64(value: bytes) -> str:
    """base64Binary as text (``base64.b64encode``'s); loaded on first use, for the few messages
    that carry such values (certificates, signatures)."""
    from binascii import b2a_base64

    return b2a_base64(value, newline=False).decode()


def json_value(value: Any, dtype: int) -> Any:
    if isinstance(value, bytes):
        return _b64(value) if dtype == D_B64 else value.hex().upper()
    return value


def to_node(e: Element) -> list[Any]:
    """The compact form of an element tree: ``[ns, name, attrs, children, value, dtype, texts]``."""
    return [e.ns, e.name, e.attrs or None, [to_node(c) for c in e.children] or None, e.value, e.dtype, e.texts]


def to_element(nd: list[Any]) -> Element:
    """An ``Element`` tree from its compact form (what the compiled decoders build)."""
    ns, name, attrs, children, value, dtype, texts = nd
    kids = [to_element(c) for c in children] if children else None
    return Element(ns, name, attrs, kids, value, dtype, texts if kids else None)  # texts: mixed content only


def node_json(nd: list[Any]) -> Any:
    """JSON-ready content of an element in compact form (see module docstring)."""
    _ns, _name, attrs, children, value, dtype, _texts = nd
    if not children and not attrs:
        if type(value) is bytes:
            return _b64(value) if dtype == D_B64 else value.hex().upper()
        return value
    out: dict[str, Any] = {}
    if attrs:
        for (_ans, aname), avalue in attrs.items():
            if isinstance(avalue, tuple):  # xsi:type QName
                avalue = f"{{{avalue[0]}}}{avalue[1]}"
            out["@" + aname] = avalue if not isinstance(avalue, bytes) else avalue.hex().upper()
    if value is not None:
        out["#text"] = json_value(value, dtype)
    if not children:
        return out
    repeated = False
    for child in children:
        _cns, cname, cattrs, ckids, content, cdtype, _ctexts = child
        if not cattrs and not ckids:  # a leaf (most of them): its bare value
            if type(content) is bytes:
                content = _b64(content) if cdtype == D_B64 else content.hex().upper()
        else:
            content = node_json(child)
        if cname in out:
            prev = out[cname]
            if isinstance(prev, Repeated):
                prev.append(content)
            else:
                out[cname] = Repeated([prev, content])
                repeated = True
        else:
            out[cname] = content
    if not repeated:
        return out
    return {k: list(v) if isinstance(v, Repeated) else v for k, v in out.items()}


def format_value(value: Any, dtype: int) -> str:
    """XML text of a typed value (EXIficient's canonical lexical forms)."""
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, bytes):
        if dtype == D_HEX:
            return value.hex().upper()
        return _b64(value)
    return str(value)


def physical(node: Element) -> float:
    """Value * 10**Multiplier (PhysicalValueType) or Value * 10**Exponent (RationalNumberType)."""
    value = node.get("Value")
    scale = node.get("Multiplier")
    if scale is None:
        scale = node.get("Exponent")
    if value is None or scale is None or not isinstance(value.value, int) or not isinstance(scale.value, int):
        raise ExiError(f"{node.name} is not a PhysicalValueType/RationalNumberType element")
    return float(value.value * 10**scale.value) if scale.value >= 0 else value.value / 10 ** (-scale.value)


class ExiMessage:
    """A decoded EXI document or fragment of one schema set.

    The decoder builds the compact form (``to_node``); ``Element`` objects are made on first use of
    ``root``/``elements``/``body`` and are the message's content from then on (they may be edited).
    ``name``, ``namespace``, ``to_json``, ``to_xml`` and ``to_xml_and_json`` read the compact form
    while it is current."""

    __slots__ = ("_elements", "_nodes", "schema", "fragment", "violations")

    def __init__(self, root: Element, schema: str, fragment: bool = False,
                 elements: list[Element] | None = None) -> None:
        self._elements: list[Element] | None = elements if elements is not None else [root]
        self._nodes: list[list[Any]] | None = None
        self.schema = schema
        self.fragment = fragment
        self.violations: tuple[FacetViolation, ...] = ()
        """Values kept although a schema facet forbids them, in document order (empty when none)."""

    @classmethod
    def of_nodes(cls, nodes: list[list[Any]], schema: str, fragment: bool = False,
                 violations: tuple[FacetViolation, ...] = ()) -> ExiMessage:
        """A message over decoded nodes (the compact form), with no ``Element`` made yet."""
        msg = cls.__new__(cls)
        msg._elements = None
        msg._nodes = nodes
        msg.schema = schema
        msg.fragment = fragment
        msg.violations = violations
        return msg

    @property
    def elements(self) -> list[Element]:
        """The root elements (more than one only in a fragment)."""
        if self._elements is None:
            assert self._nodes is not None
            self._elements = [to_element(nd) for nd in self._nodes]
            self._nodes = None
        return self._elements

    @property
    def root(self) -> Element:
        return self.elements[0]

    def nodes(self) -> list[list[Any]]:
        """The compact form of the root elements (made from the elements if those are current)."""
        if self._nodes is not None:
            return self._nodes
        assert self._elements is not None
        return [to_node(e) for e in self._elements]

    def body_node(self) -> list[Any]:
        """The compact form of :attr:`body` (no ``Element`` made)."""
        root = self.nodes()[0]
        if root[1] == "V2G_Message" and root[3]:
            for child in root[3]:
                if child[1] == "Body":
                    if child[3]:
                        return child[3][0]  # type: ignore[no-any-return]
                    break
        return root

    @property
    def body(self) -> Element:
        """The element that is the message: the Body child of a DIN/ISO-2 V2G_Message, else the root."""
        root = self.root
        if root.name == "V2G_Message":
            body = root.get("Body")
            if body is not None and body.children:
                return body.children[0]
        return root

    @property
    def name(self) -> str:
        """Message name: the name of :attr:`body`."""
        return self.body.name if self._nodes is None else str(self.body_node()[1])

    @property
    def namespace(self) -> str:
        """Namespace of :attr:`body`."""
        return self.body.ns if self._nodes is None else str(self.body_node()[0])

    def __getitem__(self, key: str | int) -> Element:
        """Child of the root element, e.g. ``msg["Body"]["CurrentDemandReq"]``."""
        return self.root[key]

    def __contains__(self, key: str) -> bool:
        return key in self.root

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ExiMessage):
            return NotImplemented
        return self.elements == other.elements and self.fragment == other.fragment

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<ExiMessage {self.schema} {self.name}>"

    def to_json(self) -> dict[str, Any]:
        """``{root_local_name: content}`` (see module docstring)."""
        root = self.nodes()[0]
        return {root[1]: node_json(root)}

    def to_xml(self) -> str:
        """Namespaced XML text of the message (fragments with several elements are concatenated)."""
        node_xml, _ = _renderers or _load_renderers()
        nodes = self.nodes()
        if len(nodes) == 1:  # a document (the usual case): no generator for one item
            return node_xml(nodes[0])
        return "".join(node_xml(nd) for nd in nodes)

    def to_xml_and_json(self) -> tuple[str, dict[str, Any]]:
        """``(to_xml(), to_json())``, made in one walk of the tree."""
        node_xml, node_xml_json = _renderers or _load_renderers()
        nodes = self.nodes()
        text, content = node_xml_json(nodes[0])
        if len(nodes) > 1:  # a fragment of several elements
            text += "".join(node_xml(nd) for nd in nodes[1:])
        return text, {nodes[0][1]: content}


_renderers: tuple[Callable[[list[Any]], str], Callable[[list[Any]], tuple[str, Any]]] | None = None


def _load_renderers() -> tuple[Callable[[list[Any]], str], Callable[[list[Any]], tuple[str, Any]]]:
    """The XML renderers, imported on first use (xml.py imports this module) and kept: an import
    statement costs a module-name lookup on every call."""
    global _renderers
    from .xml import node_xml, node_xml_json

    _renderers = node_xml, node_xml_json
    return _renderers
