/*
 * The built-in algorithms one by one, for a crypto provider table of your own
 * (struct dtls_crypto, <dtls/crypto.h>). Name in it only what the device
 * uses: with -ffunction-sections and --gc-sections nothing else is linked.
 *
 *   #include <dtls/crypto_algs.h>
 *
 *   static const struct dtls_crypto fw_crypto = {
 *       .sha256 = &dtls_hash_sha256,
 *       .aes128gcm = &dtls_aead_aes128gcm,         // TLS_AES_128_GCM_SHA256 only
 *       .x25519 = dtls_x25519,                     // key exchange: x25519 only
 *       .x25519_base = dtls_x25519_base,
 *       .p256_verify = dtls_p256_ecdsa_verify,     // ECDSA P-256 chains only
 *   };
 *   cfg.crypto = &fw_crypto;
 *
 * Build the library with -DDTLS_CONFIG_NO_BUILTIN_CRYPTO so that nothing in
 * it refers to dtls_crypto_builtin (the table of every algorithm): then
 * cfg.crypto is required, and so is dtls_x509_validator_set_crypto() for a
 * validator used on its own. See docs/PORTING.md, "Choosing algorithms".
 *
 * Every function follows the conventions of the matching struct dtls_crypto
 * hook; the ones without a hook (signing, SHA one-shots) are for the
 * application's own use, e.g. a software stand-in for a secure element.
 */
#ifndef DTLS_CRYPTO_ALGS_H
#define DTLS_CRYPTO_ALGS_H

#include <stddef.h>
#include <stdint.h>

#include <dtls/crypto.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Hashes (.sha256, .sha384, .sha512) and one-shot helpers. */
extern const struct dtls_hash dtls_hash_sha256;
extern const struct dtls_hash dtls_hash_sha384;
extern const struct dtls_hash dtls_hash_sha512;
void dtls_sha256(const void *data, size_t len, uint8_t out[32]);
void dtls_sha384(const void *data, size_t len, uint8_t out[48]);
void dtls_sha512(const void *data, size_t len, uint8_t out[64]);

/* AEADs (.aes128gcm, .aes256gcm, .chacha20poly1305): constant time. The AES-GCM
 * ones use AES-NI + PCLMULQDQ when an x86-64 CPU has them (decided at key setup)
 * and the portable code otherwise; the _portable ones always use the portable
 * code (to compare, or to test it on such a CPU). */
extern const struct dtls_aead dtls_aead_aes128gcm;
extern const struct dtls_aead dtls_aead_aes256gcm;
extern const struct dtls_aead dtls_aead_chacha20poly1305;
extern const struct dtls_aead dtls_aead_aes128gcm_portable;
extern const struct dtls_aead dtls_aead_aes256gcm_portable;

/* Key exchange. x25519: -1 for an all-zero result. p256_pubkey: -1 when priv is
 * not in [1, n-1] (draw another). p256_ecdh: -1 for an invalid peer point. */
int dtls_x25519(uint8_t shared[32], const uint8_t scalar[32], const uint8_t point[32]);
void dtls_x25519_base(uint8_t pub[32], const uint8_t scalar[32]);
int dtls_p256_pubkey(uint8_t pub[65], const uint8_t priv[32]);
int dtls_p256_ecdh(uint8_t z[32], const uint8_t priv[32], const uint8_t *peer, size_t peer_len);

/* Signature verification: 0 valid, -1 invalid. ECDSA signatures are r || s. */
int dtls_p256_ecdsa_verify(const uint8_t *pub, size_t pub_len, const uint8_t *hash, size_t hash_len,
                           const uint8_t sig[64]);
int dtls_p384_ecdsa_verify(const uint8_t *pub, size_t pub_len, const uint8_t *hash, size_t hash_len,
                           const uint8_t sig[96]);
int dtls_ed25519_verify(const uint8_t pub[32], const uint8_t *msg, size_t msg_len, const uint8_t sig[64]);
int dtls_rsa_pkcs1_verify(const uint8_t *n, size_t n_len, const uint8_t *e, size_t e_len,
                          const struct dtls_hash *h, const uint8_t *hash, const uint8_t *sig, size_t sig_len);
int dtls_rsa_pss_verify(const uint8_t *n, size_t n_len, const uint8_t *e, size_t e_len,
                        const struct dtls_hash *h, const uint8_t *hash, size_t salt_len,
                        const uint8_t *sig, size_t sig_len);

/* Signing (for cfg.sign when the key is in the MCU; RSA-PSS below): ECDSA P-256 with
 * RFC 6979 nonces, r || s out, 0 or -1 (priv out of range); Ed25519 from a 32-byte seed. */
int dtls_p256_ecdsa_sign(uint8_t sig[64], const uint8_t priv[32], const uint8_t *hash, size_t hash_len);
void dtls_ed25519_pubkey(uint8_t pub[32], const uint8_t seed[32]);
void dtls_ed25519_sign(uint8_t sig[64], const uint8_t seed[32], const uint8_t pub[32], const uint8_t *msg,
                       size_t msg_len);

/* An RSA private key in CRT form (RFC 8017 3.2, the fields of PKCS#1 RSAPrivateKey but d):
 * big-endian integers, leading zeros allowed, pointing into the caller's memory (e.g. the
 * decoded DER, see dtls_x509_rsa_private_key_from_der() in <dtls/x509.h>). Secret. */
struct dtls_rsa_private_key {
    const uint8_t *n, *e, *p, *q, *dp, *dq, *qinv;
    size_t n_len, e_len, p_len, q_len, dp_len, dq_len, qinv_len;
};

/* RSASSA-PSS over hash (h->digest_len bytes) with MGF1(h) and the caller's salt (random;
 * TLS 1.3 uses salt_len = h->digest_len). 2048..4096-bit keys whose primes are at most half
 * of DTLS_RSA_MAX_BITS. sig gets k bytes (the modulus size): *sig_len is the capacity on
 * entry and k on return. Constant time in the key; the signature is checked with the
 * public key before it is returned, so an inconsistent key gives -1, never a bad
 * signature. Stack: about 8.5 KB (x86-64; 8.2 KB on Cortex-M4), whatever the key size:
 * the numbers are sized for DTLS_RSA_MAX_BITS (4096). */
int dtls_rsa_pss_sign(const struct dtls_rsa_private_key *key, const struct dtls_hash *h, const uint8_t *hash,
                      const uint8_t *salt, size_t salt_len, uint8_t *sig, size_t *sig_len);

#ifdef __cplusplus
}
#endif

#endif
