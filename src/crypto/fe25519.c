/*
 * GF(2^255 - 19) arithmetic; see fe25519.h for the representations and the
 * limb-bound contract. Every function here is constant time: loops have
 * fixed trip counts, branches depend only on limb positions, and values
 * are selected with masks.
 *
 * Reduction identity used throughout: 2^255 = 19 (mod p), so a carry c out
 * of the top limb (weight 2^255) re-enters limb 0 as 19 c.
 */
#include "crypto/fe25519.h"
#include "crypto/util.h"

#include <string.h>

#if defined(DTLS_FE_RADIX51)

/* ===================================================================== */
/* radix 2^51, five 64-bit limbs, 128-bit products                        */
/* ===================================================================== */

__extension__ typedef unsigned __int128 u128;

#define M51 ((UINT64_C(1) << 51) - 1)

void dtls_fe_frombytes(dtls_fe h, const uint8_t s[32])
{
    uint64_t w0 = dtls_load64_le(s), w1 = dtls_load64_le(s + 8);
    uint64_t w2 = dtls_load64_le(s + 16), w3 = dtls_load64_le(s + 24);
    /* limb i holds bits 51i .. 51i+50; bit 255 (top of w3) is masked off */
    h[0] = w0 & M51;
    h[1] = ((w0 >> 51) | (w1 << 13)) & M51;
    h[2] = ((w1 >> 38) | (w2 << 26)) & M51;
    h[3] = ((w2 >> 25) | (w3 << 39)) & M51;
    h[4] = (w3 >> 12) & M51;
}

/*
 * Carries five 128-bit column sums into a tight element.
 * Precondition (from mul/sq/mul_small with inputs < 2^56): every t < 2^119.
 * Each t[i] >> 51 < 2^68 is added in 128 bits, so no column overflows.
 * The carry out of limb 4, c < 2^68, re-enters limb 0 as 19c < 2^73; one
 * more step moves (h0 + 19c) >> 51 < 2^22 into limb 1. Result: limbs 0, 2,
 * 3, 4 < 2^51 and limb 1 < 2^51 + 2^22, i.e. tight (T).
 */
static inline void carry_wide(dtls_fe h, u128 t0, u128 t1, u128 t2, u128 t3, u128 t4)
{
    t1 += t0 >> 51;
    t2 += t1 >> 51;
    t3 += t2 >> 51;
    t4 += t3 >> 51;
    t0 = ((u128)((uint64_t)t0 & M51)) + (t4 >> 51) * 19;
    h[1] = ((uint64_t)t1 & M51) + (uint64_t)(t0 >> 51);
    h[0] = (uint64_t)t0 & M51;
    h[2] = (uint64_t)t2 & M51;
    h[3] = (uint64_t)t3 & M51;
    h[4] = (uint64_t)t4 & M51;
}

/*
 * Carries an element with limbs < 2^63 so that limbs 0, 2, 3, 4 < 2^51 and
 * limb 1 <= 2^51: the chain moves at most 2^12 into each next limb, the
 * carry out of limb 4 is < 2^13 so limb 0 becomes < 2^51 + 2^18 and its
 * own carry is at most 1.
 */
static void carry_weak(uint64_t h[5])
{
    uint64_t c;
    c = h[0] >> 51;
    h[0] &= M51;
    h[1] += c;
    c = h[1] >> 51;
    h[1] &= M51;
    h[2] += c;
    c = h[2] >> 51;
    h[2] &= M51;
    h[3] += c;
    c = h[3] >> 51;
    h[3] &= M51;
    h[4] += c;
    c = h[4] >> 51;
    h[4] &= M51;
    h[0] += 19 * c;
    c = h[0] >> 51;
    h[0] &= M51;
    h[1] += c;
}

/*
 * After carry_weak the value v satisfies v < 2^255 + 2^102 < 2p. Then
 * v >= p exactly when v + 19 >= 2^255, i.e. when adding 19 to limb 0 and
 * rippling the carries produces a carry q out of limb 4 (q is 0 or 1:
 * each partial sum is at most 2^51 + 1). Adding 19q and dropping bit 255
 * subtracts q p, leaving 0 <= v - q p < p.
 */
void dtls_fe_tobytes(uint8_t s[32], const dtls_fe f)
{
    uint64_t h[5], q;
    memcpy(h, f, sizeof h);
    carry_weak(h);
    q = (h[0] + 19) >> 51;
    q = (h[1] + q) >> 51;
    q = (h[2] + q) >> 51;
    q = (h[3] + q) >> 51;
    q = (h[4] + q) >> 51;
    h[0] += 19 * q;
    h[1] += h[0] >> 51;
    h[0] &= M51;
    h[2] += h[1] >> 51;
    h[1] &= M51;
    h[3] += h[2] >> 51;
    h[2] &= M51;
    h[4] += h[3] >> 51;
    h[3] &= M51;
    h[4] &= M51;
    dtls_store64_le(s, h[0] | (h[1] << 51));
    dtls_store64_le(s + 8, (h[1] >> 13) | (h[2] << 38));
    dtls_store64_le(s + 16, (h[2] >> 26) | (h[3] << 25));
    dtls_store64_le(s + 24, (h[3] >> 39) | (h[4] << 12));
    dtls_wipe(h, sizeof h);
}

/* Plain limb-wise sum; inputs T or 2T give limbs < 2^53 (see fe25519.h). */
void dtls_fe_add(dtls_fe h, const dtls_fe f, const dtls_fe g)
{
    for (int i = 0; i < 5; i++)
        h[i] = f[i] + g[i];
}

/*
 * h = f + 4p - g. The limbs of 4p are 2^53 - 76 (limb 0) and 2^53 - 4;
 * they dominate every limb of g < 2^52 + 2^23 (T or a sum of two T), so
 * nothing wraps and h < f + 2^53 limb-wise.
 */
void dtls_fe_sub(dtls_fe h, const dtls_fe f, const dtls_fe g)
{
    static const uint64_t four_p[5] = {
        (UINT64_C(1) << 53) - 76, (UINT64_C(1) << 53) - 4, (UINT64_C(1) << 53) - 4,
        (UINT64_C(1) << 53) - 4,  (UINT64_C(1) << 53) - 4,
    };
    for (int i = 0; i < 5; i++)
        h[i] = (f[i] + four_p[i]) - g[i];
}

/*
 * Schoolbook product with the wrap-around folded in: a term f_i g_j with
 * i + j >= 5 has weight 2^(51 (i+j)) = 2^255 2^(51 (i+j-5)) = 19 2^(51 (i+j-5)).
 * Inputs < 2^56: 19 g_j < 2^61 fits 64 bits, each term < 2^117 and every
 * column of five terms < 2^119, within carry_wide's precondition.
 */
void dtls_fe_mul(dtls_fe h, const dtls_fe f, const dtls_fe g)
{
    uint64_t f0 = f[0], f1 = f[1], f2 = f[2], f3 = f[3], f4 = f[4];
    uint64_t g0 = g[0], g1 = g[1], g2 = g[2], g3 = g[3], g4 = g[4];
    uint64_t g1_19 = 19 * g1, g2_19 = 19 * g2, g3_19 = 19 * g3, g4_19 = 19 * g4;
    u128 t0, t1, t2, t3, t4;

    t0 = (u128)f0 * g0 + (u128)f1 * g4_19 + (u128)f2 * g3_19 + (u128)f3 * g2_19 + (u128)f4 * g1_19;
    t1 = (u128)f0 * g1 + (u128)f1 * g0 + (u128)f2 * g4_19 + (u128)f3 * g3_19 + (u128)f4 * g2_19;
    t2 = (u128)f0 * g2 + (u128)f1 * g1 + (u128)f2 * g0 + (u128)f3 * g4_19 + (u128)f4 * g3_19;
    t3 = (u128)f0 * g3 + (u128)f1 * g2 + (u128)f2 * g1 + (u128)f3 * g0 + (u128)f4 * g4_19;
    t4 = (u128)f0 * g4 + (u128)f1 * g3 + (u128)f2 * g2 + (u128)f3 * g1 + (u128)f4 * g0;
    carry_wide(h, t0, t1, t2, t3, t4);
}

/*
 * Squaring: the cross terms f_i f_j (i != j) appear twice, and wrapped
 * ones carry 19, so factors 2, 19 and 38 are folded into one operand.
 * With f < 2^56: 38 f_i < 2^62 fits 64 bits, each term is < 38 * 2^112
 * < 2^117.3, and a column of three terms is < 2^119, within carry_wide's
 * precondition.
 */
void dtls_fe_sq(dtls_fe h, const dtls_fe f)
{
    uint64_t f0 = f[0], f1 = f[1], f2 = f[2], f3 = f[3], f4 = f[4];
    uint64_t f0_2 = 2 * f0, f1_2 = 2 * f1;
    uint64_t f1_38 = 38 * f1, f2_38 = 38 * f2, f3_38 = 38 * f3;
    uint64_t f3_19 = 19 * f3, f4_19 = 19 * f4;
    u128 t0, t1, t2, t3, t4;

    t0 = (u128)f0 * f0 + (u128)f1_38 * f4 + (u128)f2_38 * f3;
    t1 = (u128)f0_2 * f1 + (u128)f2_38 * f4 + (u128)f3_19 * f3;
    t2 = (u128)f0_2 * f2 + (u128)f1 * f1 + (u128)f3_38 * f4;
    t3 = (u128)f0_2 * f3 + (u128)f1_2 * f2 + (u128)f4_19 * f4;
    t4 = (u128)f0_2 * f4 + (u128)f1_2 * f3 + (u128)f2 * f2;
    carry_wide(h, t0, t1, t2, t3, t4);
}

/* f < 2^56 and n < 2^17: every product < 2^73. */
void dtls_fe_mul_small(dtls_fe h, const dtls_fe f, uint32_t n)
{
    carry_wide(h, (u128)f[0] * n, (u128)f[1] * n, (u128)f[2] * n, (u128)f[3] * n, (u128)f[4] * n);
}

void dtls_fe_cswap(dtls_fe f, dtls_fe g, uint32_t b)
{
    uint64_t mask = 0 - (uint64_t)dtls_ct_barrier32(b);
    for (int i = 0; i < 5; i++) {
        uint64_t x = mask & (f[i] ^ g[i]);
        f[i] ^= x;
        g[i] ^= x;
    }
}

void dtls_fe_cmov(dtls_fe f, const dtls_fe g, uint32_t b)
{
    uint64_t mask = 0 - (uint64_t)dtls_ct_barrier32(b);
    for (int i = 0; i < 5; i++)
        f[i] ^= mask & (f[i] ^ g[i]);
}

#else /* DTLS_FE_RADIX25 */

/* ===================================================================== */
/* radix 2^25.5, ten 32-bit limbs, 64-bit products                        */
/* ===================================================================== */

/* limb i sits at bit ceil(25.5 i) and is 26 bits wide when i is even, 25 when odd */
#define WIDTH(i) (26u - ((unsigned)(i)&1u))
#define MASK(i) ((UINT32_C(1) << WIDTH(i)) - 1)

static const uint8_t offset[10] = {0, 26, 51, 77, 102, 128, 153, 179, 204, 230};

void dtls_fe_frombytes(dtls_fe h, const uint8_t s[32])
{
    for (unsigned i = 0; i < 10; i++) {
        unsigned byte = offset[i] / 8u, shift = offset[i] % 8u;
        uint64_t w = 0;
        /* shift + width <= 7 + 26 = 33 bits: five bytes, clipped at the end */
        for (unsigned k = 0; k < 5 && byte + k < 32; k++)
            w |= (uint64_t)s[byte + k] << (8 * k);
        h[i] = (uint32_t)(w >> shift) & MASK(i); /* limb 9's mask drops bit 255 */
    }
}

/*
 * Carries limbs < 2^31 back to tight form: each carry is < 2^6, the carry
 * out of limb 9 comes back as 19c < 2^11, and limb 0's final carry (at
 * most 1) lands in limb 1, which ends <= 2^25. All other limbs end below
 * their width.
 */
static void carry_narrow(uint32_t h[10])
{
    uint32_t c;
    for (unsigned i = 0; i < 9; i++) {
        h[i + 1] += h[i] >> WIDTH(i);
        h[i] &= MASK(i);
    }
    c = h[9] >> 25;
    h[9] &= MASK(9);
    h[0] += 19 * c;
    h[1] += h[0] >> 26;
    h[0] &= MASK(0);
}

/*
 * Carries ten 64-bit column sums (each < 2^62.6, see mul) into a tight
 * element. Each step adds t_i >> width < 2^37 to the next column, no
 * overflow. The carry out of limb 9 is c < 2^38, so h0 + 19c < 2^43.3 and
 * its carry into limb 1 is < 2^17.3: limb 1 < 2^25 + 2^18, the rest within
 * their widths.
 */
static void carry_wide(uint32_t h[10], uint64_t t[10])
{
    uint64_t x;
    for (unsigned i = 0; i < 9; i++) {
        t[i + 1] += t[i] >> WIDTH(i);
        h[i] = (uint32_t)t[i] & MASK(i);
    }
    h[9] = (uint32_t)t[9] & MASK(9);
    x = (uint64_t)h[0] + 19 * (t[9] >> 25);
    h[0] = (uint32_t)x & MASK(0);
    h[1] += (uint32_t)(x >> 26);
}

/* Same argument as the radix-2^51 version: after carry_narrow v < 2^255 + 2^51 < 2p. */
void dtls_fe_tobytes(uint8_t s[32], const dtls_fe f)
{
    uint32_t h[10], q;
    uint64_t acc = 0;
    unsigned bits = 0, n = 0;

    memcpy(h, f, sizeof h);
    carry_narrow(h);
    q = (h[0] + 19) >> 26;
    for (unsigned i = 1; i < 10; i++)
        q = (h[i] + q) >> WIDTH(i);
    h[0] += 19 * q;
    for (unsigned i = 0; i < 9; i++) {
        h[i + 1] += h[i] >> WIDTH(i);
        h[i] &= MASK(i);
    }
    h[9] &= MASK(9);
    for (unsigned i = 0; i < 10; i++) {
        acc |= (uint64_t)h[i] << bits;
        bits += WIDTH(i);
        while (bits >= 8) {
            s[n++] = (uint8_t)acc;
            acc >>= 8;
            bits -= 8;
        }
    }
    s[31] = (uint8_t)acc; /* the last 7 bits; bit 255 is 0 */
    dtls_wipe(h, sizeof h);
}

void dtls_fe_add(dtls_fe h, const dtls_fe f, const dtls_fe g)
{
    for (unsigned i = 0; i < 10; i++)
        h[i] = f[i] + g[i]; /* < 2^27 */
    carry_narrow(h);
}

/*
 * h = f + 4p - g, then carried. 4p's limbs (2^28 - 76 for limb 0, 2^28 - 4
 * for even limbs, 2^27 - 4 for odd ones) dominate the limbs of a tight g,
 * so nothing wraps; the sum is < 2^29, within carry_narrow's bound.
 */
void dtls_fe_sub(dtls_fe h, const dtls_fe f, const dtls_fe g)
{
    for (unsigned i = 0; i < 10; i++) {
        uint32_t four_p = (i == 0) ? (UINT32_C(1) << 28) - 76 : (UINT32_C(4) << WIDTH(i)) - 4;
        h[i] = (f[i] + four_p) - g[i];
    }
    carry_narrow(h);
}

#define M(a, b) ((uint64_t)(a) * (b))

/*
 * Schoolbook product, one column at a time. The term f_i g_j has weight
 * 2^(o_i + o_j); o_i + o_j equals o_(i+j) when i or j is even and
 * o_(i+j) + 1 when both are odd (two half bits), hence f2 = 2f on those
 * terms. When i + j >= 10 the weight is 2^255 times that of column
 * i + j - 10, hence g19 = 19g.
 * Bounds: inputs tight, limbs < 2^26, so f2 < 2^27 and g19 < 2^30.3 fit
 * 32 bits; each term is < 2^57.3 and a column of ten < 2^60.7 < 2^64,
 * within carry_wide's precondition (< 2^62.6).
 */
void dtls_fe_mul(dtls_fe h, const dtls_fe f, const dtls_fe g)
{
    uint64_t t[10];
    uint32_t f2[10], g19[10];
    for (unsigned i = 0; i < 10; i++) {
        f2[i] = f[i] << 1;
        g19[i] = 19 * g[i];
    }
    t[0] = M(f[0], g[0]) + M(f2[1], g19[9]) + M(f[2], g19[8]) + M(f2[3], g19[7]) + M(f[4], g19[6]) +
           M(f2[5], g19[5]) + M(f[6], g19[4]) + M(f2[7], g19[3]) + M(f[8], g19[2]) + M(f2[9], g19[1]);
    t[1] = M(f[0], g[1]) + M(f[1], g[0]) + M(f[2], g19[9]) + M(f[3], g19[8]) + M(f[4], g19[7]) +
           M(f[5], g19[6]) + M(f[6], g19[5]) + M(f[7], g19[4]) + M(f[8], g19[3]) + M(f[9], g19[2]);
    t[2] = M(f[0], g[2]) + M(f2[1], g[1]) + M(f[2], g[0]) + M(f2[3], g19[9]) + M(f[4], g19[8]) +
           M(f2[5], g19[7]) + M(f[6], g19[6]) + M(f2[7], g19[5]) + M(f[8], g19[4]) + M(f2[9], g19[3]);
    t[3] = M(f[0], g[3]) + M(f[1], g[2]) + M(f[2], g[1]) + M(f[3], g[0]) + M(f[4], g19[9]) + M(f[5], g19[8]) +
           M(f[6], g19[7]) + M(f[7], g19[6]) + M(f[8], g19[5]) + M(f[9], g19[4]);
    t[4] = M(f[0], g[4]) + M(f2[1], g[3]) + M(f[2], g[2]) + M(f2[3], g[1]) + M(f[4], g[0]) +
           M(f2[5], g19[9]) + M(f[6], g19[8]) + M(f2[7], g19[7]) + M(f[8], g19[6]) + M(f2[9], g19[5]);
    t[5] = M(f[0], g[5]) + M(f[1], g[4]) + M(f[2], g[3]) + M(f[3], g[2]) + M(f[4], g[1]) + M(f[5], g[0]) +
           M(f[6], g19[9]) + M(f[7], g19[8]) + M(f[8], g19[7]) + M(f[9], g19[6]);
    t[6] = M(f[0], g[6]) + M(f2[1], g[5]) + M(f[2], g[4]) + M(f2[3], g[3]) + M(f[4], g[2]) + M(f2[5], g[1]) +
           M(f[6], g[0]) + M(f2[7], g19[9]) + M(f[8], g19[8]) + M(f2[9], g19[7]);
    t[7] = M(f[0], g[7]) + M(f[1], g[6]) + M(f[2], g[5]) + M(f[3], g[4]) + M(f[4], g[3]) + M(f[5], g[2]) +
           M(f[6], g[1]) + M(f[7], g[0]) + M(f[8], g19[9]) + M(f[9], g19[8]);
    t[8] = M(f[0], g[8]) + M(f2[1], g[7]) + M(f[2], g[6]) + M(f2[3], g[5]) + M(f[4], g[4]) + M(f2[5], g[3]) +
           M(f[6], g[2]) + M(f2[7], g[1]) + M(f[8], g[0]) + M(f2[9], g19[9]);
    t[9] = M(f[0], g[9]) + M(f[1], g[8]) + M(f[2], g[7]) + M(f[3], g[6]) + M(f[4], g[5]) + M(f[5], g[4]) +
           M(f[6], g[3]) + M(f[7], g[2]) + M(f[8], g[1]) + M(f[9], g[0]);
    carry_wide(h, t);
}

/*
 * Squaring: each unordered pair {i, j} counted once, with factor
 * (2 if i != j) * (2 if i and j are odd) * (19 if i + j >= 10), i.e. one of
 * 1, 2, 4, 19, 38, 76, split over the two operands (f2 = 2f, f19 = 19f,
 * f38 = 38f < 2^31.3 for limbs < 2^26). Each term is < 2^58.3 and a column
 * < 2^60.7, as in mul.
 */
void dtls_fe_sq(dtls_fe h, const dtls_fe f)
{
    uint64_t t[10];
    uint32_t f2[10], f19[10], f38[10];
    for (unsigned i = 0; i < 10; i++) {
        f2[i] = f[i] << 1;
        f19[i] = 19 * f[i];
        f38[i] = 38 * f[i];
    }
    t[0] = M(f[0], f[0]) + M(f2[1], f38[9]) + M(f[2], f38[8]) + M(f2[3], f38[7]) + M(f[4], f38[6]) +
           M(f[5], f38[5]);
    t[1] = M(f2[0], f[1]) + M(f[2], f38[9]) + M(f[3], f38[8]) + M(f[4], f38[7]) + M(f[5], f38[6]);
    t[2] = M(f2[0], f[2]) + M(f2[1], f[1]) + M(f2[3], f38[9]) + M(f[4], f38[8]) + M(f2[5], f38[7]) +
           M(f[6], f19[6]);
    t[3] = M(f2[0], f[3]) + M(f2[1], f[2]) + M(f[4], f38[9]) + M(f[5], f38[8]) + M(f[6], f38[7]);
    t[4] = M(f2[0], f[4]) + M(f2[1], f2[3]) + M(f[2], f[2]) + M(f2[5], f38[9]) + M(f[6], f38[8]) +
           M(f[7], f38[7]);
    t[5] = M(f2[0], f[5]) + M(f2[1], f[4]) + M(f2[2], f[3]) + M(f[6], f38[9]) + M(f[7], f38[8]);
    t[6] = M(f2[0], f[6]) + M(f2[1], f2[5]) + M(f2[2], f[4]) + M(f2[3], f[3]) + M(f2[7], f38[9]) +
           M(f[8], f19[8]);
    t[7] = M(f2[0], f[7]) + M(f2[1], f[6]) + M(f2[2], f[5]) + M(f2[3], f[4]) + M(f[8], f38[9]);
    t[8] =
        M(f2[0], f[8]) + M(f2[1], f2[7]) + M(f2[2], f[6]) + M(f2[3], f2[5]) + M(f[4], f[4]) + M(f[9], f38[9]);
    t[9] = M(f2[0], f[9]) + M(f2[1], f[8]) + M(f2[2], f[7]) + M(f2[3], f[6]) + M(f2[4], f[5]);
    carry_wide(h, t);
}

#undef M

/* f < 2^26, n < 2^17: products < 2^43. */
void dtls_fe_mul_small(dtls_fe h, const dtls_fe f, uint32_t n)
{
    uint64_t t[10];
    for (unsigned i = 0; i < 10; i++)
        t[i] = (uint64_t)f[i] * n;
    carry_wide(h, t);
}

void dtls_fe_cswap(dtls_fe f, dtls_fe g, uint32_t b)
{
    uint32_t mask = 0 - dtls_ct_barrier32(b);
    for (unsigned i = 0; i < 10; i++) {
        uint32_t x = mask & (f[i] ^ g[i]);
        f[i] ^= x;
        g[i] ^= x;
    }
}

void dtls_fe_cmov(dtls_fe f, const dtls_fe g, uint32_t b)
{
    uint32_t mask = 0 - dtls_ct_barrier32(b);
    for (unsigned i = 0; i < 10; i++)
        f[i] ^= mask & (f[i] ^ g[i]);
}

#endif

/* ===================================================================== */
/* representation-independent                                             */
/* ===================================================================== */

void dtls_fe_0(dtls_fe h)
{
    memset(h, 0, sizeof(dtls_fe));
}

void dtls_fe_1(dtls_fe h)
{
    memset(h, 0, sizeof(dtls_fe));
    h[0] = 1;
}

void dtls_fe_copy(dtls_fe h, const dtls_fe f)
{
    memmove(h, f, sizeof(dtls_fe));
}

/* 0 - f; f is T or 2T, as for sub's second operand. */
void dtls_fe_neg(dtls_fe h, const dtls_fe f)
{
    dtls_fe zero;
    dtls_fe_0(zero);
    dtls_fe_sub(h, zero, f);
}

void dtls_fe_sqn(dtls_fe h, const dtls_fe f, unsigned n)
{
    dtls_fe_sq(h, f);
    while (--n)
        dtls_fe_sq(h, h);
}

uint32_t dtls_fe_iszero(const dtls_fe f)
{
    uint8_t s[32];
    uint32_t z;
    dtls_fe_tobytes(s, f);
    z = (uint32_t)dtls_ct_is_zero(s, 32);
    dtls_wipe(s, sizeof s);
    return z;
}

uint32_t dtls_fe_isodd(const dtls_fe f)
{
    uint8_t s[32];
    uint32_t b;
    dtls_fe_tobytes(s, f);
    b = s[0] & 1u;
    dtls_wipe(s, sizeof s);
    return b;
}

/*
 * Shared head of the two exponentiations: z11 = z^11 and
 * z250 = z^(2^250 - 1), by the usual chain of 2^k - 1 exponents
 * (5, 10, 20, 40, 50, 100, 200, 250), 250 squarings and 11 products.
 */
static void pow_2_250_1(dtls_fe z250, dtls_fe z11, const dtls_fe z)
{
    dtls_fe z2, z9, a, b, t;

    dtls_fe_sq(z2, z);        /* 2 */
    dtls_fe_sqn(t, z2, 2);    /* 8 */
    dtls_fe_mul(z9, t, z);    /* 9 */
    dtls_fe_mul(z11, z9, z2); /* 11 */
    dtls_fe_sq(t, z11);       /* 22 */
    dtls_fe_mul(a, t, z9);    /* 31 = 2^5 - 1 */
    dtls_fe_sqn(t, a, 5);
    dtls_fe_mul(a, t, a); /* 2^10 - 1 */
    dtls_fe_sqn(t, a, 10);
    dtls_fe_mul(b, t, a); /* 2^20 - 1 */
    dtls_fe_sqn(t, b, 20);
    dtls_fe_mul(t, t, b); /* 2^40 - 1 */
    dtls_fe_sqn(t, t, 10);
    dtls_fe_mul(b, t, a); /* 2^50 - 1 */
    dtls_fe_sqn(t, b, 50);
    dtls_fe_mul(a, t, b); /* 2^100 - 1 */
    dtls_fe_sqn(t, a, 100);
    dtls_fe_mul(t, t, a); /* 2^200 - 1 */
    dtls_fe_sqn(t, t, 50);
    dtls_fe_mul(z250, t, b); /* 2^250 - 1 */

    dtls_wipe(z2, sizeof z2);
    dtls_wipe(z9, sizeof z9);
    dtls_wipe(a, sizeof a);
    dtls_wipe(b, sizeof b);
    dtls_wipe(t, sizeof t);
}

/* z^(2^255 - 21) = z^(2^250 - 1) ^ (2^5) * z^11 */
void dtls_fe_invert(dtls_fe h, const dtls_fe z)
{
    dtls_fe z250, z11;
    pow_2_250_1(z250, z11, z);
    dtls_fe_sqn(z250, z250, 5);
    dtls_fe_mul(h, z250, z11);
    dtls_wipe(z250, sizeof z250);
    dtls_wipe(z11, sizeof z11);
}

/* z^(2^252 - 3) = z^(2^250 - 1) ^ (2^2) * z */
void dtls_fe_pow22523(dtls_fe h, const dtls_fe z)
{
    dtls_fe z250, z11;
    pow_2_250_1(z250, z11, z);
    dtls_fe_sqn(z250, z250, 2);
    dtls_fe_mul(h, z250, z);
    dtls_wipe(z250, sizeof z250);
    dtls_wipe(z11, sizeof z11);
}
