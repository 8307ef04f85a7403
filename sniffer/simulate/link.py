"""One simulated charging link: the two stations, SLAC, SDP, the TCP connection and its channel.

A scenario drives a :class:`Link`: ``slac()``, ``sdp()``, ``connect()``, then ``exchange()`` for
every request/response pair, then ``close()``. The channel is plain TCP or one of our TLS writers.
"""

from __future__ import annotations

import struct
from typing import Any, Protocol

from . import slac as slacmod
from .exibuild import Tree, frame
from .wire import Host, TcpConversation, Wire

SDP_PORT = 15118
ALL_NODES = bytes.fromhex("ff020000000000000000000000000001")
SECURITY_TLS, SECURITY_NONE = 0x00, 0x10

# OUIs of EV communication controllers and charger modems seen in public captures; the rest of each
# address comes from the seed.
EV_OUIS = (b"\x90\x12\xa1", b"\x00\x7d\xfa", b"\xdc\x0e\xa1", b"\x04\x65\x65")
EVSE_OUIS = (b"\x00\x01\x87", b"\xc4\x93\x00", b"\x00\x80\xe1")


class Channel(Protocol):
    def send(self, from_client: bool, data: bytes) -> None: ...


class PlainChannel:
    def __init__(self, conv: TcpConversation) -> None:
        self.conv = conv

    def send(self, from_client: bool, data: bytes) -> None:
        self.conv.send(from_client, data)


def _mac(wire: Wire, ouis: tuple[bytes, ...]) -> bytes:
    return wire.rng.choice(ouis) + wire.randbytes(3)


class Link:
    def __init__(self, wire: Wire) -> None:
        self.wire = wire
        ev_mac = _mac(wire, EV_OUIS)
        self.ev_station = slacmod.Station(ev_mac, _mac(wire, EV_OUIS))
        evse_mac = b"\x02" + wire.randbytes(5)  # EVSE hosts often use a locally administered address
        self.evse_station = slacmod.Station(evse_mac, _mac(wire, EVSE_OUIS))
        self.ev = Host.from_mac(ev_mac)
        self.evse = Host.from_mac(evse_mac)
        self.nid = bytes([wire.rng.randrange(256) for _ in range(6)] + [wire.rng.randrange(16)])
        self.nmk = wire.randbytes(16)
        self.session_id = wire.randbytes(8).hex().upper()
        self.conv: TcpConversation | None = None
        self.channel: Channel | None = None

    # -- lower layers ------------------------------------------------------------------------------
    def slac(self, match: bool = True, attenuation: float | None = None) -> bool:
        w = self.wire
        slacmod.modem_init(w, self.evse_station, self.nid, self.nmk)
        att = attenuation if attenuation is not None else w.rng.uniform(14.0, 30.0)
        return slacmod.slac(w, self.ev_station, self.evse_station, nid=self.nid, nmk=self.nmk,
                            match=match, attenuation=att)

    def sdp(self, security: int = SECURITY_NONE, offered: int | None = None) -> int:
        """EV's SDP request (``offered`` security; defaults to ``security``) and the EVSE's answer."""
        w = self.wire
        w.wait(1.5)
        req_sec = security if offered is None else offered
        self.ev_port = 49152 + w.rng.randrange(16384)
        sdp_req = struct.pack("!BBHIBB", 1, 0xFE, 0x9000, 2, req_sec, 0x00)
        w.emit(w.udp_frame(self.ev, ALL_NODES, self.ev_port, SDP_PORT, sdp_req), 0.3)
        self.port = 49152 + w.rng.randrange(16384)
        sdp_res = struct.pack("!BBHI", 1, 0xFE, 0x9001, 20) + self.evse.ip + struct.pack("!HBB", self.port, security, 0)
        w.emit(w.udp_frame(self.evse, self.ev, SDP_PORT, self.ev_port, sdp_res), 0.0008)
        return self.port

    def connect(self, tls: str | None = None, identity: tuple[Any, list[bytes]] | None = None) -> TcpConversation:
        """NDP, the TCP handshake and, with ``tls`` "1.2" or "1.3", the TLS handshake (TLS 1.2 with the
        SECC's ``identity``, its key and leaf-first chain, when given; else a self-signed certificate)."""
        w = self.wire
        w.wait(0.25)
        w.neighbor_discovery(self.ev, self.evse)
        w.wait(0.002)
        cport = 49152 + w.rng.randrange(16384)
        self.conv = TcpConversation(w, self.ev, self.evse, cport, self.port)
        self.conv.connect()
        self.channel = PlainChannel(self.conv)
        if tls is not None:
            from .tls import Tls12Channel, Tls13Channel

            channel = Tls13Channel(w, self.conv) if tls == "1.3" else Tls12Channel(w, self.conv, identity)
            w.wait(0.01)
            channel.handshake()
            self.channel = channel
        return self.conv

    def close(self) -> None:
        assert self.conv is not None
        self.wire.wait(0.05)
        close_notify = getattr(self.channel, "close_notify", None)
        if close_notify is not None:
            close_notify(True)
            self.wire.wait(0.001)
            close_notify(False)
        self.conv.close(client_first=True)

    # -- V2GTP -------------------------------------------------------------------------------------
    def send(self, from_ev: bool, schema: str, tree: Tree, lenient: bool = False,
             payload_type: int | None = None) -> None:
        assert self.channel is not None
        self.channel.send(from_ev, frame(schema, tree, lenient, payload_type))

    def exchange(self, schema: str, req: Tree, res: Tree, *, think: float = 0.08, evse_time: float = 0.02,
                 res_schema: str | None = None, lenient: bool = False) -> None:
        """The EV sends ``req`` after ``think`` seconds; the EVSE answers after ``evse_time``
        (``lenient``: the request may hold out-of-facet values, as a faulty EV sends them)."""
        self.wire.wait(think, 0.3)
        self.send(True, schema, req, lenient)
        self.wire.wait(evse_time, 0.3)
        self.send(False, res_schema or schema, res)

