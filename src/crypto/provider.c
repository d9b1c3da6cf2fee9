/*
 * The built-in crypto providers: every hook of struct dtls_crypto filled with
 * the implementations in this folder; dtls_crypto_portable is the same
 * without the hardware fast paths (x86-64 AES-NI for AES-GCM). A firmware
 * that links only some algorithms builds its own table (see
 * docs/PORTING.md); with --gc-sections everything it does not name is
 * dropped.
 */
#include <dtls/crypto.h>
#include <dtls/crypto_algs.h> /* the public declarations must match the ones below */

#include "crypto/aead.h"
#include "crypto/curve25519.h"
#include "crypto/ec.h"
#include "crypto/rsa.h"
#include "crypto/sha2.h"

/* Everything but the AES-GCM tables, which differ between the two providers. */
#define BUILTIN_HOOKS                                                                                        \
    .sha256 = &dtls_hash_sha256, .sha384 = &dtls_hash_sha384, .sha512 = &dtls_hash_sha512,                     \
    .chacha20poly1305 = &dtls_aead_chacha20poly1305, .x25519 = dtls_x25519, .x25519_base = dtls_x25519_base,   \
    .p256_pubkey = dtls_p256_pubkey, .p256_ecdh = dtls_p256_ecdh, .p256_verify = dtls_p256_ecdsa_verify,       \
    .p384_verify = dtls_p384_ecdsa_verify, .ed25519_verify = dtls_ed25519_verify,                             \
    .rsa_pkcs1_verify = dtls_rsa_pkcs1_verify, .rsa_pss_verify = dtls_rsa_pss_verify

const struct dtls_crypto dtls_crypto_builtin = {
    BUILTIN_HOOKS,
    .aes128gcm = &dtls_aead_aes128gcm,
    .aes256gcm = &dtls_aead_aes256gcm,
};

const struct dtls_crypto dtls_crypto_portable = {
    BUILTIN_HOOKS,
    .aes128gcm = &dtls_aead_aes128gcm_portable,
    .aes256gcm = &dtls_aead_aes256gcm_portable,
};
