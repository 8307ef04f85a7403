"""``v2gsniff exi decode|encode``: the EXI codec on hex messages and XML files.

``exi decode HEX...`` decodes V2GTP-less EXI bodies given as hex (``-`` reads one hex message per
line from stdin); ``--format jsonl`` writes one JSON object per input with ``name``, ``namespace``,
``schema``, ``xml``, ``body`` (the JSON form of ``ExiMessage.to_json``), ``findings`` (values the
bits carry but a schema facet forbids, rule ``schema.facet``: ``path``, ``value``, ``facet``,
``limit``, ``bit``, ``text``) and ``error`` (null, or the ExiError text: a bad line does not stop the
batch); ``--format xml`` is indented unless ``--compact``.  ``exi encode FILE.xml [--schema S]``
checks the document against the schema (the root namespace names it) and prints hex; it refuses
out-of-facet values unless ``--lenient``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from v2gsniff.dissectors import exi as codec
from v2gsniff.sniffer.commands import exits
from v2gsniff.sniffer.findings.schema import FACET
from v2gsniff.sniffer.output.inert import inert_json, inert_line, inert_text
from v2gsniff.sniffer.output.jsonl import LineSink, json_line

SCHEMA_CHOICES = ["auto", *codec.SCHEMAS]


def _inputs(hexes: tuple[str, ...]) -> Iterator[str]:
    for item in hexes:
        if item == "-":
            for line in sys.stdin:
                line = line.strip()
                if line:
                    yield line
        else:
            yield item


def findings_json(msg: codec.ExiMessage) -> list[dict[str, Any]]:
    """The message's facet violations as ``schema.facet`` findings (JSON-ready)."""
    out = []
    for v in msg.violations:
        value = v.value.hex().upper() if isinstance(v.value, bytes) else v.value
        out.append({"rule": FACET.id, "severity": FACET.severity, "path": v.path, "value": value,
                    "facet": v.facet, "limit": v.limit, "bit": v.bit,
                    "text": f"{v.path.rsplit('/', 1)[-1]} = {value!r} breaks {v.facet} {v.limit!r}"})
    return out


def _decode_one(text: str, schema: str, fragment: bool) -> tuple[codec.ExiMessage | None, str, str | None]:
    """(message or None, schema used, error text or None)."""
    try:
        data = bytes.fromhex(text)  # ASCII whitespace between digits is skipped
    except ValueError:
        return None, schema, f"not a hex string: {text[:40]!r}"
    if schema != "auto":
        candidates = [schema]
    elif fragment:  # fragment codes say nothing about the set: try the signing sets in turn
        candidates = ["iso2", "xmldsig", "iso20-cm", "iso20-dc", "iso20-ac", "din"]
    else:
        candidates = codec.guess_schemas(data) or ["din", "iso2"]
    first_error: str | None = None
    for name in candidates:
        try:
            if fragment:
                return codec.decode_fragment(data, name), name, None
            return codec.decode(data, name), name, None
        except codec.ExiError as err:
            first_error = first_error or f"{name}: {err}"
    return None, candidates[0] if len(candidates) == 1 else schema, first_error


@click.group("exi")
def exi() -> None:
    """Decode and encode V2G EXI messages (SupportedAppProtocol, DIN 70121, ISO 15118-2/-20)."""


@click.command("decode")
@click.argument("hexes", nargs=-1, required=True, metavar="HEX...")
@click.option("--schema", type=click.Choice(SCHEMA_CHOICES), default="auto", show_default=True,
              help="Schema set; auto guesses from the first bytes.")
@click.option("--fragment", is_flag=True, help="Decode EXI fragments (signed elements, SignedInfo).")
@click.option("--format", "fmt", type=click.Choice(["xml", "json", "jsonl"]), default="xml", show_default=True)
@click.option("--compact", is_flag=True, help="With --format xml: one line per message instead of indented XML.")
def decode_cmd(hexes: tuple[str, ...], schema: str, fragment: bool, fmt: str, compact: bool) -> None:
    """Decode EXI messages given as hex ('-' reads one message per line from stdin).

    Exit status 1 if any message failed (with --format jsonl failures are in the output instead).
    """
    if fmt == "jsonl":
        _decode_jsonl(_inputs(hexes), schema, fragment)
        return
    failed = False
    out = sys.stdout
    for text in _inputs(hexes):
        msg, used, error = _decode_one(text, schema, fragment)
        if msg is None:
            failed = True
            click.echo(inert_line(f"error: {error}"), err=True)
            continue
        if fmt == "json":
            out.write(inert_json(json.dumps({"schema": used, "name": msg.name, "body": msg.to_json(),
                                             "findings": findings_json(msg)}, indent=2, ensure_ascii=False)) + "\n")
        else:
            out.write(inert_text(msg.to_xml() if compact else pretty_xml(msg.to_xml())) + "\n")
            for f in findings_json(msg):  # the XML has no place for them: say so beside it
                click.echo(inert_line(f"finding {f['rule']} at {f['path']} (bit {f['bit']}): {f['text']}"), err=True)
    if failed:
        sys.exit(exits.EXIT_FAILED)


def _decode_jsonl(lines: Iterator[str], schema: str, fragment: bool) -> None:
    """One JSON object per input line, written as every JSONL output of the product is (orjson,
    compact, in batches of lines)."""
    sink = LineSink(sys.stdout)
    for text in lines:
        msg, used, error = _decode_one(text, schema, fragment)
        if msg is None:
            sink.add(json_line({"name": None, "namespace": None, "schema": used, "xml": None, "body": None,
                                "findings": [], "error": error}))
            continue
        body = msg.body_node()  # name and namespace, read once
        xml, content = msg.to_xml_and_json()
        sink.add(json_line({"name": body[1], "namespace": body[0], "schema": used, "xml": xml, "body": content,
                            "findings": findings_json(msg), "error": None}))
    sink.flush()


def pretty_xml(text: str) -> str:
    """Indented XML, prefixes kept (the compact form is the exact text of the message)."""
    from xml.dom import minidom
    from xml.parsers.expat import ExpatError

    try:
        root = minidom.parseString(text).documentElement
    except ExpatError:
        return text  # a value XML 1.0 cannot hold (a control character from the capture): kept on one line
    if root is None:
        return text
    pretty = root.toprettyxml(indent="  ")
    return "\n".join(line for line in pretty.splitlines() if line.strip())


@click.command("encode", epilog="Exit codes: 0 encoded; 2 the XML is not a valid document of the schema "
                                "(the path of the first problem is shown); 3 the file cannot be read.")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--schema", type=click.Choice(list(codec.SCHEMAS)),
              help="Schema set; by default the one the root element's namespace names.")
@click.option("--fragment", is_flag=True, help="Encode as an EXI fragment.")
@click.option("--lenient", is_flag=True,
              help="Keep values outside a schema facet (as a faulty peer would send them) instead of refusing.")
def encode_cmd(file: str, schema: str | None, fragment: bool, lenient: bool) -> None:
    """Encode an XML file ('-' for stdin) and print the EXI bytes as hex.

    The document is checked against the schema first: an unknown element, a value its type does
    not allow, or a document of another schema is an error naming the path, never encoded as
    schema-less content.
    """
    try:
        text = sys.stdin.buffer.read() if file == "-" else Path(file).read_bytes()
    except OSError as err:
        exits.fail(exits.message(file, err.strerror or str(err)), exits.EXIT_NOT_FOUND)
    try:
        msg = codec.from_xml(text, check_schema(text, schema), fragment=fragment, lenient=lenient, validate=True)
        click.echo(codec.encode(msg, lenient=lenient).hex())
    except codec.ExiError as err:
        exits.fail(exits.message(file, err))


def check_schema(text: bytes, schema: str | None) -> str:
    """The schema the root element's namespace names; an error when it contradicts ``--schema``."""
    import xml.etree.ElementTree as ET

    try:
        root = ET.fromstring(text)
    except ET.ParseError as err:
        raise codec.ExiError(f"not well-formed XML: {err}") from None
    ns = root.tag[1:].split("}", 1)[0] if root.tag.startswith("{") else ""
    named = codec.NAMESPACES.get(ns)
    if schema is None:
        if named is None:
            raise codec.ExiError(f"the root element's namespace {ns or '(none)'!r} names no schema; give --schema")
        return named
    # ISO-20 messages may use CommonMessages types inside AC/DC documents: only a clash of sets is an error.
    if named is not None and named != schema and not (named.startswith("iso20") and schema.startswith("iso20")):
        raise codec.ExiError(f"the document is {ns!r} (schema {named}), not {schema}")
    return schema


exi.add_command(decode_cmd)
exi.add_command(encode_cmd)
