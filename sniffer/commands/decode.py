"""``v2gsniff decode FILE...``: every message of one or more captures, as lines or JSONL."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import IO, TYPE_CHECKING, Any

import click

from v2gsniff.sniffer.addons import RecordWriter, Visibility
from v2gsniff.sniffer.capture.errors import (  # noqa: F401 - re-exported: the exit codes are decode's
    EXIT_CORRUPT,
    EXIT_NOT_A_CAPTURE,
    EXIT_NOT_FOUND,
    EXIT_OK,
    EXIT_TRUNCATED,
    exit_code_for,
)
from v2gsniff.sniffer.engine import CaptureProblem, Engine
from v2gsniff.sniffer.model import Record
from v2gsniff.sniffer.output import open_writer
from v2gsniff.sniffer.streams.tls.keylog import KeyLog

if TYPE_CHECKING:
    from v2gsniff.sniffer.output.jsonl import JsonlWriter
    from v2gsniff.sniffer.output.text import TextWriter

EXIT_CODES_HELP = (
    "Exit codes: 0 success (decode errors inside a capture are records, not failures); "
    "2 usage error; 3 file not found or unreadable; 4 not a pcap/pcapng file; "
    "5 capture cut off mid-record (every complete frame before the cut is still decoded); "
    "6 corrupt capture structure."
)


def load_keylogs(paths: tuple[str, ...] | list[str]) -> KeyLog:
    """One key log from every file given (unknown labels and bad lines are skipped)."""
    keylog = KeyLog()
    for path in paths:
        try:
            keylog.add_file(path)
        except OSError as err:
            raise click.BadParameter(f"cannot read key log {path}: {err.strerror}") from err
    return keylog


class Progress:
    """An addon: a rich progress bar per capture on stderr (used when stderr is a terminal)."""

    def __init__(self) -> None:
        self._progress: Any = None

    def progress(self, engine: Engine, done: int, total: int) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

        if self._progress is None:
            bar = Progress("[progress.description]{task.description}", BarColumn(), DownloadColumn(),
                           TimeRemainingColumn(), console=Console(stderr=True), transient=True)
            bar.start()
            self._progress, self._task = bar, bar.add_task(engine.capture, total=total)
        self._progress.update(self._task, completed=done)

    def capture_end(self, engine: Engine) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None


class ExitStatus:
    """An addon: says why a capture stopped early, and keeps the worst exit status."""

    def __init__(self) -> None:
        self.status = EXIT_OK

    def capture_problem(self, engine: Engine, problem: CaptureProblem) -> None:
        click.echo(f"v2gsniff: {problem.name}: {problem.message}", err=True)
        self.status = max(self.status, problem.exit_code)


@click.command(epilog=EXIT_CODES_HELP)
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, allow_dash=True))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "jsonl"]),
    default="text",
    show_default=True,
    help="Readable lines, or one JSON object per message.",
)
@click.option(
    "--keylog",
    "keylogs",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False),
    help="NSS key log file (SSLKEYLOGFILE format) for TLS decryption; repeatable.",
)
@click.option("--show-keys", is_flag=True, help="Show NMKs and TLS secrets instead of <redacted>.")
@click.option(
    "--filter",
    "filter_text",
    default="",
    metavar="EXPR",
    help="Only records matching EXPR, e.g. 'v2g and name ~ CurrentDemand', 'slac', 'errors' "
    "(the terminal UI's filter language; 'session' needs the UI).",
)
@click.option(
    "--xml", is_flag=True, help="Add the namespaced XML of each decoded V2G message (JSONL key 'xml')."
)
@click.option("--color/--no-color", default=None, help="Force colours on or off (default: when a terminal).")
def decode(
    files: tuple[str, ...],
    fmt: str,
    keylogs: tuple[str, ...],
    show_keys: bool,
    filter_text: str,
    xml: bool,
    color: bool | None,
) -> None:
    """Decode every message in capture FILES (pcap, pcapng, gzip; '-' for stdin).

    TLS is decrypted with secrets from --keylog files, from key-log lines the capture itself
    carries (UDP disclosure datagrams, pcapng Decryption Secrets Blocks), in one pass.
    """
    out: IO[str] = sys.stdout
    multi = len(files) > 1

    def writer_for(capture: str) -> JsonlWriter | TextWriter:
        return open_writer(fmt, out, color, {"capture": capture} if multi else None)

    keylog = load_keylogs(keylogs)
    status = ExitStatus()
    # The visibility check says so when the capture cannot see the whole session (a bystander
    # modem); its findings pass whatever --filter selects.
    addons: list[object] = [Visibility(), RecordWriter(writer_for, matches=_record_filter(filter_text)), status]
    if sys.stderr.isatty():
        addons.append(Progress())
    engine = Engine(addons, keylog=keylog, show_keys=show_keys, xml=xml)
    try:
        engine.read(files)
    except BrokenPipeError:
        sys.stderr.close()
        sys.exit(EXIT_OK)
    sys.exit(status.status)


def _record_filter(text: str) -> Callable[[Record], bool] | None:
    """The --filter predicate, or None for no filter (the filter module loads only when used)."""
    if not text.strip():
        return None
    from v2gsniff.sniffer.filters import FilterError, compile_filter

    try:
        selected = compile_filter(text)
    except FilterError as err:
        raise click.BadParameter(f"{err} (at character {err.position + 1})", param_hint="--filter") from err
    if selected.uses_session:
        raise click.BadParameter(
            "'session' is known in the terminal UI only; use 'stream == N'", param_hint="--filter"
        )
    return selected.matches
