/*
 * HMAC (RFC 2104) and HKDF (RFC 5869) over any struct dtls_hash, plus the
 * two TLS 1.3 helpers of RFC 8446 section 7.1.
 *
 *   uint8_t prk[32], key[16];
 *   dtls_hkdf_extract(&dtls_hash_sha256, salt, salt_len, ikm, ikm_len, prk);
 *   dtls_hkdf_expand_label(&dtls_hash_sha256, prk, "key", NULL, 0, key, 16);
 */
#ifndef DTLS_CRYPTO_HMAC_H
#define DTLS_CRYPTO_HMAC_H

#include "crypto/sha2.h"

typedef struct {
    const struct dtls_hash *hash;
    dtls_hash_ctx inner;
    dtls_hash_ctx outer;
} dtls_hmac_ctx;

void dtls_hmac_init(dtls_hmac_ctx *c, const struct dtls_hash *h, const uint8_t *key, size_t key_len);
void dtls_hmac_update(dtls_hmac_ctx *c, const void *data, size_t len);
void dtls_hmac_final(dtls_hmac_ctx *c, uint8_t *out); /* digest_len bytes; wipes c */
void dtls_hmac(const struct dtls_hash *h, const uint8_t *key, size_t key_len,
               const void *data, size_t len, uint8_t *out);

/* PRK = HMAC(salt, IKM); a NULL/empty salt means digest_len zero bytes. prk gets digest_len bytes. */
void dtls_hkdf_extract(const struct dtls_hash *h, const uint8_t *salt, size_t salt_len,
                       const uint8_t *ikm, size_t ikm_len, uint8_t *prk);

/* OKM of out_len bytes. Returns 0, or -1 (and writes nothing) when out_len > 255 * digest_len. */
int dtls_hkdf_expand(const struct dtls_hash *h, const uint8_t *prk, size_t prk_len,
                     const uint8_t *info, size_t info_len, uint8_t *out, size_t out_len);

/*
 * HKDF-Expand-Label(Secret, Label, Context, Length) of RFC 8446 7.1: the label is
 * given without the "tls13 " prefix (e.g. "key", "c hs traffic"). Secret is
 * digest_len bytes. Returns 0, or -1 when label or context is too long
 * (label <= 249 bytes, context <= 255) or out_len > 255 * digest_len.
 */
int dtls_hkdf_expand_label(const struct dtls_hash *h, const uint8_t *secret, const char *label,
                           const uint8_t *context, size_t context_len, uint8_t *out, size_t out_len);

/* Derive-Secret(Secret, Label, Messages) with the transcript hash already computed
 * (transcript_hash is digest_len bytes). out gets digest_len bytes. */
void dtls_derive_secret(const struct dtls_hash *h, const uint8_t *secret, const char *label,
                        const uint8_t *transcript_hash, uint8_t *out);

#endif
