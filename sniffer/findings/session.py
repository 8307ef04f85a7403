"""Findings about a whole session, and the failure reasons derived from a session's findings."""

from __future__ import annotations

from collections.abc import Iterable

from v2gsniff.sniffer.sessions.model import Bpt, Failure, TlsPosture
from v2gsniff.sniffer.sessions.phases import phase_of

from . import codes
from .link import NO_SLAC_MATCH, SDP_SECURITY
from .model import Finding
from .sequence import NO_RESPONSE
from .values import NON_STANDARD_DISCHARGE

FAILURE_RULES = frozenset({codes.FAILED.id, codes.NO_NEGOTIATION.id, NO_RESPONSE.id, NO_SLAC_MATCH.id})
"""The rules whose findings are a session's failure reasons (``Session.failures``)."""


def session_findings(tls: TlsPosture, bpt: Bpt, *, slac_unmatched: tuple[int, float] | None,
                     v2g_frame: int | None, protocol: str | None) -> list[Finding]:
    """Rules that judge a whole session: TLS posture, SDP security kept, discharge without BPT, SLAC match.

    ``slac_unmatched``: (last SLAC frame, time) of a finished session whose SLAC never matched and
    that had no SDP answer or V2G traffic; ``v2g_frame``: its first V2G message, if any."""
    out = list(tls.findings)
    if tls.secc_answer in ("TLS", "no TLS") and v2g_frame is not None:
        wants_tls = tls.secc_answer == "TLS"
        if wants_tls != bool(tls.version):
            did = f"{tls.version}" if tls.version else "plain TCP"
            out.append(SDP_SECURITY.finding(f"SDP response says {tls.secc_answer}; the connection uses {did}",
                                            v2g_frame, message=None))
    if bpt.non_standard_discharge:
        frames = tuple(e.frame for e in bpt.evidence) or (0,)
        out.append(NON_STANDARD_DISCHARGE.finding(
            f"energy flowed from the vehicle in {protocol or 'a protocol'} without BPT"
            + "".join(f"; {e.statement}" for e in bpt.evidence[:2]), frames[0], evidence=frames))
    if slac_unmatched is not None:
        out.append(NO_SLAC_MATCH.finding("SLAC ran but no CM_SLAC_MATCH.CNF followed", slac_unmatched[0],
                                         slac_unmatched[1], message="CM_SLAC_MATCH.CNF"))
    return out


def failures_of(findings: Iterable[Finding]) -> tuple[Failure, ...]:
    """Failure reasons, one per finding of ``FAILURE_RULES``, in frame order (never disagree with findings)."""
    out: list[Failure] = []
    for f in findings:
        if f.rule not in FAILURE_RULES:
            continue
        if f.rule == NO_SLAC_MATCH.id:
            out.append(Failure("SLAC", "CM_SLAC_MATCH.CNF", "no SLAC match", f.frame, f.time))
            continue
        name = f.message or "?"
        code = "no response" if f.rule == NO_RESPONSE.id else codes.code_of(f)
        out.append(Failure(phase_of(name) or "?", name, code, f.frame, f.time))
    out.sort(key=lambda x: x.frame)
    return tuple(out)
