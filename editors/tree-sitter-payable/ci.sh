#!/usr/bin/env bash
# CI for the tree-sitter grammar: quiet on success, the failing output otherwise.
#
# 1. Installs the tree-sitter CLI if missing (`cargo install`, minutes; reused after).
# 2. Regenerates the parser and fails if the committed src/ differs from grammar.js.
# 3. Runs the corpus and highlight tests (`tree-sitter test`), and checks that the corpus
#    generated from examples/*.pay is in step with the examples.
# 4. Parses every .pay file in the repository that `payable check` parses (no E0001) and
#    fails on any ERROR or MISSING node.
# 5. Runs every query file over an example, which fails on an invalid query.
#
# The CLI is looked for on PATH (at TREE_SITTER_VERSION), then under
# $TREE_SITTER_CLI_ROOT, by default $CARGO_HOME/tree-sitter-cli-<version> so that it
# survives clean clones.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
version="${TREE_SITTER_VERSION:-0.27.1}"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT

# Runs a step with its output captured; on failure prints it and stops.
step() {
    local what="$1"
    shift
    if ! "$@" >"$log" 2>&1; then
        echo "tree-sitter: $what failed:" >&2
        cat "$log" >&2
        exit 1
    fi
}

if ! command -v tree-sitter >/dev/null || [[ "$(tree-sitter --version)" != "tree-sitter $version"* ]]; then
    root="${TREE_SITTER_CLI_ROOT:-${CARGO_HOME:-$HOME/.cargo}/tree-sitter-cli-$version}"
    if [[ ! -x "$root/bin/tree-sitter" ]]; then
        step "cargo install tree-sitter-cli $version" \
            cargo install tree-sitter-cli --locked --no-default-features --version "$version" --root "$root"
    fi
    export PATH="$root/bin:$PATH"
fi

cd "$here"
# grammar.js is run by Node.js (needed for the VS Code extension anyway): the CLI's built-in
# JavaScript runtime (its default `qjs-rt` feature) adds about 40% to its install time.
step "tree-sitter generate" tree-sitter generate
if [[ -n "$(git status --porcelain -- src)" ]]; then
    echo "tree-sitter: src/ is not what grammar.js generates: run \`tree-sitter generate\`" \
        "in editors/tree-sitter-payable and commit src/" >&2
    git status --short -- src >&2
    exit 1
fi
step "tree-sitter test" tree-sitter test
step "corpus check" scripts/gen-corpus.sh --check

# Which files the compiler parses: a file it cannot parse gets E0001 and is exempt.
step "cargo build" cargo build --quiet --manifest-path "$repo/Cargo.toml"
payable="$repo/target/debug/payable"
files=()
while IFS= read -r -d '' file; do
    report="$("$payable" check --format json "$repo/$file" 2>/dev/null || true)"
    if [[ "$report" != *'"code": "E0001"'* ]]; then
        files+=("$repo/$file")
    fi
done < <(git -C "$repo" ls-files -z '*.pay')
if [[ ${#files[@]} -lt 10 ]]; then
    echo "tree-sitter: only ${#files[@]} .pay files found to parse; is the repository intact?" >&2
    exit 1
fi
step "parsing the ${#files[@]} .pay files payable accepts" scripts/parse-all.sh "${files[@]}"

for query in queries/*.scm; do
    step "query $query" tree-sitter query --quiet "$query" "$repo/examples/youth_employment.pay"
done
