"""Test-only: real TLS sessions between two in-memory ``ssl.SSLObject``\\ s, with key logs.

Every byte each side writes is recorded in write order, which is exactly what a capture's
TCP streams would carry. Python's ``ssl`` cannot choose TLS 1.3 cipher suites or send a
KeyUpdate, so :func:`set_tls13_ciphersuites` and :func:`request_key_update` call libssl's
``SSL_CTX_set_ciphersuites`` / ``SSL_key_update`` through ctypes on the very ``SSL_CTX``/``SSL``
objects of the ``ssl`` module. The pointers are read from CPython's object layout and
validated through libssl before use; if validation fails the caller skips.
"""

from __future__ import annotations

import ctypes
import datetime
import json
import ssl
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

SHARED = Path(__file__).resolve().parents[4].parent / "shared"
OP_NO_ENCRYPT_THEN_MAC = 0x80000


def make_cert(directory: Path, name: str) -> tuple[Path, Path]:
    """A throwaway self-signed ECDSA P-256 certificate, like an ISO 15118-2 SECC leaf."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, "v2gsniff test")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / f"{name}.crt", directory / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def v2gtp(payload: bytes, payload_type: int = 0x8001) -> bytes:
    return bytes([0x01, 0xFE]) + payload_type.to_bytes(2, "big") + len(payload).to_bytes(4, "big") + payload


def exi_messages(schema: str) -> list[bytes]:
    """EXI bodies from the shared vectors, or fixed bytes when they are absent."""
    path = SHARED / "exi-vectors" / f"{schema}.jsonl"
    out: list[bytes] = []
    if path.exists():
        for line in path.read_text().splitlines()[:40]:
            try:
                out.append(bytes.fromhex(json.loads(line)["hex"]))
            except (ValueError, KeyError):
                continue
    return out or [bytes.fromhex("80980200b6c881cec2134b50b0"), bytes(range(200))]


# --- libssl access ----------------------------------------------------------------------

class LibsslUnavailable(Exception):
    pass


_lib: ctypes.CDLL | None = None


def _libssl() -> ctypes.CDLL:
    global _lib
    if _lib is None:
        if ctypes.sizeof(ctypes.c_void_p) != 8 or not ssl.OPENSSL_VERSION.startswith("OpenSSL 3"):
            raise LibsslUnavailable(f"needs 64-bit CPython with OpenSSL 3, have {ssl.OPENSSL_VERSION}")
        try:
            lib = ctypes.CDLL("libssl.so.3")
        except OSError as exc:
            raise LibsslUnavailable(str(exc)) from None
        lib.SSL_CTX_get_options.restype = ctypes.c_uint64
        lib.SSL_CTX_get_options.argtypes = [ctypes.c_void_p]
        lib.SSL_CTX_set_ciphersuites.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
        lib.SSL_get_SSL_CTX.restype = ctypes.c_void_p
        lib.SSL_get_SSL_CTX.argtypes = [ctypes.c_void_p]
        lib.SSL_key_update.argtypes = [ctypes.c_void_p, ctypes.c_int]
        _lib = lib
    return _lib


def _ctx_pointer(ctx: ssl.SSLContext) -> int:
    # PySSLContext starts with PyObject_HEAD (16 bytes) then SSL_CTX *ctx.
    ptr = ctypes.c_void_p.from_address(id(ctx) + 16).value
    if not ptr or _libssl().SSL_CTX_get_options(ptr) != ctx.options:
        raise LibsslUnavailable("cannot locate SSL_CTX inside ssl.SSLContext")
    return ptr


def set_tls13_ciphersuites(ctx: ssl.SSLContext, suites: str) -> None:
    if _libssl().SSL_CTX_set_ciphersuites(_ctx_pointer(ctx), suites.encode()) != 1:
        raise LibsslUnavailable(f"SSL_CTX_set_ciphersuites({suites}) failed")


def request_key_update(obj: ssl.SSLObject, ctx: ssl.SSLContext, update_requested: bool) -> None:
    """Queue a KeyUpdate; libssl sends it with the next write."""
    # PySSLSocket: PyObject_HEAD, PyObject *Socket, SSL *ssl.
    ptr = ctypes.c_void_p.from_address(id(obj._sslobj) + 24).value  # type: ignore[attr-defined]
    lib = _libssl()
    if not ptr or lib.SSL_get_SSL_CTX(ptr) != _ctx_pointer(ctx):
        raise LibsslUnavailable("cannot locate SSL inside ssl.SSLObject")
    if lib.SSL_key_update(ptr, 1 if update_requested else 0) != 1:
        raise LibsslUnavailable("SSL_key_update failed")


# --- sessions ---------------------------------------------------------------------------

@dataclass
class Session:
    writes: list[tuple[bool, bytes]] = field(default_factory=list)
    """(from_client, bytes) in the order the two sides wrote them."""
    plaintext: dict[bool, bytearray] = field(default_factory=lambda: {True: bytearray(), False: bytearray()})
    keylog: str = ""
    version: str = ""
    cipher: str = ""

    def stream(self, from_client: bool) -> bytes:
        return b"".join(data for c, data in self.writes if c == from_client)


@dataclass
class Config:
    tls13: bool = False
    ciphers: str = "ECDHE-ECDSA-AES128-SHA256"
    ciphersuites: str | None = None
    no_etm: bool = False
    server_groups: str | None = None
    """One curve name for the server (set_ecdh_curve); a client key share it does not accept forces a HRR."""
    mutual: bool = False
    key_update_after: int | None = None
    """Client sends KeyUpdate (update_requested) after this many request/response pairs."""


def contexts(tmp: Path, cfg: Config) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    server_cert, server_key = make_cert(tmp, "secc")
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(server_cert, server_key)
    client = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client.check_hostname = False
    client.verify_mode = ssl.CERT_NONE
    client.keylog_filename = str(tmp / "keys.log")
    for ctx in (server, client):
        version = ssl.TLSVersion.TLSv1_3 if cfg.tls13 else ssl.TLSVersion.TLSv1_2
        ctx.minimum_version = ctx.maximum_version = version
        if not cfg.tls13:
            ctx.set_ciphers(cfg.ciphers)
        if cfg.no_etm:
            ctx.options |= OP_NO_ENCRYPT_THEN_MAC
        if cfg.ciphersuites:
            set_tls13_ciphersuites(ctx, cfg.ciphersuites)
    if cfg.server_groups:
        server.set_ecdh_curve(cfg.server_groups)
    if cfg.mutual:
        client_cert, client_key = make_cert(tmp, "evcc")
        client.load_cert_chain(client_cert, client_key)
        server.verify_mode = ssl.CERT_REQUIRED
        server.load_verify_locations(cafile=str(client_cert))
    return server, client


def run_session(tmp: Path, cfg: Config, exchanges: list[tuple[bytes, bytes]]) -> Session:
    server_ctx, client_ctx = contexts(tmp, cfg)
    bios = {side: (ssl.MemoryBIO(), ssl.MemoryBIO()) for side in (True, False)}  # (incoming, outgoing)
    client = client_ctx.wrap_bio(*bios[True], server_hostname="secc.v2g.local")
    server = server_ctx.wrap_bio(*bios[False], server_side=True)
    session = Session()

    def pump() -> None:
        moved = True
        while moved:
            moved = False
            for side in (True, False):
                data = bios[side][1].read()
                if data:
                    session.writes.append((side, data))
                    bios[not side][0].write(data)
                    moved = True

    def attempt(fn: Callable[[], object]) -> None:
        try:
            fn()
        except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
            pass

    for _ in range(20):
        attempt(client.do_handshake)
        pump()
        attempt(server.do_handshake)
        pump()
        if _done(client) and _done(server):
            break

    def transfer(sender: ssl.SSLObject, receiver: ssl.SSLObject, data: bytes, from_client: bool) -> None:
        sender.write(data)
        pump()
        got = bytearray()
        while len(got) < len(data):
            try:
                got += receiver.read(65536)
            except ssl.SSLWantReadError:
                pump()
        assert bytes(got) == data
        session.plaintext[from_client] += data

    for i, (request, response) in enumerate(exchanges):
        if cfg.key_update_after == i:
            request_key_update(client, client_ctx, update_requested=True)
        transfer(client, server, request, True)
        transfer(server, client, response, False)
    attempt(client.unwrap)
    pump()
    attempt(server.unwrap)
    pump()
    session.version = client.version() or ""
    session.cipher = (client.cipher() or ("",))[0]
    session.keylog = (tmp / "keys.log").read_text()
    return session


def _done(obj: ssl.SSLObject) -> bool:
    try:
        return obj.version() is not None and obj.pending() >= 0 and _handshake_complete(obj)
    except ssl.SSLError:
        return False


def _handshake_complete(obj: ssl.SSLObject) -> bool:
    try:
        obj.do_handshake()
        return True
    except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
        return False


def v2g_exchanges(schema: str, count: int, big: int = 0) -> list[tuple[bytes, bytes]]:
    """Request/response pairs of V2GTP-framed EXI; ``big`` adds one response of that many bytes."""
    bodies = exi_messages(schema)
    pairs = [(v2gtp(bodies[(2 * i) % len(bodies)]), v2gtp(bodies[(2 * i + 1) % len(bodies)])) for i in range(count)]
    if big:
        pairs.insert(1, (v2gtp(bodies[0]), v2gtp(bytes(i % 251 for i in range(big)))))
    return pairs


def chunked(writes: list[tuple[bool, bytes]], rng_seed: int, max_chunk: int) -> Iterator[tuple[bool, bytes]]:
    """The same byte streams cut at random points (records spanning feeds, several records per feed)."""
    import random

    rng = random.Random(rng_seed)
    merged: list[tuple[bool, bytearray]] = []
    for side, data in writes:
        if merged and merged[-1][0] == side:
            merged[-1][1].extend(data)
        else:
            merged.append((side, bytearray(data)))
    for side, stream in merged:
        pos = 0
        while pos < len(stream):
            n = rng.randint(1, max_chunk)
            yield side, bytes(stream[pos : pos + n])
            pos += n
