"""``v2gsniff decode FILE...``: every message of one or more captures, as lines or JSONL."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from typing import IO, TYPE_CHECKING

import click

from v2gsniff.sniffer.capture import CaptureError, open_capture
from v2gsniff.sniffer.findings.check import FindingsCheck
from v2gsniff.sniffer.findings.model import Finding
from v2gsniff.sniffer.findings.records import finding_record
from v2gsniff.sniffer.model import Record
from v2gsniff.sniffer.output.jsonl import JsonlWriter
from v2gsniff.sniffer.pipeline import Decoder
from v2gsniff.sniffer.streams.tls.keylog import KeyLog

if TYPE_CHECKING:
    from v2gsniff.sniffer.output.text import TextWriter

# Exit codes (documented in --help). 2 is click's own code for usage errors.
EXIT_OK = 0
EXIT_NOT_FOUND = 3
EXIT_NOT_A_CAPTURE = 4
EXIT_TRUNCATED = 5
EXIT_CORRUPT = 6

EXIT_CODES_HELP = (
    "Exit codes: 0 success (decode errors inside a capture are records, not failures); "
    "2 usage error; 3 file not found or unreadable; 4 not a pcap/pcapng file; "
    "5 capture cut off mid-record (every complete frame before the cut is still decoded); "
    "6 corrupt capture structure."
)


def exit_code_for(err: CaptureError) -> int:
    from v2gsniff.sniffer.capture import CaptureNotFound, NotACapture, TruncatedCapture

    if isinstance(err, CaptureNotFound):
        return EXIT_NOT_FOUND
    if isinstance(err, NotACapture):
        return EXIT_NOT_A_CAPTURE
    if isinstance(err, TruncatedCapture):
        return EXIT_TRUNCATED
    return EXIT_CORRUPT


def load_keylogs(paths: tuple[str, ...] | list[str]) -> KeyLog:
    """One key log from every file given (unknown labels and bad lines are skipped)."""
    keylog = KeyLog()
    for path in paths:
        try:
            keylog.add_file(path)
        except OSError as err:
            raise click.BadParameter(f"cannot read key log {path}: {err.strerror}") from err
    return keylog


def decode_records(path: str, decoder: Decoder, progress: bool = False) -> Iterator[Record]:
    """Records of one capture in order; raises CaptureError after yielding what was readable."""
    for batch in decode_batches(path, decoder, progress):
        yield from batch


def decode_batches(path: str, decoder: Decoder, progress: bool = False) -> Iterator[list[Record]]:
    """As :func:`decode_records`, a frame's records at a time (frames without any are skipped)."""
    with open_capture(path) as reader:
        bar = _Progress(path, reader.size) if progress and reader.size else None
        feed = decoder.feed
        try:
            if bar is None:
                for item in reader:
                    records = feed(item)
                    if records:
                        yield records
            else:
                for item in reader:
                    records = feed(item)
                    if records:
                        yield records
                    if reader.frames_read % 512 == 0:
                        bar.update(reader.bytes_read)
            yield decoder.finish()
        except CaptureError:
            yield decoder.finish()
            raise
        finally:
            if bar is not None:
                bar.close()


class _Progress:
    """A rich progress bar on stderr, only used when stderr is a terminal."""

    def __init__(self, label: str, total: int) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

        self._progress = Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            DownloadColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self._progress.start()
        self._task = self._progress.add_task(label, total=total)

    def update(self, done: int) -> None:
        self._progress.update(self._task, completed=done)

    def close(self) -> None:
        self._progress.stop()


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
@click.option("--findings/--no-findings", default=True, show_default=True,
              help="Interleave findings (kind 'finding': rule, severity, side, requirement, text) in frame order.")
def decode(
    files: tuple[str, ...],
    fmt: str,
    keylogs: tuple[str, ...],
    show_keys: bool,
    filter_text: str,
    xml: bool,
    color: bool | None,
    findings: bool,
) -> None:
    """Decode every message in capture FILES (pcap, pcapng, gzip; '-' for stdin).

    TLS is decrypted with secrets from --keylog files, from key-log lines the capture itself
    carries (UDP disclosure datagrams, pcapng Decryption Secrets Blocks), in one pass. Findings
    (what broke which rule; see 'v2gsniff check --rules') follow the record that shows them.
    """
    out: IO[str] = sys.stdout
    progress = sys.stderr.isatty()
    status = EXIT_OK
    keylog = load_keylogs(keylogs)
    matches = _record_filter(filter_text)
    for path in files:
        extra = {"capture": path} if len(files) > 1 else None
        writer = JsonlWriter(out, extra) if fmt == "jsonl" else _text_writer(out, color)
        decoder = Decoder(show_keys=show_keys, keylog=keylog, xml=xml)
        try:
            check = FindingsCheck()
            write, feed = writer.write, check.feed
            for batch in decode_batches(path, decoder, progress):
                for record in batch:
                    if matches is None or matches(record):
                        write(record)
                    found = feed(record)
                    if found and findings:
                        write_findings(found, write, matches, record.time)
            late = check.finish()
            # Say so when the capture cannot see the whole session (a bystander modem).
            for seen in check.visibility.findings():
                writer.write(seen.to_record())
            if findings:
                write_findings(late, write, matches)
            writer.close()
        except CaptureError as err:
            writer.close()
            click.echo(f"v2gsniff: {path}: {err}", err=True)
            status = max(status, exit_code_for(err))
        except BrokenPipeError:
            sys.stderr.close()
            sys.exit(EXIT_OK)
    sys.exit(status)


def write_findings(found: list[Finding], write: Callable[[Record], None],
                   matches: Callable[[Record], bool] | None = None, time: float | None = None) -> None:
    """Findings as ``finding`` records, after the record that showed them (``time`` when they have none)."""
    for f in found:
        record = finding_record(f, time)
        if matches is None or matches(record):
            write(record)


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


def _text_writer(out: IO[str], color: bool | None) -> JsonlWriter | TextWriter:
    # rich is only imported for readable output
    from v2gsniff.sniffer.output.text import TextWriter

    return TextWriter(out, color)
