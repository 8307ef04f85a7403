"""The display-filter language: parsing, errors with positions, and matching real records."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import REAL, need_shared
from v2gsniff.sniffer.capture import open_capture
from v2gsniff.sniffer.commands.decode import decode
from v2gsniff.sniffer.filters import FilterError, compile_filter
from v2gsniff.sniffer.model import Record
from v2gsniff.sniffer.pipeline import Decoder

REQ = Record(10, 1.0, "v2g", "CurrentDemandReq", "[fe80::1]:5000", "[fe80::2]:15118",
             {"soc": 81, "target_current": 12.5}, extra={"dir": "ev->evse", "stream": 0, "schema": "din"})
RES = Record(11, 1.1, "v2g", "CurrentDemandRes", extra={"dir": "evse->ev", "stream": 0, "schema": "iso20-dc"})
SLAC = Record(3, 0.5, "homeplug", "CM_SLAC_PARM.REQ")
OTHER_HP = Record(4, 0.6, "homeplug", "GET_SW.REQ")
GAP = Record(12, 1.2, "gap", "TCP gap", error="10 bytes missing", extra={"dir": "evse->ev", "stream": 0})
ALL = [REQ, RES, SLAC, OTHER_HP, GAP]


def names(text: str, session: int | None = None) -> list[str]:
    f = compile_filter(text)
    return [r.name for r in ALL if f.matches(r, session)]


@pytest.mark.parametrize(("text", "expected"), [
    ("", ["CurrentDemandReq", "CurrentDemandRes", "CM_SLAC_PARM.REQ", "GET_SW.REQ", "TCP gap"]),
    ("slac", ["CM_SLAC_PARM.REQ"]),
    ("homeplug", ["CM_SLAC_PARM.REQ", "GET_SW.REQ"]),
    ("v2g", ["CurrentDemandReq", "CurrentDemandRes"]),
    ("name ~ currentdemand", ["CurrentDemandReq", "CurrentDemandRes"]),
    ("name ~ 'Req$'", ["CurrentDemandReq", "CM_SLAC_PARM.REQ", "GET_SW.REQ"]),
    ("name !~ Req", ["CurrentDemandRes", "TCP gap"]),
    ("dir == ev", ["CurrentDemandReq"]),
    ("dir == EVSE", ["CurrentDemandRes", "TCP gap"]),
    ("errors", ["TCP gap"]),
    ("v2g and not dir == ev", ["CurrentDemandRes"]),
    ("slac or errors", ["CM_SLAC_PARM.REQ", "TCP gap"]),
    ("not (v2g or homeplug)", ["TCP gap"]),
    ("frame >= 11", ["CurrentDemandRes", "TCP gap"]),
    ("fields.soc > 80", ["CurrentDemandReq"]),
    ("fields.target_current == 12.5", ["CurrentDemandReq"]),
    ("din", ["CurrentDemandReq"]),
    ("iso20", ["CurrentDemandRes"]),
    ("stream == 0 and kind == gap", ["TCP gap"]),
    ('name == "tcp gap"', ["TCP gap"]),
    ("NOT V2G AND NOT HOMEPLUG", ["TCP gap"]),
])
def test_matches(text: str, expected: list[str]) -> None:
    assert names(text) == expected


def test_session_comes_from_the_caller() -> None:
    assert names("session == 2", session=2) == [r.name for r in ALL]
    assert names("session == 2", session=1) == []
    assert names("session == 2") == []
    assert compile_filter("session == 2").uses_session
    assert not compile_filter("v2g").uses_session


@pytest.mark.parametrize(("text", "message", "position"), [
    ("v2g and", "ends too early", 7),
    ("nam ~ x", "unknown field 'nam'", 0),
    ("slack", "unknown word 'slack'", 0),
    ("name ~", "needs a value", 6),
    ("name ~ (", "needs a value", 7),
    ("(v2g or tcp", "missing ')'", 11),
    ("v2g tcp", "expected 'and', 'or' or the end, found 'tcp'", 4),
    ("frame > x", "needs a number", 8),
    ("dir == car", "dir is 'ev' or 'evse'", 7),
    ("name ~ '('", "bad regular expression", 7),
    ("colour == red", "unknown field 'colour'", 0),
    ("v2g & tcp", "unexpected character '&'", 4),
])
def test_errors_say_what_and_where(text: str, message: str, position: int) -> None:
    with pytest.raises(FilterError) as info:
        compile_filter(text)
    assert message in str(info.value)
    assert info.value.position == position


def test_on_a_real_capture() -> None:
    need_shared()
    path = REAL / "dsV2Gshark__DIN_DC_DS5366_Josev.pcapng"
    decoder = Decoder()
    records: list[Record] = []
    with open_capture(str(path)) as reader:
        for item in reader:
            records.extend(decoder.feed(item))
    records.extend(decoder.finish())
    demand = compile_filter("v2g and name ~ ^CurrentDemand")
    hits = [r for r in records if demand.matches(r)]
    assert hits and {r.name for r in hits} == {"CurrentDemandReq", "CurrentDemandRes"}
    ev = compile_filter("v2g and dir == ev")
    assert all(r.name.endswith("Req") for r in records if ev.matches(r))
    slac = [r.name for r in records if compile_filter("slac").matches(r)]
    assert "CM_SLAC_PARM.REQ" in slac and "CM_SLAC_MATCH.CNF" in slac


def test_comparisons_on_absent_decoded_fields_are_false() -> None:
    req = Record(1, 0.0, "v2g", "supportedAppProtocolReq", fields={})
    res = Record(2, 0.0, "v2g", "supportedAppProtocolRes", fields={"ResponseCode": "Failed_NoNegotiation"})
    ok = Record(3, 0.0, "v2g", "SessionSetupRes", fields={"ResponseCode": "OK_NewSessionEstablished"})
    f = compile_filter("fields.ResponseCode !~ ^OK")
    assert [f.matches(r) for r in (req, res, ok)] == [False, True, False]
    assert [compile_filter("fields.ResponseCode != OK").matches(r) for r in (req, res)] == [False, True]


# --- parsed, not pattern-matched; physical values; field names (issue 13) ---------------------

KONA = "everest-logfiles__Hyundai_Kona_2017_din_spec_70121_kona1.dump"
KONA_LOG = "everest-logfiles__Hyundai_Kona_2017_din_spec_70121_everest-session-690b31af-79f9-4d41-8167-27d7af0e7440.log"


def test_the_word_session_inside_a_value_is_not_the_session_field() -> None:
    assert not compile_filter('name ~ "SessionSetup"').uses_session
    assert not compile_filter("summary ~ session").uses_session
    assert not compile_filter("capture == 'session 2.pcap'").uses_session
    assert compile_filter("session == 2 and v2g").uses_session


def test_decode_accepts_session_in_a_string() -> None:


    need_shared()
    res = CliRunner().invoke(decode, [str(REAL / KONA), "--filter", 'name ~ "^SessionSetup"'])
    assert res.exit_code == 0, res.output
    assert [line.split()[3] for line in res.stdout.splitlines()] == ["SessionSetupReq", "SessionSetupRes"]


def test_physical_values_compare_as_numbers_like_everest_decoded_them() -> None:
    from v2gsniff.sniffer.commands.decode import decode

    need_shared()
    # EVerest's own session log of this capture: each CurrentDemandReq with Multiplier and Value.
    log = (REAL / KONA_LOG).read_text()
    raw = re.findall(r'"CurrentDemandReq": \{[^{}]*?(?:\{[^{}]*\}[^{}]*?)*?"EVTargetCurrent": \{\s*"Multiplier": '
                     r'(-?\d+),\s*"Unit": "A",\s*"Value": (-?\d+)', log)
    want = sum(1 for mult, value in raw if int(value) * 10 ** int(mult) > 10)
    assert want > 300
    res = CliRunner().invoke(decode, [str(REAL / KONA), "--format", "jsonl", "--filter",
                                      "name == CurrentDemandReq and fields.EVTargetCurrent > 10"])
    assert res.exit_code == 0, res.output
    rows = [json.loads(line) for line in res.stdout.splitlines()]
    assert len(rows) == want
    assert all(r["fields"]["EVTargetCurrent"]["value"] > 10 for r in rows)


def test_a_field_name_no_record_has_is_reported_with_the_closest_names() -> None:


    need_shared()
    res = CliRunner().invoke(decode, [str(REAL / KONA), "--filter", "fields.EVTargetCurent > 10"])
    assert res.exit_code == 0 and res.stdout == ""
    assert "no record has a field 'EVTargetCurent'" in res.stderr
    assert "did you mean fields.EVTargetCurrent" in res.stderr


def test_the_readme_filter_examples_parse_and_name_real_fields() -> None:
    from v2gsniff.sniffer.commands.decode import decode

    need_shared()
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    paragraph = readme[readme.index("the UI's help): "):]
    paragraph = paragraph[:paragraph.index("\nPhysical values")]
    examples = re.findall(r"`([^`]+)`", paragraph)
    assert len(examples) >= 5
    res = CliRunner().invoke(decode, [str(REAL / KONA), "--format", "jsonl"])
    seen = {k for line in res.stdout.splitlines() for k in (json.loads(line).get("fields") or {})}
    for text in examples:
        f = compile_filter(text)
        assert f.field_keys <= seen, (text, f.field_keys - seen)
