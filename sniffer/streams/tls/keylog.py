"""NSS key-log secrets, keyed by ClientHello random.

Lines look like ``LABEL <client_random hex(64)> <secret hex>``; ``#`` starts a comment.
Secrets are wrapped in :class:`Secret` so they never show up in a repr by accident.
"""

from __future__ import annotations

import os
import re
from typing import NamedTuple

CLIENT_RANDOM = "CLIENT_RANDOM"
CLIENT_EARLY = "CLIENT_EARLY_TRAFFIC_SECRET"
CLIENT_HANDSHAKE = "CLIENT_HANDSHAKE_TRAFFIC_SECRET"
SERVER_HANDSHAKE = "SERVER_HANDSHAKE_TRAFFIC_SECRET"
CLIENT_TRAFFIC_0 = "CLIENT_TRAFFIC_SECRET_0"
SERVER_TRAFFIC_0 = "SERVER_TRAFFIC_SECRET_0"
EXPORTER = "EXPORTER_SECRET"
EARLY_EXPORTER = "EARLY_EXPORTER_SECRET"

LABELS = frozenset(
    {CLIENT_RANDOM, CLIENT_EARLY, CLIENT_HANDSHAKE, SERVER_HANDSHAKE, CLIENT_TRAFFIC_0, SERVER_TRAFFIC_0,
     EXPORTER, EARLY_EXPORTER}
)
"""Labels we store. Others (e.g. OpenSSL's ``CLIENT_TRAFFIC_SECRET_N`` after a KeyUpdate,
``RSA`` lines) are well-formed but not needed: we derive updated secrets ourselves."""

_HEX = frozenset("0123456789abcdefABCDEF")

# A label, the 32-byte client random and a secret of at least 16 bytes, anywhere in a payload.
_LINE_IN_PAYLOAD = re.compile(rb"([A-Z][A-Z0-9_]{2,40})[ \t]+([0-9A-Fa-f]{64})[ \t]+([0-9A-Fa-f]{32,256})(?![0-9A-Fa-f])")


class Secret:
    """Key material; ``repr``/``str`` are redacted, :meth:`reveal` gives the bytes."""

    __slots__ = ("_value",)

    def __init__(self, value: bytes) -> None:
        self._value = bytes(value)

    def reveal(self) -> bytes:
        return self._value

    def hex(self) -> str:
        return self._value.hex()

    def __len__(self) -> int:
        return len(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __repr__(self) -> str:
        return f"Secret(<redacted, {len(self._value)} bytes>)"

    __str__ = __repr__


class KeyEntry(NamedTuple):
    secret: Secret
    source: str
    """Where the line came from (file name, ``udp:frame 88`` ...)."""


class KeyLog:
    """Mutable store of secrets; :attr:`version` increases whenever a new secret is added."""

    def __init__(self) -> None:
        self._entries: dict[bytes, dict[str, KeyEntry]] = {}
        self.version = 0
        self.malformed = 0
        """Lines that were not comments and not ``LABEL hex64 hex``."""
        self.ignored = 0
        """Well-formed lines with a label we do not use."""
        self.conflicts = 0
        """Lines giving a different secret for a label we already have (the first one is kept)."""

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> KeyLog:
        log = cls()
        log.add_file(path)
        return log

    def add_file(self, path: str | os.PathLike[str]) -> int:
        with open(path, "rb") as f:
            data = f.read()
        return self.add_text(data, os.path.basename(path))

    def add_text(self, text: str | bytes, source: str) -> int:
        """Parse NSS key-log lines; returns how many new secrets were stored. Never raises."""
        if isinstance(text, bytes):
            text = text.decode("latin-1")
        added = 0
        for raw in text.splitlines():
            line = raw.strip().strip("\x00")
            if not line or line.startswith("#"):
                continue
            parts = line.split()
            if len(parts) != 3 or len(parts[1]) != 64 or not _is_hex(parts[1]) or not _is_hex(parts[2]) \
                    or len(parts[2]) % 2:
                self.malformed += 1
                continue
            label, random_hex, secret_hex = parts
            if label not in LABELS:
                self.ignored += 1
                continue
            secret = bytes.fromhex(secret_hex)
            if label == CLIENT_RANDOM and len(secret) != 48 or label != CLIENT_RANDOM and len(secret) not in (32, 48, 64):
                self.malformed += 1
                continue
            if self.add(label, bytes.fromhex(random_hex), secret, source):
                added += 1
        return added

    def add(self, label: str, client_random: bytes, secret: bytes, source: str) -> bool:
        """Store one secret; False if it was already known (or conflicts with a known one)."""
        entries = self._entries.setdefault(bytes(client_random), {})
        old = entries.get(label)
        if old is not None:
            if old.secret.reveal() != secret:
                self.conflicts += 1
            return False
        entries[label] = KeyEntry(Secret(secret), source)
        self.version += 1
        return True

    def get(self, client_random: bytes, label: str) -> bytes | None:
        entry = self._entries.get(client_random, {}).get(label)
        return None if entry is None else entry.secret.reveal()

    def entry(self, client_random: bytes, label: str) -> KeyEntry | None:
        return self._entries.get(client_random, {}).get(label)

    def sessions(self, label: str) -> list[tuple[bytes, bytes]]:
        """(client random, secret) of every session that has a ``label`` secret, in the order learnt."""
        return [(cr, e[label].secret.reveal()) for cr, e in self._entries.items() if label in e]

    def labels(self, client_random: bytes) -> frozenset[str]:
        return frozenset(self._entries.get(client_random, {}))

    def __contains__(self, client_random: object) -> bool:
        return client_random in self._entries

    def __len__(self) -> int:
        """Number of client randoms with at least one secret."""
        return len(self._entries)

    def __repr__(self) -> str:
        return f"KeyLog({len(self._entries)} sessions, version {self.version})"

    def to_text(self) -> str:
        """The whole log in NSS format (reveals the secrets: for export, e.g. a pcapng DSB)."""
        return "".join(
            f"{label} {random.hex()} {entry.secret.hex()}\n"
            for random, entries in self._entries.items()
            for label, entry in entries.items()
        )


def _is_hex(s: str) -> bool:
    return bool(s) and all(c in _HEX for c in s)


def keylog_secret_spans(data: bytes) -> list[tuple[int, int]]:
    """Where the secrets of key-log lines sit in ``data`` (``start, end``), found as
    :func:`extract_keylog_lines` finds the lines, so a view can hide exactly those bytes."""
    return [m.span(3) for m in _LINE_IN_PAYLOAD.finditer(data)]


def extract_keylog_lines(payload: bytes) -> list[str]:
    """NSS key-log lines found anywhere in a datagram payload, normalised to ``LABEL random secret``.

    dSPACE DS5366 sends one bare line per UDP datagram (port 52345, upper-case hex, no newline);
    other senders join several lines with newlines, add NULs or a prefix. We therefore look for
    the line pattern instead of splitting on separators.
    """
    return [
        f"{m.group(1).decode()} {m.group(2).decode().lower()} {m.group(3).decode().lower()}"
        for m in _LINE_IN_PAYLOAD.finditer(payload)
        if len(m.group(3)) % 2 == 0
    ]
