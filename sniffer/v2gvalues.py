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


def _unit(node: exi.Element) -> str:
    unit = node.get("Unit")
    if unit is not None and unit.value is not None:
        return _UNITS.get(str(unit.value), str(unit.value))
    name = node.name
    for suffix, u in (("Voltage", "V"), ("Current", "A"), ("Power", "W"), ("Energy", "Wh")):
        if suffix in name:
            return u
    return ""


def _is_physical(node: exi.Element) -> bool:
    # PhysicalValueType is (Multiplier, Unit, Value), RationalNumberType (Exponent, Value).
    children = node.children
    return len(children) >= 2 and children[0].name in ("Multiplier", "Exponent") and children[-1].name == "Value"


def key_values(msg: exi.ExiMessage) -> tuple[dict[str, Any], str]:
    """(fields, summary) of a decoded message."""
    fields: dict[str, Any] = {}
    if msg.name == "supportedAppProtocolReq":
        offers = []
        for ap in msg.root.findall("AppProtocol"):
            vals = {c.name: c.value for c in ap.children}
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
    root = msg.root
    if root.name == "V2G_Message":
        header = root.get("Header")
        sid = header.get("SessionID") if header is not None else None
        if sid is not None and isinstance(sid.value, bytes):
            fields["SessionID"] = sid.value.hex().upper()
    _collect(msg.body, fields, 0)
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


def _collect(node: exi.Element, fields: dict[str, Any], depth: int) -> None:
    for child in node.children:
        if _is_physical(child):
            try:
                value = exi.physical(child)
            except exi.ExiError:
                continue
            fields.setdefault(child.name, {"value": round(value, 6), "unit": _unit(child)})
        elif child.name in _STATUS and not child.children:
            value = child.value
            fields.setdefault(child.name, value.hex().upper() if isinstance(value, bytes) else value)
        elif child.children and depth < 3:
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
