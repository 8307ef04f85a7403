"""The report as JSON: a stable, documented format for other tools.

Top level (``format`` is ``"v2gsniff-report/1"``; keys are only ever added, never renamed)::

    {
      "format": "v2gsniff-report/1",
      "inventory": "vehicles.toml" | null,
      "problems": ["..."],                      # input problems the report worked around
      "captures": [{"capture", "sessions", "message"}],
      "vehicles": [{"key", "name", "vehicle", "identity", "sessions": [session ids "capture#id"], "bpt_outcome",
                    "non_standard_discharge", "offers", "protocols", "energy_transfer", "tls",
                    "authorization", "findings" (-20 TLS requirement ids), "finding_counts" ({"error", "warning",
                    "info"}), "furthest_phase", "failures", "chargers",
                    "cablecheck_seconds", "cablecheck_aborted_seconds", "precharge_seconds",
                    "precharge_aborted_seconds"}],
      "sessions": [session, ...]
    }

``identity`` says what is known and from where: ``brand``/``model``/``trim``/``software`` each
``{"value", "source"}`` or null (source: inventory, path, VIN WMI, modem OUI), ``ids`` (EVCCIDs and
MACs), ``randomised`` (sessions grouped by fingerprint because the address changes per session)
and ``fingerprint``. ``*_seconds`` count completed phases only; ``*_aborted_seconds`` the others.

Each ``session`` is ``Session.to_json()``: ``id`` (1-based within its capture), ``capture`` (file
name), ``first_frame``, ``last_frame``, ``start``/``end`` (epoch s), ``duration``, ``vehicle``
(``evccid``, ``pev_mac``, ``modem_vendor``, ``label``, ``brand``, ``model``, ``trim``, ``software``),
``charger`` (``evseid``, ``evse_mac``, ``modem_vendor``), ``protocol`` (schema name),
``negotiated_namespace``, ``sap_offers`` (priority order; each ``namespace``, ``version_major``,
``version_minor``, ``schema_id``, ``priority``), ``sap_response_code``, ``handshakes`` (every
SupportedAppProtocol exchange: ``stream``, ``req_frame``, ``offers``, ``res_frame``,
``response_code``, ``schema_id``, ``negotiated_namespace``, ``tls_version``), ``session_id``,
``energy_transfer``, ``authorization``, ``slac``, ``streams``, ``phases`` (``name``, ``start``,
``end``, ``duration``, ``first_frame``, ``last_frame``, ``ok``, ``messages``), ``last_phase``,
``furthest_phase``, ``failures`` (``phase``, ``message``, ``code``, ``frame``, ``time``; the first is
the first failure), ``ended_by`` (``kind``: SessionStop, TCP FIN, TCP RST, silence or capture end;
``detail``, ``frame``, ``time``), ``bpt_outcome``, ``non_standard_discharge``, ``bpt`` (offered and
selected services, parameters, control mode, channel, discharge limits, lowest present current and
power, evidence), ``tls`` (``ev_requests``, ``ev_asked_tls``, ``secc_answer``, ``version``,
``cipher``, ``decryptable``, ``alerts``, ``findings``), ``evidence`` (``statement``, ``message``,
``frame``), ``notes``, ``pnc`` (``null``, or the Plug & Charge checks: ``contract_id``, ``verdict``,
``chains``, ``signatures``, ``emaids``, ``contract_keys``, ``findings``), ``findings`` (``rule``,
``severity``, ``side``, ``requirement``, ``frame``, ``time``, ``session``, ``message``, ``path``,
``text``, ``evidence``) and, unless left out, ``series`` (``time``, ``frame``, ``message`` and the
values named in ``SERIES_FIELDS``: volts, amperes, watts, percent).
"""

from __future__ import annotations

import json
from typing import Any

from .build import Report, VehicleReport

FORMAT = "v2gsniff-report/1"


def report_json(report: Report, series: bool = True) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "inventory": report.inventory,
        "problems": list(report.problems),
        "captures": [{"capture": c.capture, "sessions": c.sessions, "message": c.message} for c in report.captures],
        "vehicles": [
            {
                "key": v.key,
                "name": v.name,
                "vehicle": v.vehicle.to_json(),
                "identity": _identity(v),
                "sessions": [f"{s.capture}#{s.id}" for s in v.sessions],
                "bpt_outcome": v.bpt_outcome,
                "non_standard_discharge": v.non_standard_discharge,
                "offers": v.offers,
                "protocols": v.protocols,
                "energy_transfer": v.energy,
                "tls": v.tls,
                "authorization": v.authorization,
                "findings": v.findings,
                "finding_counts": v.severity_counts,
                "furthest_phase": v.furthest_phase,
                "failures": v.failures,
                "chargers": v.chargers,
                "cablecheck_seconds": v.phase_seconds("CableCheck"),
                "cablecheck_aborted_seconds": v.phase_aborted_seconds("CableCheck"),
                "precharge_seconds": v.phase_seconds("PreCharge"),
                "precharge_aborted_seconds": v.phase_aborted_seconds("PreCharge"),
            }
            for v in report.vehicles
        ],
        "sessions": [s.to_json(series) for s in report.sessions],
    }


def _identity(v: VehicleReport) -> dict[str, Any]:
    ident = v.identity
    facts = {f: ({"value": k.value, "source": k.source} if (k := getattr(ident, f, None)) else None)
             for f in ("brand", "model", "trim", "software")}
    return {**facts, "ids": list(ident.ids) if ident else [], "randomised": bool(ident and ident.randomised),
            "fingerprint": ident.fingerprint if ident else None}


def render_json(report: Report, series: bool = True) -> str:
    return json.dumps(report_json(report, series), indent=1, ensure_ascii=False) + "\n"
