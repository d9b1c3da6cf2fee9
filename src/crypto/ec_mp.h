/*
 * Arithmetic on residues of NL little-endian limbs, shared by p256.c and
 * p384.c. This header is a template: the including file first defines
 *
 *   limb, dlimb       the limb type and a type twice as wide
 *   LIMB_BITS         64 (with unsigned __int128) or 32
 *   NL                limbs per residue (256 or 384 bits)
 *   UNROLL            a loop-unrolling pragma, or nothing
 *
 * and then every function here is a static function over NL limbs (what
 * only one curve needs stays in its file). Residues
 * are fully reduced (< m) wherever a modulus appears, so equality of
 * residues is equality of limbs. Everything runs in constant time (masks
 * and carries, no branches on values) except the functions named _vt, which
 * are for public data.
 *
 * Carries. add_c() is one step of an add-with-carry chain. On x86-64 with
 * GCC or clang it is the compiler's add-with-carry builtin (always
 * available there, no header needed), which compiles to one adc; elsewhere
 * a dlimb addition. Subtractions are additions of the complement, a - b =
 * a + ~b + 1, so one primitive serves both (the carry out is 1 when there
 * was no borrow).
 */
#ifndef DTLS_CRYPTO_EC_MP_H
#define DTLS_CRYPTO_EC_MP_H

#include "crypto/util.h"

#include <stdint.h>
#include <string.h>

#define LIMB_BYTES (LIMB_BITS / 8)

typedef unsigned char carry_t; /* 0 or 1 */

#if LIMB_BITS == 64 && defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
static inline limb add_c(limb a, limb b, carry_t *c)
{
    unsigned long long r;
    *c = __builtin_ia32_addcarryx_u64(*c, a, b, &r);
    return (limb)r;
}
#else
static inline limb add_c(limb a, limb b, carry_t *c)
{
    dlimb z = (dlimb)a + b + *c;
    *c = (carry_t)(z >> LIMB_BITS);
    return (limb)z;
}
#endif

/* 1 if a == 0 else 0. */
static inline limb is_zero(const limb a[NL])
{
    limb d = 0;
    UNROLL
    for (int i = 0; i < NL; i++)
        d |= a[i];
    return ((d | (0 - d)) >> (LIMB_BITS - 1)) ^ 1;
}

static int limbs_equal_vt(const limb a[NL], const limb b[NL])
{
    return memcmp(a, b, NL * sizeof(limb)) == 0;
}

/* 1 if a < b (a borrow out of a - b), else 0. */
static limb lt(const limb a[NL], const limb b[NL])
{
    carry_t c = 1;
    UNROLL
    for (int i = 0; i < NL; i++)
        (void)add_c(a[i], ~b[i], &c);
    return (limb)c ^ 1;
}

static void from_be(limb r[NL], const uint8_t *b)
{
    UNROLL
    for (int i = 0; i < NL; i++)
#if LIMB_BITS == 64
        r[i] = dtls_load64_be(b + (NL - 1 - i) * LIMB_BYTES);
#else
        r[i] = dtls_load32_be(b + (NL - 1 - i) * LIMB_BYTES);
#endif
}

/*
 * r = hi:t - m when hi:t >= m, else t. Callers guarantee hi:t < 2m (hi is the
 * carry bit above t), so the result is < m. r may alias t.
 */
static inline void cond_sub(limb r[NL], const limb t[NL], limb hi, const limb m[NL])
{
    limb d[NL];
    carry_t c = 1;
    UNROLL
    for (int i = 0; i < NL; i++)
        d[i] = add_c(t[i], ~m[i], &c);
    /* hi:t < m exactly when t - m borrowed (c = 0) and there is no hi to absorb it. */
    limb keep = 0 - (((limb)c | hi) ^ 1);
    UNROLL
    for (int i = 0; i < NL; i++)
        r[i] = (t[i] & keep) | (d[i] & ~keep);
}

/* r = a + b mod m, for a, b < m: the sum is < 2m, one conditional subtraction. */
static inline void mod_add(limb r[NL], const limb a[NL], const limb b[NL], const limb m[NL])
{
    limb t[NL];
    carry_t c = 0;
    UNROLL
    for (int i = 0; i < NL; i++)
        t[i] = add_c(a[i], b[i], &c);
    cond_sub(r, t, c, m);
}

/* r = a - b mod m, for a, b < m: add m back under a mask when a - b borrowed. */
static inline void mod_sub(limb r[NL], const limb a[NL], const limb b[NL], const limb m[NL])
{
    limb t[NL];
    carry_t c = 1;
    UNROLL
    for (int i = 0; i < NL; i++)
        t[i] = add_c(a[i], ~b[i], &c);
    limb mask = (limb)c - 1; /* all ones when a - b borrowed */
    c = 0;
    UNROLL
    for (int i = 0; i < NL; i++)
        r[i] = add_c(t[i], m[i] & mask, &c);
}

/*
 * r = a / 2 mod m (m odd), a < m: a, or a + m when a is odd (masked), is
 * even; shift it and its carry bit right by one. a + m < 2m, so r < m.
 */
static void mod_half(limb r[NL], const limb a[NL], const limb m[NL])
{
    limb t[NL], mask = 0 - (a[0] & 1);
    carry_t c = 0;
    UNROLL
    for (int i = 0; i < NL; i++)
        t[i] = add_c(a[i], m[i] & mask, &c);
    UNROLL
    for (int i = 0; i < NL - 1; i++)
        r[i] = (t[i] >> 1) | (t[i + 1] << (LIMB_BITS - 1));
    r[NL - 1] = (t[NL - 1] >> 1) | ((limb)c << (LIMB_BITS - 1));
}

/*
 * r = 1/a mod m for a public 0 < a < m, m an odd prime: the binary extended
 * Euclidean algorithm, in variable time (for ECDSA verification, where a is
 * the signature's s; signing inverts its secret nonce by exponentiation in
 * constant time instead). Invariants: x1 a = u and x2 a = v (mod m), gcd(u, v)
 * = 1; halving the even one of u, v and subtracting the smaller from the
 * larger keeps them and shrinks u + v, so one of them reaches 1 after at
 * most about 2 * NL * LIMB_BITS steps. About 10x fewer operations than
 * a^(m-2).
 */
static void mod_inv_vt(limb r[NL], const limb a[NL], const limb m[NL])
{
    limb u[NL], v[NL], x1[NL], x2[NL], one[NL];
    if (is_zero(a)) { /* no inverse; callers never ask, but never loop forever */
        memset(r, 0, NL * sizeof(limb));
        return;
    }
    memcpy(u, a, sizeof u);
    memcpy(v, m, sizeof v);
    memset(x1, 0, sizeof x1);
    memset(x2, 0, sizeof x2);
    memset(one, 0, sizeof one);
    x1[0] = 1;
    one[0] = 1;
    while (!limbs_equal_vt(u, one) && !limbs_equal_vt(v, one)) {
        while (!(u[0] & 1)) {
            for (int i = 0; i < NL - 1; i++)
                u[i] = (u[i] >> 1) | (u[i + 1] << (LIMB_BITS - 1));
            u[NL - 1] >>= 1;
            mod_half(x1, x1, m);
        }
        while (!(v[0] & 1)) {
            for (int i = 0; i < NL - 1; i++)
                v[i] = (v[i] >> 1) | (v[i + 1] << (LIMB_BITS - 1));
            v[NL - 1] >>= 1;
            mod_half(x2, x2, m);
        }
        if (!lt(u, v)) {
            mod_sub(u, u, v, m); /* u >= v: no borrow, so this is u - v */
            mod_sub(x1, x1, x2, m);
        } else {
            mod_sub(v, v, u, m);
            mod_sub(x2, x2, x1, m);
        }
    }
    memcpy(r, limbs_equal_vt(u, one) ? x1 : x2, sizeof x1);
}

/*
 * Products by product scanning: column k sums every a[i] b[k-i] into the
 * accumulator acc:hi, then shifts one limb out. A column is at most NL
 * products < W^2 (W = 2^LIMB_BITS) plus the carry-in from the column before
 * (< (NL + 2) W), so it stays below (NL + 1) W^2 and hi stays small. The carry
 * of each dlimb addition is the comparison acc < p_, which compilers turn
 * into a carry flag, not a branch. Squaring adds each cross product twice.
 * The 64-bit paths of p256.c and p384.c have their own, unrolled or fused.
 */
#define COL_ADD(x, y)                                                                                        \
    do {                                                                                                     \
        dlimb p_ = (dlimb)(x) * (y);                                                                         \
        acc += p_;                                                                                           \
        hi += (limb)(acc < p_);                                                                              \
    } while (0)
#define COL_OUT(k)                                                                                           \
    do {                                                                                                     \
        t[k] = (limb)acc;                                                                                    \
        acc = (acc >> LIMB_BITS) | ((dlimb)hi << LIMB_BITS);                                                 \
        hi = 0;                                                                                              \
    } while (0)

#if LIMB_BITS == 32
static void mp_mul(limb t[2 * NL], const limb a[NL], const limb b[NL])
{
    dlimb acc = 0;
    limb hi = 0;
    for (int k = 0; k < 2 * NL - 1; k++) {
        for (int i = (k < NL ? 0 : k - NL + 1); i <= (k < NL ? k : NL - 1); i++)
            COL_ADD(a[i], b[k - i]);
        COL_OUT(k);
    }
    t[2 * NL - 1] = (limb)acc;
}

static void mp_sqr(limb t[2 * NL], const limb a[NL])
{
    dlimb acc = 0;
    limb hi = 0;
    for (int k = 0; k < 2 * NL - 1; k++) {
        for (int i = (k < NL ? 0 : k - NL + 1); i < k - i; i++) {
            COL_ADD(a[i], a[k - i]);
            COL_ADD(a[i], a[k - i]);
        }
        if (!(k & 1))
            COL_ADD(a[k / 2], a[k / 2]);
        COL_OUT(k);
    }
    t[2 * NL - 1] = (limb)acc;
}
#endif

/*
 * Montgomery reduction: r = t / R mod m for t < m R (any product of two
 * residues), R = 2^(NL * LIMB_BITS), m0 = -m^-1 mod W. Round i adds u m W^i
 * with u = t[i] m0, which clears limb i; after NL rounds the low half is zero
 * and the high half plus the running carry bit c2 is (t + U m) / R <
 * (m R + R m) / R = 2m, which one conditional subtraction brings below m.
 * Each dlimb step u m[j] + t + c <= (W-1)^2 + 2(W-1) = W^2 - 1 fits;
 * t[i+NL] + c + c2 may carry one bit, kept in c2 for the next round (it
 * belongs to limb i+NL+1). t is destroyed.
 */
static inline void mont_reduce(limb r[NL], limb t[2 * NL], const limb m[NL], limb m0)
{
    limb c2 = 0;
    UNROLL
    for (int i = 0; i < NL; i++) {
        limb u = t[i] * m0, c = 0;
        UNROLL
        for (int j = 0; j < NL; j++) {
            dlimb z = (dlimb)u * m[j] + t[i + j] + c;
            t[i + j] = (limb)z;
            c = (limb)(z >> LIMB_BITS);
        }
        dlimb z = (dlimb)t[i + NL] + c + c2;
        t[i + NL] = (limb)z;
        c2 = (limb)(z >> LIMB_BITS);
    }
    cond_sub(r, t + NL, c2, m);
}

/*
 * Width-w NAF of k < 2^BITS (BITS = NL * LIMB_BITS): k = sum_i out[i] 2^i with
 * every nonzero digit odd, |digit| < 2^(w-1), and at least w-1 zeros after
 * each nonzero digit. Scans from the bottom with a carry c: the rest of the
 * number is (k >> bit) + c. When that is odd, its low w bits plus c (an odd
 * value < 2^w) become the digit, made negative (carry 1) when >= 2^(w-1). A
 * carry can only come from a window whose top bit is < BITS, so the final
 * carry lands at index <= BITS. Public scalars only (variable time).
 */
static int scalar_bit_vt(const limb k[NL], int i)
{
    if (i >= NL * LIMB_BITS)
        return 0;
    return (int)((k[i / LIMB_BITS] >> (i % LIMB_BITS)) & 1);
}

static void wnaf_vt(int8_t out[NL * LIMB_BITS + 1], const limb k[NL], int w)
{
    int bit = 0, carry = 0;
    memset(out, 0, NL * LIMB_BITS + 1);
    while (bit < NL * LIMB_BITS) {
        if (scalar_bit_vt(k, bit) == carry) {
            bit++;
            continue;
        }
        int word = carry;
        for (int i = 0; i < w; i++)
            word += scalar_bit_vt(k, bit + i) << i;
        carry = (word >> (w - 1)) & 1;
        out[bit] = (int8_t)(word - (carry << w));
        bit += w;
    }
    if (carry)
        out[NL * LIMB_BITS] = 1;
}

/*
 * The hash as a scalar mod n (SEC1 4.1.3 step 5, RFC 6979 bits2int): its
 * leftmost NL * LIMB_BITS bits when longer, its value when shorter, then
 * reduced mod n once (2^BITS < 2n for both curves).
 */
static void hash_to_scalar(limb e[NL], const uint8_t *hash, size_t hash_len, const limb n[NL])
{
    uint8_t buf[NL * LIMB_BYTES];
    memset(buf, 0, sizeof buf);
    if (hash_len >= sizeof buf)
        memcpy(buf, hash, sizeof buf);
    else if (hash_len)
        memcpy(buf + sizeof buf - hash_len, hash, hash_len);
    from_be(e, buf);
    cond_sub(e, e, 0, n);
}

#endif
