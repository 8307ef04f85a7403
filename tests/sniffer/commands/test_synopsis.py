"""The README's command synopsis and the CLI's --help say the same: every command, every option,
every choice (so neither drifts from the other)."""

from __future__ import annotations

import re
from pathlib import Path

import click
from click.testing import CliRunner

from v2gsniff.sniffer.cli import main

README = Path(__file__).resolve().parents[3] / "README.md"


def _synopsis() -> dict[str, str]:
    """'report' / 'exi decode' -> the synopsis text of that command (continuation lines joined)."""
    text = README.read_text()
    block = text[text.index("## Commands"):]
    block = block[block.index("```") + 3:]
    block = block[:block.index("```")]
    out: dict[str, str] = {}
    current = None
    for line in block.splitlines():
        for part in line.split("   |   "):
            part = part.split("  #")[0].strip()
            m = re.match(r"v2gsniff ((?:exi )?[a-z]+)\b(.*)", part)
            if part.startswith("v2gsniff --"):  # the group's own options (--version)
                current = None
            elif m:
                current = m.group(1)
                out[current] = out.get(current, "") + " " + m.group(2)
            elif part and current:
                out[current] += " " + part
    return out


def _commands() -> dict[str, click.Command]:
    ctx = click.Context(main)
    out: dict[str, click.Command] = {}
    for name in main.list_commands(ctx):  # type: ignore[attr-defined]
        cmd = main.get_command(ctx, name)  # type: ignore[attr-defined]
        if isinstance(cmd, click.Group):
            for sub in cmd.list_commands(ctx):
                out[f"{name} {sub}"] = cmd.get_command(ctx, sub)  # type: ignore[assignment]
        elif cmd is not None:
            out[name] = cmd
    return out


def test_every_command_and_option_of_help_is_in_the_readme_synopsis_and_back() -> None:
    synopsis, commands = _synopsis(), _commands()
    assert set(synopsis) == set(commands)
    for name, cmd in commands.items():
        options = {o for p in cmd.params if isinstance(p, click.Option) for o in p.opts + p.secondary_opts
                   if o != "--help"}
        shown = set(re.findall(r"(?<![\w-])(--?[a-z][\w-]*)", synopsis[name]))
        longs = {o for o in options if o.startswith("--")} | {o for o in options if o == "-o"}
        assert shown <= options, (name, shown - options)
        missing = {o for o in longs if not ({o} | set(_aliases(cmd, o))) & shown}
        assert not missing, (name, missing)
        for p in cmd.params:
            if isinstance(p, click.Option) and isinstance(p.type, click.Choice):
                m = re.search(rf"{re.escape(p.opts[-1])} ([\w|-]+\|[\w|-]+)", synopsis[name])
                if m:
                    assert set(m.group(1).split("|")) == set(p.type.choices), (name, p.opts)


def _aliases(cmd: click.Command, opt: str) -> list[str]:
    for p in cmd.params:
        if isinstance(p, click.Option) and opt in p.opts + p.secondary_opts:
            return p.opts + p.secondary_opts
    return []


def test_top_level_help_lists_every_command_in_full() -> None:
    res = CliRunner().invoke(main, ["--help"], terminal_width=100)
    assert res.exit_code == 0
    section = res.output[res.output.index("Commands:"):]
    assert "..." not in section, "no command's description is cut off"
    for name in _commands():
        top = name.split()[0]
        assert re.search(rf"^  {top}\s", section, re.MULTILINE), top
    flat = " ".join(section.split())
    for name in ("decode", "report", "sessions", "live", "simulate", "exi"):
        first = main.get_command(click.Context(main), name).get_short_help_str(limit=1000)  # type: ignore[attr-defined]
        assert " ".join(first.split()) in flat
