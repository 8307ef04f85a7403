"""``v2gsniff decode FILE...``: every message of one or more captures, as lines or JSONL."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import IO, TYPE_CHECKING, Any

import click

from v2gsniff.sniffer.addons import Findings, Pnc, RecordWriter
from v2gsniff.sniffer.commands.exits import EXIT_CODES_HELP, EXIT_OK, exit_code_for, warn
from v2gsniff.sniffer.engine import CaptureProblem, Engine
from v2gsniff.sniffer.model import Record
from v2gsniff.sniffer.output import open_writer
from v2gsniff.sniffer.pnc import PncChecker
from v2gsniff.sniffer.setup import AnalysisSetup
from v2gsniff.sniffer.streams.tls.keylog import KeyLog

if TYPE_CHECKING:
    from v2gsniff.sniffer.filters import FieldsSeen, Filter
    from v2gsniff.sniffer.output.jsonl import JsonlWriter
    from v2gsniff.sniffer.output.text import TextWriter


def load_keylogs(paths: tuple[str, ...] | list[str]) -> KeyLog:
    """One key log from every file given (unknown labels and bad lines are skipped)."""
    try:
        return AnalysisSetup(keylogs=tuple(paths)).keylog()
    except OSError as err:
        raise click.BadParameter(f"cannot read key log {err.filename}: {err.strerror}") from err


keylog_option = click.option(
    "--keylog", "keylogs", multiple=True, type=click.Path(exists=True, dir_okay=False),
    help="NSS key log file (SSLKEYLOGFILE format) for TLS decryption, besides the secrets a capture "
         "carries; repeatable.")
"""``--keylog`` of every command that decodes captures."""

TRUST_HELP = ("Root certificates (PEM or DER file, or a directory of them) that Plug & Charge chains are "
              "verified against; repeatable. Without it a sound chain is 'verified up to an untrusted root'.")


OEM_KEY_HELP = ("OEM provisioning private key (PEM or DER): decrypt the contract private key of each "
                "ISO 15118-2 CertificateInstallationRes and check it belongs to the contract certificate.")


def pnc_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--trust`` and ``--oem-key`` (parameters ``trust``, ``oem_key``) of every command that verifies
    Plug & Charge."""
    command = click.option("--oem-key", type=click.Path(exists=True, dir_okay=False), help=OEM_KEY_HELP)(command)
    return click.option("--trust", multiple=True, type=click.Path(exists=True), help=TRUST_HELP)(command)


def pnc_checker(setup: AnalysisSetup) -> PncChecker:
    """The checker for --trust/--oem-key; --trust files without a certificate are said on stderr."""
    try:
        checker = setup.checker()
    except (OSError, ValueError, TypeError) as err:
        raise click.BadParameter(str(err), param_hint="--oem-key") from err
    for problem in checker.trust.problems if checker.trust is not None else ():
        click.echo(f"v2gsniff: --trust {problem}", err=True)
    return checker


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
        warn(problem.name, problem.error)
        self.status = max(self.status, exit_code_for(problem.error))


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
@keylog_option
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
@pnc_options
@click.option("--findings/--no-findings", default=True, show_default=True,
              help="Interleave findings (kind 'finding': rule, severity, side, requirement, text) in frame order.")
@click.option("--sessions", "with_sessions", is_flag=True,
              help="Give every record its charging session's id (JSONL key 'session', the #N of 'v2gsniff "
              "sessions'); tracks sessions as 'sessions' does, at some speed.")
def decode(
    files: tuple[str, ...],
    fmt: str,
    keylogs: tuple[str, ...],
    show_keys: bool,
    filter_text: str,
    xml: bool,
    color: bool | None,
    trust: tuple[str, ...],
    oem_key: str | None,
    findings: bool,
    with_sessions: bool,
) -> None:
    """Decode every message in capture FILES (pcap, pcapng, gzip; '-' for stdin).

    TLS is decrypted with secrets from --keylog files, from key-log lines the capture itself
    carries (UDP disclosure datagrams, pcapng Decryption Secrets Blocks), in one pass. Findings
    (what broke which rule; see 'v2gsniff check --rules') follow the record that shows them.
    """
    out: IO[str] = sys.stdout
    multi = len(files) > 1
    def writer_for(capture: str) -> JsonlWriter | TextWriter:
        return open_writer(fmt, out, color, {"capture": capture} if multi else None)

    keylog = load_keylogs(keylogs)
    status = ExitStatus()
    matches, fields_check = _record_filter(filter_text)
    setup = AnalysisSetup(trust, oem_key)
    pnc_checker(setup)  # says what is wrong with the files once, before any output
    # Signed V2G messages gain ``signature``, certificate chains ``chains`` (Pnc); each record's
    # findings follow it (Findings, which also says when the capture cannot see the whole session:
    # those pass whatever --filter selects).
    addons: list[object] = [Pnc(setup), Findings(write=findings, sessions=with_sessions), RecordWriter(writer_for, matches=matches), status]
    if sys.stderr.isatty():
        addons.append(Progress())
    engine = Engine(addons, keylog=keylog, show_keys=show_keys, xml=xml)
    try:
        engine.read(files)
    except BrokenPipeError:
        sys.stderr.close()
        sys.exit(EXIT_OK)
    if fields_check is not None:
        for problem in fields_check[0].unknown(fields_check[1]):
            click.echo(f"v2gsniff: warning: --filter: {problem}", err=True)
    sys.exit(status.status)


def _record_filter(text: str) -> tuple[Callable[[Record], bool] | None, tuple[FieldsSeen, Filter] | None]:
    """The --filter predicate (None for no filter) and the check of its field names."""
    if not text.strip():
        return None, None
    from v2gsniff.sniffer.filters import FieldsSeen, FilterError, compile_filter

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
    seen = FieldsSeen()

    def matches(record: Record) -> bool:
        seen.note(record)
        return selected.matches(record)

    return matches, (seen, selected)
