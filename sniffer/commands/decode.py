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
from v2gsniff.sniffer.pnc import PncChecker, PncSetup
from v2gsniff.sniffer.streams.tls.keylog import KeyLog

if TYPE_CHECKING:
    from v2gsniff.sniffer.output.text import TextWriter

from v2gsniff.sniffer.commands.exits import (  # noqa: F401 - decode's names, kept for importers
    EXIT_CODES_HELP,
    EXIT_CORRUPT,
    EXIT_NOT_A_CAPTURE,
    EXIT_NOT_FOUND,
    EXIT_OK,
    EXIT_TRUNCATED,
    exit_code_for,
    warn,
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


TRUST_HELP = ("Root certificates (PEM or DER file, or a directory of them) that Plug & Charge chains are "
              "verified against; repeatable. Without it a sound chain is 'verified up to an untrusted root'.")


OEM_KEY_HELP = ("OEM provisioning private key (PEM or DER): decrypt the contract private key of each "
                "ISO 15118-2 CertificateInstallationRes and check it belongs to the contract certificate.")


def pnc_checker(setup: PncSetup) -> PncChecker:
    """The checker for --trust/--oem-key; --trust files without a certificate are said on stderr."""
    try:
        checker = setup.checker()
    except (OSError, ValueError, TypeError) as err:
        raise click.BadParameter(str(err), param_hint="--oem-key") from err
    for problem in checker.trust.problems if checker.trust is not None else ():
        click.echo(f"v2gsniff: --trust {problem}", err=True)
    return checker


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
@click.option("--trust", "trust_paths", multiple=True, type=click.Path(exists=True), help=TRUST_HELP)
@click.option("--oem-key", type=click.Path(exists=True, dir_okay=False), help=OEM_KEY_HELP)
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
    trust_paths: tuple[str, ...],
    oem_key: str | None,
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
    matches, fields_check = _record_filter(filter_text)
    setup = PncSetup(trust_paths, oem_key)
    pnc_checker(setup)  # says what is wrong with the files once, before any output
    for path in files:
        extra = {"capture": path} if len(files) > 1 else None
        writer = JsonlWriter(out, extra) if fmt == "jsonl" else _text_writer(out, color)
        decoder = Decoder(show_keys=show_keys, keylog=keylog, xml=xml)
        try:
            check = FindingsCheck()
            write, feed = writer.write, check.feed
            # signed V2G messages gain ``signature``, certificate chains ``chains``
            pnc = setup.checker().observe
            for batch in decode_batches(path, decoder, progress):
                for record in batch:
                    record = pnc(record)
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
            warn(path, err)
            status = max(status, exit_code_for(err))
        except BrokenPipeError:
            sys.stderr.close()
            sys.exit(EXIT_OK)
    if fields_check is not None:
        fields_check.report()
    sys.exit(status)


def write_findings(found: list[Finding], write: Callable[[Record], None],
                   matches: Callable[[Record], bool] | None = None, time: float | None = None) -> None:
    """Findings as ``finding`` records, after the record that showed them (``time`` when they have none)."""
    for f in found:
        record = finding_record(f, time)
        if matches is None or matches(record):
            write(record)


class _FieldsSeen:
    """``fields.KEY`` names of a filter that no record had: probably misspelt, so say which exist."""

    def __init__(self, keys: frozenset[str]) -> None:
        self.keys = keys
        self.seen: set[str] = set()

    def note(self, record: Record) -> None:
        if record.fields:
            self.seen.update(record.fields)

    def report(self) -> None:
        import difflib

        for key in sorted(self.keys - self.seen):
            near = difflib.get_close_matches(key, self.seen, n=4, cutoff=0.5)
            hint = (f"did you mean {', '.join('fields.' + n for n in near)}?" if near
                    else f"fields seen: {', '.join(sorted(self.seen)[:30]) or 'none'}")
            click.echo(f"v2gsniff: warning: no record has a field {key!r} (--filter fields.{key}); {hint}",
                       err=True)


def _record_filter(text: str) -> tuple[Callable[[Record], bool] | None, _FieldsSeen | None]:
    """The --filter predicate (None for no filter) and the check of its field names."""
    if not text.strip():
        return None, None
    from v2gsniff.sniffer.filters import FilterError, compile_filter

    try:
        selected = compile_filter(text)
    except FilterError as err:
        raise click.BadParameter(f"{err} (at character {err.position + 1})", param_hint="--filter") from err
    if selected.uses_session:
        raise click.BadParameter(
            "'session' is known in the terminal UI only; use 'stream == N'", param_hint="--filter"
        )
    if not selected.field_keys:
        return selected.matches, None
    seen = _FieldsSeen(selected.field_keys)

    def matches(record: Record) -> bool:
        seen.note(record)
        return selected.matches(record)

    return matches, seen


def _text_writer(out: IO[str], color: bool | None) -> JsonlWriter | TextWriter:
    # rich is only imported for readable output
    from v2gsniff.sniffer.output.text import TextWriter

    return TextWriter(out, color)
