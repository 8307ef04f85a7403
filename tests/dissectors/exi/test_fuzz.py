"""Mutated real messages only ever raise ExiError, and whatever decodes survives encode and decode
unchanged (bounded run; benchmarks/exi_fuzz.py runs longer)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from v2gsniff.dissectors import exi

# Real streams (published vectors: libcbv2g, pyPLC/OpenV2G, everest-core, libiso15118), embedded so the
# property runs without ../shared.
SEEDS = [
    ("din", "809a0211d63f74d2297ac9119400"),
    ("din", "809a0211d63f74d2297ac911a00120024100c4"),
    ("din", "809a02004080c1014181c210b800"),
    ("iso2", "80980200b6c881cec2134b50d10028010619a02450840e31b000"),
    ("apphand", "8000dbab9371d3234b71d1b981899189d191818991d26b9b3a232b30020000040040"),
    ("apphand", "80400040"),
    ("iso20-dc", "8034042d166f29fb80ea560aebdbfb3062810012006164000a02002400c800"),
    ("iso20-dc", "8038042d166f29fb80ea560b7bdbfb30620063f0680781fc2807c22230"),
    ("iso2", "80980200b6c881cec2134b50e00000002040840bd17000c3f0a82226083030303030300048"),
    ("din", "809a0203af96e35a4fb8de50d1401240c0c0b46001810580480c08360100c143340800"),
    ("din", "809a0203af96e35a4fb8de50e0004080a001828570101818000000060a1e806030303e028386c04800"),
    ("iso2", "809802000000000000000019400380c0000011d01808000000000400"),
    ("iso2", "80980200000000000000001a41119bdbd300a00180409840cc4c822130b926014003181bc3033a30b4b631d01808000000000400"),
]


def _check(data: bytes, schema: str, fragment: bool) -> None:
    decode = exi.decode_fragment if fragment else exi.decode
    try:
        msg = decode(data, schema)
    except exi.ExiError as err:
        assert str(err)
        return
    msg.to_xml()
    msg.to_json()
    # Whatever decodes is a model the encoder takes, and its encoding decodes to the same model
    # (the bytes may differ: a mutated stream can use a longer form of the same value). Lenient:
    # decoding keeps an out-of-facet value, so encoding must too.
    again = decode(exi.encode(msg, lenient=True), schema)
    assert again == msg


seed = st.sampled_from(SEEDS)
settings_ = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@settings_
@given(seed, st.lists(st.integers(min_value=8), min_size=1, max_size=4), st.booleans())
def test_bit_flips(s: tuple[str, str], bits: list[int], fragment: bool) -> None:
    data = bytearray.fromhex(s[1])
    for bit in bits:
        bit %= len(data) * 8
        data[bit // 8] ^= 0x80 >> (bit % 8)
    _check(bytes(data), s[0], fragment)


@settings_
@given(seed, st.integers(min_value=0), st.binary(max_size=8))
def test_truncation_and_appended_bytes(s: tuple[str, str], cut: int, tail: bytes) -> None:
    data = bytes.fromhex(s[1])
    _check(data[: cut % (len(data) + 1)], s[0], False)
    _check(data + tail, s[0], False)


@settings_
@given(st.sampled_from(exi.SCHEMAS), st.binary(max_size=64), st.booleans())
def test_random_bodies_after_header(schema: str, body: bytes, fragment: bool) -> None:
    _check(b"\x80" + body, schema, fragment)
