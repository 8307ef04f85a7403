"""The scenario registry: one small function per scenario, listed with what it shows."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from .link import SECURITY_NONE, SECURITY_TLS, Link
from .wire import Wire

DEFAULT_LOOPS = 40
"""Charge-loop cycles of a simulated session (the demo captures keep this short)."""


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    outcome: str
    """The report's BPT outcome for a session of this scenario (``sessions`` BPT_OUTCOMES)."""
    run: Callable[[Link, int], None]
    tls: str | None = None
    """``"1.2"`` or ``"1.3"`` when the V2G connection is TLS (a key log is produced)."""
    expects: tuple[str, ...] = ()
    """Rules whose ``error`` findings this scenario shows on purpose; a clean scenario has none."""


class Registry:
    """Scenarios by name, in the order they were added."""

    def __init__(self) -> None:
        self._items: dict[str, Scenario] = {}

    def add(self, scenario: Scenario) -> None:
        if scenario.name in self._items:
            raise ValueError(f"scenario {scenario.name} is defined twice")
        self._items[scenario.name] = scenario

    def __getitem__(self, name: str) -> Scenario:
        try:
            return self._items[name]
        except KeyError:
            raise KeyError(f"unknown scenario {name!r}; one of: {', '.join(self._items)}") from None

    def __iter__(self) -> Iterator[Scenario]:
        return iter(self._items.values())

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def names(self) -> list[str]:
        return list(self._items)


def _plain_start(link: Link, security: int = SECURITY_NONE) -> None:
    link.slac()
    link.sdp(security)
    link.connect()


def din_dc(link: Link, loops: int) -> None:
    from .din import DIN, run_dc

    _plain_start(link)
    run_dc(link, DIN, loops)


def iso2_dc(link: Link, loops: int) -> None:
    from .din import ISO2, run_dc

    _plain_start(link)
    run_dc(link, ISO2, loops)


def _faulty(schema: str, fault: str) -> Callable[[Link, int], None]:
    def run(link: Link, loops: int) -> None:
        from .din import DIN, ISO2, run_dc

        _plain_start(link)
        run_dc(link, DIN if schema == "din" else ISO2, loops, fault)

    return run


def iso2_ac(link: Link, loops: int) -> None:
    from .ac import run_iso2_ac

    _plain_start(link)
    run_iso2_ac(link, loops)


def sap_no_common_protocol(link: Link, loops: int) -> None:
    from .din import app_protocol, handshake

    _plain_start(link)
    # An EV that only speaks ISO 15118-20 meets a DIN/ISO-2-only charger.
    handshake(link, [app_protocol("urn:iso:std:iso:15118:-20:DC", 1, 1, 1, 0),
                     app_protocol("urn:iso:std:iso:15118:-20:AC", 2, 2, 1, 0)], None)
    link.close()


def slac_no_match(link: Link, loops: int) -> None:
    # Three attempts; the EV sees a far-too-high attenuation (a neighbour's charger) each time.
    link.slac(match=False, attenuation=link.wire.rng.uniform(62.0, 70.0))
    for _ in range(2):
        link.wire.wait(2.0)
        from . import slac as slacmod

        slacmod.slac(link.wire, link.ev_station, link.evse_station, nid=link.nid, nmk=link.nmk,
                     match=False, attenuation=link.wire.rng.uniform(62.0, 70.0))


def _iso20(**kw: Any) -> Callable[[Link, int], None]:
    def run(link: Link, loops: int) -> None:
        from .iso20 import run_iso20

        _plain_start(link)
        run_iso20(link, loops, **kw)

    return run


def iso20_no_tls(link: Link, loops: int) -> None:
    from .iso20 import run_iso20

    link.slac()
    link.sdp(SECURITY_NONE, offered=SECURITY_TLS)  # the EV asks for TLS, the charger says no
    link.connect()
    run_iso20(link, loops, bpt=False, dynamic=True)


def iso20_tls13(link: Link, loops: int) -> None:
    from .iso20 import run_iso20

    link.slac()
    link.sdp(SECURITY_TLS)
    link.connect(tls="1.3")
    run_iso20(link, loops, bpt=True, dynamic=True, discharge=True)


def iso2_tls12(link: Link, loops: int) -> None:
    from .din import ISO2, run_dc

    link.slac()
    link.sdp(SECURITY_TLS)
    link.connect(tls="1.2")
    run_dc(link, ISO2, loops)


def iso2_pnc(link: Link, loops: int) -> None:
    from .pnc import run_iso2_pnc

    run_iso2_pnc(link, loops)


_PLAIN_ISO20 = ("tls.iso20-offer", "tls.iso20-select")
# ISO 15118-20 over plain TCP breaks [V2G20-1237]/[V2G20-2356]: these demo sessions show it on purpose

SCENARIOS = Registry()
for _s in (
    Scenario("din-dc", "DIN SPEC 70121 DC charge: SLAC, SDP, TCP, handshake (DIN chosen), cable check, "
             "PreCharge ramp, CurrentDemand loop with rising SoC, welding detection, stop", "protocol-without-bpt",
             din_dc),
    Scenario("iso2-dc", "ISO 15118-2 DC charge (ExternalPayment), same phases as DIN with ISO-2 messages",
             "protocol-without-bpt", iso2_dc),
    Scenario("iso2-ac", "ISO 15118-2 AC three-phase charge: ChargingStatus loop with meter readings",
             "protocol-without-bpt", iso2_ac),
    Scenario("iso20-dc-bpt-dynamic", "ISO 15118-20 DC_BPT (service 6) in Dynamic mode: charges, then the "
             "charger commands discharge a third of the way into the loop (negative present current, SoC falls)",
             "bpt-working", _iso20(discharge=True), expects=_PLAIN_ISO20),
    Scenario("iso20-dc-bpt-scheduled", "ISO 15118-20 DC_BPT in Scheduled mode with a two-entry power "
             "schedule; the EV charges only (BPT negotiated, no discharge)", "bpt-negotiated-no-discharge",
             _iso20(dynamic=False), expects=_PLAIN_ISO20),
    Scenario("iso20-ac-bpt", "ISO 15118-20 AC_BPT (service 5), Dynamic mode: 11 kW charge, then 7.4 kW back "
             "to the grid (negative present active power)", "bpt-working", _iso20(ac=True), expects=_PLAIN_ISO20),
    Scenario("iso20-no-tls", "ISO 15118-20 DC (service 2) over plain TCP: the EV asks for TLS in SDP, "
             "the charger answers without TLS and the session runs unencrypted", "bpt-offered-not-selected",
             iso20_no_tls, expects=_PLAIN_ISO20),
    Scenario("iso20-dc-tls13", "ISO 15118-20 DC_BPT Dynamic (charge, then discharge) over TLS 1.3 "
             "(TLS_AES_256_GCM_SHA384, X25519, ECDSA P-256 SECC certificate); close_notify before FIN",
             "bpt-working", iso20_tls13, tls="1.3"),
    Scenario("iso2-dc-tls12", "ISO 15118-2 DC charge over TLS 1.2 (TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256, "
             "P-256, MAC-then-encrypt)", "protocol-without-bpt", iso2_tls12, tls="1.2"),
    Scenario("iso2-dc-pnc", "ISO 15118-2 DC Plug & Charge over TLS 1.2 with a complete test PKI: SECC chain "
             "in the handshake, signed CertificateInstallationReq/Res, PaymentDetailsReq with the contract chain, "
             "signed AuthorizationReq and MeteringReceiptReq", "protocol-without-bpt", iso2_pnc, tls="1.2"),
    Scenario("sap-no-common-protocol", "An ISO 15118-20-only EV meets a DIN/ISO-2 charger: "
             "supportedAppProtocolRes Failed_NoNegotiation, the TCP connection closes", "handshake-failed",
             sap_no_common_protocol, expects=("tls.iso20-offer", "codes.no-negotiation")),
    Scenario("slac-no-match", "SLAC three times with attenuation far above the threshold and no "
             "CM_SLAC_MATCH: no SDP, no TCP", "handshake-failed", slac_no_match, expects=("link.no-slac-match",)),
    # faulty twins of iso2-dc / din-dc (same seed, same session, one fault): each makes rules fire
    Scenario("iso2-dc-late-response", "iso2-dc, but the charger answers PowerDeliveryReq(Start) after about 8 s "
             "(EV timeout 5 s): timing.response-timeout", "protocol-without-bpt", _faulty("iso2", "late-response"),
             expects=("timing.response-timeout",)),
    Scenario("din-dc-over-limit", "din-dc, but the charger reports a present current three times its own "
             "maximum for the whole charge loop: values.evse-present-over-limit", "protocol-without-bpt",
             _faulty("din", "over-limit"), expects=("values.evse-present-over-limit",)),
    Scenario("iso2-dc-sequence-error", "iso2-dc, but the EV skips PowerDelivery and sends CurrentDemandReq; "
             "the charger answers FAILED_SequenceError and the EV stops: sequence.phase-order, codes.failed",
             "protocol-without-bpt", _faulty("iso2", "sequence-error"), expects=("sequence.phase-order", "codes.failed")),
    Scenario("iso20-dc-payload-type", "iso20-dc-bpt-scheduled, but the EV sends its CommonMessages requests "
             "with payload type 0x8001 (ISO 15118-2's) instead of 0x8002: sequence.payload-type",
             "bpt-negotiated-no-discharge", _iso20(dynamic=False, ev_payload_type=0x8001),
             expects=(*_PLAIN_ISO20, "sequence.payload-type")),
    Scenario("iso2-dc-out-of-facet", "iso2-dc, but the EV's PowerDeliveryReq charging profile says 4 phases "
             "(the schema allows 1..3): the message still decodes, with schema.facet", "protocol-without-bpt",
             _faulty("iso2", "out-of-facet"), expects=("schema.facet",)),
):
    SCENARIOS.add(_s)


def simulate(name: str, seed: int = 1, loops: int = DEFAULT_LOOPS) -> Wire:
    """Run scenario ``name``; the returned wire holds the frames and key-log lines."""
    scenario = SCENARIOS[name]
    wire = Wire(seed)
    scenario.run(Link(wire), loops)
    return wire


__all__ = ["SCENARIOS", "SECURITY_TLS", "Scenario", "simulate"]
