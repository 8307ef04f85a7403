"""``dissect_homeplug``: one HomePlug AV management message (ethertype 0x88E1) to a Layer."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import NamedTuple

from v2gsniff.dissectors._api import Field, Layer
from v2gsniff.dissectors.homeplug.av import AV_MESSAGES
from v2gsniff.dissectors.homeplug.fields import Message
from v2gsniff.dissectors.homeplug.header import parse_header
from v2gsniff.dissectors.homeplug.names import DEFAULT_NAMES, MmeNames
from v2gsniff.dissectors.homeplug.slac import SLAC_MESSAGES
from v2gsniff.dissectors.homeplug.vendor import VENDOR_MESSAGES


class Registry(NamedTuple):
    """Names plus the message tables used to decode bodies, keyed by (OUI, MMTYPE)."""

    names: MmeNames
    messages: Mapping[tuple[bytes | None, int], Message]

    @classmethod
    def of(cls, names: MmeNames, messages: Iterable[Message]) -> Registry:
        table: dict[tuple[bytes | None, int], Message] = {}
        for m in messages:
            k = (m.oui, m.mmtype)
            if k in table:
                raise ValueError(f"two tables for MMTYPE 0x{m.mmtype:04X}")
            table[k] = m
        return cls(names, MappingProxyType(table))

    def message(self, mmtype: int, oui: bytes | None) -> Message | None:
        return self.messages.get((oui, mmtype))


def default_registry() -> Registry:
    """Every message this package knows: SLAC, public HomePlug AV and vendor families."""
    return Registry.of(DEFAULT_NAMES, (*SLAC_MESSAGES, *AV_MESSAGES, *VENDOR_MESSAGES))


DEFAULT_REGISTRY = default_registry()


def dissect_homeplug(payload: bytes, registry: Registry = DEFAULT_REGISTRY) -> Layer:
    """Decode the Ethernet payload of a 0x88E1 frame (MMV onwards); never raises on bad input.

    A short or garbled message gives the fields decoded so far and ``error``; bytes after
    the message (Ethernet padding to 46 octets) become a ``padding`` field.
    """
    hdr = parse_header(payload)
    if hdr.mmtype < 0:
        return Layer("homeplug", "HomePlug AV", 0, len(payload), hdr.fields, hdr.error)
    name = registry.names.name(hdr.mmtype, hdr.oui)
    fields = list(hdr.fields)
    if hdr.error is not None:
        return Layer("homeplug", name, 0, len(payload), tuple(fields), hdr.error)
    body = payload[hdr.body :]
    if hdr.nf_mi > 0:
        # One fragment of a longer MME: the body is only meaningful once reassembled.
        fields.append(Field("fragment", body, hdr.body, len(body)))
        return Layer("homeplug", name, 0, len(payload), tuple(fields))
    msg = registry.message(hdr.mmtype, hdr.oui)
    if msg is None:
        if body:
            fields.append(Field("body", body, hdr.body, len(body)))
        return Layer("homeplug", name, 0, len(payload), tuple(fields))
    decoded = msg.decode(payload, hdr.body, name)
    fields.extend(decoded.fields)
    if decoded.error is None and decoded.end < len(payload):
        fields.append(Field("padding", payload[decoded.end :], decoded.end, len(payload) - decoded.end))
    return Layer("homeplug", name, 0, len(payload), tuple(fields), decoded.error)
