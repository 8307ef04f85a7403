"""The analysis as four tables for analysts (DuckDB, pandas, Spark): ``v2gsniff export --format parquet``.

``sessions.parquet``   one row per session: capture, vehicle identity (and the report's vehicle
                       key), charger, protocol, SAP offers, BPT outcome, TLS, furthest phase,
                       phase durations, first failure, finding counts
``findings.parquet``   one row per finding (the shared ``Finding`` model, whatever rule made it)
``messages.parquet``   one row per V2G message: capture, session, frame, time, direction, schema,
                       name, response code and the physical values the plots use
``sap_offers.parquet`` one row per offered AppProtocol of every SupportedAppProtocol exchange

Each capture's rows are made as its result arrives and written in capture-name, session-id and
frame order (``parquet.ParquetExport``), so the files do not depend on ``--jobs`` or ``--dask``.
Times are UTC timestamps (microseconds), durations and values float64 (seconds, volts, amperes,
watts, percent); ``capture`` + ``session`` join the tables. pyarrow is optional (the ``parquet``
and ``fleet`` extras).
"""

from __future__ import annotations

import typing
from collections.abc import Sequence
from typing import Any

from v2gsniff.sniffer.findings import SEVERITIES, Finding
from v2gsniff.sniffer.sessions import SERIES_FIELDS, Session, short_name

from .build import is_stray
from .collect import CaptureResult
from .messages import COLUMNS as MESSAGE_COLUMNS

PARQUET_HINT = "pip install 'v2gsniff[parquet]'  (pyarrow)"

def session_findings(s: Session) -> tuple[Finding, ...]:
    """Every finding of a session in the shared model (``Session.findings``: the TLS posture's,
    the PnC checks', the protocol rules'): the one place the export reads them."""
    return s.findings


def require_pyarrow() -> Any:
    try:
        import pyarrow
    except ImportError as err:
        from .fleet import FleetUnavailable

        raise FleetUnavailable(f"--format parquet needs pyarrow: {PARQUET_HINT}") from err
    return pyarrow


def _us(t: float | None) -> int | None:
    """Epoch seconds -> integer microseconds (``None`` for unknown, which models keep as 0)."""
    return None if t is None or t <= 0 else round(t * 1_000_000)


GLOBAL_COLUMNS = ("vehicle_key", "charger")
"""Session columns that depend on every capture (the vehicle a session belongs to; a charger named
by the EVSEID another session saw with its MAC): left empty per capture, filled at the end."""


def table_sessions(sessions: Sequence[Session]) -> list[Session]:
    """The sessions of a capture the tables list, by id: strays left out (the report lists those as
    notes of their capture), as ``build`` does."""
    return sorted((s for s in sessions if not is_stray(s)), key=lambda s: s.id)


def capture_rows(result: CaptureResult, sessions: Sequence[Session]) -> dict[str, dict[str, list[Any]]]:
    """The rows of one capture in each table (``sessions`` from ``table_sessions``)."""
    return {"sessions": session_rows(sessions), "findings": finding_rows(sessions),
            "messages": message_rows(result), "sap_offers": offer_rows(sessions)}


def session_rows(sessions: Sequence[Session]) -> dict[str, list[Any]]:
    cols: dict[str, list[Any]] = {}

    def add(**values: Any) -> None:
        for k, v in values.items():
            cols.setdefault(k, []).append(v)

    for s in sessions:
        v, c, tls, first = s.vehicle, s.charger, s.tls, s.first_failure
        found = session_findings(s)
        add(capture=s.capture, session=s.id, vehicle_key=None, vehicle=v.name, evccid=v.evccid, pev_mac=v.pev_mac,
            pev_modem_vendor=v.modem_vendor, label=v.label, brand=v.brand, model=v.model, trim=v.trim,
            software=v.software, charger=None, evseid=c.evseid, evse_mac=c.evse_mac,
            evse_modem_vendor=c.modem_vendor, protocol=s.protocol, negotiated_namespace=s.negotiated_namespace,
            protocol_name=short_name(s.negotiated_namespace) if s.negotiated_namespace else None,
            sap_offers=[o.name for o in s.sap_offers], sap_response_code=s.sap_response_code,
            energy_transfer=s.energy_transfer, authorization=s.authorization, bpt_outcome=s.bpt_outcome,
            non_standard_discharge=s.non_standard_discharge, tls_ev_asked=tls.ev_asked_tls,
            tls_secc_answer=tls.secc_answer, tls_version=tls.version, tls_cipher=tls.cipher,
            tls_decryptable=tls.decryptable, start=_us(s.start), end=_us(s.end), duration_s=s.duration,
            first_frame=s.first_frame, last_frame=s.last_frame, furthest_phase=s.furthest_phase,
            last_phase=s.last_phase, cablecheck_s=s.phase_time("CableCheck"),
            precharge_s=s.phase_time("PreCharge"), charge_loop_s=s.phase_time("ChargeLoop"),
            ended_by=s.ended_by.kind if s.ended_by else None,
            first_failure_phase=first.phase if first else None,
            first_failure_message=first.message if first else None,
            first_failure_code=first.code if first else None, failures=len(s.failures), findings=len(found),
            **{f"findings_{sev}": sum(1 for f in found if f.severity == sev) for sev in SEVERITIES})
    return cols


def finding_rows(sessions: Sequence[Session]) -> dict[str, list[Any]]:
    cols: dict[str, list[Any]] = {k: [] for k in ("capture", *Finding._fields)}
    for s in sessions:
        for f in session_findings(s):
            cols["capture"].append(s.capture)
            for name in Finding._fields:
                value = getattr(f, name)
                cols[name].append(_us(value) if name == "time" else list(value) if isinstance(value, tuple)
                                  else value)
    return cols


def offer_rows(sessions: Sequence[Session]) -> dict[str, list[Any]]:
    keys = ("capture", "session", "handshake", "stream", "req_frame", "priority", "namespace", "protocol_name",
            "version_major", "version_minor", "schema_id", "selected", "response_code", "tls_version")
    cols: dict[str, list[Any]] = {k: [] for k in keys}
    for s in sessions:
        for n, hs in enumerate(s.handshakes, 1):
            for o in hs.offers:
                row = (s.capture, s.id, n, hs.stream, hs.req_frame, o.priority, o.namespace, o.name,
                       o.version_major, o.version_minor, o.schema_id, o.namespace == hs.negotiated_namespace,
                       hs.response_code, hs.tls_version)
                for k, value in zip(keys, row, strict=True):
                    cols[k].append(value)
    return cols


def message_rows(result: CaptureResult) -> dict[str, list[Any]]:
    """The worker's message columns of a capture (``FleetResult.messages``)."""
    cols: dict[str, list[Any]] = {k: [] for k in ("capture", "session", *MESSAGE_COLUMNS, *SERIES_FIELDS)}
    part = getattr(result, "messages", None)
    if part:
        cols["capture"] = [result.capture] * len(part["frame"])
        for k in cols:
            if k != "capture":
                cols[k] = [_us(t) for t in part[k]] if k == "time" else list(part[k])
    return cols


def _finding_columns(pa: Any) -> list[tuple[str, Any]]:
    """A column per ``Finding`` field, typed from its annotation, so fields the model gains are
    exported too: ``time`` is a timestamp, ints are int64, ``tuple[int, ...]`` a list of int64."""
    hints = typing.get_type_hints(Finding)
    out = []
    for name in Finding._fields:
        text = str(hints[name])
        if name == "time":
            kind = pa.timestamp("us", tz="UTC")
        elif "tuple" in text:
            kind = pa.list_(pa.int64() if "int" in text else pa.string())
        elif "float" in text:
            kind = pa.float64()
        elif "int" in text:
            kind = pa.int64()
        elif "bool" in text:
            kind = pa.bool_()
        else:
            kind = pa.string()
        out.append((name, kind))
    return out


def schemas() -> dict[str, Any]:
    """The ``pyarrow.Schema`` of each table: every column, in order, with its type."""
    pa = require_pyarrow()
    ts = pa.timestamp("us", tz="UTC")
    i32, i64, f64, b, s = pa.int32(), pa.int64(), pa.float64(), pa.bool_(), pa.string()
    key = [("capture", s), ("session", i64)]  # int64 like Finding.session, so joins need no casts
    sessions = [
        *key, ("vehicle_key", s), ("vehicle", s), ("evccid", s), ("pev_mac", s), ("pev_modem_vendor", s),
        ("label", s), ("brand", s), ("model", s), ("trim", s), ("software", s), ("charger", s), ("evseid", s),
        ("evse_mac", s), ("evse_modem_vendor", s), ("protocol", s), ("negotiated_namespace", s),
        ("protocol_name", s), ("sap_offers", pa.list_(s)), ("sap_response_code", s), ("energy_transfer", s),
        ("authorization", s), ("bpt_outcome", s), ("non_standard_discharge", b), ("tls_ev_asked", b),
        ("tls_secc_answer", s), ("tls_version", s), ("tls_cipher", s), ("tls_decryptable", b), ("start", ts),
        ("end", ts), ("duration_s", f64), ("first_frame", i64), ("last_frame", i64), ("furthest_phase", s),
        ("last_phase", s), ("cablecheck_s", f64), ("precharge_s", f64), ("charge_loop_s", f64), ("ended_by", s),
        ("first_failure_phase", s), ("first_failure_message", s), ("first_failure_code", s), ("failures", i32),
        ("findings", i32), *((f"findings_{sev}", i32) for sev in SEVERITIES)]
    findings = [("capture", s), *_finding_columns(pa)]
    messages = [*key, ("frame", i64), ("time", ts), ("stream", i32), ("direction", s), ("schema", s), ("name", s),
                ("response_code", s), ("error", s), *((name, f64) for name in SERIES_FIELDS)]
    offers = [*key, ("handshake", i32), ("stream", i32), ("req_frame", i64), ("priority", i32), ("namespace", s),
              ("protocol_name", s), ("version_major", i32), ("version_minor", i32), ("schema_id", i32),
              ("selected", b), ("response_code", s), ("tls_version", s)]
    return {name: pa.schema(cols) for name, cols in
            (("sessions", sessions), ("findings", findings), ("messages", messages), ("sap_offers", offers))}
