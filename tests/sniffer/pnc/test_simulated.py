"""A Plug & Charge session with a test PKI made at run time, and its twins: each fault gives the
one finding it should, through the whole pipeline (simulated capture, TLS decryption, EXI decode)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from v2gsniff.sniffer.commands.check import check as check_cmd
from v2gsniff.sniffer.commands.decode import decode as decode_cmd
from v2gsniff.sniffer.commands.report import report as report_cmd
from v2gsniff.sniffer.commands.sessions import sessions as sessions_cmd
from v2gsniff.sniffer.engine import decode_file
from v2gsniff.sniffer.findings import Finding, RuleSet
from v2gsniff.sniffer.pnc import PncChecker, SignatureCheck, TrustStore
from v2gsniff.sniffer.pnc.rules import PNC_RULES, findings
from v2gsniff.sniffer.setup import AnalysisSetup
from v2gsniff.sniffer.simulate import Wire, write_pcapng
from v2gsniff.sniffer.simulate.link import Link
from v2gsniff.sniffer.simulate.pki import SimPki
from v2gsniff.sniffer.simulate.pnc import Faults, run_iso2_pnc

SEED, LOOPS = 21, 3


def capture(tmp: Path, faults: Faults | None = None) -> Path:
    wire = Wire(SEED)
    run_iso2_pnc(Link(wire), LOOPS, faults or Faults())
    path = tmp / "pnc.pcapng"
    write_pcapng(wire, path)
    return path


def judged(path: Path, trust: TrustStore | None = None) -> tuple[list, list[Finding], PncChecker]:
    checker = PncChecker(trust)
    records = [checker.observe(r) for r in decode_file(str(path))[0]]
    return records, list(findings(checker.results)), checker


def test_the_rules_are_declared_once_and_fit_the_shared_model() -> None:
    rules = RuleSet(PNC_RULES)
    assert len(rules) == len(PNC_RULES) and all(r.id.startswith("pnc.") for r in rules)


def test_a_sound_session_verifies_everything_and_with_its_roots_is_pnc_verified(tmp_path: Path) -> None:
    path = capture(tmp_path)
    records, found, checker = judged(path)
    assert [r for r in records if r.error] == []
    assert found == []
    sigs = [r for r in checker.results if isinstance(r, SignatureCheck)]
    assert [(s.where.message, s.status) for s in sigs] == [
        ("CertificateInstallationReq", "ok"), ("CertificateInstallationRes", "ok"), ("AuthorizationReq", "ok"),
        ("AuthorizationReq", "ok"), ("MeteringReceiptReq", "ok")]
    assert [len(s.references) for s in sigs] == [1, 4, 1, 1, 1]
    roots = tmp_path / "roots.pem"
    roots.write_bytes(SimPki.generate(SEED).roots_pem())
    _, found, checker = judged(path, TrustStore.load([str(roots)]))
    assert found == []
    section = checker.section(0, 10**9, [0])
    assert section is not None and section.verdict == "PnC verified" and section.contract_id == "DEV2GS1234567X"
    assert {c.kind for c in section.chains} == {"secc", "oem", "provisioning", "contract"}
    assert all(c.trusted_root for c in section.chains)


TWINS = [
    (Faults(tampered_body=True), "pnc.digest-mismatch", "AuthorizationReq", "ev", 2),
    (Faults(wrong_key=True), "pnc.signature-invalid", "AuthorizationReq", "ev", 2),
    # the expired contract certificate travels twice: in CertificateInstallationRes and PaymentDetailsReq
    (Faults(expired_contract=True), "pnc.certificate-validity", None, None, 2),
    (Faults(broken_chain_order=True), "pnc.chain-order", "PaymentDetailsReq", "ev", 1),
    (Faults(emaid_mismatch=True), "pnc.emaid-mismatch", "PaymentDetailsReq", "ev", 1),
    (Faults(unlisted_root=True), "pnc.root-not-listed", "CertificateInstallationRes", "evse", 1),
    # bad input: decoding goes on, the finding says what is wrong
    (Faults(garbage_certificate=True), "pnc.certificate-unparseable", "PaymentDetailsReq", "ev", 1),
    (Faults(dangling_reference=True), "pnc.reference-missing", "AuthorizationReq", "ev", 2),
]


@pytest.mark.parametrize(("faults", "rule", "message", "side", "count"), TWINS,
                         ids=[t[1] for t in TWINS])
def test_each_twin_gives_its_one_finding(tmp_path: Path, faults: Faults, rule: str, message: str | None,
                                         side: str | None, count: int) -> None:
    records, found, _ = judged(capture(tmp_path, faults))
    assert {f.rule for f in found} == {rule}, [f.text for f in found]
    assert len(found) == count
    if message is not None:
        assert {(f.message, f.side) for f in found} == {(message, side)}
    # decoding went on to the end of the session
    assert [r for r in records if r.error] == []
    assert [r.name for r in records if r.kind == "v2g"][-1] == "SessionStopRes"


def test_findings_say_where_and_why(tmp_path: Path) -> None:
    _, found, _ = judged(capture(tmp_path, Faults(expired_contract=True)))
    assert all("contract leaf (DEV2GS1234567X) expired on 2022-10-23 00:00:00 UTC" in f.text and "before the capture" in f.text
               for f in found)
    assert {f.message for f in found} == {"CertificateInstallationRes", "PaymentDetailsReq"}
    _, found, _ = judged(capture(tmp_path, Faults(wrong_key=True)))
    assert "does not verify with the key of contract leaf (DEV2GS1234567X)" in found[0].text
    _, found, _ = judged(capture(tmp_path, Faults(garbage_certificate=True)))
    assert "not a DER X.509 certificate (29 bytes)" in found[0].text


def test_commands_show_the_signature_key_the_pnc_section_and_the_authorization_column(tmp_path: Path) -> None:
    path = capture(tmp_path, Faults(tampered_body=True))
    roots = tmp_path / "roots"
    roots.mkdir()
    for i, root in enumerate(SimPki.generate(SEED).roots):
        (roots / f"{i}.der").write_bytes(root.der)
    runner = CliRunner()
    out = runner.invoke(decode_cmd, [str(path), "--format", "jsonl", "--trust", str(roots)])
    assert out.exit_code == 0, out.output
    rows = [json.loads(line) for line in out.output.splitlines()]
    signed = [(r["name"], r["signature"]["references"][0]["digest"], r["signature"]["signature"])
              for r in rows if "signature" in r]
    assert signed[2:4] == [("AuthorizationReq", "failed", "ok")] * 2
    tls = [r for r in rows if r["name"] == "Certificate"]
    assert tls[0]["chains"][0]["verdict"].startswith("verified to the trusted root") and tls[0]["chains"][0]["kind"] == "secc"
    text = runner.invoke(decode_cmd, [str(path), "--no-color"]).output
    assert [line.split("  ")[-1].strip() for line in text.splitlines() if "AuthorizationReq" in line] == [
        "digest failed (#ID1)"] * 2
    assert "contract chain ok, root not trusted" in text and "signature ok" in text
    out = runner.invoke(sessions_cmd, [str(path), "--format", "jsonl", "--trust", str(roots)])
    session = json.loads(out.output)
    assert session["pnc"]["contract_id"] == "DEV2GS1234567X"
    assert session["pnc"]["verdict"].startswith("PnC not verified: AuthorizationReq")
    assert {(f["rule"], f["side"], f["session"]) for f in session["pnc"]["findings"]} == {
        ("pnc.digest-mismatch", "ev", 1)}
    out = runner.invoke(report_cmd, [str(path), "--trust", str(roots)])
    table = out.output.split("## Vehicles")[1]
    assert "| Authorization |" in table and "PnC not verified: AuthorizationReq" in table
    assert "AuthorizationReq (frame" in out.output and "digest failed" in out.output
    assert "Finding pnc.digest-mismatch (error, at fault: ev; " in out.output
    clean = tmp_path / "clean"
    clean.mkdir()
    capture(clean).rename(clean / "a.pcapng")
    capture(clean, Faults(wrong_key=True)).rename(clean / "b.pcapng")
    # two worker processes: sessions with their PnC sections cross the process boundary
    out = runner.invoke(report_cmd, [str(clean), "--trust", str(roots), "--jobs", "2", "--format", "json"])
    assert out.exit_code == 0, out.output
    verdicts = [s["pnc"]["verdict"] for s in json.loads(out.stdout)["sessions"]]
    assert verdicts[0] == "PnC verified" and verdicts[1].startswith("PnC not verified: AuthorizationReq signature")


def _pem(key: object, path: Path) -> Path:
    from cryptography.hazmat.primitives import serialization

    path.write_bytes(key.private_bytes(serialization.Encoding.PEM,  # type: ignore[attr-defined]
                                       serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return path


def test_oem_key_decrypts_the_installed_contract_key_and_catches_a_wrong_one(tmp_path: Path) -> None:
    pki = SimPki.generate(SEED)
    oem = _pem(pki.oem_prov.key, tmp_path / "oem.pem")
    runner = CliRunner()
    out = runner.invoke(decode_cmd, [str(capture(tmp_path)), "--format", "jsonl", "--oem-key", str(oem)])
    (row,) = [r for r in map(json.loads, out.output.splitlines()) if "contract_key" in r]
    assert row["name"] == "CertificateInstallationRes" and row["contract_key"]["ok"] is True
    # a key that is not the OEM provisioning key gives a garbage scalar: not the contract key
    other = _pem(pki.cps.key, tmp_path / "cps.pem")
    _, found, _ = judged_with(capture(tmp_path), oem_key=str(other))
    assert {f.rule for f in found} == {"pnc.contract-key"} and found[0].side == "evse"
    _, found, _ = judged_with(capture(tmp_path, Faults(wrong_contract_key=True)), oem_key=str(oem))
    assert [(f.rule, f.message) for f in found] == [("pnc.contract-key", "CertificateInstallationRes")]
    assert "is not the contract certificate's" in found[0].text
    bad = runner.invoke(decode_cmd, [str(capture(tmp_path)), "--oem-key", str(tmp_path / "pnc.pcapng")])
    assert bad.exit_code == 2 and "--oem-key" in bad.output


def test_check_verifies_against_the_roots_and_the_oem_key_it_is_given(tmp_path: Path) -> None:
    path = capture(tmp_path)
    pki = SimPki.generate(SEED)
    roots = tmp_path / "roots.pem"
    roots.write_bytes(pki.roots_pem())
    strangers = tmp_path / "strangers.pem"
    strangers.write_bytes(SimPki.generate(SEED + 1).roots_pem())
    runner = CliRunner()

    def checked(*options: str) -> tuple[int, list[tuple[str, str | None]]]:
        out = runner.invoke(check_cmd, [str(path), "--format", "jsonl", *options])
        return out.exit_code, [(f["rule"], f["message"]) for f in map(json.loads, out.stdout.splitlines())]

    assert checked() == (0, [])  # without roots a sound chain is no finding
    assert checked("--trust", str(roots)) == (0, [])
    code, found = checked("--trust", str(strangers))
    assert code == 1 and {rule for rule, _ in found} == {"pnc.untrusted-root"}
    assert checked("--oem-key", str(_pem(pki.oem_prov.key, tmp_path / "oem.pem"))) == (0, [])
    assert checked("--oem-key", str(_pem(pki.cps.key, tmp_path / "cps.pem"))) == (
        1, [("pnc.contract-key", "CertificateInstallationRes")])


def judged_with(path: Path, oem_key: str) -> tuple[list, list[Finding], PncChecker]:
    checker = AnalysisSetup(oem_key=oem_key).checker()
    records = [checker.observe(r) for r in decode_file(str(path))[0]]
    return records, list(findings(checker.results)), checker


def test_a_fifty_certificate_tls_chain_is_a_finding_and_the_session_still_decodes(tmp_path: Path) -> None:
    from v2gsniff.sniffer.simulate.din import ISO2, run_dc
    from v2gsniff.sniffer.simulate.link import SECURITY_TLS

    pki = SimPki.generate(SEED)
    chain = [pki.secc.der] + [pki.cpo_sub2.der, pki.cpo_sub1.der] * 24 + [pki.v2g_root.der]
    assert len(chain) == 50
    wire = Wire(SEED)
    link = Link(wire)
    link.slac()
    link.sdp(SECURITY_TLS)
    link.connect(tls="1.2", identity=(pki.secc.key, chain))
    run_dc(link, ISO2, 2)
    path = tmp_path / "long.pcapng"
    write_pcapng(wire, path)
    records, found, _ = judged(path)
    (cert,) = [r for r in records if r.name == "Certificate"]
    assert len(cert.fields["certificates"]) == 50
    assert {f.rule for f in found} >= {"pnc.chain-length"} and all(f.side == "evse" for f in found)
    assert "50 certificates" in next(f.text for f in found if f.rule == "pnc.chain-length")
    assert [r.name for r in records if r.kind == "v2g"][-1] == "SessionStopRes"
    assert [r for r in records if r.error] == []
