"""The vehicle inventory file: matching by EVCCID or MAC, and clear errors for broken files."""

from __future__ import annotations

from pathlib import Path

import pytest

from v2gsniff.sniffer.sessions import InventoryError, Vehicle, load_inventory

ROOT = Path(__file__).resolve().parents[3]

GOOD = """
[[vehicle]]
brand = "Volkswagen"
model = "ID.4"
trim = "Pro 2023"
software = "3.5.0"
evccid = "007DFA06AB91"

[[vehicle]]
brand = "Hyundai"
model = "Ioniq"
mac = ["04:65:65:00:64:C3"]
"""


def test_lookup_by_evccid_mac_and_evccid_as_mac(tmp_path: Path) -> None:
    path = tmp_path / "v.toml"
    path.write_text(GOOD)
    inv = load_inventory(path)
    vw = inv.apply(Vehicle(evccid="007dfa06ab91"))
    assert (vw.brand, vw.model, vw.trim, vw.software, vw.name) == ("Volkswagen", "ID.4", "Pro 2023", "3.5.0",
                                                                   "Volkswagen ID.4")
    assert inv.apply(Vehicle(pev_mac="04:65:65:00:64:c3")).brand == "Hyundai"
    assert inv.apply(Vehicle(evccid="0465650064C3")).brand == "Hyundai", "DIN EVCCIDs are MACs"
    assert inv.apply(Vehicle(evccid="WMI123")).brand is None


@pytest.mark.parametrize(("text", "message"), [
    ("[[vehicle]\nbrand=1", "not valid TOML"),
    ("[[car]]\nbrand='x'", "unknown top-level key"),
    ("[[vehicle]]\nbrand='x'", "needs 'evccid' or 'mac'"),
    ("[[vehicle]]\nmac='zz'", "is not a MAC address"),
    ("[[vehicle]]\nevccid='1'\ncolour='red'", "unknown key(s) ['colour']"),
])
def test_broken_files_say_why(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(InventoryError, match=None) as err:
        load_inventory(path)
    assert message in str(err.value) and str(path) in str(err.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InventoryError, match="file not found"):
        load_inventory(tmp_path / "nope.toml")


def test_the_documented_example_loads() -> None:
    inv = load_inventory(ROOT / "captures" / "vehicles.example.toml")
    assert inv.entries and all(e.evccids or e.macs for e in inv.entries)
