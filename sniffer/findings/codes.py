"""Response-code rules: every FAILED_* with what it means and which side it blames; WARNING_* apart."""

from __future__ import annotations

from .model import Finding, Rule
from .view import Message

FAILED = Rule("codes.failed", "error", "unknown",
              "ResponseCode enumeration of DIN SPEC 70121 / ISO 15118-2 / -20 (meaning per code)",
              "The SECC answered with a FAILED response code")
WARNING = Rule("codes.warning", "warning", "unknown",
               "ISO 15118-20 WARNING_* codes: the SECC goes on, the EV should take note",
               "The SECC answered with a WARNING response code")
NO_NEGOTIATION = Rule("codes.no-negotiation", "error", "both",
                      "SupportedAppProtocolRes Failed_NoNegotiation: no common message set",
                      "The handshake found no message set both sides speak")
RULES = (FAILED, WARNING, NO_NEGOTIATION)

# code -> (side at fault, what it means); codes not listed blame nobody in particular
MEANING: dict[str, tuple[str, str]] = {
    "FAILED": ("unknown", "unspecified failure"),
    "FAILED_SequenceError": ("ev", "the request does not fit the message sequence"),
    "FAILED_UnknownSession": ("ev", "the SessionID is not the one the SECC assigned"),
    "FAILED_ServiceIDInvalid": ("ev", "the EV asked for a service the SECC did not offer"),
    "FAILED_ServiceSelectionInvalid": ("ev", "the EV selected a service the SECC did not offer"),
    "FAILED_PaymentSelectionInvalid": ("ev", "the EV chose a payment option the SECC did not offer"),
    "FAILED_CertificateExpired": ("ev", "the EV's certificate has expired"),
    "FAILED_SignatureError": ("ev", "a signature the EV sent does not verify"),
    "FAILED_NoCertificateAvailable": ("evse", "the SECC has no certificate for the EV"),
    "FAILED_CertChainError": ("ev", "the EV's certificate chain does not verify"),
    "FAILED_ChallengeInvalid": ("ev", "the EV answered the wrong challenge"),
    "FAILED_ContractCanceled": ("ev", "the contract is cancelled"),
    "FAILED_WrongChargeParameter": ("ev", "the EV's charge parameters do not fit the EVSE"),
    "FAILED_PowerDeliveryNotApplied": ("evse", "the EVSE could not apply the power delivery"),
    "FAILED_TariffSelectionInvalid": ("ev", "the EV chose a tariff the SECC did not offer"),
    "FAILED_ChargingProfileInvalid": ("ev", "the EV's charging profile breaks the schedule"),
    "FAILED_MeteringSignatureNotValid": ("ev", "the metering receipt signature does not verify"),
    "FAILED_NoChargeServiceSelected": ("ev", "the EV selected no charge service"),
    "FAILED_WrongEnergyTransferMode": ("ev", "the EV asked for an energy transfer mode the EVSE lacks"),
    "FAILED_WrongEnergyTransferType": ("ev", "the EV asked for an energy transfer type the EVSE lacks"),
    "FAILED_ContactorError": ("evse", "the EVSE's contactors failed"),
    "FAILED_CertificateNotAllowedAtThisEVSE": ("ev", "the EV's certificate is not accepted here"),
    "FAILED_CertificateRevoked": ("ev", "the EV's certificate is revoked"),
    "FAILED_AuthorizationSelectionInvalid": ("ev", "the EV chose an authorization the SECC did not offer"),
    "FAILED_CertificateSignatureInvalid": ("ev", "a certificate's signature does not verify"),
    "FAILED_EVPowerProfileInvalid": ("ev", "the EV's power profile is invalid"),
    "FAILED_EVPowerProfileViolation": ("ev", "the EV broke its own power profile"),
    "FAILED_ScheduleSelectionInvalid": ("ev", "the EV chose a schedule the SECC did not offer"),
    "FAILED_NoServiceRenegotiationSupported": ("ev", "the SECC does not support renegotiation"),
    "FAILED_NoEnergyTransferServiceSelected": ("ev", "the EV selected no energy transfer service"),
    "FAILED_EVSEPresentVoltageToLow": ("evse", "the EVSE voltage is too low"),
}


def code_of(finding: Finding) -> str:
    """The response code a ``codes.*`` finding is about (its text starts with it)."""
    return finding.text.split(" ", 1)[0].rstrip(":")


def check(m: Message) -> list[Finding]:
    code = m.response_code
    if code is None or not m.is_response:
        return []
    upper = code.upper()
    if upper.startswith("OK"):
        return []
    path = f"{m.name}/ResponseCode"
    if upper.startswith("WARNING"):
        return [WARNING.finding(f"{code}: {m.name} answered with a warning", m.frame, m.time,
                                message=m.name, path=path)]
    if m.name == "supportedAppProtocolRes":
        return [NO_NEGOTIATION.finding(f"{code}: the SECC accepts none of the EV's offers", m.frame, m.time,
                                       message=m.name, path=path)]
    side, meaning = MEANING.get(code, ("unknown", "failure"))
    return [FAILED.finding(f"{code}: {meaning} ({m.name})", m.frame, m.time, message=m.name, path=path,
                           side=side)]
