"""``v2gsniff check FILE...``: the findings of captures, with an exit status for CI pipelines."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable

import click

from v2gsniff.sniffer.commands.decode import keylog_option, pnc_options
from v2gsniff.sniffer.commands.exits import EXIT_FAILED, EXIT_NOT_FOUND, EXIT_OK, exit_code_for
from v2gsniff.sniffer.commands.report import FleetOptions, fleet_options, run
from v2gsniff.sniffer.findings.model import SEVERITIES, Finding, RuleSet
from v2gsniff.sniffer.findings.registry import FAMILIES, select
from v2gsniff.sniffer.setup import AnalysisSetup

EXIT_CODES_HELP = (
    "Exit codes: 0 no finding at or above --fail-on; 1 at least one; 2 usage error (an unknown rule "
    "id); else, when a capture could not be read at all, its code as for decode: 3 missing or "
    "unreadable, 4 not a capture, 5 cut off, 6 corrupt."
)


@click.command(epilog=EXIT_CODES_HELP)
@click.argument("files", nargs=-1, type=click.Path())
@click.option("--fail-on", type=click.Choice(list(SEVERITIES)), default="error", show_default=True,
              help="Exit 1 when any finding of this severity or worse is present.")
@click.option("--format", "fmt", type=click.Choice(["text", "jsonl", "junit"]), default="text",
              show_default=True, help="Readable lines, one JSON object per finding, or JUnit XML "
              "(one test case per session and rule).")
@click.option("--rules", "list_rules", is_flag=True, help="List every rule (id, severity, side, source) and exit.")
@click.option("--disable", multiple=True, metavar="RULE", help="Leave out a rule (or a family: 'timing'); repeatable.")
@click.option("--only", multiple=True, metavar="RULE", help="Run only these rules (or families); repeatable.")
@click.option("--jobs", "-j", type=click.IntRange(1, 256), default=1, show_default=True,
              help="Captures decoded in parallel (with --dask local: the number of workers).")
@pnc_options
@keylog_option
@fleet_options
def check(files: tuple[str, ...], fail_on: str, fmt: str, list_rules: bool, disable: tuple[str, ...],
          only: tuple[str, ...], jobs: int, trust: tuple[str, ...], oem_key: str | None, keylogs: tuple[str, ...],
          dask: str | None, cache: str | None, progress: bool | None) -> None:
    """Run the findings over capture FILES (directories are searched) and fail on what CI should not accept."""
    try:
        rules = select(only, disable)
    except KeyError as err:
        raise click.BadParameter(f"unknown rule {err.args[0]} (see 'v2gsniff check --rules')",
                                 param_hint="--only/--disable") from None
    if list_rules:
        click.echo(rules_table(rules))
        return
    if not files:
        raise click.UsageError("no capture given (or --rules to list the rules)")
    results, problems, _inventory = run(files, None, None, jobs,
                                        sys.stderr.isatty() if progress is None else progress,
                                        setup=AnalysisSetup(trust, oem_key, keylogs), fleet=FleetOptions(dask, cache),
                                        series=False)
    kept = {r.path: [f for f in r.findings if f.rule in rules] for r in results}
    out = sys.stdout
    if fmt == "jsonl":
        for r in results:
            for f in kept[r.path]:
                out.write(json.dumps({"capture": r.capture, **f.to_json()}, ensure_ascii=False) + "\n")
    elif fmt == "junit":
        from v2gsniff.sniffer.findings.junit import junit_xml

        out.write(junit_xml(results, kept, rules, fail_on))
    else:
        for r in results:
            for f in kept[r.path]:
                where = f"{r.capture}#{f.session}" if f.session is not None else r.capture
                out.write(f"{where} frame {f.frame}: {f.severity} {f.rule} [{f.side}] {f.text}\n")
        counts = _counts(f for r in results for f in kept[r.path])
        out.write(f"{len(results)} captures, {sum(len(r.sessions) for r in results)} sessions: "
                  + ", ".join(f"{counts[s]} {s}s" for s in SEVERITIES) + "\n")
    worst = SEVERITIES.index(fail_on)
    failing = any(SEVERITIES.index(f.severity) <= worst for r in results for f in kept[r.path])
    unread = [exit_code_for(r.failure) for r in results if r.error and not r.frames]
    unread += [EXIT_NOT_FOUND] * len(problems)
    sys.exit(EXIT_FAILED if failing else max(unread, default=EXIT_OK))


def rules_table(rules: RuleSet) -> str:
    """Every selected rule by family: id, severity, side, title, source."""
    lines = []
    for family, declared in FAMILIES:
        shown = [r for r in declared if r.id in rules]
        if not shown:
            continue
        lines.append(f"{family}:")
        for r in shown:
            lines.append(f"  {r.id:36} {r.severity:8} {r.side:8} {r.title}")
            lines.append(f"  {'':36} {'':8} {'':8} source: {r.requirement}")
    return "\n".join(lines)


def _counts(findings: Iterable[Finding]) -> dict[str, int]:
    counts = dict.fromkeys(SEVERITIES, 0)
    for f in findings:
        counts[f.severity] += 1
    return counts


