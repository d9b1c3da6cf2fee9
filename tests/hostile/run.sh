#!/usr/bin/env bash
# make check entry: the hostile-server suite (tests/hostile/hostile.py) against
# $DTLS_BUILD_DIR/dtls-send and the blocking example client of the same build.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${DTLS_BUILD_DIR:-$PWD}
pki=${DTLS_PKI_DIR:-$build/pki}
[ -f "$pki/cases.txt" ] || "$top/scripts/gen-pki" "$pki" >/dev/null
exec python3 "$top/tests/hostile/hostile.py" --dtls-send "$build/dtls-send" \
    --client "$build/examples/posix-blocking" --pki "$pki" ${DTLS_HOSTILE_FILTER:+--filter "$DTLS_HOSTILE_FILTER"}
