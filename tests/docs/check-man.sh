#!/usr/bin/env bash
# docs/dtls-send.1 must be what scripts/gen-man makes from the option table:
# an option added to cli/options.c without regenerating the man page fails here.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${DTLS_BUILD_DIR:-$PWD}
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
"$top/scripts/gen-man" "$build/dtls-send" "$tmp"
if diff -u "$top/docs/dtls-send.1" "$tmp" >&2; then
    echo "PASS docs/dtls-send.1 matches the option table"
    echo "1 passed, 0 failed"
    exit 0
fi
echo "FAIL docs/dtls-send.1 is stale: run scripts/gen-man $build/dtls-send"
echo "0 passed, 1 failed"
exit 1
