"""The user's vehicle inventory: EVCCID or MAC -> brand, model, trim/year, software version.

A TOML file with one ``[[vehicle]]`` table per car (see ``captures/vehicles.example.toml``)::

    [[vehicle]]
    brand = "Volkswagen"
    model = "ID.4"
    trim = "Pro 77 kWh 2023"
    software = "3.5.0"
    evccid = ["007DFA06AB91"]          # one ID or a list
    mac = ["00:7d:fa:06:ab:91"]        # PEV MACs (the modem's); also a list or one string

Loading never half-works: a broken file raises ``InventoryError`` with the line and reason.
"""

from __future__ import annotations

import dataclasses
import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .identity import evccid_mac, normalise_mac
from .model import Vehicle


def _toml_module() -> Any:
    """``tomllib`` (Python 3.11+), else the ``tomli`` backport if installed, else ``None``."""
    for name in ("tomllib", "tomli"):
        try:
            return importlib.import_module(name)
        except ModuleNotFoundError:
            continue
    return None


_KEYS = {"brand", "model", "trim", "software", "evccid", "mac", "label", "notes"}


class InventoryError(Exception):
    """The inventory file cannot be used; the message says where and why."""


@dataclass(frozen=True, slots=True)
class Entry:
    brand: str | None = None
    model: str | None = None
    trim: str | None = None
    software: str | None = None
    label: str | None = None
    evccids: tuple[str, ...] = ()
    macs: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Inventory:
    entries: tuple[Entry, ...] = ()
    source: str | None = None

    def lookup(self, evccid: str | None, mac: str | None) -> Entry | None:
        keys = {k for k in (_evccid_key(evccid), normalise_mac(mac), evccid_mac(evccid)) if k}
        for entry in self.entries:
            if keys & {_evccid_key(e) for e in entry.evccids} or keys & set(entry.macs):
                return entry
        return None

    def apply(self, vehicle: Vehicle) -> Vehicle:
        entry = self.lookup(vehicle.evccid, vehicle.pev_mac)
        if entry is None:
            return vehicle
        return dataclasses.replace(vehicle, brand=entry.brand, model=entry.model, trim=entry.trim,
                                   software=entry.software, label=vehicle.label or entry.label,
                                   identified_by="inventory")


def _evccid_key(value: str | None) -> str | None:
    return value.strip().upper() if value else None


def load_inventory(path: str | Path) -> Inventory:
    """Read and check an inventory file."""
    toml = _toml_module()
    if toml is None:
        raise InventoryError("reading TOML needs Python 3.11 or the 'tomli' package")
    p = Path(path)
    try:
        data = toml.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InventoryError(f"{p}: file not found") from None
    except (OSError, UnicodeDecodeError) as err:
        raise InventoryError(f"{p}: cannot read: {err}") from None
    except toml.TOMLDecodeError as err:
        raise InventoryError(f"{p}: not valid TOML: {err}") from None
    unknown = set(data) - {"vehicle"}
    if unknown:
        raise InventoryError(f"{p}: unknown top-level key(s) {sorted(unknown)}; expected [[vehicle]] tables")
    vehicles = data.get("vehicle", [])
    if not isinstance(vehicles, list):
        raise InventoryError(f"{p}: 'vehicle' must be an array of tables ([[vehicle]])")
    entries = [_entry(p, i, v) for i, v in enumerate(vehicles, 1)]
    return Inventory(tuple(entries), str(p))


def _entry(p: Path, i: int, v: Any) -> Entry:
    where = f"{p}: vehicle #{i}"
    if not isinstance(v, dict):
        raise InventoryError(f"{where}: must be a table")
    unknown = set(v) - _KEYS
    if unknown:
        raise InventoryError(f"{where}: unknown key(s) {sorted(unknown)}; allowed: {sorted(_KEYS)}")
    for key in ("brand", "model", "trim", "software", "label", "notes"):
        if key in v and not isinstance(v[key], str | int | float):
            raise InventoryError(f"{where}: '{key}' must be text")
    evccids = _strings(where, "evccid", v.get("evccid"))
    macs = []
    for m in _strings(where, "mac", v.get("mac")):
        mac = normalise_mac(m)
        if mac is None:
            raise InventoryError(f"{where}: '{m}' is not a MAC address (6 bytes, e.g. 00:7d:fa:06:ab:91)")
        macs.append(mac)
    if not evccids and not macs:
        raise InventoryError(f"{where}: needs 'evccid' or 'mac' to be matched against captures")

    def text(key: str) -> str | None:
        return str(v[key]) if key in v else None

    return Entry(text("brand"), text("model"), text("trim"), text("software"), text("label"),
                 tuple(evccids), tuple(macs))


def _strings(where: str, key: str, value: Any) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    if not all(isinstance(x, str) and x.strip() for x in items):
        raise InventoryError(f"{where}: '{key}' must be a string or a list of strings")
    return [x.strip() for x in items]
