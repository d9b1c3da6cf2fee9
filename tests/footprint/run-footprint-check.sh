#!/usr/bin/env bash
# make check wrapper for scripts/footprint --check: the library (src/ except
# src/posix) has no writable static state and references no heap or stdio
# function when built for Cortex-M4. Prints "1 passed, 0 failed" or
# "0 passed, 1 failed". Without the arm-none-eabi toolchain the check fails
# and scripts/footprint says which Debian packages to install.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
if "$top/scripts/footprint" --check; then
    echo "PASS footprint"
    echo "1 passed, 0 failed"
    exit 0
fi
echo "FAIL footprint"
echo "0 passed, 1 failed"
exit 1
