#!/usr/bin/env bash
# make check entry: the Cortex-M4 example firmware under QEMU against openssl
# s_server (scripts/firmware-test): good CA, wrong CA, the three profiles,
# x25519 and secp256r1, max_fragment 1024, blocking and interrupt-driven UART,
# RSA-4096 chain through the UART, a too-small buffer, and the link checks
# (no heap, 64 KB of RAM). Prints "N passed, N failed".
# Skipped (exit 77) when the cross toolchain or QEMU is missing; scripts/check
# installs them (DTLS_TEST_PKGS in scripts/lib.sh), so there it always runs.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${DTLS_BUILD_DIR:-$PWD}
for tool in qemu-system-arm arm-none-eabi-gcc; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "SKIP firmware: $tool not found (apt-get install -y qemu-system-arm gcc-arm-none-eabi libnewlib-arm-none-eabi)"
        exit 77
    fi
done
pki=${DTLS_PKI_DIR:-$build/pki}
[ -f "$pki/cases.txt" ] || "$top/scripts/gen-pki" "$pki" >/dev/null
exec "$top/scripts/firmware-test" --build "$build/firmware" --pki "$pki"
