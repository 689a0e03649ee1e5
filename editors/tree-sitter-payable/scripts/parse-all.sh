#!/usr/bin/env bash
# Parses the given .pay files and fails, naming them, if any tree has an ERROR or MISSING
# node. Run from the grammar's folder (the parser is built from src/).
set -euo pipefail
cd "$(dirname "$0")/.."
list="$(mktemp)"
trap 'rm -f "$list"' EXIT
printf '%s\n' "$@" >"$list"
# `--quiet` prints only the files with errors, with the first ERROR or MISSING node; the
# exit code is 1 when there is one. Parser-directory warnings go to stderr and are noise.
if ! output="$(tree-sitter parse --quiet --paths "$list" 2>/dev/null)" || [[ -n "$output" ]]; then
    echo "files that payable parses but tree-sitter does not:" >&2
    echo "$output" >&2
    exit 1
fi
