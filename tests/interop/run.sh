#!/usr/bin/env bash
# make check entry: the OpenSSL / GnuTLS interop suite (tests/interop/interop.py).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${DTLS_BUILD_DIR:-$PWD}
pki=${DTLS_PKI_DIR:-$build/pki}
[ -f "$pki/cases.txt" ] || "$top/scripts/gen-pki" "$pki" >/dev/null
exec python3 "$top/tests/interop/interop.py" --dtls-send "$build/dtls-send" \
    --client "$build/examples/posix-blocking" --pki "$pki" ${DTLS_INTEROP_FILTER:+--filter "$DTLS_INTEROP_FILTER"}
