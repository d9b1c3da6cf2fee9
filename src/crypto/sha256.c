/*
 * SHA-256 (FIPS 180-4, section 6.2).
 *
 * The message schedule is a 16-word ring: W[t] for t >= 16 overwrites
 * W[t - 16], which round t - 16 has already consumed, so
 *     W[t & 15] += s1(W[(t - 2) & 15]) + W[(t - 7) & 15] + s0(W[(t - 15) & 15]).
 *
 * Two forms of the compression function, same results:
 *  - fast (default): 16 rounds written out by macro inside a loop of four
 *    passes. Instead of the FIPS shuffle (h = g, g = f, ...) each round names
 *    the eight working variables in a rotated order, so nothing moves and
 *    they stay in registers; after 8 rounds the names line up again. With
 *    16 rounds per pass every ring index is a constant. (A full 64-round
 *    unroll measured no faster on x86-64 and is 4x the code.)
 *  - compact (-Os builds, or -DDTLS_SMALL_CODE; -DDTLS_FAST_CODE forces the
 *    fast form under -Os): one round per loop iteration, about 0.9 KB of
 *    Thumb-2 code with the constants instead of 3.5 KB.
 *
 * Nothing branches on, or indexes memory with, the data: the only branches
 * depend on lengths and loop counters, so hashing secrets (HMAC keys, HKDF
 * inputs) is constant time with respect to their contents. The schedule
 * ring is wiped after each call; the context is wiped by final.
 */
#include "crypto/sha2.h"
#include "crypto/util.h"

#include <string.h>

static const uint32_t K256[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#define ROTR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))
#define BSIG0(x) (ROTR(x, 2) ^ ROTR(x, 13) ^ ROTR(x, 22))
#define BSIG1(x) (ROTR(x, 6) ^ ROTR(x, 11) ^ ROTR(x, 25))
#define SSIG0(x) (ROTR(x, 7) ^ ROTR(x, 18) ^ ((x) >> 3))
#define SSIG1(x) (ROTR(x, 17) ^ ROTR(x, 19) ^ ((x) >> 10))
/* Ch(e,f,g) = (e & f) ^ (~e & g): pick f where e has a 1, else g. */
#define CH(e, f, g) ((g) ^ ((e) & ((f) ^ (g))))
/*
 * Maj(a,b,c), bitwise majority: where a == b the answer is b, elsewhere c
 * decides. The next round's (b, c) is this round's (a, b), so its b ^ c is
 * this round's a ^ b and the compiler computes it once (about 10% faster
 * than (a & b) | (c & (a | b)) on x86-64).
 */
#define MAJ(a, b, c) ((b) ^ (((a) ^ (b)) & ((b) ^ (c))))

/* Schedule word t (16 <= t < 64) in place in the ring; i = t mod 16. */
#define SCHED(i) (W[i] += SSIG1(W[((i) + 14) & 15]) + W[((i) + 9) & 15] + SSIG0(W[((i) + 1) & 15]))

#if defined(DTLS_SMALL_CODE) || (defined(__OPTIMIZE_SIZE__) && !defined(DTLS_FAST_CODE))

/* Compact form: one round per iteration, FIPS 180-4 variable shuffle. */
void dtls_sha256_blocks_portable(uint32_t st[8], const uint8_t *p, size_t nblocks)
{
    uint32_t W[16];
    while (nblocks--) {
        uint32_t a = st[0], b = st[1], c = st[2], d = st[3];
        uint32_t e = st[4], f = st[5], g = st[6], h = st[7];
        for (int i = 0; i < 16; i++)
            W[i] = dtls_load32_be(p + 4 * i);
        for (int t = 0; t < 64; t++) {
            int i = t & 15;
            if (t >= 16)
                SCHED(i);
            uint32_t t1 = h + BSIG1(e) + CH(e, f, g) + K256[t] + W[i];
            uint32_t t2 = BSIG0(a) + MAJ(a, b, c);
            h = g;
            g = f;
            f = e;
            e = d + t1;
            d = c;
            c = b;
            b = a;
            a = t1 + t2;
        }
        st[0] += a;
        st[1] += b;
        st[2] += c;
        st[3] += d;
        st[4] += e;
        st[5] += f;
        st[6] += g;
        st[7] += h;
        p += 64;
    }
    dtls_wipe(W, sizeof W);
}

#else

/* clang-format off */
/* One round: T1 is added into d (the new e) and into h (the new a). */
#define RND(a, b, c, d, e, f, g, h, k, w)                        \
    do {                                                         \
        uint32_t t1_ = (h) + BSIG1(e) + CH(e, f, g) + (k) + (w); \
        (d) += t1_;                                              \
        (h) = t1_ + BSIG0(a) + MAJ(a, b, c);                     \
    } while (0)

#define RND8(j, X)                                    \
    RND(a, b, c, d, e, f, g, h, K256[(j) + 0], X(0)); \
    RND(h, a, b, c, d, e, f, g, K256[(j) + 1], X(1)); \
    RND(g, h, a, b, c, d, e, f, K256[(j) + 2], X(2)); \
    RND(f, g, h, a, b, c, d, e, K256[(j) + 3], X(3)); \
    RND(e, f, g, h, a, b, c, d, K256[(j) + 4], X(4)); \
    RND(d, e, f, g, h, a, b, c, K256[(j) + 5], X(5)); \
    RND(c, d, e, f, g, h, a, b, K256[(j) + 6], X(6)); \
    RND(b, c, d, e, f, g, h, a, K256[(j) + 7], X(7))

/* Rounds 0..15 read the loaded words; later rounds schedule their word first. */
#define W_LOAD(i) W[i]
#define W_LOAD8(i) W[(i) + 8]
#define W_SCHED(i) SCHED(i)
#define W_SCHED8(i) SCHED((i) + 8)
/* clang-format on */

void dtls_sha256_blocks_portable(uint32_t st[8], const uint8_t *p, size_t nblocks)
{
    uint32_t W[16];
    while (nblocks--) {
        uint32_t a = st[0], b = st[1], c = st[2], d = st[3];
        uint32_t e = st[4], f = st[5], g = st[6], h = st[7];
        for (int i = 0; i < 16; i++)
            W[i] = dtls_load32_be(p + 4 * i);
        RND8(0, W_LOAD);
        RND8(8, W_LOAD8);
        for (int j = 16; j < 64; j += 16) {
            RND8(j, W_SCHED);
            RND8(j + 8, W_SCHED8);
        }
        st[0] += a;
        st[1] += b;
        st[2] += c;
        st[3] += d;
        st[4] += e;
        st[5] += f;
        st[6] += g;
        st[7] += h;
        p += 64;
    }
    dtls_wipe(W, sizeof W);
}

#endif

/* The fast path where the CPU has one (sha2.h), else the portable code. */
void dtls_sha256_blocks(uint32_t st[8], const uint8_t *p, size_t nblocks)
{
#ifdef DTLS_SHA256_HAVE_X86
    if (dtls_sha256_x86_available()) {
        dtls_sha256_x86_blocks(st, p, nblocks);
        return;
    }
#endif
    dtls_sha256_blocks_portable(st, p, nblocks);
}

int dtls_sha256_accelerated(void)
{
#ifdef DTLS_SHA256_HAVE_X86
    return dtls_sha256_x86_available();
#else
    return 0;
#endif
}

void dtls_sha256_init(dtls_sha256_ctx *c)
{
    static const uint32_t iv[8] = {
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
    };
    memcpy(c->h, iv, sizeof iv);
    c->len = 0;
    memset(c->buf, 0, sizeof c->buf);
}

void dtls_sha256_update(dtls_sha256_ctx *c, const void *data, size_t len)
{
    const uint8_t *p = (const uint8_t *)data;
    size_t used = (size_t)(c->len & 63);
    c->len += (uint64_t)len;
    if (used) {
        size_t take = 64 - used;
        if (len < take) {
            if (len)
                memcpy(c->buf + used, p, len);
            return;
        }
        memcpy(c->buf + used, p, take);
        dtls_sha256_blocks(c->h, c->buf, 1);
        p += take;
        len -= take;
    }
    if (len >= 64) {
        dtls_sha256_blocks(c->h, p, len / 64);
        p += len & ~(size_t)63;
        len &= 63;
    }
    if (len)
        memcpy(c->buf, p, len);
}

void dtls_sha256_final(dtls_sha256_ctx *c, uint8_t out[32])
{
    size_t used = (size_t)(c->len & 63);
    c->buf[used++] = 0x80;
    if (used > 56) {
        memset(c->buf + used, 0, 64 - used);
        dtls_sha256_blocks(c->h, c->buf, 1);
        used = 0;
    }
    memset(c->buf + used, 0, 56 - used);
    dtls_store64_be(c->buf + 56, c->len << 3);
    dtls_sha256_blocks(c->h, c->buf, 1);
    for (int i = 0; i < 8; i++)
        dtls_store32_be(out + 4 * i, c->h[i]);
    dtls_wipe(c, sizeof *c);
}

void dtls_sha256(const void *data, size_t len, uint8_t out[32])
{
    dtls_sha256_ctx c;
    dtls_sha256_init(&c);
    dtls_sha256_update(&c, data, len);
    dtls_sha256_final(&c, out);
}

static void hash_init(dtls_hash_ctx *c)
{
    dtls_sha256_init(&c->sha256);
}
static void hash_update(dtls_hash_ctx *c, const void *data, size_t len)
{
    dtls_sha256_update(&c->sha256, data, len);
}
static void hash_final(dtls_hash_ctx *c, uint8_t *out)
{
    dtls_sha256_final(&c->sha256, out);
}

const struct dtls_hash dtls_hash_sha256 = {
    "SHA-256", 32, 64, hash_init, hash_update, hash_final,
};
