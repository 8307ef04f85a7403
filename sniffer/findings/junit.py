"""JUnit XML of findings: one test case per session and rule, so CI servers list them natively."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape, quoteattr

from .model import SEVERITIES, Finding, RuleSet

if TYPE_CHECKING:
    from v2gsniff.sniffer.report.collect import CaptureResult


def junit_xml(results: Sequence[CaptureResult], kept: Mapping[str, list[Finding]], rules: RuleSet,
              fail_on: str) -> str:
    """A ``<testsuites>`` with one suite per capture; a case fails when its session broke the rule
    with a finding at or above ``fail_on`` (milder findings go to the case's ``system-out``)."""
    worst = SEVERITIES.index(fail_on)
    suites = []
    total = failed_total = 0
    for r in results:
        found = kept.get(r.path, [])
        units: list[tuple[str, int | None]] = [(f"session {s.id}", s.id) for s in r.sessions] or [("capture", None)]
        cases = []
        failed = 0
        for unit, sid in units:
            for rule in rules:
                mine = [f for f in found if f.rule == rule.id and (f.session == sid or sid is None)]
                bad = [f for f in mine if SEVERITIES.index(f.severity) <= worst]
                body = ""
                if bad:
                    failed += 1
                    text = "\n".join(f"frame {f.frame}: {f.text} (evidence: frames "
                                     f"{', '.join(str(x) for x in f.evidence)})" for f in bad)
                    body += (f"<failure type={quoteattr(bad[0].severity)} message={quoteattr(bad[0].text)}>"
                             f"{escape(text)}</failure>")
                mild = [f for f in mine if f not in bad]
                if mild:
                    body += "<system-out>" + escape("\n".join(f"{f.severity} frame {f.frame}: {f.text}"
                                                              for f in mild)) + "</system-out>"
                cases.append(f"<testcase classname={quoteattr(f'{r.capture}.{unit}')} name={quoteattr(rule.id)}"
                             + (f">{body}</testcase>" if body else "/>"))
        total += len(cases)
        failed_total += failed
        suites.append(f"<testsuite name={quoteattr(r.capture)} tests=\"{len(cases)}\" failures=\"{failed}\">"
                      + "".join(cases) + "</testsuite>")
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="v2gsniff check" tests="{total}" '
            f'failures="{failed_total}">' + "".join(suites) + "</testsuites>\n")
