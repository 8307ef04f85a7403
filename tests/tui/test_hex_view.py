"""The hex pane's own geometry: the bytes a tree node highlights are on screen, not under a scrollbar."""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot

from tests.tui.pilot import TLS, region_lines, run_app
from v2gsniff.tui.app import V2GSniffApp
from v2gsniff.tui.widgets.hex_view import HexView
from v2gsniff.tui.widgets.message_list import MessageList


def test_every_highlighted_row_of_a_long_dump_is_shown() -> None:
    async def body(app: V2GSniffApp, pilot: Pilot[Any]) -> None:
        store, hexv = app.store, app.query_one(HexView)
        row = max(range(len(store.view)), key=lambda r: len(store.records[store.view[r]].data or b""))
        app.query_one(MessageList).move_to(row)
        await pilot.pause()
        lines = -(-len(hexv.data) // hexv.per_row)
        assert lines > hexv.scrollable_content_region.height  # the dump scrolls
        # Highlight one byte per dump line, downwards past the first screenful: each time the
        # line holding it must be among the lines the screen shows (line 0 is the label).
        for line in range(min(lines, 2 * hexv.scrollable_content_region.height)):
            hexv.highlight(line * hexv.per_row, 1)
            await pilot.pause()
            shown = region_lines(app, hexv)[1:]
            assert any(text.startswith(f"{line * hexv.per_row:04x}  ") for text in shown), (line, shown[-2:])
        assert hexv.show_vertical_scrollbar and not hexv.show_horizontal_scrollbar

    run_app([TLS], body)
