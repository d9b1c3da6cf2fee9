/*
 * The three TLS 1.3 AEADs as `struct dtls_aead` tables (see aead.h):
 * thin adapters from the uniform (ctx, key) shape to each algorithm. The
 * AES-GCM tables take the CPU's AES instructions where there are some (the
 * key setup decides, gcm.c); the _portable ones never do.
 */
#include "crypto/aead.h"

static void aes128gcm_init(dtls_aead_ctx *c, const uint8_t *key)
{
    (void)dtls_aes_gcm_init(&c->gcm, key, 16); /* cannot fail: the length is valid */
}

static void aes256gcm_init(dtls_aead_ctx *c, const uint8_t *key)
{
    (void)dtls_aes_gcm_init(&c->gcm, key, 32);
}

static void aes128gcm_init_portable(dtls_aead_ctx *c, const uint8_t *key)
{
    (void)dtls_aes_gcm_init_portable(&c->gcm, key, 16);
}

static void aes256gcm_init_portable(dtls_aead_ctx *c, const uint8_t *key)
{
    (void)dtls_aes_gcm_init_portable(&c->gcm, key, 32);
}

static void aesgcm_seal(const dtls_aead_ctx *c, const uint8_t nonce[12], const uint8_t *aad, size_t aad_len,
                        uint8_t *data, size_t len, uint8_t tag[16])
{
    dtls_aes_gcm_seal(&c->gcm, nonce, aad, aad_len, data, len, tag);
}

static int aesgcm_open(const dtls_aead_ctx *c, const uint8_t nonce[12], const uint8_t *aad, size_t aad_len,
                       uint8_t *data, size_t len, const uint8_t tag[16])
{
    return dtls_aes_gcm_open(&c->gcm, nonce, aad, aad_len, data, len, tag);
}

static void chachapoly_init(dtls_aead_ctx *c, const uint8_t *key)
{
    dtls_chachapoly_init(&c->chacha, key);
}

static void chachapoly_seal(const dtls_aead_ctx *c, const uint8_t nonce[12], const uint8_t *aad, size_t aad_len,
                            uint8_t *data, size_t len, uint8_t tag[16])
{
    dtls_chachapoly_seal(&c->chacha, nonce, aad, aad_len, data, len, tag);
}

static int chachapoly_open(const dtls_aead_ctx *c, const uint8_t nonce[12], const uint8_t *aad, size_t aad_len,
                           uint8_t *data, size_t len, const uint8_t tag[16])
{
    return dtls_chachapoly_open(&c->chacha, nonce, aad, aad_len, data, len, tag);
}

const struct dtls_aead dtls_aead_aes128gcm = {
    "AES-128-GCM", 16, aes128gcm_init, aesgcm_seal, aesgcm_open,
};

const struct dtls_aead dtls_aead_aes256gcm = {
    "AES-256-GCM", 32, aes256gcm_init, aesgcm_seal, aesgcm_open,
};

const struct dtls_aead dtls_aead_aes128gcm_portable = {
    "AES-128-GCM", 16, aes128gcm_init_portable, aesgcm_seal, aesgcm_open,
};

const struct dtls_aead dtls_aead_aes256gcm_portable = {
    "AES-256-GCM", 32, aes256gcm_init_portable, aesgcm_seal, aesgcm_open,
};

const struct dtls_aead dtls_aead_chacha20poly1305 = {
    "ChaCha20-Poly1305", 32, chachapoly_init, chachapoly_seal, chachapoly_open,
};
