"""Helpers for the pilot tests: run the real app on real captures, wait for loading, read the screen."""

from __future__ import annotations

import asyncio
import io
import os
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from textual.pilot import Pilot

from tests.conftest import REAL, need_shared
from v2gsniff.sniffer.capture import open_capture
from v2gsniff.sniffer.capture.writer import PcapngWriter
from v2gsniff.sniffer.model import RawFrame
from v2gsniff.tui.app import V2GSniffApp
from v2gsniff.tui.launch import capture_items

SIZE = (160, 50)
SNAPSHOTS = Path(__file__).parent / "snapshots"
DIN = "dsV2Gshark__DIN_DC_DS5366_Josev.pcapng"
TLS = "dsV2Gshark__ISO-2_DC_PnC_TLS_Contract_DS5366_RiseV2G.pcapng"
VW_AC = "everest-logfiles__VW_id.4_iso_15118-2_AC_2023-04-14T09-52-17.069Z-3_config-ac-iso2.dump"
THREE = "everest-logfiles__Mercedes-Benz_EQE_2023-10-04_iso2-AC.dump"

Body = Callable[[V2GSniffApp, Pilot[Any]], Awaitable[None]]


def with_segment_lost(name: str, frame: int, folder: Path) -> str:
    """A copy of a real capture without one frame (a TCP segment the capture lost), as a pcapng."""
    path = folder / f"{Path(name).stem}-frame-{frame}-lost.pcapng"
    with open_capture(real(name)) as reader, PcapngWriter(path) as out:
        for item in reader:
            if isinstance(item, RawFrame) and item.index != frame:
                out.write_frame(item.data, item.time)
    return str(path)


def real(name: str) -> str:
    need_shared()
    path = REAL / name
    if not path.exists():
        import pytest

        pytest.skip(f"{name} is not in ../shared/captures/real")
    return str(path)


def run_app(names: list[str], body: Body, size: tuple[int, int] = SIZE, **kwargs: Any) -> V2GSniffApp:
    """Open the captures in the app, wait until every record is shown, then run ``body``."""
    paths = [n if os.path.isabs(n) else real(n) for n in names]
    app = V2GSniffApp(lambda: capture_items(paths), title=os.path.basename(paths[0]), **kwargs)

    async def main() -> None:
        async with app.run_test(size=size) as pilot:
            await wait_done(app, pilot)
            await body(app, pilot)

    asyncio.run(main())
    return app


async def wait_done(app: V2GSniffApp, pilot: Pilot[Any], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not app.store.done:
        if time.monotonic() > deadline:
            raise AssertionError("the capture did not finish loading")
        await pilot.pause(0.05)
    await pilot.pause(0.1)


def screen_text(app: V2GSniffApp) -> str:
    """The screen as plain text, as a person reads it (what a snapshot compares)."""
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), force_terminal=True, record=True,
                      color_system="truecolor", legacy_windows=False, safe_box=False)
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return "\n".join(line.rstrip() for line in console.export_text(styles=False).splitlines())


def region_lines(app: V2GSniffApp, widget: Any) -> list[str]:
    """The lines the composited screen shows inside ``widget``'s scrollable region: what its
    border and scrollbars leave visible."""
    region = widget.scrollable_content_region
    screen = screen_text(app).splitlines()
    return [screen[y][region.x:region.right].rstrip() for y in range(region.y, region.bottom)]


def widget_lines(widget: Any) -> list[str]:
    """What a Line-API widget shows, line by line."""
    return [widget.render_line(y).text for y in range(widget.size.height)]


def assert_snapshot(app: V2GSniffApp, name: str) -> None:
    """Compare the screen with ``snapshots/NAME.txt``; V2GSNIFF_UPDATE_SNAPSHOTS=1 writes it."""
    text = screen_text(app)
    path = SNAPSHOTS / f"{name}.txt"
    if os.environ.get("V2GSNIFF_UPDATE_SNAPSHOTS") or not path.exists():
        path.write_text(text + "\n", encoding="utf-8")
        if not os.environ.get("V2GSNIFF_UPDATE_SNAPSHOTS"):
            raise AssertionError(f"snapshot {name} did not exist; written, check it and run again")
    expected = path.read_text(encoding="utf-8").rstrip("\n")
    assert text == expected, f"screen differs from snapshot {name} (V2GSNIFF_UPDATE_SNAPSHOTS=1 rewrites it)"
