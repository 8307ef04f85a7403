"""ISO 15118-2 Plug & Charge over TLS 1.2: certificate installation, contract authorization and
a metering receipt, every signed message signed as the standard prescribes (over EXI fragments).

The SECC presents its chain (leaf, CPO sub-CA 2, CPO sub-CA 1) in the TLS handshake. The EV
asks for a contract (CertificateInstallationReq, signed with the OEM provisioning key), the SECC
answers with the contract chain, signed by the CPS leaf; the EV then sends PaymentDetailsReq
(eMAID and contract chain), an AuthorizationReq and, after the charge loop, a MeteringReceiptReq,
both signed with the contract key. ``Faults`` makes the twins a checker must catch. The contract
private key in CertificateInstallationRes is encrypted for the OEM provisioning key as [V2G2-818]
says (``pnc.oemkey``), so ``--oem-key`` can decrypt it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from v2gsniff.sniffer.pnc.oemkey import session_key
from v2gsniff.sniffer.pnc.signatures import ECDSA_SHA256, find_id, fragment

from .din import DcSession, app_protocol, handshake
from .exibuild import ISO2, Tree, message, v2g_message
from .link import Link
from .pki import EMAID, Identity, SimPki
from .tls import ecdsa_key

CANONICAL_EXI = "http://www.w3.org/TR/canonical-exi/"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
DIN_NS, ISO2_NS = "urn:din:70121:2012:MsgDef", "urn:iso:15118:2:2013:MsgDef"


@dataclass(frozen=True)
class Faults:
    """What goes wrong in a twin of the scenario (nothing, by default)."""

    tampered_body: bool = False
    """AuthorizationReq's GenChallenge changed after it was signed."""
    wrong_key: bool = False
    """AuthorizationReq signed with a key that is not the contract certificate's."""
    expired_contract: bool = False
    """The contract certificate expired before the session."""
    broken_chain_order: bool = False
    """PaymentDetailsReq sends the contract chain's sub-CAs root side first."""
    emaid_mismatch: bool = False
    """PaymentDetailsReq names another eMAID than the contract certificate's."""
    garbage_certificate: bool = False
    """PaymentDetailsReq's contract leaf is not DER at all."""
    dangling_reference: bool = False
    """AuthorizationReq's Id is renamed after signing: the signature references an Id that does not exist."""
    wrong_contract_key: bool = False
    """CertificateInstallationRes delivers a private key that is not the contract certificate's."""
    unlisted_root: bool = False
    """The EV lists only a root the SECC's provisioning chain does not lead to."""


def signed(session_id: str, body: Tree, ids: list[str], key: ec.EllipticCurvePrivateKey) -> Tree:
    """A V2G_Message whose header signs the body elements ``ids`` with ``key``."""
    msg = message(ISO2, v2g_message(ISO2, session_id, body))
    refs = []
    for ident in ids:
        el = find_id(msg.root, ident)
        assert el is not None, ident
        refs.append({"@URI": f"#{ident}", "Transforms": {"Transform": {"@Algorithm": CANONICAL_EXI}},
                     "DigestMethod": {"@Algorithm": SHA256},
                     "DigestValue": hashlib.sha256(fragment(el, ISO2)).digest()})
    info: Tree = {"CanonicalizationMethod": {"@Algorithm": CANONICAL_EXI},
                  "SignatureMethod": {"@Algorithm": ECDSA_SHA256}, "Reference": refs}
    signed_bytes = fragment(message("xmldsig", {"SignedInfo": info}).root, "xmldsig")
    r, s = utils.decode_dss_signature(key.sign(signed_bytes, ec.ECDSA(hashes.SHA256(), deterministic_signing=True)))
    value = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    return {"V2G_Message": {"Header": {"SessionID": session_id, "Signature": {"SignedInfo": info,
                                                                              "SignatureValue": value}},
                            "Body": body}}


def _chain(chain: list[bytes], ident: str | None = None) -> Tree:
    out: dict[str, Any] = {"@Id": ident} if ident else {}
    out["Certificate"] = chain[0]
    if len(chain) > 1:
        out["SubCertificates"] = {"Certificate": chain[1:]}
    return out


class PncSession(DcSession):
    """The ISO-2 DC sequence with Contract payment in place of ExternalPayment."""

    def __init__(self, link: Link, evse_id: str, loops: int, pki: SimPki, faults: Faults) -> None:
        super().__init__(link, ISO2, evse_id, loops)
        self.pki = pki
        self.faults = faults

    def signed_exchange(self, req: Tree, ids: list[str], key: ec.EllipticCurvePrivateKey, res: Tree,
                        think: float = 0.1, after: Tree | None = None) -> None:
        """The EV sends ``req`` signed (its body replaced by ``after`` once signed, for twins); then ``res``."""
        tree = signed(self.sid, req, ids, key)
        if after is not None:
            tree["V2G_Message"]["Body"] = after
        self.link.exchange(ISO2, tree, res, think=think, evse_time=0.05)

    def iso2_service_and_auth(self, modes: list[str]) -> None:
        pki, rng, f = self.pki, self.rng, self.faults
        self.x({"ServiceDiscoveryReq": None},
               {"ServiceDiscoveryRes": {"ResponseCode": "OK",
                                        "PaymentOptionList": {"PaymentOption": ["Contract", "ExternalPayment"]},
                                        "ChargeService": {"ServiceID": 1, "ServiceCategory": "EVCharging",
                                                          "FreeService": False,
                                                          "SupportedEnergyTransferMode": {
                                                              "EnergyTransferMode": modes}},
                                        "ServiceList": {"Service": {"ServiceID": 2, "ServiceName": "Certificate",
                                                                    "ServiceCategory": "ContractCertificate",
                                                                    "FreeService": True}}}})
        self.x({"PaymentServiceSelectionReq": {"SelectedPaymentOption": "Contract", "SelectedServiceList": {
            "SelectedService": [{"ServiceID": 1}, {"ServiceID": 2, "ParameterSetID": 1}]}}},
               {"PaymentServiceSelectionRes": {"ResponseCode": "OK"}})
        root = pki.v2g_root.cert
        root_id = {"X509IssuerName": root.subject.rfc4514_string(), "X509SerialNumber": root.serial_number}
        if f.unlisted_root:
            root_id = {"X509IssuerName": "DC=V2G,O=Another PKI,CN=Another V2G Root", "X509SerialNumber": 1}
        install = {"CertificateInstallationReq": {
            "@Id": "ID1", "OEMProvisioningCert": pki.oem_prov.der,
            "ListOfRootCertificateIDs": {"RootCertificateID": root_id}}}
        installed = {"CertificateInstallationRes": {
            "ResponseCode": "OK", "SAProvisioningCertificateChain": _chain([pki.cps.der]),
            "ContractSignatureCertChain": _chain(pki.contract_chain, "ID1"),
            **self.encrypted_contract_key(),
            "eMAID": {"@Id": "ID4", "#text": EMAID}}}
        # the response is signed too: by the CPS, over the contract chain, key, DH key and eMAID
        self.signed_exchange(install, ["ID1"], pki.oem_prov.key,
                             signed(self.sid, installed, ["ID1", "ID2", "ID3", "ID4"], pki.cps.key), think=0.2)
        chain = pki.contract_chain
        if f.broken_chain_order:
            chain = [chain[0], *reversed(chain[1:])]
        if f.garbage_certificate:
            chain = [b"this is not a DER certificate", *chain[1:]]
        challenge = self.link.wire.randbytes(16)
        self.x({"PaymentDetailsReq": {"eMAID": "DEV2GS7654321X" if f.emaid_mismatch else EMAID,
                                      "ContractSignatureCertChain": _chain(chain)}},
               {"PaymentDetailsRes": {"ResponseCode": "OK", "GenChallenge": challenge,
                                      "EVSETimeStamp": int(self.link.wire.now)}}, think=0.15)
        key = _other_key(rng.randrange(1, 2**200)) if f.wrong_key else pki.contract.key
        auth = {"AuthorizationReq": {"@Id": "ID1", "GenChallenge": challenge}}
        tampered = {"AuthorizationReq": {"@Id": "ID1", "GenChallenge": bytes(16)}} if f.tampered_body else None
        if f.dangling_reference:
            tampered = {"AuthorizationReq": {"@Id": "ID2", "GenChallenge": challenge}}
        for processing in ("Ongoing", "Finished"):
            self.signed_exchange(auth, ["ID1"], key, v2g_message(ISO2, self.sid, {"AuthorizationRes": {
                "ResponseCode": "OK", "EVSEProcessing": processing}}), think=0.2, after=tampered)

    def encrypted_contract_key(self) -> Tree:
        """ContractSignatureEncryptedPrivateKey and DHpublickey, as the CPS makes them ([V2G2-818])."""
        wire = self.link.wire
        ephemeral = ecdsa_key(wire)
        key = session_key(ephemeral, self.pki.oem_prov.key.public_key())
        contract = _other_key(self.rng.randrange(1, 2**200)) if self.faults.wrong_contract_key else self.pki.contract.key
        iv = wire.randbytes(16)
        enc = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
        secret = enc.update(contract.private_numbers().private_value.to_bytes(32, "big")) + enc.finalize()
        point = ephemeral.public_key().public_bytes(serialization.Encoding.X962,
                                                    serialization.PublicFormat.UncompressedPoint)
        return {"ContractSignatureEncryptedPrivateKey": {"@Id": "ID2", "#text": iv + secret},
                "DHpublickey": {"@Id": "ID3", "#text": point}}

    def power_delivery(self, start: bool) -> None:
        if not start:  # the receipt of the charge loop, signed with the contract key, before stopping
            receipt = {"MeteringReceiptReq": {"@Id": "ID1", "SessionID": self.sid, "SAScheduleTupleID": 1,
                                              "MeterInfo": {"MeterID": "METER-1", "MeterReading": 4711}}}
            self.signed_exchange(receipt, ["ID1"], self.pki.contract.key, v2g_message(ISO2, self.sid, {
                "MeteringReceiptRes": {"ResponseCode": "OK", "DC_EVSEStatus": self.evse_status()}}))
        super().power_delivery(start)


def _other_key(scalar: int) -> ec.EllipticCurvePrivateKey:
    return ec.derive_private_key(scalar, ec.SECP256R1())


def run_iso2_pnc(link: Link, loops: int, faults: Faults | None = None) -> None:
    """SLAC, SDP (TLS), TLS 1.2 with the SECC chain, and the Plug & Charge DC session."""
    from .link import SECURITY_TLS

    faults = faults or Faults()
    pki = SimPki.generate(link.wire.seed, contract_days=(-800, -70) if faults.expired_contract else (0, 730))
    link.slac()
    link.sdp(SECURITY_TLS)
    link.connect(tls="1.2", identity=(pki.secc.key, pki.secc_chain))
    handshake(link, [app_protocol(DIN_NS, 1, 2), app_protocol(ISO2_NS, 2, 1)], 2)
    evse_id = "DE*V2G*E" + "".join(str(link.wire.rng.randrange(10)) for _ in range(6)) + "*1"
    PncSession(link, evse_id, loops, pki, faults).run()


__all__ = ["Faults", "Identity", "PncSession", "SimPki", "run_iso2_pnc", "signed"]
