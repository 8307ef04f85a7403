"""TLS posture of a session and the ISO 15118-20 transport findings (thesis section 4.1.1).

ISO 15118-20 Table 5 puts the -20 message sets on TLS 1.3 only: the EVCC shall not offer them
over plain TCP or TLS 1.2 and below ([V2G20-1237]), and the SECC shall not select them there
([V2G20-2356]).
"""

from __future__ import annotations

from v2gsniff.sniffer.findings.link import ISO20_OFFER_WITHOUT_TLS13, ISO20_SELECT_WITHOUT_TLS13
from v2gsniff.sniffer.findings.model import Finding

from .model import Handshake, TlsPosture

OLD_TLS = frozenset({"SSL 3.0", "TLS 1.0", "TLS 1.1", "TLS 1.2"})


def is_iso20(namespace: str | None) -> bool:
    return bool(namespace) and ":15118:-20:" in str(namespace)


def transport(version: str | None) -> str:
    return version if version else "plain TCP"


def findings(handshakes: tuple[Handshake, ...]) -> tuple[Finding, ...]:
    """V2G20-1237 / V2G20-2356 for every handshake that offered or selected -20 without TLS 1.3."""
    out: list[Finding] = []
    for hs in handshakes:
        if hs.tls_version is not None and hs.tls_version not in OLD_TLS:
            continue
        offered = [o.namespace for o in hs.offers if is_iso20(o.namespace)]
        if offered:
            out.append(ISO20_OFFER_WITHOUT_TLS13.finding(
                f"EV offers {', '.join(offered)} over {transport(hs.tls_version)} (ISO 15118-20 requires TLS 1.3)",
                hs.req_frame, message="supportedAppProtocolReq"))
        if is_iso20(hs.negotiated_namespace) and hs.res_frame is not None:
            out.append(ISO20_SELECT_WITHOUT_TLS13.finding(
                f"SECC selects {hs.negotiated_namespace} over {transport(hs.tls_version)} "
                "(ISO 15118-20 requires TLS 1.3)", hs.res_frame, message="supportedAppProtocolRes"))
    return tuple(out)


def posture(ev_requests: list[str], secc_answer: str | None, version: str | None, cipher: str | None,
            tls_seen: bool, decrypted: bool, alerts: list[str], handshakes: tuple[Handshake, ...]) -> TlsPosture:
    return TlsPosture(
        ev_requests=tuple(ev_requests),
        secc_answer=secc_answer,
        version=version,
        cipher=cipher,
        decryptable=(decrypted if tls_seen else None),
        alerts=tuple(alerts),
        findings=findings(handshakes),
    )
