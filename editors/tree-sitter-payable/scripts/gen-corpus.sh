#!/usr/bin/env bash
# Writes test/corpus/example_<name>.txt from examples/<name>.pay: one corpus test per
# top-level item, with the tree the grammar gives it now. Review the trees (git diff)
# before committing: a test passes because it matches what was reviewed, not because the
# grammar said so.
#
#   scripts/gen-corpus.sh          regenerate the inputs and their trees
#   scripts/gen-corpus.sh --check  fail if the inputs no longer match examples/*.pay
#
# Needs `tree-sitter` on PATH (ci.sh installs it) for the regeneration, not for --check.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
repo="$(cd "$here/../.." && pwd)"
corpus="$here/test/corpus"

# A corpus file without its expected trees: what the examples decide.
inputs_of() {
    awk '/^---$/ { skip = 1; next } /^=+$/ { if (skip) { skip = 0; print "" } } !skip' "$1"
}

if [[ "${1:-}" == "--check" ]]; then
    status=0
    for example in "$repo"/examples/*.pay; do
        name="$(basename "$example" .pay)"
        expected="$corpus/example_$name.txt"
        if [[ ! -f "$expected" ]] ||
            ! diff -q <(awk -v name="$name" -f "$here/scripts/split-items.awk" "$example" |
                inputs_of /dev/stdin) <(inputs_of "$expected") >/dev/null; then
            echo "tree-sitter corpus is stale for examples/$name.pay:" \
                "run editors/tree-sitter-payable/scripts/gen-corpus.sh and review the trees" >&2
            status=1
        fi
    done
    for stale in "$corpus"/example_*.txt; do
        name="$(basename "$stale" .txt)"
        if [[ ! -f "$repo/examples/${name#example_}.pay" ]]; then
            echo "tree-sitter corpus $name.txt has no example: delete it" >&2
            status=1
        fi
    done
    exit "$status"
fi

mkdir -p "$corpus"
rm -f "$corpus"/example_*.txt
for example in "$repo"/examples/*.pay; do
    name="$(basename "$example" .pay)"
    awk -v name="$name" -f "$here/scripts/split-items.awk" "$example" >"$corpus/example_$name.txt"
done
cd "$here"
tree-sitter test --update --show-fields --include '^example ' >/dev/null || true
tree-sitter test --include '^example '
