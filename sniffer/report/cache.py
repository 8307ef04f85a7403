"""``--cache DIR|URL``: each capture's analysis, kept under its content hash and the analysis version.

An entry is one JSON file (``FORMAT``) holding what ``analyse_file`` returned: counts, the read
error and the sessions in ``codec``'s exact form (plus the export's message rows once an export
asked for them). Its name is ``<version>/<hh>/<sha256>[-<label hash>].json``:

- the **content hash** (SHA-256 of the capture's bytes) makes a renamed or copied capture a hit
  and a rewritten one a miss, whatever its modification time says;
- the **analysis version** (``analysis_version()``) is a digest of the decoding and session code
  itself, so upgrading (or editing) the tool invalidates every entry by itself, with no number for
  anyone to remember to bump. Renderers and commands are left out: they do not change an analysis.

A warm run need not read the captures to find their entries: ``index/<hh>/<sha256 of the
location>.json`` remembers the content hash of a path or URL together with its ``file_stamp``
(size, modification and change times, inode; for an URL its size and ETag or modification time).
While the stamp is the same the hash is taken from there; when it changed, is unknown, or the
file was modified in the last ``SETTLED`` seconds (a coarse clock could hide a second write in the
same tick), the capture is read and hashed as before. The index does not depend on the analysis
version: a new version finds its entries without reading the captures either.

A local directory is written atomically (temporary file, then rename), so concurrent workers and
an interrupted run never leave half an entry; an URL goes through fsspec (the ``fleet`` extra).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import tempfile
import time
from functools import cache
from pathlib import Path
from typing import Any

import orjson

from v2gsniff.sniffer.capture import errors
from v2gsniff.sniffer.capture.remote import filesystem, is_url, read_chunks
from v2gsniff.sniffer.findings.model import Finding
from v2gsniff.sniffer.sessions import Session
from v2gsniff.sniffer.setup import AnalysisSetup

from .codec import decode, encode
from .collect import CaptureResult

FORMAT = "v2gsniff-capture/2"
INDEX_FORMAT = "v2gsniff-index/1"
SETTLED = 2.0
"""Seconds since its last modification after which a local file's stamp is trusted to name its
bytes (FAT and some network file systems keep times to the second or two)."""
URL_STAMP = ("ETag", "etag", "md5Hash", "generation", "version_id", "VersionId", "LastModified",
             "last_modified", "updated", "mtime", "created")
"""Fields of an fsspec ``info`` that change when an object is rewritten (S3, GCS, Azure, memory ...)."""

_PACKAGE = Path(__file__).resolve().parents[1]
"""``sniffer`` (in the repository and in an installed wheel alike, beside ``dissectors``)."""
_NOT_ANALYSIS = ("commands", "output", "report", "simulate", "analysis")
"""Subfolders of ``sniffer`` whose code does not change a capture's analysis ..."""
_ANALYSIS_REPORT = ("collect.py", "fleet.py", "messages.py")
"""... except these: the unit of work, its error handling and the export's message rows."""


@cache
def analysis_version() -> str:
    """Digest of the source of every module that decodes captures or builds sessions."""
    digest = hashlib.sha256(FORMAT.encode())
    for root in (_PACKAGE.parent / "dissectors", _PACKAGE):
        for path in sorted(root.rglob("*.py")):
            rel = path.relative_to(root)
            if root == _PACKAGE and rel.parts[0] in _NOT_ANALYSIS and rel.parts[-1] not in _ANALYSIS_REPORT:
                continue
            digest.update(f"{root.name}/{rel.as_posix()}\0".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def content_hash(location: str | os.PathLike[str]) -> str:
    h = hashlib.sha256()
    for chunk in read_chunks(location):
        h.update(chunk)
    return h.hexdigest()


def file_stamp(location: str | os.PathLike[str]) -> tuple[list[str], bool] | None:
    """What says a capture's bytes are unchanged without reading them, and whether it may be trusted
    yet (a local file modified less than ``SETTLED`` seconds ago may not be); ``None`` when the
    location offers nothing but its size. Raises ``OSError``/``CaptureNotFound`` when it is gone."""
    where = str(os.fspath(location))
    if is_url(where):
        fs, path = filesystem(where)
        if "file" not in ((fs.protocol,) if isinstance(fs.protocol, str) else tuple(fs.protocol)):
            fs.invalidate_cache(path)  # a listing cached by this process may predate a rewrite
            info = fs.info(path)
            marks = [f"{k}={info[k]}" for k in URL_STAMP if info.get(k) not in (None, "")]
            return ([f"size={info.get('size')}", *marks], True) if marks else None
        where = path  # file://: the local file's own stamp
    st = os.stat(where)
    stamp = [str(v) for v in (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev)]
    # Once the modification time is older than a clock tick, any write gives a new one; the change
    # time and inode catch a rewrite that puts the old modification time back (cp -p, rsync -t).
    return stamp, time.time() - st.st_mtime_ns / 1e9 > SETTLED


class AnalysisCache:
    """Entries under ``root`` (a directory or an fsspec URL)."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = str(os.fspath(root)).rstrip("/")
        self.version = analysis_version()
        self._fs: Any = None
        if is_url(self.root):
            self._fs, self._base = filesystem(self.root)
        else:
            self._base = self.root

    def key(self, location: str | os.PathLike[str], label: str | None, setup: AnalysisSetup | None = None) -> str:
        """The entry name of a capture (raises ``OSError``)."""
        return self.entry_key(self.content_digest(location)[0], label, setup)

    def entry_key(self, digest: str, label: str | None, setup: AnalysisSetup | None = None) -> str:
        """The entry name of the capture whose bytes hash to ``digest``. A ``--label`` and the
        ``--trust``/``--oem-key``/``--keylog`` files (their contents) change the analysis: they are in it."""
        options = setup_digest(setup)
        if label is not None:
            options.update(b"label\0" + label.encode())
        suffix = "" if label is None and not (setup and (setup.trust or setup.oem_key or setup.keylogs)) else "-" + options.hexdigest()[:12]
        return f"{self.version}/{digest[:2]}/{digest}{suffix}.json"

    def content_digest(self, location: str | os.PathLike[str]) -> tuple[str, bool]:
        """SHA-256 of the capture's bytes, and whether they were read for it: not while the index
        holds the location with the same stamp; a hash read is remembered there when the stamp
        is the same after reading as before (raises ``OSError``)."""
        where = str(os.fspath(location))
        where = where if is_url(where) else os.path.abspath(where)
        name = hashlib.sha256(where.encode()).hexdigest()
        index = f"index/{name[:2]}/{name}.json"
        stamp = file_stamp(location)
        if stamp is not None and stamp[1]:
            known = self._read(index)
            if known and known.get("format") == INDEX_FORMAT and known.get("location") == where \
                    and known.get("stamp") == stamp[0] and isinstance(known.get("sha256"), str):
                return str(known["sha256"]), False
        digest = content_hash(location)
        if stamp is not None and stamp[1] and file_stamp(location) == stamp:  # not rewritten while read
            self._write(index, {"format": INDEX_FORMAT, "location": where, "stamp": stamp[0], "sha256": digest})
        return digest, True

    def get(self, key: str) -> dict[str, Any] | None:
        """The entry, or ``None`` when it is absent or unreadable (then it is simply rebuilt)."""
        entry = self._read(key)
        if entry is None or entry.get("format") != FORMAT or entry.get("analysis") != self.version:
            return None
        return entry

    def put(self, key: str, entry: dict[str, Any]) -> None:
        self._write(key, {"format": FORMAT, "analysis": self.version, **entry})

    def _read(self, name: str) -> dict[str, Any] | None:
        path = f"{self._base}/{name}"
        try:
            data = self._fs.cat_file(path) if self._fs is not None else Path(path).read_bytes()
        except OSError:
            return None
        try:
            entry = orjson.loads(data)  # a warm run reads every entry: orjson's parser is the quick one
        except ValueError:
            try:  # what only the json module reads (a NaN value) or nothing reads
                entry = json.loads(data)
            except ValueError:
                return None
        return entry if isinstance(entry, dict) else None

    def _write(self, name: str, content: dict[str, Any]) -> None:
        data = json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode()
        path = f"{self._base}/{name}"
        if self._fs is not None:
            self._fs.makedirs(path.rsplit("/", 1)[0], exist_ok=True)
            self._fs.pipe_file(path, data)
            return
        folder = os.path.dirname(path)
        os.makedirs(folder, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise


def setup_digest(setup: AnalysisSetup | None) -> Any:
    """SHA-256 over the contents of the trust roots (files, or every file of a folder), OEM key and key logs."""
    h = hashlib.sha256()
    if setup is None:
        return h
    for kind, paths in (("trust", setup.trust), ("oem", (setup.oem_key,) if setup.oem_key else ()),
                        ("keylog", setup.keylogs)):
        for given in paths:
            root = Path(given)
            for f in sorted(root.rglob("*")) if root.is_dir() else [root]:
                if f.is_file():
                    h.update(f"{kind}\0{f.relative_to(root) if root.is_dir() else ''}\0".encode())
                    h.update(f.read_bytes())
    return h


def to_entry(result: CaptureResult, messages: dict[str, list[Any]] | None) -> dict[str, Any]:
    failure = result.failure
    entry = {"path": result.path, "capture": result.capture, "frames": result.frames,
             "v2g_messages": result.v2g_messages, "error": result.error,
             "failure": [type(failure).__name__, str(failure)] if failure is not None else None,
             "sessions": [encode(s) for s in result.sessions],
             "findings": [encode(f) for f in result.findings]}
    if messages is not None:
        entry["messages"] = messages
    return entry


def from_entry(entry: dict[str, Any], location: str, name: str, series: bool = True) -> CaptureResult:
    """The cached result as if ``location`` (named ``name``) had just been decoded.

    The same bytes may have been cached under another name: sessions take this capture's name,
    and a read error that quoted the old location quotes this one. ``series=False`` leaves the
    time series (most of an entry) in the JSON instead of building them.
    """
    sessions = tuple(decode(Session, s if series else {**s, "series": []}) for s in entry["sessions"])
    if entry["capture"] != name:
        sessions = tuple(dataclasses.replace(s, capture=name) for s in sessions)
    error = entry["error"]
    failure = None
    if entry["failure"] is not None:
        kind, text = entry["failure"]
        cls = getattr(errors, kind, None)
        cls = cls if isinstance(cls, type) and issubclass(cls, errors.CaptureError) else errors.CaptureError
        if entry["path"] != location:
            text = text.replace(entry["path"], location)
        failure = cls(text)  # its class gives the command's exit code
    if error and entry["path"] != location:
        error = error.replace(entry["path"], location)
    findings = tuple(decode(Finding, f) for f in entry["findings"])
    return CaptureResult(location, name, sessions, entry["frames"], entry["v2g_messages"], error, failure, findings)
