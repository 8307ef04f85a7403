"""Diff our generated EXI grammars against EXIficient's grammar dump (development aid).

    python tools/exi_grammar_diff.py [SET ...]        # default: all sets

For each set it runs ``python3 ../shared/tools/exi_oracle/exi_oracle.py grammars ORACLE_SET`` (or reads
``--dumps DIR/ORACLE_SET.json``), then walks both grammar graphs in parallel from DocContent and
FragmentContent and reports every state whose kind, productions, event-code order, qnames or datatypes
differ, plus differences in the initial uri/local-name string tables.  Exit status 1 on any difference.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import subprocess
import sys
from typing import Any

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ORACLE = os.path.join(REPO, "..", "shared", "tools", "exi_oracle", "exi_oracle.py")
ORACLE_SET = {"apphand": "apphand", "din": "din", "iso2": "iso2", "iso20-cm": "iso20", "iso20-ac": "iso20_ac",
              "iso20-dc": "iso20_dc", "iso20-wpt": "iso20_wpt", "iso20-acdp": "iso20_acdp", "xmldsig": "xmldsig"}
KINDS = {"firstStartTagContent": 0, "startTagContent": 1, "elementContent": 2, "docContent": 3, "docEnd": 4,
         "fragmentContent": 5}
EVENTS = {"startElement": 0, "startElementGeneric": 1, "startElementNS": 2, "endElement": 3, "characters": 4,
          "charactersGeneric": 5, "attribute": 6, "attributeGeneric": 7, "endDocument": 8}


def _their_dtype(dt: dict[str, Any]) -> tuple[object, ...]:
    t = dt["type"]
    if t == "NBIT_UNSIGNED_INTEGER":
        return ("nbit", dt["lowerBound"], dt["upperBound"])
    if t == "ENUMERATION":
        return ("enum", tuple(dt["enumValues"]))
    return ({"STRING": "string", "UNSIGNED_INTEGER": "uint", "INTEGER": "int", "BINARY_BASE64": "b64",
             "BINARY_HEX": "hex", "BOOLEAN": "bool", "LIST": "list"}.get(t, t.lower()),)


def diff(name: str, dump: dict[str, Any]) -> list[str]:
    g = importlib.import_module("v2gsniff.dissectors.exi.grammars._" + name.replace("-", "_"))
    out: list[str] = []
    ctx = dump["qnames"]["namespaceContext"]
    their_uris = [c["uri"] for c in ctx]
    their_names = [[q["localName"] for q in c.get("qnameContext", [])] for c in ctx]
    if list(g.URIS) != their_uris:
        out.append(f"uri table differs: ours {g.URIS} theirs {their_uris}")
    for i, (ours, theirs) in enumerate(zip(g.LOCAL_NAMES, their_names, strict=False)):
        if list(ours) != theirs:
            out.append(f"local names of uri {i} differ: ours {ours} theirs {theirs}")
    dts = {d["simpleDatatypeID"]: _their_dtype(d) for d in dump["simpleDatatypes"]}
    grs = dump["grs"]
    states = {int(s["grammarID"]): s for s in grs["grammar"]}
    doc = states[grs["documentGrammarID"]]["production"][0]["nextGrammarID"]
    frag = states[grs["fragmentGrammarID"]]["production"][0]["nextGrammarID"]
    g_states = json.loads(g.STATES_JSON)
    todo = [(g.DOCUMENT, doc, "DocContent"), (g.FRAGMENT, frag, "FragmentContent")]
    seen: set[tuple[int, int]] = set()
    while todo:
        mine, theirs, path = todo.pop()
        if (mine, theirs) in seen or mine < 0 or theirs < 0:
            if (mine < 0) != (theirs < 0):
                out.append(f"{path}: end vs state mismatch")
            continue
        seen.add((mine, theirs))
        kind, _c2, prods = g_states[mine]
        ts = states[theirs]
        if KINDS[ts["type"]] != kind:
            out.append(f"{path}: kind ours {kind} theirs {ts['type']}")
        tp = ts["production"]
        if len(tp) != len(prods):
            out.append(f"{path}: {len(prods)} productions, EXIficient {len(tp)}: ours {_fmt_ours(g, prods)}"
                       f" theirs {_fmt_theirs(ctx, tp, dts)}")
            continue
        for code, (p, q) in enumerate(zip(prods, tp, strict=False)):
            ev = EVENTS.get(q["event"], -1)
            ours_d = _fmt_ours(g, [p])
            theirs_d = _fmt_theirs(ctx, [q], dts)
            if ours_d != theirs_d:
                out.append(f"{path}: code {code}: ours {ours_d} theirs {theirs_d}")
                continue
            if ev == 0:
                todo.append((p[2], q["startElementGrammarID"], f"{path}/{ours_d[0][1]}"))
            todo.append((p[3], q["nextGrammarID"], f"{path}>{code}"))
    return out


def _dt(dt: tuple[object, ...]) -> tuple[object, ...]:
    # our integer bounds and length facets are for range checks only (findings), not part of the EXI grammar
    return dt[:1] if dt[0] in ("uint", "int", "string", "hex", "b64") else dt


def _fmt_ours(g: Any, prods: Any) -> list[tuple[object, ...]]:
    res: list[tuple[object, ...]] = []
    for ev, a, b, _n in prods:
        if ev in (0, 6):
            u, ln = g.QNAMES[a]
            extra = (_dt(g.DATATYPES[b]),) if ev == 6 else ()
            res.append((ev, f"{{{g.URIS[u]}}}{ln}", *extra))
        elif ev == 4:
            res.append((ev, _dt(g.DATATYPES[a])))
        elif ev == 2:
            res.append((ev, g.URIS[a]))
        else:
            res.append((ev,))
    return res


def _fmt_theirs(ctx: Any, prods: Any, dts: dict[int, tuple[object, ...]]) -> list[tuple[object, ...]]:
    res: list[tuple[object, ...]] = []
    for q in prods:
        ev = EVENTS.get(q["event"], -1)
        if ev in (0, 6):
            pre = "startElement" if ev == 0 else "attribute"
            c = ctx[q[pre + "NamespaceID"]]
            ln = c["qnameContext"][q[pre + "LocalNameID"]]["localName"]
            extra = (dts[q["attributeDatatypeID"]],) if ev == 6 else ()
            res.append((ev, f"{{{c['uri']}}}{ln}", *extra))
        elif ev == 4:
            res.append((ev, dts[q["charactersDatatypeID"]]))
        elif ev == 2:
            res.append((ev, q.get("namespace", "")))
        else:
            res.append((ev,))
    return res


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sets", nargs="*", default=list(ORACLE_SET))
    ap.add_argument("--dumps", help="directory with ORACLE_SET.json dumps (skips running the oracle)")
    args = ap.parse_args(argv)
    total = 0
    for name in args.sets:
        oset = ORACLE_SET[name]
        if args.dumps:
            with open(os.path.join(args.dumps, oset + ".json"), encoding="utf-8") as fh:
                dump = json.load(fh)
        else:
            text = subprocess.run([sys.executable, ORACLE, "grammars", oset], check=True, capture_output=True,
                                  text=True).stdout
            dump = json.loads(text)
        problems = diff(name, dump)
        total += len(problems)
        print(f"{name}: {len(problems)} difference(s)")
        for line in problems[:40]:
            print("   ", line)
    print(f"total: {total} difference(s)")
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
