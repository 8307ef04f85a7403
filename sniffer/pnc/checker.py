"""PncChecker: records in, chain/signature/eMAID results out (sans-io; the one mutable type here).

    checker = PncChecker(trust)
    for record in records:
        record = checker.observe(record)    # signed messages gain ``signature``, chains ``chains``
    checker.results                         # everything judged, in record order

A message is verified with the certificate that must have signed it: the contract leaf for
AuthorizationReq and MeteringReceiptReq (sent earlier in the same session, or in the same
message for ISO 15118-20), the OEM provisioning certificate for CertificateInstallationReq, the
SA provisioning leaf for CertificateInstallationRes/UpdateRes. The root that leaf's chain leads to
is compared with the roots the EV listed in its request.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from v2gsniff.dissectors.exi import ExiMessage
from v2gsniff.sniffer.model import Record, SharedTail

# Only this module's gate (``observe``) loads with every decode: the checks' modules (the result
# model's dataclasses, certificate parsing, the rules) load with the first record that carries a
# certificate or signature; they were ~85 M instructions of every decode's start-up.
if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePrivateKey

    from v2gsniff.sniffer.sessions import Session

    from .certs import CertView
    from .chains import TrustStore
    from .model import ChainCheck, KeyCheck, PncSection, Result, SignatureCheck, Where

SIGNERS: dict[str, str] = {
    "AuthorizationReq": "contract",
    "MeteringReceiptReq": "contract",
    "MeteringConfirmationReq": "contract",
    "CertificateUpdateReq": "contract",
    "CertificateInstallationReq": "oem",
    "CertificateInstallationRes": "provisioning",
    "CertificateUpdateRes": "provisioning",
}
"""Signed message -> the kind of chain whose leaf signs it."""

_SIGNED_SCHEMAS = ("iso2", "iso20-cm", "iso20-ac", "iso20-dc", "iso20-wpt", "iso20-acdp")
CARRIERS = frozenset({*SIGNERS, "PaymentDetailsReq"})
"""Messages that can carry certificates, an eMAID or a signature; the charge loop is never walked."""


class PncChecker:
    """Mutable: the contract certificate of each session seen so far, and every result."""

    def __init__(self, trust: TrustStore | None = None, oem_key: EllipticCurvePrivateKey | None = None) -> None:
        self.trust = trust
        self.oem_key = oem_key
        """The OEM provisioning private key (``--oem-key``): contract keys of installations are decrypted."""
        self.results: list[Result] = []
        self._signers: dict[tuple[str, str], tuple[CertView, int]] = {}
        """(session key, chain kind) -> the latest leaf of that kind and its frame."""
        self._roots: dict[str, list[tuple[str, int | None]]] = {}
        """Session key -> the root certificate IDs the EV listed last."""

    def observe(self, record: Record) -> Record:
        """Check what ``record`` carries; returns it with ``signature``/``chains`` added when it has any."""
        message = record.message
        if record.kind == "v2g" and record.name in CARRIERS and isinstance(message, ExiMessage) \
                and message.schema in _SIGNED_SCHEMAS:
            return self._v2g(record, message)
        if record.kind == "tls" and record.name == "Certificate" and getattr(message, "certificates", None):
            return self._tls(record)
        return record

    def _where(self, record: Record, name: str, path: str | None = None) -> Where:
        from .model import Where

        direction = record.extra.get("dir")
        side = "ev" if direction == "ev->evse" else "evse" if direction == "evse->ev" else (
            "ev" if name.endswith("Req") else "evse")
        return Where(record.frame, record.time, name, side, record.extra.get("stream"), path)

    def _chains(self, record: Record, found: list[tuple[str, str, list[bytes]]], name: str,
                protocol: str | None) -> list[ChainCheck]:
        from .certs import chain
        from .chains import check_chain  # cryptography: loaded with the first certificate
        from .model import ChainCheck

        out = []
        for kind, path, ders in found:

            certs = chain(kind, ders)
            steps, trusted = check_chain(kind, certs, record.time, self.trust, protocol)
            out.append(ChainCheck(kind, self._where(record, name, path), certs, steps, trusted))
        self.results.extend(out)
        return out

    def _v2g(self, record: Record, msg: ExiMessage) -> Record:
        from .certs import find_chains
        from .emaid import carried, certificate_emaid, matches
        from .model import EmaidCheck, RootCheck
        from .roots import listed, root_ids, root_name

        key = _session_key(record, msg)
        checks = self._chains(record, find_chains(msg.root), msg.name, msg.schema)
        local: dict[str, tuple[CertView, int]] = {}
        for chk in checks:
            if chk.certificates and chk.certificates[0].error is None:
                local[chk.kind] = (chk.certificates[0], record.frame)
        ids = root_ids(msg.body) if msg.name in ("CertificateInstallationReq", "CertificateUpdateReq") else []
        if ids:
            self._roots[key] = ids
        for chk in checks:
            name = root_name(chk.certificates)
            if chk.kind == "provisioning" and key in self._roots and name is not None:
                names = tuple(n for n, _ in self._roots[key])
                self.results.append(RootCheck(chk.where, name, names, listed(name, self._roots[key])))
        contract = local.get("contract") or self._signers.get((key, "contract"))
        for el in carried(msg.root):
            if contract is not None:
                em = EmaidCheck(self._where(record, msg.name, f"{msg.name}/{el.name}"), str(el.value),
                                certificate_emaid(contract[0]) or "(no commonName)", matches(str(el.value), contract[0]))
                self.results.append(em)
        extra: dict[str, Any] = {}
        notes = [_short(c) for c in checks]
        if checks:
            extra["chains"] = [c.to_json() for c in checks]
        from .signatures import signature_of, verify  # cryptography, as above

        if signature_of(msg) is not None:
            kind = SIGNERS.get(msg.name)
            signer = None if kind is None else local.get(kind) or self._signers.get((key, kind))
            missing = (f"no rule says which certificate signs {msg.name}" if kind is None
                       else f"no {kind} certificate seen before this message in its session")
            sig = verify(msg, self._where(record, msg.name), signer[0] if signer else None,
                         signer[1] if signer else None, missing)
            self.results.append(sig)
            extra["signature"] = sig.to_json()
            notes.insert(0, _short(sig))
        if self.oem_key is not None and msg.name == "CertificateInstallationRes" and msg.schema == "iso2":
            check = self._contract_key(record, msg, local.get("contract"))
            if check is not None:
                self.results.append(check)
                extra["contract_key"] = check.to_json()
                notes.append("contract key ok" if check.ok else "contract key FAILED")
        for kind, leaf in local.items():
            self._signers[(key, kind)] = leaf
        return _annotated(record, extra, notes) if extra else record

    def _contract_key(self, record: Record, msg: ExiMessage, contract: tuple[CertView, int] | None
                      ) -> KeyCheck | None:
        from .model import KeyCheck
        from .oemkey import decrypt, matches

        assert self.oem_key is not None
        where = self._where(record, msg.name, f"{msg.name}/ContractSignatureEncryptedPrivateKey")
        body = msg.body
        dh, enc = body.get("DHpublickey"), body.get("ContractSignatureEncryptedPrivateKey")
        if dh is None or enc is None or not isinstance(dh.value, bytes) or not isinstance(enc.value, bytes):
            return None  # a failed installation delivers no key
        if contract is None:
            return KeyCheck(where, False, "the response carries no readable contract certificate")
        try:
            private = decrypt(dh.value, enc.value, self.oem_key)
        except ValueError as err:
            return KeyCheck(where, False, f"the contract private key cannot be decrypted with --oem-key: {err}")
        if matches(private, contract[0]):
            return KeyCheck(where, True, "the decrypted private key is the contract certificate's")
        return KeyCheck(where, False, "the private key decrypted with --oem-key is not the contract certificate's "
                        "(wrong OEM key, or encrypted for another key)")

    def _tls(self, record: Record) -> Record:
        infos = record.message.certificates
        kind = "secc" if record.extra.get("dir") != "ev->evse" else "vehicle"
        checks = self._chains(record, [(kind, "Certificate", [c.der for c in infos])], "TLS Certificate", None)
        return _annotated(record, {"chains": [c.to_json() for c in checks]}, [_short(c) for c in checks])

    def section(self, first_frame: int, last_frame: int, streams: Iterable[int]) -> PncSection | None:
        """The results of one session (its frames, on its connections); ``None`` when it has none."""
        from .model import ChainCheck, EmaidCheck, KeyCheck, PncSection, RootCheck, SignatureCheck

        streams = set(streams)
        mine = [r for r in self.results if first_frame <= r.where.frame <= last_frame
                and (r.where.stream is None or r.where.stream in streams)]
        if not mine:
            return None
        chains = tuple(r for r in mine if isinstance(r, ChainCheck))
        contract = next((c.certificates[0].common_name for c in chains
                         if c.kind == "contract" and c.certificates and c.certificates[0].common_name), None)
        emaids = tuple(r for r in mine if isinstance(r, EmaidCheck))
        if contract is None and emaids:
            contract = emaids[0].carried
        return PncSection(contract, chains, tuple(r for r in mine if isinstance(r, SignatureCheck)), emaids,
                          tuple(r for r in mine if isinstance(r, KeyCheck)),
                          tuple(r for r in mine if isinstance(r, RootCheck)))

    def attach(self, sessions: Iterable[Session]) -> tuple[Session, ...]:
        """``sessions`` with their ``pnc`` section filled in, its findings among the session's own."""
        from .rules import findings

        out = []
        for s in sessions:
            sec = self.section(s.first_frame, s.last_frame, s.streams)
            if sec is not None:
                sec = dataclasses.replace(sec, findings=tuple(findings(sec.results, s.id)))
                merged = tuple(sorted((*s.findings, *sec.findings), key=lambda f: f.frame))
                s = dataclasses.replace(s, pnc=sec, findings=merged)
            out.append(s)
        return tuple(out)


def _session_key(record: Record, msg: ExiMessage) -> str:
    header = msg.root.get("Header")
    sid = header.get("SessionID") if header is not None else None
    if sid is not None and isinstance(sid.value, bytes) and sid.value.strip(b"\0"):
        return sid.value.hex()
    return f"stream {record.extra.get('stream')}"


def _short(result: ChainCheck | SignatureCheck) -> str:
    """A verdict in a few words, for the readable one-line summary."""
    from .model import SignatureCheck

    if isinstance(result, SignatureCheck):
        bad = [r for r in result.references if r.status != "ok"]
        if bad:
            return f"digest {bad[0].status} ({bad[0].uri})"
        return f"signature {result.status}"
    failed = next((s.name for s in result.steps if s.ok is False), None)
    if not result.ok:
        return f"{result.kind} chain failed ({failed})"
    text = f"{result.kind} chain " + ("trusted" if result.trusted_root else "ok, root not trusted")
    return text + (f", {failed} deviation" if failed else "")


def _annotated(record: Record, keys: dict[str, Any], notes: list[str]) -> Record:
    extra = record.extra
    summary = "; ".join(x for x in (record.summary, *notes) if x)
    if isinstance(extra, SharedTail):
        return record._replace(extra=SharedTail({**extra.head, **keys}, extra.tail), summary=summary)
    return record._replace(extra={**extra, **keys}, summary=summary)
