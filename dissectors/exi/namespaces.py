"""The one table of message-set namespaces: which schema decodes each, and how reports name it."""

from __future__ import annotations

from typing import NamedTuple


class MessageSet(NamedTuple):
    """A namespace as SupportedAppProtocol offers it (or as a document declares it)."""

    namespace: str
    schema: str | None
    """Schema set that decodes it (``exi.SCHEMAS``), or ``None`` when this codec has none."""
    short: str | None
    """Display name in session lists and reports (``None``: not a message set anyone negotiates)."""
    note: str = ""
    """For namespaces without a schema: what they are and why they cannot be decoded."""


MESSAGE_SETS: tuple[MessageSet, ...] = (
    MessageSet("urn:iso:15118:2:2010:AppProtocol", "apphand", None),
    MessageSet("urn:din:70121:2012:MsgDef", "din", "DIN"),
    MessageSet("urn:iso:15118:2:2013:MsgDef", "iso2", "ISO-2"),
    MessageSet("urn:iso:15118:2:2010:MsgDef", None, "ISO-2 (2010 draft)",
               "ISO 15118-2 draft (2010 DIS) message set; no public final schema"),
    MessageSet("urn:iso:15118:2:2016:MsgDef", None, "ISO-2 (2016 draft)",
               "ISO 15118-2 2016 draft message set; schema not available"),
    MessageSet("urn:tesla:din:2018:MsgDef", None, "Tesla-DIN", "Tesla proprietary DIN 70121 variant; schema not public"),
    MessageSet("urn:iso:std:iso:15118:-20:CommonMessages", "iso20-cm", "ISO-20"),
    MessageSet("urn:iso:std:iso:15118:-20:AC", "iso20-ac", "ISO-20-AC"),
    MessageSet("urn:iso:std:iso:15118:-20:DC", "iso20-dc", "ISO-20-DC"),
    MessageSet("urn:iso:std:iso:15118:-20:WPT", "iso20-wpt", "ISO-20-WPT"),
    MessageSet("urn:iso:std:iso:15118:-20:ACDP", "iso20-acdp", "ISO-20-ACDP"),
    MessageSet("http://www.w3.org/2000/09/xmldsig#", "xmldsig", None),
)

NAMESPACES: dict[str, str] = {m.namespace: m.schema for m in MESSAGE_SETS if m.schema is not None}
"""Message-set namespace (as offered in SupportedAppProtocol) -> schema name."""
UNSUPPORTED_NAMESPACES: dict[str, str] = {m.namespace: m.note for m in MESSAGE_SETS if m.schema is None}
"""Namespaces seen in SupportedAppProtocol offers that this codec cannot decode, with a description."""
SHORT_NAMES: dict[str, str] = {m.namespace: m.short for m in MESSAGE_SETS if m.short is not None}
"""Short display names of the message sets; others are shown by their full namespace."""
SCHEMA_SHORT_NAMES: dict[str, str] = {m.schema: m.short for m in MESSAGE_SETS if m.schema and m.short}
"""Schema names (``Session.protocol``) spelled as ``SHORT_NAMES`` spells their namespaces."""
