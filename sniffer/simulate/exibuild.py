"""Messages written as nested dicts (the codec's JSON form) and encoded with our EXI encoder.

Scenario code names elements by local name only, in document order:
``{"CurrentDemandReq": {"DC_EVStatus": {...}, "EVTargetCurrent": pv(-1, "A", 1250)}}``.
A list value repeats the element; a key ``"@Name"`` is an attribute, ``"#text"`` the value of an
element that also has attributes. Namespaces are resolved by
walking the schema's grammar states, so the tree cannot silently name the wrong element.
"""

from __future__ import annotations

import struct
from typing import Any

from v2gsniff.dissectors.exi import Element, ExiError, ExiMessage, encode
from v2gsniff.dissectors.exi.grammar import Grammar, load

Tree = dict[str, Any]

APPHAND, DIN, ISO2 = "apphand", "din", "iso2"
PAYLOAD_TYPES = {"apphand": 0x8001, "din": 0x8001, "iso2": 0x8001, "iso20-cm": 0x8002,
                 "iso20-ac": 0x8003, "iso20-dc": 0x8004}


def pv(multiplier: int, unit: str, value: int) -> Tree:
    """DIN/ISO-2 PhysicalValueType (DIN writes the unit, ISO-2 too; both schemas accept it)."""
    return {"Multiplier": multiplier, "Unit": unit, "Value": value}


def rn(value: float, exponent: int = -1) -> Tree:
    """ISO-20 RationalNumberType: ``value`` scaled to an integer with ``exponent`` (raised until the
    integer fits the schema's short)."""
    while abs(round(value / 10.0**exponent)) > 32767:
        exponent += 1
    return {"Exponent": exponent, "Value": round(value / 10.0**exponent)}


def _candidates(g: Grammar, local: str) -> list[int]:
    return [i for i, (_ns, name) in enumerate(g.qnames) if name == local]


def _build(g: Grammar, name: str, content: Any, state: int, parent: str) -> tuple[Element, int]:
    """Element ``name`` in grammar state ``state``; returns it and the state after it."""
    st = g.states[state]
    m = g.encode_map(st)
    for qid in _candidates(g, name):
        code = m.get(("S", qid))
        if code is not None:
            break
    else:
        raise ExiError(f"{name} is not possible here", 0, parent)
    ns = g.qnames[qid][0]
    inner = st.prods[code][2]
    path = f"{parent}/{name}"
    if not isinstance(content, dict):
        return Element(ns, name, value=content), st.prods[code][3]
    e = Element(ns, name)
    s = inner
    for key, value in content.items():
        if key == "#text":
            e.value = value
            continue
        if key.startswith("@"):
            am = g.encode_map(g.states[s])
            found = [(q, am[("A", q)]) for q in _candidates(g, key[1:]) if ("A", q) in am]
            if not found:
                raise ExiError(f"attribute {key[1:]} is not possible here", 0, path)
            e.attrs[g.qnames[found[0][0]]] = value
            s = g.states[s].prods[found[0][1]][3]
            continue
        for item in value if isinstance(value, list) else [value]:
            child, s = _build(g, key, item, s, path)
            e.children.append(child)
    return e, st.prods[code][3]


def message(schema: str, tree: Tree) -> ExiMessage:
    """The typed message for a one-root tree of ``schema``."""
    g = load(schema)
    ((name, content),) = tree.items()
    root, _ = _build(g, name, content, g.document, "")
    return ExiMessage(root, schema)


def exi(schema: str, tree: Tree, lenient: bool = False) -> bytes:
    """EXI of ``tree``; ``lenient`` keeps out-of-facet values (a faulty peer's message)."""
    return encode(message(schema, tree), lenient=lenient)


def v2gtp(payload_type: int, payload: bytes) -> bytes:
    return struct.pack("!BBHI", 0x01, 0xFE, payload_type, len(payload)) + payload


def v2g_message(schema: str, session_id: str, body: Tree) -> Tree:
    """DIN/ISO-2 ``V2G_Message`` with a header carrying ``session_id`` (hex)."""
    return {"V2G_Message": {"Header": {"SessionID": session_id}, "Body": body}}


def frame(schema: str, tree: Tree, lenient: bool = False, payload_type: int | None = None) -> bytes:
    """The V2GTP message carrying ``tree`` encoded with ``schema`` (``payload_type``: another type
    than the set's, as a faulty peer sends it)."""
    return v2gtp(PAYLOAD_TYPES[schema] if payload_type is None else payload_type, exi(schema, tree, lenient))
