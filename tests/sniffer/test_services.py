"""Value-added services: what ServiceDiscoveryRes/ServiceDetailRes announce, and the connections they name."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import REAL, need_shared
from tests.sniffer.decoded import decode_file
from tests.sniffer.streams.constructed import Capture
from v2gsniff.sniffer.services import UNKNOWN_NAME, ServiceDirectory
from v2gsniff.sniffer.simulate.wire import ACK, FIN, PSH, SYN

BATTERY_DATA = "dsV2Gshark__ISO-2_DC_BatteryDataExchange_DS5366_RiseV2G.pcapng"
SECC = "fe80::664d:70ff:fe01:60e"


def _announcements() -> list[tuple[str, object, int]]:
    need_shared()
    records, _ = decode_file(REAL / BATTERY_DATA)
    return [(r.name, r.message, r.frame) for r in records if r.name in ("ServiceDiscoveryRes", "ServiceDetailRes")]


def test_the_port_a_service_detail_announces_is_named_after_its_service() -> None:
    for order in (1, -1):  # ServiceDetailRes may come first: the name joins it at lookup
        directory = ServiceDirectory()
        for _name, message, frame in _announcements()[::order]:
            directory.observe(message, frame)
        svc = directory.for_server(SECC, 61000)
        assert svc is not None
        assert (svc.service_id, svc.name, svc.category, svc.parameter_set_id, svc.frame) == (
            61000, "Battery data VAS Korea", "OtherCustom", 31000, 85)
        assert svc.address == SECC and svc.parameters["Interval"] == 3
        # The address is part of the announcement; another host's port 61000, or another port, is not it.
        assert directory.for_server("fe80::1", 61000) is None
        assert directory.for_server(SECC, 61001) is None
        assert directory.for_server(SECC.upper(), 61000) is not None  # the same address written differently


def test_discovery_alone_names_no_port() -> None:
    directory = ServiceDirectory()
    for name, message, frame in _announcements():
        if name == "ServiceDiscoveryRes":
            directory.observe(message, frame)
    assert directory.for_server(SECC, 61000) is None


def test_connection_nothing_announced_is_tcp_data_without_error(tmp_path: Path) -> None:
    cap = Capture()
    ports = (50123, 8080)
    lines = [b"GET /status HTTP/1.1\r\n\r\n", b"GET /soc HTTP/1.1\r\n\r\n"]
    c, s = 5000, 9000
    cap.seg(True, c - 1, 0, SYN, ports=ports)
    cap.seg(False, s - 1, c, SYN | ACK, ports=ports)
    for line in lines:
        cap.seg(True, c, s, ACK | PSH, line, ports=ports)
        c += len(line)
        cap.seg(False, s, c, ACK, ports=ports)
    cap.seg(True, c, s, FIN | ACK, ports=ports)
    records = cap.decode(tmp_path)
    assert [r for r in records if r.error or r.kind in ("v2gtp", "v2g", "gap")] == []
    app = [r for r in records if r.kind == "app"]
    assert [(r.name, r.data, r.fields["stream_offset"], r.extra["dir"]) for r in app] == [
        (UNKNOWN_NAME, lines[0], 0, "ev->evse"), (UNKNOWN_NAME, lines[1], len(lines[0]), "ev->evse")]
