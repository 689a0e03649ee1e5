#!/usr/bin/env bash
# CI for the VS Code extension: install the locked dependencies, compile, and tokenise every
# .pay file in the repository with the TextMate grammar. Quiet unless something fails.
# The snippet check (`npm run test:snippets`) needs target/debug/payable and is run too
# when that binary exists (or $PAYABLE is set).
set -euo pipefail
cd "$(dirname "$0")"

log=$(mktemp)
trap 'rm -f "$log"' EXIT
run() {
  if ! "$@" >"$log" 2>&1; then
    cat "$log" >&2
    echo "editors/vscode: \`$*\` failed" >&2
    exit 1
  fi
}

run npm ci --no-audit --no-fund --prefer-offline
run npm run --silent compile
run npm run --silent test:grammar
tail -n 1 "$log"
if [[ -n "${PAYABLE:-}" || -x ../../target/debug/payable ]]; then
  run npm run --silent test:snippets
  tail -n 1 "$log"
fi
