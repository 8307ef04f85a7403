"""The engine: one flow from a source to addons, on real captures and a scripted live source."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REAL, ROOT, need_shared
from v2gsniff.sniffer.capture import open_capture
from v2gsniff.sniffer.capture.live import LinkEvent
from v2gsniff.sniffer.commands.exits import EXIT_NOT_FOUND, EXIT_TRUNCATED, exit_code_for
from v2gsniff.sniffer.engine import CaptureProblem, Engine, decode_file
from v2gsniff.sniffer.model import Record
from v2gsniff.sniffer.pipeline import Decoder

DIN = "dsV2Gshark__DIN_DC_DS5366_Josev.pcapng"
CUT = "everest-logfiles__BYD_Atto3_2023-04-18T15-30-40.007Z-1_config-dc-dinspec.dump"
"""A real capture cut off mid-record (decode exits 5 on it)."""


class Script:
    """Writes down every hook call, in order."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    def capture_start(self, engine: Engine) -> None:
        self.calls.append(("start", engine.capture))

    def records(self, records: list[Record]) -> None:
        self.calls.append(("records", len(records)))

    def findings(self, records: list[Record]) -> None:
        self.calls.append(("findings", [r.name for r in records]))

    def link_event(self, event: Any) -> None:
        self.calls.append(("link", event.kind))

    def capture_problem(self, engine: Engine, problem: CaptureProblem) -> None:
        self.calls.append(("problem", exit_code_for(problem.error)))

    def batch_end(self, engine: Engine) -> None:
        self.calls.append(("batch_end",))

    def capture_end(self, engine: Engine) -> None:
        self.calls.append(("end", engine.capture))


def _by_hand(path: Path) -> list[Record]:
    """The pipeline driven without the engine: the reference the engine must reproduce."""
    decoder, out = Decoder(), []
    with open_capture(path) as reader:
        try:
            for item in reader:
                out.extend(decoder.feed(item))
        except Exception:  # noqa: BLE001 - a cut-off capture: the records before the cut count
            pass
    return out + decoder.finish()


@pytest.mark.parametrize("name", [DIN, CUT])
def test_the_engine_delivers_exactly_the_pipelines_records(name: str) -> None:
    need_shared()
    records, problem = decode_file(REAL / name)
    assert records == _by_hand(REAL / name)
    assert (problem is not None) == (name == CUT)


def test_hooks_run_in_order_per_capture_and_problems_end_a_capture_not_the_run(tmp_path: Path) -> None:
    need_shared()
    script = Script()
    engine = Engine([script])
    engine.read([REAL / DIN, tmp_path / "missing.pcap", REAL / CUT])
    names = [c[0] for c in script.calls]
    # three captures, each started, its records, then ended; the missing one with its problem
    assert [c for c in script.calls if c[0] in ("start", "end", "problem")] == [
        ("start", str(REAL / DIN)), ("end", str(REAL / DIN)),
        ("start", str(tmp_path / "missing.pcap")), ("problem", EXIT_NOT_FOUND), ("end", str(tmp_path / "missing.pcap")),
        ("start", str(REAL / CUT)), ("problem", EXIT_TRUNCATED), ("end", str(REAL / CUT)),
    ]
    din = names.index("end")
    assert sum(c[1] for c in script.calls[:din] if c[0] == "records") == len(_by_hand(REAL / DIN))
    assert [exit_code_for(p.error) for p in engine.problems] == [EXIT_NOT_FOUND, EXIT_TRUNCATED]


class Feed:
    """A live source as LiveFeed offers it: ``read_batch()`` and ``stop()``; Ctrl-C after the batches."""

    def __init__(self, batches: list[list[Any]]) -> None:
        self.batches, self.stopped = batches, False

    def read_batch(self) -> list[Any] | None:
        if not self.batches:
            raise KeyboardInterrupt
        return self.batches.pop(0)

    def stop(self) -> None:
        self.stopped = True


def test_a_live_source_runs_until_ctrl_c_with_link_events_and_a_batch_end_each_read() -> None:
    need_shared()
    with open_capture(REAL / DIN) as reader:
        frames = list(reader)
    down = LinkEvent("down", 1.0, "qca0 went down")
    feed = Feed([frames[:100], [down], frames[100:]])
    script = Script()
    engine = Engine([script], capture="live")
    engine.run_live(feed)
    assert feed.stopped
    kinds = [c[0] for c in script.calls]
    assert kinds[0] == "start" and kinds[-1] == "end"
    assert kinds.count("batch_end") == 3 and ("link", "down") in script.calls
    assert sum(c[1] for c in script.calls if c[0] == "records") == len(_by_hand(REAL / DIN))


def test_the_readme_example_addon_runs() -> None:
    """The library section's example is real code: run it on a demo capture (no decode errors)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = next(b for b in re.findall(r"```python\n(.*?)```", readme, re.S) if "class NoErrors" in b)
    demo = ROOT / "captures" / "din_dc.pcapng"
    proc = subprocess.run([sys.executable, "-c", block, str(demo)], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert re.fullmatch(rf"{re.escape(str(demo))}: \d+ frames, 0 errors\n", proc.stdout)


class Flat(Script):
    """Writes down every hook call, and each record where it comes among them (not how they were grouped)."""

    def records(self, records: list[Record]) -> None:
        self.calls.extend(("record", r.frame, r.name) for r in records)


def _decode_output(paths: list[Path], batched: bool) -> tuple[str, list[tuple[Any, ...]]]:
    """What ``decode --format jsonl`` writes of ``paths`` (one writer for all, as with one file) and
    every hook call, each record in it, from ``run`` (records passed in batches) or item by item (``put``:
    each frame's records at once, as a live feed passes them)."""
    import io

    from v2gsniff.sniffer.addons import Findings, Pnc, RecordWriter
    from v2gsniff.sniffer.engine import capture_items
    from v2gsniff.sniffer.output.jsonl import JsonlWriter

    out, script = io.StringIO(), Flat()
    writer = JsonlWriter(out)

    class Shared(RecordWriter):
        def capture_end(self, engine: Engine) -> None:
            writer.flush()

    engine = Engine([Pnc(), Findings(), Shared(lambda capture: writer), script])
    if batched:
        engine.run(capture_items(paths))
    else:
        for item in capture_items(paths):
            engine.put(item)
        engine.finish()
    return out.getvalue(), script.calls


def test_a_run_passes_the_same_records_in_batches_as_frame_by_frame() -> None:
    """``run`` hands the records of consecutive frames to the stages and sinks together: every real
    capture gives the same output, findings included, as feeding it frame by frame; so do several
    captures in one run (a batch never crosses a capture's start) and a capture cut off mid-record."""
    need_shared()
    paths = sorted(p for p in REAL.iterdir() if p.suffix in (".pcap", ".pcapng", ".dump"))
    for path in paths:
        batched, frame_by_frame = _decode_output([path], True), _decode_output([path], False)
        assert batched == frame_by_frame, path.name
    several = [REAL / DIN, REAL / CUT, ROOT / "captures" / "iso2_dc.pcapng"]
    text, calls = _decode_output(several, True)
    assert (text, calls) == _decode_output(several, False)
    assert [c[0] for c in calls].count("start") == 3 and ("problem", EXIT_TRUNCATED) in calls
    assert text.count("\n") > 500
