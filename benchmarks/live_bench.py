"""Live path throughput and latency: ``v2gsniff live IFACE`` on a veth pair, without and with its UI.

    sudo python benchmarks/live_bench.py [--seconds 3] [--rates 1000,2000] [--tui-rates 4000,8000]
                                         [--tui-load-latency 16000,20000]

(an empty list skips that part, e.g. ``--capture-rates= --rates= --session-rates=`` runs only the UI).

Makes two network namespaces joined by a veth pair (removed at the end), runs the live
command on one end with output to /dev/null, and sends from the other end with an AF_PACKET
socket at fixed rates:

1. ``small``: HomePlug SLAC frames and IPv6 SDP/ICMPv6 frames (what a charger's PLC interface
   carries outside the V2G conversation) -- frames/s captured and decoded with no kernel drops;
2. ``session``: the frames of a real charging session (../shared), each pass a new TCP
   connection, so every EXI message is decoded -- the decoder's own speed sets this ceiling;
3. latency: 200 SLAC frames at 50/s; the time from ``send`` to the record's line on stdout;
4. ``tui``: the real ``v2gsniff live se0`` with its terminal UI, in a detached tmux session of
   160x50 (on a tmux server of its own, killed at the end): the ``session`` frames at fixed rates,
   then, 1 s after the last one, the UI's status bar (frames, messages, errors, drops) as tmux
   holds it -- the frames counted there have been decoded and their messages handed to the UI --
   and the CPU time the UI process spent until then (main thread: Textual; other threads:
   mostly the capture and decode worker), with the sender's (2 cores: they compete);
5. UI latency: single SLAC frames; the time from ``send`` until tmux's copy of the screen has
   the frame's row (found by its frame number), polled with ``tmux capture-pane``;
6. UI latency under load (``--tui-load-latency 16000,20000``, default 20000 frames/s, for
   ``--tui-load-seconds``, 10 s, each): the ``session`` frames at that rate to a new UI while a
   thread polls the upper part of the screen every 5 ms (through one tmux control-mode client;
   the CPU time this costs is reported with the UI's); the sender notes a marker frame about
   every 0.25 s (its number and send time), and a marker's latency lasts until the screen first
   shows a row of that frame or a later one. The UI's count and drops 1 s after the end are
   reported too (a dropped frame would shift the frame numbers).
"""

from __future__ import annotations

import argparse
import os
import pickle
import random
import re
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CAPTURE = ROOT.parent / "shared" / "captures" / "real" / "ccs32__2023-04-05_wt32_alpi_first_charge.pcapng"
LIVE = "from v2gsniff.sniffer.commands.live import live; live(prog_name='v2gsniff live')"
# Capture only (no decoding): LiveCapture counting frames until SIGINT.
COUNT = r"""
import sys
from v2gsniff.sniffer.capture.live import LinkEvent, open_live
cap = open_live("se0", backend="afpacket")
print("capturing on se0", file=sys.stderr, flush=True)
n = 0
for item in cap:
    if not isinstance(item, LinkEvent):
        n += 1
print(f"x {n} frames, 0 records, {cap.dropped} dropped", file=sys.stderr)
"""

SENDER = r"""
import socket, sys, time, pickle, random
frames = pickle.load(open(sys.argv[2], "rb"))
rate, seconds = float(sys.argv[3]), float(sys.argv[4])
# Markers (a paced run): about every ``marker`` seconds, at a random phase so that they do not
# lock onto the UI's coalescing windows, the number of the frame just sent and when.
marker = float(sys.argv[5]) if len(sys.argv) > 5 else 0.0
marks, next_mark = [], int(rate * marker * random.uniform(0.5, 1.5)) if marker else -1
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 8 << 20)
s.bind((sys.argv[1], 0))
total = int(rate * seconds) if seconds else len(frames)
start, sent, n = time.monotonic(), [], len(frames)
stamps = seconds == 0
for i in range(total):
    due = start + i / rate
    while True:
        now = time.monotonic()
        if now >= due:
            break
        if due - now > 0.001:
            time.sleep(due - now - 0.0005)
    s.send(frames[i % n])
    if stamps:
        sent.append(time.monotonic())
    elif i == next_mark:
        marks.append(f"{i + 1}:{time.monotonic():.6f}")
        next_mark += max(1, int(rate * marker * random.uniform(0.8, 1.2)))
print(total, time.monotonic() - start)
if stamps:
    print(" ".join(f"{t:.6f}" for t in sent))
if marker:
    print(" ".join(marks))
"""


TUI_COLS, TUI_ROWS = 160, 50
# The counters of the UI's status bar (tui/widgets/status_bar.py: status_text).
STATUS = re.compile(r"frames (\d+)  messages \d+/(\d+)  errors (\d+)  gaps (\d+)(?: \(\d+ B lost\))?  drops (\d+)")
EXITED = re.compile(r"EXIT=(\d+)")
# A message-list row of a SLAC_PARM.REQ: frame number, time, direction, kind, name.
SLAC_ROW = re.compile(r"(?<!\d)(\d+) +\d+\.\d{3} +\S+ +homeplug +CM_SLAC_PARM\.REQ")
# Any message-list row (tui/render.py: row_cells): frame, time, a 5-wide direction, kind.
ROW = re.compile(r"(?<![\d.])(\d+) +-?\d+\.\d{3} (?:EV→SE|SE→EV| {5}) [a-z]")


def sh(*cmd: str) -> None:
    subprocess.run(cmd, check=True, capture_output=True)


def link_up(ns: str, dev: str) -> bool:
    out = subprocess.run(["ip", "-n", ns, "-o", "link", "show", dev], capture_output=True, text=True).stdout
    return "state UP" in out


def slac_frame(i: int) -> bytes:
    run_id = i.to_bytes(8, "big")
    return bytes.fromhex("ffffffffffff020000000001" "88e1" "01" "6460" "0000" "00" "00") + b"\x00\x00" + run_id + b"\0" * 20


def small_frames() -> list[bytes]:
    frames = [slac_frame(i) for i in range(100)]
    mac = bytes.fromhex("333300000001020000000001") + b"\x86\xdd"
    src = bytes.fromhex("fe800000000000000000000000000001")
    dst = bytes.fromhex("ff020000000000000000000000000001")
    sdp = bytes.fromhex("01fe9000000000021000")
    udp = (50000).to_bytes(2, "big") + (15118).to_bytes(2, "big") + (8 + len(sdp)).to_bytes(2, "big") + b"\0\0" + sdp
    ip = bytes.fromhex("60000000") + len(udp).to_bytes(2, "big") + b"\x11\xff" + src + dst
    frames += [mac + ip + udp] * 50
    icmp = bytes.fromhex("87000000") + b"\0" * 4 + src
    ip = bytes.fromhex("60000000") + len(icmp).to_bytes(2, "big") + b"\x3a\xff" + src + dst
    frames += [mac + ip + icmp] * 50
    return frames


def session_frames(copies: int = 40) -> list[bytes]:
    """The real session's IPv6/HomePlug frames, repeated; each copy's EV port differs (a new TCP connection)."""
    sys.path.insert(0, str(ROOT))
    from v2gsniff.sniffer.capture import open_capture
    from v2gsniff.sniffer.model import RawFrame

    base = [f.data for f in open_capture(CAPTURE) if isinstance(f, RawFrame) and f.data[12:14] in (b"\x88\xe1", b"\x86\xdd")]
    out = []
    for k in range(copies):
        for data in base:
            if data[12:14] == b"\x86\xdd" and data[20] == 6:
                ports = [int.from_bytes(data[54 + j:56 + j], "big") for j in (0, 2)]
                new = [p if p < 49152 else 49152 + (p - 49152 + 97 * k) % 16000 for p in ports]
                data = data[:54] + new[0].to_bytes(2, "big") + new[1].to_bytes(2, "big") + data[58:]
            out.append(data)
    return out


class Bench:
    def __init__(self) -> None:
        tag = uuid.uuid4().hex[:6]
        self.ev, self.se = f"v2gb-ev-{tag}", f"v2gb-se-{tag}"
        # A tmux server of our own: killing it cannot touch anyone else's sessions.
        self.tmux_socket = f"/tmp/live_bench_{os.getpid()}_{tag}.tmux"
        self._sessions = 0

    def __enter__(self) -> Bench:
        for ns in (self.ev, self.se):
            sh("ip", "netns", "add", ns)
            sh("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1",
               "net.ipv6.conf.default.disable_ipv6=1")
        sh("ip", "-n", self.ev, "link", "add", "ev0", "type", "veth", "peer", "name", "se0", "netns", self.se)
        sh("ip", "-n", self.ev, "link", "set", "ev0", "up")
        sh("ip", "-n", self.se, "link", "set", "se0", "up")
        # The live command reports a link still coming up (and the UI lists it as two messages).
        deadline = time.monotonic() + 10
        while not (link_up(self.ev, "ev0") and link_up(self.se, "se0")):
            if time.monotonic() > deadline:
                raise RuntimeError("the veth pair did not come up")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        if shutil.which("tmux"):
            subprocess.run(["tmux", "-S", self.tmux_socket, "kill-server"], capture_output=True)
        if os.path.exists(self.tmux_socket):  # tmux leaves it behind
            os.unlink(self.tmux_socket)
        for ns in (self.ev, self.se):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)

    def start_live(self, stdout: int | None, capture_only: bool = False) -> subprocess.Popen[bytes]:
        args = ["-c", COUNT] if capture_only else ["-c", LIVE, "se0", "--allow-root", "--no-tui", "--format", "jsonl"]
        proc = subprocess.Popen(["ip", "netns", "exec", self.se, sys.executable, *args],
                                stdout=stdout, stderr=subprocess.PIPE)
        assert proc.stderr is not None
        line = proc.stderr.readline().decode()
        assert "capturing on" in line, line
        return proc

    def sender(self, frames_file: str, rate: float, seconds: float, marker: float = 0.0) -> list[str]:
        return ["ip", "netns", "exec", self.ev, sys.executable, "-c", SENDER, "ev0", frames_file, str(rate),
                str(seconds), str(marker)]

    def send(self, frames_file: str, rate: float, seconds: float, marker: float = 0.0) -> list[str]:
        out = subprocess.run(self.sender(frames_file, rate, seconds, marker), check=True, capture_output=True,
                             text=True)
        return out.stdout.splitlines()

    # -- the UI in tmux ----------------------------------------------------------------------

    def tmux(self, *args: str) -> str:
        return subprocess.run(["tmux", "-S", self.tmux_socket, *args], check=True, capture_output=True,
                              text=True).stdout

    def screen(self, session: str) -> str:
        return self.tmux("capture-pane", "-p", "-t", session)

    def wait_screen(self, session: str, pattern: re.Pattern[str], timeout: float = 30.0) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while True:
            shown = self.screen(session)
            found = pattern.search(shown)
            if found:
                return found
            if time.monotonic() > deadline:
                raise RuntimeError(f"{pattern.pattern!r} never appeared; the screen was:\n{shown}")
            time.sleep(0.05)

    def start_tui(self) -> str:
        """``v2gsniff live se0`` with its UI in a new detached tmux session; returns it once the status bar shows.

        The socket is open before the UI draws anything (``live`` opens it first), so frames sent
        from then on are all captured."""
        self._sessions += 1
        session = f"ui{self._sessions}"
        # COLUMNS/LINES from our environment would override the size the UI sees; the shell
        # outlives the UI so that its exit code (or traceback) stays readable on the pane.
        command = (f"ip netns exec {self.se} env -u COLUMNS -u LINES {shlex.quote(sys.executable)} "
                   f"-c {shlex.quote(LIVE)} se0 --allow-root; echo EXIT=$?; sleep 600")
        self.tmux("new-session", "-d", "-s", session, "-x", str(TUI_COLS), "-y", str(TUI_ROWS),
                  "-e", "TERM=xterm-256color", "-e", "COLORTERM=truecolor", command)
        # Without a client a session may keep tmux's default 80x24: fix the size by hand.
        self.tmux("set-option", "-t", session, "window-size", "manual")
        self.tmux("resize-window", "-t", session, "-x", str(TUI_COLS), "-y", str(TUI_ROWS))
        self.wait_screen(session, STATUS)
        return session

    def quit_tui(self, session: str) -> tuple[int, float]:
        """``q`` in the UI: its exit code and how long it took to exit."""
        t0 = time.monotonic()
        self.tmux("send-keys", "-t", session, "-l", "q")
        code = int(self.wait_screen(session, EXITED, timeout=120).group(1))
        return code, time.monotonic() - t0

    def ui_pid(self, session: str) -> int:
        """The UI's process: the pane's shell runs it as its child (``ip netns exec`` and ``env`` exec)."""
        shell = self.tmux("display-message", "-p", "-t", session, "#{pane_pid}").strip()
        children = subprocess.run(["pgrep", "-P", shell], capture_output=True, text=True).stdout.split()
        return int(children[0])

    def kill_session(self, session: str) -> None:
        subprocess.run(["tmux", "-S", self.tmux_socket, "kill-session", "-t", session], capture_output=True)


class PaneReader:
    """``capture-pane`` through one tmux control-mode client: polled every few ms under load, a
    tmux process per poll would take CPU from the UI being measured. The client is read-only and
    gets no output notifications (tmux 3.2+), and the window keeps its manual size."""

    def __init__(self, bench: Bench, session: str, lines: int = TUI_ROWS) -> None:
        self.session = session
        self.lines = lines
        self.proc = subprocess.Popen(["tmux", "-S", bench.tmux_socket, "-C", "attach", "-f", "no-output,read-only",
                                      "-t", session], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def capture(self) -> str:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(f"capture-pane -p -S 0 -E {self.lines - 1} -t {self.session}\n")
        self.proc.stdin.flush()
        lines: list[str] = []
        inside = ""
        for line in self.proc.stdout:
            if not inside:
                # Our commands' replies are flagged 1; the attach's own reply and notifications are skipped.
                if line.startswith("%begin ") and line.split()[3] == "1":
                    inside = line.split()[2]
            elif line.startswith(("%end ", "%error ")) and line.split()[2] == inside:
                return "".join(lines)
            else:
                lines.append(line)
        raise RuntimeError("the tmux control client ended")

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def stop(proc: subprocess.Popen[bytes]) -> str:
    proc.send_signal(2)
    _, err = proc.communicate(timeout=120)
    return err.decode()


def cpu_seconds(pid: int) -> tuple[float, float]:
    """CPU time (user + system) of ``pid``'s main thread and of its other threads together."""
    tick = os.sysconf("SC_CLK_TCK")
    main = rest = 0.0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the thread ended
        spent = (int(fields[11]) + int(fields[12])) / tick  # utime, stime
        if int(tid) == pid:
            main += spent
        else:
            rest += spent
    return main, rest


def dump(frames: list[bytes], label: str) -> str:
    """The frames in a file for the sender."""
    path = f"/tmp/live_bench_{os.getpid()}_{label}.pkl"
    with open(path, "wb") as fh:
        pickle.dump(frames, fh)
    return path


def throughput(bench: Bench, frames: list[bytes], rates: list[int], seconds: float, label: str,
               capture_only: bool = False) -> None:
    path = dump(frames, label)
    best = 0
    for rate in rates:
        proc = bench.start_live(subprocess.DEVNULL, capture_only)
        sent_line = bench.send(path, rate, seconds)[0].split()
        sent, took = int(sent_line[0]), float(sent_line[1])
        t0 = time.monotonic()
        time.sleep(1.0)  # what is still queued after this is a backlog the live path did not keep up with
        err = stop(proc)
        summary = [line for line in err.splitlines() if " frames, " in line][-1]
        words = summary.split()
        captured, dropped = int(words[1]), int(words[5])
        ok = captured == sent and dropped == 0
        best = rate if ok and took < seconds * 1.1 else best
        print(f"  {label:8s} offered {sent / took:9.0f} frames/s ({sent} in {took:.2f} s): captured {captured}, "
              f"kernel drops {dropped}, stop after {time.monotonic() - t0:.1f} s -> {'OK' if ok else 'LOSS'}")
    os.unlink(path)
    print(f"  {label}: highest rate with every frame captured and decoded: {best} frames/s")


def latency(bench: Bench, n: int = 200, rate: float = 50.0) -> None:
    import threading

    path = dump([slac_frame(i) for i in range(n)], "lat")
    proc = bench.start_live(subprocess.PIPE)
    arrivals: list[float] = []

    def read() -> None:
        assert proc.stdout is not None
        for _ in proc.stdout:
            arrivals.append(time.monotonic())

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    lines = bench.send(path, rate, 0)  # seconds=0: every frame once, with its send time (CLOCK_MONOTONIC)
    os.unlink(path)
    time.sleep(0.5)
    stop(proc)
    reader.join(timeout=5)
    sent = [float(t) for t in lines[1].split()]
    if len(arrivals) < n:
        print(f"  only {len(arrivals)} of {n} records arrived")
        return
    delays = sorted((a - t) * 1000 for a, t in zip(arrivals, sent, strict=False))
    print(f"  {n} frames at {rate:.0f}/s: median {statistics.median(delays):.2f} ms, "
          f"p99 {delays[int(n * 0.99) - 1]:.2f} ms, max {delays[-1]:.2f} ms")


def expected_messages(frames: list[bytes], n: int, rate: float) -> int:
    """Messages the decoder makes of the first ``n`` frames sent at ``rate``, offline: what the UI should count."""
    from v2gsniff.sniffer.model import LINKTYPE_ETHERNET, RawFrame
    from v2gsniff.sniffer.pipeline import Decoder

    decoder = Decoder()
    return sum(len(decoder.feed(RawFrame(i + 1, i / rate, LINKTYPE_ETHERNET, frames[i % len(frames)],
                                         len(frames[i % len(frames)]), 0))) for i in range(n))


def settle(bench: Bench, session: str, counted: int, limit: float = 15.0) -> str:
    """After a LOSS: the UI's count once it stops growing -- a backlog worked off late, or frames gone."""
    t0 = last_change = time.monotonic()  # about 1 s after the last frame was sent
    status = bench.wait_screen(session, STATUS)
    while time.monotonic() - t0 < limit and time.monotonic() - last_change < 1.5:
        time.sleep(0.25)
        status = bench.wait_screen(session, STATUS)
        if int(status.group(1)) != counted:
            counted, last_change = int(status.group(1)), time.monotonic()
    return f" (later: {counted} frames, drops {status.group(5)}, {last_change - t0 + 1:.1f} s after the last frame)"


def tui_throughput(bench: Bench, frames: list[bytes], rates: list[int], seconds: float) -> None:
    """Like throughput(), with the UI's status bar as the count: a new UI (and tmux session) per rate."""
    path = dump(frames, "tui")
    best = 0
    try:
        for rate in rates:
            session = bench.start_tui()
            try:
                pid, server = bench.ui_pid(session), int(bench.tmux("display-message", "-p", "#{pid}"))
                cpu0, tmux0 = cpu_seconds(pid), sum(cpu_seconds(server))
                children0 = resource.getrusage(resource.RUSAGE_CHILDREN)
                sent_line = bench.send(path, rate, seconds)[0].split()
                sent, took = int(sent_line[0]), float(sent_line[1])
                time.sleep(1.0)  # as in throughput(): what the UI has not shown by then it did not keep up with
                shown = bench.wait_screen(session, STATUS)
                cpu1, tmux1 = cpu_seconds(pid), sum(cpu_seconds(server))
                children1 = resource.getrusage(resource.RUSAGE_CHILDREN)
                counted, messages, errors, gaps, drops = (int(g) for g in shown.groups())
                later = settle(bench, session, counted) if counted < sent else ""
                code, quit_after = bench.quit_tui(session)
            finally:
                bench.kill_session(session)
            expected = expected_messages(frames, sent, rate)
            ok = counted == sent and drops == 0 and code == 0
            best = rate if ok and took < seconds * 1.1 else best
            print(f"  tui      offered {sent / took:9.0f} frames/s ({sent} in {took:.2f} s): UI counted {counted} "
                  f"frames, {messages} messages (offline decode: {expected}), {errors} errors, {gaps} gaps, "
                  f"drops {drops}{later}, quit after {quit_after:.1f} s (exit {code}) -> {'OK' if ok else 'LOSS'}")
            ui, worker = cpu1[0] - cpu0[0], cpu1[1] - cpu0[1]
            print(f"           UI process CPU until then: main thread {ui:.2f} s, other threads {worker:.2f} s "
                  f"({(ui + worker) / max(counted, 1) * 1e6:.1f} µs per frame counted; "
                  f"{(ui + worker) / (took + 1):.0%} of one core); the sender "
                  f"{children1.ru_utime + children1.ru_stime - children0.ru_utime - children0.ru_stime:.2f} s, "
                  f"tmux {tmux1 - tmux0:.2f} s")
    finally:
        os.unlink(path)
    print(f"  tui: highest rate with every frame counted by the UI and no drops: {best} frames/s")


def tui_latency(bench: Bench, n: int = 20) -> None:
    """One SLAC frame at a time, each sent while the pane is polled until the row with its frame number shows."""
    path = ""
    session = bench.start_tui()
    delays: list[float] = []
    polls: list[float] = []
    try:
        for k in range(1, n + 1):  # nothing else reaches se0, so the k-th frame sent is frame k
            path = dump([slac_frame(k)], "tuilat")
            sender = subprocess.Popen(bench.sender(path, 1, 0), stdout=subprocess.PIPE, text=True)
            deadline = time.monotonic() + 5.0
            while True:
                before = time.monotonic()
                shown = bench.screen(session)
                seen = time.monotonic()
                polls.append(seen - before)
                rows = {int(m.group(1)) for m in SLAC_ROW.finditer(shown)}
                if k in rows or seen > deadline:
                    break
                time.sleep(0.002)
            out, _ = sender.communicate(timeout=30)
            if k not in rows:
                status = STATUS.search(shown)
                print(f"  frame {k}: no row on screen after 5 s (status bar: {status.group(1) if status else '?'} "
                      f"frames; rows on screen: frames {min(rows, default=0)}-{max(rows, default=0)})")
                break
            delays.append((seen - float(out.splitlines()[1])) * 1000)
            time.sleep(random.uniform(0.05, 0.15))  # no fixed phase against the UI's 0.1 s batching
    finally:
        bench.kill_session(session)
        if path:
            os.unlink(path)
    if not delays:
        return
    delays.sort()
    print(f"  {len(delays)} frames, one at a time: min {delays[0]:.1f} ms, median {statistics.median(delays):.1f} ms, "
          f"p90 {delays[max(0, int(len(delays) * 0.9) - 1)]:.1f} ms, max {delays[-1]:.1f} ms "
          f"(upper bounds: screen polled every {statistics.median(polls) * 1000 + 2:.1f} ms)")


def tui_load_latency(bench: Bench, frames: list[bytes], rate: int, seconds: float, marker: float = 0.25,
                     poll: float = 0.005) -> None:
    """UI latency under load: the session frames at ``rate`` for ``seconds`` to a new UI, while a
    thread polls tmux's screen. The sender notes marker frames (about every ``marker`` s: the
    frame number, as nothing else reaches se0 the count sent so far, and its send time on
    CLOCK_MONOTONIC, which the poller reads too). A marker's latency runs until the first poll
    showing a message-list row of that frame or a later one: following, the list shows the
    newest rows, so the UI has appended everything up to the marker by then."""
    import threading

    path = dump(frames, "tuiload")
    session = bench.start_tui()
    # The message list lies in the upper 3/5 of the screen (the detail panes below): the rest is
    # not read, so that polling costs tmux and this process less of the CPU the UI needs.
    pane = PaneReader(bench, session, lines=TUI_ROWS * 3 // 5)
    polls: list[tuple[float, int]] = []  # (when the capture returned, highest frame among the rows)
    took_ms: list[float] = []
    poller_cpu: list[float] = []
    done = threading.Event()

    def watch() -> None:
        start = time.thread_time()
        while not done.is_set():
            before = time.monotonic()
            shown = pane.capture()
            seen = time.monotonic()
            took_ms.append((seen - before) * 1000)
            polls.append((seen, max((int(m.group(1)) for m in ROW.finditer(shown)), default=0)))
            time.sleep(poll)
        poller_cpu.append(time.thread_time() - start)

    poller = threading.Thread(target=watch, daemon=True)
    try:
        pid, server = bench.ui_pid(session), int(bench.tmux("display-message", "-p", "#{pid}"))
        cpu0, tmux0 = cpu_seconds(pid), sum(cpu_seconds(server))
        poller.start()
        lines = bench.send(path, rate, seconds, marker)
        time.sleep(1.0)  # as in tui_throughput(): the count the UI shows 1 s after the last frame
        done.set()
        poller.join(timeout=10)
        cpu1, tmux1 = cpu_seconds(pid), sum(cpu_seconds(server))
        counted, _, _, _, drops = (int(g) for g in bench.wait_screen(session, STATUS).groups())
        code, _ = bench.quit_tui(session)
    finally:
        done.set()
        pane.close()
        bench.kill_session(session)
        os.unlink(path)
    sent, took = int(lines[0].split()[0]), float(lines[0].split()[1])
    marks = [(int(k), float(t)) for k, t in (m.split(":") for m in (lines[1].split() if len(lines) > 1 else []))]
    delays, unseen = [], 0
    for k, t in marks:
        seen = next((when for when, top in polls if when > t and top >= k), None)
        if seen is None:
            unseen += 1
        else:
            delays.append((seen - t) * 1000)
    ok = counted == sent and drops == 0 and code == 0
    print(f"  {rate} frames/s offered {sent / took:.0f}/s ({sent} in {took:.2f} s): UI counted {counted} frames, "
          f"drops {drops}, exit {code} -> {'OK' if ok else 'LOSS'}")
    print(f"  UI process CPU: main thread {cpu1[0] - cpu0[0]:.2f} s, other threads {cpu1[1] - cpu0[1]:.2f} s; "
          f"polling: tmux {tmux1 - tmux0:.2f} s, this process {sum(poller_cpu):.2f} s")
    if not delays:
        print(f"  no marker's row was seen ({len(marks)} markers)")
        return
    delays.sort()
    print(f"  {len(delays)} markers{f' ({unseen} never seen)' if unseen else ''}: "
          f"median {statistics.median(delays):.1f} ms, p90 {delays[max(0, int(len(delays) * 0.9) - 1)]:.1f} ms, "
          f"max {delays[-1]:.1f} ms (upper bounds: screen polled every "
          f"{statistics.median(took_ms) + poll * 1000:.1f} ms, {len(polls)} polls)")


def rate_list(text: str) -> list[int]:
    return [int(r) for r in text.split(",") if r.strip()]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--capture-rates", default="20000,50000,100000")
    ap.add_argument("--rates", default="1000,2000,3000,4000")
    ap.add_argument("--session-rates", default="1000,2000,3000")
    ap.add_argument("--tui-rates", default="4000,8000,12000,16000", help="session frames/s for the UI in tmux")
    ap.add_argument("--tui-latency", type=int, default=20, help="frames timed to the UI's screen (0: none)")
    ap.add_argument("--tui-load-latency", default="20000",
                    help="session frames/s at which marker frames are timed to the UI's screen (empty: none)")
    ap.add_argument("--tui-load-seconds", type=float, default=10.0, help="how long each of those runs lasts")
    args = ap.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("needs root (network namespaces, veth, raw sockets)")
    with Bench() as bench:
        if rate_list(args.capture_rates):
            print("throughput, capture only (LiveCapture, AF_PACKET, no decoding):")
            throughput(bench, small_frames(), rate_list(args.capture_rates), args.seconds, "capture", capture_only=True)
        if rate_list(args.rates) or rate_list(args.session_rates):
            print("throughput (capture + decode + JSONL to /dev/null):")
        if rate_list(args.rates):
            throughput(bench, small_frames(), rate_list(args.rates), args.seconds, "small")
        if CAPTURE.exists() and rate_list(args.session_rates):
            throughput(bench, session_frames(), rate_list(args.session_rates), args.seconds, "session")
        if rate_list(args.rates) or rate_list(args.session_rates):
            print("latency (frame sent -> its JSONL line read from the pipe):")
            latency(bench)
        if not (rate_list(args.tui_rates) or args.tui_latency or rate_list(args.tui_load_latency)):
            return
        if shutil.which("tmux") is None:
            print("tui: skipped (tmux is not installed)")
            return
        if CAPTURE.exists() and rate_list(args.tui_rates):
            print(f"throughput with the terminal UI (v2gsniff live se0 in tmux {TUI_COLS}x{TUI_ROWS}, "
                  "status bar read 1 s after the last frame):")
            tui_throughput(bench, session_frames(), rate_list(args.tui_rates), args.seconds)
        if args.tui_latency:
            print("UI latency (frame sent -> its row in tmux's copy of the screen):")
            tui_latency(bench, args.tui_latency)
        if CAPTURE.exists() and rate_list(args.tui_load_latency):
            print("UI latency under load (marker frame sent -> a row of it or a later frame in tmux's copy of the "
                  "screen):")
            for rate in rate_list(args.tui_load_latency):
                tui_load_latency(bench, session_frames(), rate, args.tui_load_seconds)


if __name__ == "__main__":
    main()
