"""The Plug & Charge subtree of a message's detail: certificates with their roles and the verdict
of each chain, and each signature step (digest per reference, then the signature), failures marked.
Selecting a reference highlights the bytes of the element it signs; the signature, SignedInfo's."""

from __future__ import annotations

from typing import Any

from v2gsniff.dissectors.exi import ElementBits
from v2gsniff.dissectors.v2gtp import HEADER_LEN
from v2gsniff.sniffer.model import Record

from .render import DetailNode, exi_positions, place


def _signed_parts(r: Record) -> dict[str, ElementBits]:
    """Bits of each element with an ``Id`` (by Id) and of ``SignedInfo`` (as ``"SignedInfo"``)."""
    positioned = exi_positions(r)
    out: dict[str, ElementBits] = {}
    if positioned is None:
        return out
    stack = list(zip(positioned.message.elements, positioned.elements, strict=True))
    while stack:
        el, bits = stack.pop()
        ident = el.attr("Id")
        if ident is not None:
            out.setdefault(str(ident), bits)
        if el.name == "SignedInfo":
            out.setdefault("SignedInfo", bits)
        stack.extend(zip(el.children, bits.children, strict=True))
    return out


def pnc_nodes(r: Record) -> list[DetailNode]:
    """Nodes for the ``signature`` and ``chains`` keys a record carries (none for most records)."""
    sig: dict[str, Any] | None = r.extra.get("signature")
    chains: list[dict[str, Any]] = r.extra.get("chains") or []
    if sig is None and not chains:
        return []
    top = DetailNode("Plug & Charge", "pnc")
    if sig is not None:
        parts = _signed_parts(r)
        failed = sig["signature"] not in ("ok",) or any(ref["digest"] != "ok" for ref in sig["references"])
        node = DetailNode(f"{'✗' if failed else '✓'} signature {sig['signature']} ({sig['algorithm']}): {sig['text']}",
                          "pnc/signature", error=failed)
        if "SignedInfo" in parts:
            place(node, parts["SignedInfo"], HEADER_LEN)
        for ref in sig["references"]:
            child = DetailNode(f"{'✓' if ref['digest'] == 'ok' else '✗'} {ref['uri']} {ref['element'] or '?'}: "
                               f"{ref['text']}", f"pnc/signature/{ref['uri']}", error=ref["digest"] != "ok")
            signed = parts.get(ref["uri"][1:])
            if signed is not None:
                place(child, signed, HEADER_LEN)
            node.children.append(child)
        if sig.get("signer"):
            node.children.append(DetailNode(f"signer: {sig['signer']} (frame {sig.get('signer_frame')})",
                                            "pnc/signature/signer"))
        top.children.append(node)
    for i, chain in enumerate(chains):
        failed = chain["verdict"].startswith("failed")
        node = DetailNode(f"{'✗' if failed else '✓'} {chain['kind']} chain: {chain['verdict']}", f"pnc/chain/{i}",
                          error=failed)
        for j, cert in enumerate(chain["certificates"]):
            label = (f"{cert['role']}: {cert['error']}" if "error" in cert
                     else f"{cert['role']}: {cert['subject']} (serial {cert['serial']}, {cert['key']}, "
                          f"{cert['not_before'][:10]} to {cert['not_after'][:10]})")
            node.children.append(DetailNode(label, f"pnc/chain/{i}/{j}", error="error" in cert))
        for check in chain["checks"]:
            if check["ok"] is False:
                node.children.append(DetailNode(f"✗ {check['check']}: {check['text']}",
                                                f"pnc/chain/{i}/{check['check']}", error=True))
        top.children.append(node)
    return [top]
