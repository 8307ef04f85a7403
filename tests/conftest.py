"""Shared fixtures: where ../shared lives and its per-capture reference (TRUTH.jsonl)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
REAL = SHARED / "captures" / "real"


@cache
def truth() -> dict[str, dict[str, Any]]:
    """TRUTH.jsonl by capture file name (empty when ../shared is absent)."""
    path = REAL / "TRUTH.jsonl"
    if not path.exists():
        return {}
    with open(path, encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh if line.strip()]
    return {row["capture"]: row for row in rows}


def real_captures() -> list[str]:
    """Names of the real captures that TRUTH.jsonl describes (for parametrisation)."""
    return sorted(name for name in truth() if (REAL / name).exists())


@pytest.fixture
def real_dir() -> Path:
    if not REAL.is_dir():
        pytest.skip("../shared/captures/real is absent (the real captures live beside the repository)")
    return REAL


def need_shared() -> None:
    if not REAL.is_dir():
        pytest.skip("../shared/captures/real is absent (the real captures live beside the repository)")


def end_process(proc: Any, sig: int | None = None, timeout: float = 20) -> int:
    """Stop a child process a test started (``sig``, SIGINT by default, then SIGKILL when it does not
    end within ``timeout`` s) and return its exit code: no test leaves a process running."""
    import signal
    import subprocess

    if proc.poll() is None:
        proc.send_signal(signal.SIGINT if sig is None else sig)
    try:
        return int(proc.wait(timeout=timeout))
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise
