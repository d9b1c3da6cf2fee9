/*
 * X25519 (RFC 7748 section 5): the Montgomery ladder on u-coordinates.
 *
 * The scalar is clamped (bits 0-2 and 255 cleared, bit 254 set) and the
 * peer's u-coordinate has its bit 255 masked off; u is otherwise used as
 * given, so non-canonical values (p <= u < 2^255) are reduced mod p, and
 * points on the twist are processed like any other, as RFC 7748 requires.
 *
 * Constant time: the ladder runs 255 steps whatever the scalar, the only
 * scalar-dependent operation is a masked swap, and the all-zero check on
 * the result is a constant-time OR over its bytes.
 *
 * Limb bounds (fe25519.h): every add/sub below takes T operands, every
 * mul/sq takes T or one add/sub result, so the contract holds:
 *   A = x2 + z2, B = x2 - z2, C = x3 + z3, D = x3 - z3     (T +/- T)
 *   E = AA - BB                                           (T - T)
 *   DA + CB, DA - CB, AA + a24 E                           (T +/- T)
 */
#include "crypto/curve25519.h"
#include "crypto/fe25519.h"
#include "crypto/util.h"

#include <string.h>

/* (A - 2) / 4 for Montgomery A = 486662, in RFC 7748's z_2 = E (AA + a24 E) */
#define A24 121665u

static void ladder(uint8_t out[32], const uint8_t k[32], const uint8_t u[32])
{
    dtls_fe x1, x2, z2, x3, z3, a, aa, b, bb, e, c, d, da, cb;
    uint32_t swap = 0;

    dtls_fe_frombytes(x1, u); /* bit 255 masked (RFC 7748 decodeUCoordinate) */
    dtls_fe_1(x2);
    dtls_fe_0(z2);
    dtls_fe_copy(x3, x1);
    dtls_fe_1(z3);

    for (int t = 254; t >= 0; t--) {
        uint32_t bit = (uint32_t)(k[t >> 3] >> (t & 7)) & 1u;
        swap ^= bit;
        dtls_fe_cswap(x2, x3, swap);
        dtls_fe_cswap(z2, z3, swap);
        swap = bit;

        dtls_fe_add(a, x2, z2);
        dtls_fe_sq(aa, a);
        dtls_fe_sub(b, x2, z2);
        dtls_fe_sq(bb, b);
        dtls_fe_sub(e, aa, bb);
        dtls_fe_add(c, x3, z3);
        dtls_fe_sub(d, x3, z3);
        dtls_fe_mul(da, d, a);
        dtls_fe_mul(cb, c, b);
        dtls_fe_add(x3, da, cb);
        dtls_fe_sq(x3, x3);
        dtls_fe_sub(z3, da, cb);
        dtls_fe_sq(z3, z3);
        dtls_fe_mul(z3, z3, x1);
        dtls_fe_mul(x2, aa, bb);
        dtls_fe_mul_small(z2, e, A24);
        dtls_fe_add(z2, z2, aa);
        dtls_fe_mul(z2, z2, e);
    }
    dtls_fe_cswap(x2, x3, swap);
    dtls_fe_cswap(z2, z3, swap);

    /* x2 / z2; z2 = 0 (low-order input) gives 0 since 0^(p-2) = 0 */
    dtls_fe_invert(z2, z2);
    dtls_fe_mul(x2, x2, z2);
    dtls_fe_tobytes(out, x2);

    dtls_wipe(x1, sizeof x1);
    dtls_wipe(x2, sizeof x2);
    dtls_wipe(z2, sizeof z2);
    dtls_wipe(x3, sizeof x3);
    dtls_wipe(z3, sizeof z3);
    dtls_wipe(a, sizeof a);
    dtls_wipe(aa, sizeof aa);
    dtls_wipe(b, sizeof b);
    dtls_wipe(bb, sizeof bb);
    dtls_wipe(e, sizeof e);
    dtls_wipe(c, sizeof c);
    dtls_wipe(d, sizeof d);
    dtls_wipe(da, sizeof da);
    dtls_wipe(cb, sizeof cb);
    dtls_wipe(&swap, sizeof swap);
}

static void x25519_clamped(uint8_t out[32], const uint8_t scalar[32], const uint8_t u[32])
{
    uint8_t k[32];
    memcpy(k, scalar, 32);
    k[0] &= 248;
    k[31] &= 127;
    k[31] |= 64;
    ladder(out, k, u);
    dtls_wipe(k, sizeof k);
}

int dtls_x25519(uint8_t shared[32], const uint8_t scalar[32], const uint8_t point[32])
{
    uint8_t u[32];
    memcpy(u, point, 32); /* the output may alias the input point */
    x25519_clamped(shared, scalar, u);
    /* RFC 7748 section 6.1 / RFC 8446 7.4.2: an all-zero secret is an error */
    return 0 - dtls_ct_is_zero(shared, 32);
}

/*
 * On 64-bit hosts (radix 2^51) the base-point multiplication goes through
 * Ed25519's fixed-base comb (ed25519.c, about 3x faster: key generation is
 * half of the X25519 work of every handshake); flash there is cheap. On
 * 32-bit targets the ladder, so that a firmware with X25519 but no Ed25519
 * signing does not link the 12 KiB comb table. Both give the same result
 * (test_curve25519 compares them with dtls_x25519(k, 9)).
 */
void dtls_x25519_base(uint8_t pub[32], const uint8_t scalar[32])
{
#if defined(DTLS_FE_RADIX51)
    uint8_t k[32];
    memcpy(k, scalar, 32);
    k[0] &= 248;
    k[31] &= 127;
    k[31] |= 64;
    dtls_ed25519_x25519_base(pub, k);
    dtls_wipe(k, sizeof k);
#else
    static const uint8_t nine[32] = {9};
    x25519_clamped(pub, scalar, nine);
#endif
}
