"""Constructed captures of one EV-EVSE link: the simulator's frame builders (real checksums),
written with the project's pcapng writer and read back like any capture."""

from __future__ import annotations

from pathlib import Path

from v2gsniff.sniffer.capture import open_capture
from v2gsniff.sniffer.capture.writer import PcapngWriter
from v2gsniff.sniffer.model import Record
from v2gsniff.sniffer.pipeline import Decoder
from v2gsniff.sniffer.simulate.wire import ACK, FIN, PROTO_TCP, PSH, RST, SYN, Host, Wire, tcp

EV = Host.from_mac(bytes.fromhex("02c2fbb6d33e"))
EVSE = Host.from_mac(bytes.fromhex("02d8103eba2b"))
EV_PORT, SECC_PORT = 49153, 61341
# A supportedAppProtocolReq (V2GTP header + EXI), as the EV sends it.
MSG = bytes.fromhex("01fe80010000002280" "00dbab9371d3234b71d1b981899189d191818991d26b9b3a232b30020000040040")


class Capture:
    """Frames of one EV-EVSE link, with segments that can be left out of the capture."""

    def __init__(self, seed: int = 1) -> None:
        self.wire = Wire(seed)

    def seg(self, from_ev: bool, seq: int, ack: int, flags: int, payload: bytes = b"", *,
            captured: bool = True, ports: tuple[int, int] = (EV_PORT, SECC_PORT)) -> None:
        src, dst = (EV, EVSE) if from_ev else (EVSE, EV)
        sport, dport = ports if from_ev else ports[::-1]
        frame = self.wire.ip_frame(src, dst, PROTO_TCP, tcp(src.ip, dst.ip, sport, dport, seq, ack, flags, payload))
        if captured:
            self.wire.emit(frame, 0.002)
        else:
            self.wire.wait(0.002)

    def session(self, ev_isn: int, evse_isn: int, messages: int, *, lost: frozenset[int] = frozenset(),
                close: int = FIN, ports: tuple[int, int] = (EV_PORT, SECC_PORT)) -> None:
        """Handshake, ``messages`` EV messages each acknowledged (those in ``lost`` not captured), then close."""
        c, s = ev_isn + 1, evse_isn + 1
        self.seg(True, ev_isn, 0, SYN, ports=ports)
        self.seg(False, evse_isn, c, SYN | ACK, ports=ports)
        self.seg(True, c, s, ACK, ports=ports)
        for i in range(messages):
            self.seg(True, c, s, ACK | PSH, MSG, captured=i not in lost, ports=ports)
            c += len(MSG)
            self.seg(False, s, c, ACK, ports=ports)
        self.seg(True, c, s, close | ACK, ports=ports)
        if close == FIN:
            self.seg(False, s, c + 1, FIN | ACK, ports=ports)
            self.seg(True, c + 1, s + 1, ACK, ports=ports)

    def challenge(self, ev_isn: int, old_ack: int, evse_seq: int) -> None:
        """The EV's SYN, the EVSE's challenge ACK for an older connection, the EV's RST (RFC 5961 4.2)."""
        self.seg(True, ev_isn, 0, SYN)
        self.seg(False, evse_seq, old_ack, ACK)
        self.seg(True, old_ack, 0, RST)

    def decode(self, tmp_path: Path) -> list[Record]:
        path = tmp_path / "constructed.pcapng"
        with PcapngWriter(path) as w:
            for time, frame in self.wire.frames:
                w.write_frame(frame, time)
        dec = Decoder()
        out: list[Record] = []
        with open_capture(path) as reader:
            for item in reader:
                out += dec.feed(item)
        return out + dec.finish()
