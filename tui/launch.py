"""Entry points (group ``v2gsniff.ui``): ``run_open`` for files, ``run_live`` for ``v2gsniff live``."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from typing import Any

from v2gsniff.sniffer.capture import CaptureError, open_capture
from v2gsniff.sniffer.commands.exits import EXIT_USAGE, exit_code_for
from v2gsniff.sniffer.engine import capture_items
from v2gsniff.sniffer.setup import AnalysisSetup
from v2gsniff.sniffer.streams.tls import KeyLog


def _spool_stdin() -> str | None:
    """Piped input: copy it to a temporary file, then give the UI the terminal as its stdin."""
    import tempfile

    with tempfile.NamedTemporaryFile(prefix="v2gsniff-stdin-", suffix=".pcap", delete=False) as fh:
        while chunk := sys.stdin.buffer.read(1 << 20):
            fh.write(chunk)
    try:
        tty = os.open("/dev/tty", os.O_RDONLY)
    except OSError as err:
        sys.stderr.write(f"v2gsniff: the UI needs a terminal to read keys from: {err.strerror}\n")
        os.unlink(fh.name)
        return None
    os.dup2(tty, 0)
    os.close(tty)
    return fh.name


def _keylog(paths: Iterable[str]) -> KeyLog | None:
    keylog = KeyLog()
    for path in paths:
        try:
            keylog.add_file(path)
        except OSError as err:
            sys.stderr.write(f"v2gsniff: cannot read key log {path}: {err.strerror or err}\n")
            return None
    return keylog


def run_open(paths: list[str], keylog_paths: list[str], setup: AnalysisSetup | None = None) -> int:
    """Show captures in the UI; returns the exit code (``decode``'s codes for unreadable files).
    ``setup``: --trust/--oem-key."""
    spooled: str | None = None
    names = ["stdin" if p == "-" else os.path.basename(p) for p in paths]
    if "-" in paths:
        spooled = _spool_stdin()
        if spooled is None:
            return EXIT_USAGE
        paths = [spooled if p == "-" else p for p in paths]
    try:
        return _run_open(paths, names, keylog_paths, setup)
    finally:
        if spooled is not None:
            os.unlink(spooled)


def _run_open(paths: list[str], names: list[str], keylog_paths: list[str], setup: AnalysisSetup | None) -> int:
    for path in paths:  # fail before the screen switches, with decode's message and exit code
        try:
            with open_capture(path):
                pass
        except CaptureError as err:
            sys.stderr.write(f"v2gsniff: {path}: {err}\n")
            return exit_code_for(err)
    keylog = _keylog(keylog_paths)
    if keylog is None:
        return EXIT_USAGE
    from .app import V2GSniffApp

    title = names[0] if len(paths) == 1 else f"{len(paths)} captures"
    app = V2GSniffApp(lambda: capture_items(paths), title=title, keylog=keylog, setup=setup)
    result = app.run()
    return result if isinstance(result, int) else 0


def run_live(source: Iterable[Any], *, title: str, keylog_paths: list[str], write: Any = None,
             setup: AnalysisSetup | None = None) -> int:
    """Show a live feed (``RawFrame | DecryptionSecrets | LinkEvent``). The feed follows the key logs
    itself (their lines arrive as ``DecryptionSecrets``) and has already recorded every frame to
    ``write``: the UI only shows where. ``setup``: --trust/--oem-key."""
    from .app import V2GSniffApp

    def recording() -> str:
        if write is None:
            return ""
        path = getattr(write, "current_path", None) or getattr(write, "path", None) or ""
        frames = getattr(write, "frames_written", None)
        return f"recording {path}" + (f" ({frames} frames)" if frames is not None else "")

    stop = getattr(source, "stop", None)
    suffix = f", key logs: {', '.join(keylog_paths)}" if keylog_paths else ""
    app = V2GSniffApp(lambda: source, title=f"{title}{suffix}", live=True,
                      recording=recording if write is not None else None,
                      on_stop=stop if callable(stop) else None, setup=setup)
    result = app.run()
    return result if isinstance(result, int) else 0
