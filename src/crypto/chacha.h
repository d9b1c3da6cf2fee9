/*
 * ChaCha20, Poly1305 and the ChaCha20-Poly1305 AEAD of RFC 8439.
 *
 *   dtls_chachapoly_ctx c;
 *   dtls_chachapoly_init(&c, key);                         // 32-byte key
 *   dtls_chachapoly_seal(&c, nonce, aad, aad_len, buf, len, tag);
 *   if (dtls_chachapoly_open(&c, nonce, aad, aad_len, buf, len, tag) != 0) ...  // -1: bad tag
 */
#ifndef DTLS_CRYPTO_CHACHA_H
#define DTLS_CRYPTO_CHACHA_H

#include <dtls/crypto.h>

/* XOR len bytes of the ChaCha20 key stream (RFC 8439 2.4) into data, starting at block counter. */
void dtls_chacha20_xor(const uint8_t key[32], const uint8_t nonce[12], uint32_t counter,
                       uint8_t *data, size_t len);

typedef struct {
    uint32_t r[5], h[5], pad[4];
    uint8_t buf[16];
    size_t buf_len;
} dtls_poly1305_ctx;

void dtls_poly1305_init(dtls_poly1305_ctx *c, const uint8_t key[32]);
void dtls_poly1305_update(dtls_poly1305_ctx *c, const uint8_t *data, size_t len);
void dtls_poly1305_final(dtls_poly1305_ctx *c, uint8_t tag[16]); /* wipes c */

void dtls_chachapoly_init(dtls_chachapoly_ctx *c, const uint8_t key[32]);
void dtls_chachapoly_seal(const dtls_chachapoly_ctx *c, const uint8_t nonce[12],
                          const uint8_t *aad, size_t aad_len, uint8_t *data, size_t len, uint8_t tag[16]);
/* Returns 0 when the tag matches (constant-time compare), else -1 and data is zeroed. */
int dtls_chachapoly_open(const dtls_chachapoly_ctx *c, const uint8_t nonce[12],
                         const uint8_t *aad, size_t aad_len, uint8_t *data, size_t len, const uint8_t tag[16]);

#endif
