"""``--vehicle-from-path``: templates and regular expressions over paths relative to a PATH argument."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from v2gsniff.sniffer.sessions.identity import mac_make, may_be_random, vin_maker
from v2gsniff.sniffer.sessions.pathlabel import PatternError, compile_pattern, identify_by_path, relative_path


def test_template_takes_folders_and_ignores_the_rest() -> None:
    p = compile_pattern("{brand}/{model}/**")
    e = p.match("Tesla/Model_Y/din_spec_70121/2023-01-18/teslay_dc_infy_0.dump")
    assert e is not None and (e.brand, e.model) == ("Tesla", "Model Y")
    assert p.match("Audi/Q4/dc-iso2.dump") is not None
    assert p.match("loose.pcap") is None, "a capture outside any brand/model folder is not labelled"


def test_template_fields_inside_a_segment_and_leading_globstar() -> None:
    p = compile_pattern("**/{brand}-{model}_*.pcapng")
    e = p.match("lab/2024/Kia-EV9_run3.pcapng")
    assert e is not None and (e.brand, e.model) == ("Kia", "EV9")
    assert p.match("Kia-EV9.pcapng") is None


def test_regex_with_named_groups_is_searched() -> None:
    p = compile_pattern(r"(?P<brand>[^_/]+)_(?P<model>[^_/]+)_fw_(?P<software>[\d.]+)")
    e = p.match("sub/VW_id.4_fw_3.5_2023-04-18.dump")
    assert e is not None and (e.brand, e.model, e.software, e.trim) == ("VW", "id.4", "3.5", None)


@pytest.mark.parametrize(("pattern", "message"), [
    ("{make}/{model}/**", "unknown field(s) ['make']"),
    (r"(?P<colour>\w+)", "unknown field(s) ['colour']"),
    (r"cars/.*\.pcap", "takes nothing from the path"),
    (r"(?P<brand>[", "is not a regular expression"),
    ("{brand}/{brand}/**", "names a field twice"),
])
def test_unusable_patterns_say_why(pattern: str, message: str) -> None:
    with pytest.raises(PatternError, match=re.escape(message)):
        compile_pattern(pattern)


def test_paths_are_relative_to_the_argument_they_were_found_under(tmp_path: Path) -> None:
    f = tmp_path / "corpus" / "BMW" / "iX" / "run.pcap"
    f.parent.mkdir(parents=True)
    f.write_bytes(b"")
    assert relative_path(f, [tmp_path / "corpus"]) == "BMW/iX/run.pcap"
    assert relative_path(f, [tmp_path, tmp_path / "corpus"]) == "BMW/iX/run.pcap", "the nearest argument"
    assert relative_path(f, [f]) == "run.pcap", "a file given directly is its own name"
    e = identify_by_path(f, [tmp_path / "corpus"], [compile_pattern("{brand}/{model}/*")])
    assert e is not None and (e.brand, e.model) == ("BMW", "iX")


def test_vin_and_oui_evidence() -> None:
    # A VIN (17 characters, no I/O/Q) names its maker by the first three characters (ISO 3780 WMI).
    assert vin_maker("WVWZZZE1ZMP000001") == "Volkswagen"
    assert vin_maker("5YJYGDEE1LF000001") == "Tesla"
    # dSPACE's EVCCID looks like a VIN but has 20 characters and an I: not a VIN.
    assert vin_maker("WMIV1234567890ABCDEX") is None
    assert mac_make("00:7d:fa:06:ab:91") == "Volkswagen Group" and mac_make("00:b0:52:00:00:01") is None
    assert may_be_random("00:7d:fa:06:ab:91") and may_be_random("02:01:02:03:04:02")
    assert not may_be_random("98:ed:5c:b4:28:d3")
