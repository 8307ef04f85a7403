"""known_bad.jsonl: streams that must fail with a clear ExiError, or decode only generically (exi.md §7.5)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from v2gsniff.dissectors import exi

KNOWN_BAD = Path(__file__).parents[3] / ".." / "shared" / "exi-vectors" / "known_bad.jsonl"
pytestmark = pytest.mark.skipif(not KNOWN_BAD.exists(), reason="../shared/exi-vectors/known_bad.jsonl is absent")
SCHEMA = {"AC": "iso20-ac", "CommonMessages": "iso20-cm"}


def line(n: int) -> tuple[bytes, str]:
    d: dict[str, Any] = json.loads(KNOWN_BAD.read_text(encoding="utf-8").splitlines()[n - 1])
    return bytes.fromhex(d["hex"]), SCHEMA.get(d.get("subset", ""), d["set"])


@pytest.mark.parametrize(("n", "message"), [
    (1, "stream ends early"),  # old cbV2G AC_ChargeLoopRes
    (2, "stream ends early"),  # old cbV2G ServiceDetailRes
    (4, "stream ends early"),  # everest-core CurrentDemandReq lacking its last byte
    (5, "stream ends early"),
    (6, "trailing garbage"),  # DIN data labelled ISO-2
])
def test_broken_streams_raise_exi_error(n: int, message: str) -> None:
    data, schema = line(n)
    with pytest.raises(exi.ExiError, match=message) as info:
        exi.decode(data, schema)
    assert str(info.value).startswith("bit ")
    assert info.value.bit is not None and info.value.bit <= len(data) * 8


@pytest.mark.parametrize("n", [4, 5])
def test_truncated_current_demand_decodes_with_its_last_byte(n: int) -> None:
    data, schema = line(n)
    msg = exi.decode(data + b"\x00", schema)
    assert msg.name == "CurrentDemandReq"
    assert msg.body["EVTargetVoltage"].physical is not None


def test_untrustworthy_exi_go_stream_still_decodes() -> None:
    data, schema = line(3)
    msg = exi.decode(data, schema)
    assert msg.name == "SessionSetupReq"
    # its SessionID has 4 octets where -20 fixes 8: kept, and listed as a facet violation
    assert [(v.path, v.facet, v.limit) for v in msg.violations] == [("/SessionSetupReq/Header/SessionID", "length", 8)]
    assert exi.encode(msg, lenient=True) == data
    with pytest.raises(exi.ExiError, match="violates length 8"):
        exi.encode(msg)


@pytest.mark.parametrize("n", [7, 8])
def test_iso2_fragments_with_generic_productions(n: int) -> None:
    data, schema = line(n)
    msg = exi.decode_fragment(data, schema)
    assert "xsi:type=" in msg.to_xml()
    assert exi.encode(msg) == data
    if n == 7:
        assert msg.name == "SignedInfo"
        assert msg.root.attrs[(exi.model.XSI_NS, "type")] == ("http://www.w3.org/2000/09/xmldsig#", "SignedInfoType")


@pytest.mark.parametrize("n", [9, 10, 11])
def test_din_documents_with_undeclared_elements(n: int) -> None:
    data, schema = line(n)
    msg = exi.decode(data, schema)
    assert 'xsi:type="xs:anyType"' in msg.to_xml()
    assert exi.encode(msg) == data
