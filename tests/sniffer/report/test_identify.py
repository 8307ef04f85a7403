"""Vehicle identity without an inventory, over the real captures: labels from paths, the modem's
OUI, and cars that randomise their address grouped into one row by fingerprint."""

from __future__ import annotations

import dataclasses
import json
import re
import shlex
from pathlib import Path

from click.testing import CliRunner

from tests.conftest import REAL, need_shared
from tests.sniffer.report.real import ROOT, result_of
from v2gsniff.sniffer.cli import main
from v2gsniff.sniffer.report import CaptureResult, build, render_markdown
from v2gsniff.sniffer.report.collect import label_by_path
from v2gsniff.sniffer.sessions import Session
from v2gsniff.sniffer.sessions.pathlabel import compile_pattern


def _readme_patterns() -> list[str]:
    """The ``--vehicle-from-path`` values of the README's command for this corpus (read, not copied)."""
    block = (ROOT / "README.md").read_text().split("<!-- corpus-command -->")[1]
    words = shlex.split(block.strip().strip("`").replace("\\\n", " "))
    return [words[i + 1] for i, w in enumerate(words) if w == "--vehicle-from-path"]


README_PATTERNS = _readme_patterns()
CORPUS_PATTERN = README_PATTERNS[0]
"""The pattern the README gives for this corpus's flat EVerest names (``everest-logfiles__<Brand>_<Model>_...``)."""


def _manifest() -> list[tuple[str, str]]:
    """(file, original repository path) of the EVerest captures, from MANIFEST.md."""
    rows = re.findall(r"^\| `([^`]+)` \| EVerest/logfiles \| `([^`]+)` \|", (REAL / "MANIFEST.md").read_text(),
                      re.MULTILINE)
    return [(f, p) for f, p in rows if f.endswith(".dump")]


def _names(prefix: str) -> list[str]:
    return sorted(p.name for p in REAL.glob(prefix + "*") if p.suffix in (".dump", ".pcap", ".pcapng"))


def test_a_car_that_randomises_its_address_is_one_row_not_one_per_session() -> None:
    need_shared()
    id3 = _names("everest-logfiles__VW_id.3_")
    controls = ["everest-logfiles__Hyundai_Kona_2017_din_spec_70121_kona1.dump",
                "pyPLC__spi_ioniq_alpiHYC150_makerspace_landsberg_left_small_2024-04-03_ok.csv.pcap",
                *_names("everest-logfiles__Tesla_Model_Y_11.1_din_spec")]
    report = build([result_of(n) for n in id3 + controls])
    macs = {s.vehicle.pev_mac for n in id3 for s in result_of(n).sessions}
    assert len(id3) == 6 and len(macs) == 7, "the ID.3 shows a new modem address in each session"
    rows = {v.key: v for v in report.vehicles for s in v.sessions if s.capture in id3}
    assert len(rows) == 1
    vw = next(iter(rows.values()))
    assert vw.identity is not None and vw.identity.randomised and set(vw.identity.ids) == macs
    assert vw.sessions_text == "7 (EVCCID randomised per session)"
    assert vw.identity.brand is not None and vw.identity.brand.cell == "Volkswagen Group (modem OUI)"
    # Two Hyundais with the same (non-randomising) modem vendor and the same offer list are two cars.
    hyundai = [v for v in report.vehicles if any(s.capture in controls[:2] for s in v.sessions)]
    assert len(hyundai) == 2
    tesla = [v for v in report.vehicles if any("Tesla" in (s.capture or "") for s in v.sessions)]
    assert len(tesla) == 1 and tesla[0].identity is not None and not tesla[0].identity.randomised
    assert "| Volkswagen Group (modem OUI) |" in render_markdown(report)


def test_path_template_over_the_corpus_filed_as_its_source_repository(tmp_path: Path) -> None:
    """MANIFEST.md gives each EVerest capture's original path (``<Brand>/<Model>/...``): filed that
    way, ``{brand}/{model}/**`` gives exactly one row per model folder, with that folder's captures."""
    need_shared()
    folders: dict[tuple[str, str], set[str]] = {}
    for name, original in _manifest():
        link = tmp_path / original
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(REAL / name)
        brand, model = original.split("/")[:2]
        folders.setdefault((brand, model.replace("_", " ")), set()).add(original)
    results = [result_of(n) for n, _ in _manifest()]
    # Name each result as the report would inside the tree, then label it from that path.
    paths = {n: str(tmp_path / o) for n, o in _manifest()}
    results = [dataclasses.replace(r, path=paths[r.capture]) for r in results]
    labelled = label_by_path(results, [tmp_path], [compile_pattern("{brand}/{model}/**")])
    by_file = {n: o for n, o in _manifest()}
    report = build(labelled)
    got = {(v.vehicle.brand, v.vehicle.model): {by_file[s.capture or ""] for s in v.sessions}
           for v in report.vehicles}
    assert len(report.vehicles) == len(folders) == 20
    # One session moves: the EQE capture of 2023-10-04 also holds the address of that day's BYD capture.
    moved = {"Mercedes-Benz/EQE/2023-10-04/iso2-AC.dump"}
    for key, captures in folders.items():
        assert got[key] - moved <= captures and got[key], key
    assert got[("BYD", "Atto3")] & moved and got[("Mercedes-Benz", "EQE")] & moved
    assert all(v.identity and v.identity.brand and v.identity.brand.source == "path" for v in report.vehicles)


def test_the_readme_pattern_names_every_model_of_the_flat_corpus_once() -> None:
    need_shared()
    files = [n for n, _ in _manifest()]
    results = label_by_path([result_of(n) for n in files], [REAL], [compile_pattern(CORPUS_PATTERN)])
    report = build(results)
    names = sorted(v.name for v in report.vehicles)
    # Hand-read from MANIFEST.md's "Real <brand> <model>" notes: 19 models (ID.4 with and without fw 3.5).
    assert names == sorted([
        "Audi Q4", "BMW iX", "BYD Atto3", "Citroen eC4", "Fiat Scudo", "Hyundai Ioniq5", "Hyundai Kona", "Kia EV6",
        "MG MG4", "Mercedes-Benz EQC", "Mercedes-Benz EQE", "Opel Ampera-E", "Opel Mokka-E",
        "Polestar Polestar2", "Porsche Taycan", "Skoda Enyaq", "Tesla Model Y", "VW id.3", "VW id.4"])
    tesla = next(v for v in report.vehicles if v.name == "Tesla Model Y")
    assert tesla.identity is not None and tesla.identity.software is not None
    assert tesla.identity.software.cell == "11.1 (path)"


def test_a_stray_message_is_a_note_of_its_capture_not_a_vehicle() -> None:
    need_shared()
    name = "everest-logfiles__BYD_Atto3_2023-04-18T15-33-10.987Z-3_config-ac-iso2_not_supported.dump"
    result = result_of(name)
    lone = [s for s in result.sessions if not s.vehicle.pev_mac and not s.vehicle.evccid]
    assert len(lone) == 1 and [p.name for p in lone[0].phases] == ["SessionStop"]
    report = build([result])
    assert [v.vehicle.pev_mac for v in report.vehicles] == ["c0:fb:b6:d3:3e:6a"]
    note = report.captures[0]
    assert note.sessions == len(result.sessions) - 1
    assert note.message and "stray SessionStop" in note.message
    # Named by its path, the capture's vehicle still does not take the stray message as a session.
    named = build(label_by_path([result], [REAL], [compile_pattern(CORPUS_PATTERN)]))
    assert [v.name for v in named.vehicles] == ["BYD Atto3"]
    assert len(named.vehicles[0].sessions) == len(result.sessions) - 1



CARS = {
    "Audi Q4": r"Audi Q4", "BMW iX": r"BMW iX", "BYD Atto3": r"BYD Atto3", "Citroen eC4": r"Citroen eC4",
    "Fiat Scudo": r"Fiat Scudo", "Hyundai Ioniq5": r"Ioniq5", "Hyundai Ioniq Electric": r"Ioniq Electric",
    "Hyundai Kona": r"Kona", "Kia EV6": r"Kia EV6", "MG MG4": r"MG MG4", "Mercedes-Benz EQC": r"EQC",
    "Mercedes-Benz EQE": r"EQE", "Opel Ampera-E": r"Ampera-E", "Opel Mokka-E": r"Mokka-E",
    "Polestar 2": r"Polestar ?(?:Polestar)?2", "Porsche Taycan": r"Taycan", "Skoda Enyaq": r"Enyaq",
    "Tesla Model Y": r"Model Y", "VW ID.3": r"(?i)VW id\.3", "VW ID.4": r"(?i)VW id\.4",
}
"""The production cars MANIFEST.md names ("Real <car> at ...", "pyPLC as EVSE with <car>"), read by hand."""


def _manifest_cars() -> dict[str, str]:
    """Capture -> the car of ``CARS`` its MANIFEST.md line names (lab rigs and EV emulators have none)."""
    rows = re.findall(r"^\| `([^`]+\.(?:dump|pcap|pcapng))` \|.*\| ([^|]*) \|$", (REAL / "MANIFEST.md").read_text(),
                      re.MULTILINE)
    out = {}
    for name, contents in rows:
        said = re.search(r"(?:Real |as EVSE with )(.*?)(?: at |;|$)", contents)
        if said and "PLC as EV " not in contents:
            out[name] = next(car for car, rx in CARS.items() if re.search(rx, said.group(1)))
    return out


def test_the_readme_command_gives_one_row_per_car_model_of_the_whole_corpus() -> None:
    """Over all 98 real captures, the README's two patterns give one row per car model MANIFEST.md
    names. The Ioniq Electric, filed by pyPLC without its brand, is one row of its own (two cars: a
    Testop modem in pyPLC's recordings, a We Corporation modem in the SPI one), and no row mixes cars."""
    need_shared()
    names = sorted(p.name for p in REAL.iterdir() if p.suffix in (".dump", ".pcap", ".pcapng"))
    patterns = [compile_pattern(p) for p in README_PATTERNS]
    report = build(label_by_path([result_of(n) for n in names], [REAL], patterns))
    cars = _manifest_cars()
    assert len(names) == 98 and len(cars) == 63 + 11  # every EVerest dump, 9 pyPLC and 2 tux recordings
    assert set(cars.values()) == set(CARS)
    named = [v for v in report.vehicles if v.key.startswith("named:")]
    assert len(named) == len(CARS) == 20
    wp4 = "pyPLC__2022-10-26_WP4_networkEstablishedButHiddenCommunication.pcapng"  # "a real car", by its address
    for v in named:  # each named row is one car model ...
        held = {cars.get(s.capture or "") for s in v.sessions if s.capture != wp4}
        if v.name == "BYD Atto3":  # ... with the BYD's session inside the EQE's capture (below)
            held.discard("Mercedes-Benz EQE")
        assert len(held) == 1 and None not in held, (v.name, held)
    rows = {car: {v.name for v in named if any(cars.get(s.capture or "") == car and not _moved(s) for s in v.sessions)}
            for car in CARS}
    assert all(len(r) == 1 for r in rows.values()), rows  # ... and each car model is in one named row
    # Only the ID.4's two tux recordings, whose names say nothing and whose address is random, stay apart.
    loose = {s.capture for v in report.vehicles if v not in named for s in v.sessions if s.capture in cars}
    assert loose == {n for n in cars if n.startswith("tux-iso15118-sim__2024")}
    ioniq = next(v for v in named if rows["Hyundai Ioniq Electric"] == {v.name})
    assert {s.capture for s in ioniq.sessions} == {n for n, c in cars.items() if c == "Hyundai Ioniq Electric"} | {wp4}
    assert {s.vehicle.pev_mac for s in ioniq.sessions} == {"04:65:65:00:64:c3", "e0:0e:e1:ff:d3:e2"}
    assert ioniq.identity is not None and ioniq.identity.brand is None and ioniq.identity.model is not None
    assert ioniq.name == "Ioniq" and ioniq.identity.model.cell == "Ioniq (path)"
    byd = next(v for v in named if v.name == "BYD Atto3")
    moved = [s for s in byd.sessions if cars[s.capture or ""] == "Mercedes-Benz EQE"]
    assert len(moved) == 1 and moved[0].vehicle.pev_mac == "c0:fb:b6:d3:c3:00"
    assert any("filed under Mercedes-Benz EQE" in n for n in moved[0].notes)
    assert len(report.vehicles) == 29  # 20 cars, 2 ID.4 recordings, 7 lab rigs and EV emulators


def _moved(s: Session) -> bool:
    return any(n.startswith("filed under") for n in s.notes)


def _named(name: str, brand: str | None, model: str) -> CaptureResult:
    r = result_of(name)
    return dataclasses.replace(r, sessions=tuple(dataclasses.replace(s, vehicle=dataclasses.replace(
        s.vehicle, brand=brand, model=model, identified_by="path")) for s in r.sessions))


def test_a_model_without_a_brand_joins_only_an_unambiguous_full_name() -> None:
    need_shared()
    kona, ev6, spi = ("everest-logfiles__Hyundai_Kona_2017_din_spec_70121_kona1.dump",
                      "everest-logfiles__Kia_EV6_2023-04-25T07-33-01.338Z-kia-ev6-dinspec.dump",
                      "pyPLC__spi_ioniq_alpiHYC150_makerspace_landsberg_left_small_2024-04-03_ok.csv.pcap")
    one = build([_named(kona, "Hyundai", "Kona"), _named(spi, None, "KONA")])
    assert [v.name for v in one.vehicles] == ["Hyundai Kona"] and len(one.vehicles[0].sessions) == 2
    assert one.vehicles[0].identity is not None and one.vehicles[0].identity.model.cell == "Kona (path)"
    # Two makers with a model of that name: which one is unknown, so it stays a row of its own.
    two = build([_named(kona, "Hyundai", "Kona"), _named(ev6, "Kia", "Kona"), _named(spi, None, "Kona")])
    assert sorted(v.name for v in two.vehicles) == ["Hyundai Kona", "Kia Kona", "Kona"]


def test_a_session_keeps_its_path_label_unless_its_address_is_another_captures_only_vehicle() -> None:
    need_shared()
    eqe, byd = ("everest-logfiles__Mercedes-Benz_EQE_2023-10-04_iso2-AC.dump",
                "everest-logfiles__BYD_Atto3_2023-10-04_dinspec-DC.dump")
    pattern = [compile_pattern(CORPUS_PATTERN)]
    alone = build(label_by_path([result_of(eqe)], [REAL], pattern))
    assert [(v.name, len(v.sessions)) for v in alone.vehicles] == [("Mercedes-Benz EQE", 3)]  # nobody claims it
    both = build(label_by_path([result_of(eqe), result_of(byd)], [REAL], pattern))
    got = {v.name: sorted((s.capture or "", s.vehicle.pev_mac or "") for s in v.sessions) for v in both.vehicles}
    assert got == {"BYD Atto3": [(byd, "c0:fb:b6:d3:c3:00"), (eqe, "c0:fb:b6:d3:c3:00")],
                   "Mercedes-Benz EQE": [(eqe, "00:18:23:8e:b0:d1")] * 2}
    # ``sessions`` says the same as the report.
    listed = CliRunner().invoke(main, ["sessions", str(REAL / eqe), str(REAL / byd), "--format", "jsonl",
                                       "--vehicle-from-path", CORPUS_PATTERN])
    brands = sorted((row["capture"], row["vehicle"]["brand"]) for row in map(json.loads, listed.stdout.splitlines()))
    assert brands == [(byd, "BYD"), (eqe, "BYD"), (eqe, "Mercedes-Benz"), (eqe, "Mercedes-Benz")]
    # Randomised addresses own nothing: the ID.3's AC capture (two addresses) keeps its label.
    id3 = "everest-logfiles__VW_id.3_iso_15118-2_AC_2023-04-14T12-45-39.624Z-3_config-ac-iso2.dump"
    mixed = build(label_by_path([result_of(id3), result_of(byd)], [REAL], pattern))
    assert sorted(v.name for v in mixed.vehicles) == ["BYD Atto3", "VW id.3"]
