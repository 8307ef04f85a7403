"""The key values of a decoded V2G message, for one-line output and the ``fields`` of a record.

Physical values (DIN/ISO-2 PhysicalValueType, ISO-20 RationalNumberType) become floats in SI
units; status values keep their schema names. The full tree is always in ``body``.
"""

from __future__ import annotations

from typing import Any

from v2gsniff.dissectors import exi

# Leaves worth a place in the one-line summary and in ``fields``, in display order.
STATUS_LEAVES = (
    "ResponseCode",
    "EVSEProcessing",
    "ChargeProgress",
    "EVProcessing",
    "ChargingSession",
    "SelectedPaymentOption",
    "ServiceCategory",
    "EVCCID",
    "EVSEID",
    "EVReady",
    "EVErrorCode",
    "EVRESSSOC",
    "PresentSOC",
    "EVSEStatusCode",
    "EVSENotification",
    "EVSEIsolationStatus",
    "BulkChargingComplete",
    "ChargingComplete",
    "SchemaID",
)

_STATUS = frozenset(STATUS_LEAVES)  # membership test per element: a set, not the tuple

_UNITS = {"V": "V", "A": "A", "W": "W", "h": "h", "s": "s", "Wh": "Wh"}


# The walk reads the decoder's compact form (``ExiMessage.nodes()``: ``[ns, name, attrs, children,
# value, dtype, texts]`` lists), so that a message whose JSON is all the pipeline keeps never has
# ``Element`` objects made for it.
_NAME, _CHILDREN, _VALUE = 1, 3, 4


def _child(node: list[Any], name: str) -> list[Any] | None:
    children: list[list[Any]] = node[_CHILDREN] or []
    for child in children:
        if child[_NAME] == name:
            return child
    return None


def _unit(node: list[Any]) -> str:
    unit = _child(node, "Unit")
    if unit is not None and unit[_VALUE] is not None:
        return _UNITS.get(str(unit[_VALUE]), str(unit[_VALUE]))
    name = node[_NAME]
    for suffix, u in (("Voltage", "V"), ("Current", "A"), ("Power", "W"), ("Energy", "Wh")):
        if suffix in name:
            return u
    return ""


def _physical(node: list[Any]) -> float | None:
    """Value * 10**Multiplier (PhysicalValueType) or Value * 10**Exponent (RationalNumberType)."""
    # PhysicalValueType is (Multiplier, Unit, Value), RationalNumberType (Exponent, Value).
    children = node[_CHILDREN]
    if not children or len(children) < 2 or children[0][_NAME] not in ("Multiplier", "Exponent") \
            or children[-1][_NAME] != "Value":
        return None
    value, scale = children[-1][_VALUE], children[0][_VALUE]
    if not isinstance(value, int) or not isinstance(scale, int):
        return None
    return float(value * 10**scale) if scale >= 0 else value / 10 ** (-scale)


def key_values(msg: exi.ExiMessage) -> tuple[dict[str, Any], str]:
    """(fields, summary) of a decoded message."""
    fields: dict[str, Any] = {}
    root = msg.nodes()[0]
    if root[_NAME] == "supportedAppProtocolReq":
        offers = []
        for ap in root[_CHILDREN] or ():
            if ap[_NAME] != "AppProtocol":
                continue
            vals = {c[_NAME]: c[_VALUE] for c in ap[_CHILDREN] or ()}
            offers.append({
                "namespace": vals.get("ProtocolNamespace"),
                "version_major": vals.get("VersionNumberMajor"),
                "version_minor": vals.get("VersionNumberMinor"),
                "schema_id": vals.get("SchemaID"),
                "priority": vals.get("Priority"),
            })
        offers.sort(key=lambda o: o["priority"] if isinstance(o["priority"], int) else 99)
        fields["offers"] = offers
        summary = ", ".join(f"{o['priority']}:{_short_ns(str(o['namespace']))}" for o in offers)
        return fields, summary
    if root[_NAME] == "V2G_Message":
        header = _child(root, "Header")
        sid = _child(header, "SessionID") if header is not None else None
        if sid is not None and isinstance(sid[_VALUE], bytes):
            fields["SessionID"] = sid[_VALUE].hex().upper()
    _collect(msg.body_node(), fields, 0)
    parts = []
    for key, value in fields.items():
        if key == "SessionID":
            continue
        if isinstance(value, dict):
            parts.append(f"{key}={value['value']:g}{value['unit']}")
        else:
            parts.append(f"{key}={value}")
        if len(parts) >= 7:
            break
    return fields, " ".join(parts)


def _collect(node: list[Any], fields: dict[str, Any], depth: int) -> None:
    for child in node[_CHILDREN] or ():
        name = child[_NAME]
        grandchildren = child[_CHILDREN]
        if grandchildren and len(grandchildren) >= 2 and grandchildren[0][_NAME] in ("Multiplier", "Exponent") \
                and grandchildren[-1][_NAME] == "Value":
            value = _physical(child)
            if value is not None:
                fields.setdefault(name, {"value": round(value, 6), "unit": _unit(child)})
        elif name in _STATUS and not grandchildren:
            value = child[_VALUE]
            fields.setdefault(name, value.hex().upper() if isinstance(value, bytes) else value)
        elif grandchildren and depth < 3:
            _collect(child, fields, depth + 1)


def _short_ns(ns: str) -> str:
    known = {
        "urn:din:70121:2012:MsgDef": "DIN",
        "urn:iso:15118:2:2013:MsgDef": "ISO-2",
        "urn:iso:15118:2:2010:MsgDef": "ISO-2(2010)",
        "urn:iso:std:iso:15118:-20:DC": "ISO-20 DC",
        "urn:iso:std:iso:15118:-20:AC": "ISO-20 AC",
        "urn:iso:std:iso:15118:-20:WPT": "ISO-20 WPT",
        "urn:iso:std:iso:15118:-20:ACDP": "ISO-20 ACDP",
    }
    return known.get(ns, ns)
