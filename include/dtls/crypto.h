/*
 * dtls crypto provider: the seam between the TLS engine and the algorithms.
 *
 * The engine reaches every primitive through a `struct dtls_crypto` of
 * function pointers. The built-in portable, constant-time implementation is
 * `dtls_crypto_builtin` and is what you get when the config leaves
 * `.crypto` NULL. To use a hardware accelerator for one algorithm, copy the
 * built-in table and replace that entry:
 *
 *   static struct dtls_crypto hw;
 *   hw = dtls_crypto_builtin;
 *   hw.aes128gcm = &my_hw_aes128gcm;        // a struct dtls_aead of yours
 *   cfg.crypto = &hw;
 *
 * Every hook follows the Monocypher convention: functions that can fail
 * return 0 on success and -1 on failure, in constant time where secrets are
 * involved. Context types are complete here because struct dtls_client
 * embeds them by value (no heap).
 */
#ifndef DTLS_CRYPTO_H
#define DTLS_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

/* ---- hashes ---------------------------------------------------------- */

typedef struct {
    uint32_t h[8];
    uint64_t len;      /* bytes hashed so far */
    uint8_t buf[64];
} dtls_sha256_ctx;

typedef struct {
    uint64_t h[8];
    uint64_t len;      /* bytes hashed so far */
    uint8_t buf[128];
} dtls_sha512_ctx;

#define DTLS_HASH_MAX_DIGEST 64
#define DTLS_HASH_MAX_BLOCK 128

typedef union {
    dtls_sha256_ctx sha256;
    dtls_sha512_ctx sha512;
    uint64_t align;
} dtls_hash_ctx;

struct dtls_hash {
    const char *name;          /* "SHA-256" */
    size_t digest_len;         /* 32, 48, 64 */
    size_t block_len;          /* 64 or 128 (for HMAC) */
    void (*init)(dtls_hash_ctx *c);
    void (*update)(dtls_hash_ctx *c, const void *data, size_t len);
    void (*final)(dtls_hash_ctx *c, uint8_t *out); /* writes digest_len bytes, wipes c */
};

/* ---- AEADs ------------------------------------------------------------ */

typedef struct {
    uint64_t sk[30];      /* bitsliced round keys, compressed, fixsliced frame (expanded per call) */
    unsigned rounds;      /* 10, 12 or 14 */
} dtls_aes_key;

typedef struct {
    dtls_aes_key aes;
    uint64_t h[8];        /* GHASH key powers H, H^2, H^3, H^4 (H = E(K, 0^128)), big-endian halves */
} dtls_aes_gcm_ctx;

typedef struct {
    uint8_t key[32];
} dtls_chachapoly_ctx;

typedef union {
    dtls_aes_gcm_ctx gcm;
    dtls_chachapoly_ctx chacha;
    uint64_t handle[4];    /* a provider's own key state: e.g. a key slot in an accelerator */
} dtls_aead_ctx;

/* In place, 12-byte nonce, 16-byte tag. open returns 0, or -1 (bad tag; data zeroed). */
struct dtls_aead {
    const char *name;        /* "AES-128-GCM" */
    size_t key_len;          /* 16 or 32 */
    void (*init)(dtls_aead_ctx *c, const uint8_t *key);
    void (*seal)(const dtls_aead_ctx *c, const uint8_t nonce[12], const uint8_t *aad, size_t aad_len,
                 uint8_t *data, size_t len, uint8_t tag[16]);
    int (*open)(const dtls_aead_ctx *c, const uint8_t nonce[12], const uint8_t *aad, size_t aad_len,
                uint8_t *data, size_t len, const uint8_t tag[16]);
};

/* ---- the provider ----------------------------------------------------- */

struct dtls_crypto {
    const struct dtls_hash *sha256;
    const struct dtls_hash *sha384;             /* NULL: no SHA-384 suite, scheme or certificate hash */
    const struct dtls_hash *sha512;             /* certificate signatures only (ecdsa_with_SHA512,
                                                   sha512WithRSAEncryption); NULL: rejected */
    const struct dtls_aead *aes128gcm;          /* NULL: suite not offered */
    const struct dtls_aead *aes256gcm;
    const struct dtls_aead *chacha20poly1305;

    /* Key exchange. NULL: group not offered. */
    int (*x25519)(uint8_t shared[32], const uint8_t scalar[32], const uint8_t point[32]); /* -1: zero result */
    void (*x25519_base)(uint8_t pub[32], const uint8_t scalar[32]);
    int (*p256_pubkey)(uint8_t pub[65], const uint8_t priv[32]);                         /* -1: priv out of range */
    int (*p256_ecdh)(uint8_t z[32], const uint8_t priv[32], const uint8_t *peer, size_t peer_len);

    /* Signature verification: 0 valid, -1 invalid. NULL: scheme not offered. */
    int (*p256_verify)(const uint8_t *pub, size_t pub_len, const uint8_t *hash, size_t hash_len,
                       const uint8_t sig[64]);
    int (*p384_verify)(const uint8_t *pub, size_t pub_len, const uint8_t *hash, size_t hash_len,
                       const uint8_t sig[96]);
    int (*ed25519_verify)(const uint8_t pub[32], const uint8_t *msg, size_t msg_len, const uint8_t sig[64]);
    int (*rsa_pkcs1_verify)(const uint8_t *n, size_t n_len, const uint8_t *e, size_t e_len,
                            const struct dtls_hash *h, const uint8_t *hash, const uint8_t *sig, size_t sig_len);
    int (*rsa_pss_verify)(const uint8_t *n, size_t n_len, const uint8_t *e, size_t e_len,
                          const struct dtls_hash *h, const uint8_t *hash, size_t salt_len,
                          const uint8_t *sig, size_t sig_len);
};

/* Everything, portable C, with the hardware fast paths the CPU has (AES-GCM with
 * AES-NI + PCLMULQDQ on x86-64, chosen at run time). */
extern const struct dtls_crypto dtls_crypto_builtin;
/* The same without any hardware fast path: only the portable code. */
extern const struct dtls_crypto dtls_crypto_portable;

#endif
