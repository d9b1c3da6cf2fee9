/*
 * The three TLS 1.3 AEADs behind one table, so the record layer never names
 * an algorithm. In-place, 12-byte nonce, 16-byte tag.
 *
 *   const struct dtls_aead *a = &dtls_aead_aes128gcm;
 *   dtls_aead_ctx k;
 *   a->init(&k, key);
 *   a->seal(&k, nonce, hdr, 5, buf, len, buf + len);
 */
#ifndef DTLS_CRYPTO_AEAD_H
#define DTLS_CRYPTO_AEAD_H

#include "crypto/aes.h"
#include "crypto/chacha.h"

extern const struct dtls_aead dtls_aead_aes128gcm;
extern const struct dtls_aead dtls_aead_aes256gcm;
extern const struct dtls_aead dtls_aead_chacha20poly1305;
/* AES-GCM without the hardware fast path, whatever the CPU (tests, comparisons). */
extern const struct dtls_aead dtls_aead_aes128gcm_portable;
extern const struct dtls_aead dtls_aead_aes256gcm_portable;

#endif
