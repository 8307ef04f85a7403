"""The real UI in a real terminal: ``v2gsniff open`` in tmux at a fixed size, keys typed, screen read."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.tui.pilot import DIN, real

V2GSNIFF = Path(sys.executable).with_name("v2gsniff")
KONA = "everest-logfiles__Hyundai_Kona_2017_din_spec_70121_kona1.dump"


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], check=True, capture_output=True, text=True).stdout


def screen(session: str) -> str:
    return tmux("capture-pane", "-p", "-t", session)


def wait_for(session: str, *texts: str, timeout: float = 20.0) -> str:
    """The screen once it shows every one of ``texts``."""
    deadline = time.monotonic() + timeout
    shown = ""
    while time.monotonic() < deadline:
        shown = screen(session)
        if all(text in shown for text in texts):
            return shown
        time.sleep(0.2)
    raise AssertionError(f"{texts!r} never all appeared; the screen was:\n{shown}")


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_open_in_tmux_like_a_person() -> None:
    capture = real(DIN)
    if not V2GSNIFF.exists():
        pytest.skip(f"{V2GSNIFF} is not installed (pip install -e .)")
    session = f"v2gsniff-test-{uuid.uuid4().hex[:8]}"
    env = {"TERM": "xterm-256color", "COLORTERM": "truecolor"}
    # COLUMNS/LINES from the test runner would override the terminal size the program sees.
    command = f"env -u COLUMNS -u LINES {V2GSNIFF} open {capture}; echo EXIT=$?; sleep 30"
    tmux("new-session", "-d", "-s", session, "-x", "160", "-y", "50",
         *[a for k, v in env.items() for a in ("-e", f"{k}={v}")], command)
    # Without a client a session may keep tmux's default 80x24: fix the size by hand.
    tmux("set-option", "-t", session, "window-size", "manual")
    tmux("resize-window", "-t", session, "-x", "160", "-y", "50")
    try:
        # the status bar can repaint before the panes on a loaded machine (as below)
        wait_for(session, "done", "Sessions", "Messages", "#1 DIN", "✓ SupportedAppProtocol", "CM_SLAC_PARM.REQ")
        tmux("send-keys", "-t", session, "/")
        time.sleep(0.5)  # a person looks at the filter bar before typing (focus moves asynchronously)
        tmux("send-keys", "-t", session, "-l", "name ~ CurrentDemandRes")
        wait_for(session, "Enter applies")
        tmux("send-keys", "-t", session, "Enter")
        wait_for(session, "messages 9/321")
        # The status bar can repaint before the list and detail panes on a loaded machine.
        shown = wait_for(session, "EVSEPresentVoltage")
        assert "CurrentDemandRes" in shown and "messages 9/321" in shown
        tmux("send-keys", "-t", session, "-l", "/")
        time.sleep(0.5)
        tmux("send-keys", "-t", session, "-l", " and")
        shown = wait_for(session, "ends too early")
        tmux("send-keys", "-t", session, "Escape")
        time.sleep(0.5)
        tmux("send-keys", "-t", session, "-l", "?")
        wait_for(session, "Maximise / restore the focused pane")
        tmux("send-keys", "-t", session, "PageDown")  # the help is longer than the screen
        wait_for(session, "Filter syntax")
        wait_for(session, "session == 2")  # the filter syntax itself, below its heading
        tmux("send-keys", "-t", session, "Escape")
        time.sleep(0.5)
        tmux("send-keys", "-t", session, "-l", "q")
        wait_for(session, "EXIT=0")
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
    assert os.environ.get("TMUX_TEST_NEVER_SET") is None


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_live_stdin_in_tmux_takes_keys_from_the_terminal_while_frames_come_on_stdin() -> None:
    """``tcpdump -w - | v2gsniff live -`` in a terminal: the capture stream is standard input, so the
    UI reads its keys from /dev/tty. The pipe stays open (the writer sleeps after the capture), and
    the keys still work: a filter is applied, and ``q`` ends ``live`` with status 0 at once."""
    capture = real(KONA)  # 2,228 frames: enough to keep the UI busy (a slow consumer once crashed the feed)
    if not V2GSNIFF.exists():
        pytest.skip(f"{V2GSNIFF} is not installed (pip install -e .)")
    session = f"v2gsniff-test-{uuid.uuid4().hex[:8]}"
    # The status is printed by the reader's side of the pipe: the shell would wait for the writer's sleep.
    command = (f"(cat {capture}; sleep 60) | (env -u COLUMNS -u LINES {V2GSNIFF} live - --allow-root; "
               "echo EXIT=$?; sleep 30)")
    tmux("new-session", "-d", "-s", session, "-x", "160", "-y", "50", "-e", "TERM=xterm-256color", command)
    tmux("set-option", "-t", session, "window-size", "manual")
    tmux("resize-window", "-t", session, "-x", "160", "-y", "50")
    try:
        shown = wait_for(session, "messages 1147/1147")
        assert "stdin" in shown and "reading…" in shown and "Traceback" not in shown  # the pipe is still open
        tmux("send-keys", "-t", session, "/")
        time.sleep(0.5)
        tmux("send-keys", "-t", session, "-l", "name ~ SessionStop")
        tmux("send-keys", "-t", session, "Enter")
        wait_for(session, "messages 2/1147")
        wait_for(session, "SessionStopRes")  # the list may repaint after the status bar
        tmux("send-keys", "-t", session, "-l", "q")
        wait_for(session, "EXIT=0", timeout=10)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
