"""The UI never shows key material: not in the list, the detail tree or the hex pane, where key
bytes show as dots. The keys are found independently (tests/sniffer/test_secrets_hygiene.py)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from tests.conftest import ROOT
from tests.sniffer.test_secrets_hygiene import frames_only, key_material, leaked
from tests.tui.pilot import SIZE, real, run_app, screen_text, wait_done, widget_lines
from tests.tui.test_app import labels_all, type_filter
from v2gsniff.sniffer.streams.tls import KeyLog
from v2gsniff.tui.app import V2GSniffApp
from v2gsniff.tui.launch import capture_items
from v2gsniff.tui.render import HIDDEN_CHAR, HIDDEN_HEX
from v2gsniff.tui.widgets.detail_tree import DetailTree
from v2gsniff.tui.widgets.hex_view import HexView
from v2gsniff.tui.widgets.message_list import MessageList

IN_BAND = "dsV2Gshark__ISO-20_TLS13_DC_DS5366_Josev.pcapng"


def _hex_text(hexv: HexView) -> str:
    rows = -(-len(hexv.data) // hexv.per_row)
    return "\n".join(hexv.render_line(y).text for y in range(rows + 1))


def test_no_pane_shows_a_key() -> None:
    secrets = key_material(Path(real(IN_BAND)), None)
    assert len(secrets) == 7  # 3 NMKs (SET_KEY twice, SLAC_MATCH) and 4 TLS 1.3 traffic secrets

    async def body(app: V2GSniffApp, pilot: Pilot[Any]) -> None:
        tree, hexv = app.query_one(DetailTree), app.query_one(HexView)
        shown: list[str] = []
        dotted = {}
        for record in app.store.records:
            tree.show(record)
            hexv.show(record)
            shown += labels_all(tree)
            text = _hex_text(hexv)
            shown.append(text)
            hex_column = "\n".join(line.split("│")[0] for line in text.splitlines())
            dotted[(record.frame, record.name)] = hex_column.count(HIDDEN_HEX)
        assert not leaked(secrets, "\n".join(shown))
        # The key bytes are there, as dots: 16 per NMK, 96 per TLS 1.3 secret
        # (48 bytes, SHA-384) carried as hex text.
        assert dotted[(56, "CM_SLAC_MATCH.CNF")] == 16 and dotted[(3, "CM_SET_KEY.REQ")] == 16
        assert dotted[(78, "TLS key log lines")] == 96
        assert sum(dotted.values()) == 4 * 16 + 4 * 96  # CM_SET_KEY.REQ in frames 3, 9, 329; 4 key-log datagrams
        # What a person sees with the key-log datagram selected: list, tree, hex pane.
        await type_filter(pilot, "keylog")
        lst = app.query_one(MessageList)
        assert app.store.records[lst.index].kind == "keylog"
        hexv.scroll_to(y=hexv.max_scroll_y, animate=False, immediate=True)  # the key-log line's end
        await pilot.pause(0.1)
        screen = screen_text(app)
        assert " ".join([HIDDEN_HEX] * 8) in screen and HIDDEN_CHAR * 8 in screen  # whole rows of dots
        assert not leaked(secrets, screen + "\n".join(widget_lines(lst)))

    run_app([IN_BAND], body)


def test_a_crash_report_lists_no_local_variables(capsys: pytest.CaptureFixture[str]) -> None:
    """Textual's crash report would print each frame's locals (a frame's bytes, a key-log line)."""
    secret = "cd" * 48
    app = V2GSniffApp(lambda: iter(()), title="crash")

    def boom() -> None:
        line = f"CLIENT_RANDOM {'ab' * 32} {secret}"
        value = line.split()[2]
        raise RuntimeError(f"a bug ({len(line)}, {len(value)} characters)")

    async def main() -> None:
        async with app.run_test(size=SIZE) as pilot:
            app.call_later(boom)
            await pilot.pause(0.2)

    with pytest.raises(RuntimeError, match="a bug"):
        asyncio.run(main())
    report = capsys.readouterr().err  # where Textual prints the report as the app ends
    assert "RuntimeError" in report and "a bug (175, 96 characters)" in report
    assert secret[:16] not in report and "CLIENT_RANDOM" in report  # the source line, not its value


def test_keys_from_a_keylog_file_stay_hidden(tmp_path: Path) -> None:
    """The bundled TLS 1.2 demo capture without its embedded secrets, keys given as a --keylog file
    (as ``v2gsniff open FILE --keylog KEYS`` does): it decrypts, and no pane shows a key."""
    keys = ROOT / "captures" / "iso2_tls12.keys"
    capture = tmp_path / "bare.pcapng"
    frames_only(ROOT / "captures" / "iso2_tls12.pcapng", capture)
    secrets = key_material(capture, keys)
    assert len(secrets) == 2  # the NMK and the TLS 1.2 master secret
    app = V2GSniffApp(lambda: capture_items([str(capture)]), title="tls12", keylog=KeyLog.from_file(keys))
    seen: list[str] = []

    async def main() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await wait_done(app, pilot)
            tree, hexv = app.query_one(DetailTree), app.query_one(HexView)
            for record in app.store.records:
                tree.show(record)
                hexv.show(record)
                seen.extend([*labels_all(tree), _hex_text(hexv)])
            seen.append(screen_text(app))

    asyncio.run(main())
    assert any(r.extra.get("tls") for r in app.store.records)  # decrypted with the file's key
    assert not leaked(secrets, "\n".join(seen))


CERT_INSTALL = "dsV2Gshark__ISO-2_DC_PnC_TLS_CertInstallation_DS5366_RiseV2G.pcapng"


def test_a_contract_private_key_stays_hidden() -> None:
    """CertificateInstallationRes carries the contract certificate's (encrypted) private key: the
    tree says <redacted>, the hex pane dots the bytes that hold its bits."""
    secrets = key_material(Path(real(CERT_INSTALL)), None)

    async def body(app: V2GSniffApp, pilot: Pilot[Any]) -> None:
        tree, hexv = app.query_one(DetailTree), app.query_one(HexView)
        shown: list[str] = []
        (res,) = [r for r in app.store.records if r.name == "CertificateInstallationRes"]
        for record in app.store.records:
            tree.show(record)
            hexv.show(record)
            shown += [*labels_all(tree), _hex_text(hexv)]
            if record is res:
                assert "ContractSignatureEncryptedPrivateKey: <redacted>  @Id=ID2" in labels_all(tree)
                assert 48 <= sum(b - a for a, b in hexv.hidden) <= 50  # 48 key bytes, bit-packed
        assert not leaked(secrets, "\n".join(shown))

    run_app([CERT_INSTALL], body)
