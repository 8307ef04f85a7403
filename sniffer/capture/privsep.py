"""Privilege separation for ``v2gsniff live``: frames from the cable are never parsed as root.

Everything a charging cable sends (HomePlug MMEs, TLS records, EXI) is hostile input, so the
process that parses it must not be root. The design follows tcpdump (drop right after opening
the socket) while keeping live capture's ability to reopen a socket when the PLC modem resets:

* :class:`Opener` forks a helper before anything is captured. The helper closes every file
  but its end of a Unix socketpair, becomes the unprivileged user while keeping only
  CAP_NET_RAW and CAP_NET_ADMIN (bounding set reduced to those, no new privileges, not
  dumpable), and then does one thing: on each one-byte request it opens an AF_PACKET socket on
  the interface it was started for (:func:`~.live_afpacket.open_socket`: filter attached,
  bound) and passes the descriptor back with SCM_RIGHTS, or an errno and a sentence. It never
  reads a frame; the only input it parses is that byte. It ends when the socketpair closes.
* :func:`drop` then turns the main process into the unprivileged user for good (setgroups,
  setresgid, setresuid; no capability left) and checks the result in /proc/self/status. Key
  logs, output files, decoding and the UI all happen after that.

Who the unprivileged user is (:func:`choose_account`): ``--user NAME``, else the user sudo was
run by (SUDO_UID/SUDO_GID). Root with neither is refused unless root is explicitly allowed. A
non-root process that holds capabilities (an interpreter given cap_net_raw with setcap) keeps
its uid: the helper keeps the two capabilities, the main process drops them all.
"""

from __future__ import annotations

import ctypes
import errno
import os
import pwd
import signal
import socket
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass

from .live_afpacket import open_socket

__all__ = ["Account", "Opener", "PrivilegeError", "Separation", "choose_account", "drop", "proc_status", "separate"]

CAP_NET_ADMIN = 12
CAP_NET_RAW = 13
OPENER_CAPS = (1 << CAP_NET_ADMIN) | (1 << CAP_NET_RAW)
"""What the helper keeps: raw sockets, and SO_RCVBUFFORCE for a receive buffer above rmem_max."""

# prctl(2) options and the capset(2) ABI (linux/prctl.h, linux/capability.h).
PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_SET_KEEPCAPS = 8
PR_CAPBSET_DROP = 24
PR_SET_NO_NEW_PRIVS = 38
PR_CAP_AMBIENT = 47
PR_CAP_AMBIENT_CLEAR_ALL = 4
_CAP_VERSION_3 = 0x20080522

REFUSAL = (
    "refusing to decode captured frames as root (they come from the cable and may be crafted): run v2gsniff "
    "through sudo to decode as the user who called it, or name an unprivileged user with --user NAME, "
    "or pass --allow-root to accept the risk"
)


class PrivilegeError(Exception):
    """Privileges cannot be separated or dropped; ``str()`` is one sentence for the user."""


@dataclass(frozen=True, slots=True)
class Account:
    """The unprivileged user everything but the socket opener runs as."""

    uid: int
    gid: int
    groups: tuple[int, ...]
    """Supplementary groups (the user's own, as login gives them)."""
    name: str


def proc_status(pid: int | str = "self") -> dict[str, str]:
    """``/proc/<pid>/status`` as a mapping (``Uid``, ``Gid``, ``CapEff`` ...)."""
    out: dict[str, str] = {}
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            key, _, value = line.partition(":")
            out[key] = value.strip()
    return out


def _held_caps() -> int:
    st = proc_status()
    return int(st.get("CapPrm", "0"), 16) | int(st.get("CapAmb", "0"), 16)


def _account_of(pw: pwd.struct_passwd, gid: int | None = None) -> Account:
    gid = pw.pw_gid if gid is None else gid
    try:
        groups = tuple(os.getgrouplist(pw.pw_name, gid))
    except OSError:
        groups = (gid,)
    return Account(pw.pw_uid, gid, groups, pw.pw_name)


def choose_account(user: str | None, allow_root: bool, env: Mapping[str, str] = os.environ) -> Account | None:
    """Who to run as; ``None`` when there is nothing to drop (or root was explicitly allowed).

    Raises :class:`PrivilegeError` for an unknown user, ``--user`` without root, and root with
    nobody to become (unless ``allow_root``).
    """
    euid = os.geteuid()
    if user is not None:
        try:
            pw = pwd.getpwuid(int(user)) if user.isdigit() else pwd.getpwnam(user)
        except KeyError:
            raise PrivilegeError(f"there is no user {user!r} on this system") from None
        if euid != 0 and pw.pw_uid != euid:
            raise PrivilegeError(f"--user {user} needs v2gsniff to be started as root")
        if pw.pw_uid == 0:
            raise PrivilegeError(f"--user {user} is root; name an unprivileged user")
        return _account_of(pw)
    if euid != 0:
        if _held_caps():
            return _account_of(pwd.getpwuid(euid), os.getegid())
        return None
    sudo_uid = env.get("SUDO_UID", "")
    if sudo_uid.isdigit() and int(sudo_uid) != 0:
        uid = int(sudo_uid)
        sudo_gid = env.get("SUDO_GID", "")
        try:
            pw = pwd.getpwuid(uid)
        except KeyError:
            gid = int(sudo_gid) if sudo_gid.isdigit() else uid
            return Account(uid, gid, (gid,), str(uid))
        return _account_of(pw, int(sudo_gid) if sudo_gid.isdigit() else None)
    if allow_root:
        return None
    raise PrivilegeError(REFUSAL)


# -- system calls Python does not wrap ------------------------------------------------------

_libc: ctypes.CDLL | None = None


def _c() -> ctypes.CDLL:
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
    return _libc


def _prctl(option: int, arg: int = 0) -> None:
    if _c().prctl(option, ctypes.c_ulong(arg), ctypes.c_ulong(0), ctypes.c_ulong(0), ctypes.c_ulong(0)) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"prctl({option}): {os.strerror(err)}")


def _capset(effective: int, permitted: int) -> None:
    """Set this thread's effective and permitted sets (inheritable: none)."""
    header = (ctypes.c_uint32 * 2)(_CAP_VERSION_3, 0)
    data = (ctypes.c_uint32 * 6)(effective & 0xFFFFFFFF, permitted & 0xFFFFFFFF, 0,
                                 effective >> 32, permitted >> 32, 0)
    if _c().capset(header, data) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"capset: {os.strerror(err)}")


def _last_cap() -> int:
    try:
        with open("/proc/sys/kernel/cap_last_cap") as fh:
            return int(fh.read())
    except (OSError, ValueError):
        return 40


def _become(account: Account, keep: int) -> None:
    """Switch uid/gid to ``account`` keeping only those capabilities of ``keep`` it holds now."""
    keep &= int(proc_status().get("CapPrm", "0"), 16)  # a setcap'd interpreter may hold fewer
    if keep:
        _prctl(PR_SET_KEEPCAPS, 1)
        for cap in range(_last_cap() + 1):
            if not keep >> cap & 1:
                try:
                    _prctl(PR_CAPBSET_DROP, cap)
                except OSError:
                    break  # no CAP_SETPCAP (a setcap'd interpreter): no new privileges covers exec
    if os.getuid() == 0 or os.geteuid() == 0:
        os.setgroups(list(account.groups) if not keep else [])
        os.setresgid(account.gid, account.gid, account.gid)
        os.setresuid(account.uid, account.uid, account.uid)
    _capset(keep, keep)
    _prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL)


def _check(account: Account, caps: int) -> None:
    st = proc_status()
    uids = {int(v) for v in st["Uid"].split()}
    gids = {int(v) for v in st["Gid"].split()}
    held = {k: int(st.get(k, "0"), 16) for k in ("CapEff", "CapPrm", "CapInh", "CapAmb")}
    if uids != {account.uid} or gids != {account.gid} or any(v & ~caps for v in held.values()):
        raise PrivilegeError(f"dropping privileges did not take effect (Uid {st['Uid']}, Gid {st['Gid']}, "
                             f"CapEff {st.get('CapEff')})")
    if account.uid != 0:
        try:
            os.setuid(0)
        except PermissionError:
            return
        raise PrivilegeError("dropping privileges did not take effect (root could be regained)")


def drop(account: Account) -> None:
    """Become ``account`` for good with no capabilities; verified in /proc/self/status.

    The bounding set is left as it is: without capabilities it only limits what executing a
    program with file capabilities gives, and Wireshark's dumpcap (``--backend dumpcap``) is one.
    """
    try:
        _become(account, 0)
    except OSError as err:
        raise PrivilegeError(f"cannot become user {account.name}: {err.strerror or err}") from err
    _check(account, 0)


# -- the socket opener ----------------------------------------------------------------------


class Opener:
    """Client end of the privileged helper; calling it returns a new bound AF_PACKET socket.

    ``pid`` is the helper's process id. Safe to call from any thread; :meth:`close` ends the
    helper (closing the socketpair is enough: it exits when it reads end of file).
    """

    def __init__(self, interface: str, snaplen: int, account: Account) -> None:
        parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        pid = os.fork()
        if pid == 0:  # the helper: never returns into the caller's code
            code = 1
            try:
                parent.close()
                code = _serve(child.detach(), interface, snaplen, account)
            finally:
                os._exit(code)
        child.close()
        self.pid = pid
        self._sock = parent
        self._lock = threading.Lock()
        self._closed = False
        try:
            ready = parent.recv(512)
        except OSError as err:
            ready = f"F {err.strerror or err}".encode()
        if ready != b"ready":
            self.close()
            why = ready[2:].decode(errors="replace") if ready.startswith(b"F ") else "it exited at once"
            raise PrivilegeError(f"the privileged capture helper could not start: {why}")

    def __call__(self) -> socket.socket:
        with self._lock:
            if self._closed:
                raise OSError(errno.EBADF, "the capture helper was closed")
            self._sock.sendall(b"o")
            msg, fds, _flags, _addr = socket.recv_fds(self._sock, 512, 1)
        if msg == b"ok" and len(fds) == 1:
            return socket.socket(fileno=fds[0])
        for fd in fds:
            os.close(fd)
        if not msg:
            raise OSError(errno.EPIPE, "the privileged capture helper has exited")
        kind, _, text = msg.decode(errors="replace").partition(" ")
        if kind == "V":
            raise ValueError(text)
        number, _, text = text.partition(" ")
        raise OSError(int(number) if number.isdigit() else errno.EIO, text)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._sock.close()
        _reap(self.pid)


def _reap(pid: int, timeout: float = 2.0) -> None:
    for _ in range(int(timeout / 0.02)):
        try:
            done, _status = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            return
        if done:
            return
        time.sleep(0.02)
    try:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass


def _serve(fd: int, interface: str, snaplen: int, account: Account) -> int:
    """The helper's whole life (in the forked child)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the parent decides
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    for name in os.listdir("/proc/self/fd"):  # every file but the socket pair's end goes
        if int(name) != fd:
            try:
                os.close(int(name))
            except OSError:
                pass  # the listing's own descriptor, closed already
    sock = socket.socket(fileno=fd)
    try:
        _become(account, OPENER_CAPS)
        _check(account, OPENER_CAPS)
        _prctl(PR_SET_NO_NEW_PRIVS, 1)
        _prctl(PR_SET_DUMPABLE, 0)
        _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, PrivilegeError) as err:
        sock.send(f"F {getattr(err, 'strerror', None) or err}".encode())
        return 1
    sock.send(b"ready")
    while sock.recv(1):
        try:
            raw = open_socket(interface, snaplen)
        except OSError as err:
            sock.send(f"E {err.errno or errno.EIO} {err.strerror or err}".encode())
        except ValueError as err:
            sock.send(f"V {err}".encode())
        else:
            socket.send_fds(sock, [b"ok"], [raw.fileno()])
            raw.close()
    return 0


@dataclass
class Separation:
    """What :func:`separate` set up: the socket source for ``open_live`` and who runs the rest."""

    account: Account | None
    """The user the process now runs as, or ``None`` when nothing was dropped."""
    opener: Opener | None = None

    def close(self) -> None:
        if self.opener is not None:
            self.opener.close()


def separate(interface: str | None, *, user: str | None, allow_root: bool, snaplen: int = 65535) -> Separation:
    """Start the socket helper for ``interface`` (if any) and drop this process's privileges.

    Call it before any thread is started and before anything is read from the capture, key
    logs or files. Raises :class:`PrivilegeError` with one sentence.
    """
    account = choose_account(user, allow_root)
    if account is None:
        return Separation(None)
    if threading.active_count() > 1:  # capset(2) and fork(2) act on the calling thread alone
        raise PrivilegeError("privileges must be separated before any thread starts")
    opener = Opener(interface, snaplen, account) if interface is not None else None
    try:
        drop(account)
    except BaseException:
        if opener is not None:
            opener.close()
        raise
    return Separation(account, opener)
