"""Command line entry point: a click group; each command lives in sniffer/commands/.

Commands are imported only when run (or listed in --help), so ``v2gsniff decode`` does not
pay for loading the report, simulator or live-capture code. Commands of optional parts (the
terminal UI) register through the ``v2gsniff.commands`` entry-point group, so the core never
imports them.
"""

from __future__ import annotations

import gc
import importlib
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    import importlib.metadata

GC_THRESHOLD = (50_000, 20, 100)
"""The cyclic collector's thresholds while a command runs (see ``_LazyGroup.main``)."""

# name -> "module:attribute" of the core commands
CORE_COMMANDS = {
    "check": "v2gsniff.sniffer.commands.check:check",
    "decode": "v2gsniff.sniffer.commands.decode:decode",
    "exi": "v2gsniff.sniffer.commands.exi:exi",
    "export": "v2gsniff.sniffer.commands.export:export",
    "live": "v2gsniff.sniffer.commands.live:live",
    "report": "v2gsniff.sniffer.commands.report:report",
    "sessions": "v2gsniff.sniffer.commands.sessions:sessions",
    "simulate": "v2gsniff.sniffer.commands.simulate:simulate",
}


def _plugins() -> list[importlib.metadata.EntryPoint]:
    # importlib.metadata is imported here, not at start-up: the core commands never need it.
    import importlib.metadata

    return list(importlib.metadata.entry_points(group="v2gsniff.commands"))


class _LazyGroup(click.Group):
    def main(self, *args: Any, **kwargs: Any) -> Any:
        # A decode allocates millions of short-lived objects that reference counting frees at once;
        # the cyclic collector's default threshold (700 allocations) would scan them over and over
        # for nothing, about 3 % of a decode. Set for the run of a command (its imports included)
        # and put back after it, never at import: a program that imports this module keeps its own.
        before = gc.get_threshold()
        gc.set_threshold(*GC_THRESHOLD)
        try:
            return super().main(*args, **kwargs)
        finally:
            if not args and kwargs.get("args") is None:
                # The process's own command line (a caller's list, e.g. a test's, is not): the program
                # ends here. Its objects move to the collector's permanent generation, so that the
                # interpreter's shutdown does not trace them all again in its full collections (~20 ms
                # after a decode of a large capture); the system takes the memory back anyway.
                gc.freeze()
            gc.set_threshold(*before)

    def list_commands(self, ctx: click.Context) -> list[str]:
        plugins = {ep.name for ep in _plugins()}
        return sorted(set(CORE_COMMANDS) | plugins | set(self.commands))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        target = CORE_COMMANDS.get(cmd_name)
        if target is not None:
            module, _, attr = target.partition(":")
            cmd = getattr(importlib.import_module(module), attr)
        else:
            eps = [ep for ep in _plugins() if ep.name == cmd_name]
            if not eps:
                return None
            try:
                cmd = eps[0].load()
            except ImportError as err:  # a broken optional part must not break the CLI
                problem = f"{cmd_name}: {err}"

                @click.command(cmd_name, help=f"Unavailable: {problem}")
                def unavailable() -> None:
                    raise click.ClickException(f"this command cannot load ({problem})")

                cmd = unavailable
        if not isinstance(cmd, click.Command):
            return None
        self.add_command(cmd, cmd_name)
        return cmd

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # Each command's whole first sentence, wrapped rather than cut off with "...".
        rows = [(name, cmd.get_short_help_str(limit=1000)) for name in self.list_commands(ctx)
                if (cmd := self.get_command(ctx, name)) is not None and not cmd.hidden]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="v2gsniff", prog_name="v2gsniff")
def main() -> None:
    """v2gsniff: see what an EV and a charger said to each other.

    Decodes HomePlug GreenPHY/SLAC, SDP, V2GTP, TLS and EXI (DIN 70121, ISO 15118-2/-20)
    from pcap/pcapng captures, rebuilds charging sessions and reports per vehicle.
    """

