"""The Plug & Charge subtree of a message's detail: certificates with their roles and the verdict
of each chain, and each signature step (digest per reference, then the signature), failures marked."""

from __future__ import annotations

from typing import Any

from v2gsniff.sniffer.model import Record

from .render import DetailNode


def pnc_nodes(r: Record) -> list[DetailNode]:
    """Nodes for the ``signature`` and ``chains`` keys a record carries (none for most records)."""
    sig: dict[str, Any] | None = r.extra.get("signature")
    chains: list[dict[str, Any]] = r.extra.get("chains") or []
    if sig is None and not chains:
        return []
    top = DetailNode("Plug & Charge", "pnc")
    if sig is not None:
        failed = sig["signature"] not in ("ok",) or any(ref["digest"] != "ok" for ref in sig["references"])
        node = DetailNode(f"{'✗' if failed else '✓'} signature {sig['signature']} ({sig['algorithm']}): {sig['text']}",
                          "pnc/signature", error=failed)
        for ref in sig["references"]:
            node.children.append(DetailNode(f"{'✓' if ref['digest'] == 'ok' else '✗'} {ref['uri']} "
                                            f"{ref['element'] or '?'}: {ref['text']}", f"pnc/signature/{ref['uri']}",
                                            error=ref["digest"] != "ok"))
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
