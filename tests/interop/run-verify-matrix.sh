#!/usr/bin/env bash
# make check entry: dtls-send verify against openssl verify on every gen-pki case
# (tests/interop/verify_matrix.py).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${DTLS_BUILD_DIR:-$PWD}
pki=${DTLS_PKI_DIR:-$build/pki}
[ -f "$pki/cases.txt" ] || "$top/scripts/gen-pki" "$pki" >/dev/null
exec python3 "$top/tests/interop/verify_matrix.py" --dtls-send "$build/dtls-send" --pki "$pki" \
    ${DTLS_INTEROP_FILTER:+--filter "$DTLS_INTEROP_FILTER"}
