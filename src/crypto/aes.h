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

int dtls_aes_gcm_init(dtls_aes_gcm_ctx *c, const uint8_t *key, size_t key_len);

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

#endif
