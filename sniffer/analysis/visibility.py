"""Is this capture seeing the whole EV↔EVSE conversation, or only what a bystander modem is given?

A HomePlug Green PHY modem passes to its host only frames addressed to a station behind it
and broadcasts; unicast between the EV and the EVSE is encrypted with the network key and
addressed to the other modem. A third modem on the line (pyPLC's listen mode, a spare
adapter) therefore sees the SLAC broadcasts and at most stray frames of one direction. That
looks like a broken session unless someone says why, which is what this check does.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from v2gsniff.sniffer.model import Record, SharedTail

WHY = (
    "A HomePlug modem only passes on frames addressed to its own host and broadcasts, so a third "
    "modem listening on the line cannot see the EV↔EVSE unicast traffic. To see both directions, "
    "capture on the EVSE or EV controller's own PLC interface, or use a dedicated powerline sniffer "
    "such as a Vertexcom MST216D."
)

SLAC_ONLY_GRACE = 10.0
"""Live: seconds after the SLAC match (or first SDP request) without unicast IPv6 before warning."""
ONE_WAY_GRACE = 5.0
"""Live: seconds of one-way data on a TCP stream before warning."""

_SLAC_PREFIXES = ("CM_SLAC_", "CM_ATTEN_", "CM_START_ATTEN_", "CM_MNBC_SOUND", "CM_VALIDATE")
# Gaps are not evidence of either side: a reset connection can produce absurd ones.
# Requests a host sends to its own modem (keys, firmware queries): their sender is this host.
_HOST_REQUESTS = ("CM_SET_KEY", "CM_GET_KEY", "VS_")
_DATA_KINDS = frozenset({"v2gtp", "v2g", "tls"})
_UNICAST_IP_KINDS = frozenset({"tcp", "app", "v2gtp", "v2g", "tls", "gap"})
_ARROW = {"ev->evse": "EV→EVSE", "evse->ev": "EVSE→EV"}


class VisibilityFinding(NamedTuple):
    """One reason to believe the capture cannot see the whole session."""

    kind: str
    """``slac-only`` or ``one-direction``."""
    message: str
    """What is missing and why, in plain sentences."""
    frame: int
    """The frame from which this became evident."""
    time: float
    stream: int | None = None
    """For ``one-direction``: the TCP stream."""

    def to_record(self) -> Record:
        """The finding as a record (kind ``visibility``) for lists and reports."""
        extra = {} if self.stream is None else {"stream": self.stream}
        return Record(self.frame, self.time, "visibility", f"visibility: {self.kind}", error=None,
                      fields={"finding": self.kind, "explanation": self.message}, extra=extra,
                      summary=self.message)


class _Stream:
    __slots__ = ("first_data", "data", "seen", "frames")

    def __init__(self) -> None:
        self.first_data: tuple[int, float] | None = None
        self.data = {"ev->evse": 0, "evse->ev": 0}
        self.seen = {"ev->evse": 0, "evse->ev": 0}
        self.frames: dict[str, set[int]] = {"ev->evse": set(), "evse->ev": set()}


class VisibilityCheck:
    """Fed every record; ``findings()`` says what the capture evidently cannot see.

    Mutable and cheap per record. ``findings(now)`` with the current capture time applies the
    live grace periods (a session that is still starting is not a finding); without ``now``
    the capture is taken as complete.
    """

    def __init__(self) -> None:
        self.slac_records = 0
        self.homeplug_records = 0
        self.sdp_requests = 0
        self.sdp_responses = 0
        self.unicast_ip = 0
        self._session_start: tuple[int, float] | None = None
        self.host_macs: set[str] = set()
        """MACs the capturing host evidently has: senders of requests to the local modem."""
        self.slac_parties: set[str] = set()
        """EV and EVSE MACs of the SLAC matches seen."""
        self._streams: dict[int, _Stream] = {}
        self._both: set[int] = set()
        """Streams seen from both sides: never one-directional again, so nothing more to count."""

    def add(self, r: Record) -> None:
        kind = r.kind
        if kind in _UNICAST_IP_KINDS:  # the bulk of a capture: checked first
            self.unicast_ip += 1
            extra = r.extra
            if type(extra) is SharedTail:  # a V2G record's own keys (stream, dir) are in its head
                extra = extra.head
            stream = extra.get("stream")
            if type(stream) is int and stream in self._both:
                return
            direction = extra.get("dir")
            if isinstance(stream, int) and direction in ("ev->evse", "evse->ev"):
                st = self._streams.get(stream)
                if st is None:
                    st = self._streams[stream] = _Stream()
                if kind == "gap":
                    return
                seen = st.seen
                seen[direction] += 1
                if seen["ev->evse"] and seen["evse->ev"]:
                    self._both.add(stream)
                if len(st.frames[direction]) < 2:
                    st.frames[direction].add(r.frame)
                if kind in _DATA_KINDS:
                    st.data[direction] += 1
                    if st.first_data is None:
                        st.first_data = (r.frame, r.time)
        elif kind == "homeplug":
            self.homeplug_records += 1
            if r.name.startswith(_SLAC_PREFIXES):
                self.slac_records += 1
            if r.name == "CM_SLAC_MATCH.CNF":
                self.slac_parties.update((r.src.lower(), r.dst.lower()))
                if self._session_start is None:
                    self._session_start = (r.frame, r.time)
            elif r.name.endswith(".REQ") and r.name.startswith(_HOST_REQUESTS):
                self.host_macs.add(r.src.lower())
        elif kind == "sdp":
            if r.name == "SDPRequest":
                self.sdp_requests += 1
                if self._session_start is None:
                    self._session_start = (r.frame, r.time)
            elif r.name == "SDPResponse":
                self.sdp_responses += 1
                self.unicast_ip += 1
        elif kind == "icmpv6":
            if r.dst and not r.dst.lower().startswith("ff"):
                self.unicast_ip += 1

    def findings(self, now: float | None = None) -> list[VisibilityFinding]:
        out: list[VisibilityFinding] = []
        start = self._session_start
        # A host that takes part in the SLAC match sees the session (a missing SDP answer there is
        # a failed session, not a blind spot); one that is neither EV nor EVSE is a bystander.
        bystander = bool(self.host_macs) and bool(self.slac_parties) and not self.host_macs & self.slac_parties
        if (start is not None and bystander and self.unicast_ip == 0
                and (now is None or now - start[1] >= SLAC_ONLY_GRACE)):
            out.append(VisibilityFinding(
                "slac-only",
                "Only SLAC and broadcast frames are visible: the SLAC match between "
                f"{' and '.join(sorted(self.slac_parties))} completed, but this host "
                f"({', '.join(sorted(self.host_macs))}) is neither of them and no unicast IPv6 traffic "
                f"(SDP response, TCP, V2G messages) was captured. {WHY}",
                *start,
            ))
        for index, st in sorted(self._streams.items()):
            if st.first_data is None:
                continue
            for here, there in (("ev->evse", "evse->ev"), ("evse->ev", "ev->evse")):
                # Two frames at least: a capture that starts with a connection's last segment
                # (and guesses its direction) is not a blind spot.
                one_way = st.data[here] and not st.seen[there] and len(st.frames[here]) >= 2
                if one_way and (now is None or now - st.first_data[1] >= ONE_WAY_GRACE):
                    out.append(VisibilityFinding(
                        "one-direction",
                        f"Only the {_ARROW[here]} direction of TCP stream {index} is visible "
                        f"({st.data[here]} messages, nothing from the other side). {WHY}",
                        *st.first_data, stream=index,
                    ))
        return out


def check_visibility(records: Iterable[Record]) -> list[VisibilityFinding]:
    """Findings for a complete capture's records (empty when nothing suggests a blind spot)."""
    check = VisibilityCheck()
    for r in records:
        check.add(r)
    return check.findings()
