"""Live capture backend: a raw AF_PACKET socket bound to one interface (Linux, root or CAP_NET_RAW).

A classic BPF program keeps HomePlug management frames (0x88E1) and IPv6 (0x86DD), also
behind one 802.1Q tag, so the kernel drops everything else before Python sees it. Frames
are read in batches: one ``poll`` then non-blocking ``recvmsg`` calls until the queue is
empty. Timestamps come from SO_TIMESTAMPNS, the length on the wire and a VLAN tag the
kernel took off from PACKET_AUXDATA, and drops from PACKET_STATISTICS.
"""

from __future__ import annotations

import ctypes
import errno
import os
import select
import socket
import struct
import time

# Linux ABI values; Python's socket module does not define most of them.
ETH_P_ALL = 0x0003
SOL_PACKET = 263
PACKET_AUXDATA = 8
PACKET_STATISTICS = 6
SO_ATTACH_FILTER = 26
SO_RCVBUFFORCE = 33
SO_TIMESTAMPNS = 35
TP_STATUS_VLAN_VALID = 1 << 4
TP_STATUS_VLAN_TPID_VALID = 1 << 6
ARPHRD_ETHER = 1
ARPHRD_LOOPBACK = 772

ETHERTYPE_HOMEPLUG = 0x88E1
ETHERTYPE_IPV6 = 0x86DD
ETHERTYPE_VLAN = 0x8100

RCVBUF = 32 * 1024 * 1024
BATCH = 512
"""Frames taken per poll at most, so link checks and stop requests are never starved."""

# errno values meaning "the interface went away or down under the socket".
LINK_ERRNOS = frozenset({errno.ENETDOWN, errno.ENXIO, errno.ENODEV})

_AUX = struct.Struct("=IIIHHHH")
_TS64 = struct.Struct("=qq")
_TS32 = struct.Struct("=ii")


def _bpf(snaplen: int) -> list[tuple[int, int, int, int]]:
    """(code, jt, jf, k): accept 0x88E1 and 0x86DD at offset 12, or at 16 behind a 0x8100 tag."""
    ldh, jeq, ret = 0x28, 0x15, 0x06  # BPF_LD|BPF_H|BPF_ABS, BPF_JMP|BPF_JEQ|BPF_K, BPF_RET|BPF_K
    return [
        (ldh, 0, 0, 12),
        (jeq, 5, 0, ETHERTYPE_HOMEPLUG),  # -> accept
        (jeq, 4, 0, ETHERTYPE_IPV6),  # -> accept
        (jeq, 0, 4, ETHERTYPE_VLAN),  # -> reject
        (ldh, 0, 0, 16),
        (jeq, 1, 0, ETHERTYPE_HOMEPLUG),
        (jeq, 0, 1, ETHERTYPE_IPV6),
        (ret, 0, 0, snaplen),  # accept
        (ret, 0, 0, 0),  # reject
    ]


def attach_filter(sock: socket.socket, program: list[tuple[int, int, int, int]]) -> None:
    code = b"".join(struct.pack("=HBBI", *insn) for insn in program)
    buf = ctypes.create_string_buffer(code)
    # struct sock_fprog { unsigned short len; struct sock_filter *filter; } (native alignment)
    fprog = struct.pack("HP", len(program), ctypes.addressof(buf))
    sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, fprog)


def arp_type(interface: str) -> int | None:
    try:
        with open(f"/sys/class/net/{interface}/type") as fh:
            return int(fh.read().strip())
    except (OSError, ValueError):
        return None


Captured = tuple[float, bytes, int]
"""(epoch seconds, frame bytes, length on the wire)."""


def open_socket(interface: str, snaplen: int) -> socket.socket:
    """A raw socket bound to ``interface`` with the filter on: the only step that needs
    CAP_NET_RAW (and CAP_NET_ADMIN for the large receive buffer), so a privileged helper
    (:mod:`.privsep`) can do it alone and hand the socket over."""
    kind = arp_type(interface)
    if kind is not None and kind not in (ARPHRD_ETHER, ARPHRD_LOOPBACK):
        raise ValueError(f"{interface} is not an Ethernet interface (ARPHRD type {kind})")
    # Protocol 0 receives nothing until bind(), so no frame slips past before the filter is on.
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
    try:
        try:
            sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, RCVBUF)
        except OSError:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RCVBUF)
        sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        sock.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
        attach_filter(sock, _bpf(snaplen))
        sock.bind((interface, ETH_P_ALL))
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return sock


class AfPacketSource:
    """One AF_PACKET socket; ``read`` returns a batch, raises OSError with a LINK_ERRNOS errno on link loss."""

    name = "afpacket"

    def __init__(self, interface: str, snaplen: int, sock: socket.socket | None = None) -> None:
        """``sock``: a socket :func:`open_socket` made elsewhere (a privileged helper); by default
        this process opens it."""
        self.interface = interface
        self.snaplen = snaplen
        self.ifindex = socket.if_nametoindex(interface)
        if sock is None:
            sock = open_socket(interface, snaplen)
        else:
            sock.setblocking(False)
        self._sock = sock
        self._poll = select.poll()
        self._poll.register(sock.fileno(), select.POLLIN)
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        self._poll.register(self._wake_r, select.POLLIN)
        self._bufsize = max(snaplen, 64) + 4  # +4 for a VLAN tag put back
        self._ancsize = socket.CMSG_SPACE(_AUX.size) + socket.CMSG_SPACE(_TS64.size)

    def fileno(self) -> int:
        return self._sock.fileno()

    def read(self, timeout: float) -> list[Captured]:
        """Frames waiting now, after waiting at most ``timeout`` seconds for the first one."""
        events = self._poll.poll(max(0, int(timeout * 1000)))
        if not events:
            return []
        for fd, _ in events:
            if fd == self._wake_r:
                try:
                    os.read(self._wake_r, 64)
                except BlockingIOError:
                    pass
        out: list[Captured] = []
        recvmsg = self._sock.recvmsg
        bufsize, ancsize, snaplen = self._bufsize, self._ancsize, self.snaplen
        for _ in range(BATCH):
            try:
                data, anc, _flags, _addr = recvmsg(bufsize, ancsize)
            except BlockingIOError:
                break
            except InterruptedError:
                continue
            except OSError as err:
                if out and err.errno in LINK_ERRNOS:
                    break  # deliver what came before; the error shows again on the next read
                raise
            stamp = 0.0
            orig = len(data)
            for level, kind, value in anc:
                if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                    sec, nsec = (_TS64 if len(value) >= 16 else _TS32).unpack_from(value)
                    stamp = sec + nsec * 1e-9
                elif level == SOL_PACKET and kind == PACKET_AUXDATA and len(value) >= _AUX.size:
                    status, orig, _snap, _mac, _net, tci, tpid = _AUX.unpack_from(value)
                    if status & TP_STATUS_VLAN_VALID:
                        # The kernel took the 802.1Q tag off; put it back as libpcap does.
                        if not status & TP_STATUS_VLAN_TPID_VALID:
                            tpid = ETHERTYPE_VLAN
                        data = data[:12] + struct.pack("!HH", tpid, tci) + data[12:]
                        orig += 4
                        if len(data) > snaplen:
                            data = data[:snaplen]
            out.append((stamp or time.time(), data, orig))
        return out

    def drops(self) -> int:
        """Frames the kernel dropped since the last call (the counters reset on read)."""
        try:
            raw = self._sock.getsockopt(SOL_PACKET, PACKET_STATISTICS, 8)
        except OSError:
            return 0
        _packets, dropped = struct.unpack("=II", raw)
        return int(dropped)

    def wake(self) -> None:
        try:
            os.write(self._wake_w, b"x")
        except OSError:
            pass

    def close(self) -> None:
        if self._sock.fileno() < 0:
            return
        self._sock.close()
        os.close(self._wake_r)
        os.close(self._wake_w)
