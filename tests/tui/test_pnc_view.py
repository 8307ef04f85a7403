"""The Plug & Charge subtree in the real app, on the real dSPACE PnC capture."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from tests.tui.pilot import TLS, run_app
from tests.tui.test_app import labels_all, node, type_filter
from v2gsniff.tui.app import V2GSniffApp
from v2gsniff.tui.widgets.detail_tree import DetailTree
from v2gsniff.tui.widgets.hex_view import HexView


def test_signed_message_and_certificate_chain_show_their_verdicts() -> None:
    async def body(app: V2GSniffApp, pilot: Pilot[Any]) -> None:
        tree = app.query_one(DetailTree)
        await type_filter(pilot, "name == AuthorizationReq")
        sig = node(tree, "pnc/signature")
        assert str(sig.label).startswith("✓ signature ok (ecdsa-sha256)")
        assert any(t.startswith("✓ #ID1 AuthorizationReq: digest of AuthorizationReq matches")
                   for t in labels_all(tree))
        await type_filter(pilot, "name == PaymentDetailsReq")
        chain = node(tree, "pnc/chain/0")
        assert str(chain.label).startswith("✓ contract chain: verified up to an untrusted root DC=MO,CN=MO RootCA")
        texts = labels_all(tree)
        assert any(t.startswith("contract leaf: DC=MO,CN=DEABC123456789Y") for t in texts)
        assert any(t.startswith("MO sub-CA 1: DC=MO,CN=MO SubCA1 Test-PKI") for t in texts)

    run_app([TLS], body)


def test_selecting_a_reference_highlights_the_bytes_of_the_signed_element() -> None:
    async def body(app: V2GSniffApp, pilot: Pilot[Any]) -> None:
        tree, hexv = app.query_one(DetailTree), app.query_one(HexView)
        await type_filter(pilot, "name == AuthorizationReq")
        ref, element = node(tree, "pnc/signature/#ID1"), node(tree, "exi/V2G_Message/Body/AuthorizationReq")
        assert ref.data.bits == element.data.bits and ref.data.bits is not None
        parent = ref.parent
        while parent is not None:
            parent.expand()
            parent = parent.parent
        await pilot.pause(0.05)
        tree.move_cursor(ref)
        await pilot.pause(0.05)
        assert hexv.span == (ref.data.offset, ref.data.offset + ref.data.length)
        signed_info = node(tree, "exi/V2G_Message/Header/Signature/SignedInfo")
        assert node(tree, "pnc/signature").data.bits == signed_info.data.bits

    run_app([TLS], body)


def test_the_roots_given_decide_the_chain_verdicts_the_ui_shows(tmp_path: Path) -> None:
    from tests.sniffer.pnc.test_simulated import SEED, capture
    from v2gsniff.sniffer.setup import AnalysisSetup
    from v2gsniff.sniffer.simulate.pki import SimPki

    path = capture(tmp_path)
    roots = tmp_path / "roots.pem"
    roots.write_bytes(SimPki.generate(SEED).roots_pem())
    shown: dict[bool, str] = {}

    def looking(trusted: bool) -> Callable[[V2GSniffApp, Pilot[Any]], Awaitable[None]]:
        async def body(app: V2GSniffApp, pilot: Pilot[Any]) -> None:
            await type_filter(pilot, "name == PaymentDetailsReq")
            shown[trusted] = str(node(app.query_one(DetailTree), "pnc/chain/0").label)
        return body

    run_app([str(path)], looking(False))
    run_app([str(path)], looking(True), setup=AnalysisSetup(trust=(str(roots),)))
    assert shown[False].startswith("✓ contract chain: verified up to an untrusted root")
    assert shown[True].startswith("✓ contract chain: verified to the trusted root")


def test_open_says_what_is_wrong_with_the_oem_key_before_the_screen(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from v2gsniff.tui.commands import open_command

    not_a_key = tmp_path / "not-a-key.pem"
    not_a_key.write_text("hello")
    result = CliRunner().invoke(open_command, ["x.pcapng", "--oem-key", str(not_a_key)])
    assert result.exit_code == 2 and "--oem-key" in result.output
