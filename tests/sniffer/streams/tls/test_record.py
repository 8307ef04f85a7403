from __future__ import annotations

import hmac

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand

from v2gsniff.sniffer.streams.tls.record import (
    DecryptError,
    Tls12Cbc,
    Tls13Aead,
    hkdf_expand,
    hkdf_expand_label,
    prf12,
)
from v2gsniff.sniffer.streams.tls.suites import SUITES


def test_hkdf_expand_label_matches_rfc8448_simple_handshake() -> None:
    # RFC 8448 §3: server handshake traffic secret -> server write key and IV (TLS_AES_128_GCM_SHA256).
    secret = bytes.fromhex("b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38")
    assert hkdf_expand_label("sha256", secret, b"key", b"", 16).hex() == "3fce516009c21727d0f2e4e86ee403bc"
    assert hkdf_expand_label("sha256", secret, b"iv", b"", 12).hex() == "5d313eb2671276ee13000b30"


@pytest.mark.parametrize(("name", "algorithm"), [("sha256", hashes.SHA256()), ("sha384", hashes.SHA384())])
@pytest.mark.parametrize("length", [1, 12, 32, 48, 100])
def test_hkdf_expand_agrees_with_cryptography(name: str, algorithm: hashes.HashAlgorithm, length: int) -> None:
    prk, info = bytes(range(48)), b"tls13 info"
    assert hkdf_expand(name, prk, info, length) == HKDFExpand(algorithm, length, info).derive(prk)


def test_prf12_is_p_hash_of_label_and_seed() -> None:
    # RFC 5246 §5 written out for two iterations, independently of p_hash's loop.
    secret, label, seed = b"\x01" * 48, b"key expansion", b"\x02" * 64
    a1 = hmac.digest(secret, label + seed, "sha256")
    a2 = hmac.digest(secret, a1, "sha256")
    expected = hmac.digest(secret, a1 + label + seed, "sha256") + hmac.digest(secret, a2 + label + seed, "sha256")
    assert prf12("sha256", secret, label, seed, 40) == expected[:40]
    assert len(prf12("sha384", secret, label, seed, 104)) == 104


def test_cbc_rejects_impossible_lengths_with_specific_codes() -> None:
    suite = SUITES[0xC023]
    for etm in (False, True):
        prot = Tls12Cbc(suite, b"k" * 16, b"m" * 32, etm)
        with pytest.raises(DecryptError) as info:
            prot.decrypt(0, 23, 0x0303, b"\x00" * 17)
        assert info.value.code == "bad-length"
        with pytest.raises(DecryptError) as info:
            prot.decrypt(0, 23, 0x0303, b"\x00" * 96)
        assert info.value.code == "bad-mac"


def test_tls13_bad_tag_and_short_record() -> None:
    prot = Tls13Aead(SUITES[0x1302], b"s" * 48)
    with pytest.raises(DecryptError) as info:
        prot.decrypt(0, 23, 0x0303, b"\x00" * 40)
    assert info.value.code == "bad-tag"
    with pytest.raises(DecryptError) as info:
        prot.decrypt(0, 23, 0x0303, b"\x00" * 5)
    assert info.value.code == "bad-length"


def test_suite_table_is_consistent() -> None:
    for number, suite in SUITES.items():
        assert suite.number == number
        assert suite.tls13 == (number >> 8 == 0x13)
        assert suite.hash_name == ("sha384" if suite.name.endswith("SHA384") else "sha256")
        if suite.cipher == "AES-CBC":
            assert suite.mac_len in (20, 32, 48)
