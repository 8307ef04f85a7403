"""Session simulator: whole charging sessions as a charger's interface would capture them.

    wire = simulate("iso20-dc-bpt-dynamic", seed=7)
    write_pcapng(wire, "session.pcapng")

Everything (addresses, randoms, TLS keys, timestamps) comes from the seed: the same seed writes
the same bytes. ``SCENARIOS`` lists the scenarios with a description and the expected outcome.
"""

from __future__ import annotations

import os
from typing import BinaryIO

from v2gsniff.sniffer.capture.writer import PcapngWriter

from .scenarios import DEFAULT_LOOPS, SCENARIOS, Scenario, simulate
from .wire import Wire


def keylog_text(wire: Wire) -> str:
    """The NSS key log of the session ("" without TLS)."""
    return "".join(line + "\n" for line in wire.keylog)


def write_pcapng(wire: Wire, target: str | os.PathLike[str] | BinaryIO, *, embed_keys: bool = True) -> None:
    """One pcapng section (Ethernet, microsecond timestamps); with TLS, the key log goes in a
    Decryption Secrets Block before the first frame so the file decrypts on its own."""
    with PcapngWriter(target, tsresol=6, application="v2gsniff simulate") as out:
        if embed_keys and wire.keylog:
            out.write_secrets(keylog_text(wire).encode())
        for time, frame in wire.frames:
            out.write_frame(frame, time)


__all__ = ["DEFAULT_LOOPS", "SCENARIOS", "Scenario", "Wire", "keylog_text", "simulate", "write_pcapng"]
