/*
 * The SHA-256 compression function with the x86 SHA extensions
 * (SHA256RNDS2, SHA256MSG1, SHA256MSG2), the fast path of sha256.c, which
 * calls it for every batch of blocks when dtls_sha256_x86_available() says
 * the CPU has them. Detection is __builtin_cpu_supports() (CPUID once, in
 * the compiler's runtime; no state here), which knows "sha" from GCC 12 on:
 * sha2.h enables this file for GCC >= 12 on x86-64 only, elsewhere it is
 * empty and the portable code runs.
 *
 * The instructions keep the state as two registers, ABEF = (A, B, E, F) and
 * CDGH = (C, D, G, H), highest lane first. SHA256RNDS2 runs two rounds: it
 * takes CDGH, ABEF and two schedule words (plus constants) in the low lanes
 * of its third operand and returns the new ABEF; the old ABEF is the new
 * CDGH. So four rounds are two calls with the operands swapped, the second
 * with the upper two words moved down. Schedule words 16..63 come four at a
 * time: W[t..t+3] = MSG2(MSG1(W[t-16..], W[t-12..]) + W[t-7..t-4], W[t-4..]),
 * where MSG1 adds sigma0 of the words that follow and MSG2 adds sigma1 of
 * the words before (computed inside, hence its W[t-4..] operand), and
 * W[t-7..t-4] is the 4-byte alignment of the two previous groups.
 *
 * No branches or memory indexes depend on the data; the instructions run in
 * data-independent time.
 */
#include "crypto/sha2.h"
#include "crypto/util.h"

#ifdef DTLS_SHA256_HAVE_X86

#include <immintrin.h>

#define TARGET __attribute__((target("sha,sse4.1,ssse3")))

static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

int dtls_sha256_x86_available(void)
{
    return __builtin_cpu_supports("sha") && __builtin_cpu_supports("sse4.1") && __builtin_cpu_supports("ssse3");
}

/* Four rounds with schedule words w (W[t..t+3]) and constants K[t..t+3]. */
#define ROUNDS4(w, t)                                                                                        \
    do {                                                                                                     \
        __m128i wk_ = _mm_add_epi32((w), _mm_loadu_si128((const __m128i *)&K[t]));                           \
        cdgh = _mm_sha256rnds2_epu32(cdgh, abef, wk_);                                                       \
        abef = _mm_sha256rnds2_epu32(abef, cdgh, _mm_shuffle_epi32(wk_, 0x0e));                              \
    } while (0)

/* The next four schedule words from the last sixteen (m0 oldest). */
#define SCHED4(m0, m1, m2, m3)                                                                               \
    _mm_sha256msg2_epu32(_mm_add_epi32(_mm_sha256msg1_epu32((m0), (m1)), _mm_alignr_epi8((m3), (m2), 4)), (m3))

TARGET void dtls_sha256_x86_blocks(uint32_t st[8], const uint8_t *p, size_t nblocks)
{
    /* bytes of each 32-bit word reversed: the message words are big-endian */
    const __m128i bswap = _mm_set_epi8(12, 13, 14, 15, 8, 9, 10, 11, 4, 5, 6, 7, 0, 1, 2, 3);
    __m128i abcd = _mm_loadu_si128((const __m128i *)&st[0]); /* lanes a, b, c, d */
    __m128i efgh = _mm_loadu_si128((const __m128i *)&st[4]); /* lanes e, f, g, h */
    __m128i t = _mm_shuffle_epi32(abcd, 0xb1);               /* b, a, d, c */
    __m128i abef, cdgh;
    efgh = _mm_shuffle_epi32(efgh, 0x1b);                    /* h, g, f, e */
    abef = _mm_alignr_epi8(t, efgh, 8);                      /* f, e, b, a */
    cdgh = _mm_blend_epi16(efgh, t, 0xf0);                   /* h, g, d, c */

    while (nblocks--) {
        __m128i abef0 = abef, cdgh0 = cdgh, m0, m1, m2, m3;
        m0 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 0)), bswap);
        m1 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 16)), bswap);
        m2 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 32)), bswap);
        m3 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 48)), bswap);
        ROUNDS4(m0, 0);
        ROUNDS4(m1, 4);
        ROUNDS4(m2, 8);
        ROUNDS4(m3, 12);
        for (int r = 16; r < 64; r += 16) {
            m0 = SCHED4(m0, m1, m2, m3);
            ROUNDS4(m0, r);
            m1 = SCHED4(m1, m2, m3, m0);
            ROUNDS4(m1, r + 4);
            m2 = SCHED4(m2, m3, m0, m1);
            ROUNDS4(m2, r + 8);
            m3 = SCHED4(m3, m0, m1, m2);
            ROUNDS4(m3, r + 12);
        }
        abef = _mm_add_epi32(abef, abef0);
        cdgh = _mm_add_epi32(cdgh, cdgh0);
        p += 64;
    }

    t = _mm_shuffle_epi32(abef, 0x1b);              /* a, b, e, f */
    cdgh = _mm_shuffle_epi32(cdgh, 0xb1);           /* g, h, c, d */
    abcd = _mm_blend_epi16(t, cdgh, 0xf0);          /* a, b, c, d */
    efgh = _mm_alignr_epi8(cdgh, t, 8);             /* e, f, g, h */
    _mm_storeu_si128((__m128i *)&st[0], abcd);
    _mm_storeu_si128((__m128i *)&st[4], efgh);
}

#else

/* Not GCC >= 12 on x86-64: nothing here (sha256.c never calls this file). */
typedef int dtls_sha256_x86_empty;

#endif
