/*
 * RSA signature verification, 2048..4096-bit moduli: s^e mod n with
 * Montgomery multiplication, then PKCS#1 v1.5 or PSS (RFC 8017, 8.2.2 and
 * 8.1.2).
 *
 * Everything handled here is public (key, signature, hash), so the code may
 * branch on data; it is written to be strict and bounds-safe instead.
 *
 * Numbers are little-endian arrays of limbs. A limb is 64 bits with a
 * 128-bit product where the compiler has unsigned __int128 (x86-64,
 * AArch64), else 32 bits with a 64-bit product (Cortex-M, and any build
 * with -DDTLS_NO_INT128). Either way a number of DTLS_RSA_MAX_BITS takes
 * 512 bytes. Memory, all on the stack, for 4096 bits: the caller's block
 * (the accumulator, later the result: 512 bytes) and, in rsa_public, n and
 * one double-width scratch t (512 + 1032 bytes); about 2.6 KB at the
 * deepest point (x86-64 gcc -O2; 2.3 KB on Cortex-M4 -Os).
 *
 * Montgomery arithmetic. With s limbs of L bits, W = 2^L and R = W^s > n,
 * redc(T) = T * R^-1 mod n for T < n^2. Writing rep(x) = x * R mod n,
 * redc(rep(x) * rep(y)) = rep(x * y), and redc(rep(x) * y) = x * y: the last
 * multiplication, by the plain signature, leaves the Montgomery domain for
 * free. That is always the last step because e is odd.
 *
 * The way in, rep(sig) = sig * W^s mod n, is one long division (Knuth,
 * TAOCP 4.3.1, algorithm D), about half the cost of one multiplication, and
 * needs no precomputed R^2 mod n. With e = 65537 a verification is then
 * one division, 16 squarings and one multiplication.
 * Products are computed whole into T (schoolbook; a square needs only the
 * products a[i]*a[j] for i < j, doubled, plus the diagonal) and then
 * reduced ("separated operand scanning").
 */
#include "crypto/rsa.h"
#include "crypto/util.h"

#include <string.h>

/*
 * The smallest modulus accepted. Always DTLS_RSA_MIN_BITS in the library;
 * the unit test builds a private copy of this file with RSA_FLOOR_BITS 1024
 * to run the (1024-bit) RFC 8448 server key through the same arithmetic.
 */
#ifndef RSA_FLOOR_BITS
#define RSA_FLOOR_BITS DTLS_RSA_MIN_BITS
#endif
#if RSA_FLOOR_BITS < 1024 || RSA_FLOOR_BITS > DTLS_RSA_MIN_BITS
#error "RSA_FLOOR_BITS must be between 1024 and DTLS_RSA_MIN_BITS"
#endif

#if defined(__SIZEOF_INT128__) && !defined(DTLS_NO_INT128)
typedef uint64_t limb;
__extension__ typedef unsigned __int128 dlimb;
#define LIMB_BITS 64
#else
typedef uint32_t limb;
typedef uint64_t dlimb;
#define LIMB_BITS 32
#endif

#define LIMB_BYTES (LIMB_BITS / 8)
#define MAX_LIMBS (DTLS_RSA_MAX_BITS / LIMB_BITS)
#define MAX_BYTES (DTLS_RSA_MAX_BITS / 8)

#if defined(__GNUC__)
#define RSA_NOINLINE __attribute__((noinline))
#else
#define RSA_NOINLINE
#endif

/* The caller's block: the accumulator during the exponentiation, the
 * recovered big-endian message representative (k bytes) after. */
union block {
    limb l[MAX_LIMBS];
    uint8_t b[MAX_BYTES];
};

struct modulus {
    limb n[MAX_LIMBS];
    limb t[2 * MAX_LIMBS + 1]; /* scratch: a double-width product, or the dividend */
    limb n0;                   /* -n^-1 mod W */
    size_t len;                /* limbs in use, s */
    size_t bits;               /* exact size of n in bits */
};

/* ---- byte strings ------------------------------------------------------- */

static const uint8_t *strip_zeros(const uint8_t *p, size_t *len)
{
    while (*len > 0 && p[0] == 0) {
        p++;
        (*len)--;
    }
    return p;
}

static size_t bit_length8(uint8_t b)
{
    size_t n = 0;
    while (b) {
        n++;
        b = (uint8_t)(b >> 1);
    }
    return n;
}

/* Bits in the big-endian integer (p, len) that has no leading zero byte. */
static size_t bits_of(const uint8_t *p, size_t len)
{
    return len == 0 ? 0 : (len - 1) * 8 + bit_length8(p[0]);
}

/* Limb j of the big-endian integer of len bytes at b (zero beyond its length). */
static limb be_limb(const uint8_t *b, size_t len, size_t j)
{
    limb v = 0;
    for (size_t i = 0; i < LIMB_BYTES && j * LIMB_BYTES + i < len; i++)
        v |= (limb)b[len - 1 - (j * LIMB_BYTES + i)] << (8 * i);
    return v;
}

/* x (s limbs) = the big-endian len bytes at b; len <= s * LIMB_BYTES. */
static void load_be(limb *x, size_t s, const uint8_t *b, size_t len)
{
    for (size_t j = 0; j < s; j++)
        x[j] = be_limb(b, len, j);
}

/* The low len bytes of x, big-endian; len <= s * LIMB_BYTES; b must not overlap x. */
static void store_be(uint8_t *b, size_t len, const limb *x)
{
    for (size_t i = 0; i < len; i++)
        b[len - 1 - i] = (uint8_t)(x[i / LIMB_BYTES] >> (8 * (i % LIMB_BYTES)));
}

/* ---- multi-limb arithmetic ---------------------------------------------- */

/* 1 if x >= n (both s limbs), else 0. */
static int geq(const limb *x, const limb *n, size_t s)
{
    size_t i = s;
    while (i-- > 0) {
        if (x[i] != n[i])
            return x[i] > n[i];
    }
    return 1;
}

/* x -= y modulo W^s. */
static void sub_n(limb *x, const limb *y, size_t s)
{
    limb borrow = 0;
    for (size_t i = 0; i < s; i++) {
        limb a = x[i], b = y[i];
        x[i] = (limb)(a - b - borrow);
        borrow = (limb)((a < b) | ((a == b) & borrow));
    }
}

/*
 * t[0..2s) = a * b, b given as b_len big-endian bytes (b < W^s). Row j adds
 * a * b[j] into t[j..j+s]; each step is at most (W-1)^2 + 2(W-1) = W^2 - 1,
 * so it fits a dlimb and the carry c stays below W.
 */
static void mul_full_be(limb *t, const limb *a, const uint8_t *b, size_t b_len, size_t s)
{
    memset(t, 0, s * sizeof(limb));
    for (size_t j = 0; j < s; j++) {
        const limb bj = be_limb(b, b_len, j);
        limb c = 0;
        for (size_t i = 0; i < s; i++) {
            dlimb p = (dlimb)a[i] * bj + t[i + j] + c;
            t[i + j] = (limb)p;
            c = (limb)(p >> LIMB_BITS);
        }
        t[j + s] = c;
    }
}

/*
 * t[0..2s) = a^2: first the cross products sum(a[i] a[j] W^(i+j), i < j),
 * which is below a^2 / 2 < W^2s / 2, so doubling it cannot overflow 2s
 * limbs; then, in one pass, t = 2t + sum(a[i]^2 W^(2i)). The sum is a^2
 * < W^2s, so nothing is carried out of the top limb.
 */
static void sqr_full(limb *t, const limb *a, size_t s)
{
    memset(t, 0, 2 * s * sizeof(limb));
    for (size_t i = 0; i + 1 < s; i++) {
        const limb ai = a[i];
        limb c = 0;
        for (size_t j = i + 1; j < s; j++) {
            dlimb p = (dlimb)ai * a[j] + t[i + j] + c;
            t[i + j] = (limb)p;
            c = (limb)(p >> LIMB_BITS);
        }
        t[i + s] = c;
    }
    limb shift_in = 0, c = 0;
    for (size_t i = 0; i < s; i++) {
        const limb lo = t[2 * i], hi = t[2 * i + 1];
        const dlimb sq = (dlimb)a[i] * a[i];
        dlimb p = (dlimb)(limb)((lo << 1) | shift_in) + (limb)sq + c;
        t[2 * i] = (limb)p;
        p = (dlimb)(limb)((hi << 1) | (lo >> (LIMB_BITS - 1))) + (limb)(sq >> LIMB_BITS) +
            (limb)(p >> LIMB_BITS);
        t[2 * i + 1] = (limb)p;
        c = (limb)(p >> LIMB_BITS);
        shift_in = hi >> (LIMB_BITS - 1);
    }
}

/*
 * The Montgomery reduction steps, shared by redc (public values) and redc_ct
 * (secret ones): for t < n R (2s limbs), step i adds q * n * W^i with
 * q = t[i] * n0 mod W, which clears limb i. After s steps t = t0 + Q n with
 * Q < R, divisible by R, and t / R < (n R + R n) / R = 2n: the result is
 * t[s..2s) plus the returned carry bit ("top"), and one subtraction of n
 * (the caller's) brings it below n. The carry of step i lands in limb
 * i + s + 1, which is exactly where step i + 1 ends; it is at most 1 since
 * t[i+s] + c + top <= 2W - 1. No branch and no index depends on the values.
 */
static inline limb redc_steps(limb *t, const limb *n, limb n0, size_t s)
{
    limb top = 0;

    for (size_t i = 0; i < s; i++) {
        const limb q = (limb)(t[i] * n0);
        limb c = 0;
        for (size_t j = 0; j < s; j++) {
            dlimb p = (dlimb)q * n[j] + t[i + j] + c;
            t[i + j] = (limb)p;
            c = (limb)(p >> LIMB_BITS);
        }
        dlimb p = (dlimb)t[i + s] + c + top;
        t[i + s] = (limb)p;
        top = (limb)(p >> LIMB_BITS);
    }
    return top;
}

/* d = t * R^-1 mod n for t = m->t < n^2 (2s limbs); t is destroyed. */
static void redc(limb *d, struct modulus *m)
{
    limb *t = m->t;
    const size_t s = m->len;
    if (redc_steps(t, m->n, m->n0, s) || geq(t + s, m->n, s))
        sub_n(t + s, m->n, s);
    memcpy(d, t + s, s * sizeof(limb));
}

/* d = a * b * R^-1 mod n, for a, b < n, b as b_len big-endian bytes; d may alias a. */
static RSA_NOINLINE void mont_mul_be(limb *d, const limb *a, const uint8_t *b, size_t b_len,
                                     struct modulus *m)
{
    mul_full_be(m->t, a, b, b_len, m->len);
    redc(d, m);
}

/* d = a^2 * R^-1 mod n, for a < n; d may alias a. */
static RSA_NOINLINE void mont_sqr(limb *d, const limb *a, struct modulus *m)
{
    sqr_full(m->t, a, m->len);
    redc(d, m);
}

/* -n[0]^-1 mod W by Newton's iteration: x = n0 is right modulo 8 for odd
 * n0 (n0^2 = 1 mod 8), and each step x = x * (2 - n0 * x) doubles the number
 * of correct low bits: 3, 6, 12, 24, 48, 96 >= 64. */
static limb neg_inverse(limb n0)
{
    limb x = n0;
    for (int i = 0; i < 5; i++)
        x = (limb)(x * (limb)(2 - n0 * x));
    return (limb)(0 - x);
}

/*
 * The estimate of one quotient limb in algorithm D (below): (u2 W + u1) / v1,
 * lowered while it is >= W or q v2 > r W + u0. Needs u2 <= v1 and v1 >= W/2,
 * so the first estimate is at most W + 1 and q v2 < W^2 when it is compared.
 */
static limb quotient_limb(limb u2, limb u1, limb u0, limb v1, limb v2)
{
    const dlimb num = ((dlimb)u2 << LIMB_BITS) | u1;
    dlimb q = num / v1;
    dlimb r = num - q * v1;
    while ((q >> LIMB_BITS) != 0 || q * v2 > ((r << LIMB_BITS) | u0)) {
        q--;
        r += v1;
        if ((r >> LIMB_BITS) != 0)
            break;
    }
    return (limb)q;
}

/* u[0..s] -= q * v (v of s limbs); returns 1 when that went below zero. */
static int submul(limb *u, limb q, const limb *v, size_t s)
{
    limb c = 0, borrow = 0;
    for (size_t i = 0; i < s; i++) {
        const dlimb p = (dlimb)q * v[i] + c;
        const limb lo = (limb)p, ui = u[i];
        const limb diff = (limb)(ui - lo);
        c = (limb)(p >> LIMB_BITS);
        u[i] = (limb)(diff - borrow);
        borrow = (limb)((ui < lo) | (diff < borrow));
    }
    const limb ut = u[s], diff = (limb)(ut - c);
    u[s] = (limb)(diff - borrow);
    return (ut < c) | (diff < borrow);
}

/* u[0..s] += v, dropping the carry out of u[s] (it cancels the borrow of submul). */
static void addback(limb *u, const limb *v, size_t s)
{
    limb carry = 0;
    for (size_t i = 0; i < s; i++) {
        const dlimb p = (dlimb)u[i] + v[i] + carry;
        u[i] = (limb)p;
        carry = (limb)(p >> LIMB_BITS);
    }
    u[s] = (limb)(u[s] + carry);
}

/*
 * d = x * W^s mod n = rep(x), for x < n given in m->t[s..2s), by long
 * division. d (s limbs) holds the shifted divisor until the remainder is
 * written there.
 *
 * Knuth's algorithm D on the dividend u = (x * W^s) << sh (2s + 1 limbs, in
 * m->t) and the divisor v = n << sh, shifted so that its top limb v1 has
 * its top bit set. For each quotient limb, from the top, quotient_limb
 * gives an estimate that is the true limb or one too large (Knuth's
 * theorem B); when too large, u - q v goes negative and v is added back
 * once. Since x < n, u starts with u[2s] = 0, and every partial remainder
 * is below v, which keeps u[j+s] <= v1 as quotient_limb needs. At the end
 * u[0..s) holds the remainder, still shifted left by sh.
 */
static RSA_NOINLINE void to_mont(limb *d, struct modulus *m)
{
    limb *u = m->t, *v = d;
    const limb *n = m->n;
    const size_t s = m->len;
    const unsigned sh = (unsigned)((LIMB_BITS - m->bits % LIMB_BITS) % LIMB_BITS);

    memset(u, 0, s * sizeof(limb));
    u[2 * s] = 0;
    if (sh == 0) {
        memcpy(v, n, s * sizeof(limb));
    } else {
        for (size_t i = s; i-- > 1;)
            v[i] = (limb)((n[i] << sh) | (n[i - 1] >> (LIMB_BITS - sh)));
        v[0] = (limb)(n[0] << sh);
        for (size_t i = 2 * s; i > s; i--)
            u[i] = (limb)((u[i] << sh) | (u[i - 1] >> (LIMB_BITS - sh)));
        u[s] = (limb)(u[s] << sh);
    }

    for (size_t j = s + 1; j-- > 0;) {
        const limb q = quotient_limb(u[j + s], u[j + s - 1], u[j + s - 2], v[s - 1], v[s - 2]);
        if (submul(u + j, q, v, s))
            addback(u + j, v, s);
    }

    /* v is no longer needed: d gets the remainder. */
    if (sh == 0) {
        memcpy(d, u, s * sizeof(limb));
    } else {
        for (size_t i = 0; i < s; i++)
            d[i] = (limb)((u[i] >> sh) | (u[i + 1] << (LIMB_BITS - sh)));
    }
}

/* ---- s^e mod n ----------------------------------------------------------- */

/*
 * Checks the key and the signature and writes the recovered message
 * representative sig^e mod n, as many big-endian bytes as n has (k), into
 * out->b; out->l is the accumulator meanwhile. Returns k, or 0 when the key
 * or the signature is refused:
 *   n of fewer than RSA_FLOOR_BITS or more than DTLS_RSA_MAX_BITS bits, or even;
 *   e < 3, even, or e >= n;
 *   sig_len != k, or the signature value >= n.
 *
 * Exponentiation, left to right over the bits of e below the top one, with
 * acc = rep(sig^(the bits of e seen so far)): square, and for a 1 bit
 * multiply by the plain signature (read from its bytes), which leaves the
 * Montgomery domain; for any bit but bit 0 one more division re-enters it.
 * Bit 0 is always 1 (e is odd), so the result comes out plain. e = 65537
 * (like 3, 17, 257) has no 1 bit between its top and bit 0: one division,
 * 16 squarings, one multiplication. Any other odd e works, a bit slower.
 */
static RSA_NOINLINE size_t rsa_public(union block *out, const uint8_t *n, size_t n_len, const uint8_t *e,
                                      size_t e_len, const uint8_t *sig, size_t sig_len)
{
    struct modulus m;
    limb *acc = out->l;
    size_t k, s;

    if (n == NULL || e == NULL || sig == NULL)
        return 0;
    n = strip_zeros(n, &n_len);
    e = strip_zeros(e, &e_len);
    /* n_len is checked first: bits_of cannot overflow then. */
    if (n_len > MAX_BYTES)
        return 0;
    m.bits = bits_of(n, n_len);
    if (m.bits < RSA_FLOOR_BITS || m.bits > DTLS_RSA_MAX_BITS || (n[n_len - 1] & 1) == 0)
        return 0;
    k = n_len;

    /* e: odd, at least 3, below n (same byte length: compare as big-endian strings). */
    if (e_len == 0 || (e[e_len - 1] & 1) == 0 || (e_len == 1 && e[0] < 3) || e_len > k)
        return 0;
    if (e_len == k && memcmp(e, n, k) >= 0)
        return 0;

    /* The signature is exactly k bytes and, as an integer, below n. */
    if (sig_len != k || memcmp(sig, n, k) >= 0)
        return 0;

    s = (m.bits + LIMB_BITS - 1) / LIMB_BITS;
    m.len = s;
    load_be(m.n, s, n, k);
    m.n0 = neg_inverse(m.n[0]);

    load_be(m.t + s, s, sig, k);
    to_mont(acc, &m);
    for (size_t i = bits_of(e, e_len) - 1; i-- > 0;) {
        mont_sqr(acc, acc, &m);
        if ((e[e_len - 1 - i / 8] >> (i % 8)) & 1) {
            mont_mul_be(acc, acc, sig, k, &m);
            if (i > 0) {
                memcpy(m.t + s, acc, s * sizeof(limb));
                to_mont(acc, &m);
            }
        }
    }

    /* out->b overlaps acc: go through t. */
    memcpy(m.t, acc, s * sizeof(limb));
    store_be(out->b, k, m.t);
    return k;
}

/* ---- PKCS#1 v1.5 ------------------------------------------------------- */

/*
 * DigestInfo ::= SEQUENCE { SEQUENCE { OID, NULL }, OCTET STRING digest },
 * DER, up to the digest (RFC 8017 9.2 note 1). The hash is identified by
 * its digest length (32, 48, 64 = SHA-256, SHA-384, SHA-512), so a provider
 * that replaces the built-in hashes with its own tables still works.
 */
static const uint8_t DI_SHA256[19] = {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
                                      0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20};
static const uint8_t DI_SHA384[19] = {0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
                                      0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0x04, 0x30};
static const uint8_t DI_SHA512[19] = {0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
                                      0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0x04, 0x40};

/*
 * 1 when em (k bytes) is exactly 00 01 FF..FF 00 DigestInfo || hash.
 * The expected block is built whole and compared; the recovered one is
 * never parsed. Separate from dtls_rsa_pkcs1_verify (and not inlined) so
 * its buffer does not sit on the stack during the exponentiation.
 */
static RSA_NOINLINE int pkcs1_matches(const uint8_t *em, size_t k, const uint8_t *prefix, const uint8_t *hash,
                                      size_t hlen)
{
    uint8_t want[MAX_BYTES];
    size_t tlen = sizeof DI_SHA256 + hlen;

    /* k >= RSA_FLOOR_BITS / 8 >= 128 > tlen + 11 (at most 19 + 64 + 11 = 94). */
    want[0] = 0x00;
    want[1] = 0x01;
    memset(want + 2, 0xff, k - tlen - 3);
    want[k - tlen - 1] = 0x00;
    memcpy(want + k - tlen, prefix, sizeof DI_SHA256);
    memcpy(want + k - hlen, hash, hlen);
    return dtls_ct_memeq(want, em, k);
}

int dtls_rsa_pkcs1_verify(const uint8_t *n, size_t n_len, const uint8_t *e, size_t e_len,
                          const struct dtls_hash *h, const uint8_t *hash, const uint8_t *sig, size_t sig_len)
{
    union block em;
    const uint8_t *prefix;
    size_t k;

    if (h == NULL || hash == NULL)
        return -1;
    switch (h->digest_len) {
    case 32:
        prefix = DI_SHA256;
        break;
    case 48:
        prefix = DI_SHA384;
        break;
    case 64:
        prefix = DI_SHA512;
        break;
    default:
        return -1;
    }
    k = rsa_public(&em, n, n_len, e, e_len, sig, sig_len);
    if (k == 0)
        return -1;
    return pkcs1_matches(em.b, k, prefix, hash, h->digest_len) ? 0 : -1;
}

/* ---- PSS ------------------------------------------------------------------- */

/* db[0..len) ^= MGF1(seed), the mask being Hash(seed || counter) blocks (RFC 8017 B.2.1). */
static RSA_NOINLINE void mgf1_xor(uint8_t *db, size_t len, const struct dtls_hash *h, const uint8_t *seed)
{
    dtls_hash_ctx c;
    uint8_t block[DTLS_HASH_MAX_DIGEST];
    uint8_t ctr[4];
    size_t hlen = h->digest_len;

    for (uint32_t i = 0; len > 0; i++) {
        size_t take = len < hlen ? len : hlen;
        dtls_store32_be(ctr, i);
        h->init(&c);
        h->update(&c, seed, hlen);
        h->update(&c, ctr, 4);
        h->final(&c, block);
        for (size_t j = 0; j < take; j++)
            db[j] ^= block[j];
        db += take;
        len -= take;
    }
}

/* out = H = Hash(0^8 || mHash || salt), of signing (9.1.1 steps 5-6) and verifying (9.1.2 steps 12-13). */
static void pss_h(const struct dtls_hash *h, const uint8_t *mhash, const uint8_t *salt, size_t salt_len,
                  uint8_t *out)
{
    static const uint8_t zeros[8] = {0};
    dtls_hash_ctx c;

    h->init(&c);
    h->update(&c, zeros, sizeof zeros);
    h->update(&c, mhash, h->digest_len);
    h->update(&c, salt, salt_len);
    h->final(&c, out);
}

/* 1 when Hash(0^8 || mHash || salt) equals want (steps 12-14 of 9.1.2). */
static RSA_NOINLINE int pss_hash_matches(const struct dtls_hash *h, const uint8_t *mhash, const uint8_t *salt,
                                         size_t salt_len, const uint8_t *want)
{
    uint8_t got[DTLS_HASH_MAX_DIGEST];

    pss_h(h, mhash, salt, salt_len, got);
    return dtls_ct_memeq(got, want, h->digest_len);
}

/*
 * EMSA-PSS-VERIFY (RFC 8017 9.1.2) with emBits = modBits - 1. The recovered
 * block is k bytes; when modBits = 1 mod 8, emLen = k - 1 and the leading
 * byte must be zero (step 2c of 8.1.2: I2OSP to emLen bytes must not fail).
 * All checks together amount to value < 2^emBits.
 */
int dtls_rsa_pss_verify(const uint8_t *n, size_t n_len, const uint8_t *e, size_t e_len,
                        const struct dtls_hash *h, const uint8_t *hash, size_t salt_len, const uint8_t *sig,
                        size_t sig_len)
{
    union block buf;
    uint8_t *em, *db;
    size_t k, hlen, em_bits, em_len, db_len, ps_len, top_bits;

    if (h == NULL || hash == NULL || h->digest_len == 0 || h->digest_len > DTLS_HASH_MAX_DIGEST)
        return -1;
    hlen = h->digest_len;
    k = rsa_public(&buf, n, n_len, e, e_len, sig, sig_len);
    if (k == 0)
        return -1;

    n = strip_zeros(n, &n_len); /* rsa_public accepted it: n_len = k <= MAX_BYTES */
    em_bits = bits_of(n, n_len) - 1;
    em_len = (em_bits + 7) / 8;
    em = buf.b + (k - em_len);
    if (em_len != k && buf.b[0] != 0)
        return -1;
    /* Step 3, written so that nothing can overflow: emLen >= hLen + sLen + 2. */
    if (salt_len > em_len || em_len - salt_len < hlen + 2)
        return -1;
    /* Step 4. */
    if (em[em_len - 1] != 0xbc)
        return -1;
    /* Step 6: the 8*emLen - emBits (0..7) top bits of maskedDB are zero. */
    top_bits = 8 * em_len - em_bits;
    if (top_bits != 0 && (em[0] >> (8 - top_bits)) != 0)
        return -1;

    /* Steps 7-9: unmask DB in place; H follows it. */
    db = em;
    db_len = em_len - hlen - 1;
    mgf1_xor(db, db_len, h, em + db_len);
    db[0] &= (uint8_t)(0xffu >> top_bits);

    /* Step 10: DB = 00..00 (ps_len bytes) || 01 || salt. */
    ps_len = db_len - salt_len - 1;
    for (size_t i = 0; i < ps_len; i++) {
        if (db[i] != 0)
            return -1;
    }
    if (db[ps_len] != 0x01)
        return -1;
    return pss_hash_matches(h, hash, db + ps_len + 1, salt_len, em + db_len) ? 0 : -1;
}

size_t dtls_rsa_modulus_bits(const uint8_t *n, size_t n_len)
{
    if (n == NULL)
        return 0;
    n = strip_zeros(n, &n_len);
    /* Saturate instead of overflowing for lengths beyond SIZE_MAX / 8. */
    if (n_len > (size_t)-1 / 8)
        return (size_t)-1;
    return bits_of(n, n_len);
}

/* ---- signing: RSASSA-PSS with the private key in CRT form ------------------ */

/*
 * Here the key is secret, so nothing branches on it or indexes memory with
 * it: the arithmetic below is separate from the public-key code above (which
 * may branch) and uses only fixed loops, masked selections and the
 * data-independent schoolbook products (mul_full, sqr_full).
 *
 * s = m^d mod n by the Chinese remainder theorem (RFC 8017 5.1.2, 2b):
 * m1 = m^dP mod p, m2 = m^dQ mod q, h = qInv (m1 - m2) mod p, s = m2 + q h.
 * Both halves use s limbs, enough for the larger prime, and R = W^s; a
 * modulus below R is all Montgomery reduction needs. The way into the
 * Montgomery domain is R^2 mod p, made by 2 s L modular doublings from 1
 * (a division would branch on p). Reducing m (below n = p q < p R) modulo
 * p is one reduction, redc(m) = m R^-1, then one multiplication by R^2.
 * The exponent is read in fixed 4-bit windows over all s L bits, and each
 * window's table entry is picked by reading all 16.
 *
 * The signature is checked with the public key before it is returned, so a
 * wrong or corrupted key (or a fault during the computation, which with CRT
 * would give the factors away) yields -1, never a bad signature.
 *
 * Stack, whatever the key size (every number is sized for DTLS_RSA_MAX_BITS):
 * the 16-entry table (16 * 256 bytes) and the CRT numbers, about 8.5 KB at
 * the deepest point (gcc -fstack-usage: 8.5 KB x86-64 -O2, 8.2 KB Cortex-M4 -Os).
 */
#define HALF_LIMBS (MAX_LIMBS / 2)
#define WINDOW 4

struct half {
    limb p[HALF_LIMBS];        /* the prime, zero-padded to len limbs */
    limb rr[HALF_LIMBS];       /* R^2 mod p */
    limb t[2 * HALF_LIMBS + 1];
    limb n0;
    size_t len;
};

/* d = a - b (s limbs); returns the borrow (0 or 1). */
static limb ct_sub(limb *d, const limb *a, const limb *b, size_t s)
{
    limb borrow = 0;
    for (size_t i = 0; i < s; i++) {
        limb x = a[i], y = b[i];
        limb diff = (limb)(x - y);
        d[i] = (limb)(diff - borrow);
        borrow = (limb)((x < y) | (diff < borrow));
    }
    return borrow;
}

/* d = mask ? a : d, mask all ones or zero. */
static void ct_select(limb *d, const limb *a, limb mask, size_t s)
{
    for (size_t i = 0; i < s; i++)
        d[i] = (limb)(d[i] ^ (mask & (d[i] ^ a[i])));
}

/* t[0..2s) = a * b. */
static void mul_full(limb *t, const limb *a, const limb *b, size_t s)
{
    memset(t, 0, s * sizeof(limb));
    for (size_t j = 0; j < s; j++) {
        limb c = 0;
        for (size_t i = 0; i < s; i++) {
            dlimb p = (dlimb)a[i] * b[j] + t[i + j] + c;
            t[i + j] = (limb)p;
            c = (limb)(p >> LIMB_BITS);
        }
        t[j + s] = c;
    }
}

/* d = t * R^-1 mod p for t = h->t < p R (2s limbs), as redc but with the final
 * subtraction made by selection. d must not overlap h->t. */
static void redc_ct(limb *d, struct half *h)
{
    limb *t = h->t;
    const size_t s = h->len;
    const limb top = redc_steps(t, h->p, h->n0, s);
    /* t[s..2s) + top W^s < 2p: subtract p unless that goes below zero */
    limb borrow = ct_sub(d, t + s, h->p, s);
    ct_select(d, t + s, (limb)0 - (limb)((top ^ 1) & borrow), s);
}

static RSA_NOINLINE void mont_mul_ct(limb *d, const limb *a, const limb *b, struct half *h)
{
    mul_full(h->t, a, b, h->len);
    redc_ct(d, h);
}

static RSA_NOINLINE void mont_sqr_ct(limb *d, const limb *a, struct half *h)
{
    sqr_full(h->t, a, h->len);
    redc_ct(d, h);
}

/* Set up p (big-endian bytes; odd, at most s limbs) and R^2 mod p. */
static void half_init(struct half *h, const uint8_t *p, size_t p_len, size_t s)
{
    limb x[HALF_LIMBS], y[HALF_LIMBS];

    h->len = s;
    load_be(h->p, s, p, p_len);
    h->n0 = neg_inverse(h->p[0]);
    memset(x, 0, sizeof x);
    x[0] = 1;
    for (size_t i = 0; i < 2 * s * LIMB_BITS; i++) {
        /* x = 2x mod p, for x < p */
        limb carry = x[s - 1] >> (LIMB_BITS - 1);
        for (size_t j = s; j-- > 1;)
            x[j] = (limb)((x[j] << 1) | (x[j - 1] >> (LIMB_BITS - 1)));
        x[0] = (limb)(x[0] << 1);
        limb borrow = ct_sub(y, x, h->p, s);
        ct_select(x, y, (limb)0 - (limb)(carry | (borrow ^ 1)), s);
    }
    memcpy(h->rr, x, s * sizeof(limb));
    dtls_wipe(x, sizeof x);
    dtls_wipe(y, sizeof y);
}

/* d = v mod p, plain, for v (2s limbs, destroyed) below p R. */
static void reduce_ct(limb *d, const limb *v, struct half *h)
{
    memcpy(h->t, v, 2 * h->len * sizeof(limb));
    redc_ct(d, h);              /* v R^-1 */
    mont_mul_ct(d, d, h->rr, h); /* v */
}

/*
 * out = m^d mod p (plain, s limbs) for m (2s limbs) below p R, d given as
 * big-endian bytes of at most s limbs.
 */
static RSA_NOINLINE void half_exp(limb *out, const limb *m, const uint8_t *d_be, size_t d_len, struct half *h)
{
    limb table[1 << WINDOW][HALF_LIMBS];
    limb d[HALF_LIMBS], sel[HALF_LIMBS], one[HALF_LIMBS];
    const size_t s = h->len;

    load_be(d, s, d_be, d_len);
    memset(one, 0, sizeof one);
    one[0] = 1;
    mont_mul_ct(table[0], h->rr, one, h); /* rep(1) = R mod p */
    reduce_ct(table[1], m, h);            /* m mod p ... */
    mont_mul_ct(table[1], table[1], h->rr, h); /* ... rep(m) */
    for (size_t i = 2; i < (1u << WINDOW); i++)
        mont_mul_ct(table[i], table[i - 1], table[1], h);

    memcpy(out, table[0], s * sizeof(limb));
    for (size_t bit = s * LIMB_BITS; bit > 0;) {
        bit -= WINDOW;
        for (int k = 0; k < WINDOW; k++)
            mont_sqr_ct(out, out, h);
        const limb w = (d[bit / LIMB_BITS] >> (bit % LIMB_BITS)) & ((1u << WINDOW) - 1);
        memset(sel, 0, sizeof sel);
        for (limb i = 0; i < (1u << WINDOW); i++) {
            limb x = i ^ w;
            limb eq = (limb)0 - ((limb)(~x & (x - 1)) >> (LIMB_BITS - 1));
            for (size_t j = 0; j < s; j++)
                sel[j] |= table[i][j] & eq;
        }
        mont_mul_ct(out, out, sel, h);
    }
    mont_mul_ct(out, out, one, h); /* leave the Montgomery domain */
    dtls_wipe(table, sizeof table);
    dtls_wipe(d, sizeof d);
    dtls_wipe(sel, sizeof sel);
}

/* The big-endian (p, *len) shortened to at most max bytes by dropping leading zeros, or
 * NULL. Only an over-long (zero-padded) encoding makes it look at the value: a minimal
 * one, like DER's, is taken by its length alone. */
static const uint8_t *fit(const uint8_t *p, size_t *len, size_t max)
{
    while (*len > max && p[0] == 0) {
        p++;
        (*len)--;
    }
    return *len <= max ? p : NULL;
}

/* The k-byte big-endian em (< n) to the power d, by CRT, into sig (k bytes). Nothing
 * here looks at the key's values: an even or wrong prime makes a wrong signature, which
 * the caller's check with the public key refuses. */
static RSA_NOINLINE int rsa_private(const struct dtls_rsa_private_key *key, const uint8_t *em, size_t k,
                                    uint8_t *sig)
{
    struct half h;
    limb m[2 * HALF_LIMBS], m1[HALF_LIMBS], m2[HALF_LIMBS], x[HALF_LIMBS], q[HALF_LIMBS];
    size_t p_len = key->p_len, q_len = key->q_len, dp_len = key->dp_len, dq_len = key->dq_len,
           qi_len = key->qinv_len;
    const uint8_t *p = fit(key->p, &p_len, HALF_LIMBS * LIMB_BYTES);
    const uint8_t *qb = fit(key->q, &q_len, HALF_LIMBS * LIMB_BYTES);
    if (p == NULL || qb == NULL || p_len == 0 || q_len == 0)
        return -1;
    const size_t s = ((p_len > q_len ? p_len : q_len) + LIMB_BYTES - 1) / LIMB_BYTES;
    const uint8_t *dp = fit(key->dp, &dp_len, s * LIMB_BYTES), *dq = fit(key->dq, &dq_len, s * LIMB_BYTES);
    const uint8_t *qi = fit(key->qinv, &qi_len, s * LIMB_BYTES);
    if (2 * s * LIMB_BYTES < k || dp == NULL || dq == NULL || qi == NULL)
        return -1;

    load_be(m, 2 * s, em, k);
    /* m2 = m^dQ mod q */
    half_init(&h, qb, q_len, s);
    memcpy(q, h.p, s * sizeof(limb));
    half_exp(m2, m, dq, dq_len, &h);
    /* m1 = m^dP mod p */
    half_init(&h, p, p_len, s);
    half_exp(m1, m, dp, dp_len, &h);
    /* x = m2 mod p; m1 = (m1 - x) mod p */
    memset(m, 0, sizeof m);
    memcpy(m, m2, s * sizeof(limb));
    reduce_ct(x, m, &h);
    limb borrow = ct_sub(m1, m1, x, s);
    {
        limb c = 0, mask = (limb)0 - borrow;
        for (size_t i = 0; i < s; i++) {
            dlimb t = (dlimb)m1[i] + (h.p[i] & mask) + c;
            m1[i] = (limb)t;
            c = (limb)(t >> LIMB_BITS);
        }
    }
    /* x = qInv (m1 - m2) mod p (qInv below R: the product is below p R) */
    load_be(x, s, qi, qi_len);
    mont_mul_ct(m1, m1, x, &h);   /* (m1 - m2) qInv R^-1 */
    mont_mul_ct(x, m1, h.rr, &h); /* (m1 - m2) qInv */
    /* s = m2 + q x, below n */
    mul_full(m, x, q, s);
    {
        limb c = 0;
        for (size_t i = 0; i < 2 * s; i++) {
            dlimb t = (dlimb)m[i] + (i < s ? m2[i] : 0) + c;
            m[i] = (limb)t;
            c = (limb)(t >> LIMB_BITS);
        }
    }
    store_be(sig, k, m);
    dtls_wipe(&h, sizeof h);
    dtls_wipe(m, sizeof m);
    dtls_wipe(m1, sizeof m1);
    dtls_wipe(m2, sizeof m2);
    dtls_wipe(x, sizeof x);
    dtls_wipe(q, sizeof q);
    return 0;
}

/* EMSA-PSS-ENCODE (RFC 8017 9.1.1) with emBits = modBits - 1, into em (k bytes,
 * a leading zero byte when emLen = k - 1). */
static RSA_NOINLINE int emsa_pss_encode(uint8_t *em, size_t k, size_t mod_bits, const struct dtls_hash *h,
                                   const uint8_t *hash, const uint8_t *salt, size_t salt_len)
{
    const size_t hlen = h->digest_len, em_bits = mod_bits - 1, em_len = (em_bits + 7) / 8;
    uint8_t *e = em + (k - em_len);

    if (salt_len > em_len || em_len - salt_len < hlen + 2)
        return -1;
    const size_t db_len = em_len - hlen - 1, ps_len = db_len - salt_len - 1;
    memset(em, 0, k);
    pss_h(h, hash, salt, salt_len, e + db_len); /* H, after DB */
    /* DB = PS || 01 || salt, masked with MGF1(H) */
    e[ps_len] = 0x01;
    memcpy(e + ps_len + 1, salt, salt_len);
    mgf1_xor(e, db_len, h, e + db_len);
    e[0] &= (uint8_t)(0xffu >> (8 * em_len - em_bits));
    e[em_len - 1] = 0xbc;
    return 0;
}

int dtls_rsa_pss_sign(const struct dtls_rsa_private_key *key, const struct dtls_hash *h, const uint8_t *hash,
                      const uint8_t *salt, size_t salt_len, uint8_t *sig, size_t *sig_len)
{
    uint8_t em[MAX_BYTES];

    if (key == NULL || key->n == NULL || key->e == NULL || key->p == NULL || key->q == NULL || h == NULL ||
        hash == NULL || (salt == NULL && salt_len > 0) || sig == NULL || sig_len == NULL ||
        h->digest_len == 0 || h->digest_len > DTLS_HASH_MAX_DIGEST)
        return -1;
    size_t n_len = key->n_len;
    const uint8_t *n = strip_zeros(key->n, &n_len);
    const size_t bits = bits_of(n, n_len);
    if (n_len > MAX_BYTES || bits < RSA_FLOOR_BITS || *sig_len < n_len)
        return -1;
    int rc = emsa_pss_encode(em, n_len, bits, h, hash, salt, salt_len);
    if (rc == 0)
        rc = rsa_private(key, em, n_len, sig);
    dtls_wipe(em, sizeof em);
    /* the fault and consistency check: a signature that does not verify is not given out */
    if (rc == 0) {
        DTLS_CT_PUBLIC(sig, n_len); /* (what is checked is the output) */
        rc = dtls_rsa_pss_verify(n, n_len, key->e, key->e_len, h, hash, salt_len, sig, n_len);
    }
    if (rc != 0) {
        dtls_wipe(sig, *sig_len < n_len ? *sig_len : n_len);
        return -1;
    }
    *sig_len = n_len;
    return 0;
}
