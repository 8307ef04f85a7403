"""Charging sessions: SLAC, SDP, TCP/TLS and V2G records tied together, with phases, time series,
SupportedAppProtocol priorities, BPT outcome and TLS posture.

    tracker = SessionTracker("capture.pcapng")
    for record in records:
        tracker.observe(record)
    sessions = tracker.finish()

``SessionTracker`` is mutable and sans-io (the TUI feeds it live); everything it returns is frozen.
"""

from __future__ import annotations

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
from .phases import PHASES
from .tracker import SessionTracker

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
