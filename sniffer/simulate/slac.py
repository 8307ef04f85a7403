"""SLAC (ISO 15118-3 Annex A) as the EVSE host's interface sees it, plus the modem chatter around it.

Layouts follow the tables in :mod:`v2gsniff.dissectors.homeplug.slac`; multi-octet numbers are
little-endian. The EVSE host talks to its own modem through the Qualcomm local management address
(VS_SW_VER, CM_SET_KEY); the modem reports each received sound with CM_ATTEN_PROFILE.IND.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from .wire import BROADCAST, ETH_HOMEPLUG, Wire, ethernet

QUALCOMM_OUI = b"\x00\xb0\x52"
MODEM_LOCAL = b"\x00\xb0\x52\x00\x00\x01"
"""Qualcomm's local management address: a host's MMEs to its own modem."""
NUM_SOUNDS = 10
NUM_GROUPS = 58
TIME_OUT = 6
"""TT_EVSE_match_MNBC in units of 100 ms."""


def mme(dst: bytes, src: bytes, mmtype: int, body: bytes, mmv: int = 1) -> bytes:
    head = bytes([mmv]) + struct.pack("<H", mmtype)
    if mmv >= 1:
        head += b"\0\0"
    if 0x8000 <= mmtype <= 0xBFFF:
        head += QUALCOMM_OUI
    return ethernet(dst, src, ETH_HOMEPLUG, head + body, pad=True)


@dataclass(frozen=True)
class Station:
    """One side's host MAC and the MAC of its HomePlug modem."""

    host: bytes
    modem: bytes


def attenuation_profile(wire: Wire, mean: float) -> bytes:
    """58 group attenuations in dB: rising with frequency around ``mean``, with per-group noise."""
    out = []
    for i in range(NUM_GROUPS):
        slope = (i - NUM_GROUPS / 2) * 0.25
        out.append(max(0, min(255, round(mean + slope + wire.rng.gauss(0, 1.5)))))
    return bytes(out)


def modem_init(wire: Wire, evse: Station, nid: bytes, nmk: bytes) -> None:
    """The EVSE host reads its modem's firmware version and sets a fresh private network key."""
    wire.emit(mme(MODEM_LOCAL, evse.host, 0xA000, b"", mmv=0))
    version = b"MAC-QCA7000-1.2.5.3207-00-20180927-CS"
    body = bytes([0x00, 0x22, len(version)]) + version.ljust(253, b"\0")
    wire.emit(mme(evse.host, evse.modem, 0xA001, body, mmv=0), 0.0012)
    _set_key(wire, evse, nid, nmk, 0.05)


def _set_key(wire: Wire, station: Station, nid: bytes, nmk: bytes, after: float) -> None:
    nonce = wire.randbytes(4)
    req = bytes([0x01]) + nonce + b"\0" * 4 + bytes([0x04]) + struct.pack("<H", 0) + bytes([0, 0]) + nid
    req += bytes([0x01]) + nmk
    wire.emit(mme(MODEM_LOCAL, station.host, 0x6008, req), after)
    cnf = bytes([0x01]) + wire.randbytes(4) + nonce + bytes([0x04]) + struct.pack("<H", 0) + bytes([0, 0])
    wire.emit(mme(station.host, station.modem, 0x6009, cnf), 0.0005)


def slac(wire: Wire, ev: Station, evse: Station, *, nid: bytes, nmk: bytes, match: bool = True,
         attenuation: float = 22.0) -> bool:
    """One SLAC attempt from CM_SLAC_PARM.REQ; with ``match`` it ends with CM_SLAC_MATCH (the EV
    then keys its own modem, which this interface does not see), otherwise the EV finds the
    attenuation too high and stops after sounding."""
    run_id = ev.host + wire.randbytes(2)
    base = b"\x00\x00"  # application type PEV-EVSE association, no security
    wire.emit(mme(BROADCAST, ev.host, 0x6064, base + run_id), 0.3)
    cnf = BROADCAST + bytes([NUM_SOUNDS, TIME_OUT, 0x01]) + ev.host + base + run_id
    wire.emit(mme(ev.host, evse.host, 0x6065, cnf), 0.0002)
    start = base + bytes([NUM_SOUNDS, TIME_OUT, 0x01]) + ev.host + run_id
    for i in range(3):
        wire.emit(mme(BROADCAST, ev.host, 0x606A, start), 0.2 if i == 0 else 0.02, 0.02)
    profiles = []
    for cnt in range(NUM_SOUNDS - 1, -1, -1):
        sound = base + b"\0" * 17 + bytes([cnt]) + run_id + b"\0" * 8 + wire.randbytes(16)
        wire.emit(mme(BROADCAST, ev.host, 0x6076, sound), 0.02, 0.02)
        profile = attenuation_profile(wire, attenuation)
        profiles.append(profile)
        report = ev.host + bytes([NUM_GROUPS, 0]) + profile
        wire.emit(mme(BROADCAST, evse.modem, 0x6086, report), 0.0005)
    average = bytes(round(sum(p[i] for p in profiles) / len(profiles)) for i in range(NUM_GROUPS))
    ids = ev.host + run_id + b"\0" * 17 + b"\0" * 17
    ind = base + ids + bytes([NUM_SOUNDS, NUM_GROUPS]) + average
    wire.emit(mme(ev.host, evse.host, 0x606E, ind), 0.0001)
    wire.emit(mme(evse.host, ev.host, 0x606F, base + ids + b"\x00"), 0.04)
    if not match:
        return False
    match_var = b"\0" * 17 + ev.host + b"\0" * 17 + evse.host + run_id + b"\0" * 8
    wire.emit(mme(evse.host, ev.host, 0x607C, base + struct.pack("<H", 0x3E) + match_var), 0.9)
    body = base + struct.pack("<H", 0x56) + match_var + nid + b"\0" + nmk
    wire.emit(mme(ev.host, evse.host, 0x607D, body), 0.0003)
    return True
