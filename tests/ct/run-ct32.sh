#!/usr/bin/env bash
# Constant-time checks of the code a Cortex-M firmware gets, which a 64-bit
# host does not build by default: the 32-bit bitsliced AES core
# (DTLS_AES_CT32=1, src/crypto/aes.c, src/crypto/aes_ct64.h), the 32-bit limbs
# (DTLS_NO_INT128: GHASH, RSA signing), and at -Os the compact forms of AES,
# SHA-2, ChaCha20 and Poly1305. Same output and exit
# status as run-ct.sh.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
CT_OPT="${CT_OPT:--Os} -DDTLS_AES_CT32=1 -DDTLS_NO_INT128" exec "$top/tests/ct/run-ct.sh" - \
    aes128-block aes256-block aes128-gcm-portable aes256-gcm-portable chacha20-poly1305 sha256 sha384 hmac-sha256 \
    rsa-pss-sign
