"""Live snapshots of the sessions pane and the plot: what changed is redrawn, the rest stays put."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from textual.pilot import Pilot
from textual.widgets import OptionList

from tests.tui.pilot import DIN, THREE, run_app
from v2gsniff.tui.app import V2GSniffApp
from v2gsniff.tui.store import UiSession
from v2gsniff.tui.widgets.plot import PowerPlot
from v2gsniff.tui.widgets.sessions import SessionsPane


def test_a_snapshot_replaces_only_changed_lines_and_keeps_the_highlight() -> None:
    async def body(app: V2GSniffApp, pilot: Pilot[Any]) -> None:
        pane = app.query_one(SessionsPane)
        ol = pane.query_one(OptionList)
        sessions = app.store.sessions
        assert len(sessions) == 3
        ol.highlighted = 1
        before = list(ol.options)
        texts = [str(o.prompt) for o in before]
        # The newest session is still open in the next snapshot: only its line changes.
        open_again = [*sessions[:2], UiSession(3, sessions[2].capture, replace(sessions[2].session, ended_by=None))]
        pane.update_sessions(open_again)
        after = list(ol.options)
        assert after[:2] == before[:2] and all(a is b for a, b in zip(after[:2], before[:2], strict=True))
        assert [str(o.prompt) for o in after[:2]] == texts[:2]
        assert str(after[2].prompt).startswith("●") and not texts[2].startswith("●")
        assert ol.highlighted == 1 and pane.selected is open_again[1]
        # A new session adds a line; the others are the same options.
        fourth = UiSession(4, sessions[2].capture, replace(sessions[2].session, id=99))
        pane.update_sessions([*open_again, fourth])
        assert ol.option_count == 4 and list(ol.options)[:3] == after and ol.highlighted == 1
        # A snapshot that is not a continuation (fewer sessions) is shown from scratch.
        pane.update_sessions(sessions[:1])
        assert ol.option_count == 1 and ol.highlighted == 0 and pane.selected is sessions[0]

    run_app([THREE], body)


def test_the_plot_redraws_when_the_series_grows() -> None:
    async def body(app: V2GSniffApp, pilot: Pilot[Any]) -> None:
        plot = app.query_one(PowerPlot)
        full = app.store.sessions[0].session
        cut = replace(full, series=full.series[: len(full.series) // 3])
        plot.show(cut)
        await pilot.pause()
        early = str(plot.render())
        plot.show(replace(cut))  # the same series again (a new snapshot object)
        await pilot.pause()
        assert str(plot.render()) == early
        plot.show(full)
        await pilot.pause()
        last = [p.get("ev_target_voltage") for p in full.series if p.get("ev_target_voltage") is not None][-1]
        assert str(plot.render()) != early and f"target {last:.1f}" in str(plot.render())

    run_app([DIN], body)
