"""Minimal XML Schema reader for the V2G XSDs (development tool, not shipped).

Reads exactly the constructs the V2G/xmldsig schemas use: global and local elements, named and
anonymous complex/simple types, sequence/choice/any particles, complexContent and simpleContent
extension, attributes, substitution groups, integer/enumeration facets and the length, pattern and
totalDigits facets (kept on the datatype for the decoder's facet checks).  The result feeds
``grammar.py``, which turns it into EXI grammars.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

XS = "http://www.w3.org/2001/XMLSchema"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
XMLNS = "http://www.w3.org/XML/1998/namespace"
UNBOUNDED = -1

QName = tuple[str, str]  # (namespace uri, local name)

# The 46 built-in XML Schema type names (EXI initial local-name partition of XMLSchema).
BUILTIN_TYPES = sorted(
    "ENTITIES ENTITY ID IDREF IDREFS NCName NMTOKEN NMTOKENS NOTATION Name QName anySimpleType anyType "
    "anyURI base64Binary boolean byte date dateTime decimal double duration float gDay gMonth gMonthDay "
    "gYear gYearMonth hexBinary int integer language long negativeInteger nonNegativeInteger "
    "nonPositiveInteger normalizedString positiveInteger short string time token unsignedByte "
    "unsignedInt unsignedLong unsignedShort".split()
)

_INT_BOUNDS: dict[str, tuple[int | None, int | None]] = {
    "integer": (None, None),
    "long": (-(2**63), 2**63 - 1),
    "int": (-(2**31), 2**31 - 1),
    "short": (-(2**15), 2**15 - 1),
    "byte": (-128, 127),
    "nonNegativeInteger": (0, None),
    "positiveInteger": (1, None),
    "unsignedLong": (0, 2**64 - 1),
    "unsignedInt": (0, 2**32 - 1),
    "unsignedShort": (0, 2**16 - 1),
    "unsignedByte": (0, 255),
    "nonPositiveInteger": (None, 0),
    "negativeInteger": (None, -1),
}
_STRINGS = {
    "string", "normalizedString", "token", "language", "Name", "NCName", "NMTOKEN", "ID", "IDREF",
    "ENTITY", "anyURI", "QName", "NOTATION", "anySimpleType",
}
_OTHER = {
    "boolean": ("bool",), "hexBinary": ("hex",), "base64Binary": ("b64",), "decimal": ("decimal",),
    "float": ("float",), "double": ("float",), "dateTime": ("datetime",), "date": ("datetime",),
    "time": ("datetime",), "duration": ("string",), "IDREFS": ("list",), "ENTITIES": ("list",),
    "NMTOKENS": ("list",),
}


def builtin_datatype(local: str) -> tuple[object, ...]:
    """EXI datatype representation of a built-in XML Schema type (EXI 1.0 §7.1)."""
    if local in _INT_BOUNDS:
        return int_datatype(*_INT_BOUNDS[local])
    if local in _STRINGS:
        return ("string",)
    if local in _OTHER:
        return _OTHER[local]
    return ("datetime",)  # remaining g* date types: not used by the V2G schemas


CHECKED_FACETS = ("length", "minLength", "maxLength", "pattern", "totalDigits")
"""Facets other than integer bounds that the decoder checks (bounds live in the integer datatypes)."""


def facets_of(dt: tuple[object, ...]) -> dict[str, object]:
    """The checked facets a datatype carries: its trailing ``(("maxLength", 37), ...)`` tuple, if any."""
    last = dt[-1] if len(dt) > 1 else None
    if isinstance(last, tuple) and all(isinstance(f, tuple) and len(f) == 2 for f in last):
        return dict(last)  # type: ignore[arg-type]
    return {}


def with_facets(dt: tuple[object, ...], facets: dict[str, object]) -> tuple[object, ...]:
    """``dt`` with its checked facets replaced by ``facets`` (sorted, so generation is deterministic)."""
    base = dt[:-1] if facets_of(dt) else dt
    if dt[0] == "nbit" or dt[0] == "uint" or dt[0] == "int":
        base = base[:3]
    return (*base, tuple(sorted(facets.items()))) if facets else base


def int_datatype(lo: int | None, hi: int | None) -> tuple[object, ...]:
    """Integer representation: n-bit when the range has at most 4096 values, else (un)signed."""
    if lo is not None and hi is not None and hi - lo < 4096:
        return ("nbit", lo, hi)
    if lo is not None and lo >= 0:
        return ("uint", lo, hi)  # bounds are not coded; the decoder range-checks with them
    return ("int", lo, hi)


@dataclass
class Ctx:
    """Per-file context: namespace map and form defaults."""

    tns: str
    nsmap: dict[str, str]
    elem_qualified: bool
    attr_qualified: bool

    def resolve(self, value: str) -> QName:
        prefix, _, local = value.rpartition(":")
        return (self.nsmap.get(prefix, ""), local)


@dataclass(eq=False)
class ElemDecl:
    qname: QName
    node: ET.Element
    ctx: Ctx
    is_global: bool
    abstract: bool = False
    subst_head: QName | None = None
    order: int = 0


@dataclass
class Particle:
    kind: str  # "elem" | "any" | "seq" | "choice"
    min: int
    max: int
    decl: ElemDecl | None = None
    children: list[Particle] = field(default_factory=list)
    namespace: str = "##any"


@dataclass
class TypeInfo:
    key: object
    name: QName | None
    attrs: list[tuple[QName, tuple[object, ...], bool]]
    content: str  # "empty" | "simple" | "complex"
    dtype: tuple[object, ...] | None = None
    particle: Particle | None = None
    mixed: bool = False


class Schema:
    """All declarations reachable from one or more root XSD files."""

    def __init__(self, roots: list[str]) -> None:
        self.elements: dict[QName, ElemDecl] = {}
        self.all_decls: list[ElemDecl] = []
        self.ctypes: dict[QName, tuple[ET.Element, Ctx]] = {}
        self.stypes: dict[QName, tuple[ET.Element, Ctx]] = {}
        self.attributes: dict[QName, tuple[ET.Element, Ctx]] = {}
        self.namespaces: set[str] = set()
        self.local_names: dict[str, set[str]] = {}
        self._loaded: set[str] = set()
        self._types: dict[object, TypeInfo] = {}
        for root in roots:
            self._load(os.path.realpath(root))
        self.members: dict[QName, list[ElemDecl]] = {}
        for decl in self.elements.values():
            if decl.subst_head is not None:
                self.members.setdefault(decl.subst_head, []).append(decl)

    # -- loading -------------------------------------------------------------------------------
    def _load(self, path: str) -> None:
        if path in self._loaded:
            return
        self._loaded.add(path)
        nsmap: dict[str, str] = {}
        for event, item in ET.iterparse(path, events=("start-ns",)):
            if event == "start-ns":
                prefix, uri = item  # type: ignore[misc]
                nsmap.setdefault(prefix, uri)
        root = ET.parse(path).getroot()
        tns = root.get("targetNamespace", "")
        ctx = Ctx(tns, nsmap, root.get("elementFormDefault") == "qualified",
                  root.get("attributeFormDefault") == "qualified")
        self.namespaces.add(tns)
        for child in root:
            tag = child.tag.split("}")[-1]
            name = child.get("name")
            if tag in ("import", "include") and child.get("schemaLocation"):
                self._load(os.path.realpath(os.path.join(os.path.dirname(path), child.get("schemaLocation", ""))))
            elif tag == "element" and name:
                decl = self._decl(child, ctx, (tns, name), True)
                self.elements[decl.qname] = decl
            elif tag == "complexType" and name:
                self.ctypes[(tns, name)] = (child, ctx)
                self._name(tns, name)
            elif tag == "simpleType" and name:
                self.stypes[(tns, name)] = (child, ctx)
                self._name(tns, name)
            elif tag == "attribute" and name:
                self.attributes[(tns, name)] = (child, ctx)
                self._name(tns, name)
        # local element and attribute names (for the local-name string table)
        for node in root.iter():
            tag = node.tag.split("}")[-1]
            if node.get("name") and tag in ("element", "attribute") and node not in list(root):
                qualified = ctx.elem_qualified if tag == "element" else ctx.attr_qualified
                form = node.get("form")
                if form is not None:
                    qualified = form == "qualified"
                self._name(tns if qualified else "", node.get("name", ""))

    def _name(self, uri: str, local: str) -> None:
        self.local_names.setdefault(uri, set()).add(local)

    def _decl(self, node: ET.Element, ctx: Ctx, qname: QName, is_global: bool) -> ElemDecl:
        head = node.get("substitutionGroup")
        decl = ElemDecl(qname, node, ctx, is_global, node.get("abstract") == "true",
                        ctx.resolve(head) if head else None, len(self.all_decls))
        self.all_decls.append(decl)
        self._name(*qname)
        return decl

    # -- types ---------------------------------------------------------------------------------
    def element_type(self, decl: ElemDecl) -> TypeInfo:
        ref = decl.node.get("type")
        if ref:
            return self.named_type(decl.ctx.resolve(ref))
        for child in decl.node:
            tag = child.tag.split("}")[-1]
            if tag == "complexType":
                return self._complex(child, decl.ctx, None, ("anon", decl.order))
            if tag == "simpleType":
                return self._simple_info(child, decl.ctx, ("anon", decl.order))
        return self.named_type((XS, "anyType"))

    def types(self) -> list[TypeInfo]:
        """Every type parsed so far, in parse order."""
        return list(self._types.values())

    def named_type(self, qname: QName) -> TypeInfo:
        if qname in self._types:
            return self._types[qname]
        if qname in self.ctypes:
            node, ctx = self.ctypes[qname]
            return self._complex(node, ctx, qname, qname)
        if qname == (XS, "anyType"):
            info = TypeInfo(qname, qname, [], "anyType")
        else:
            info = TypeInfo(qname, qname, [], "simple", self.simple_dtype(qname))
        self._types[qname] = info
        return info

    def _simple_info(self, node: ET.Element, ctx: Ctx, key: object) -> TypeInfo:
        info = TypeInfo(key, None, [], "simple", self._simple_node(node, ctx))
        self._types[key] = info
        return info

    def simple_dtype(self, qname: QName) -> tuple[object, ...]:
        if qname[0] == XS:
            return builtin_datatype(qname[1])
        if qname in self.stypes:
            return self._simple_node(*self.stypes[qname])
        info = self.named_type(qname)  # complex type with simple content
        assert info.dtype is not None, qname
        return info.dtype

    def _simple_node(self, node: ET.Element, ctx: Ctx) -> tuple[object, ...]:
        restriction = next((c for c in node if c.tag == f"{{{XS}}}restriction"), None)
        if restriction is None:
            if any(c.tag == f"{{{XS}}}list" for c in node):
                return ("list",)
            raise NotImplementedError("simpleType without restriction")
        base = ctx.resolve(restriction.get("base", ""))
        base_dt = self.simple_dtype(base)
        enums = [c.get("value", "") for c in restriction if c.tag == f"{{{XS}}}enumeration"]
        if enums:
            return ("enum", tuple(enums))
        facets = {c.tag.split("}")[-1]: c.get("value", "") for c in restriction}
        # a restriction keeps its base's facets and narrows them (XSD 1.0 §4.3); several patterns
        # in one step are alternatives, and a derived step's pattern replaces the base's here
        checked = facets_of(base_dt)
        patterns = [c.get("value", "") for c in restriction if c.tag == f"{{{XS}}}pattern"]
        if patterns:
            checked["pattern"] = "|".join(f"(?:{p})" for p in patterns) if len(patterns) > 1 else patterns[0]
        for name in ("length", "minLength", "maxLength", "totalDigits"):
            if name in facets:
                checked[name] = int(facets[name])
        if base_dt[0] in ("nbit", "uint", "int"):
            lo, hi = self._int_bounds(base)
            if "minInclusive" in facets:
                lo = int(facets["minInclusive"]) if lo is None else max(lo, int(facets["minInclusive"]))
            if "maxInclusive" in facets:
                hi = int(facets["maxInclusive"]) if hi is None else min(hi, int(facets["maxInclusive"]))
            if "minExclusive" in facets:
                lo = int(facets["minExclusive"]) + 1
            if "maxExclusive" in facets:
                hi = int(facets["maxExclusive"]) - 1
            return with_facets(int_datatype(lo, hi), checked)
        if base_dt[0] in ("string", "hex", "b64"):
            return with_facets(base_dt, checked)
        return base_dt

    def _int_bounds(self, qname: QName) -> tuple[int | None, int | None]:
        if qname[0] == XS:
            return _INT_BOUNDS.get(qname[1], (None, None))
        dt = self.simple_dtype(qname)
        if dt[0] == "nbit":
            return dt[1], dt[2]  # type: ignore[return-value]
        if dt[0] == "uint":
            node, ctx = self.stypes[qname]
            restriction = next(c for c in node if c.tag == f"{{{XS}}}restriction")
            lo, hi = self._int_bounds(ctx.resolve(restriction.get("base", "")))
            facets = {c.tag.split("}")[-1]: c.get("value", "") for c in restriction}
            if "minInclusive" in facets:
                lo = int(facets["minInclusive"])
            if "maxInclusive" in facets:
                hi = int(facets["maxInclusive"])
            return lo, hi
        return (None, None)

    def _complex(self, node: ET.Element, ctx: Ctx, name: QName | None, key: object) -> TypeInfo:
        if key in self._types:
            return self._types[key]
        info = TypeInfo(key, name, [], "empty", mixed=node.get("mixed") == "true")
        self._types[key] = info
        attrs: list[tuple[QName, tuple[object, ...], bool]] = []
        particle: Particle | None = None
        for child in node:
            tag = child.tag.split("}")[-1]
            if tag in ("complexContent", "simpleContent"):
                if child.get("mixed") == "true":
                    info.mixed = True
                der = next(c for c in child if c.tag.split("}")[-1] in ("extension", "restriction"))
                if der.tag.split("}")[-1] != "extension":
                    raise NotImplementedError("complex restriction")
                base = ctx.resolve(der.get("base", ""))
                if tag == "simpleContent":
                    if base in self.ctypes:
                        binfo = self.named_type(base)
                        attrs.extend(binfo.attrs)
                        info.dtype = binfo.dtype
                    else:
                        info.dtype = self.simple_dtype(base)
                    info.content = "simple"
                else:
                    binfo = self.named_type(base)
                    attrs.extend(binfo.attrs)
                    particle = binfo.particle
                    info.mixed = info.mixed or binfo.mixed
                attrs.extend(self._attrs(der, ctx))
                own = self._particle_of(der, ctx)
                if own is not None:
                    particle = own if particle is None else Particle("seq", 1, 1, children=[particle, own])
            elif tag in ("sequence", "choice"):
                particle = self._particle(child, ctx)
            elif tag == "attribute":
                attrs.extend(self._attrs_one(child, ctx))
        info.attrs = sorted(attrs, key=lambda a: (a[0][1], a[0][0]))
        if info.content != "simple":
            info.particle = particle
            info.content = "complex" if particle is not None else "empty"
        return info

    def _attrs(self, node: ET.Element, ctx: Ctx) -> list[tuple[QName, tuple[object, ...], bool]]:
        out: list[tuple[QName, tuple[object, ...], bool]] = []
        for child in node:
            if child.tag == f"{{{XS}}}attribute":
                out.extend(self._attrs_one(child, ctx))
        return out

    def _attrs_one(self, node: ET.Element, ctx: Ctx) -> list[tuple[QName, tuple[object, ...], bool]]:
        if node.get("ref"):
            qname = ctx.resolve(node.get("ref", ""))
            gnode, gctx = self.attributes[qname]
            dtype = self.simple_dtype(gctx.resolve(gnode.get("type", "xs:string")))
        else:
            qualified = ctx.attr_qualified if node.get("form") is None else node.get("form") == "qualified"
            qname = (ctx.tns if qualified else "", node.get("name", ""))
            type_ref = node.get("type")
            if type_ref:
                dtype = self.simple_dtype(ctx.resolve(type_ref))
            else:
                st = next(c for c in node if c.tag == f"{{{XS}}}simpleType")
                dtype = self._simple_node(st, ctx)
        return [(qname, dtype, node.get("use") == "required")]

    def _particle_of(self, node: ET.Element, ctx: Ctx) -> Particle | None:
        for child in node:
            if child.tag.split("}")[-1] in ("sequence", "choice"):
                return self._particle(child, ctx)
        return None

    def _particle(self, node: ET.Element, ctx: Ctx) -> Particle:
        tag = node.tag.split("}")[-1]
        lo = int(node.get("minOccurs", "1"))
        hi_s = node.get("maxOccurs", "1")
        hi = UNBOUNDED if hi_s == "unbounded" else int(hi_s)
        if tag == "element":
            if node.get("ref"):
                decl = self.elements[ctx.resolve(node.get("ref", ""))]
            else:
                qualified = ctx.elem_qualified if node.get("form") is None else node.get("form") == "qualified"
                decl = self._local_decl(node, ctx, (ctx.tns if qualified else "", node.get("name", "")))
            return Particle("elem", lo, hi, decl=decl)
        if tag == "any":
            return Particle("any", lo, hi, namespace=node.get("namespace", "##any"))
        children = [self._particle(c, ctx) for c in node
                    if c.tag.split("}")[-1] in ("element", "any", "sequence", "choice")]
        return Particle("seq" if tag == "sequence" else "choice", lo, hi, children=children)

    def _local_decl(self, node: ET.Element, ctx: Ctx, qname: QName) -> ElemDecl:
        for decl in self.all_decls:
            if decl.node is node:
                return decl
        return self._decl(node, ctx, qname, False)

    def substitutes(self, decl: ElemDecl) -> list[ElemDecl]:
        """Members of decl's substitution group (decl included), sorted by local, uri."""
        out: list[ElemDecl] = []
        todo = [decl]
        while todo:
            d = todo.pop()
            out.append(d)  # EXIficient keeps abstract members too (codes must match it)
            todo.extend(self.members.get(d.qname, []))
        return sorted(out, key=lambda d: (d.qname[1], d.qname[0]))
