"""A capture with hostile strings (tests/sniffer/hostile.py) in the UI: every pane shows them as
inert text: escapes visible as ``\\x1b``, markup and HTML as typed, nothing a terminal acts on."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from tests.sniffer.hostile import HTML, MARKUP, build, unsafe_characters
from tests.tui.pilot import SIZE, screen_text, wait_done, widget_lines
from tests.tui.test_app import labels_all, type_filter
from v2gsniff.tui.app import V2GSniffApp
from v2gsniff.tui.launch import capture_items
from v2gsniff.tui.widgets.detail_tree import DetailTree
from v2gsniff.tui.widgets.message_list import MessageList
from v2gsniff.tui.widgets.sessions import session_prompt, session_text


def test_hostile_strings_are_inert_in_every_pane(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = str(build(tmp_path / "hostile.pcapng", monkeypatch))
    app = V2GSniffApp(lambda: capture_items([path]), title="hostile")
    seen: list[str] = []

    async def main() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await wait_done(app, pilot)
            await body(pilot)

    async def body(pilot: Pilot[Any]) -> None:
        tree = app.query_one(DetailTree)
        for record in app.store.records:  # every record's detail tree, as the pane labels it
            tree.show(record)
            seen.extend(labels_all(tree))
        for u in app.store.sessions:
            seen.extend([session_prompt(u).plain, session_text(u).plain])
        for query in ("name == SessionSetupRes", "name == Certificate", "name == DSPACE_SCS_DIAG.IND",
                      "name == VS_SW_VER.CNF"):
            await type_filter(pilot, query)
            await pilot.press("tab")  # the detail tree, whose labels are on screen now
            await pilot.pause(0.1)
            seen.append(screen_text(app))
            seen.extend(widget_lines(app.query_one(MessageList)))

    asyncio.run(main())
    everything = "\n".join(seen)
    assert not unsafe_characters(everything)
    assert MARKUP in everything and HTML in everything  # shown as typed, not interpreted
    assert "\\x1b]0;owned\\x07" in everything  # the escapes, visible
