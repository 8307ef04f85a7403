"""A capture whose every free-text field is hostile: terminal escapes, C1 controls, bidi overrides,
HTML and Rich/Textual markup. Built with the simulator (a real ISO 15118-2 TLS 1.2 session) plus
hand-made HomePlug vendor messages; shared by the output tests and the UI test."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest

from v2gsniff.sniffer.simulate import link as sim_link
from v2gsniff.sniffer.simulate import tls as sim_tls
from v2gsniff.sniffer.simulate import write_pcapng
from v2gsniff.sniffer.simulate.din import ISO2, DcSession
from v2gsniff.sniffer.simulate.link import SECURITY_TLS, Link
from v2gsniff.sniffer.simulate.slac import mme
from v2gsniff.sniffer.simulate.wire import BROADCAST, ETH_HOMEPLUG, Wire, ethernet

# Set the window title (ending with a bell), clear the screen, blink through an 8-bit CSI, a
# right-to-left override, HTML, and markup that Rich and Textual would interpret; 60 bytes of UTF-8,
# so it fits a certificate's common name (at most 64 bytes).
HOSTILE = "\x1b]0;owned\x07\x1b[2J\x9b5m\u202e<script>alert(1)</script>[bold red]x[/]"
MARKUP = "[bold red]x[/]"
HTML = "<script>alert(1)</script>"
DSPACE_OUI = b"\x64\x4d\x70"


def unsafe_characters(text: str) -> set[str]:
    """Characters a terminal may act on: C0 controls but tab and newline, DEL, C1, bidi controls."""
    return {ch for ch in text if (ord(ch) < 0x20 and ch not in "\t\n") or 0x7F <= ord(ch) <= 0x9F
            or 0x202A <= ord(ch) <= 0x202E or 0x2066 <= ord(ch) <= 0x2069}


def build(path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    real_certificate = sim_tls.certificate
    monkeypatch.setattr(sim_tls, "certificate", lambda wire, key, cn: real_certificate(wire, key, HOSTILE))
    # A hostile charger ignores the EVSEID's maxLength 37 too: its messages are encoded leniently.
    real_frame = sim_link.frame
    monkeypatch.setattr(sim_link, "frame", lambda schema, tree, lenient=False, payload_type=None:
                        real_frame(schema, tree, True, payload_type))
    wire = Wire(11)
    link = Link(wire)
    link.slac()
    evse = link.evse_station
    version = HOSTILE.encode()
    wire.emit(mme(evse.host, evse.modem, 0xA001, bytes([0x00, 0x22, len(version)]) + version.ljust(253, b"\0"),
                  mmv=0), 0.001)
    diag = f"dSPACE SCS Diag|{HOSTILE}|v1|{HOSTILE}|".encode() + json.dumps(
        {"CP State": HOSTILE, HOSTILE: HOSTILE}, ensure_ascii=False).encode()
    wire.emit(ethernet(BROADCAST, evse.modem, ETH_HOMEPLUG, b"\x01" + struct.pack("<H", 0x8002) + b"\0\0"
                       + DSPACE_OUI + diag, pad=True), 0.001)
    link.sdp(SECURITY_TLS)
    link.connect(tls="1.2")
    DcSession(link, ISO2, HOSTILE, 2).run()
    write_pcapng(wire, path)
    return path
