/*
 * NIST P-384 (secp384r1) ECDSA verification.
 *
 * Curve: y^2 = x^3 - 3x + b over GF(p), p = 2^384 - 2^128 - 2^96 + 2^32 - 1,
 * prime group order n, cofactor 1.
 *
 * Verification only touches public data (key, hash, signature), so this file
 * runs in variable time and keeps to the simplest correct arithmetic; p256.c
 * has the constant-time machinery and the longer explanations, which apply
 * here unchanged:
 *  - residues are NL little-endian limbs (6 x 64 with unsigned __int128, else
 *    12 x 32), always fully reduced (< m), so equality is equality of limbs;
 *  - field elements live in the Montgomery domain, R = 2^384 for both limb
 *    sizes (so the generated tables of p384_table.h fit both);
 *  - points are Jacobian (X/Z^2, Y/Z^3), Z = 0 is infinity; additions test
 *    for the equal-points case and double instead.
 * Verification computes u1 G + u2 Q by an interleaved wNAF (width 6 over a
 * constant table of odd multiples of G, width 5 over odd multiples of Q built
 * per call) and compares x mod n with r without inverting Z.
 * Stack: about 3.8 KB on Cortex-M4 -Os (the Q table, the two wNAFs and the
 * inversion table mod n).
 */
#include "crypto/ec.h"
#include "crypto/util.h"

#include <string.h>

#if defined(__SIZEOF_INT128__) && !defined(DTLS_NO_INT128)
typedef uint64_t limb;
__extension__ typedef unsigned __int128 dlimb;
#define LIMB_BITS 64
#define L64(x) ((limb)(x))
/* -p^-1 and -n^-1 mod 2^64 */
#define P0 ((limb)0x0000000100000001u)
#define N0 ((limb)0x6ed46089e88fdc45u)
#else
typedef uint32_t limb;
typedef uint64_t dlimb;
#define LIMB_BITS 32
/* clang-format off */
#define L64(x) ((limb)((uint64_t)(x) & 0xffffffffu)), ((limb)((uint64_t)(x) >> 32))
/* clang-format on */
#define P0 ((limb)1)
#define N0 ((limb)0xe88fdc45u)
#endif
#define NL (384 / LIMB_BITS)

typedef limb fe[NL];

#if LIMB_BITS == 64 && defined(__GNUC__)
#define UNROLL _Pragma("GCC unroll 8")
#else
#define UNROLL
#endif

#include "crypto/ec_mp.h"
#include "crypto/p384_table.h"

/* ---- products (64-bit; the 32-bit ones are in ec_mp.h) ------------------ */

#if LIMB_BITS == 64
/* The same two functions written out for NL = 6 (GCC does not unroll the loops at -O2). */
/* clang-format off */
static void mp_mul(limb t[12], const limb a[6], const limb b[6])
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
    COL_ADD(a[0], b[4]); COL_ADD(a[1], b[3]); COL_ADD(a[2], b[2]); COL_ADD(a[3], b[1]); COL_ADD(a[4], b[0]);
    COL_OUT(4);
    COL_ADD(a[0], b[5]); COL_ADD(a[1], b[4]); COL_ADD(a[2], b[3]);
    COL_ADD(a[3], b[2]); COL_ADD(a[4], b[1]); COL_ADD(a[5], b[0]);
    COL_OUT(5);
    COL_ADD(a[1], b[5]); COL_ADD(a[2], b[4]); COL_ADD(a[3], b[3]); COL_ADD(a[4], b[2]); COL_ADD(a[5], b[1]);
    COL_OUT(6);
    COL_ADD(a[2], b[5]); COL_ADD(a[3], b[4]); COL_ADD(a[4], b[3]); COL_ADD(a[5], b[2]);
    COL_OUT(7);
    COL_ADD(a[3], b[5]); COL_ADD(a[4], b[4]); COL_ADD(a[5], b[3]);
    COL_OUT(8);
    COL_ADD(a[4], b[5]); COL_ADD(a[5], b[4]);
    COL_OUT(9);
    COL_ADD(a[5], b[5]);
    t[10] = (limb)acc;
    t[11] = (limb)(acc >> 64);
}

static void mp_sqr(limb t[12], const limb a[6])
{
    dlimb acc = 0;
    limb hi = 0;
    COL_ADD(a[0], a[0]);
    COL_OUT(0);
    COL_ADD(a[0], a[1]); COL_ADD(a[0], a[1]);
    COL_OUT(1);
    COL_ADD(a[0], a[2]); COL_ADD(a[0], a[2]); COL_ADD(a[1], a[1]);
    COL_OUT(2);
    COL_ADD(a[0], a[3]); COL_ADD(a[0], a[3]); COL_ADD(a[1], a[2]); COL_ADD(a[1], a[2]);
    COL_OUT(3);
    COL_ADD(a[0], a[4]); COL_ADD(a[0], a[4]); COL_ADD(a[1], a[3]); COL_ADD(a[1], a[3]); COL_ADD(a[2], a[2]);
    COL_OUT(4);
    COL_ADD(a[0], a[5]); COL_ADD(a[0], a[5]); COL_ADD(a[1], a[4]);
    COL_ADD(a[1], a[4]); COL_ADD(a[2], a[3]); COL_ADD(a[2], a[3]);
    COL_OUT(5);
    COL_ADD(a[1], a[5]); COL_ADD(a[1], a[5]); COL_ADD(a[2], a[4]); COL_ADD(a[2], a[4]); COL_ADD(a[3], a[3]);
    COL_OUT(6);
    COL_ADD(a[2], a[5]); COL_ADD(a[2], a[5]); COL_ADD(a[3], a[4]); COL_ADD(a[3], a[4]);
    COL_OUT(7);
    COL_ADD(a[3], a[5]); COL_ADD(a[3], a[5]); COL_ADD(a[4], a[4]);
    COL_OUT(8);
    COL_ADD(a[4], a[5]); COL_ADD(a[4], a[5]);
    COL_OUT(9);
    COL_ADD(a[5], a[5]);
    t[10] = (limb)acc;
    t[11] = (limb)(acc >> 64);
}
/* clang-format on */
#endif

/* ---- field and scalars -------------------------------------------------- */

static void fe_mul(fe r, const fe a, const fe b)
{
    limb t[2 * NL];
    mp_mul(t, a, b);
    mont_reduce(r, t, P384_P, P0);
}

static void fe_sqr(fe r, const fe a)
{
    limb t[2 * NL];
    mp_sqr(t, a);
    mont_reduce(r, t, P384_P, P0);
}

static inline void fe_add(fe r, const fe a, const fe b)
{
    mod_add(r, a, b, P384_P);
}

static inline void fe_sub(fe r, const fe a, const fe b)
{
    mod_sub(r, a, b, P384_P);
}

static void fe_neg(fe r, const fe a)
{
    static const fe zero = {0};
    mod_sub(r, zero, a, P384_P);
}

static void fe_to_mont(fe r, const fe a)
{
    fe_mul(r, a, P384_RR_P);
}

static void sc_mul(limb r[NL], const limb a[NL], const limb b[NL])
{
    limb t[2 * NL];
    mp_mul(t, a, b);
    mont_reduce(r, t, P384_N, N0);
}

static int sc_in_range(const limb k[NL])
{
    return lt(k, P384_N) && !is_zero(k);
}

/* ---- points (variable time) --------------------------------------------- */

typedef struct {
    fe x, y, z;
} jac;

typedef struct {
    fe x, y;
} aff;

static void jac_from_aff(jac *r, const aff *a)
{
    memcpy(r->x, a->x, sizeof(fe));
    memcpy(r->y, a->y, sizeof(fe));
    memcpy(r->z, P384_ONE, sizeof(fe));
}

/*
 * r = 2a, a = -3 (4M + 4S): alpha = 3 (X - Z^2)(X + Z^2), B = 4 X Y^2,
 * X3 = alpha^2 - 2B, Y3 = alpha (B - X3) - 8 Y^4, Z3 = 2 Y Z.
 * Infinity (Z = 0) stays infinity; no finite point has Y = 0. r may alias a.
 */
static void jac_dbl(jac *r, const jac *a)
{
    fe delta, yy, t, b, alpha, u;

    fe_sqr(delta, a->z);
    fe_sqr(yy, a->y);
    fe_add(yy, yy, yy); /* 2 Y^2 */
    fe_add(t, yy, yy);  /* 4 Y^2 */
    fe_mul(b, a->x, t);
    fe_sub(u, a->x, delta);
    fe_add(alpha, a->x, delta);
    fe_mul(alpha, alpha, u);
    fe_add(u, alpha, alpha);
    fe_add(alpha, u, alpha);
    fe_add(t, a->y, a->y);
    fe_mul(r->z, t, a->z);
    fe_sqr(u, alpha);
    fe_sub(u, u, b);
    fe_sub(r->x, u, b);
    fe_sub(u, b, r->x);
    fe_mul(u, alpha, u);
    fe_sqr(yy, yy);     /* 4 Y^4 */
    fe_add(yy, yy, yy); /* 8 Y^4 */
    fe_sub(r->y, u, yy);
}

/*
 * r = a + b, variable time ("add-1998-cmo-2", 12M + 4S, see p256.c): infinity
 * inputs, a == b (doubles) and a == -b (infinity, from Z3 = 0) are all handled.
 * r may alias a or b.
 */
static void jac_add(jac *r, const jac *a, const jac *b)
{
    fe z1z1, z2z2, u1, u2, s1, s2, h, rr, t;

    if (is_zero(a->z)) {
        *r = *b;
        return;
    }
    if (is_zero(b->z)) {
        *r = *a;
        return;
    }
    fe_sqr(z1z1, a->z);
    fe_sqr(z2z2, b->z);
    fe_mul(u1, a->x, z2z2);
    fe_mul(u2, b->x, z1z1);
    fe_mul(s1, a->y, b->z);
    fe_mul(s1, s1, z2z2);
    fe_mul(s2, b->y, a->z);
    fe_mul(s2, s2, z1z1);
    fe_sub(h, u2, u1);
    fe_sub(rr, s2, s1);
    if (is_zero(h) && is_zero(rr)) {
        jac_dbl(r, a);
        return;
    }
    fe_mul(t, a->z, b->z);
    fe_mul(r->z, t, h);
    fe_sqr(z1z1, h);
    fe_mul(z2z2, z1z1, h);
    fe_mul(u1, u1, z1z1);
    fe_sqr(t, rr);
    fe_sub(t, t, z2z2);
    fe_sub(t, t, u1);
    fe_sub(r->x, t, u1);
    fe_sub(t, u1, r->x);
    fe_mul(t, rr, t);
    fe_mul(s1, s1, z2z2);
    fe_sub(r->y, t, s1);
}

/* r = a + b for affine b (Z2 = 1): U1 = X1, S1 = Y1 in the formulas above. */
static void jac_add_aff(jac *r, const jac *a, const aff *b)
{
    fe z1z1, u2, s2, h, rr, hh, hhh, v, t;

    if (is_zero(a->z)) {
        jac_from_aff(r, b);
        return;
    }
    fe_sqr(z1z1, a->z);
    fe_mul(u2, b->x, z1z1);
    fe_mul(s2, b->y, a->z);
    fe_mul(s2, s2, z1z1);
    fe_sub(h, u2, a->x);
    fe_sub(rr, s2, a->y);
    if (is_zero(h) && is_zero(rr)) {
        jac_dbl(r, a);
        return;
    }
    fe_sqr(hh, h);
    fe_mul(hhh, hh, h);
    fe_mul(v, a->x, hh);
    fe_mul(t, a->y, hhh);
    fe_mul(r->z, a->z, h);
    fe_sqr(s2, rr);
    fe_sub(s2, s2, hhh);
    fe_sub(s2, s2, v);
    fe_sub(r->x, s2, v);
    fe_sub(v, v, r->x);
    fe_mul(v, rr, v);
    fe_sub(r->y, v, t);
}

/* Uncompressed SEC1 point: 97 bytes, 0x04 || X || Y, X, Y < p, on the curve. */
static int aff_decode(aff *q, const uint8_t *in, size_t len)
{
    fe lhs, rhs, t;
    if (in == NULL || len != 97 || in[0] != 0x04)
        return -1;
    from_be(q->x, in + 1);
    from_be(q->y, in + 49);
    if (!lt(q->x, P384_P) || !lt(q->y, P384_P))
        return -1;
    fe_to_mont(q->x, q->x);
    fe_to_mont(q->y, q->y);
    fe_sqr(lhs, q->y);
    fe_sqr(t, q->x);
    fe_mul(rhs, t, q->x);
    fe_sub(rhs, rhs, q->x);
    fe_sub(rhs, rhs, q->x);
    fe_sub(rhs, rhs, q->x);
    fe_add(rhs, rhs, P384_B);
    return limbs_equal_vt(lhs, rhs) ? 0 : -1;
}

#define WNAF_G 6 /* P384_G_ODD holds 1G .. 31G */
#define WNAF_Q 5 /* 1Q .. 15Q computed per call */

int dtls_p384_ecdsa_verify(const uint8_t *pub, size_t pub_len, const uint8_t *hash, size_t hash_len,
                           const uint8_t sig[96])
{
    aff q, g;
    jac qtab[1 << (WNAF_Q - 2)], acc, t;
    limb r[NL], s[NL], e[NL], w[NL], u1[NL], u2[NL];
    int8_t n1[385], n2[385];
    fe rz, z2;
    int i, started = 0;

    if (aff_decode(&q, pub, pub_len) != 0 || sig == NULL)
        return -1;
    from_be(r, sig);
    from_be(s, sig + 48);
    if (!sc_in_range(r) || !sc_in_range(s))
        return -1;
    hash_to_scalar(e, hash, hash_len, P384_N);
    mod_inv_vt(w, s, P384_N); /* public s: variable time */
    sc_mul(w, w, P384_RR_N);  /* s^-1 R */
    sc_mul(u1, e, w);        /* e / s */
    sc_mul(u2, r, w);        /* r / s */
    wnaf_vt(n1, u1, WNAF_G);
    wnaf_vt(n2, u2, WNAF_Q);

    jac_from_aff(&qtab[0], &q);
    jac_dbl(&t, &qtab[0]);
    for (i = 1; i < (1 << (WNAF_Q - 2)); i++)
        jac_add(&qtab[i], &qtab[i - 1], &t);

    memset(&acc, 0, sizeof acc); /* Z = 0: infinity */
    for (i = 384; i >= 0; i--) {
        if (started)
            jac_dbl(&acc, &acc);
        if (n1[i]) {
            int j = (n1[i] < 0 ? -n1[i] : n1[i]) >> 1;
            memcpy(g.x, P384_G_ODD[j][0], sizeof(fe));
            memcpy(g.y, P384_G_ODD[j][1], sizeof(fe));
            if (n1[i] < 0)
                fe_neg(g.y, g.y);
            jac_add_aff(&acc, &acc, &g);
            started = 1;
        }
        if (n2[i]) {
            int j = (n2[i] < 0 ? -n2[i] : n2[i]) >> 1;
            t = qtab[j];
            if (n2[i] < 0)
                fe_neg(t.y, t.y);
            jac_add(&acc, &acc, &t);
            started = 1;
        }
    }
    if (!started || is_zero(acc.z))
        return -1;

    /* x(acc) mod n == r, i.e. X == r Z^2 or (when r + n < p) X == (r + n) Z^2. */
    fe_sqr(z2, acc.z);
    fe_to_mont(rz, r);
    fe_mul(rz, rz, z2);
    if (limbs_equal_vt(rz, acc.x))
        return 0;
    if (lt(r, P384_P_MINUS_N)) {
        mod_add(rz, r, P384_N, P384_P);
        fe_to_mont(rz, rz);
        fe_mul(rz, rz, z2);
        if (limbs_equal_vt(rz, acc.x))
            return 0;
    }
    return -1;
}
