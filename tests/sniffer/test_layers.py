"""dissect_frame: every layer of a frame, with offsets absolute in the frame."""

from __future__ import annotations

from v2gsniff.sniffer.layers import dissect_frame

# Frame 113 of ccs32__2023-04-05_wt32_alpi_first_charge.pcapng: the SDP response.
SDP_RES = bytes.fromhex(
    "c4dee2b3ed23aa6cd10a629486dd600c44c500241140fe80000000000000a86cd1fffe0a6294"
    "fe80000000000000c69083f3fbcb981e3b0ee7530024e38001fe900100000014fe80000000000000"
    "a86cd1fffe0a6294c7a61000"
)


def test_layers_stack_and_absolute_field_bytes() -> None:
    layers = dissect_frame(SDP_RES)
    assert [layer.protocol for layer in layers] == ["eth", "ipv6", "udp", "sdp"]
    assert [layer.offset for layer in layers] == [0, 14, 54, 62]
    sdp = layers[-1]
    port = sdp.field("secc_port")
    assert port is not None and port.value == 51110
    start = sdp.offset + port.offset
    assert SDP_RES[start : start + port.length] == (51110).to_bytes(2, "big")
    ip = layers[1]
    src = ip.field("src")
    assert src is not None
    assert SDP_RES[ip.offset + src.offset : ip.offset + src.offset + 16] == src.value


def test_truncated_frame_keeps_what_decodes() -> None:
    layers = dissect_frame(SDP_RES[:30])
    assert layers[0].protocol == "eth" and layers[-1].error is not None
