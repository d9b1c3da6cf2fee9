#!/usr/bin/env bash
# make check entry: the test cloud's self-test (tests/cloud/selftest.py); needs python3 and curl.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${DTLS_BUILD_DIR:-$PWD}
pki=${DTLS_PKI_DIR:-$build/pki}
command -v python3 >/dev/null || { echo "SKIP: python3 not installed"; exit 77; }
[ -f "$pki/cases.txt" ] || "$top/scripts/gen-pki" "$pki" >/dev/null
exec python3 "$top/tests/cloud/selftest.py" --pki "$pki" "$@"
