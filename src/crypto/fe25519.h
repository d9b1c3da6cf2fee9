/*
 * Arithmetic in GF(p), p = 2^255 - 19, shared by X25519 and Ed25519.
 * Internal to src/crypto (not a public header).
 *
 *   dtls_fe x, y;
 *   dtls_fe_frombytes(x, u);          // 32 bytes little-endian, bit 255 ignored
 *   dtls_fe_sq(y, x);
 *   dtls_fe_mul(y, y, x);             // outputs may alias inputs everywhere
 *   dtls_fe_tobytes(out, y);          // canonical: always < p
 *
 * Two representations, chosen at compile time; both run in constant time
 * (no branch and no memory address ever depends on a limb's value):
 *
 *  - 64-bit hosts with unsigned __int128 (and DTLS_NO_INT128 not defined):
 *    five unsigned 64-bit limbs in radix 2^51, value = sum h[i] 2^(51 i).
 *  - everywhere else (Cortex-M, 32-bit hosts, or -DDTLS_NO_INT128 on x86 to
 *    test this path): ten unsigned 32-bit limbs in radix 2^25.5, limb i at bit
 *    offset ceil(25.5 i) = 0, 26, 51, 77, 102, ..., 230; even limbs are 26
 *    bits wide, odd limbs 25 bits.
 *
 * Limb bounds (the contract callers keep). "Tight" (T) means what mul, sq,
 * mul_small, frombytes and the constants produce:
 *    radix 2^51:   every limb < 2^51 + 2^22
 *    radix 2^25.5: every limb < 2^26 (odd limbs < 2^25, except limb 1 < 2^25 + 2^18)
 *  - add(f, g): f and g are T or sums of two T. (radix 2^51: result is the
 *    plain limb-wise sum, not carried; radix 2^25.5: the result is carried
 *    back to T.)
 *  - sub(f, g), neg(g): g is T or a sum of two T; f is T, a sum of up to
 *    three T, or a sub result. (radix 2^51: f + 4p - g, limbs < f + 2^53,
 *    not carried; radix 2^25.5: carried to T.)
 *  - mul, sq, mul_small, tobytes, cswap, cmov: inputs are T, or a single
 *    add/sub result of inputs as above (limbs < 2^56 in radix 2^51).
 * The formulas in x25519.c and ed25519.c are checked against these rules
 * in comments next to them.
 */
#ifndef DTLS_CRYPTO_FE25519_H
#define DTLS_CRYPTO_FE25519_H

#include <stdint.h>

#if defined(__SIZEOF_INT128__) && !defined(DTLS_NO_INT128)
#define DTLS_FE_RADIX51 1
typedef uint64_t dtls_fe[5];
#else
#define DTLS_FE_RADIX25 1
typedef uint32_t dtls_fe[10];
#endif

/*
 * Returns x unchanged, but hides its value from the optimiser. Masks built
 * from secrets go through this so that a compiler cannot prove "the mask is
 * all ones only when i == secret" and replace a masked scan by a branch or
 * a secret-indexed load (clang -O2 did exactly that to the Ed25519 table
 * scan without it; checked with valgrind on secrets marked undefined).
 */
static inline uint32_t dtls_ct_barrier32(uint32_t x)
{
#if defined(__GNUC__) || defined(__clang__)
    __asm__("" : "+r"(x));
    return x;
#else
    volatile uint32_t v = x;
    return v;
#endif
}

/* Value of the 32 little-endian bytes with bit 255 cleared; not reduced mod p (T). */
void dtls_fe_frombytes(dtls_fe h, const uint8_t s[32]);
/* Canonical little-endian encoding, 0 <= value < p; bit 255 is 0. */
void dtls_fe_tobytes(uint8_t s[32], const dtls_fe h);

void dtls_fe_0(dtls_fe h);
void dtls_fe_1(dtls_fe h);
void dtls_fe_copy(dtls_fe h, const dtls_fe f);

void dtls_fe_add(dtls_fe h, const dtls_fe f, const dtls_fe g);
void dtls_fe_sub(dtls_fe h, const dtls_fe f, const dtls_fe g);
void dtls_fe_neg(dtls_fe h, const dtls_fe f);
void dtls_fe_mul(dtls_fe h, const dtls_fe f, const dtls_fe g);
void dtls_fe_sq(dtls_fe h, const dtls_fe f);
/* h = f^(2^n), n >= 1 */
void dtls_fe_sqn(dtls_fe h, const dtls_fe f, unsigned n);
/* h = f * n, n < 2^17 (121665 for X25519) */
void dtls_fe_mul_small(dtls_fe h, const dtls_fe f, uint32_t n);
/* h = f^(p-2) = 1/f (and 0 for f = 0) */
void dtls_fe_invert(dtls_fe h, const dtls_fe f);
/* h = f^((p-5)/8) = f^(2^252 - 3), the exponent of the square-root candidate */
void dtls_fe_pow22523(dtls_fe h, const dtls_fe f);

/* Constant time, b is 0 or 1: swap f and g when b = 1 / set f = g when b = 1. */
void dtls_fe_cswap(dtls_fe f, dtls_fe g, uint32_t b);
void dtls_fe_cmov(dtls_fe f, const dtls_fe g, uint32_t b);

/* 1 when f = 0 mod p, else 0 (constant time). */
uint32_t dtls_fe_iszero(const dtls_fe f);
/* Low bit of the canonical encoding (the "sign" of RFC 8032), constant time. */
uint32_t dtls_fe_isodd(const dtls_fe f);

#endif
