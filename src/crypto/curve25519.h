/*
 * X25519 (RFC 7748) and Ed25519 (RFC 8032), constant time for secrets.
 *
 *   uint8_t priv[32], pub[32], shared[32];
 *   rng(priv, 32);
 *   dtls_x25519_base(pub, priv);
 *   if (dtls_x25519(shared, priv, peer_pub) != 0) ...   // -1: all-zero result (RFC 8446 7.4.2)
 */
#ifndef DTLS_CRYPTO_CURVE25519_H
#define DTLS_CRYPTO_CURVE25519_H

#include <stddef.h>
#include <stdint.h>

/* shared = X25519(scalar, point). Returns 0, or -1 when the result is all zero. */
int dtls_x25519(uint8_t shared[32], const uint8_t scalar[32], const uint8_t point[32]);
/* pub = X25519(scalar, 9) */
void dtls_x25519_base(uint8_t pub[32], const uint8_t scalar[32]);
/* u = X25519(k, 9) for an already clamped k, over Ed25519's fixed-base comb
 * (ed25519.c); dtls_x25519_base uses it on 64-bit hosts. */
void dtls_ed25519_x25519_base(uint8_t u[32], const uint8_t k[32]);

/* Returns 0 for a valid signature, -1 otherwise (non-canonical S or points rejected). */
int dtls_ed25519_verify(const uint8_t pub[32], const uint8_t *msg, size_t msg_len, const uint8_t sig[64]);
void dtls_ed25519_pubkey(uint8_t pub[32], const uint8_t seed[32]);
void dtls_ed25519_sign(uint8_t sig[64], const uint8_t seed[32], const uint8_t pub[32],
                       const uint8_t *msg, size_t msg_len);

#endif
