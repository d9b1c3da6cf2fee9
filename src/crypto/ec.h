/*
 * NIST P-256 (key generation, ECDH, ECDSA sign and verify) and P-384 (ECDSA
 * verify). Points travel as uncompressed SEC1 encodings (0x04 || X || Y).
 * Scalars and coordinates are big-endian. Constant time for secrets.
 *
 *   uint8_t priv[32], pub[65], z[32], sig[64];
 *   do rng(priv, 32); while (dtls_p256_pubkey(pub, priv) != 0);
 *   if (dtls_p256_ecdh(z, priv, peer, 65) != 0) ...         // -1: invalid peer point
 *   dtls_p256_ecdsa_sign(sig, priv, digest, 32);           // RFC 6979 nonce
 *   if (dtls_p256_ecdsa_verify(pub, digest, 32, sig) != 0) ...
 */
#ifndef DTLS_CRYPTO_EC_H
#define DTLS_CRYPTO_EC_H

#include <stddef.h>
#include <stdint.h>

/* pub = priv * G. Returns -1 (pub untouched) unless 1 <= priv < n. */
int dtls_p256_pubkey(uint8_t pub[65], const uint8_t priv[32]);
/* z = x-coordinate of priv * peer. peer must be a valid uncompressed point on the
 * curve (length 65, coordinates < p, on the curve, not infinity): -1 otherwise. */
int dtls_p256_ecdh(uint8_t z[32], const uint8_t priv[32], const uint8_t *peer, size_t peer_len);
/* sig = r || s with the RFC 6979 deterministic nonce (HMAC-SHA-256). The hash is
 * truncated/used per SEC1 (leftmost 256 bits). Returns -1 if priv is out of range. */
int dtls_p256_ecdsa_sign(uint8_t sig[64], const uint8_t priv[32], const uint8_t *hash, size_t hash_len);
/* Returns 0 when (r || s) is a valid signature of hash under pub, else -1. */
int dtls_p256_ecdsa_verify(const uint8_t *pub, size_t pub_len, const uint8_t *hash, size_t hash_len,
                           const uint8_t sig[64]);
int dtls_p384_ecdsa_verify(const uint8_t *pub, size_t pub_len, const uint8_t *hash, size_t hash_len,
                           const uint8_t sig[96]);

/*
 * Strict DER ECDSA-Sig-Value (SEQUENCE { INTEGER r, INTEGER s }) to fixed-width
 * r || s of 2*n bytes: minimal encodings only, no trailing bytes, 0 < r, s and
 * each fits n bytes. Returns 0 or -1.
 */
int dtls_ecdsa_der_to_rs(uint8_t *rs, size_t n, const uint8_t *der, size_t der_len);
/* r || s (2*n bytes) to DER; returns the DER length, or 0 if cap is too small.
 * cap of 2*n + 9 is always enough. */
size_t dtls_ecdsa_rs_to_der(uint8_t *der, size_t cap, const uint8_t *rs, size_t n);

#endif
