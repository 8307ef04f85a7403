#!/usr/bin/env bash
# mypy cannot follow setuptools' editable import hook, so check the three folders through a
# symlink tree that mirrors the installed namespace (v2gsniff/{sniffer,dissectors,tui}).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tree=$(mktemp -d)
trap 'rm -rf "$tree"' EXIT
mkdir -p "$tree/v2gsniff"
for d in sniffer dissectors tui; do ln -s "$root/$d" "$tree/v2gsniff/$d"; done
cd "$tree"
MYPY=${MYPY:-mypy}
"$MYPY" --config-file "$root/pyproject.toml" -p v2gsniff.dissectors -p v2gsniff.sniffer -p v2gsniff.tui "$@"
