/*
 * SHA-256, SHA-384 and SHA-512 (FIPS 180-4), streaming, no heap.
 *
 *   dtls_sha256_ctx c;
 *   uint8_t md[32];
 *   dtls_sha256_init(&c);
 *   dtls_sha256_update(&c, "abc", 3);
 *   dtls_sha256_final(&c, md);          // c is wiped afterwards
 *
 * A context may be copied by value to fork a running hash (the TLS
 * transcript does this to get an intermediate hash).
 */
#ifndef DTLS_CRYPTO_SHA2_H
#define DTLS_CRYPTO_SHA2_H

#include <dtls/crypto.h>

void dtls_sha256_init(dtls_sha256_ctx *c);
void dtls_sha256_update(dtls_sha256_ctx *c, const void *data, size_t len);
void dtls_sha256_final(dtls_sha256_ctx *c, uint8_t out[32]);
void dtls_sha256(const void *data, size_t len, uint8_t out[32]);

void dtls_sha384_init(dtls_sha512_ctx *c);
void dtls_sha384_final(dtls_sha512_ctx *c, uint8_t out[48]);
void dtls_sha384(const void *data, size_t len, uint8_t out[48]);

void dtls_sha512_init(dtls_sha512_ctx *c);
void dtls_sha512_update(dtls_sha512_ctx *c, const void *data, size_t len); /* also for SHA-384 */
void dtls_sha512_final(dtls_sha512_ctx *c, uint8_t out[64]);
void dtls_sha512(const void *data, size_t len, uint8_t out[64]);

/*
 * The SHA-256 compression function over n 64-byte blocks: dtls_sha256_blocks
 * takes the CPU's SHA extensions where there are some (x86-64, see
 * sha256_x86.c) and the portable code otherwise; the _portable one always
 * runs the portable code. dtls_sha256_accelerated() says which one the first
 * is. (The streaming functions above use dtls_sha256_blocks.)
 */
void dtls_sha256_blocks(uint32_t h[8], const uint8_t *p, size_t nblocks);
void dtls_sha256_blocks_portable(uint32_t h[8], const uint8_t *p, size_t nblocks);
int dtls_sha256_accelerated(void);

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12
/* __builtin_cpu_supports("sha") exists from GCC 12 */
#define DTLS_SHA256_HAVE_X86 1
int dtls_sha256_x86_available(void);
void dtls_sha256_x86_blocks(uint32_t h[8], const uint8_t *p, size_t nblocks);
#endif

/* The hashes as values (struct dtls_hash in <dtls/crypto.h>). */
extern const struct dtls_hash dtls_hash_sha256;
extern const struct dtls_hash dtls_hash_sha384;
extern const struct dtls_hash dtls_hash_sha512;

#endif
