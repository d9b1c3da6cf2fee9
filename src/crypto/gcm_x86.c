/*
 * AES-GCM with the x86-64 AES-NI and PCLMULQDQ instructions, the fast path of
 * gcm.c. gcm.c asks dtls_aes_gcm_x86_init() first; when the CPU has the
 * instructions (and the key is 128 or 256 bits) the context is laid out for
 * this file and marked in its `rounds` field, and gcm.c hands every
 * operation on it here. Everywhere else (other CPUs, AES-192, other
 * architectures, dtls_aes_gcm_init_portable) the portable bitsliced code runs;
 * it stays built and tested.
 *
 * Detection is __builtin_cpu_supports(): the compiler's runtime runs CPUID
 * once at start-up and keeps the answer in its own data, so this library
 * keeps no state of its own and pays nothing per key (a CPUID instruction
 * costs microseconds inside a virtual machine). The functions that use the
 * instructions carry __attribute__((target(...))), so the rest of the
 * library is compiled for the baseline x86-64 and this file for any other
 * architecture is empty.
 *
 * Context layout when accelerated (the portable fields reused, same size):
 *   aes.sk[0 .. 2 (rounds + 1))  the expanded round keys, 16 bytes each
 *                                (15 for AES-256: exactly the 240 bytes of sk)
 *   aes.rounds                   10 or 14, | DTLS_AES_GCM_X86
 *   h[0 .. 8)                    H, H^2, H^3, H^4 as 128-bit values (below)
 *
 * GHASH. A block is loaded byte-reversed, so the register holds the block
 * read as a big-endian 128-bit integer V, exactly the (hi, lo) = (y[0], y[1])
 * of gcm.c, whose header explains the reflected arithmetic: PCLMULQDQ gives
 * the carry-less 255-bit product, one left shift makes it rev256(A B) =
 * (z3, z2, z1, z0), and z1:z0 is folded back in two steps,
 *   z2 ^= z0 ^ (z0 >> 1) ^ (z0 >> 2) ^ (z0 >> 7),  z1 ^= (z0 << 63) ^ (z0 << 62) ^ (z0 << 57),
 *   z3 ^= z1 ^ (z1 >> 1) ^ (z1 >> 2) ^ (z1 >> 7),  z2 ^= (z1 << 63) ^ (z1 << 62) ^ (z1 << 57).
 * The shifted terms of each step are one carry-less product: z * K with
 * K = 2^63 + 2^62 + 2^57 (0xc200000000000000) is the 128-bit value whose
 * low word is the "<<" part and whose high word is the ">>" part. Products
 * are Karatsuba (three PCLMULQDQ: lo*lo, hi*hi, (hi^lo)*(hi^lo)), and
 * several blocks are absorbed at once with powers of H, summing the
 * unreduced products and reducing once:
 *   Y' = (Y ^ X1) H^n ^ X2 H^(n-1) ^ ... ^ Xn H.
 * The main loop takes 8 blocks (128 bytes): AES-CTR of 8 counters, then
 * their GHASH with H^8 .. H (H^5 .. H^8 are computed per call when the data
 * has 8 blocks or more).
 *
 * Constant time: AES-NI and PCLMULQDQ take data-independent time; there are
 * no branches or table indexes on keys or data, only on lengths.
 */
#include "crypto/aes.h"
#include "crypto/util.h"

#include <string.h>

#ifdef DTLS_AES_GCM_HAVE_X86

#include <tmmintrin.h>
#include <wmmintrin.h>

#define TARGET __attribute__((target("aes,pclmul,ssse3")))

typedef __m128i v128;

static inline TARGET v128 load(const void *p)
{
    return _mm_loadu_si128((const v128 *)p);
}

static inline TARGET void store(void *p, v128 x)
{
    _mm_storeu_si128((v128 *)p, x);
}

/* The block as the big-endian integer V (byte order reversed). */
static inline TARGET v128 bswap(v128 x)
{
    return _mm_shuffle_epi8(x, _mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
}

/* ---- AES ------------------------------------------------------------------ */

/*
 * One step of the FIPS-197 key expansion: w = prev with each 32-bit word
 * XORed with all the words before it (three byte-shifts), then XORed with t,
 * the keygen-assist word broadcast to all four lanes.
 */
static inline TARGET v128 expand_step(v128 prev, v128 t)
{
    prev = _mm_xor_si128(prev, _mm_slli_si128(prev, 4));
    prev = _mm_xor_si128(prev, _mm_slli_si128(prev, 4));
    prev = _mm_xor_si128(prev, _mm_slli_si128(prev, 4));
    return _mm_xor_si128(prev, t);
}

/* SubWord(RotWord(w3)) ^ rcon of the previous key, in every lane */
#define ROT(k, rcon) _mm_shuffle_epi32(_mm_aeskeygenassist_si128((k), (rcon)), 0xff)
/* SubWord(w3), no rotation, no rcon (the middle step of AES-256) */
#define SUB(k) _mm_shuffle_epi32(_mm_aeskeygenassist_si128((k), 0), 0xaa)

static TARGET void expand128(v128 rk[11], const uint8_t key[16])
{
    rk[0] = load(key);
    rk[1] = expand_step(rk[0], ROT(rk[0], 0x01));
    rk[2] = expand_step(rk[1], ROT(rk[1], 0x02));
    rk[3] = expand_step(rk[2], ROT(rk[2], 0x04));
    rk[4] = expand_step(rk[3], ROT(rk[3], 0x08));
    rk[5] = expand_step(rk[4], ROT(rk[4], 0x10));
    rk[6] = expand_step(rk[5], ROT(rk[5], 0x20));
    rk[7] = expand_step(rk[6], ROT(rk[6], 0x40));
    rk[8] = expand_step(rk[7], ROT(rk[7], 0x80));
    rk[9] = expand_step(rk[8], ROT(rk[8], 0x1b));
    rk[10] = expand_step(rk[9], ROT(rk[9], 0x36));
}

static TARGET void expand256(v128 rk[15], const uint8_t key[32])
{
    rk[0] = load(key);
    rk[1] = load(key + 16);
    rk[2] = expand_step(rk[0], ROT(rk[1], 0x01));
    rk[3] = expand_step(rk[1], SUB(rk[2]));
    rk[4] = expand_step(rk[2], ROT(rk[3], 0x02));
    rk[5] = expand_step(rk[3], SUB(rk[4]));
    rk[6] = expand_step(rk[4], ROT(rk[5], 0x04));
    rk[7] = expand_step(rk[5], SUB(rk[6]));
    rk[8] = expand_step(rk[6], ROT(rk[7], 0x08));
    rk[9] = expand_step(rk[7], SUB(rk[8]));
    rk[10] = expand_step(rk[8], ROT(rk[9], 0x10));
    rk[11] = expand_step(rk[9], SUB(rk[10]));
    rk[12] = expand_step(rk[10], ROT(rk[11], 0x20));
    rk[13] = expand_step(rk[11], SUB(rk[12]));
    rk[14] = expand_step(rk[12], ROT(rk[13], 0x40));
}

/* The round keys of an accelerated context, loaded into registers. */
typedef struct {
    v128 k[15];
    unsigned rounds;
} keys;

static inline TARGET void keys_load(keys *ks, const dtls_aes_gcm_ctx *c)
{
    ks->rounds = c->aes.rounds & ~(unsigned)DTLS_AES_GCM_X86;
    for (unsigned i = 0; i <= ks->rounds; i++)
        ks->k[i] = load(&c->aes.sk[2 * i]);
}

/* Encrypt n <= 8 blocks in place, interleaved round by round. */
static inline TARGET void aes_blocks(const keys *ks, v128 *b, unsigned n)
{
    for (unsigned j = 0; j < n; j++)
        b[j] = _mm_xor_si128(b[j], ks->k[0]);
    for (unsigned r = 1; r < ks->rounds; r++)
        for (unsigned j = 0; j < n; j++)
            b[j] = _mm_aesenc_si128(b[j], ks->k[r]);
    for (unsigned j = 0; j < n; j++)
        b[j] = _mm_aesenclast_si128(b[j], ks->k[ks->rounds]);
}

static inline TARGET void aes8(const keys *ks, v128 b[8])
{
    const v128 k0 = ks->k[0];
    b[0] = _mm_xor_si128(b[0], k0);
    b[1] = _mm_xor_si128(b[1], k0);
    b[2] = _mm_xor_si128(b[2], k0);
    b[3] = _mm_xor_si128(b[3], k0);
    b[4] = _mm_xor_si128(b[4], k0);
    b[5] = _mm_xor_si128(b[5], k0);
    b[6] = _mm_xor_si128(b[6], k0);
    b[7] = _mm_xor_si128(b[7], k0);
    for (unsigned r = 1; r < ks->rounds; r++) {
        const v128 k = ks->k[r];
        b[0] = _mm_aesenc_si128(b[0], k);
        b[1] = _mm_aesenc_si128(b[1], k);
        b[2] = _mm_aesenc_si128(b[2], k);
        b[3] = _mm_aesenc_si128(b[3], k);
        b[4] = _mm_aesenc_si128(b[4], k);
        b[5] = _mm_aesenc_si128(b[5], k);
        b[6] = _mm_aesenc_si128(b[6], k);
        b[7] = _mm_aesenc_si128(b[7], k);
    }
    const v128 kl = ks->k[ks->rounds];
    b[0] = _mm_aesenclast_si128(b[0], kl);
    b[1] = _mm_aesenclast_si128(b[1], kl);
    b[2] = _mm_aesenclast_si128(b[2], kl);
    b[3] = _mm_aesenclast_si128(b[3], kl);
    b[4] = _mm_aesenclast_si128(b[4], kl);
    b[5] = _mm_aesenclast_si128(b[5], kl);
    b[6] = _mm_aesenclast_si128(b[6], kl);
    b[7] = _mm_aesenclast_si128(b[7], kl);
}

/*
 * Counter blocks. The counter is kept with its last four bytes reversed, so
 * that 32-bit lane 3 holds the block's big-endian counter as a number and
 * _mm_add_epi32 increments it modulo 2^32 (GCM's inc32); ctr_block() puts
 * the bytes back in order.
 */
static inline TARGET v128 ctr_swap(v128 x)
{
    return _mm_shuffle_epi8(x, _mm_set_epi8(12, 13, 14, 15, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0));
}

static inline TARGET v128 ctr_block(v128 ctr, int i)
{
    return ctr_swap(_mm_add_epi32(ctr, _mm_set_epi32(i, 0, 0, 0)));
}

/* ---- GHASH ---------------------------------------------------------------- */

/* A power of H with its Karatsuba middle operand (hi ^ lo in the low word). */
typedef struct {
    v128 h, m;
} hpow;

static inline TARGET hpow hpow_make(v128 h)
{
    hpow p;
    p.h = h;
    p.m = _mm_xor_si128(h, _mm_shuffle_epi32(h, 0x4e));
    return p;
}

/* Unreduced Karatsuba products, summed over several blocks. */
typedef struct {
    v128 lo, hi, mid;
} acc3;

static inline TARGET void acc_mul(acc3 *a, v128 x, const hpow *p)
{
    v128 xm = _mm_xor_si128(x, _mm_shuffle_epi32(x, 0x4e));
    a->lo = _mm_xor_si128(a->lo, _mm_clmulepi64_si128(x, p->h, 0x00));
    a->hi = _mm_xor_si128(a->hi, _mm_clmulepi64_si128(x, p->h, 0x11));
    a->mid = _mm_xor_si128(a->mid, _mm_clmulepi64_si128(xm, p->m, 0x00));
}

static inline TARGET void acc_first(acc3 *a, v128 x, const hpow *p)
{
    v128 xm = _mm_xor_si128(x, _mm_shuffle_epi32(x, 0x4e));
    a->lo = _mm_clmulepi64_si128(x, p->h, 0x00);
    a->hi = _mm_clmulepi64_si128(x, p->h, 0x11);
    a->mid = _mm_clmulepi64_si128(xm, p->m, 0x00);
}

/* The reduced product from the Karatsuba parts (see the top of the file). */
static inline TARGET v128 acc_reduce(const acc3 *a)
{
    const v128 k = _mm_set_epi64x(0, (long long)0xc200000000000000u);
    v128 mid = _mm_xor_si128(a->mid, _mm_xor_si128(a->lo, a->hi));
    v128 l = _mm_xor_si128(a->lo, _mm_slli_si128(mid, 8)); /* z1 : z0 */
    v128 h = _mm_xor_si128(a->hi, _mm_srli_si128(mid, 8)); /* z3 : z2 */
    /* shift the 256 bits left by one */
    v128 cl = _mm_srli_epi64(l, 63), ch = _mm_srli_epi64(h, 63);
    l = _mm_or_si128(_mm_slli_epi64(l, 1), _mm_slli_si128(cl, 8));
    h = _mm_or_si128(_mm_or_si128(_mm_slli_epi64(h, 1), _mm_slli_si128(ch, 8)), _mm_srli_si128(cl, 8));
    /* fold z0: z1 ^= low word of z0 K, z2 ^= z0 ^ high word of z0 K */
    v128 t = _mm_clmulepi64_si128(l, k, 0x00);
    l = _mm_xor_si128(l, _mm_slli_si128(t, 8));
    h = _mm_xor_si128(h, _mm_xor_si128(_mm_srli_si128(t, 8), _mm_move_epi64(l)));
    /* fold z1: z2 ^= low word of z1 K, z3 ^= z1 ^ high word of z1 K */
    t = _mm_clmulepi64_si128(l, k, 0x01);
    h = _mm_xor_si128(h, _mm_xor_si128(t, _mm_unpackhi_epi64(_mm_setzero_si128(), l)));
    return h;
}

static inline TARGET v128 gf_mul(v128 x, const hpow *p)
{
    acc3 a;
    acc_first(&a, x, p);
    return acc_reduce(&a);
}

/* y = GHASH over n <= 4 blocks (byte order as in memory) with H^n .. H. */
static inline TARGET v128 ghash_upto4(v128 y, const uint8_t *p, unsigned n, const hpow hp[8])
{
    acc3 a;
    acc_first(&a, _mm_xor_si128(y, bswap(load(p))), &hp[n - 1]);
    for (unsigned i = 1; i < n; i++)
        acc_mul(&a, bswap(load(p + 16 * i)), &hp[n - 1 - i]);
    return acc_reduce(&a);
}

/* y = GHASH over len bytes, the last block zero-padded. */
static TARGET v128 ghash_bytes(v128 y, const uint8_t *p, size_t len, const hpow hp[8])
{
    while (len >= 64) {
        y = ghash_upto4(y, p, 4, hp);
        p += 64;
        len -= 64;
    }
    if (len >= 16) {
        unsigned n = (unsigned)(len / 16);
        y = ghash_upto4(y, p, n, hp);
        p += 16 * n;
        len -= 16 * (size_t)n;
    }
    if (len > 0) {
        uint8_t b[16] = { 0 };
        memcpy(b, p, len);
        y = ghash_upto4(y, b, 1, hp);
        dtls_wipe(b, sizeof b);
    }
    return y;
}

static TARGET v128 ghash_lengths(v128 y, uint64_t a_bytes, uint64_t c_bytes, const hpow hp[8])
{
    return gf_mul(_mm_xor_si128(y, _mm_set_epi64x((long long)(a_bytes << 3), (long long)(c_bytes << 3))), &hp[0]);
}

static inline TARGET void hpow_load(hpow hp[8], const dtls_aes_gcm_ctx *c, int eight)
{
    for (unsigned i = 0; i < 4; i++)
        hp[i] = hpow_make(load(&c->h[2 * i]));
    if (eight)
        for (unsigned i = 4; i < 8; i++)
            hp[i] = hpow_make(gf_mul(hp[i - 1].h, &hp[0]));
}

/* ---- the entry points ----------------------------------------------------- */

int dtls_aes_gcm_x86_init(dtls_aes_gcm_ctx *c, const uint8_t *key, size_t key_len)
{
    if (key_len != 16 && key_len != 32)
        return -1;
    if (!__builtin_cpu_supports("aes") || !__builtin_cpu_supports("pclmul") || !__builtin_cpu_supports("ssse3"))
        return -1;
    dtls_aes_gcm_x86_init_key(c, key, key_len);
    return 0;
}

TARGET void dtls_aes_gcm_x86_init_key(dtls_aes_gcm_ctx *c, const uint8_t *key, size_t key_len)
{
    v128 rk[15], h;
    hpow h1;
    unsigned rounds = key_len == 16 ? 10 : 14;
    keys ks;

    memset(c, 0, sizeof *c);
    if (key_len == 16)
        expand128(rk, key);
    else
        expand256(rk, key);
    for (unsigned i = 0; i <= rounds; i++)
        store(&c->aes.sk[2 * i], rk[i]);
    c->aes.rounds = rounds | DTLS_AES_GCM_X86;

    keys_load(&ks, c);
    h = _mm_setzero_si128();
    aes_blocks(&ks, &h, 1);
    h = bswap(h);
    h1 = hpow_make(h);
    store(&c->h[0], h);
    for (unsigned i = 1; i < 4; i++) {
        h = gf_mul(h, &h1);
        store(&c->h[2 * i], h);
    }
    dtls_wipe(rk, sizeof rk);
    dtls_wipe(&ks, sizeof ks);
    dtls_wipe(&h, sizeof h);
    dtls_wipe(&h1, sizeof h1);
}

TARGET void dtls_aes_gcm_x86_j0(const dtls_aes_gcm_ctx *c, const uint8_t *iv, size_t iv_len, uint8_t j0[16])
{
    hpow hp[8];
    v128 y;
    hpow_load(hp, c, 0);
    y = ghash_bytes(_mm_setzero_si128(), iv, iv_len, hp);
    y = ghash_lengths(y, 0, (uint64_t)iv_len, hp);
    store(j0, bswap(y));
    dtls_wipe(hp, sizeof hp);
    dtls_wipe(&y, sizeof y);
}

TARGET void dtls_aes_gcm_x86_crypt(const dtls_aes_gcm_ctx *c, const uint8_t j0[16], const uint8_t *aad,
                                   size_t aad_len, uint8_t *data, size_t len, int encrypt, uint8_t tag[16])
{
    keys ks;
    hpow hp[8];
    v128 y, ctr, b[8], ej0;
    size_t done = 0;
    int i;

    keys_load(&ks, c);
    hpow_load(hp, c, len >= 128);
    ctr = ctr_swap(load(j0));
    ej0 = load(j0);
    aes_blocks(&ks, &ej0, 1);
    ctr = _mm_add_epi32(ctr, _mm_set_epi32(1, 0, 0, 0)); /* data starts at J0 + 1 */

    y = ghash_bytes(_mm_setzero_si128(), aad, aad_len, hp);

    for (; len - done >= 128; done += 128) {
        uint8_t *p = data + done;
        acc3 a;
        for (i = 0; i < 8; i++)
            b[i] = ctr_block(ctr, i);
        ctr = _mm_add_epi32(ctr, _mm_set_epi32(8, 0, 0, 0));
        if (!encrypt) {
            /* GHASH the ciphertext before it is overwritten */
            acc_first(&a, _mm_xor_si128(y, bswap(load(p))), &hp[7]);
            for (i = 1; i < 8; i++)
                acc_mul(&a, bswap(load(p + 16 * i)), &hp[7 - i]);
        }
        aes8(&ks, b);
        for (i = 0; i < 8; i++) {
            b[i] = _mm_xor_si128(b[i], load(p + 16 * i));
            store(p + 16 * i, b[i]);
        }
        if (encrypt) {
            acc_first(&a, _mm_xor_si128(y, bswap(b[0])), &hp[7]);
            for (i = 1; i < 8; i++)
                acc_mul(&a, bswap(b[i]), &hp[7 - i]);
        }
        y = acc_reduce(&a);
    }

    if (done < len) {
        /* the last 1 .. 127 bytes: up to 8 counter blocks in one batch */
        size_t rest = len - done;
        unsigned n = (unsigned)((rest + 15) / 16);
        uint8_t ks_bytes[128];
        if (!encrypt)
            y = ghash_bytes(y, data + done, rest, hp);
        for (i = 0; i < (int)n; i++)
            b[i] = ctr_block(ctr, i);
        aes_blocks(&ks, b, n);
        for (i = 0; i < (int)n; i++)
            store(ks_bytes + 16 * i, b[i]);
        for (size_t j = 0; j < rest; j++)
            data[done + j] ^= ks_bytes[j];
        if (encrypt)
            y = ghash_bytes(y, data + done, rest, hp);
        dtls_wipe(ks_bytes, sizeof ks_bytes);
    }

    y = ghash_lengths(y, (uint64_t)aad_len, (uint64_t)len, hp);
    store(tag, _mm_xor_si128(bswap(y), ej0));

    dtls_wipe(&ks, sizeof ks);
    dtls_wipe(hp, sizeof hp);
    dtls_wipe(b, sizeof b);
    dtls_wipe(&y, sizeof y);
    dtls_wipe(&ej0, sizeof ej0);
}

#else

/* Not x86-64 with GCC or clang: nothing here (aes.h does not define
 * DTLS_AES_GCM_HAVE_X86, so gcm.c never calls this file). */
typedef int dtls_gcm_x86_empty;

#endif
