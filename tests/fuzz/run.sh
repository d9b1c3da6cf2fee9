#!/usr/bin/env bash
# make check entry when configured with --enable-fuzz: every libFuzzer target for
# DTLS_FUZZ_SECONDS (default 60) each, in $DTLS_BUILD_DIR/fuzz (scripts/fuzz).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${DTLS_BUILD_DIR:-$PWD}
DTLS_FUZZ_DIR=$build/fuzz exec "$top/scripts/fuzz" all "${DTLS_FUZZ_SECONDS:-60}"
