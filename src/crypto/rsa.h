/*
 * RSA signature verification, 2048..4096-bit moduli, and RSASSA-PSS signing:
 * PKCS#1 v1.5 (exact encoded DigestInfo comparison) and PSS (MGF1 with the
 * same hash, salt length checked). n and e are big-endian, leading zeros allowed.
 *
 *   if (dtls_rsa_pss_verify(n, n_len, e, e_len, &dtls_hash_sha256, digest, 32, sig, sig_len) != 0)
 *       ...   // -1: invalid
 */
#ifndef DTLS_CRYPTO_RSA_H
#define DTLS_CRYPTO_RSA_H

#include "crypto/sha2.h"
#include <dtls/crypto_algs.h> /* struct dtls_rsa_private_key */

#define DTLS_RSA_MIN_BITS 2048
#define DTLS_RSA_MAX_BITS 4096

/* Returns 0 when sig is a PKCS#1 v1.5 signature over hash (digest_len bytes of h). */
int dtls_rsa_pkcs1_verify(const uint8_t *n, size_t n_len, const uint8_t *e, size_t e_len,
                          const struct dtls_hash *h, const uint8_t *hash, const uint8_t *sig, size_t sig_len);
/* Returns 0 when sig is an RSASSA-PSS signature over hash with MGF1(h) and salt of salt_len bytes. */
int dtls_rsa_pss_verify(const uint8_t *n, size_t n_len, const uint8_t *e, size_t e_len,
                        const struct dtls_hash *h, const uint8_t *hash, size_t salt_len,
                        const uint8_t *sig, size_t sig_len);
/* RSASSA-PSS signing with a CRT private key, constant time (see <dtls/crypto_algs.h>). */
int dtls_rsa_pss_sign(const struct dtls_rsa_private_key *key, const struct dtls_hash *h, const uint8_t *hash,
                      const uint8_t *salt, size_t salt_len, uint8_t *sig, size_t *sig_len);
/* Size of the modulus in bits after stripping leading zeros (0 for an empty one). */
size_t dtls_rsa_modulus_bits(const uint8_t *n, size_t n_len);

#endif
