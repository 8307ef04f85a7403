"""Vehicle identity without an inventory, over the real captures: labels from paths, the modem's
OUI, and cars that randomise their address grouped into one row by fingerprint."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from tests.conftest import REAL, need_shared
from tests.sniffer.report.real import result_of
from v2gsniff.sniffer.report import build, render_markdown
from v2gsniff.sniffer.report.collect import label_by_path
from v2gsniff.sniffer.sessions.pathlabel import compile_pattern

CORPUS_PATTERN = (r"^everest-logfiles__(?P<brand>[^_]+)_(?P<model>Model_[^_]+|[^_]+)(?:_(?P<trim>4S|20\d\d)(?=_))?"
                  r"(?:_fw)?(?:_v?(?P<software>\d+(?:_\d+)*\.\d+)(?=_))?")
"""The pattern the README gives for this corpus's flat names (``everest-logfiles__<Brand>_<Model>_...``)."""


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
    for key, captures in folders.items():
        assert got[key] <= captures and got[key], key
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
