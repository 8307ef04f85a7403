"""Real captures that used to give false errors: reused ports (RFC 5961 challenge ACKs) and a
value-added service's own TCP connection. The reference is TRUTH.jsonl (tshark + a separate framer)."""

from __future__ import annotations

import pytest

from tests.conftest import REAL, need_shared, truth
from tests.sniffer.decoded import decode_file

# The EV opens a connection on the ports of one the EVerest charger still holds: SYN, the
# charger's challenge ACK for the old connection's bytes, the EV's RST, a new SYN. By the frame
# of the challenge ACK.
CHALLENGED = {
    "everest-logfiles__BYD_Atto3_2023-04-18T15-31-50.525Z-2_config-dc-iso2.dump": 40,
    "everest-logfiles__VW_id.4_iso_15118-2_AC_2023-04-14T09-52-17.069Z-3_config-ac-iso2.dump": 43,
    "everest-logfiles__VW_id.4_iso_15118-2_DC_2023-04-14T09-51-11.107Z-2_config-dc-iso2.dump": 43,
}
BATTERY_DATA = "dsV2Gshark__ISO-2_DC_BatteryDataExchange_DS5366_RiseV2G.pcapng"


@pytest.mark.parametrize("name", sorted(CHALLENGED))
def test_challenge_ack_is_no_gap_and_every_message_decodes(name: str) -> None:
    need_shared()
    records, _ = decode_file(REAL / name)
    assert [r for r in records if r.kind == "gap" or r.error] == []
    ref = truth()[name]
    v2g = [r for r in records if r.kind == "v2g"]
    assert [(r.frame, r.name) for r in v2g] == [(m[0], m[1]) for m in ref["messages"]]
    assert {r.extra["stream"] for r in v2g} == {1}  # the connection after the challenged SYN
    tcp = {r.frame: r for r in records if r.kind == "tcp"}
    frame = CHALLENGED[name]
    challenge, rst, syn = tcp[frame], tcp[frame + 1], tcp[frame + 2]
    assert (challenge.name, challenge.extra["stream"], challenge.extra["dir"]) == ("ACK", 0, "evse->ev")
    assert challenge.fields["notes"][0].startswith("challenge ACK (RFC 5961")
    assert "RST" in rst.name and "answers the challenge ACK" in rst.fields["notes"][0]
    assert (syn.name, syn.extra["stream"]) == ("SYN", 1) and "new incarnation" in syn.fields["notes"][0]


def test_value_added_service_connection_is_named_after_its_service() -> None:
    need_shared()
    records, _ = decode_file(REAL / BATTERY_DATA)
    assert [r for r in records if r.error or r.kind in ("gap", "v2gtp")] == []
    ref = truth()[BATTERY_DATA]
    assert [(r.frame, r.name) for r in records if r.kind == "v2g"] == [(m[0], m[1]) for m in ref["messages"]]
    app = [r for r in records if r.kind == "app"]
    # The EV's battery data every 3 s (the ServiceDetailRes 'Interval'), 47 bytes each, to port 61000.
    assert [r.frame for r in app] == [93, 163, 220, 282, 326, 364, 405, 445, 479]
    assert {(r.name, r.dst.rsplit(":", 1)[1], r.extra["stream"], r.extra["dir"]) for r in app} == {
        ("Battery data VAS Korea", "61000", 1, "ev->evse")}
    assert [r.fields["stream_offset"] for r in app] == [47 * i for i in range(9)]
    assert all(len(r.data) == r.fields["length"] == 47 and r.fields["data_hex"] == r.data.hex() for r in app)
    f = app[0].fields
    assert (f["service_id"], f["service_category"], f["parameter_set_id"], f["announced_frame"]) == (
        61000, "OtherCustom", 31000, 85)
    assert f["parameters"] == {"Protocol": "TCP Socket", "IP": "fe80::664d:70ff:fe01:60e", "Port": 61000, "Interval": 3}
    # the bytes are the capture's own: the first segment to port 61000 starts with them
    assert app[0].data.startswith(bytes.fromhex("a1046900d923a211"))
