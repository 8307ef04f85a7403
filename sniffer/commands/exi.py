"""``v2gsniff exi decode|encode``: the EXI codec on hex messages and XML files.

``exi decode HEX...`` decodes V2GTP-less EXI bodies given as hex (``-`` reads one hex message per
line from stdin); ``--format jsonl`` writes one JSON object per input with ``name``, ``namespace``,
``schema``, ``xml``, ``body`` (the JSON form of ``ExiMessage.to_json``), ``findings`` (values the
bits carry but a schema facet forbids, rule ``schema.facet``: ``path``, ``value``, ``facet``,
``limit``, ``bit``, ``text``) and ``error`` (null, or the ExiError text: a bad line does not stop the
batch).  ``exi encode FILE.xml --schema S`` prints hex; it refuses out-of-facet values unless
``--lenient``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from typing import Any

import click

from v2gsniff.dissectors import exi as codec
from v2gsniff.sniffer.findings.schema import FACET

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
        data = bytes.fromhex("".join(text.split()))
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
def decode_cmd(hexes: tuple[str, ...], schema: str, fragment: bool, fmt: str) -> None:
    """Decode EXI messages given as hex ('-' reads one message per line from stdin).

    Exit status 1 if any message failed (with --format jsonl failures are in the output instead).
    """
    failed = False
    out = sys.stdout
    for text in _inputs(hexes):
        msg, used, error = _decode_one(text, schema, fragment)
        if fmt == "jsonl":
            record: dict[str, Any] = {
                "name": msg.name if msg else None,
                "namespace": msg.namespace if msg else None,
                "schema": used,
                "xml": msg.to_xml() if msg else None,
                "body": msg.to_json() if msg else None,
                "findings": findings_json(msg) if msg else [],
                "error": error,
            }
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            continue
        if msg is None:
            failed = True
            click.echo(f"error: {error}", err=True)
            continue
        if fmt == "json":
            out.write(json.dumps({"schema": used, "name": msg.name, "body": msg.to_json(),
                                  "findings": findings_json(msg)}, indent=2, ensure_ascii=False) + "\n")
        else:
            out.write(msg.to_xml() + "\n")
            for f in findings_json(msg):  # the XML has no place for them: say so beside it
                click.echo(f"finding {f['rule']} at {f['path']} (bit {f['bit']}): {f['text']}", err=True)
    if failed:
        sys.exit(1)


@click.command("encode")
@click.argument("file", type=click.File("rb"))
@click.option("--schema", type=click.Choice(list(codec.SCHEMAS)), required=True)
@click.option("--fragment", is_flag=True, help="Encode as an EXI fragment.")
@click.option("--lenient", is_flag=True,
              help="Keep values outside a schema facet (as a faulty peer would send them) instead of refusing.")
def encode_cmd(file: Any, schema: str, fragment: bool, lenient: bool) -> None:
    """Encode an XML file ('-' for stdin) and print the EXI bytes as hex."""
    try:
        msg = codec.from_xml(file.read(), schema, fragment=fragment, lenient=lenient)
        click.echo(codec.encode(msg, lenient=lenient).hex())
    except codec.ExiError as err:
        raise click.ClickException(str(err)) from None


exi.add_command(decode_cmd)
exi.add_command(encode_cmd)
