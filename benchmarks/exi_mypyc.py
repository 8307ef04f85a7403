"""Is an optional mypyc build of the generated EXI code worth offering?  Build it, time it beside pure Python.

    python benchmarks/exi_mypyc.py [--variants gen,gen+rt,enc] [--schemas din,iso2] [--keep DIR]
        [--seconds 0.3] [--rounds 5] [--import-runs 9] [--opt-level 3] [--build-memory 8]
        [--max-function-lines 2500] [--build-timeout 3600] [--build-only]

For each variant the package ``dissectors/`` is copied to a temporary tree (``v2gsniff/dissectors``)
and the variant's modules are compiled there with mypyc (``nice -n 19``, one compiler job at a
time, under ``/usr/bin/time -v`` for wall time, CPU time and peak RSS, each process capped at
``--build-memory`` GiB of address space so that a runaway build fails instead of waking the OOM killer):

* ``gen``: the generated decoders ``compiled/_<schema>.py``;
* ``gen+rt``: the same plus ``runtime.py`` (one source edit in the copy, reported: mypyc turns the
  class-level alias ``note = span`` of ``Ctx``/``TraceCtx`` into an attribute it never sets, "warning:
  Unsupported default attribute value", and the first decode segfaults; the copy gets a ``def note``);
* ``enc``: the generated encoders ``encoders/_enc_<schema>.py`` plus ``encoder.py``.

Generated functions longer than ``--max-function-lines`` stay interpreted in the copy (``exec`` of
their source into the compiled module): ISO-2's ``t154`` (5,827 lines, the anonymous type of eMAID,
which admits every global element) alone drove the mypyc process past the machine's 24 GB and the
OOM killer in two minutes.

Each variant, and the installed pure-Python package, then runs in its own worker process (the
compiled ones with the copy first on ``PYTHONPATH``).  The workers first check that every vector of
../shared/exi-vectors decodes to exactly the same model (compact node tree, JSON, XML, facet
violations), encodes to the same bytes, and that truncations of every vector fail with the same
``ExiError`` (the compiled code relies on a negative shift raising ``ValueError``).  Then the
workloads of ``exi_bench.py`` (its vectors and helpers, imported) are timed interleaved round by
round, median of the rounds, messages/s on one core; then import of ``v2gsniff.dissectors.exi`` +
a first DIN decode in fresh interpreters.  ``--keep DIR`` keeps the builds and reuses them while
the sources, mypyc and the options are unchanged.  Without mypyc, a C compiler or Python.h it says
so and exits 0; pytest never collects it and CI does not run it.

Verdict (2026-12-05, CPython 3.11.7, mypy/mypyc 2.4.1, gcc 12 -O3, 2 cores shared with others;
DIN + ISO-2 compiled, two runs of the defaults, each ratio within 0.05 between them):

* Correct: 0 of 1,635 vectors differ in any variant (models, JSON, XML, violations, encodings,
  errors of truncations), once the ``note = span`` alias is replaced and ``t154`` left interpreted.
* Decode: generated modules only 1.13-1.38x (DIN CurrentDemandReq 87k -> 113k msgs/s, ISO-2
  CurrentDemandReq 65k -> 89k); with runtime.py compiled too 1.47-1.61x (DIN CDReq 133k, ISO-2
  CDReq 101k; corpus of DIN+ISO-2 vectors 1.5-1.6x).  decode+to_json (the pipeline's work) gains
  1.1-1.3x / 1.33-1.40x: model.py and the JSON/XML output stay interpreted.
* Encode: compiled encoders + encoder.py 1.03-1.09x: not worth anything.
* Start-up: import + first DIN decode unchanged (10-15 ms either way; the .so maps as fast as the .pyc loads).
* Build cost, for two of the nine schema sets: 9-13 min wall under nice (7-10 min CPU) and 2.2-2.3
  GiB peak per decoder variant, 13 GiB for the encoders (mypyc itself, on the 2,389-line ``t154``
  of ``_enc_iso2``: ``enc`` needs ``--build-memory 16``, and says so under the default 8); 24-39 MiB of C.  All nine sets would be about 3.5x that (7.6 MB of generated
  decoder source against 2.2 MB), and ISO-20 WPT has two more functions of 5,400 and 10,300 lines
  that mypyc cannot take as they are.
* Size: DIN+ISO-2 decoders + runtime are 15.8 MiB of .so as built, 8.7 MiB stripped, 3.2 MiB
  deflated in a wheel, against 0.9 MiB deflated for the whole pure-Python codec (17 MiB of .py,
  which compresses 20:1) and 1.3 MiB for all of v2gsniff; all nine sets would add roughly 11 MiB per
  wheel, and there would have to be one wheel per CPython version and platform (cibuildwheel in CI)
  instead of one py3-none-any.
* What the generator would have to change for mypyc to help more: split functions above ~2,000
  lines (mypyc's per-function analyses blow up); make the module constants ``Final`` (every
  ``U*``/``Q*``/``E*`` is now a module-dict look-up in C); type the children list (``ch`` comes from
  ``e[3]`` of ``list[Any]``, so every ``ch.append`` is a generic method call); and replace the
  stream-as-one-big-int bit reader, whose every read is a PyLong shift of the whole message that
  mypyc cannot make native (an ``i64`` byte-window reader would, but would slow the pure-Python
  path the targets are for).  runtime.py must avoid class-level method aliases.
* Conclusion: not worth offering now.  1.5x on decode alone (about 1.35x on decode + JSON, ~1x on
  encode and start-up) is bought with a C build that takes tens of minutes and many GiB per
  platform, wheels 3-10x bigger, two workarounds in the build, and generator changes; the
  pure-Python targets (60k / 80k msgs/s for ISO-2 / DIN CurrentDemandReq) are met without it.
  Worth revisiting only if a deployment is CPU-bound on decode and the generator has been made
  mypyc-friendly (split functions, Final constants, typed locals).
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import importlib.util
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
import zlib
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
VARIANTS: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    # name: (what, per-schema files under dissectors/exi ({m}: the schema's module suffix), other files)
    "gen": ("generated decoders", ("compiled/{m}.py",), ()),
    "gen+rt": ("generated decoders + runtime.py", ("compiled/{m}.py",), ("runtime.py",)),
    "enc": ("generated encoders + encoder.py", ("encoders/_enc{m}.py",), ("encoder.py",)),
}
# The one edit the copy needs for mypyc (see the module docstring); the product is not changed.
ALIAS = re.compile(r"^(    )note = span\b.*$", re.M)
NOTE = ("    def note(self, node: Node, start: int, end: int, value: bool = False) -> None:\n"
        "        self.span(node, start, end, value)")
TIME_FIELDS = {"Elapsed (wall clock) time (h:mm:ss or m:ss)": "wall", "User time (seconds)": "user",
               "System time (seconds)": "sys", "Maximum resident set size (kbytes)": "rss_kb"}
IMPORT_PROGRAM = r"""
import sys, time
t0 = time.perf_counter()
from v2gsniff.dissectors import exi
exi.decode(bytes.fromhex(sys.argv[1]), sys.argv[2])
print(time.perf_counter() - t0)
"""


# -- build ---------------------------------------------------------------------------------------
def missing_tools() -> str | None:
    """Why no mypyc build can be made here, or None."""
    if importlib.util.find_spec("mypyc") is None:
        return "mypyc is not installed (it comes with mypy: pip install -e '.[test]')"
    if not (shutil.which(os.environ.get("CC", "gcc")) or shutil.which("cc")):
        return "no C compiler (gcc or cc) on PATH"
    if not (Path(sysconfig.get_paths()["include"]) / "Python.h").exists():
        return f"no Python headers (Python.h) under {sysconfig.get_paths()['include']}"
    return None


def sources(variant: str, schemas: list[str]) -> list[str]:
    from v2gsniff.dissectors.exi.grammar import SCHEMA_MODULES

    _what, per_schema, other = VARIANTS[variant]
    return [f"v2gsniff/dissectors/exi/{t.format(m=SCHEMA_MODULES[s])}" for s in schemas for t in per_schema] + \
        [f"v2gsniff/dissectors/exi/{f}" for f in other]


def build_key(files: list[str], opt_level: str) -> str:
    import mypy.version

    h = hashlib.sha256(f"{mypy.version.__version__} {sys.version} O{opt_level} {files}".encode())
    for path in sorted((REPO / "dissectors").rglob("*.py")):
        h.update(path.read_bytes())
    return h.hexdigest()


def copy_tree(root: Path) -> None:
    shutil.rmtree(root, ignore_errors=True)
    shutil.copytree(REPO / "dissectors", root / "v2gsniff" / "dissectors",
                    ignore=shutil.ignore_patterns("__pycache__", "*.so"))
    # A regular package in the copy, so that mypy names the modules v2gsniff.dissectors.exi.… (the
    # installed v2gsniff is a namespace package mypy cannot place without a config).
    (root / "v2gsniff" / "__init__.py").write_text("")


def patch_runtime(root: Path) -> list[str]:
    """Replace the method alias mypyc mis-compiles (see the module docstring); the edits made."""
    path = root / "v2gsniff" / "dissectors" / "exi" / "runtime.py"
    text = path.read_text()
    edits = [m.group(0).strip() for m in ALIAS.finditer(text)]
    path.write_text(ALIAS.sub(NOTE, text))
    return edits


def interpret_large(path: Path, max_lines: int) -> list[str]:
    """Leave the module's functions longer than ``max_lines`` to the interpreter; their names and lengths.

    mypyc's per-function analyses grow much faster than the function: ISO-2's 5,800-line ``t154``
    (the anonymous type of eMAID, which admits every global element) took the mypyc process past
    24 GB in two minutes.  In the copy such a function becomes source text ``exec``-uted into the
    module's namespace at import; the compiled code calls it through the module dict."""
    text = path.read_text()
    lines = text.splitlines(keepends=True)
    big = [(f.name, f.lineno, f.end_lineno or f.lineno) for f in ast.parse(text).body
           if isinstance(f, ast.FunctionDef) and (f.end_lineno or f.lineno) - f.lineno + 1 > max_lines]
    kind = "TypeFn" if "TypeFn" in text else "Any"  # what the decoders / the encoders import
    for name, first, last in reversed(big):
        body = "".join(lines[first - 1:last])
        lines[first - 1:last] = [
            f"{name}: {kind}  # interpreted in this mypyc build ({last - first + 1} lines)\n",
            f"exec(compile({body!r}, __file__, 'exec', {annotations_flag()}), globals())\n"]
    path.write_text("".join(lines))
    return [f"{path.stem}.{name} ({last - first + 1} lines)" for name, first, last in big]


def annotations_flag() -> int:
    import __future__

    return __future__.annotations.compiler_flag


def limit_memory(gib: float) -> None:
    """Cap each build process's address space: a runaway mypyc gets MemoryError, not the OOM killer."""
    cap = int(gib * 2**30)
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))


def build(variant: str, schemas: list[str], root: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Copy, compile, and describe the build (reused when ``root`` holds one with the same key)."""
    files = sources(variant, schemas)
    opt_level, timeout = args.opt_level, args.build_timeout
    key = build_key(files, f"{opt_level} {args.max_function_lines}")
    record = root / "BUILD.json"
    if record.exists():
        info: dict[str, Any] = json.loads(record.read_text())
        if info.get("key") == key:
            info["reused"] = True
            return info
    copy_tree(root)
    info = {"key": key, "variant": variant, "files": files, "opt_level": opt_level, "edits": []}
    if any(f.endswith("/runtime.py") for f in files):
        info["edits"] = patch_runtime(root)
    info["interpreted"] = [name for f in files if "/_" in f
                           for name in interpret_large(root / f, args.max_function_lines)]
    (root / "setup.py").write_text(
        "from setuptools import setup\nfrom mypyc.build import mypycify\n"
        f"setup(name='exi-mypyc-bench', ext_modules=mypycify({files!r}, opt_level={opt_level!r}, multi_file={len(files) > 1}))\n")
    wrap = (["nice", "-n", "19"] if shutil.which("nice") else []) + \
        (["/usr/bin/time", "-v"] if Path("/usr/bin/time").exists() else [])
    print(f"[{variant}] mypyc {' '.join(f.split('/exi/')[1] for f in files)} (-O{opt_level}) ...", flush=True)
    t0 = time.perf_counter()
    proc = subprocess.Popen([*wrap, sys.executable, "setup.py", "build_ext", "--inplace"], cwd=root,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                            preexec_fn=lambda: limit_memory(args.build_memory))
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, 9)  # the build's own session: gcc included
        proc.communicate()
        info.update(ok=False, why=f"not finished after {timeout:.0f} s (impractical at this size)")
        return info
    (root / "build.log").write_text(out + err)
    info["seconds"] = time.perf_counter() - t0
    for line in err.splitlines():
        label, _, value = line.strip().rpartition(": ")
        if label in TIME_FIELDS:
            info[TIME_FIELDS[label]] = value
    info["warnings"] = sorted({ln.strip() for ln in out.splitlines() if ": warning: " in ln})
    if any(t in out + err for t in ("MemoryError", "out of memory", "memory allocation of", "signal 9")):
        info.update(ok=False, why=f"out of memory (limit {args.build_memory:g} GiB per process; build.log under --keep)")
        return info
    if proc.returncode != 0:
        errors = [ln for ln in (out + err).splitlines() if "error" in ln.lower()] or \
            [ln for ln in (out + err).splitlines() if not ln.startswith("\t")][-3:]
        info.update(ok=False, why=f"build failed (exit {proc.returncode}): " + " | ".join(errors[:8]))
        return info
    sos = [p for p in root.rglob("*.so") if "build" not in p.relative_to(root).parts[:1]]
    info["c_bytes"] = sum(p.stat().st_size for p in (root / "build").rglob("*.c"))
    info["so"] = {str(p.relative_to(root)): so_size(p) for p in sos}
    info["ok"] = True
    record.write_text(json.dumps(info, indent=1))
    return info


def so_size(path: Path) -> tuple[int, int, int]:
    """Bytes as built (-g1), stripped, and stripped + deflated (what it adds to a wheel, a zip)."""
    stripped = path.with_suffix(".stripped")
    shutil.copy(path, stripped)
    if shutil.which("strip"):
        subprocess.run(["strip", "--strip-unneeded", str(stripped)], check=False)
    data = stripped.read_bytes()
    stripped.unlink()
    return path.stat().st_size, len(data), len(zlib.compress(data, 6))


# -- workers -------------------------------------------------------------------------------------
def worker_command(root: Path | None) -> tuple[list[str], dict[str, str]]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONDONTWRITEBYTECODE")}
    if root is None:  # the installed package (editable install of this tree)
        return [sys.executable], env
    # The same interpreter and site start-up: the copy's regular package v2gsniff on PYTHONPATH is
    # found before the editable install's finder (which the workers check).
    return [sys.executable], {**env, "PYTHONPATH": str(root)}


class Worker:
    """One process holding one build: commands in on stdin, one JSON line out per command."""

    def __init__(self, name: str, root: Path | None, schemas: list[str]) -> None:
        self.name = name
        cmd, env = worker_command(root)
        self.proc = subprocess.Popen([*cmd, str(Path(__file__).resolve()), "--worker", str(root or ""),
                                      ",".join(schemas)], env=env, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        self.info = self.read()

    def read(self) -> Any:
        line = self.proc.stdout.readline() if self.proc.stdout else ""
        if not line:
            code = self.proc.wait()
            why = "segmentation fault" if code == -11 else f"exit code {code}"
            raise RuntimeError(f"worker {self.name} died ({why})")
        return json.loads(line)

    def ask(self, *command: object) -> Any:
        assert self.proc.stdin is not None
        self.proc.stdin.write(" ".join(map(str, command)) + "\n")
        self.proc.stdin.flush()
        return self.read()

    def close(self) -> None:
        if self.proc.poll() is None:
            self.ask("quit")
        self.proc.wait()


def serve(root: str, schemas: list[str]) -> int:
    """Worker side: load the codec found on sys.path, answer commands (``check``, ``rate KEY S``, ``quit``)."""
    import exi_bench
    from exi_bench import corpus, encoder, rate, workloads

    from v2gsniff.dissectors import exi
    from v2gsniff.dissectors.exi import ExiError
    from v2gsniff.dissectors.exi.model import to_node

    where = Path(exi.__file__).resolve()
    expected = Path(root).resolve() if root else REPO
    if not where.is_relative_to(expected):
        print(json.dumps({"error": f"imported {where}, expected under {expected}"}), flush=True)
        return 1
    items = corpus()
    picked: dict[tuple[str, str], bytes] = {}
    for schema, fragment, data in items:
        if not fragment and (key := (schema, exi.decode(data, schema).name)) in exi_bench.WANTED:
            picked.setdefault(key, data)
    chosen = {k: d for k, d in picked.items() if k[0] in schemas}
    loads = {k: w for k, w in workloads(exi, items, chosen).items()
             if not k.endswith(": decode+xml+json")}
    subset = [it for it in items if it[0] in schemas]
    loads.update({f"corpus {'+'.join(schemas)}: {k.split(': ')[1]}": w
                  for k, w in workloads(exi, subset, {}).items()})
    print(json.dumps({"workloads": list(loads), "corpus": len(items)}), flush=True)
    encode = encoder(exi)

    def outcome(schema: str, fragment: bool, data: bytes) -> str:
        try:
            msg = (exi.decode_fragment if fragment else exi.decode)(data, schema)
        except ExiError as exc:
            return f"ExiError {exc}"
        return repr(([to_node(e) for e in msg.elements], msg.violations, msg.to_json(), msg.to_xml(),
                     encode(msg).hex()))

    for line in sys.stdin:
        cmd, *args = line.split()
        if cmd == "quit":
            print("{}", flush=True)
            return 0
        if cmd == "check":  # one digest per vector, and per truncation of it
            out = []
            for schema, fragment, data in items:
                cases = [data] + [data[:k] for k in range(2, len(data), max(1, len(data) // 6))]
                out.append(hashlib.sha256("\n".join(outcome(schema, fragment, d) for d in cases).encode())
                           .hexdigest())
            native = sorted(n for n, m in sys.modules.items()
                            if n.startswith("v2gsniff") and str(getattr(m, "__file__", "")).endswith(".so"))
            print(json.dumps({"digests": out, "native": native}), flush=True)
        elif cmd == "rate":
            fn, per = loads[" ".join(args[1:])]
            print(json.dumps(rate(fn, float(args[0]), per)), flush=True)
    return 0


def import_times(roots: dict[str, Path | None], schema: str, runs: int) -> dict[str, list[float]]:
    """ms for ``import v2gsniff.dissectors.exi`` + a first decode, fresh interpreters, interleaved."""
    from exi_bench import corpus

    data = next(d for s, f, d in corpus() if s == schema and not f)
    out: dict[str, list[float]] = {name: [] for name in roots}
    for i in range(runs + 1):  # the first run writes the copies' bytecode caches and is not counted
        for name, root in roots.items():
            cmd, env = worker_command(root)
            t = subprocess.run([*cmd, "-c", IMPORT_PROGRAM, data.hex(), schema], env=env, check=True,
                               capture_output=True, text=True, cwd=tempfile.gettempdir()).stdout
            if i:
                out[name].append(float(t) * 1000)
    return out


# -- report --------------------------------------------------------------------------------------
def describe(name: str, info: dict[str, Any]) -> list[str]:
    if info.get("reused"):
        name += " (reused build)"
    if not info.get("ok"):
        return [f"{name}: NOT BUILT: {info.get('why')}"]
    sizes = list(info["so"].values())
    mib = [sum(s[i] for s in sizes) / 2**20 for i in range(3)]
    wall = info.get("wall") or f"{info['seconds']:.0f} s"
    lines = [f"{name}: {wall} wall, "
             f"{float(info.get('user', 'nan')) + float(info.get('sys', 'nan')):.0f} s CPU, "
             f"peak RSS {int(info.get('rss_kb', 0)) / 2**20:.2f} GiB, C source {info['c_bytes'] / 2**20:.1f} MiB; "
             f".so {mib[0]:.1f} MiB as built, {mib[1]:.1f} MiB stripped, {mib[2]:.1f} MiB deflated (wheel)"]
    lines += [f"    source edit in the copy: {e!r} -> def note(...)" for e in info["edits"]]
    lines += [f"    mypyc: {w}" for w in info.get("warnings", [])]
    lines += [f"    left to the interpreter: {f}" for f in info.get("interpreted", [])]
    return lines


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--variants", default="gen,gen+rt,enc", help=f"comma-separated, of {', '.join(VARIANTS)}")
    ap.add_argument("--schemas", default="din,iso2", help="schema sets whose generated modules are compiled")
    ap.add_argument("--keep", type=Path, help="build here and keep (reused while sources are unchanged)")
    ap.add_argument("--opt-level", default="3", help="mypyc/C optimisation level (mypyc's default: 3)")
    ap.add_argument("--build-timeout", type=float, default=3600, help="seconds before a build is called impractical")
    ap.add_argument("--build-memory", type=float, default=8, help="GiB of address space per build process")
    ap.add_argument("--max-function-lines", type=int, default=2500,
                    help="generated functions longer than this stay interpreted (0: compile everything)")
    ap.add_argument("--build-only", action="store_true")
    ap.add_argument("--seconds", type=float, default=0.3, help="time per figure and round")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--import-runs", type=int, default=9)
    ap.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        return serve(args.worker[0], args.worker[1].split(","))
    sys.path.insert(0, str(HERE))
    from exi_bench import VECTORS

    if not VECTORS.exists():
        print(f"no vectors under {VECTORS}")
        return 2
    why = missing_tools()
    if why:
        print(f"skipped: {why}")
        return 0
    variants = [v for v in args.variants.split(",") if v]
    schemas = [s for s in args.schemas.split(",") if s]
    unknown = [v for v in variants if v not in VARIANTS]
    if unknown:
        ap.error(f"unknown variant(s) {', '.join(unknown)}; expected {', '.join(VARIANTS)}")
    with tempfile.TemporaryDirectory(prefix="exi-mypyc-") as tmp:
        base = args.keep or Path(tmp)
        built: dict[str, dict[str, Any]] = {}
        for v in variants:  # one build at a time (the machine is shared)
            built[v] = build(v, schemas, base / v.replace("+", "_"), args)
            print("\n".join(describe(v, built[v])), flush=True)
        if args.build_only:
            return 0
        roots: dict[str, Path | None] = {"pure": None}
        roots.update({v: base / v.replace("+", "_") for v in variants if built[v].get("ok")})
        return measure(roots, schemas, args)


def measure(roots: dict[str, Path | None], schemas: list[str], args: argparse.Namespace) -> int:
    workers: dict[str, Worker] = {}
    for name, root in roots.items():
        try:
            workers[name] = Worker(name, root, schemas)
        except RuntimeError as exc:  # e.g. a segfault on import or in the first decodes
            print(f"{name}: UNUSABLE: {exc}")
    try:
        for name, w in workers.items():
            if "error" in w.info:
                print(f"{name}: {w.info['error']}")
                return 1
        checks = {name: w.ask("check") for name, w in workers.items()}
        digests = {name: c["digests"] for name, c in checks.items()}
        for name in list(workers)[1:]:
            print(f"{name}: native modules: {', '.join(checks[name]['native']) or 'none'}")
            bad = [i for i, (a, b) in enumerate(zip(digests[name], digests["pure"], strict=True)) if a != b]
            print(f"{name}: {len(bad)} of {len(digests[name])} vectors differ from pure "
                  f"Python (model, JSON, XML, violations, encoding, errors of truncations)"
                  + (f"; first: #{bad[0]}" if bad else ""))
        keys = workers["pure"].info["workloads"]
        rates: dict[str, dict[str, list[float]]] = {n: {k: [] for k in keys} for n in workers}
        for _ in range(args.rounds):
            for key in keys:
                for name, w in workers.items():  # interleaved: every build back to back per figure
                    rates[name][key].append(w.ask("rate", args.seconds, key))
    finally:
        for w in workers.values():
            w.close()
    names = list(workers)
    print(f"\nPython {sys.version.split()[0]}, one core; median of {args.rounds} interleaved rounds of "
          f"{args.seconds:.1f} s; messages/s (x: over pure)")
    print(f"{'workload':36}" + "".join(f"{n:>16}" for n in names))
    for key in keys:
        med = {n: statistics.median(rates[n][key]) for n in names}
        print(f"{key:36}" + "".join(f"{med[n]:10,.0f}" + (f" {med[n] / med['pure']:4.2f}x" if n != "pure" else " " * 6)
                                    for n in names))
    times = import_times({n: roots[n] for n in names}, "din", args.import_runs)
    print(f"\nimport v2gsniff.dissectors.exi + first DIN decode, fresh interpreter, {args.import_runs} runs "
          "(min / median ms)")
    for n in names:
        print(f"{n:10} {min(times[n]):7.1f} / {statistics.median(times[n]):7.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
