#include "crypto/util.h"

#include <string.h>

/*
 * With GCC and clang: memset (word-sized stores; a handshake wipes tens of
 * kilobytes of hash and key state, which byte-wise volatile stores made 3-4%
 * of its instructions), then an empty asm statement that takes p and
 * clobbers memory, so the compiler must assume the zeros are read and
 * cannot drop the memset as a dead store. Elsewhere: volatile byte stores.
 */
void dtls_wipe(void *p, size_t n)
{
#if defined(__GNUC__) || defined(__clang__)
    memset(p, 0, n);
    __asm__ __volatile__("" : : "r"(p) : "memory");
#else
    volatile uint8_t *v = (volatile uint8_t *)p;
    while (n--)
        *v++ = 0;
#endif
}

int dtls_ct_memeq(const void *a, const void *b, size_t n)
{
    const uint8_t *x = (const uint8_t *)a, *y = (const uint8_t *)b;
    uint32_t d = 0;
    for (size_t i = 0; i < n; i++)
        d |= (uint32_t)(x[i] ^ y[i]);
    /* d is in 0..255: (d - 1) >> 31 is 1 exactly when d == 0. */
    return (int)((d - 1) >> 31);
}

int dtls_ct_is_zero(const void *a, size_t n)
{
    const uint8_t *x = (const uint8_t *)a;
    uint32_t d = 0;
    for (size_t i = 0; i < n; i++)
        d |= x[i];
    return (int)((d - 1) >> 31);
}

void dtls_ct_cmov(void *dst, const void *src, size_t n, uint32_t cond)
{
    uint8_t *d = (uint8_t *)dst;
    const uint8_t *s = (const uint8_t *)src;
    uint8_t mask = (uint8_t)(0u - (cond & 1u));
    for (size_t i = 0; i < n; i++)
        d[i] = (uint8_t)(d[i] ^ (mask & (d[i] ^ s[i])));
}
