/*
 * Points and ECDSA verification for the NIST curves (y^2 = x^3 - 3x + b,
 * prime order n, cofactor 1), shared by p256.c and p384.c. Like ec_mp.h
 * this is a template: the including file first defines its field and scalar
 * arithmetic and these names:
 *
 *   fe, fe_mul, fe_sqr, fe_add, fe_sub, fe_neg, fe_half, fe_to_mont
 *   sc_mul (Montgomery mod n), sc_in_range (1 <= k < n)
 *   EC_BITS, EC_FE_BYTES         256 / 32 or 384 / 48
 *   EC_P, EC_N, EC_B, EC_ONE     p, n, and b and 1 in the Montgomery domain
 *   EC_RR_N, EC_P_MINUS_N        R^2 mod n, p - n
 *   EC_G_ODD, WNAF_G, WNAF_Q     odd multiples 1G .. (2^(WNAF_G-1) - 1)G in
 *                                affine form; the wNAF widths for G and Q
 *
 * Points are Jacobian (X, Y, Z) for the affine (X/Z^2, Y/Z^3), Z = 0 being
 * the point at infinity. The addition formulas are not complete: they fail
 * when both inputs are the same finite point (doubling case) and return
 * infinity correctly when they are opposite; the _core functions report
 * the doubling case, the _vt ones (public data) branch on every case, and
 * p256.c builds its constant-time operations on the _core ones.
 */
#ifndef DTLS_CRYPTO_EC_POINT_H
#define DTLS_CRYPTO_EC_POINT_H

#include <string.h>

typedef struct {
    fe x, y, z;
} jac;

typedef struct {
    fe x, y;
} aff;

static void jac_set_inf(jac *r)
{
    memcpy(r->x, EC_ONE, sizeof(fe));
    memcpy(r->y, EC_ONE, sizeof(fe));
    memset(r->z, 0, sizeof(fe));
}

static void jac_from_aff(jac *r, const aff *a)
{
    memcpy(r->x, a->x, sizeof(fe));
    memcpy(r->y, a->y, sizeof(fe));
    memcpy(r->z, EC_ONE, sizeof(fe));
}

/*
 * r = 2a for a = -3, 4M + 4S (the "dbl-2001-b" operation count, arranged to
 * need fewer additions): with T = 2Y,
 *   alpha = 3 (X - Z^2)(X + Z^2),  B = X T^2 = 4 X Y^2,
 *   X3 = alpha^2 - 2B,  Y3 = alpha (B - X3) - T^4 / 2,  Z3 = T Z = 2 Y Z.
 * Complete for this curve: infinity (Z = 0) gives Z3 = 0, and no finite point
 * has Y = 0 (that would be a point of order 2; the group order n is odd).
 * r may alias a.
 */
static void jac_dbl(jac *r, const jac *a)
{
    fe delta, t, t2, b, alpha, u;

    fe_sqr(delta, a->z);
    fe_add(t, a->y, a->y);
    fe_sqr(t2, t);
    fe_mul(b, a->x, t2);
    fe_sub(u, a->x, delta);
    fe_add(alpha, a->x, delta);
    fe_mul(alpha, alpha, u);
    fe_add(u, alpha, alpha);
    fe_add(alpha, u, alpha);
    fe_mul(r->z, t, a->z);
    fe_sqr(u, alpha);
    fe_sub(u, u, b);
    fe_sub(r->x, u, b);
    fe_sub(u, b, r->x);
    fe_mul(u, alpha, u);
    fe_sqr(t2, t2);
    fe_half(t2, t2);
    fe_sub(r->y, u, t2);
}

/*
 * r = a + b for finite a != +-b ("add-1998-cmo-2", 12M + 4S):
 *   U1 = X1 Z2^2, U2 = X2 Z1^2, S1 = Y1 Z2^3, S2 = Y2 Z1^3, H = U2 - U1, R = S2 - S1
 *   X3 = R^2 - H^3 - 2 U1 H^2, Y3 = R (U1 H^2 - X3) - S1 H^3, Z3 = Z1 Z2 H.
 * H = 0 means the inputs have the same x: then R = 0 means a == b (the result
 * is garbage) and R != 0 means a == -b (Z3 = 0, infinity: correct). Nothing
 * here handles an input at infinity; the wrappers below do. *hr gets 1 when
 * H = 0 and R = 0 (computed only when hr is not NULL). r may alias a or b.
 */
static void jac_add_core(jac *r, const jac *a, const jac *b, limb *hr)
{
    fe z1z1, z2z2, u1, u2, s1, s2, h, rr, t;

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
    if (hr)
        *hr = is_zero(h) & is_zero(rr);
    fe_mul(t, a->z, b->z);
    fe_mul(r->z, t, h);
    fe_sqr(z1z1, h);       /* H^2 */
    fe_mul(z2z2, z1z1, h); /* H^3 */
    fe_mul(u1, u1, z1z1);  /* U1 H^2 */
    fe_sqr(t, rr);
    fe_sub(t, t, z2z2);
    fe_sub(t, t, u1);
    fe_sub(r->x, t, u1);
    fe_sub(t, u1, r->x);
    fe_mul(t, rr, t);
    fe_mul(s1, s1, z2z2);
    fe_sub(r->y, t, s1);
}

/*
 * r = a + b with b affine (Z2 = 1, "madd", 8M + 3S): the same formulas with
 * U1 = X1, S1 = Y1. Same exceptional cases as jac_add_core; a must be finite.
 */
static void jac_add_aff_core(jac *r, const jac *a, const aff *b, limb *hr)
{
    fe z1z1, u2, s2, h, rr, hh, hhh, v, t;

    fe_sqr(z1z1, a->z);
    fe_mul(u2, b->x, z1z1);
    fe_mul(s2, b->y, a->z);
    fe_mul(s2, s2, z1z1);
    fe_sub(h, u2, a->x);
    fe_sub(rr, s2, a->y);
    if (hr)
        *hr = is_zero(h) & is_zero(rr);
    fe_sqr(hh, h);
    fe_mul(hhh, hh, h);
    fe_mul(v, a->x, hh);
    fe_mul(t, a->y, hhh); /* Y1 H^3, before r->y may overwrite a->y */
    fe_mul(r->z, a->z, h);
    fe_sqr(s2, rr);
    fe_sub(s2, s2, hhh);
    fe_sub(s2, s2, v);
    fe_sub(r->x, s2, v);
    fe_sub(v, v, r->x);
    fe_mul(v, rr, v);
    fe_sub(r->y, v, t);
}

/* Variable-time a + b for public points: every case handled by branching. */
static void jac_add_vt(jac *r, const jac *a, const jac *b)
{
    jac t;
    limb same;
    if (is_zero(a->z)) {
        *r = *b;
        return;
    }
    if (is_zero(b->z)) {
        *r = *a;
        return;
    }
    jac_add_core(&t, a, b, &same);
    if (same)
        jac_dbl(r, a);
    else
        *r = t;
}

static void jac_add_aff_vt(jac *r, const jac *a, const aff *b)
{
    jac t;
    limb same;
    if (is_zero(a->z)) {
        jac_from_aff(r, b);
        return;
    }
    jac_add_aff_core(&t, a, b, &same);
    if (same)
        jac_dbl(r, a);
    else
        *r = t;
}

/*
 * Decode and validate an uncompressed SEC1 point: 0x04 || X || Y (65 or 97
 * bytes),
 * X, Y < p, y^2 = x^3 - 3x + b. Compressed points (0x02/0x03), the single
 * byte 0x00 for infinity, and everything else are rejected. Public data.
 */
static int aff_decode(aff *q, const uint8_t *in, size_t len)
{
    fe lhs, rhs, t;
    if (in == NULL || len != 1 + 2 * EC_FE_BYTES || in[0] != 0x04)
        return -1;
    from_be(q->x, in + 1);
    from_be(q->y, in + 1 + EC_FE_BYTES);
    if (!lt(q->x, EC_P) || !lt(q->y, EC_P))
        return -1;
    fe_to_mont(q->x, q->x);
    fe_to_mont(q->y, q->y);
    fe_sqr(lhs, q->y);
    fe_sqr(t, q->x);
    fe_mul(rhs, t, q->x);
    fe_sub(rhs, rhs, q->x);
    fe_sub(rhs, rhs, q->x);
    fe_sub(rhs, rhs, q->x);
    fe_add(rhs, rhs, EC_B);
    return limbs_equal_vt(lhs, rhs) ? 0 : -1;
}

/*
 * ECDSA verification (SEC1 4.1.4), public data, variable time: u1 = e/s,
 * u2 = r/s, then u1 G + u2 Q by one interleaved double-and-add over the
 * width-w NAFs of both (odd multiples of G from the constant table, of Q
 * built here: Q has order n, so none of the table's sums is exceptional),
 * and x(u1 G + u2 Q) mod n compared with r without inverting Z. s is public,
 * so it is inverted by the variable-time binary algorithm.
 */
static int ecdsa_verify_vt(const uint8_t *pub, size_t pub_len, const uint8_t *hash, size_t hash_len,
                           const uint8_t *sig)
{
    aff q, g;
    jac qtab[1 << (WNAF_Q - 2)], acc, t;
    limb r[NL];
    int8_t n1[EC_BITS + 1], n2[EC_BITS + 1];
    fe z2, rz;
    int i, started = 0;

    if (aff_decode(&q, pub, pub_len) != 0 || sig == NULL)
        return -1;
    from_be(r, sig);
    {
        /* block scope: these share stack with the temporaries at the end */
        limb s[NL], e[NL], w[NL], u[NL];
        from_be(s, sig + EC_FE_BYTES);
        if (!sc_in_range(r) || !sc_in_range(s))
            return -1;
        hash_to_scalar(e, hash, hash_len, EC_N);
        mod_inv_vt(w, s, EC_N); /* public s: variable time */
        sc_mul(w, w, EC_RR_N);  /* s^-1 R */
        sc_mul(u, e, w);        /* e / s */
        wnaf_vt(n1, u, WNAF_G);
        sc_mul(u, r, w);        /* r / s */
        wnaf_vt(n2, u, WNAF_Q);
    }

    /* qtab[i] = (2i + 1) Q */
    jac_from_aff(&qtab[0], &q);
    jac_dbl(&t, &qtab[0]);
    for (i = 1; i < (1 << (WNAF_Q - 2)); i++)
        jac_add_vt(&qtab[i], &qtab[i - 1], &t);

    jac_set_inf(&acc);
    for (i = EC_BITS; i >= 0; i--) {
        if (started)
            jac_dbl(&acc, &acc);
        if (n1[i]) {
            int j = (n1[i] < 0 ? -n1[i] : n1[i]) >> 1;
            memcpy(g.x, EC_G_ODD[j][0], sizeof(fe));
            memcpy(g.y, EC_G_ODD[j][1], sizeof(fe));
            if (n1[i] < 0)
                fe_neg(g.y, g.y);
            jac_add_aff_vt(&acc, &acc, &g);
            started = 1;
        }
        if (n2[i]) {
            int j = (n2[i] < 0 ? -n2[i] : n2[i]) >> 1;
            t = qtab[j];
            if (n2[i] < 0)
                fe_neg(t.y, t.y);
            jac_add_vt(&acc, &acc, &t);
            started = 1;
        }
    }
    if (!started || is_zero(acc.z))
        return -1;

    /*
     * Accept when x(acc) mod n == r without inverting Z: x = X / Z^2, and
     * x mod n == r with x < p means x == r or x == r + n (the latter only
     * possible when r + n < p, i.e. r < p - n).
     */
    fe_sqr(z2, acc.z);
    fe_to_mont(rz, r);
    fe_mul(rz, rz, z2);
    if (limbs_equal_vt(rz, acc.x))
        return 0;
    if (lt(r, EC_P_MINUS_N)) {
        mod_add(rz, r, EC_N, EC_P); /* r + n < p, no reduction happens */
        fe_to_mont(rz, rz);
        fe_mul(rz, rz, z2);
        if (limbs_equal_vt(rz, acc.x))
            return 0;
    }
    return -1;
}

#endif
