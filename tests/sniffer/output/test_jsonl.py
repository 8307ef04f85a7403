"""The JSONL writer: every line is the record's JSON (shared field maps and bodies are encoded once)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REAL
from v2gsniff.sniffer.capture import open_capture
from v2gsniff.sniffer.model import Record
from v2gsniff.sniffer.output.jsonl import PIPE_SIZE, JsonlWriter, LineSink, widen_pipe
from v2gsniff.sniffer.pipeline import Decoder

CAPTURES = Path(__file__).resolve().parents[3] / "captures"


def _expected(r: Record, extra: dict[str, object] | None = None) -> dict[str, object]:
    # The reference: the documented object, through the standard encoder and back.
    obj = r.to_json()
    body = obj.pop("body", None)
    obj.update(extra or {})
    if body is not None:
        obj["body"] = body
    return json.loads(json.dumps(obj, default=lambda o: o.hex() if isinstance(o, bytes) else str(o)))


def _records(path: Path) -> list[Record]:
    decoder = Decoder()
    with open_capture(path) as reader:
        out = [r for item in reader for r in decoder.feed(item)]
    return out + decoder.finish()


@pytest.mark.parametrize("name", ["iso20_tls13.pcapng", "iso2_dc.pcapng", "slac_no_match.pcapng"])
def test_every_line_is_the_records_json_in_key_order(name: str) -> None:
    records = _records(CAPTURES / name)
    out = io.StringIO()
    writer = JsonlWriter(out, {"capture": name})
    for r in records:
        writer.write(r)
    written = out.getvalue()  # lines wait in the writer until flushed, in batches of whole lines
    writer.close()
    assert len(written) < len(out.getvalue()) and out.getvalue().startswith(written) and written[-1:] in ("", "\n")
    lines = out.getvalue().splitlines()
    assert len(lines) == len(records) > 50
    for line, r in zip(lines, records, strict=True):
        got = json.loads(line)
        want = _expected(r, {"capture": name})
        assert got == want
        assert list(got) == list(want)  # same key order: frame ... error, extras, capture, body


def test_real_capture_lines_round_trip() -> None:
    path = REAL / "pyPLC__2023-04-16_at_home_Ioniq_in_currentDemandLoop.pcapng"
    if not path.exists():
        pytest.skip("../shared/captures/real is absent (the real captures live beside the repository)")
    records = _records(path)
    out = io.StringIO()
    writer = JsonlWriter(out)
    for r in records:
        writer.write(r)
    writer.close()
    got = [json.loads(line) for line in out.getvalue().splitlines()]
    assert got == [_expected(r) for r in records]


def test_cached_text_follows_a_new_object_at_a_reused_address() -> None:
    # Identity caching must never serve the text of a dead object whose id was reused.
    out = io.StringIO()
    writer = JsonlWriter(out)
    for i in range(10_000):
        writer.write(Record(i, 0.0, "homeplug", "X", fields={"i": i, "s": 'é"\n'}))
    writer.flush()
    lines = out.getvalue().splitlines()
    assert len(lines) == 10_000
    for i, line in enumerate(lines):
        assert json.loads(line)["fields"] == {"i": i, "s": 'é"\n'}


def test_values_of_every_json_type() -> None:
    out = io.StringIO()
    r = Record(
        7,
        1.5,
        "v2g",
        "N",
        "a",
        "b",
        {"x": [1, 2]},
        'bad "thing"',
        extra={"flag": True, "none": None, "n": 3, "tuple": (1, 2), "f": 0.25, "body": {"A": 1}},
    )
    writer = JsonlWriter(out)
    writer.write(r)
    writer.flush()
    assert json.loads(out.getvalue()) == _expected(r)


def test_a_records_own_key_wins_over_the_shared_tail_and_appears_once() -> None:
    """Nothing relies on a record's own keys and its shared keys being distinct."""
    from v2gsniff.sniffer.model import SharedTail

    tail = {"schema": "din", "body": {"V2G_Message": {}}}
    r = Record(1, 0.5, "v2g", "X", extra=SharedTail({"stream": 0, "schema": "iso2"}, tail))
    out = io.StringIO()
    writer = JsonlWriter(out, {"capture": "c"})
    writer.write(r)
    writer.close()
    line = out.getvalue()
    assert line.count('"schema"') == 1
    assert json.loads(line) == {**_expected(r, {"capture": "c"}), "schema": "iso2"}
    assert list(json.loads(line))[-2:] == ["capture", "body"]


def test_values_orjson_refuses_are_written_exactly_beside_the_rest() -> None:
    # xs:integer is unbounded (2**80, -2**70) and a decoded string may hold a lone surrogate: the
    # line keeps them as the standard json module writes them, and the other values unchanged.
    r = Record(3, 0.5, "v2g", "N", fields={"wide": 2**80, "u64": 2**64 - 1},
               extra={"body": {"A": [-(2**70), "x\ud800"], "B": 1.5}})
    out = io.StringIO()
    writer = JsonlWriter(out)
    writer.write(r)
    writer.close()
    line = out.getvalue()
    assert line.endswith("}\n") and line.count("\n") == 1
    assert json.loads(line) == _expected(r)
    assert '"x\\ud800"' in line and "1208925819614629174706176" in line


def test_keys_that_are_not_strings_are_written_as_the_json_module_writes_them() -> None:
    # Lines are first encoded for string keys only (the usual line); a map with other keys, alone or
    # beside a value orjson refuses, is encoded again and must still say what the standard module says.
    class Name(str):
        pass

    for fields in ({1: "a", 2: {3: True}}, {Name("k"): 1, "j": 2}, {7: 2**80, "s": [1.5, None]}):
        r = Record(3, 0.5, "v2g", "N", fields=fields, extra={"body": {"A": 1}})
        out = io.StringIO()
        writer = JsonlWriter(out)
        writer.write(r)
        writer.close()
        line = out.getvalue()
        assert line.count("\n") == 1
        assert json.loads(line)["fields"] == json.loads(json.dumps(fields))


def test_shared_tail_lines_equal_the_whole_object_in_every_shape() -> None:
    """A V2G line is spliced from its own keys and the tail's kept text: the same line as encoding the
    whole object, whatever the tail holds, whichever writer keys, and for every record sharing it."""
    from v2gsniff.sniffer.model import SharedTail

    tails = [{"schema": "din", "exi_hex": "80", "body": {"V2G_Message": {"A": [1, 2.5]}}},
             {"schema": "din"},  # no body
             {},  # nothing shared
             {"body": {"C": 1}, "schema": "iso2"},  # a body that is not last
             {"capture": "from the tail", "body": {"B": "é"}}]  # a writer key among the tail's
    for extra in (None, {"capture": "c"}):
        out = io.StringIO()
        writer = JsonlWriter(out, extra)
        records = [Record(i, 0.5 + i, "v2g", "N", "s", "d", {"f": i}, None,
                          extra=SharedTail({"stream": i % 2, "dir": "ev->evse", "offset": i}, tail))
                   for i, tail in enumerate(tails * 2)]  # each tail twice: once encoded, once kept
        for r in records:
            writer.write(r)
        writer.close()
        lines = out.getvalue().splitlines()
        for line, r in zip(lines, records, strict=True):
            want = _expected(r, extra)
            assert json.loads(line) == want
            assert list(json.loads(line)) == list(want)


def test_lines_reach_the_stream_in_batches_of_about_64_kib_and_all_on_flush() -> None:
    raw = io.BytesIO()
    out = io.TextIOWrapper(raw, encoding="utf-8")
    sink = LineSink(out)
    line = b'{"n":"' + b"x" * 1015 + b'"}\n'  # 1 KiB
    for _ in range(63):
        sink.add(line)
    assert raw.getvalue() == b""  # under 64 KiB: still waiting
    sink.add(line)
    assert raw.getvalue() == line * 64  # the 64th line passed 64 KiB: the batch went in one write
    sink.add(b'{"last":"\xc2\x85"}\n')  # a C1 control (NEL): escaped on the way out
    sink.flush()
    assert raw.getvalue() == line * 64 + b'{"last":"\\u0085"}\n'


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="F_SETPIPE_SZ is Linux's")
def test_a_pipe_is_widened_and_never_narrowed(monkeypatch: pytest.MonkeyPatch) -> None:
    import fcntl

    from v2gsniff.sniffer.output import jsonl

    monkeypatch.setattr(jsonl, "PIPE_SIZE", 128 * 1024)  # below the system's cap, so a reader can ask for more
    read, write = os.pipe()
    try:
        with os.fdopen(write, "w", closefd=False) as stream:
            widen_pipe(stream)
            assert fcntl.fcntl(read, fcntl.F_GETPIPE_SZ) == 128 * 1024  # both ends share the one buffer
            fcntl.fcntl(write, fcntl.F_SETPIPE_SZ, 1 << 20)  # a reader that asked for more
            widen_pipe(stream)
            assert fcntl.fcntl(read, fcntl.F_GETPIPE_SZ) == 1 << 20
    finally:
        os.close(read)
        os.close(write)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="F_SETPIPE_SZ is Linux's")
def test_exi_decode_widens_the_pipe_it_writes_to() -> None:
    import fcntl

    proc = subprocess.Popen([sys.executable, "-m", "v2gsniff.sniffer", "exi", "decode", "809a0211d63f74d2297ac9119400",
                             "--format", "jsonl"], stdout=subprocess.PIPE)
    assert proc.stdout is not None
    text = proc.stdout.read()
    assert proc.wait() == 0
    assert json.loads(text)["name"] == "ServiceDiscoveryReq"
    assert fcntl.fcntl(proc.stdout.fileno(), fcntl.F_GETPIPE_SZ) == PIPE_SIZE
    proc.stdout.close()


SUFFIXES = (".pcap", ".pcapng", ".dump")


@pytest.mark.parametrize("sessions", [False, True])
def test_spliced_lines_equal_whole_object_lines_for_every_real_record(sessions: bool) -> None:
    """``line`` splices a V2G line from kept text; ``_whole`` encodes the whole object: byte for byte
    the same for every record ``decode`` writes of every real capture (PnC verdicts, findings and,
    with --sessions, the session id among a record's own keys), with and without writer keys."""
    from v2gsniff.sniffer.addons import Findings, Keep, Pnc
    from v2gsniff.sniffer.engine import Engine

    if not REAL.is_dir():
        pytest.skip("../shared/captures/real is absent (the real captures live beside the repository)")
    paths = sorted(p for p in REAL.iterdir() if p.suffix in SUFFIXES) + sorted(CAPTURES.glob("*.pcapng"))
    spliced = 0
    for path in paths:
        keep = Keep()
        Engine([Pnc(), Findings(sessions=sessions), keep]).read([path])
        for extra in (None, {"capture": path.name}):
            writer = JsonlWriter(io.StringIO(), extra)
            for r in keep.kept:
                assert writer.line(r) == writer._whole(r), (path.name, r.frame, r.name)
                spliced += r.kind == "v2g"
    assert spliced > 100_000


def test_a_spliced_line_follows_the_record_not_the_kept_text() -> None:
    # Two records of one tail whose field maps are equal but ordered differently, or whose
    # connections differ: each line is its own record's.
    from v2gsniff.sniffer.model import SharedTail

    tail = {"schema": "din", "body": {"A": 1}}
    records = [Record(1, 0.5, "v2g", "N", "s", "d", {"a": 1, "b": 2}, None, extra=SharedTail({"stream": 0}, tail)),
               Record(2, 0.5, "v2g", "N", "s", "d", {"b": 2, "a": 1}, None, extra=SharedTail({"stream": 0}, tail)),
               Record(3, 0.5, "v2g", "N", "s2", "d", {"b": 2, "a": 1}, None, extra=SharedTail({"stream": 1}, tail))]
    writer = JsonlWriter(io.StringIO())
    for r in records:
        assert writer.line(r) == writer._whole(r)
        assert list(json.loads(writer.line(r))["fields"]) == list(r.fields)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="F_SETPIPE_SZ is Linux's")
def test_decode_widens_a_pipe_on_its_output_and_writes_the_same_lines(tmp_path: Path) -> None:
    import fcntl

    cmd = [sys.executable, "-c", "from v2gsniff.sniffer.cli import main; main()", "decode", "--format", "jsonl",
           str(CAPTURES / "iso2_dc.pcapng")]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE)
    assert proc.stdout is not None
    piped = proc.stdout.read()
    size = fcntl.fcntl(proc.stdout.fileno(), fcntl.F_GETPIPE_SZ)  # the pipe both ends share
    proc.stdout.close()
    assert proc.wait() == 0
    assert size == PIPE_SIZE
    with open(tmp_path / "out.jsonl", "wb") as fh:
        subprocess.run(cmd, stdout=fh, check=True)
    assert piped == (tmp_path / "out.jsonl").read_bytes() and piped.count(b"\n") > 50
    # anything else is left as it is, without an error
    widen_pipe(io.StringIO())
    with open(tmp_path / "plain", "w") as fh:
        widen_pipe(fh)
