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
 *    the limb helpers are ec_mp.h's, shared with p256.c;
 *  - field elements live in the Montgomery domain, R = 2^384 for both limb
 *    sizes (so the generated tables of p384_table.h fit both);
 *  - points and ECDSA verification are ec_point.h's, shared with p256.c:
 *    u1 G + u2 Q by an interleaved wNAF (width 6 over a constant table of odd
 *    multiples of G, width 5 over odd multiples of Q built per call), x mod n
 *    compared with r without inverting Z.
 * Stack: about 3.7 KB on Cortex-M4 -Os (the Q table and the two wNAFs).
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

static void fe_half(fe r, const fe a)
{
    mod_half(r, a, P384_P);
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

/* ---- points and verification (ec_point.h) ------------------------------ */

#define EC_BITS 384
#define EC_FE_BYTES 48
#define EC_P P384_P
#define EC_N P384_N
#define EC_B P384_B
#define EC_ONE P384_ONE
#define EC_RR_N P384_RR_N
#define EC_P_MINUS_N P384_P_MINUS_N
#define EC_G_ODD P384_G_ODD
#define WNAF_G 6 /* P384_G_ODD holds 1G .. 31G */
#define WNAF_Q 5 /* 1Q .. 15Q computed per call */
#include "crypto/ec_point.h"

int dtls_p384_ecdsa_verify(const uint8_t *pub, size_t pub_len, const uint8_t *hash, size_t hash_len,
                           const uint8_t sig[96])
{
    return ecdsa_verify_vt(pub, pub_len, hash, hash_len, sig);
}
