"""``v2gsniff live`` started as root parses nothing as root: the processes, as /proc shows them.

The capture runs on a veth pair in namespaces the test creates (tests/sniffer/capture/test_live.py),
started as root with ``--user nobody``. Needs root and ``ip``; skipped with the reason otherwise.
"""

from __future__ import annotations

import errno
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.sniffer.capture.test_live import (
    CAPTURE,
    LIVE,
    LiveRun,
    Veth,
    _need_capture,
    _run,
    nobody_dir,
    nobody_ids,
    reachable_by_nobody,
)
from v2gsniff.sniffer.capture import open_capture
from v2gsniff.sniffer.capture.privsep import REFUSAL, PrivilegeError, choose_account
from v2gsniff.sniffer.model import DecryptionSecrets, RawFrame

NET_ADMIN_AND_RAW = (1 << 12) | (1 << 13)
KEYLOG_LINE = "CLIENT_RANDOM " + "ab" * 32 + " " + "cd" * 48 + "\n"


def _status(pid: int) -> dict[str, str]:
    out = {}
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            key, _, value = line.partition(":")
            out[key] = value.strip()
    return out


def _children(pid: int) -> list[int]:
    kids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    stat = fh.read()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                kids.append(int(entry))
    return kids


def _tool_processes(root: int) -> dict[int, int]:
    """pid -> parent pid of every process under ``root`` (itself included)."""
    tree, todo = {root: 0}, [root]
    while todo:
        pid = todo.pop()
        for kid in _children(pid):
            tree[kid] = pid
            todo.append(kid)
    return tree


def _caps(st: dict[str, str], key: str) -> int:
    return int(st[key], 16)


def _assert_separated(main: int) -> None:
    uid, gid = nobody_ids()
    tree = _tool_processes(main)
    assert len(tree) == 2, f"expected the decoder and its socket helper, found {tree}"
    (opener,) = (pid for pid, parent in tree.items() if parent == main)

    st = _status(main)  # the process that parses frames
    assert [int(v) for v in st["Uid"].split()] == [uid] * 4
    assert [int(v) for v in st["Gid"].split()] == [gid] * 4
    assert {int(g) for g in st["Groups"].split()} <= set(os.getgrouplist("nobody", gid))
    for key in ("CapEff", "CapPrm", "CapInh", "CapAmb"):
        assert _caps(st, key) == 0, (key, st[key])

    st = _status(opener)  # the only one with a privilege left: opening raw sockets
    assert [int(v) for v in st["Uid"].split()] == [uid] * 4
    assert [int(v) for v in st["Gid"].split()] == [gid] * 4
    assert st["Groups"] == ""
    assert _caps(st, "CapEff") == _caps(st, "CapPrm") == _caps(st, "CapBnd") == NET_ADMIN_AND_RAW
    assert _caps(st, "CapInh") == _caps(st, "CapAmb") == 0
    assert st["NoNewPrivs"] == "1"
    fds = os.listdir(f"/proc/{opener}/fd")
    targets = [os.readlink(f"/proc/{opener}/fd/{fd}") for fd in fds]
    assert len(targets) == 1 and targets[0].startswith("socket:"), targets  # its socketpair end only


def test_live_as_root_decodes_as_nobody_and_only_the_socket_helper_keeps_a_privilege(
        veth: Veth, tmp_path: Path, live_runs: list[LiveRun]) -> None:
    _need_capture()
    run = LiveRun(veth, tmp_path, "--no-tui", "--format", "jsonl", "--write", "out.pcapng", "--embed-keys",
                  "--keylog", "keys.log")
    live_runs.append(run)
    (run.workdir / "keys.log").write_text(KEYLOG_LINE)
    first = veth.send(CAPTURE, 0)
    run.wait_lines(800)
    _assert_separated(run.proc.pid)

    # The device vanishes and comes back: the helper opens the new socket, the decoder goes on.
    _run("ip", "-n", veth.ev, "link", "del", "ev0")
    run.wait_for("waiting for it to come back")
    veth.add_link()
    run.wait_for("se0 is up again")
    second = veth.send(CAPTURE, 0)
    run.wait_lines(1600)
    _assert_separated(run.proc.pid)
    assert run.stop() == 0, run.stderr()

    out = run.workdir / "out.pcapng"
    st = out.stat()
    assert (st.st_uid, st.st_gid) == nobody_ids() and st.st_mode & 0o777 == 0o600
    items = list(open_capture(out))
    assert sum(isinstance(i, RawFrame) for i in items) == first + second  # nothing lost
    assert [i.data for i in items if isinstance(i, DecryptionSecrets)] == [KEYLOG_LINE.encode()]


def test_root_without_a_user_to_become_is_refused() -> None:
    if os.geteuid() != 0:
        pytest.skip("the refusal is for root")
    env = {k: v for k, v in os.environ.items() if k not in ("SUDO_UID", "SUDO_GID")}
    done = subprocess.run([sys.executable, "-c", LIVE, "-", "--no-tui"], input=b"", capture_output=True, env=env,
                          timeout=60)
    assert done.returncode == 2
    assert done.stderr.decode().strip() == f"v2gsniff: {REFUSAL}"
    assert done.stdout == b""


def test_sudo_caller_is_who_decodes_and_owns_the_recording(tmp_path: Path) -> None:
    """Through sudo (SUDO_UID/SUDO_GID) the capture is decoded as the caller, whose file it writes."""
    if os.geteuid() != 0:
        pytest.skip("needs root")
    _need_capture()
    uid, gid = nobody_ids()
    work = nobody_dir()
    try:
        env = {**os.environ, "SUDO_UID": str(uid), "SUDO_GID": str(gid)}
        root_only = work / "root.keys"
        root_only.write_text(KEYLOG_LINE)
        root_only.chmod(0o600)
        cmd = reachable_by_nobody([sys.executable, "-c", LIVE, "-", "--no-tui", "--format", "jsonl",
                                   "--write", "rec.pcapng", "--keylog", "root.keys"], tmp_path / "stash")
        with open(CAPTURE, "rb") as stdin:
            done = subprocess.run(cmd, stdin=stdin, capture_output=True, env=env, cwd=work, timeout=120)
        assert done.returncode == 0, done.stderr.decode()
        err = done.stderr.decode()
        records = [line for line in done.stdout.splitlines() if b'"kind":"finding"' not in line]
        assert len(records) == 908 and "1427 frames, 908 records" in err
        assert "cannot read key log root.keys as nobody; TLS stays encrypted until it can" in err
        st = (work / "rec.pcapng").stat()
        assert (st.st_uid, st.st_gid) == (uid, gid)
        assert st.st_mode & 0o777 == 0o644 & ~_umask()  # no secrets in it: an ordinary file
    finally:
        import shutil

        shutil.rmtree(work, ignore_errors=True)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_choose_account() -> None:
    if os.geteuid() != 0:
        pytest.skip("the choices are root's")
    uid, gid = nobody_ids()
    with pytest.raises(PrivilegeError, match=r"^refusing to decode captured frames as root"):
        choose_account(None, False, {})
    assert choose_account(None, True, {}) is None  # --allow-root, nobody to become
    sudo = choose_account(None, True, {"SUDO_UID": str(uid), "SUDO_GID": str(gid)})
    assert sudo is not None and (sudo.uid, sudo.gid, sudo.name) == (uid, gid, "nobody")  # sudo wins over it
    named = choose_account("nobody", False, {"SUDO_UID": "1234"})
    assert named is not None and named.uid == uid  # --user wins over sudo
    with pytest.raises(PrivilegeError):
        choose_account(None, False, {"SUDO_UID": "0"})  # sudo run by root: still nobody to become
    with pytest.raises(PrivilegeError, match="no user 'no-such-user-x'"):
        choose_account("no-such-user-x", False, {})
    with pytest.raises(PrivilegeError, match="is root"):
        choose_account("root", False, {})


OPENER_SCRIPT = r"""
import errno, os, sys
from v2gsniff.sniffer.capture.privsep import Account, Opener
opener = Opener("no-such-if0", 65535, Account(65534, 65534, (), "nobody"))
try:
    opener()
except OSError as err:
    print("errno", err.errno, err.strerror)
opener.close()
print("reaped", not os.path.exists(f"/proc/{opener.pid}"))
"""


def test_socket_helper_reports_errors_as_errno_and_ends_with_its_client() -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root")
    done = subprocess.run([sys.executable, "-c", OPENER_SCRIPT], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split()[:2] == ["errno", str(errno.ENODEV)]
    assert lines[1] == "reaped True"


def test_a_user_with_cap_net_raw_keeps_it_only_in_the_socket_helper(veth: Veth, tmp_path: Path) -> None:
    """Not root, but holding CAP_NET_RAW (as a setcap'd interpreter would): same uid, the helper
    keeps the capability, the decoder drops it."""
    _need_capture()
    if shutil.which("setpriv") is None:
        pytest.skip("setpriv (util-linux) is not installed")
    uid, gid = nobody_ids()
    cmd = ["setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups", "--inh-caps=+net_raw",
           "--ambient-caps=+net_raw", sys.executable, "-c", LIVE, "se0", "--no-tui", "--format", "jsonl"]
    err, out = tmp_path / "err", tmp_path / "out"
    with open(err, "wb") as err_fh, open(out, "wb") as out_fh:
        proc = subprocess.Popen(veth.in_se(*reachable_by_nobody(cmd, tmp_path / "stash")), stdout=out_fh,
                                stderr=err_fh, cwd="/")
    try:
        deadline = time.monotonic() + 20
        while "capturing on se0" not in err.read_text():
            assert proc.poll() is None and time.monotonic() < deadline, err.read_text()
            time.sleep(0.05)
        tree = _tool_processes(proc.pid)
        (opener,) = (pid for pid, parent in tree.items() if parent == proc.pid)
        main, helper = _status(proc.pid), _status(opener)
        assert [int(v) for v in main["Uid"].split()] == [uid] * 4 == [int(v) for v in helper["Uid"].split()]
        assert all(_caps(main, k) == 0 for k in ("CapEff", "CapPrm", "CapInh", "CapAmb"))
        assert _caps(helper, "CapEff") == _caps(helper, "CapPrm") == 1 << 13  # CAP_NET_RAW alone
        sent = veth.send(CAPTURE, 0)
        deadline = time.monotonic() + 30
        while len(out.read_bytes().splitlines()) < 800 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    assert f"{sent} frames" in err.read_text() and "0 dropped by the kernel" in err.read_text()


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return fh.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def test_the_terminal_ui_runs_as_nobody_too(veth: Veth, tmp_path: Path) -> None:
    """``live se0 --user nobody`` with its UI, in tmux: the UI (in the decoding process) shows every
    frame while /proc shows the same two processes as without it."""
    _need_capture()
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed")
    sock, session = str(tmp_path / "tmux.sock"), "live"
    cmd = veth.in_se(*reachable_by_nobody([sys.executable, "-c", LIVE, "se0", "--user", "nobody"],
                                          tmp_path / "stash"))
    line = " ".join(shlex.quote(c) for c in cmd) + "; echo EXIT=$?; sleep 60"

    def tmux(*args: str) -> str:
        return subprocess.run(["tmux", "-S", sock, *args], check=True, capture_output=True, text=True).stdout

    def wait_screen(text: str) -> str:
        deadline = time.monotonic() + 30
        shown = ""
        while text not in shown:
            assert time.monotonic() < deadline, f"{text!r} never appeared:\n{shown}"
            time.sleep(0.2)
            shown = tmux("capture-pane", "-p", "-t", session)
        return shown

    tmux("new-session", "-d", "-s", session, "-x", "160", "-y", "45", "-e", "TERM=xterm-256color", line)
    try:
        wait_screen("se0 (afpacket)")
        sent = veth.send(CAPTURE, 0)
        wait_screen(f"frames {sent}")
        pane = int(tmux("display-message", "-p", "-t", session, "#{pane_pid}"))
        pythons = {p for p in _tool_processes(pane) if "commands.live" in _cmdline(p)
                   and _status(p)["Name"].startswith("python")}
        (main,) = [p for p in pythons if int(_status(p)["PPid"]) not in pythons]  # the helper's parent
        _assert_separated(main)
        tmux("send-keys", "-t", session, "q")
        assert "EXIT=0" in wait_screen("EXIT=")
    finally:
        subprocess.run(["tmux", "-S", sock, "kill-server"], capture_output=True)
