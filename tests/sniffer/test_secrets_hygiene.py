"""No key material in any output unless --show-keys: every command and format, grepped for every secret.

The secrets are found here independently of the decoder: NMKs at their fixed offsets in
CM_SLAC_MATCH.CNF and CM_SET_KEY.REQ (ISO 15118-3 Table A.7, HomePlug AV 1.1 §11.5.4), and the
secret column of every NSS key-log line in a --keylog file, a pcapng Decryption Secrets Block
or a UDP datagram of the capture (the dSPACE DS5366 broadcasts them). Each is looked for as hex
in either case (also with ':' or ' ' between bytes, as a hex dump shows it) and as base64.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tests.conftest import REAL
from v2gsniff.dissectors.exi import ExiMessage
from v2gsniff.sniffer.capture import PcapngWriter, open_capture
from v2gsniff.sniffer.commands.decode import decode
from v2gsniff.sniffer.commands.live import live
from v2gsniff.sniffer.commands.report import report
from v2gsniff.sniffer.commands.sessions import sessions
from v2gsniff.sniffer.commands.simulate import simulate
from v2gsniff.sniffer.model import DecryptionSecrets, RawFrame
from v2gsniff.sniffer.pipeline import Decoder
from v2gsniff.sniffer.streams.tls import KeyLog

SIMULATED = ["iso2-dc-tls12", "iso20-dc-tls13", "din-dc", "slac-no-match"]
REAL_WITH_KEYS = [
    "dsV2Gshark__ISO-20_TLS13_DC_DS5366_Josev.pcapng",
    "dsV2Gshark__ISO-2_DC_PnC_TLS_CertInstallation_DS5366_RiseV2G.pcapng",
    "dsV2Gshark__ISO-2_DC_PnC_TLS_Contract_DS5366_RiseV2G.pcapng",
]
MME = 14  # the HomePlug MME starts after the Ethernet header
KEY_OFFSETS = {0x607D: 79, 0x6008: 27}  # CM_SLAC_MATCH.CNF NMK; CM_SET_KEY.REQ NewKey (after MMV, MMTYPE, FMI)
KEY_LINE = re.compile(rb"([A-Z][A-Z0-9_]+_SECRET(?:_0)?|CLIENT_RANDOM)\s+([0-9A-Fa-f]{64})\s+([0-9A-Fa-f]{32,})")


def key_material(capture: Path, keylog: Path | None) -> set[bytes]:
    found: set[bytes] = set()
    texts = [keylog.read_bytes()] if keylog is not None else []
    for item in open_capture(capture):
        if isinstance(item, DecryptionSecrets):
            texts.append(item.data)
            continue
        data = item.data
        texts.append(data)
        if data[12:14] == b"\x88\xe1":
            mmtype = int.from_bytes(data[MME + 1 : MME + 3], "little")
            at = KEY_OFFSETS.get(mmtype)
            if at is not None and len(data) >= MME + at + 16:
                found.add(data[MME + at : MME + at + 16])
    for text in texts:
        found.update(bytes.fromhex(m.group(3).decode()) for m in KEY_LINE.finditer(text))
    return found | exi_private_keys(capture, keylog)


def exi_private_keys(capture: Path, keylog: Path | None) -> set[bytes]:
    """Encrypted private keys of certificate messages, as the decoder reads them with keys shown
    (their EXI is bit-packed, so there is no fixed offset to read them at)."""
    decoder = Decoder(show_keys=True, keylog=KeyLog.from_file(keylog) if keylog is not None else None)
    found: set[bytes] = set()
    with open_capture(capture) as reader:
        records = [r for item in reader for r in decoder.feed(item)] + decoder.finish()
    for r in records:
        stack = list(r.message.elements) if isinstance(r.message, ExiMessage) else []
        while stack:
            el = stack.pop()
            stack.extend(el.children)
            if el.name.endswith("EncryptedPrivateKey") and isinstance(el.value, bytes):
                found.add(el.value)
    return found


def spellings(secret: bytes) -> list[str]:
    h = secret.hex()
    b64 = base64.b64encode(secret).decode()
    return [h, h.upper(), ":".join(h[i:i + 2] for i in range(0, len(h), 2)),
            " ".join(h[i:i + 2] for i in range(0, len(h), 2)), b64, b64.rstrip("="),
            base64.urlsafe_b64encode(secret).decode().rstrip("=")]


def leaked(secrets: set[bytes], text: str) -> set[bytes]:
    low = text.lower()
    return {s for s in secrets if any(form in text or form.lower() in low for form in spellings(s))}


class Case:
    def __init__(self, name: str, capture: Path, keylog: Path | None) -> None:
        self.name, self.capture, self.keylog = name, capture, keylog
        self.secrets = key_material(capture, keylog)


def frames_only(src: Path, dst: Path) -> None:
    """The capture without its Decryption Secrets Block: the keys then come only from --keylog."""
    with PcapngWriter(dst) as w:
        for f in open_capture(src):
            if isinstance(f, RawFrame):
                w.write_frame(f.data, f.time, orig_len=f.orig_len)


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Case]:
    d = tmp_path_factory.mktemp("simulated")
    out = {}
    for scenario in SIMULATED:
        pcap, keys = d / f"{scenario}.pcapng", d / f"{scenario}.keys"
        result = CliRunner().invoke(simulate, [scenario, "-o", str(pcap), "--keylog", str(keys)])
        assert result.exit_code == 0, result.output
        out[scenario] = Case(scenario, pcap, keys if keys.exists() and keys.stat().st_size else None)
        if out[scenario].keylog is not None:  # the same keys given as a --keylog file instead of a DSB
            bare = d / f"{scenario}-bare.pcapng"
            frames_only(pcap, bare)
            out[f"{scenario}+keylog"] = Case(f"{scenario}+keylog", bare, keys)
    return out


def _cases() -> Iterator[str]:
    for s in SIMULATED:
        yield s
        if "tls" in s:
            yield f"{s}+keylog"
    yield from (f"real:{n}" for n in REAL_WITH_KEYS)


@pytest.fixture
def case(request: pytest.FixtureRequest, simulated: dict[str, Case]) -> Case:
    name = request.param
    if name.startswith("real:"):
        path = REAL / name[5:]
        if not path.exists():
            pytest.skip("../shared/captures/real is absent (the real captures live beside the repository)")
        return Case(name, path, None)
    return simulated[name]


def _run(command: object, args: list[str], stdin: bytes | None = None) -> Result:
    # live as root must not drop this test process's privileges: --allow-root, no sudo variables.
    runner = CliRunner(env={"SUDO_UID": None, "SUDO_GID": None})
    result = runner.invoke(command, args, input=stdin, catch_exceptions=False)  # type: ignore[arg-type]
    assert result.exit_code == 0, (args, result.output)
    return result


def outputs(case: Case, tmp: Path, show_keys: bool) -> dict[str, str]:
    """What every command and format prints or writes for this capture."""
    path = str(case.capture)
    keylog = ["--keylog", str(case.keylog)] if case.keylog is not None else []
    show = ["--show-keys"] if show_keys else []
    stream = case.capture.read_bytes()
    out: dict[str, str] = {}
    for fmt in ("text", "jsonl"):
        r = _run(decode, ["--format", fmt, *keylog, *show, path])
        out[f"decode {fmt}"] = r.stdout + r.stderr
        r = _run(live, ["-", "--no-tui", "--allow-root", "--format", fmt, *keylog, *show], stdin=stream)
        out[f"live {fmt}"] = r.stdout + r.stderr
    r = _run(decode, ["--format", "jsonl", "--xml", *keylog, *show, path])
    out["decode jsonl --xml"] = r.stdout + r.stderr
    if show_keys:
        return out
    for fmt in ("text", "jsonl"):
        r = _run(sessions, ["--format", fmt, path])
        out[f"sessions {fmt}"] = r.stdout + r.stderr
    for fmt in ("md", "csv", "json", "html"):
        target = tmp / f"report.{fmt}"
        r = _run(report, ["--format", fmt, "-o", str(target), path])
        out[f"report {fmt}"] = target.read_text(encoding="utf-8") + r.stdout + r.stderr
    return out


@pytest.mark.parametrize("case", list(_cases()), indirect=True)
def test_no_output_shows_a_key_without_show_keys(case: Case, tmp_path: Path) -> None:
    assert case.secrets, f"{case.name}: no key material found to look for"
    for name, text in outputs(case, tmp_path, show_keys=False).items():
        assert text, name
        found = leaked(case.secrets, text)
        assert not found, f"{case.name}: {name} shows {len(found)} secrets"


@pytest.mark.parametrize("case", list(_cases()), indirect=True)
def test_show_keys_shows_every_key(case: Case, tmp_path: Path) -> None:
    in_bodies = exi_private_keys(case.capture, case.keylog)  # text lines summarise EXI, bodies are in JSON
    for name, text in outputs(case, tmp_path, show_keys=True).items():
        expected = case.secrets - in_bodies if name.endswith("text") else case.secrets
        missing = expected - leaked(case.secrets, text)
        assert not missing, f"{case.name}: {name} does not show {sorted(m.hex()[:8] for m in missing)}"


def test_key_log_records_say_what_came_not_the_secrets(simulated: dict[str, Case]) -> None:
    """Without --show-keys a key-log record still says how many lines and which labels arrived."""
    case = simulated["iso20-dc-tls13"]
    rows = [json.loads(line) for line in _run(decode, ["--format", "jsonl", str(case.capture)]).stdout.splitlines()]
    (dsb,) = [r for r in rows if r["kind"] == "keylog"]
    assert case.keylog is not None
    lines = case.keylog.read_text().splitlines()
    assert dsb["fields"]["new_secrets"] == len(lines) == 4 and "secrets" not in dsb["fields"]
    shown = [json.loads(line) for line in
             _run(decode, ["--format", "jsonl", "--show-keys", str(case.capture)]).stdout.splitlines()]
    (dsb,) = [r for r in shown if r["kind"] == "keylog"]
    assert dsb["fields"]["secrets"] == lines
