"""Charging sessions: SLAC, SDP, TCP/TLS and V2G records tied together, with phases, time series,
SupportedAppProtocol priorities, BPT outcome and TLS posture.

    tracker = SessionTracker("capture.pcapng")
    for record in records:
        tracker.observe(record)
    sessions = tracker.finish()

``SessionTracker`` is mutable and sans-io (the TUI feeds it live); everything it returns is frozen.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .phases import PHASES

if TYPE_CHECKING:
    from .inventory import Inventory, InventoryError, load_inventory
    from .model import (
        BPT_OUTCOMES,
        SERIES_FIELDS,
        Bpt,
        Charger,
        Ending,
        Evidence,
        Failure,
        Finding,
        Handshake,
        Phase,
        SapOffer,
        SeriesPoint,
        Session,
        Slac,
        TlsPosture,
        Vehicle,
        short_name,
    )
    from .tracker import SessionTracker

# The model, the tracker and the inventory (TOML) load on first use: the findings and the filters
# read this package's body/phase helpers on every decode, which needs none of them (the model's
# frozen dataclasses alone took ~10 ms of a decode's start-up).
_LAZY = {"SessionTracker": "tracker", "Inventory": "inventory", "InventoryError": "inventory",
         "load_inventory": "inventory",
         **dict.fromkeys(("BPT_OUTCOMES", "SERIES_FIELDS", "Bpt", "Charger", "Ending", "Evidence", "Failure",
                          "Finding", "Handshake", "Phase", "SapOffer", "SeriesPoint", "Session", "Slac",
                          "TlsPosture", "Vehicle", "short_name"), "model")}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


def __dir__() -> list[str]:
    # the model's names are this package's as if imported (the tracker's and inventory's load on use)
    return sorted({*globals(), *(n for n, m in _LAZY.items() if m == "model")})


__all__ = [
    "BPT_OUTCOMES",
    "PHASES",
    "SERIES_FIELDS",
    "Bpt",
    "Charger",
    "Ending",
    "Evidence",
    "Failure",
    "Finding",
    "Handshake",
    "Inventory",
    "InventoryError",
    "Phase",
    "SapOffer",
    "SeriesPoint",
    "Session",
    "SessionTracker",
    "Slac",
    "TlsPosture",
    "Vehicle",
    "load_inventory",
    "short_name",
]
