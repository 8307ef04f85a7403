"""A finding as a record (kind ``finding``), so record writers, filters and lists show it in frame order."""

from __future__ import annotations

from v2gsniff.sniffer.model import Record

from .model import Finding


def finding_record(f: Finding, time: float | None = None) -> Record:
    """JSON keys beside ``frame``/``time``/``kind``: ``rule``, ``severity``, ``side``, ``requirement``,
    ``session``, ``message``, ``path``, ``text``, ``evidence`` (``name`` is the rule, ``summary`` the text).

    ``time``: the time to show when the finding has none of its own (a whole-session rule)."""
    extra = {"rule": f.rule, "severity": f.severity, "side": f.side, "requirement": f.requirement,
             "session": f.session, "message": f.message, "path": f.path, "text": f.text,
             "evidence": list(f.evidence)}
    when = f.time if f.time or time is None else time
    return Record(f.frame, when, "finding", f.rule, extra=extra,
                  summary=f"{f.severity.upper()} [{f.side}] {f.text} ({f.requirement})")
