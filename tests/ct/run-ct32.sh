#!/usr/bin/env bash
# The constant-time checks of AES and portable AES-GCM once more, on the
# 32-bit bitsliced AES core that 32-bit targets (Cortex-M) build: a 64-bit
# host builds the 64-bit one unless DTLS_AES_CT32=1 (src/crypto/aes.c,
# src/crypto/aes_ct64.h), compiled with -Os like a firmware (which also
# selects the compact form of some loops). Same output and exit status as
# run-ct.sh.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
CT_OPT="${CT_OPT:--Os} -DDTLS_AES_CT32=1" exec "$top/tests/ct/run-ct.sh" - \
    aes128-block aes256-block aes128-gcm-portable aes256-gcm-portable
