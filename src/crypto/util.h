/*
 * Small helpers shared by every crypto file: byte order, wiping secrets,
 * constant-time comparison and selection.
 *
 *   uint8_t a[32], b[32];
 *   if (dtls_ct_memeq(a, b, 32)) ...   // 1 when equal, 0 otherwise; time depends only on n
 *   dtls_wipe(a, sizeof a);            // not optimised away
 */
#ifndef DTLS_CRYPTO_UTIL_H
#define DTLS_CRYPTO_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Overwrite n bytes with zeros; the stores are kept even when p is never read again. */
void dtls_wipe(void *p, size_t n);

/* 1 if the n bytes at a and b are equal, else 0. Runs in time that depends only on n. */
int dtls_ct_memeq(const void *a, const void *b, size_t n);

/* 1 if all n bytes are zero, else 0; constant time in the contents. */
int dtls_ct_is_zero(const void *a, size_t n);

/* Marks n bytes at p as no longer secret because they are about to be output (e.g. a
 * signature, before it is checked with the public key). A no-op, except in the
 * constant-time checks (tests/ct), which define it to tell valgrind. */
#ifndef DTLS_CT_PUBLIC
#define DTLS_CT_PUBLIC(p, n) ((void)(p), (void)(n))
#endif

/* dst = cond ? src : dst, cond is 0 or 1, constant time. */
void dtls_ct_cmov(void *dst, const void *src, size_t n, uint32_t cond);

static inline uint32_t dtls_load32_be(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}
static inline uint32_t dtls_load32_le(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static inline uint64_t dtls_load64_be(const uint8_t *p)
{
    return ((uint64_t)dtls_load32_be(p) << 32) | (uint64_t)dtls_load32_be(p + 4);
}
static inline uint64_t dtls_load64_le(const uint8_t *p)
{
    return (uint64_t)dtls_load32_le(p) | ((uint64_t)dtls_load32_le(p + 4) << 32);
}
static inline void dtls_store32_be(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}
static inline void dtls_store32_le(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}
static inline void dtls_store64_be(uint8_t *p, uint64_t v)
{
    dtls_store32_be(p, (uint32_t)(v >> 32)); dtls_store32_be(p + 4, (uint32_t)v);
}
static inline void dtls_store64_le(uint8_t *p, uint64_t v)
{
    dtls_store32_le(p, (uint32_t)v); dtls_store32_le(p + 4, (uint32_t)(v >> 32));
}

#endif
