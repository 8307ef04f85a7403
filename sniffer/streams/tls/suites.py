"""Cipher suites we can decrypt, and names for the ones we only display.

Numbers and names follow the IANA TLS registry. The PRF/HKDF hash of a TLS 1.2 suite is
SHA-256 unless the suite name ends in _SHA384 (RFC 5246 §5, RFC 5288, RFC 5289).
"""

from __future__ import annotations

from dataclasses import dataclass

CBC = "AES-CBC"
GCM = "AES-GCM"
CCM = "AES-CCM"
CHACHA = "CHACHA20-POLY1305"


@dataclass(frozen=True, slots=True)
class CipherSuite:
    number: int
    name: str
    tls13: bool
    cipher: str
    """One of CBC, GCM, CCM, CHACHA."""
    key_len: int
    hash_name: str
    """PRF (1.2) or HKDF (1.3) hash, hashlib name."""
    mac_name: str = ""
    """HMAC hash of a CBC suite."""
    mac_len: int = 0
    tag_len: int = 16

    @property
    def hash_len(self) -> int:
        return 48 if self.hash_name == "sha384" else 32

    @property
    def fixed_iv_len(self) -> int:
        """Implicit IV bytes in the TLS 1.2 key block (RFC 5288 salt, RFC 7905 IV)."""
        if self.cipher == CHACHA:
            return 12
        if self.cipher == CBC:
            return 16
        return 4


def _cbc(number: int, name: str, key_len: int, mac: str) -> CipherSuite:
    mac_len = {"sha1": 20, "sha256": 32, "sha384": 48}[mac]
    prf = "sha384" if mac == "sha384" else "sha256"
    return CipherSuite(number, name, False, CBC, key_len, prf, mac, mac_len)


def _aead12(number: int, name: str, cipher: str, key_len: int, tag_len: int = 16) -> CipherSuite:
    prf = "sha384" if name.endswith("_SHA384") else "sha256"
    return CipherSuite(number, name, False, cipher, key_len, prf, tag_len=tag_len)


SUITES: dict[int, CipherSuite] = {
    s.number: s
    for s in (
        # TLS 1.2 CBC (ISO 15118-2 mandates 0xC023 and 0xC025).
        _cbc(0x002F, "TLS_RSA_WITH_AES_128_CBC_SHA", 16, "sha1"),
        _cbc(0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA", 32, "sha1"),
        _cbc(0x003C, "TLS_RSA_WITH_AES_128_CBC_SHA256", 16, "sha256"),
        _cbc(0x003D, "TLS_RSA_WITH_AES_256_CBC_SHA256", 32, "sha256"),
        _cbc(0x0067, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256", 16, "sha256"),
        _cbc(0xC004, "TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA", 16, "sha1"),
        _cbc(0xC005, "TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA", 32, "sha1"),
        _cbc(0xC009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", 16, "sha1"),
        _cbc(0xC00A, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", 32, "sha1"),
        _cbc(0xC013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", 16, "sha1"),
        _cbc(0xC014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", 32, "sha1"),
        _cbc(0xC023, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", 16, "sha256"),
        _cbc(0xC024, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384", 32, "sha384"),
        _cbc(0xC025, "TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA256", 16, "sha256"),
        _cbc(0xC026, "TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA384", 32, "sha384"),
        _cbc(0xC027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", 16, "sha256"),
        _cbc(0xC028, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384", 32, "sha384"),
        _cbc(0xC029, "TLS_ECDH_RSA_WITH_AES_128_CBC_SHA256", 16, "sha256"),
        _cbc(0xC02A, "TLS_ECDH_RSA_WITH_AES_256_CBC_SHA384", 32, "sha384"),
        # TLS 1.2 AEAD
        _aead12(0x009C, "TLS_RSA_WITH_AES_128_GCM_SHA256", GCM, 16),
        _aead12(0x009D, "TLS_RSA_WITH_AES_256_GCM_SHA384", GCM, 32),
        _aead12(0x009E, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", GCM, 16),
        _aead12(0x009F, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384", GCM, 32),
        _aead12(0xC02B, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", GCM, 16),
        _aead12(0xC02C, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", GCM, 32),
        _aead12(0xC02D, "TLS_ECDH_ECDSA_WITH_AES_128_GCM_SHA256", GCM, 16),
        _aead12(0xC02E, "TLS_ECDH_ECDSA_WITH_AES_256_GCM_SHA384", GCM, 32),
        _aead12(0xC02F, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", GCM, 16),
        _aead12(0xC030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", GCM, 32),
        _aead12(0xC031, "TLS_ECDH_RSA_WITH_AES_128_GCM_SHA256", GCM, 16),
        _aead12(0xC032, "TLS_ECDH_RSA_WITH_AES_256_GCM_SHA384", GCM, 32),
        _aead12(0xC09C, "TLS_RSA_WITH_AES_128_CCM", CCM, 16),
        _aead12(0xC09D, "TLS_RSA_WITH_AES_256_CCM", CCM, 32),
        _aead12(0xC0A0, "TLS_RSA_WITH_AES_128_CCM_8", CCM, 16, 8),
        _aead12(0xC0A1, "TLS_RSA_WITH_AES_256_CCM_8", CCM, 32, 8),
        _aead12(0xC0AC, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM", CCM, 16),
        _aead12(0xC0AD, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM", CCM, 32),
        _aead12(0xC0AE, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8", CCM, 16, 8),
        _aead12(0xC0AF, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8", CCM, 32, 8),
        _aead12(0xCCA8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", CHACHA, 32),
        _aead12(0xCCA9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", CHACHA, 32),
        _aead12(0xCCAA, "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256", CHACHA, 32),
        # TLS 1.3 (ISO 15118-20 mandates 0x1302 and 0x1303)
        CipherSuite(0x1301, "TLS_AES_128_GCM_SHA256", True, GCM, 16, "sha256"),
        CipherSuite(0x1302, "TLS_AES_256_GCM_SHA384", True, GCM, 32, "sha384"),
        CipherSuite(0x1303, "TLS_CHACHA20_POLY1305_SHA256", True, CHACHA, 32, "sha256"),
        CipherSuite(0x1304, "TLS_AES_128_CCM_SHA256", True, CCM, 16, "sha256"),
        CipherSuite(0x1305, "TLS_AES_128_CCM_8_SHA256", True, CCM, 16, "sha256", tag_len=8),
    )
}

TLS13_SUITES = tuple(SUITES[n] for n in (0x1302, 0x1303, 0x1301, 0x1304, 0x1305))
"""The TLS 1.3 suites, those ISO 15118-20 mandates first: what a session seen without its hellos is tried under."""

_OTHER_SUITE_NAMES = {
    0x00FF: "TLS_EMPTY_RENEGOTIATION_INFO_SCSV",
    0x5600: "TLS_FALLBACK_SCSV",
    0xC008: "TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA",
    0xC012: "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA",
    0x000A: "TLS_RSA_WITH_3DES_EDE_CBC_SHA",
    0x0033: "TLS_DHE_RSA_WITH_AES_128_CBC_SHA",
    0x0039: "TLS_DHE_RSA_WITH_AES_256_CBC_SHA",
    0x006B: "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256",
}

VERSIONS = {0x0300: "SSL 3.0", 0x0301: "TLS 1.0", 0x0302: "TLS 1.1", 0x0303: "TLS 1.2", 0x0304: "TLS 1.3"}

GROUPS = {
    23: "secp256r1",
    24: "secp384r1",
    25: "secp521r1",
    29: "x25519",
    30: "x448",
    256: "ffdhe2048",
    257: "ffdhe3072",
    258: "ffdhe4096",
    259: "ffdhe6144",
    260: "ffdhe8192",
}

HRR_RANDOM = bytes.fromhex("CF21AD74E59A6111BE1D8C021E65B891C2A211167ABB8C5E079E09E2C8A8339C")
"""RFC 8446 §4.1.3: a ServerHello with this random is a HelloRetryRequest."""


def _is_grease(value: int) -> bool:
    return (value & 0x0F0F) == 0x0A0A and (value >> 8) == (value & 0xFF)


def suite_name(number: int) -> str:
    if number in SUITES:
        return SUITES[number].name
    if _is_grease(number):
        return f"GREASE(0x{number:04X})"
    return _OTHER_SUITE_NAMES.get(number, f"0x{number:04X}")


def version_name(number: int) -> str:
    if _is_grease(number):
        return f"GREASE(0x{number:04X})"
    return VERSIONS.get(number, f"0x{number:04X}")


def group_name(number: int) -> str:
    if _is_grease(number):
        return f"GREASE(0x{number:04X})"
    return GROUPS.get(number, f"0x{number:04X}")
