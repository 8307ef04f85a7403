"""Live capture from a network interface: ``open_live(iface)`` gives frames as they arrive.

Two backends: a raw AF_PACKET socket (root or CAP_NET_RAW; fastest, kernel timestamps and
drop counts) and Wireshark's ``dumpcap`` (for members of the ``wireshark`` group). The
capture outlives the interface: a QCA7000 modem resets between charging sessions and its
interface may go down or disappear; iteration then yields a :class:`LinkEvent` and goes on
when the interface is back (with a new socket if it came back as a new device).
"""

from __future__ import annotations

import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import Protocol

from v2gsniff.sniffer.model import LINKTYPE_ETHERNET, RawFrame

from .live_afpacket import LINK_ERRNOS, AfPacketSource, Captured
from .live_dumpcap import DumpcapError, DumpcapSource, dumpcap_path

__all__ = ["BACKENDS", "LinkEvent", "LiveCapture", "LiveCaptureError", "link_state", "open_live"]

BACKENDS = ("auto", "afpacket", "dumpcap")
POLL_SECONDS = 0.1
"""Longest wait for frames before link state, drops and stop requests are looked at."""
CHECK_SECONDS = 0.2
"""How often the interface state and drop counters are read."""
REOPEN_SECONDS = 1.0

SETCAP_HINT = "sudo setcap cap_net_raw+ep $(readlink -f $(which python3))"


class LiveCaptureError(Exception):
    """The interface cannot be captured; ``str()`` is one sentence saying why and what to do."""


@dataclass(frozen=True, slots=True)
class LinkEvent:
    """Something that happened to the capture rather than a frame."""

    kind: str
    """``down`` (interface down or gone), ``up`` (back, capture goes on) or ``drops``."""
    time: float
    """Epoch seconds."""
    message: str
    """One sentence for the user."""
    dropped: int = 0
    """For ``drops``: frames the kernel dropped since the previous report."""


class _Source(Protocol):
    name: str

    def read(self, timeout: float) -> list[Captured]: ...
    def drops(self) -> int: ...
    def wake(self) -> None: ...
    def close(self) -> None: ...


def link_state(interface: str) -> tuple[str, int | None]:
    """(``up`` | ``down`` | ``gone``, ifindex) from /sys/class/net; ``down`` carries the operstate."""
    base = f"/sys/class/net/{interface}"
    try:
        with open(f"{base}/ifindex") as fh:
            ifindex = int(fh.read())
        with open(f"{base}/operstate") as fh:
            oper = fh.read().strip()
        with open(f"{base}/flags") as fh:
            flags = int(fh.read().strip(), 16)
    except (OSError, ValueError):
        return "gone", None
    if not flags & 0x1:  # IFF_UP
        return "down (administratively)", ifindex
    # "unknown" is what drivers without carrier reporting (and lo, tun) say while working.
    if oper in ("up", "unknown"):
        return "up", ifindex
    return f"down (operstate {oper})", ifindex


def _interfaces() -> list[str]:
    try:
        return sorted(name for _, name in socket.if_nameindex())
    except OSError:
        return []


class LiveCapture:
    """Iterator of :class:`RawFrame` (numbered from 1) and :class:`LinkEvent` from one interface.

    Not thread-safe except :meth:`stop`, which may be called from any thread (or a signal
    handler) and ends the iteration within about ``POLL_SECONDS``. Ctrl-C while iterating
    also ends it cleanly.
    """

    linktype = LINKTYPE_ETHERNET

    def __init__(self, interface: str, backend: str, opener: Callable[[], _Source], source: _Source | None) -> None:
        self.interface = interface
        self.backend = backend
        self.frames = 0
        """Frames delivered so far (the last frame's number)."""
        self.dropped = 0
        """Frames the kernel reported dropped so far."""
        self._opener = opener
        self._source = source
        self._pending: deque[RawFrame | LinkEvent] = deque()
        self._stop = threading.Event()
        self._closed = False
        state, self._ifindex = link_state(interface)
        self._down_since: float | None = None
        self._next_check = 0.0
        self._next_reopen = 0.0
        if state != "up":
            self._go_down(f"{interface} is {state}; capturing as soon as it comes up")

    # -- iteration ---------------------------------------------------------------------

    def __iter__(self) -> Iterator[RawFrame | LinkEvent]:
        return self

    def __next__(self) -> RawFrame | LinkEvent:
        pending = self._pending
        while not pending:
            if self._stop.is_set():
                self.close()
                raise StopIteration
            try:
                self._fill(POLL_SECONDS)
            except KeyboardInterrupt:
                self._stop.set()
        return pending.popleft()

    def read_batch(self, timeout: float = POLL_SECONDS) -> list[RawFrame | LinkEvent] | None:
        """What arrived, after waiting at most about ``timeout`` seconds; ``None`` once stopped.

        The batch form of iteration, for loops that have other work between frames.
        """
        pending = self._pending
        if not pending:
            if self._stop.is_set():
                self.close()
                return None
            self._fill(timeout)
        out = list(pending)
        pending.clear()
        return out

    def stop(self) -> None:
        """End the iteration (from any thread); frames already read are still delivered."""
        self._stop.set()
        src = self._source
        if src is not None:
            src.wake()

    @property
    def running(self) -> bool:
        return not self._closed and not self._stop.is_set()

    def close(self) -> None:
        self._stop.set()
        self._closed = True
        if self._source is not None:
            self._source.close()
            self._source = None

    def __enter__(self) -> LiveCapture:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- internals --------------------------------------------------------------------

    def _fill(self, timeout: float) -> None:
        now = time.monotonic()
        if now >= self._next_check:
            self._next_check = now + CHECK_SECONDS
            self._check_link()
            self._check_drops()
            if self._pending:
                return
        src = self._source
        if src is None:
            self._stop.wait(min(timeout, CHECK_SECONDS))
            return
        try:
            batch = src.read(min(timeout, POLL_SECONDS))
        except OSError as err:
            if err.errno not in LINK_ERRNOS:
                raise LiveCaptureError(f"capture on {self.interface} failed: {err.strerror or err}") from err
            self._lost(src, err)
            return
        if batch:
            self._add(batch)

    def _lost(self, src: _Source, err: OSError) -> None:
        """The backend says the link went away (ENETDOWN/ENXIO, or dumpcap exited)."""
        if self._down_since is None:
            self._go_down(f"{self.interface} went down ({err.strerror or err}); waiting for it to come back")
        # An AF_PACKET socket whose device is only down resumes by itself on NETDEV_UP; one
        # whose device vanished, or a dumpcap that exited, has to be replaced.
        state, ifindex = link_state(self.interface)
        if src.name != "afpacket" or state == "gone" or ifindex != self._ifindex:
            self._drain(src)
            src.close()
            self._source = None
        else:
            self._stop.wait(POLL_SECONDS)

    def _drain(self, src: _Source) -> None:
        """Frames still queued on a source about to be closed (the error is reported only once)."""
        errors = 0
        for _ in range(10_000):
            try:
                batch = src.read(0)
            except OSError:
                errors += 1
                if errors > 1:
                    return
                continue
            if not batch:
                return
            self._add(batch)

    def _add(self, batch: list[Captured]) -> None:
        index = self.frames
        linktype = self.linktype
        append = self._pending.append
        for stamp, data, orig in batch:
            index += 1
            append(RawFrame(index, stamp, linktype, data, orig, 0))
        self.frames = index

    def _go_down(self, message: str) -> None:
        self._down_since = time.monotonic()
        self._pending.append(LinkEvent("down", time.time(), message))

    def _check_link(self) -> None:
        state, ifindex = link_state(self.interface)
        if state != "up":
            if self._down_since is None:
                what = "has disappeared" if state == "gone" else f"is {state}"
                self._go_down(f"{self.interface} {what}; waiting for it to come back")
            if state == "gone" and self._source is not None:
                self._drain(self._source)
                self._source.close()
                self._source = None
            return
        replaced = ifindex != self._ifindex
        if replaced and self._down_since is None:
            self._go_down(f"{self.interface} was removed and created again")
        if self._source is None or replaced:
            if time.monotonic() < self._next_reopen:
                return
            self._next_reopen = time.monotonic() + REOPEN_SECONDS
            try:
                new = self._opener()
            except (OSError, ValueError, DumpcapError):
                return  # still settling (or a transient failure): retry later, still "down"
            if self._source is not None:
                self._source.close()
            self._source = new
            self._ifindex = ifindex
        if self._down_since is not None:
            gap = time.monotonic() - self._down_since
            self._down_since = None
            self._pending.append(
                LinkEvent("up", time.time(), f"{self.interface} is up again after {gap:.1f} s; capture continues")
            )

    def _check_drops(self) -> None:
        if self._source is None:
            return
        n = self._source.drops()
        if n:
            self.dropped += n
            self._pending.append(LinkEvent(
                "drops", time.time(),
                f"the kernel dropped {n} frames on {self.interface} (capture or decoding too slow)", n,
            ))


def open_live(interface: str, *, backend: str = "auto", snaplen: int = 65535,
              raw_socket: Callable[[], socket.socket] | None = None) -> LiveCapture:
    """Start capturing on ``interface`` (HomePlug 0x88E1 and IPv6 frames only).

    ``backend``: ``afpacket`` (raw socket), ``dumpcap``, or ``auto`` (the first that works).
    ``raw_socket``: where afpacket sockets come from when this process may not open them
    itself (:class:`~.privsep.Opener`; called again each time the interface comes back).
    Raises :class:`LiveCaptureError` with one sentence saying why and what to do.
    """
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, not {backend!r}")
    if not 0 < snaplen <= 262144:
        raise ValueError("snaplen must be between 1 and 262144")
    try:
        socket.if_nametoindex(interface)
    except OSError:
        known = ", ".join(_interfaces()) or "none visible"
        raise LiveCaptureError(
            f"cannot open {interface}: there is no such network interface (interfaces here: {known})"
        ) from None
    reasons: list[str] = []
    if backend in ("auto", "afpacket"):
        def open_af() -> _Source:
            return AfPacketSource(interface, snaplen, raw_socket() if raw_socket is not None else None)

        try:
            return LiveCapture(interface, "afpacket", open_af, open_af())
        except PermissionError:
            reasons.append(f"raw sockets need root or CAP_NET_RAW ({SETCAP_HINT})")
        except (OSError, ValueError) as err:
            reasons.append(f"a raw socket on it failed ({_why(err)})")
    if backend in ("auto", "dumpcap"):
        def open_dc() -> _Source:
            return DumpcapSource(interface, snaplen)

        if dumpcap_path() is None:
            reasons.append("dumpcap is not installed (apt install tshark, then add yourself to the wireshark group)")
        else:
            try:
                return LiveCapture(interface, "dumpcap", open_dc, open_dc())
            except DumpcapError as err:
                if link_state(interface)[0] != "up":
                    return LiveCapture(interface, "dumpcap", open_dc, None)  # started when it comes up
                text = str(err).rstrip(".")
                if "permission" in text.lower():
                    text += " (add yourself to the wireshark group: sudo usermod -aG wireshark $USER, then log in again)"
                reasons.append(f"dumpcap failed: {text}")
            except OSError as err:
                reasons.append(f"dumpcap could not run ({_why(err)})")
    raise LiveCaptureError(f"cannot open {interface}: {', and '.join(reasons)}")


def _why(err: BaseException) -> str:
    if isinstance(err, OSError) and err.strerror:
        return err.strerror
    return str(err) or type(err).__name__

