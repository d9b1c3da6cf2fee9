/*
 * NIST P-256 (secp256r1): key generation, ECDH, ECDSA signing with RFC 6979
 * nonces, ECDSA verification.
 *
 * Curve: y^2 = x^3 - 3x + b over GF(p), p = 2^256 - 2^224 + 2^192 + 2^96 - 1,
 * prime group order n, cofactor 1 (so every point of the curve other than
 * infinity has order n: validating that a peer point is on the curve is all
 * the subgroup checking there is to do).
 *
 * Numbers. A residue is NL little-endian limbs of LIMB_BITS bits (4 x 64 when
 * the compiler has unsigned __int128, else 8 x 32), always fully reduced:
 * every function below takes inputs < m and returns outputs < m, so equality
 * of residues is equality of limbs. Products are Montgomery products
 * a * b / R mod m with R = 2^256 (the same R for both limb sizes, which is why
 * the generated tables of p256_table.h fit both). Field elements live in the
 * Montgomery domain (x is stored as x * R mod p) from decoding to encoding;
 * scalars mod n enter it only around the inversion in signing and verifying.
 *
 * Points (the formulas and ECDSA verification are in ec_point.h, shared with
 * p384.c; the limb helpers in ec_mp.h). Jacobian coordinates (X, Y, Z) stand
 * for the affine (X/Z^2, Y/Z^3); Z = 0 is the point at infinity. The addition
 * formulas are not complete: they fail when both inputs are the same finite
 * point (doubling case) and return infinity correctly when they are
 * opposite. How each caller avoids or
 * handles that case:
 *  - variable-time code (verify, public data) tests for it and doubles;
 *  - the constant-time scalar multiplications (ECDH window, generator comb)
 *    never reach it for a scalar 1 <= k < n, as argued next to each of them,
 *    and select the other operand with a masked copy when one input is
 *    infinity (the last ECDH window also computes the doubling and selects
 *    it by mask, so that step is complete whatever the argument).
 *
 * Constant time. For secret scalars there are no branches and no memory
 * addresses that depend on secret data: table entries are picked by reading
 * every entry and masking, limb arithmetic uses masks and carries instead of
 * conditionals. The only branches on secret-derived values are the outcomes
 * that the caller learns anyway or that are negligible: "the private key is
 * out of range", "the shared point is infinity" (impossible for valid
 * inputs), and the RFC 6979 retries (k >= n, r = 0, s = 0; probability about
 * 2^-32 or less). Verification touches public data only and runs in
 * variable time. Checked with valgrind (secret key marked undefined): the
 * only reports are those branches.
 *
 * Wiping. Scalars, nonces, DRBG state, tables and accumulators are wiped
 * before returning; the short-lived temporaries inside single field
 * operations are not (they are overwritten by the next operation's).
 *
 * Stack (deepest path, measured with -fstack-usage for Cortex-M4 -Os): about
 * 2.8 KB for ECDH (a table of 17 Jacobian points), 2.1 KB for verify (a 4-point table of Q), 2.3 KB
 * for signing (HMAC contexts, the comb, the inversion table). x86-64 -O2
 * frames are up to 1.5x larger (unrolled code).
 */
#include "crypto/ec.h"
#include "crypto/hmac.h"
#include "crypto/sha2.h"
#include "crypto/util.h"

#include <string.h>

#if defined(__SIZEOF_INT128__) && !defined(DTLS_NO_INT128)
typedef uint64_t limb;
__extension__ typedef unsigned __int128 dlimb;
#define LIMB_BITS 64
#define L64(x) ((limb)(x))
/* -n^-1 mod 2^64 (-p^-1 mod 2^64 is 1, p being -1 mod 2^64). */
#define N0 ((limb)0xccd1c8aaee00bc4fu)
#else
typedef uint32_t limb;
typedef uint64_t dlimb;
#define LIMB_BITS 32
/* clang-format off */
#define L64(x) ((limb)((uint64_t)(x) & 0xffffffffu)), ((limb)((uint64_t)(x) >> 32))
/* clang-format on */
#define N0 ((limb)0xee00bc4fu)
#endif
#define NL (256 / LIMB_BITS)

typedef limb fe[NL];

/*
 * With 64-bit limbs the NL = 4 loops below are worth unrolling (GCC does not
 * at -O2, and the Montgomery constants then fold in); with 32-bit limbs the
 * target is a small microcontroller built for size, so they stay loops.
 */
#if LIMB_BITS == 64 && defined(__GNUC__)
#define UNROLL _Pragma("GCC unroll 8")
#else
#define UNROLL
#endif

#include "crypto/ec_mp.h"
#include "crypto/p256_table.h"

/* ---- multi-precision helpers (length NL, constant time) ---------------- */

static limb ct_eq(limb a, limb b) /* 1 if a == b else 0 */
{
    limb d = a ^ b;
    return ((d | (0 - d)) >> (LIMB_BITS - 1)) ^ 1;
}

/* r = cond ? a : r for n limbs, cond 0 or 1. */
static void limbs_cmov(limb *r, const limb *a, size_t n, limb cond)
{
    limb mask = 0 - cond;
    for (size_t i = 0; i < n; i++)
        r[i] ^= mask & (r[i] ^ a[i]);
}

static void to_be(uint8_t b[32], const limb a[NL])
{
    UNROLL
    for (int i = 0; i < NL; i++)
#if LIMB_BITS == 64
        dtls_store64_be(b + 32 - LIMB_BYTES * (i + 1), a[i]);
#else
        dtls_store32_be(b + 32 - LIMB_BYTES * (i + 1), a[i]);
#endif
}

#if LIMB_BITS == 64
/*
 * t = a * b and t = a^2 for 4 x 64-bit limbs by product scanning (COL_ADD of
 * ec_mp.h, written out: GCC does not unroll the loops at -O2), for the
 * scalars mod n; the field has its own fused products below.
 */
#define COL_ADD2(x, y)                                                                                       \
    do {                                                                                                     \
        dlimb p_ = (dlimb)(x) * (y);                                                                         \
        acc += p_;                                                                                           \
        hi += (limb)(acc < p_);                                                                              \
        acc += p_;                                                                                           \
        hi += (limb)(acc < p_);                                                                              \
    } while (0)
/* clang-format off */
static void mp_mul(limb t[8], const limb a[4], const limb b[4])
{
    dlimb acc = 0;
    limb hi = 0;
    COL_ADD(a[0], b[0]);
    COL_OUT(0);
    COL_ADD(a[0], b[1]); COL_ADD(a[1], b[0]);
    COL_OUT(1);
    COL_ADD(a[0], b[2]); COL_ADD(a[1], b[1]); COL_ADD(a[2], b[0]);
    COL_OUT(2);
    COL_ADD(a[0], b[3]); COL_ADD(a[1], b[2]); COL_ADD(a[2], b[1]); COL_ADD(a[3], b[0]);
    COL_OUT(3);
    COL_ADD(a[1], b[3]); COL_ADD(a[2], b[2]); COL_ADD(a[3], b[1]);
    COL_OUT(4);
    COL_ADD(a[2], b[3]); COL_ADD(a[3], b[2]);
    COL_OUT(5);
    COL_ADD(a[3], b[3]);
    t[6] = (limb)acc;
    t[7] = (limb)(acc >> 64);
}

static void mp_sqr(limb t[8], const limb a[4])
{
    dlimb acc = 0;
    limb hi = 0;
    COL_ADD(a[0], a[0]);
    COL_OUT(0);
    COL_ADD2(a[0], a[1]);
    COL_OUT(1);
    COL_ADD2(a[0], a[2]); COL_ADD(a[1], a[1]);
    COL_OUT(2);
    COL_ADD2(a[0], a[3]); COL_ADD2(a[1], a[2]);
    COL_OUT(3);
    COL_ADD2(a[1], a[3]); COL_ADD(a[2], a[2]);
    COL_OUT(4);
    COL_ADD2(a[2], a[3]);
    COL_OUT(5);
    COL_ADD(a[3], a[3]);
    t[6] = (limb)acc;
    t[7] = (limb)(acc >> 64);
}
/* clang-format on */
#endif

/* ---- the field GF(p), Montgomery domain -------------------------------- */

#if LIMB_BITS == 64
/*
 * Montgomery arithmetic mod p with 64-bit limbs uses the shape of p:
 * -p^-1 = 1 mod 2^64, so a reduction round takes u = (lowest limb) and adds
 *   u * p = u * (2^96 - 1) + u * p3 * 2^192,   p3 = 2^64 - 2^32 + 1,
 * there. The "- u" clears the lowest limb exactly (no borrow), u * 2^96 is
 * u << 32 spread over the next two limbs, and w = u * p3 < 2^128 lands on the
 * two after those: one multiplication per round instead of four. The
 * additions are add_c chains (ec_mp.h), so the carries are the CPU's carry
 * flag, not 128-bit arithmetic.
 *
 * fe_mul interleaves the reduction with the product (operand scanning):
 * round i adds a * b[i] to t, then u * p, then drops the zero low limb. With
 * T < 2p before a round, T + a b[i] + u p <= (2p - 1) + (p - 1)(W - 1) +
 * (W - 1) p = (2p - 1) W (W = 2^64), so after the division by W again T < 2p:
 * t0..t3 plus the bit t4, and one conditional subtraction ends below p.
 * During a round T + a b[i] < 2p + p W < 2^321 fits t0..t5. (Unrolling the
 * four rounds made GCC spill registers and ran slower.)
 */
static void fe_mul(fe r, const fe a, const fe b)
{
    limb t0 = 0, t1 = 0, t2 = 0, t3 = 0, t4 = 0, t5, u, m[4];
    carry_t c;
    for (int i = 0; i < 4; i++) {
        dlimb p0 = (dlimb)a[0] * b[i], p1 = (dlimb)a[1] * b[i];
        dlimb p2 = (dlimb)a[2] * b[i], p3 = (dlimb)a[3] * b[i], w;
        c = 0;
        t0 = add_c(t0, (limb)p0, &c);
        t1 = add_c(t1, (limb)p1, &c);
        t2 = add_c(t2, (limb)p2, &c);
        t3 = add_c(t3, (limb)p3, &c);
        t4 = add_c(t4, 0, &c);
        t5 = c;
        c = 0;
        t1 = add_c(t1, (limb)(p0 >> 64), &c);
        t2 = add_c(t2, (limb)(p1 >> 64), &c);
        t3 = add_c(t3, (limb)(p2 >> 64), &c);
        t4 = add_c(t4, (limb)(p3 >> 64), &c);
        t5 += c;
        u = t0;
        w = (dlimb)u * 0xffffffff00000001u;
        c = 0;
        t0 = add_c(t1, u << 32, &c);
        t1 = add_c(t2, u >> 32, &c);
        t2 = add_c(t3, (limb)w, &c);
        t3 = add_c(t4, (limb)(w >> 64), &c);
        t4 = t5 + c;
    }
    m[0] = t0;
    m[1] = t1;
    m[2] = t2;
    m[3] = t3;
    cond_sub(r, m, t4, P256_P);
}

/*
 * fe_sqr squares first (the six cross products once, doubled by a shift,
 * then the four squares: 10 multiplications instead of 16) and reduces the
 * 512-bit square in four rounds of the shape above. Round i works on limbs
 * i+1 .. i+4; the sum in limb i+4 also takes c2, the carry out of the round
 * before (it belongs there: one limb up per round); hi(w) + c2 cannot
 * overflow as hi(w) < p3. The bound on the result is the one of
 * mont_reduce: (c2:t4..t7) < 2p.
 */
static void fe_sqr(fe r, const fe a)
{
    limb t[8], x01, x02;
    carry_t c, c2;
    dlimb m01 = (dlimb)a[0] * a[1], m02 = (dlimb)a[0] * a[2], m03 = (dlimb)a[0] * a[3];
    dlimb m12 = (dlimb)a[1] * a[2], m13 = (dlimb)a[1] * a[3], m23 = (dlimb)a[2] * a[3];

    /* cross products, limbs 1 .. 6 */
    x01 = (limb)m01;
    c = 0;
    x02 = add_c((limb)(m01 >> 64), (limb)m02, &c);
    t[3] = add_c((limb)(m02 >> 64), (limb)m03, &c);
    t[4] = add_c((limb)(m03 >> 64), (limb)m13, &c);
    t[5] = add_c((limb)(m13 >> 64), (limb)m23, &c);
    t[6] = (limb)(m23 >> 64) + c; /* the cross sum is < 2^383: no carry out */
    c = 0;
    t[3] = add_c(t[3], (limb)m12, &c);
    t[4] = add_c(t[4], (limb)(m12 >> 64), &c);
    t[5] = add_c(t[5], 0, &c);
    t[6] += c;
    /* doubled */
    t[7] = t[6] >> 63;
    t[6] = (t[6] << 1) | (t[5] >> 63);
    t[5] = (t[5] << 1) | (t[4] >> 63);
    t[4] = (t[4] << 1) | (t[3] >> 63);
    t[3] = (t[3] << 1) | (x02 >> 63);
    t[2] = (x02 << 1) | (x01 >> 63);
    t[1] = x01 << 1;
    /* plus the squares */
    dlimb s0 = (dlimb)a[0] * a[0], s1 = (dlimb)a[1] * a[1], s2 = (dlimb)a[2] * a[2], s3 = (dlimb)a[3] * a[3];
    t[0] = (limb)s0;
    c = 0;
    t[1] = add_c(t[1], (limb)(s0 >> 64), &c);
    t[2] = add_c(t[2], (limb)s1, &c);
    t[3] = add_c(t[3], (limb)(s1 >> 64), &c);
    t[4] = add_c(t[4], (limb)s2, &c);
    t[5] = add_c(t[5], (limb)(s2 >> 64), &c);
    t[6] = add_c(t[6], (limb)s3, &c);
    t[7] = add_c(t[7], (limb)(s3 >> 64), &c);

    c2 = 0;
    UNROLL
    for (int i = 0; i < 4; i++) {
        limb u = t[i];
        dlimb w = (dlimb)u * 0xffffffff00000001u;
        c = 0;
        t[i + 1] = add_c(t[i + 1], u << 32, &c);
        t[i + 2] = add_c(t[i + 2], u >> 32, &c);
        t[i + 3] = add_c(t[i + 3], (limb)w, &c);
        t[i + 4] = add_c(t[i + 4], (limb)(w >> 64) + c2, &c);
        c2 = c;
    }
    cond_sub(r, t + 4, c2, P256_P);
}
#else
static void fe_mul(fe r, const fe a, const fe b)
{
    limb t[2 * NL];
    mp_mul(t, a, b);
    mont_reduce(r, t, P256_P, 1);
}

static void fe_sqr(fe r, const fe a)
{
    limb t[2 * NL];
    mp_sqr(t, a);
    mont_reduce(r, t, P256_P, 1);
}
#endif

/* r = a^(2^n) */
static void fe_sqr_n(fe r, const fe a, int n)
{
    fe_sqr(r, a);
    while (--n > 0)
        fe_sqr(r, r);
}

static inline void fe_add(fe r, const fe a, const fe b)
{
    mod_add(r, a, b, P256_P);
}

static inline void fe_sub(fe r, const fe a, const fe b)
{
    mod_sub(r, a, b, P256_P);
}

static void fe_half(fe r, const fe a)
{
    mod_half(r, a, P256_P);
}

static void fe_neg(fe r, const fe a)
{
    static const fe zero = {0};
    mod_sub(r, zero, a, P256_P);
}

/* a (plain, < p) to the Montgomery domain: a * R^2 / R. */
static void fe_to_mont(fe r, const fe a)
{
    fe_mul(r, a, P256_RR_P);
}

/* Out of the Montgomery domain: a * 1 / R. */
static void fe_from_mont(fe r, const fe a)
{
    static const fe one = {1};
    fe_mul(r, a, one);
}

/*
 * r = 1/a = a^(p-2) (0 for a = 0), Montgomery domain in and out. With
 * x_k = a^(2^k - 1), p - 2 in binary is
 *   [32 ones] [31 zeros, 1] [96 zeros] [32 ones] [32 ones] [30 ones, 0, 1],
 * built from x_32, x_30 and a: 255 squarings and 12 multiplications.
 */
static void fe_inv(fe r, const fe a)
{
    fe x2, x3, x6, x12, x15, x30, x32, t;

    fe_sqr(x2, a);
    fe_mul(x2, x2, a);
    fe_sqr(x3, x2);
    fe_mul(x3, x3, a);
    fe_sqr_n(x6, x3, 3);
    fe_mul(x6, x6, x3);
    fe_sqr_n(x12, x6, 6);
    fe_mul(x12, x12, x6);
    fe_sqr_n(x15, x12, 3);
    fe_mul(x15, x15, x3);
    fe_sqr_n(x30, x15, 15);
    fe_mul(x30, x30, x15);
    fe_sqr_n(x32, x30, 2);
    fe_mul(x32, x32, x2);
    fe_sqr_n(t, x32, 32);
    fe_mul(t, t, a);
    fe_sqr_n(t, t, 128);
    fe_mul(t, t, x32);
    fe_sqr_n(t, t, 32);
    fe_mul(t, t, x32);
    fe_sqr_n(t, t, 30);
    fe_mul(t, t, x30);
    fe_sqr_n(t, t, 2);
    fe_mul(r, t, a);
    dtls_wipe(x2, sizeof x2);
    dtls_wipe(x3, sizeof x3);
    dtls_wipe(x6, sizeof x6);
    dtls_wipe(x12, sizeof x12);
    dtls_wipe(x15, sizeof x15);
    dtls_wipe(x30, sizeof x30);
    dtls_wipe(x32, sizeof x32);
    dtls_wipe(t, sizeof t);
}

/* ---- scalars mod n ------------------------------------------------------ */

/* sc_mul(a, b) = a * b / R mod n (Montgomery multiplication mod n). */
static void sc_mul(limb r[NL], const limb a[NL], const limb b[NL])
{
    limb t[2 * NL];
    mp_mul(t, a, b);
    mont_reduce(r, t, P256_N, N0);
}

static void sc_sqr(limb r[NL], const limb a[NL])
{
    limb t[2 * NL];
    mp_sqr(t, a);
    mont_reduce(r, t, P256_N, N0);
}

/*
 * r = 1/a * R mod n for a plain scalar 0 < a < n: (aR)^(n-2) in the
 * Montgomery domain, by a fixed 4-bit window from the top. The exponent is
 * public, so skipping its zero digits and indexing the table by them reveals
 * nothing about a.
 */
static void sc_inv_mont(limb r[NL], const limb a[NL])
{
    limb tab[16][NL], acc[NL];

    sc_mul(tab[1], a, P256_RR_N);
    for (int i = 2; i < 16; i++)
        sc_mul(tab[i], tab[i - 1], tab[1]);
    memcpy(acc, tab[15], sizeof acc); /* the top digit of n - 2 is 0xf */
    for (int i = 256 / 4 - 2; i >= 0; i--) {
        unsigned d = (unsigned)(P256_N_MINUS_2[i / (LIMB_BITS / 4)] >> (4 * (i % (LIMB_BITS / 4)))) & 15;
        for (int k = 0; k < 4; k++)
            sc_sqr(acc, acc);
        if (d)
            sc_mul(acc, acc, tab[d]);
    }
    memcpy(r, acc, sizeof acc);
    dtls_wipe(tab, sizeof tab);
    dtls_wipe(acc, sizeof acc);
}

/* 1 if 1 <= k < n, constant time. */
static limb sc_in_range(const limb k[NL])
{
    return lt(k, P256_N) & (is_zero(k) ^ 1);
}

/* r = a mod n for any a < 2^256 < 2n. */
static void sc_reduce_once(limb r[NL], const limb a[NL])
{
    cond_sub(r, a, 0, P256_N);
}

static limb scalar_bit(const limb k[NL], int i)
{
    if (i < 0 || i >= 256) /* public positions only */
        return 0;
    return (k[i / LIMB_BITS] >> (i % LIMB_BITS)) & 1;
}

/* ---- points (formulas and ECDSA verification: ec_point.h) -------------- */

#define EC_BITS 256
#define EC_FE_BYTES 32
#define EC_P P256_P
#define EC_N P256_N
#define EC_B P256_B
#define EC_ONE P256_ONE
#define EC_RR_N P256_RR_N
#define EC_P_MINUS_N P256_P_MINUS_N
#define EC_G_ODD P256_G_ODD
#define WNAF_G 6 /* P256_G_ODD holds 1G .. 31G */
/* 1Q .. 15Q computed per call; 1Q .. 7Q with 32-bit limbs (microcontrollers), where
 * the table is 384 bytes less stack for about 8 more point additions per verify. */
#if LIMB_BITS == 32
#define WNAF_Q 4
#else
#define WNAF_Q 5
#endif
#include "crypto/ec_point.h"

static void jac_cmov(jac *r, const jac *a, limb cond)
{
    limbs_cmov(r->x, a->x, NL, cond);
    limbs_cmov(r->y, a->y, NL, cond);
    limbs_cmov(r->z, a->z, NL, cond);
}

/* Constant-time a + b; either may be infinity; a != b when both are finite. */
static void jac_add_ct(jac *r, const jac *a, const jac *b)
{
    jac t;
    limb ainf = is_zero(a->z), binf = is_zero(b->z);
    jac_add_core(&t, a, b, NULL);
    jac_cmov(&t, b, ainf);
    jac_cmov(&t, a, binf);
    *r = t;
}

/* Constant-time a + b for any a, b: jac_add_ct plus a doubling selected by mask when a == b. */
static void jac_add_ct_full(jac *r, const jac *a, const jac *b)
{
    jac t, d;
    limb same, ainf = is_zero(a->z), binf = is_zero(b->z);
    jac_add_core(&t, a, b, &same);
    jac_dbl(&d, a);
    jac_cmov(&t, &d, same);
    jac_cmov(&t, b, ainf);
    jac_cmov(&t, a, binf);
    *r = t;
    dtls_wipe(&d, sizeof d);
}

/* Constant-time a + b, b affine (finite); a may be infinity; a != b. */
static void jac_add_aff_ct(jac *r, const jac *a, const aff *b)
{
    jac t, bj;
    limb ainf = is_zero(a->z);
    jac_add_aff_core(&t, a, b, NULL);
    jac_from_aff(&bj, b);
    jac_cmov(&t, &bj, ainf);
    *r = t;
}

/* Affine x (and y when y != NULL), plain big-endian bytes, of a finite point. */
static void jac_to_bytes(uint8_t x[32], uint8_t y[32], const jac *a)
{
    fe zi, zi2, t;
    fe_inv(zi, a->z);
    fe_sqr(zi2, zi);
    fe_mul(t, a->x, zi2);
    fe_from_mont(t, t);
    to_be(x, t);
    if (y) {
        fe_mul(zi2, zi2, zi);
        fe_mul(t, a->y, zi2);
        fe_from_mont(t, t);
        to_be(y, t);
    }
    dtls_wipe(zi, sizeof zi);
    dtls_wipe(zi2, sizeof zi2);
    dtls_wipe(t, sizeof t);
}

static void aff_encode(uint8_t out[65], const jac *a)
{
    out[0] = 0x04;
    jac_to_bytes(out + 1, out + 33, a);
}

/* ---- constant-time scalar multiplications ------------------------------ */

#define WIN 5                               /* signed window width of mul_ct */
#define WINDOWS ((256 + WIN - 1) / WIN + 1) /* 52: the top one takes the last carry */

/* r = tab[idx] for idx in 0..2^(WIN-1), reading every entry. */
static void jac_select(jac *r, const jac tab[(1 << (WIN - 1)) + 1], limb idx)
{
    memset(r, 0, sizeof *r);
    for (int i = 0; i <= 1 << (WIN - 1); i++) {
        limb m = 0 - ct_eq((limb)i, idx);
        UNROLL
        for (int j = 0; j < NL; j++) {
            r->x[j] |= tab[i].x[j] & m;
            r->y[j] |= tab[i].y[j] & m;
            r->z[j] |= tab[i].z[j] & m;
        }
    }
}

/*
 * Signed (Booth) digit i of k, in -16 .. 16: with b_j the bits of k (b_-1 = 0,
 * b_j = 0 for j >= 256), d_i = b_{5i-1} + b_{5i} + 2 b_{5i+1} + 4 b_{5i+2}
 * + 8 b_{5i+3} - 16 b_{5i+4}. The sum telescopes: sum_i d_i 2^(5i) = k.
 * Returns |d_i|; *neg = 1 when d_i < 0. Constant time.
 */
static limb booth_digit(const limb k[NL], int i, limb *neg)
{
    limb w = 0, v, mask;
    for (int j = 0; j < WIN + 1; j++)
        w |= scalar_bit(k, WIN * i - 1 + j) << j;
    v = (w & 1) + (w >> 1); /* d_i + 32 b_{5i+4}, in 0 .. 32 */
    *neg = w >> WIN;        /* b_{5i+4}: d_i = v - 32 <= 0 */
    mask = 0 - *neg;
    return ((32 - v) & mask) | (v & ~mask);
}

/*
 * r = k * p for a finite point p and a secret 1 <= k < n: 52 signed 5-bit
 * windows from the top, table tab[i] = i * p for i = 0 .. 16 (tab[0] =
 * infinity), negated by mask for negative digits.
 *
 * No exceptional addition before the last window. With K_i = sum_{j>=i} d_j
 * 2^(5(j-i)) = floor(k / 2^(5i)) + b_{5i-1}, step i adds A = 32 K_{i+1} p and
 * D = d_i p. For i >= 1, 0 <= 32 K_{i+1} <= K_i + 16 <= k/32 + 17 < n - 16.
 * The doubling case A == D needs 32 K_{i+1} = d_i mod n: for d_i >= 0 both
 * sides are in [0, n), so 32 K_{i+1} = d_i <= 16, forcing both to zero (both
 * inputs at infinity, which the masked copies handle); for d_i < 0 it needs
 * 32 K_{i+1} = n + d_i >= n - 16, out of range. A == -D means K_i = 0 mod n,
 * and 0 <= K_i < n, so K_i = 0: the formulas return infinity, correctly.
 * The last window (i = 0) lacks the margin: 32 K_1 can reach n + 15, and
 * A == D then needs k = n - 2m with d_0 = -m for some m in 1..16. For this n
 * (n = 17 mod 32) that happens only for m = 17, so never, but rather than
 * rest on the low bits of n the last window uses jac_add_ct_full (one extra
 * doubling). Building the table adds (i-1) p + p for odd i >= 3, never equal
 * points.
 *
 * Stack: the table is 17 points (1.6 KB with 64-bit limbs).
 */
static void mul_ct(jac *r, const jac *p, const limb k[NL])
{
    jac tab[(1 << (WIN - 1)) + 1], acc, sel;
    fe ny;

    jac_set_inf(&tab[0]);
    tab[1] = *p;
    for (int i = 2; i <= 1 << (WIN - 1); i++) {
        if (i & 1)
            jac_add_ct(&tab[i], &tab[i - 1], p);
        else
            jac_dbl(&tab[i], &tab[i / 2]);
    }
    jac_set_inf(&acc);
    for (int i = WINDOWS - 1; i >= 0; i--) {
        limb neg, d = booth_digit(k, i, &neg);
        if (i != WINDOWS - 1) {
            for (int j = 0; j < WIN; j++)
                jac_dbl(&acc, &acc);
        }
        jac_select(&sel, tab, d);
        fe_neg(ny, sel.y);
        limbs_cmov(sel.y, ny, NL, neg);
        if (i != 0)
            jac_add_ct(&acc, &acc, &sel);
        else
            jac_add_ct_full(&acc, &acc, &sel);
    }
    *r = acc;
    dtls_wipe(tab, sizeof tab);
    dtls_wipe(&acc, sizeof acc);
    dtls_wipe(&sel, sizeof sel);
    dtls_wipe(ny, sizeof ny);
}

#define COMB_TEETH 5
#define COMB_TABLES 2
#define COMB_SPACING 26 /* COMB_TEETH * COMB_TABLES * COMB_SPACING = 260 >= 256 */

/* r = P256_COMB[m][idx - 1] for idx in 1..31, reading every entry of table m. */
static void comb_select(aff *r, int m, limb idx)
{
    memset(r, 0, sizeof *r);
    for (int i = 0; i < (1 << COMB_TEETH) - 1; i++) {
        limb mask = 0 - ct_eq((limb)(i + 1), idx);
        UNROLL
        for (int j = 0; j < NL; j++) {
            r->x[j] |= P256_COMB[m][i][0][j] & mask;
            r->y[j] |= P256_COMB[m][i][1][j] & mask;
        }
    }
}

/*
 * r = k * G for a secret 1 <= k < n with the comb tables: write k in ten
 * chunks of 26 bits, k = sum_t c_t 2^(26 t). Table m holds, for each 5-bit
 * idx, T_m(idx) = sum_{i<5} idx_i 2^(26 (5m + i)) G; column j uses
 * idx_m = sum_i bit_j(c_{5m+i}) 2^i. Then k G = sum_j 2^j (T_0 + T_1)(column j):
 * 25 doublings and 52 mixed additions.
 *
 * No exceptional addition. Let S_j = sum_t floor(c_t / 2^j) 2^(26 t), the
 * scalar of the accumulator after column j: S_j <= k / 2^j < n, and
 * S_j = 2 S_{j+1} + T_0 + T_1 (the column's two table scalars). Read every
 * number here in base 2^26 (ten digits, each < 2^26, so representations are
 * unique): 2 S_{j+1} has even digits, T_0 has digits 0/1 in places 0-4 and 0
 * elsewhere, T_1 digits 0/1 in places 5-9, and no sum below carries. Every
 * operand and partial sum is in [0, S_j], inside [0, n), so equal points mean
 * equal integers. Adding T_0 to 2 S_{j+1}: equality means even digits equal
 * to 0/1 digits, so both are 0. Adding T_1 to 2 S_{j+1} + T_0: places 0-4
 * give 2s + b = 0, places 5-9 give 2s = b, so again both are 0. "Both 0" is
 * the accumulator at infinity (masked copy of the table point) with idx = 0
 * (the sum is discarded). Opposite points would need a partial sum = 0 mod n,
 * i.e. both addends 0: the same case.
 */
static void mul_base_ct(jac *r, const limb k[NL])
{
    jac acc, t;
    aff sel;

    jac_set_inf(&acc);
    for (int j = COMB_SPACING - 1; j >= 0; j--) {
        if (j != COMB_SPACING - 1)
            jac_dbl(&acc, &acc);
        for (int m = 0; m < COMB_TABLES; m++) {
            limb idx = 0;
            for (int i = 0; i < COMB_TEETH; i++)
                idx |= scalar_bit(k, COMB_SPACING * (COMB_TEETH * m + i) + j) << i;
            comb_select(&sel, m, idx);
            jac_add_aff_ct(&t, &acc, &sel);
            jac_cmov(&acc, &t, ct_eq(idx, 0) ^ 1);
        }
    }
    *r = acc;
    dtls_wipe(&acc, sizeof acc);
    dtls_wipe(&t, sizeof t);
    dtls_wipe(&sel, sizeof sel);
}

/* ---- public API: keys and ECDH ----------------------------------------- */

int dtls_p256_pubkey(uint8_t pub[65], const uint8_t priv[32])
{
    limb k[NL];
    jac r;
    from_be(k, priv);
    if (!sc_in_range(k)) {
        dtls_wipe(k, sizeof k);
        return -1;
    }
    mul_base_ct(&r, k);
    aff_encode(pub, &r);
    dtls_wipe(k, sizeof k);
    dtls_wipe(&r, sizeof r);
    return 0;
}

int dtls_p256_ecdh(uint8_t z[32], const uint8_t priv[32], const uint8_t *peer, size_t peer_len)
{
    limb k[NL];
    aff q;
    jac p, r;
    int ret = -1;

    if (aff_decode(&q, peer, peer_len) != 0)
        return -1;
    from_be(k, priv);
    if (sc_in_range(k)) {
        jac_from_aff(&p, &q);
        mul_ct(&r, &p, k);
        /* Cannot be infinity (k < n, p of order n); checked all the same. */
        if (!is_zero(r.z)) {
            jac_to_bytes(z, NULL, &r);
            ret = 0;
        }
    }
    dtls_wipe(k, sizeof k);
    dtls_wipe(&r, sizeof r);
    return ret;
}

/* ---- ECDSA signing with RFC 6979 nonces --------------------------------- */

/*
 * HMAC_DRBG of RFC 6979 3.2 with HMAC-SHA-256 and qlen = hlen = 256, so each
 * candidate nonce is one HMAC output. `keyed` is HMAC keyed with the current
 * K, copied for each use (each key serves two MACs), which saves the two pad
 * compressions per MAC.
 */
typedef struct {
    dtls_hmac_ctx keyed;
    uint8_t v[32];
} drbg;

/* K = HMAC_K(V || sep || x || h) (x and h both present or both NULL); V = HMAC_K(V). */
static void drbg_update(drbg *g, uint8_t sep, const uint8_t x[32], const uint8_t h[32])
{
    dtls_hmac_ctx c = g->keyed;
    uint8_t k[32];
    dtls_hmac_update(&c, g->v, 32);
    dtls_hmac_update(&c, &sep, 1);
    if (x) {
        dtls_hmac_update(&c, x, 32);
        dtls_hmac_update(&c, h, 32);
    }
    dtls_hmac_final(&c, k);
    dtls_hmac_init(&g->keyed, &dtls_hash_sha256, k, 32);
    c = g->keyed;
    dtls_hmac_update(&c, g->v, 32);
    dtls_hmac_final(&c, g->v);
    dtls_wipe(k, sizeof k);
}

static void drbg_init(drbg *g, const uint8_t x[32], const uint8_t h1[32])
{
    uint8_t k[32];
    memset(k, 0x00, sizeof k);
    memset(g->v, 0x01, sizeof g->v);
    dtls_hmac_init(&g->keyed, &dtls_hash_sha256, k, 32);
    drbg_update(g, 0x00, x, h1);
    drbg_update(g, 0x01, x, h1);
}

/* T = V = HMAC_K(V): the next candidate. */
static void drbg_generate(drbg *g, uint8_t out[32])
{
    dtls_hmac_ctx c = g->keyed;
    dtls_hmac_update(&c, g->v, 32);
    dtls_hmac_final(&c, g->v);
    memcpy(out, g->v, 32);
}

int dtls_p256_ecdsa_sign(uint8_t sig[64], const uint8_t priv[32], const uint8_t *hash, size_t hash_len)
{
    limb d[NL], e[NL], k[NL], kinv[NL], r[NL], s[NL], t[NL];
    uint8_t h1[32], cand[32], xr[32];
    drbg g;
    jac R;

    from_be(d, priv);
    if (!sc_in_range(d)) {
        dtls_wipe(d, sizeof d);
        return -1;
    }
    hash_to_scalar(e, hash, hash_len, P256_N); /* bytes of e: RFC 6979 bits2octets(h1) */
    to_be(h1, e);
    drbg_init(&g, priv, h1);
    for (;;) {
        drbg_generate(&g, cand);
        from_be(k, cand);
        /* bits2int(T) is T itself (qlen = 256); retry unless 1 <= k < n. */
        if (sc_in_range(k)) {
            mul_base_ct(&R, k);
            jac_to_bytes(xr, NULL, &R);
            from_be(r, xr);
            sc_reduce_once(r, r); /* x < p < 2n */
            if (!is_zero(r)) {
                /*
                 * s = k^-1 (e + r d): kinv = k^-1 R, t = r (dR) / R = r d,
                 * t + e, then (t + e) (k^-1 R) / R = s. All operands < n.
                 */
                sc_inv_mont(kinv, k);
                sc_mul(t, d, P256_RR_N);
                sc_mul(t, r, t);
                mod_add(t, t, e, P256_N);
                sc_mul(s, t, kinv);
                if (!is_zero(s))
                    break;
            }
        }
        drbg_update(&g, 0x00, NULL, NULL);
    }
    to_be(sig, r);
    to_be(sig + 32, s);
    dtls_wipe(d, sizeof d);
    dtls_wipe(k, sizeof k);
    dtls_wipe(kinv, sizeof kinv);
    dtls_wipe(t, sizeof t);
    dtls_wipe(s, sizeof s);
    dtls_wipe(e, sizeof e);
    dtls_wipe(h1, sizeof h1);
    dtls_wipe(cand, sizeof cand);
    dtls_wipe(&g, sizeof g);
    dtls_wipe(&R, sizeof R);
    return 0;
}

/* ---- ECDSA verification (public data, variable time: ec_point.h) ------- */

int dtls_p256_ecdsa_verify(const uint8_t *pub, size_t pub_len, const uint8_t *hash, size_t hash_len,
                           const uint8_t sig[64])
{
    return ecdsa_verify_vt(pub, pub_len, hash, hash_len, sig);
}
