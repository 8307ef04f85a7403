"""Hostile strings from a capture (tests/sniffer/hostile.py) through every command and format:
nothing a terminal would act on comes out, the HTML report escapes markup, and JSON keeps the
exact values (as escapes that decode to them)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.sniffer.hostile import HOSTILE, HTML, build, unsafe_characters
from v2gsniff.sniffer.commands.decode import decode
from v2gsniff.sniffer.commands.exi import exi
from v2gsniff.sniffer.commands.live import live
from v2gsniff.sniffer.commands.report import report
from v2gsniff.sniffer.commands.sessions import sessions
from v2gsniff.sniffer.output.inert import inert_json, inert_line, inert_text

VISIBLE = "\\x1b]0;owned\\x07\\x1b[2J\\x9b5m\\u202e<script>"
"""How the start of HOSTILE reads in text output."""


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    with pytest.MonkeyPatch.context() as mp:
        return build(tmp_path_factory.mktemp("hostile") / "hostile.pcapng", mp)


def _run(command: object, args: list[str], stdin: bytes | None = None) -> str:
    runner = CliRunner(env={"SUDO_UID": None, "SUDO_GID": None})
    result = runner.invoke(command, args, input=stdin, catch_exceptions=False)  # type: ignore[arg-type]
    assert result.exit_code == 0, result.output
    return result.stdout + result.stderr


def test_the_capture_carries_the_hostile_strings(hostile: Path) -> None:
    rows = [json.loads(line) for line in _run(decode, ["--format", "jsonl", str(hostile)]).splitlines()]
    by_name = {r["name"]: r for r in rows}
    assert by_name["SessionSetupRes"]["fields"]["EVSEID"] == HOSTILE  # exact value, after JSON decoding
    assert by_name["DSPACE_SCS_DIAG.IND"]["fields"]["tool"] == HOSTILE
    (cert,) = by_name["Certificate"]["fields"]["certificates"]
    # RFC 4514 puts a backslash before ';', '<' and '>'; the controls stay as they came
    assert cert["subject"].startswith("DC=CPO,O=v2gsniff simulator,CN=\x1b]0\\;owned\x07\x1b[2J\x9b5m\u202e\\<")
    # a version string that is not printable ASCII is shown as its hex
    assert any(r["name"] == "VS_SW_VER.CNF" and r["fields"].get("version") == HOSTILE.encode().hex() for r in rows)


@pytest.mark.parametrize("args", [
    ["decode"], ["decode", "--format", "jsonl"], ["decode", "--format", "jsonl", "--xml"],
    ["sessions"], ["sessions", "--format", "jsonl"],
    ["report", "--format", "md"], ["report", "--format", "csv"], ["report", "--format", "json"],
    ["report", "--format", "html"], ["live", "--format", "text"], ["live", "--format", "jsonl"],
], ids=" ".join)
def test_no_output_carries_a_control_character(hostile: Path, args: list[str]) -> None:
    command = {"decode": decode, "sessions": sessions, "report": report, "live": live}[args[0]]
    if args[0] == "live":
        text = _run(live, ["-", "--no-tui", "--allow-root", *args[1:]], stdin=hostile.read_bytes())
    else:
        text = _run(command, [*args[1:], str(hostile)])
    assert not unsafe_characters(text)
    if "jsonl" in args or "json" in args:
        return
    if args[-1] == "html":
        assert HTML not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    elif args[-1] == "md":
        _renders_as_text(text)
    else:
        assert VISIBLE in text  # shown, as escapes
    if args == ["decode"]:
        assert "EVSEID=" + VISIBLE in text


def _renders_as_text(markdown: str) -> None:
    """The Markdown report, rendered as a reader's viewer does (CommonMark with GFM tables): the hostile
    strings are text, never a tag, a link or emphasis."""
    from markdown_it import MarkdownIt

    html = MarkdownIt("commonmark").enable("table").render(markdown)
    assert "<script" not in html and "<a " not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;[bold red]x[/]" in html  # the whole value, as text


def test_the_markdown_escapes_survive_a_renderer() -> None:
    from markdown_it import MarkdownIt

    from v2gsniff.sniffer.report.markdown import code, md

    render = MarkdownIt("commonmark").renderInline
    for text in ["<img src=x onerror=alert(1)>", "[x](javascript:alert(1))", "![i](http://x/y.png)", "DE*PNX*E1*1",
                 "a_b _c_ __d__ x_", "\\<b>", "&lt;b&gt; &amp;", "`code` ~~gone~~", "OK_NewSessionEstablished"]:
        shown = render(md(text))
        assert "<" not in shown.replace("&lt;", "") and "<a" not in shown  # no tag of the renderer's own
        assert shown.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&amp;", "&") == text
        inline = render(code(text))
        assert inline.startswith("<code>") and inline.count("<code>") == 1


def test_inert_forms() -> None:
    assert inert_line("a\tb\nc\x1b[1m\x7f\x9b\u2066") == "a\\x09b\\x0ac\\x1b[1m\\x7f\\x9b\\u2066"
    assert inert_text("a\tb\nc\r\x1b") == "a\tb\nc\\x0d\\x1b"
    encoded = json.dumps({"k": "\x1b\x7f\x9b\u202e"}, ensure_ascii=False)
    assert json.loads(inert_json(encoded)) == {"k": "\x1b\x7f\x9b\u202e"}
    assert not unsafe_characters(inert_json(encoded))


@pytest.mark.parametrize("fmt", ["xml", "json", "jsonl"])
def test_exi_decode_prints_the_hostile_evseid_inert(hostile: Path, fmt: str) -> None:
    rows = [json.loads(line) for line in _run(decode, ["--format", "jsonl", str(hostile)]).splitlines()]
    exi_hex = next(r["exi_hex"] for r in rows if r["name"] == "SessionSetupRes")
    text = _run(exi, ["decode", exi_hex, "--schema", "iso2", "--format", fmt])
    assert not unsafe_characters(text)
    if fmt == "xml":
        assert "\\x1b]0;owned\\x07" in text  # visible escapes
    else:  # JSON: the exact value, as escapes
        doc = json.loads(text.split("\n", 1)[0] if fmt == "jsonl" else text)
        assert doc["body"]["V2G_Message"]["Body"]["SessionSetupRes"]["EVSEID"] == HOSTILE
