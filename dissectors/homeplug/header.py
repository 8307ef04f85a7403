"""The management-message header: MMV, MMTYPE, fragment information and vendor OUI.

HomePlug AV 1.1 / Green PHY, clause 11.1 (MME format): MMV (1 octet), MMTYPE (2 octets,
little-endian, the two least significant bits give the variant), and for MMV >= 1 the
fragment management information FMI (2 octets: NF_MI and FN_MI nibbles, then FMSN).
Vendor-specific (0xA000-0xBFFF) and manufacturer-specific (0x8000-0x9FFF) MMEs begin their
body with the vendor's 3-octet OUI.
"""

from __future__ import annotations

from typing import NamedTuple

from v2gsniff.dissectors._api import Field, mac_text

MMV_NAMES = {0: "HomePlug AV 1.0", 1: "HomePlug AV 1.1 / Green PHY", 2: "HomePlug AV 2.0"}
VARIANTS = ("REQ", "CNF", "IND", "RSP")
"""Names of the two MMTYPE least significant bits: 00 .REQ, 01 .CNF, 10 .IND, 11 .RSP."""

OUI_NAMES = {
    b"\x00\xb0\x52": "Qualcomm Atheros",
    b"\x00\x80\xe1": "STMicroelectronics (ST/IoTecha)",
    b"\x00\x13\xd7": "SPIDCOM Technologies",
    b"\x64\x4d\x70": "dSPACE",
}


def has_oui(mmtype: int) -> bool:
    """Manufacturer- and vendor-specific MMEs carry an OUI after the header."""
    return 0x8000 <= mmtype <= 0xBFFF


def variant(mmtype: int) -> str:
    return VARIANTS[mmtype & 3]


class Header(NamedTuple):  # made for every HomePlug frame: a NamedTuple is cheapest
    """The decoded header of one MME."""

    mmv: int
    mmtype: int
    oui: bytes | None
    """The vendor OUI, or None for public MMEs (and when the payload ends before it)."""
    nf_mi: int
    """Number of fragments minus one (0: not fragmented)."""
    fn_mi: int
    """Fragment number of this MME."""
    body: int
    """Offset of the first body byte (after FMI and OUI)."""
    fields: tuple[Field, ...]
    error: str | None = None


def parse_header(buf: bytes) -> Header:
    """Decode the header; a short buffer gives the fields read so far and an error."""
    if len(buf) < 3:
        f = (Field("mmv", buf[0], 0, 1, MMV_NAMES.get(buf[0], f"unknown ({buf[0]})")),) if buf else ()
        return Header(buf[0] if buf else -1, -1, None, 0, 0, len(buf), f, f"MME header: {len(buf)} bytes, needs 3")
    mmv, mmtype = buf[0], int.from_bytes(buf[1:3], "little")
    fields = [
        Field("mmv", mmv, 0, 1, MMV_NAMES.get(mmv, f"unknown ({mmv})")),
        Field("mmtype", mmtype, 1, 2, f"0x{mmtype:04X} ({variant(mmtype)})"),
    ]
    pos, nf, fn = 3, 0, 0
    # HomePlug AV 1.0 (MMV 0) has no FMI; Qualcomm's own MMEs and 0xA14E still use that layout.
    if mmv >= 1:
        if len(buf) < 5:
            return Header(mmv, mmtype, None, 0, 0, len(buf), tuple(fields), f"MME header: {len(buf)} bytes, needs 5")
        nf, fn = buf[3] & 0x0F, buf[3] >> 4
        fields += [
            Field("nf_mi", nf, 3, 1),
            Field("fn_mi", fn, 3, 1),
            Field("fmsn", buf[4], 4, 1),
        ]
        pos = 5
    oui: bytes | None = None
    if has_oui(mmtype):
        if len(buf) < pos + 3:
            return Header(mmv, mmtype, None, nf, fn, len(buf), tuple(fields),
                          f"MME header: {len(buf)} bytes, needs {pos + 3} (vendor OUI)")
        oui = buf[pos : pos + 3]
        vendor = OUI_NAMES.get(oui)
        shown = mac_text(oui) + (f" ({vendor})" if vendor else "")
        fields.append(Field("oui", oui, pos, 3, shown))
        pos += 3
    return Header(mmv, mmtype, oui, nf, fn, pos, tuple(fields))
