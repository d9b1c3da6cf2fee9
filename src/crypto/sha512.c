/*
 * SHA-512 and SHA-384 (FIPS 180-4, sections 6.4 and 6.5).
 *
 * SHA-384 is SHA-512 with other initial values, truncated to 48 bytes; the
 * two share the context type, the compression function and the update
 * function. The compression function has the layout of the SHA-256 one
 * (see sha256.c): a 16-word schedule ring; by default 16 rounds unrolled by
 * macro with rotated variable names, run as five passes (80 rounds); a
 * compact one-round loop under -Os or -DDTLS_SMALL_CODE (2.2 KB of Thumb-2
 * code with the constants, instead of 13 KB: 64-bit arithmetic is
 * expensive in code on a 32-bit core).
 *
 * Lengths: the context counts bytes in a uint64_t, so messages up to
 * 2^64 - 1 bytes are supported; the 128-bit bit-length field of the
 * padding is (len >> 61) : (len << 3).
 *
 * Only lengths drive branches; the data never selects a branch or an
 * address.
 */
#include "crypto/sha2.h"
#include "crypto/util.h"

#include <string.h>

static const uint64_t K512[80] = {
    0x428a2f98d728ae22ULL, 0x7137449123ef65cdULL, 0xb5c0fbcfec4d3b2fULL, 0xe9b5dba58189dbbcULL,
    0x3956c25bf348b538ULL, 0x59f111f1b605d019ULL, 0x923f82a4af194f9bULL, 0xab1c5ed5da6d8118ULL,
    0xd807aa98a3030242ULL, 0x12835b0145706fbeULL, 0x243185be4ee4b28cULL, 0x550c7dc3d5ffb4e2ULL,
    0x72be5d74f27b896fULL, 0x80deb1fe3b1696b1ULL, 0x9bdc06a725c71235ULL, 0xc19bf174cf692694ULL,
    0xe49b69c19ef14ad2ULL, 0xefbe4786384f25e3ULL, 0x0fc19dc68b8cd5b5ULL, 0x240ca1cc77ac9c65ULL,
    0x2de92c6f592b0275ULL, 0x4a7484aa6ea6e483ULL, 0x5cb0a9dcbd41fbd4ULL, 0x76f988da831153b5ULL,
    0x983e5152ee66dfabULL, 0xa831c66d2db43210ULL, 0xb00327c898fb213fULL, 0xbf597fc7beef0ee4ULL,
    0xc6e00bf33da88fc2ULL, 0xd5a79147930aa725ULL, 0x06ca6351e003826fULL, 0x142929670a0e6e70ULL,
    0x27b70a8546d22ffcULL, 0x2e1b21385c26c926ULL, 0x4d2c6dfc5ac42aedULL, 0x53380d139d95b3dfULL,
    0x650a73548baf63deULL, 0x766a0abb3c77b2a8ULL, 0x81c2c92e47edaee6ULL, 0x92722c851482353bULL,
    0xa2bfe8a14cf10364ULL, 0xa81a664bbc423001ULL, 0xc24b8b70d0f89791ULL, 0xc76c51a30654be30ULL,
    0xd192e819d6ef5218ULL, 0xd69906245565a910ULL, 0xf40e35855771202aULL, 0x106aa07032bbd1b8ULL,
    0x19a4c116b8d2d0c8ULL, 0x1e376c085141ab53ULL, 0x2748774cdf8eeb99ULL, 0x34b0bcb5e19b48a8ULL,
    0x391c0cb3c5c95a63ULL, 0x4ed8aa4ae3418acbULL, 0x5b9cca4f7763e373ULL, 0x682e6ff3d6b2b8a3ULL,
    0x748f82ee5defb2fcULL, 0x78a5636f43172f60ULL, 0x84c87814a1f0ab72ULL, 0x8cc702081a6439ecULL,
    0x90befffa23631e28ULL, 0xa4506cebde82bde9ULL, 0xbef9a3f7b2c67915ULL, 0xc67178f2e372532bULL,
    0xca273eceea26619cULL, 0xd186b8c721c0c207ULL, 0xeada7dd6cde0eb1eULL, 0xf57d4f7fee6ed178ULL,
    0x06f067aa72176fbaULL, 0x0a637dc5a2c898a6ULL, 0x113f9804bef90daeULL, 0x1b710b35131c471bULL,
    0x28db77f523047d84ULL, 0x32caab7b40c72493ULL, 0x3c9ebe0a15c9bebcULL, 0x431d67c49c100d4cULL,
    0x4cc5d4becb3e42b6ULL, 0x597f299cfc657e2aULL, 0x5fcb6fab3ad6faecULL, 0x6c44198c4a475817ULL,
};

#define ROTR(x, n) (((x) >> (n)) | ((x) << (64 - (n))))
#define BSIG0(x) (ROTR(x, 28) ^ ROTR(x, 34) ^ ROTR(x, 39))
#define BSIG1(x) (ROTR(x, 14) ^ ROTR(x, 18) ^ ROTR(x, 41))
#define SSIG0(x) (ROTR(x, 1) ^ ROTR(x, 8) ^ ((x) >> 7))
#define SSIG1(x) (ROTR(x, 19) ^ ROTR(x, 61) ^ ((x) >> 6))
#define CH(e, f, g) ((g) ^ ((e) & ((f) ^ (g))))
/* Ch and Maj as in sha256.c. */
#define MAJ(a, b, c) ((b) ^ (((a) ^ (b)) & ((b) ^ (c))))

#define SCHED(i) (W[i] += SSIG1(W[((i) + 14) & 15]) + W[((i) + 9) & 15] + SSIG0(W[((i) + 1) & 15]))

#if defined(DTLS_SMALL_CODE) || (defined(__OPTIMIZE_SIZE__) && !defined(DTLS_FAST_CODE))

/* Compact form: one round per iteration, FIPS 180-4 variable shuffle. */
static void sha512_blocks(uint64_t st[8], const uint8_t *p, size_t nblocks)
{
    uint64_t W[16];
    while (nblocks--) {
        uint64_t a = st[0], b = st[1], c = st[2], d = st[3];
        uint64_t e = st[4], f = st[5], g = st[6], h = st[7];
        for (int i = 0; i < 16; i++)
            W[i] = dtls_load64_be(p + 8 * i);
        for (int t = 0; t < 80; t++) {
            int i = t & 15;
            if (t >= 16)
                SCHED(i);
            uint64_t t1 = h + BSIG1(e) + CH(e, f, g) + K512[t] + W[i];
            uint64_t t2 = BSIG0(a) + MAJ(a, b, c);
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
        p += 128;
    }
    dtls_wipe(W, sizeof W);
}

#else

/* clang-format off */
/* One round: T1 is added into d (the new e) and into h (the new a). */
#define RND(a, b, c, d, e, f, g, h, k, w)                        \
    do {                                                         \
        uint64_t t1_ = (h) + BSIG1(e) + CH(e, f, g) + (k) + (w); \
        (d) += t1_;                                              \
        (h) = t1_ + BSIG0(a) + MAJ(a, b, c);                     \
    } while (0)

#define RND8(j, X)                                    \
    RND(a, b, c, d, e, f, g, h, K512[(j) + 0], X(0)); \
    RND(h, a, b, c, d, e, f, g, K512[(j) + 1], X(1)); \
    RND(g, h, a, b, c, d, e, f, K512[(j) + 2], X(2)); \
    RND(f, g, h, a, b, c, d, e, K512[(j) + 3], X(3)); \
    RND(e, f, g, h, a, b, c, d, K512[(j) + 4], X(4)); \
    RND(d, e, f, g, h, a, b, c, K512[(j) + 5], X(5)); \
    RND(c, d, e, f, g, h, a, b, K512[(j) + 6], X(6)); \
    RND(b, c, d, e, f, g, h, a, K512[(j) + 7], X(7))

#define W_LOAD(i) W[i]
#define W_LOAD8(i) W[(i) + 8]
#define W_SCHED(i) SCHED(i)
#define W_SCHED8(i) SCHED((i) + 8)
/* clang-format on */

static void sha512_blocks(uint64_t st[8], const uint8_t *p, size_t nblocks)
{
    uint64_t W[16];
    while (nblocks--) {
        uint64_t a = st[0], b = st[1], c = st[2], d = st[3];
        uint64_t e = st[4], f = st[5], g = st[6], h = st[7];
        for (int i = 0; i < 16; i++)
            W[i] = dtls_load64_be(p + 8 * i);
        RND8(0, W_LOAD);
        RND8(8, W_LOAD8);
        for (int j = 16; j < 80; j += 16) {
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
        p += 128;
    }
    dtls_wipe(W, sizeof W);
}

#endif

static void sha512_start(dtls_sha512_ctx *c, const uint64_t iv[8])
{
    memcpy(c->h, iv, 8 * sizeof iv[0]);
    c->len = 0;
    memset(c->buf, 0, sizeof c->buf);
}

void dtls_sha512_init(dtls_sha512_ctx *c)
{
    static const uint64_t iv[8] = {
        0x6a09e667f3bcc908ULL, 0xbb67ae8584caa73bULL, 0x3c6ef372fe94f82bULL, 0xa54ff53a5f1d36f1ULL,
        0x510e527fade682d1ULL, 0x9b05688c2b3e6c1fULL, 0x1f83d9abfb41bd6bULL, 0x5be0cd19137e2179ULL,
    };
    sha512_start(c, iv);
}

void dtls_sha384_init(dtls_sha512_ctx *c)
{
    static const uint64_t iv[8] = {
        0xcbbb9d5dc1059ed8ULL, 0x629a292a367cd507ULL, 0x9159015a3070dd17ULL, 0x152fecd8f70e5939ULL,
        0x67332667ffc00b31ULL, 0x8eb44a8768581511ULL, 0xdb0c2e0d64f98fa7ULL, 0x47b5481dbefa4fa4ULL,
    };
    sha512_start(c, iv);
}

void dtls_sha512_update(dtls_sha512_ctx *c, const void *data, size_t len)
{
    const uint8_t *p = (const uint8_t *)data;
    size_t used = (size_t)(c->len & 127);
    c->len += (uint64_t)len;
    if (used) {
        size_t take = 128 - used;
        if (len < take) {
            if (len)
                memcpy(c->buf + used, p, len);
            return;
        }
        memcpy(c->buf + used, p, take);
        sha512_blocks(c->h, c->buf, 1);
        p += take;
        len -= take;
    }
    if (len >= 128) {
        sha512_blocks(c->h, p, len / 128);
        p += len & ~(size_t)127;
        len &= 127;
    }
    if (len)
        memcpy(c->buf, p, len);
}

/* Pads, runs the last block(s) and writes the first out_len bytes of the state; wipes c. */
static void sha512_finish(dtls_sha512_ctx *c, uint8_t *out, size_t out_len)
{
    uint8_t full[64];
    size_t used = (size_t)(c->len & 127);
    c->buf[used++] = 0x80;
    if (used > 112) {
        memset(c->buf + used, 0, 128 - used);
        sha512_blocks(c->h, c->buf, 1);
        used = 0;
    }
    memset(c->buf + used, 0, 112 - used);
    dtls_store64_be(c->buf + 112, c->len >> 61);
    dtls_store64_be(c->buf + 120, c->len << 3);
    sha512_blocks(c->h, c->buf, 1);
    for (int i = 0; i < 8; i++)
        dtls_store64_be(full + 8 * i, c->h[i]);
    memcpy(out, full, out_len);
    dtls_wipe(full, sizeof full);
    dtls_wipe(c, sizeof *c);
}

void dtls_sha512_final(dtls_sha512_ctx *c, uint8_t out[64])
{
    sha512_finish(c, out, 64);
}

void dtls_sha384_final(dtls_sha512_ctx *c, uint8_t out[48])
{
    sha512_finish(c, out, 48);
}

void dtls_sha512(const void *data, size_t len, uint8_t out[64])
{
    dtls_sha512_ctx c;
    dtls_sha512_init(&c);
    dtls_sha512_update(&c, data, len);
    dtls_sha512_final(&c, out);
}

void dtls_sha384(const void *data, size_t len, uint8_t out[48])
{
    dtls_sha512_ctx c;
    dtls_sha384_init(&c);
    dtls_sha512_update(&c, data, len);
    dtls_sha384_final(&c, out);
}

static void h384_init(dtls_hash_ctx *c)
{
    dtls_sha384_init(&c->sha512);
}
static void h512_init(dtls_hash_ctx *c)
{
    dtls_sha512_init(&c->sha512);
}
static void h512_update(dtls_hash_ctx *c, const void *data, size_t len)
{
    dtls_sha512_update(&c->sha512, data, len);
}
static void h384_final(dtls_hash_ctx *c, uint8_t *out)
{
    dtls_sha384_final(&c->sha512, out);
}
static void h512_final(dtls_hash_ctx *c, uint8_t *out)
{
    dtls_sha512_final(&c->sha512, out);
}

const struct dtls_hash dtls_hash_sha384 = {
    "SHA-384", 48, 128, h384_init, h512_update, h384_final,
};
const struct dtls_hash dtls_hash_sha512 = {
    "SHA-512", 64, 128, h512_init, h512_update, h512_final,
};
