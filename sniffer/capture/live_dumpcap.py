"""Live capture backend: Wireshark's ``dumpcap`` writing pcapng to a pipe, read by our own parser.

For users without CAP_NET_RAW who are in the ``wireshark`` group (dumpcap carries the
capability). A thread parses the pipe so ``read`` can wait with a timeout like the
AF_PACKET backend. dumpcap keeps running across a link going down and up; if it exits
(the interface was removed), ``read`` raises an OSError with ENETDOWN and the capture
restarts it when the interface is back.
"""

from __future__ import annotations

import errno
import os
import queue
import shutil
import subprocess
import threading
import time
from typing import BinaryIO, cast

from v2gsniff.sniffer.model import RawFrame

from .errors import CaptureError
from .open import open_capture

# The same selection as the AF_PACKET filter, in libpcap syntax.
CAPTURE_FILTER = "ether proto 0x88e1 or ip6 or (vlan and (ether proto 0x88e1 or ip6))"
START_TIMEOUT = 5.0
_CHATTER = ("Capturing on", "File:", "Packets captured", "Packets received")
BATCH = 512

Captured = tuple[float, bytes, int]


def dumpcap_path() -> str | None:
    return shutil.which("dumpcap")


class DumpcapError(Exception):
    """dumpcap could not start capturing; ``str()`` is its own message."""


class DumpcapSource:
    name = "dumpcap"

    def __init__(self, interface: str, snaplen: int) -> None:
        exe = dumpcap_path()
        if exe is None:
            raise FileNotFoundError("dumpcap is not installed")
        self.interface = interface
        self._queue: queue.SimpleQueue[Captured | BaseException | bool | None] = queue.SimpleQueue()
        cmd = [exe, "-i", interface, "-w", "-", "-n", "-q", "-s", str(snaplen), "-f", CAPTURE_FILTER]
        self._proc = subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        self._stderr: list[str] = []
        self._started = threading.Event()
        threading.Thread(target=self._read_stderr, name="dumpcap-stderr", daemon=True).start()
        threading.Thread(target=self._read_frames, name="dumpcap-frames", daemon=True).start()
        deadline = time.monotonic() + START_TIMEOUT
        while not self._started.wait(0.05):
            if self._proc.poll() is not None or time.monotonic() > deadline:
                self._proc.kill()
                self._proc.wait()
                message = " ".join(line for line in self._stderr if not line.startswith(_CHATTER))
                raise DumpcapError(message.strip() or f"dumpcap exited with status {self._proc.returncode}")
        # It says "Capturing on" before some failures (device not up): give it a moment to fail.
        try:
            self._proc.wait(timeout=0.3)
        except subprocess.TimeoutExpired:
            return
        time.sleep(0.05)  # let the stderr thread collect the message
        message = " ".join(line for line in self._stderr if not line.startswith(_CHATTER))
        self.close()
        raise DumpcapError(message.strip() or f"dumpcap exited with status {self._proc.returncode}")

    def _read_stderr(self) -> None:
        assert self._proc.stderr is not None
        for raw in self._proc.stderr:
            line = raw.decode("utf-8", "replace").strip()
            if line.startswith("Capturing on"):
                self._started.set()
            if line:
                self._stderr.append(line)

    def _read_frames(self) -> None:
        assert self._proc.stdout is not None
        try:
            with open_capture("-", stdin=cast(BinaryIO, self._proc.stdout)) as reader:
                self._started.set()
                for item in reader:
                    if isinstance(item, RawFrame):
                        self._queue.put((item.time, item.data, item.orig_len))
        except (CaptureError, OSError, ValueError) as err:
            self._queue.put(err)
        self._queue.put(None)

    def read(self, timeout: float) -> list[Captured]:
        out: list[Captured] = []
        try:
            item = self._queue.get(timeout=max(timeout, 0.0)) if timeout > 0 else self._queue.get_nowait()
        except queue.Empty:
            return out
        while True:
            if item is False:  # wake(): return to the caller, who checks for stop
                return out
            if item is None or isinstance(item, BaseException):
                if out:
                    self._queue.put(item)  # report the end after the frames before it
                    return out
                self._queue.put(None)
                self._proc.poll()
                said = [line for line in self._stderr if not line.startswith(_CHATTER)]
                detail = " ".join(said[-2:]) or "dumpcap stopped"
                raise OSError(errno.ENETDOWN, detail)
            assert isinstance(item, tuple)
            out.append(item)
            if len(out) >= BATCH:
                return out
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return out

    def drops(self) -> int:
        return 0

    def wake(self) -> None:
        self._queue.put(False)

    def close(self) -> None:
        if self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        for f in (self._proc.stdout, self._proc.stderr):
            if f is not None:
                try:
                    f.close()
                except OSError:
                    pass


def can_run_dumpcap() -> bool:
    exe = dumpcap_path()
    return exe is not None and os.access(exe, os.X_OK)
