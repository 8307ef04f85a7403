"""Schema rules: what the XSDs forbid although the bits carry it, and message sets used out of place."""

from __future__ import annotations

from v2gsniff.dissectors.exi import UNSUPPORTED_NAMESPACES

from .model import Finding, Rule
from .view import Message

FACET = Rule("schema.facet", "error", "unknown", "XSD facet of the message set (minInclusive, maxLength ...)",
             "A value breaks a facet of its schema type (range, length, pattern, digits)")
UNKNOWN_NAMESPACE = Rule("schema.unknown-namespace", "info", "ev",
                         "SupportedAppProtocol: an offer only counts if the SECC knows its namespace",
                         "The EV offers a message set with no public schema")
WRONG_SET = Rule("schema.wrong-set", "error", "unknown",
                 "after SupportedAppProtocol both sides speak the negotiated message set only",
                 "A message of a set other than the one the handshake negotiated")
RULES = (FACET, UNKNOWN_NAMESPACE, WRONG_SET)

# schema family of a negotiated set: -20 sub-sets share the CommonMessages set
_FAMILY = {"din": "din", "iso2": "iso2", "iso20-cm": "iso20", "iso20-ac": "iso20", "iso20-dc": "iso20",
           "iso20-wpt": "iso20", "iso20-acdp": "iso20"}


def check(m: Message, negotiated: str | None) -> list[Finding]:
    out: list[Finding] = []
    side = "ev" if m.from_ev else "evse"
    for v in m.violations:
        shown = v.value.hex().upper() if isinstance(v.value, bytes) else v.value
        size = f" ({len(v.value)} octets)" if isinstance(v.value, bytes) else ""
        out.append(FACET.finding(
            f"{v.path.rsplit('/', 1)[-1]} = {shown!r}{size} breaks {v.facet} {v.limit!r} of the {m.schema} schema",
            m.frame, m.time, message=m.name, path=v.path, side=side))
    if m.name == "supportedAppProtocolReq":
        for ns in m.offered:
            if ns in UNSUPPORTED_NAMESPACES:
                out.append(UNKNOWN_NAMESPACE.finding(f"EV offers {ns}: {UNSUPPORTED_NAMESPACES[ns]}",
                                                     m.frame, m.time, message=m.name))
    if negotiated and m.schema in _FAMILY and _FAMILY.get(negotiated) != _FAMILY[m.schema]:
        out.append(WRONG_SET.finding(f"{m.name} is a {m.schema} message but the handshake chose {negotiated}",
                                     m.frame, m.time, message=m.name, side=side))
    return out
