from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from .sessions import Config, LibsslUnavailable, Session, run_session, v2g_exchanges

CONFIGS: dict[str, tuple[Config, int]] = {
    "tls12-C023-etm": (Config(), 0xC023),
    "tls12-C023-mte": (Config(no_etm=True), 0xC023),
    "tls12-C024-cbc-sha384": (Config(ciphers="ECDHE-ECDSA-AES256-SHA384"), 0xC024),
    "tls12-C009-cbc-sha1-mte": (Config(ciphers="ECDHE-ECDSA-AES128-SHA", no_etm=True), 0xC009),
    "tls12-C02B-gcm": (Config(ciphers="ECDHE-ECDSA-AES128-GCM-SHA256"), 0xC02B),
    "tls12-C02C-gcm-sha384": (Config(ciphers="ECDHE-ECDSA-AES256-GCM-SHA384"), 0xC02C),
    "tls12-CCA9-chacha": (Config(ciphers="ECDHE-ECDSA-CHACHA20-POLY1305"), 0xCCA9),
    "tls13-1302-mutual": (Config(tls13=True, ciphersuites="TLS_AES_256_GCM_SHA384", mutual=True), 0x1302),
    "tls13-1303": (Config(tls13=True, ciphersuites="TLS_CHACHA20_POLY1305_SHA256"), 0x1303),
    "tls13-1301": (Config(tls13=True, ciphersuites="TLS_AES_128_GCM_SHA256"), 0x1301),
    "tls13-hrr": (Config(tls13=True, server_groups="secp384r1"), 0x1302),
    "tls13-keyupdate": (Config(tls13=True, ciphersuites="TLS_AES_256_GCM_SHA384", key_update_after=2), 0x1302),
}


@pytest.fixture(scope="session")
def make_session(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Session]:
    cache: dict[str, Session] = {}

    def make(name: str) -> Session:
        if name not in cache:
            cfg, _ = CONFIGS[name]
            tmp: Path = tmp_path_factory.mktemp(name)
            try:
                cache[name] = run_session(tmp, cfg, v2g_exchanges("iso20" if cfg.tls13 else "iso2", 6, big=18000))
            except LibsslUnavailable as exc:
                pytest.skip(f"cannot drive libssl through ctypes here: {exc}")
        return cache[name]

    return make
