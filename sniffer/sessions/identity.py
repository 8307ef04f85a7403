"""Who is talking: MAC vendors from the OUI, EV MACs from IPv6 addresses, EVCCID normalisation.

The OUI table is deliberately small and fixed (PLC modem and EV/EVSE makers seen in CCS captures),
so reports do not change with the machine they are made on.
"""

from __future__ import annotations

import ipaddress

OUI_VENDORS = {
    "00:b0:52": "Qualcomm Atheros (Intellon)",
    "00:01:87": "I2SE",
    "00:7d:fa": "Volkswagen Group",
    "98:ed:5c": "Tesla",
    "4c:fc:aa": "Tesla",
    "00:18:23": "Delta Electronics",
    "00:30:ab": "Delta Networks",
    "00:18:87": "Metasystem",
    "04:4e:af": "LG Innotek",
    "cc:88:26": "LG Innotek",
    "48:c5:8d": "Lear Corporation",
    "e0:0e:e1": "We Corporation",
    "90:12:a1": "We Corporation",
    "04:e7:7e": "We Corporation",
    "dc:0e:a1": "Compal Information",
    "c4:de:e2": "Espressif",
    "64:4d:70": "dSPACE",
    "00:e0:4c": "Realtek",
    "b8:27:eb": "Raspberry Pi Foundation",
    "80:1f:12": "Microchip Technology",
    "a0:ce:c8": "Ce Link",
    "04:65:65": "Testop",
    "00:80:e1": "STMicroelectronics",
    "00:13:d7": "SPIDCOM Technologies",
}
"""OUI (lower-case, colon-separated) -> vendor."""

OUI_MAKES = {"00:7d:fa": "Volkswagen Group", "98:ed:5c": "Tesla", "4c:fc:aa": "Tesla"}
"""OUIs registered to a car maker: the modem names the brand (other vendors are modem suppliers)."""

RANDOMISING_OUIS = frozenset({"00:7d:fa"})
"""OUIs whose cars draw a new address (and so a new DIN/ISO-2 EVCCID) for each session.

Volkswagen Group modems keep the OUI and randomise the rest; the EVerest captures show one ID.3
with a different address in each of its sessions, even twice within one plug-in."""

WMI_MAKERS = {
    "WVW": "Volkswagen", "WV1": "Volkswagen", "WV2": "Volkswagen", "WAU": "Audi", "WA1": "Audi",
    "TMB": "Skoda", "VSS": "SEAT", "WP0": "Porsche", "WP1": "Porsche", "WBA": "BMW", "WBY": "BMW",
    "WMW": "MINI", "WDD": "Mercedes-Benz", "W1K": "Mercedes-Benz", "W1N": "Mercedes-Benz",
    "W0L": "Opel", "W0V": "Opel", "VF1": "Renault", "VF3": "Peugeot", "VR3": "Peugeot", "VF7": "Citroen",
    "VR7": "Citroen", "ZFA": "Fiat", "5YJ": "Tesla", "7SA": "Tesla", "LRW": "Tesla", "XP7": "Tesla",
    "YV1": "Volvo", "LPS": "Polestar", "KMH": "Hyundai", "KM8": "Hyundai", "TMA": "Hyundai",
    "KNA": "Kia", "KND": "Kia", "U5Y": "Kia", "SJN": "Nissan", "JN1": "Nissan", "1N4": "Nissan",
    "LGX": "BYD", "LC0": "BYD", "LSJ": "MG (SAIC)", "SAL": "Land Rover", "SAJ": "Jaguar",
    "JTD": "Toyota", "JF1": "Subaru", "1FA": "Ford", "WF0": "Ford", "3FM": "Ford", "1G1": "Chevrolet",
}
"""World Manufacturer Identifiers (ISO 3780) of EV makers: the first three characters of a VIN."""


def normalise_mac(mac: str | None) -> str | None:
    """Lower-case colon form, or ``None`` for empty, broadcast and all-zero addresses."""
    if not mac:
        return None
    digits = "".join(c for c in mac.lower() if c in "0123456789abcdef")
    if len(digits) != 12 or digits in ("000000000000", "ffffffffffff"):
        return None
    return ":".join(digits[i:i + 2] for i in range(0, 12, 2))


def mac_vendor(mac: str | None) -> str | None:
    """Vendor of a MAC address from its OUI; locally administered (random) addresses say so."""
    mac = normalise_mac(mac)
    if mac is None:
        return None
    if int(mac[:2], 16) & 0x02:
        return "locally administered (random MAC)"
    return OUI_VENDORS.get(mac[:8])


def mac_from_ipv6(address: str | None) -> str | None:
    """The MAC inside a modified EUI-64 interface identifier (``fe80::27d:faff:fe06:ab91``)."""
    if not address:
        return None
    text = address.strip("[]").split("]")[0].split("%")[0]
    try:
        packed = ipaddress.IPv6Address(text).packed
    except ValueError:
        return None
    iid = packed[8:]
    if iid[3:5] != b"\xff\xfe":
        return None
    mac = bytes([iid[0] ^ 0x02, *iid[1:3], *iid[5:8]])
    return normalise_mac(mac.hex())


def host_of(endpoint: str) -> str:
    """``[fe80::1]:15118`` -> ``fe80::1``."""
    return endpoint[1:endpoint.index("]")] if endpoint.startswith("[") and "]" in endpoint else endpoint


def normalise_evccid(value: object) -> str | None:
    """EVCCID as text; ``None`` when absent or all zeros (EVs that do not tell)."""
    if value is None:
        return None
    text = str(value).strip()
    if not text or set(text) <= {"0"}:
        return None
    return text


def evccid_mac(evccid: str | None) -> str | None:
    """DIN/ISO-2 EVCCIDs are usually the EV's MAC address (6 bytes as hex)."""
    if evccid and len(evccid) == 12 and all(c in "0123456789abcdefABCDEF" for c in evccid):
        return normalise_mac(evccid)
    return None


def locally_administered(mac: str | None) -> bool:
    mac = normalise_mac(mac)
    return mac is not None and bool(int(mac[:2], 16) & 0x02)


def mac_make(mac: str | None) -> str | None:
    """The car maker an OUI is registered to (``None`` for modem suppliers and unknown OUIs)."""
    mac = normalise_mac(mac)
    return OUI_MAKES.get(mac[:8]) if mac else None


def may_be_random(mac: str | None, randomising: frozenset[str] = RANDOMISING_OUIS) -> bool:
    """A locally administered address, or one under an OUI known to randomise per session."""
    mac = normalise_mac(mac)
    return mac is not None and (locally_administered(mac) or mac[:8] in randomising)


_VIN_CHARS = frozenset("0123456789ABCDEFGHJKLMNPRSTUVWXYZ")


def vin_maker(evccid: str | None) -> str | None:
    """The maker named by an EVCCID that is a VIN (ISO 15118-20 allows it): 17 characters, no I/O/Q."""
    if not evccid:
        return None
    text = evccid.strip().upper()
    if len(text) != 17 or not set(text) <= _VIN_CHARS:
        return None
    return WMI_MAKERS.get(text[:3])
