"""Session phases, in the order a charging session passes through them, and which message is in which."""

from __future__ import annotations

from functools import lru_cache

PHASES = (
    "SLAC",
    "SDP",
    "TLS",
    "SupportedAppProtocol",
    "SessionSetup",
    "ServiceDiscovery",
    "Authorization",
    "ChargeParameterDiscovery",
    "ScheduleExchange",
    "CableCheck",
    "PreCharge",
    "PowerDelivery",
    "ChargeLoop",
    "WeldingDetection",
    "SessionStop",
)
"""Phase names in session order; ``rank`` orders them for "furthest phase reached"."""

_RANK = {name: i for i, name in enumerate(PHASES)}

# Message stem (name without Req/Res and without the ISO-20 AC_/DC_/WPT_ prefix) -> phase.
_STEMS = {
    "supportedAppProtocol": "SupportedAppProtocol",
    "SessionSetup": "SessionSetup",
    "ServiceDiscovery": "ServiceDiscovery",
    "ServiceDetail": "ServiceDiscovery",
    "ServiceSelection": "ServiceDiscovery",
    "ServicePaymentSelection": "ServiceDiscovery",
    "PaymentServiceSelection": "ServiceDiscovery",
    "Authorization": "Authorization",
    "AuthorizationSetup": "Authorization",
    "ContractAuthentication": "Authorization",
    "PaymentDetails": "Authorization",
    "CertificateInstallation": "Authorization",
    "CertificateUpdate": "Authorization",
    "ChargeParameterDiscovery": "ChargeParameterDiscovery",
    "ScheduleExchange": "ScheduleExchange",
    "CableCheck": "CableCheck",
    "PreCharge": "PreCharge",
    "PowerDelivery": "PowerDelivery",
    "CurrentDemand": "ChargeLoop",
    "ChargingStatus": "ChargeLoop",
    "ChargeLoop": "ChargeLoop",
    "MeteringReceipt": "ChargeLoop",
    "MeteringConfirmation": "ChargeLoop",
    "WeldingDetection": "WeldingDetection",
    "SessionStop": "SessionStop",
}

SLAC_NAMES = frozenset({
    "CM_SLAC_PARM.REQ", "CM_SLAC_PARM.CNF", "CM_START_ATTEN_CHAR.IND", "CM_MNBC_SOUND.IND",
    "CM_ATTEN_CHAR.IND", "CM_ATTEN_CHAR.RSP", "CM_ATTEN_PROFILE.IND", "CM_VALIDATE.REQ",
    "CM_VALIDATE.CNF", "CM_SLAC_MATCH.REQ", "CM_SLAC_MATCH.CNF",
})
"""HomePlug messages that belong to a SLAC run (ISO 15118-3)."""

TLS_HANDSHAKE = frozenset({
    "ClientHello", "ServerHello", "HelloRetryRequest", "EncryptedExtensions", "Certificate",
    "CertificateRequest", "ServerKeyExchange", "ServerHelloDone", "ClientKeyExchange",
    "CertificateVerify", "Finished", "Alert",
})


# message names are few (the schemas' own), and every distinct message body asks for its name's
@lru_cache(512)
def stem(name: str) -> str:
    """``DC_CableCheckReq`` -> ``CableCheck``; ``supportedAppProtocolRes`` -> ``supportedAppProtocol``."""
    base = name[:-3] if name.endswith(("Req", "Res")) else name
    for prefix in ("AC_", "DC_", "WPT_", "ACDP_", "BPT_"):
        if base.startswith(prefix):
            base = base[len(prefix):]
    return base


@lru_cache(512)
def phase_of(name: str) -> str | None:
    """Phase of a V2G message name (``None`` for messages outside the phase list)."""
    return _STEMS.get(stem(name))


def rank(name: str) -> int:
    return _RANK.get(name, -1)
