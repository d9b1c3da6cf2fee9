#!/usr/bin/env bash
# More --stream / --spool cases (tests/e2e/stream_cases.py) on the e2e harness.
#   tests/e2e/run-stream.sh [CASE...]     e.g. tests/e2e/run-stream.sh spool
# DTLS_BUILD_DIR (default: .) holds dtls-send; DTLS_PKI_DIR (default: $DTLS_BUILD_DIR/pki)
# the gen-pki output, generated when missing. Exit 77 (skip) without dtls-send.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${DTLS_BUILD_DIR:-$PWD}
pki=${DTLS_PKI_DIR:-$build/pki}
command -v python3 >/dev/null || { echo "SKIP: python3 not installed"; exit 77; }
[ -x "$build/dtls-send" ] || { echo "SKIP: $build/dtls-send not built"; exit 77; }
[ -f "$pki/cases.txt" ] || "$top/scripts/gen-pki" "$pki" >/dev/null
exec python3 "$top/tests/e2e/stream_cases.py" --dtls-send "$build/dtls-send" --pki "$pki" "$@"
