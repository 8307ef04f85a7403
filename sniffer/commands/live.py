"""``v2gsniff live IFACE``: decode a charging session while it happens.

IFACE is a network interface (the EVSE's or EV's PLC netdev, e.g. ``qca0``/``eth1``) or
``-`` for a pcap/pcapng stream on stdin (``ssh root@evse tcpdump -i qca0 -U -w - | v2gsniff
live -``). With ``--no-tui`` records stream to stdout as ``decode`` prints them; otherwise
the terminal UI is started through the ``v2gsniff.ui`` entry point ``live``, called as

    run_live(source, *, title: str, keylog_paths: list[str], write: PcapngWriter | RingWriter | None,
             setup: AnalysisSetup) -> int

where ``source`` is a :class:`~v2gsniff.sniffer.capture.live_feed.LiveFeed`: an iterator of
``RawFrame | DecryptionSecrets | LinkEvent`` (new key-log lines arrive as DecryptionSecrets)
with ``stop()`` for another thread and ``read_batch(timeout)``. The feed has already written
every frame (and, with ``--embed-keys``, every secret) to ``write``: the UI only shows it (path,
frames_written), never writes. ``setup`` carries --trust/--oem-key.

Before anything is read, :func:`~v2gsniff.sniffer.capture.privsep.separate` leaves a small helper
as the only holder of the right to open raw sockets and makes this process an unprivileged user
(``--user``, or sudo's caller): the feed, the decoder, the writer and the UI never run as root.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable
from importlib.metadata import entry_points
from types import FrameType
from typing import IO, Any, BinaryIO

import click

from v2gsniff.sniffer.addons import Findings, Pnc, RecordWriter
from v2gsniff.sniffer.capture import CaptureError, PcapngWriter, RingWriter, open_capture
from v2gsniff.sniffer.capture.live import BACKENDS, LinkEvent, LiveCaptureError, open_live
from v2gsniff.sniffer.capture.live_feed import BatchSource, LiveFeed, StreamSource
from v2gsniff.sniffer.capture.privsep import PrivilegeError, separate
from v2gsniff.sniffer.capture.writer import DEFAULT_SNAPLEN, InterfaceSpec
from v2gsniff.sniffer.commands import exits
from v2gsniff.sniffer.commands.decode import pnc_checker, pnc_options
from v2gsniff.sniffer.engine import Engine
from v2gsniff.sniffer.model import LINKTYPE_ETHERNET, Record
from v2gsniff.sniffer.output import open_writer
from v2gsniff.sniffer.setup import AnalysisSetup

UI_GROUP = "v2gsniff.ui"
UI_NAME = "live"

EXIT_HELP = (
    "Exit codes: 0 capture ended (Ctrl-C, kill, end of the stdin stream); 2 usage error, no "
    "terminal UI installed, no terminal to show it on, or root with no user to decode as; 3 the interface "
    "cannot be captured; 4-6 as for decode when the stdin stream is not a capture, is cut off mid-record "
    "or is corrupt."
)


def find_ui() -> Callable[..., int] | None:
    """The terminal UI's ``run_live``, if an installed package provides it."""
    for ep in entry_points(group=UI_GROUP):
        if ep.name == UI_NAME:
            try:
                func = ep.load()
            except ImportError:
                return None
            return func if callable(func) else None
    return None


def _open_writer(path: str | None, ring: int | None, ring_size: float,
                 interfaces: list[InterfaceSpec], private: bool) -> PcapngWriter | RingWriter | None:
    if path is None:
        return None
    try:
        if ring is not None:
            return RingWriter(path, files=ring, max_bytes=int(ring_size * 1_000_000),
                              interfaces=interfaces, line_buffered=True, private=private)
        return PcapngWriter(path, interfaces=interfaces, line_buffered=True, private=private)
    except OSError as err:
        raise click.BadParameter(f"cannot write {path}: {err.strerror or err}", param_hint="--write") from err


@click.command(epilog=EXIT_HELP)
@click.argument("interface")
@click.option("--write", "write_path", type=click.Path(dir_okay=False, writable=True),
              help="Record every captured frame to this pcapng file (kept valid after Ctrl-C or kill).")
@click.option("--ring", type=click.IntRange(min=0), default=None,
              help="With --write: keep a ring of N files (FILE_00001.pcapng ...); 0 keeps them all.")
@click.option("--ring-size", type=click.FloatRange(min=0.01), default=100.0, show_default=True,
              help="With --ring: size of each file in MB.")
@click.option("--keylog", "keylogs", multiple=True, type=click.Path(dir_okay=False),
              help="NSS key log file to follow as it grows (may not exist yet); repeatable.")
@pnc_options
@click.option("--no-tui", is_flag=True, help="Print records to stdout instead of starting the terminal UI.")
@click.option("--format", "fmt", type=click.Choice(["text", "jsonl"]), default="text", show_default=True,
              help="With --no-tui: readable lines or one JSON object per message.")
@click.option("--show-keys", is_flag=True,
              help="With --no-tui: show NMKs and TLS secrets instead of <redacted> (the UI never shows them).")
@click.option("--color/--no-color", default=None, help="Force colours on or off (default: when a terminal).")
@click.option("--backend", type=click.Choice(BACKENDS), default="auto", show_default=True,
              help="afpacket: raw socket (root or CAP_NET_RAW); dumpcap: Wireshark's capture helper "
                   "(wireshark group); auto: the first that works.")
@click.option("--embed-keys", is_flag=True,
              help="With --write: also record TLS secrets in the file (pcapng Decryption Secrets Blocks); "
                   "the file is then readable by its owner only.")
@click.option("--user", "run_as", metavar="NAME",
              help="Started as root: decode as this user (default: the user who ran sudo). Only a small "
                   "helper keeps the right to open raw sockets.")
@click.option("--allow-root", is_flag=True,
              help="Started as root with no user to become: decode as root anyway (not recommended).")
def live(interface: str, write_path: str | None, ring: int | None, ring_size: float, keylogs: tuple[str, ...],
         trust: tuple[str, ...], oem_key: str | None, no_tui: bool, fmt: str, show_keys: bool, color: bool | None,
         backend: str, embed_keys: bool, run_as: str | None, allow_root: bool) -> None:
    """Capture on INTERFACE (or read a capture stream from '-') and decode it as it arrives.

    Only HomePlug (0x88E1) and IPv6 frames are captured. The capture survives the PLC modem
    resetting between sessions: the interface going down and coming back is reported and
    capturing continues. Started as root, v2gsniff decodes as an unprivileged user (see --user).
    """
    if ring is not None and write_path is None:
        raise click.UsageError("--ring needs --write FILE (the name the ring files are made from)")
    if embed_keys and write_path is None:
        raise click.UsageError("--embed-keys needs --write FILE")
    ui = None
    stdin_stream: BinaryIO | None = None
    if not no_tui and interface == "-" and not exits.has_terminal(stdin_needed=False):
        # A pipe in and a pipe out: nobody to show a screen to, so stream the records.
        click.echo("v2gsniff: standard output is not a terminal; printing records (as with --no-tui)", err=True)
        no_tui = True
    if not no_tui:
        ui = find_ui()
        if ui is None:
            click.echo("v2gsniff: the terminal UI is not installed; use --no-tui", err=True)
            sys.exit(exits.EXIT_USAGE)
        if interface == "-":
            stdin_stream = _keys_from_terminal()
        elif not exits.has_terminal():
            exits.fail(f"{exits.NO_TERMINAL}; use --no-tui")
    try:  # before anything is read: nothing below runs as root
        privileges = separate(None if interface == "-" or backend == "dumpcap" else interface,
                              user=run_as, allow_root=allow_root)
    except PrivilegeError as err:
        click.echo(f"v2gsniff: {err}", err=True)
        sys.exit(exits.EXIT_USAGE)
    setup = AnalysisSetup(trust, oem_key)
    try:  # loaded as the unprivileged user, as every capture does: what it cannot use is said now
        pnc_checker(setup)
    except click.BadParameter:
        privileges.close()
        raise
    for path in keylogs:  # followed as the unprivileged user: say so when it cannot read one
        if os.path.exists(path) and not os.access(path, os.R_OK):
            who = f" as {privileges.account.name}" if privileges.account is not None else ""
            click.echo(f"v2gsniff: warning: cannot read key log {path}{who}; TLS stays encrypted until it can",
                       err=True)

    source: BatchSource
    if interface == "-":
        try:
            reader = open_capture("-", stdin=stdin_stream)
        except CaptureError as err:
            exits.warn("-", err)
            sys.exit(exits.exit_code_for(err))
        specs: list[InterfaceSpec] = [(lt, None, DEFAULT_SNAPLEN) for _, lt in sorted(reader.linktypes.items())]
        source, title = StreamSource(reader), "stdin"
    else:
        try:
            capture = open_live(interface, backend=backend, raw_socket=privileges.opener)
        except LiveCaptureError as err:
            click.echo(f"v2gsniff: {err}", err=True)
            privileges.close()
            sys.exit(exits.EXIT_NOT_FOUND)
        specs = [(LINKTYPE_ETHERNET, interface, DEFAULT_SNAPLEN)]
        source, title = capture, f"{interface} ({capture.backend})"
    writer = _open_writer(write_path, ring, ring_size, specs or [(LINKTYPE_ETHERNET, None, DEFAULT_SNAPLEN)],
                          private=embed_keys)
    feed = LiveFeed(source, keylog_paths=keylogs, writer=writer, writer_interfaces=max(len(specs), 1),
                    embed_secrets=embed_keys)
    try:
        if ui is not None:
            status = ui(feed, title=title, keylog_paths=list(keylogs), write=writer, setup=setup)
        else:
            if interface != "-":
                click.echo(f"v2gsniff: capturing on {title}; Ctrl-C to stop", err=True)
            status = _stream(feed, fmt, show_keys, color, sys.stdout, setup)
    finally:
        feed.stop()
        if writer is not None:
            writer.close()
        privileges.close()
    error = getattr(source, "error", None)
    if isinstance(error, CaptureError):
        exits.warn("-", error)
        status = max(status, exits.exit_code_for(error))
    sys.exit(status)


def _keys_from_terminal() -> BinaryIO | None:
    """``live -`` with the UI: the capture stream moves to a descriptor of its own and the UI reads
    its keys from the controlling terminal (exit 2 when there is none)."""
    if sys.stdin.isatty():
        return None  # a terminal on stdin is not a capture stream; let open_capture say so
    try:
        tty = os.open("/dev/tty", os.O_RDONLY)
    except OSError:
        exits.fail(f"{exits.NO_TERMINAL}; use --no-tui")
    stream = os.fdopen(os.dup(0), "rb", buffering=0)
    os.dup2(tty, 0)
    os.close(tty)
    return stream


class _Stderr:
    """An addon: link events and findings as lines on stderr (stdout carries the records)."""

    def link_event(self, event: LinkEvent) -> None:
        click.echo(f"v2gsniff: {event.message}", err=True)

    def findings(self, records: list[Record]) -> None:
        for r in records:
            click.echo(f"v2gsniff: warning: {r.summary}", err=True)


def _stream(feed: LiveFeed, fmt: str, show_keys: bool, color: bool | None, out: IO[str],
            setup: AnalysisSetup | None = None) -> int:
    """--no-tui: records to ``out`` as they complete, link events and findings to stderr."""
    writer = open_writer(fmt, out, color)
    # signed messages and certificate chains carry their verdicts and findings follow their record, as in
    # decode; visibility warnings go to stderr
    engine = Engine([Pnc(setup), Findings(), RecordWriter(lambda capture: writer, findings=False), _Stderr()],
                    show_keys=show_keys, capture="live")
    restore = _stop_on_sigterm(feed)
    try:
        engine.run_live(feed)
    except BrokenPipeError:
        sys.stderr.close()
        return 0
    finally:
        restore()
    records = engine.decoder.stats.records if engine.decoder is not None else 0
    dropped = getattr(feed.source, "dropped", 0)
    saved = f"; recorded to {_where(feed)}" if feed.writer else ""
    click.echo(f"v2gsniff: {feed.frames} frames, {records} records, {dropped} dropped by the kernel{saved}",
               err=True)
    return 0


def _where(feed: LiveFeed) -> str:
    w = feed.writer
    if isinstance(w, RingWriter):
        return f"{len(w.paths)} ring files ending with {w.current_path}"
    return "the --write file"


def _stop_on_sigterm(feed: LiveFeed) -> Callable[[], None]:
    """``kill`` ends the capture like Ctrl-C (records flushed, files closed)."""
    try:
        def handler(signum: int, frame: FrameType | None) -> None:
            feed.stop()

        old: Any = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread (e.g. a test runner's worker): leave signals alone
        return lambda: None

    def restore() -> None:
        signal.signal(signal.SIGTERM, old)

    return restore
