/*
 * AES-128/192/256 block cipher, constant time (bitsliced: no table indexed by
 * key or data), and AES-GCM (NIST SP 800-38D) with a constant-time GHASH.
 *
 *   dtls_aes_gcm_ctx g;
 *   uint8_t tag[16];
 *   dtls_aes_gcm_init(&g, key, 16);
 *   dtls_aes_gcm_seal(&g, nonce, aad, aad_len, buf, len, tag);   // in place
 *   if (dtls_aes_gcm_open(&g, nonce, aad, aad_len, buf, len, tag) != 0) ...  // -1: bad tag, buf wiped
 *   dtls_wipe(&g, sizeof g);
 *
 * The context types are in <dtls/crypto.h>; their field layout belongs to
 * aes.c/gcm.c, other code only uses the types and functions.
 */
#ifndef DTLS_CRYPTO_AES_H
#define DTLS_CRYPTO_AES_H

#include <dtls/crypto.h>

/* key_len is 16, 24 or 32; returns 0, or -1 for another length. */
int dtls_aes_set_key(dtls_aes_key *k, const uint8_t *key, size_t key_len);
/* Encrypt n consecutive 16-byte blocks (ECB); in and out may be equal. */
void dtls_aes_encrypt_blocks(const dtls_aes_key *k, const uint8_t *in, uint8_t *out, size_t nblocks);

/*
 * Key setup. dtls_aes_gcm_init picks the fastest implementation this CPU has
 * (AES-NI + PCLMULQDQ on x86-64, see gcm_x86.c) and falls back to the
 * portable constant-time one, which dtls_aes_gcm_init_portable always uses
 * (tests run both). Either way the other functions below work unchanged;
 * dtls_aes_gcm_accelerated says which one a context got.
 */
int dtls_aes_gcm_init(dtls_aes_gcm_ctx *c, const uint8_t *key, size_t key_len);
int dtls_aes_gcm_init_portable(dtls_aes_gcm_ctx *c, const uint8_t *key, size_t key_len);
int dtls_aes_gcm_accelerated(const dtls_aes_gcm_ctx *c);

/* 96-bit nonce, 128-bit tag: the TLS 1.3 shape. data is encrypted/decrypted in place. */
void dtls_aes_gcm_seal(const dtls_aes_gcm_ctx *c, const uint8_t nonce[12],
                       const uint8_t *aad, size_t aad_len, uint8_t *data, size_t len, uint8_t tag[16]);
/* Returns 0 when the tag matches (compared in constant time), else -1 and data is zeroed. */
int dtls_aes_gcm_open(const dtls_aes_gcm_ctx *c, const uint8_t nonce[12],
                      const uint8_t *aad, size_t aad_len, uint8_t *data, size_t len, const uint8_t tag[16]);

/* General form: any IV length >= 1, tag_len 1..16 (tests and non-TLS users). Returns -1 on bad params. */
int dtls_aes_gcm_seal_iv(const dtls_aes_gcm_ctx *c, const uint8_t *iv, size_t iv_len,
                         const uint8_t *aad, size_t aad_len, uint8_t *data, size_t len,
                         uint8_t *tag, size_t tag_len);
int dtls_aes_gcm_open_iv(const dtls_aes_gcm_ctx *c, const uint8_t *iv, size_t iv_len,
                         const uint8_t *aad, size_t aad_len, uint8_t *data, size_t len,
                         const uint8_t *tag, size_t tag_len);

/* ---- internal: the x86-64 fast path (gcm_x86.c), reached through gcm.c ---- */

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define DTLS_AES_GCM_HAVE_X86 1
/* Set in aes.rounds of a context laid out for gcm_x86.c. */
#define DTLS_AES_GCM_X86 0x100u
/* 0: c is set up for the fast path; -1: the CPU lacks AES-NI/PCLMULQDQ/SSSE3
 * or key_len is 24 (c untouched). */
int dtls_aes_gcm_x86_init(dtls_aes_gcm_ctx *c, const uint8_t *key, size_t key_len);
void dtls_aes_gcm_x86_init_key(dtls_aes_gcm_ctx *c, const uint8_t *key, size_t key_len);
/* J0 for an IV that is not 12 bytes long. */
void dtls_aes_gcm_x86_j0(const dtls_aes_gcm_ctx *c, const uint8_t *iv, size_t iv_len, uint8_t j0[16]);
/* What gcm.c's gcm_core does: en/decrypt data in place from J0 + 1, full tag. */
void dtls_aes_gcm_x86_crypt(const dtls_aes_gcm_ctx *c, const uint8_t j0[16], const uint8_t *aad,
                            size_t aad_len, uint8_t *data, size_t len, int encrypt, uint8_t tag[16]);
#endif

#endif
