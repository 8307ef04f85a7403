"""HomePlug AV / Green PHY management messages, SLAC (ISO 15118-3) and vendor families.

``dissect_homeplug(payload)`` decodes the payload of an ethertype-0x88E1 frame;
``mme_name(mmtype, oui)`` names any MMTYPE; ``MMTYPE_NAMES``/``VENDOR_NAMES`` and
``default_registry()`` are the explicit tables behind them.
"""

from v2gsniff.dissectors.homeplug.dissect import (
    DEFAULT_REGISTRY,
    Registry,
    default_registry,
    dissect_homeplug,
)
from v2gsniff.dissectors.homeplug.header import MMV_NAMES, OUI_NAMES, Header, parse_header
from v2gsniff.dissectors.homeplug.names import DEFAULT_NAMES, MMTYPE_NAMES, VENDOR_NAMES, MmeNames, mme_name
from v2gsniff.dissectors.homeplug.slac import SLAC_MESSAGES

__all__ = [
    "DEFAULT_NAMES",
    "DEFAULT_REGISTRY",
    "MMTYPE_NAMES",
    "MMV_NAMES",
    "OUI_NAMES",
    "SLAC_MESSAGES",
    "VENDOR_NAMES",
    "Header",
    "MmeNames",
    "Registry",
    "default_registry",
    "dissect_homeplug",
    "mme_name",
    "parse_header",
]
