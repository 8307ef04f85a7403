"""Real TLS over real kernel TCP: OpenSSL (Python's ssl) between two network namespaces.

The EV (client) and the SECC (server) run in their own namespaces joined by a veth pair and
replay the V2GTP/EXI messages of a session made by our encoder (captures/iso2_dc.pcapng) over
TLS 1.2 (0xC023, the ISO 15118-2 suite) and TLS 1.3 (AES-256-GCM); `v2gsniff live` records
the SECC's interface to pcapng; the pipeline, given only the OpenSSL key log, must return
every plaintext byte in order. Skipped when the test cannot create namespaces.
"""

from __future__ import annotations

import datetime
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import end_process
from v2gsniff.sniffer.capture import open_capture
from v2gsniff.sniffer.pipeline import Decoder
from v2gsniff.sniffer.streams.tls.keylog import KeyLog

ROOT = Path(__file__).resolve().parents[2]
SESSION = ROOT / "captures" / "iso2_dc.pcapng"
EV_IP, SECC_IP, PORT = "fd00:15:118::1", "fd00:15:118::2", 15200

PEER = r"""
import json, socket, ssl, sys
role, version, keylog, cert, key, plan = sys.argv[1:7]
plan = json.load(open(plan))
def recv_msg(s):
    head = b""
    while len(head) < 8:
        chunk = s.recv(8 - len(head))
        if not chunk:
            raise SystemExit("peer closed")
        head += chunk
    body, need = b"", int.from_bytes(head[4:8], "big")
    while len(body) < need:
        body += s.recv(need - len(body))
    return head + body
if role == "server":
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
else:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.keylog_filename = keylog
if version == "1.2":
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_ciphers("ECDHE-ECDSA-AES128-SHA256")
else:
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
if role == "server":
    srv = socket.socket(socket.AF_INET6)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((sys.argv[7], int(sys.argv[8])))
    srv.listen(1)
    print("ready", flush=True)
    conn, _ = srv.accept()
    tls = ctx.wrap_socket(conn, server_side=True)
    for req, res in plan:
        assert recv_msg(tls) == bytes.fromhex(req)
        tls.sendall(bytes.fromhex(res))
    tls.close()
else:
    tls = ctx.wrap_socket(socket.create_connection((sys.argv[7], int(sys.argv[8])), timeout=20))
    for req, res in plan:
        tls.sendall(bytes.fromhex(req))
        assert recv_msg(tls) == bytes.fromhex(res)
    tls.close()
print("done", flush=True)
"""


def _run(*cmd: str) -> None:
    subprocess.run(cmd, check=True, capture_output=True, timeout=30)


class Link:
    def __init__(self) -> None:
        tag = uuid.uuid4().hex[:6]
        self.ev, self.se = f"v2gtls-ev-{tag}", f"v2gtls-se-{tag}"

    def __enter__(self) -> Link:
        for ns in (self.ev, self.se):
            _run("ip", "netns", "add", ns)
        _run("ip", "-n", self.ev, "link", "add", "ev0", "type", "veth", "peer", "name", "se0", "netns", self.se)
        for ns, dev, ip in ((self.ev, "ev0", EV_IP), (self.se, "se0", SECC_IP)):
            _run("ip", "-n", ns, "addr", "add", f"{ip}/64", "dev", dev, "nodad")
            _run("ip", "-n", ns, "link", "set", dev, "up")
        return self

    def __exit__(self, *exc: object) -> None:
        for ns in (self.ev, self.se):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)

    def cmd(self, ns: str, *args: str) -> list[str]:
        return ["ip", "netns", "exec", ns, *args]


@pytest.fixture
def link() -> Iterator[Link]:
    if os.geteuid() != 0 or shutil.which("ip") is None:
        pytest.skip("needs root and iproute2 to create network namespaces")
    try:
        with Link() as made:
            yield made
    except subprocess.CalledProcessError as err:
        pytest.skip(f"cannot create network namespaces here: {err.stderr!r}")


def _cert(tmp: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "SECC test")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1)).sign(key, hashes.SHA256()))
    cp, kp = tmp / "cert.pem", tmp / "key.pem"
    cp.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    kp.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption()))
    return cp, kp


def _plan() -> list[tuple[str, str]]:
    """(request, response) V2GTP messages of a real session made by our encoder."""
    dec = Decoder()
    msgs = []
    with open_capture(SESSION) as reader:
        for item in reader:
            msgs += [(r.extra["dir"], r.data) for r in dec.feed(item) if r.kind == "v2g"]
    pairs = []
    for (d1, req), (d2, res) in zip(msgs[::2], msgs[1::2], strict=True):
        assert (d1, d2) == ("ev->evse", "evse->ev")
        pairs.append((req.hex(), res.hex()))
    return pairs


@pytest.mark.parametrize("version", ["1.2", "1.3"])
def test_real_tls_over_veth_decrypts_every_byte(link: Link, version: str, tmp_path: Path) -> None:
    plan = _plan()
    (tmp_path / "plan.json").write_text(json.dumps(plan))
    cert, key = _cert(tmp_path)
    keys, out = tmp_path / "keys.log", tmp_path / "out.pcapng"
    server: subprocess.Popen[str] | None = None
    live = subprocess.Popen(link.cmd(link.se, sys.executable, "-c", "from v2gsniff.sniffer.cli import main; main()",
                                     "live", "se0", "--no-tui", "--format", "jsonl", "--write", str(out),
                                     "--allow-root"),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        time.sleep(1.5)  # the capture socket must be open before the first SYN
        args = [version, str(keys), str(cert), str(key), str(tmp_path / "plan.json")]
        server = subprocess.Popen(link.cmd(link.se, sys.executable, "-c", PEER, "server", *args, SECC_IP, str(PORT)),
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert server.stdout is not None and server.stdout.readline().strip() == "ready"
        client = subprocess.run(link.cmd(link.ev, sys.executable, "-c", PEER, "client", *args, SECC_IP, str(PORT)),
                                capture_output=True, text=True, timeout=60)
        assert client.returncode == 0, client.stderr
        assert server.wait(timeout=30) == 0
        time.sleep(0.5)
    finally:
        if server is not None:
            end_process(server, signal.SIGTERM, timeout=5)
        end_process(live)

    dec = Decoder(keylog=KeyLog.from_file(keys))
    records = []
    with open_capture(out) as reader:
        for item in reader:
            records += dec.feed(item)
    records += dec.finish()
    v2g = [r for r in records if r.kind == "v2g"]
    hello = next(r for r in records if r.kind == "tls" and r.name == "ServerHello")
    assert hello.fields["version"] == f"TLS {version}"
    assert hello.fields["cipher_suite"] == ("0xC023" if version == "1.2" else "0x1302")
    assert len(v2g) == 2 * len(plan)
    assert all(r.extra.get("tls") and r.error is None for r in v2g)
    sent_c = b"".join(bytes.fromhex(req) for req, _ in plan)
    sent_s = b"".join(bytes.fromhex(res) for _, res in plan)
    assert b"".join(r.data for r in v2g if r.extra["dir"] == "ev->evse") == sent_c
    assert b"".join(r.data for r in v2g if r.extra["dir"] == "evse->ev") == sent_s
    assert [r for r in records if r.error] == []
