/*
 * Poly1305 one-time authenticator (RFC 8439, section 2.5), radix 2^26.
 *
 * The accumulator h and the clamped key r are five 26-bit limbs:
 * h = h0 + h1 2^26 + h2 2^52 + h3 2^78 + h4 2^104 (mod p = 2^130 - 5).
 *
 * Limb bounds, per 16-byte block:
 *  - after a multiplication every limb is < 2^26, except h1 < 2^26 + 2^11
 *    (it receives the last carry, see below);
 *  - adding a message block (< 2^26 per limb; limb 4 < 2^25 including
 *    the pad bit 2^24) keeps every h_i < 2^27 + 2^11 < 2^28;
 *  - r_i < 2^26 and, as 2^130 = 5 (mod p), the wrapped terms use
 *    s_i = 5 r_i < 2^29;
 *  - each column d_j is a sum of five products h_i * (r or s) < 2^28 *
 *    2^29 = 2^57, so d_j < 5 * 2^57 < 2^60: no 64-bit overflow;
 *  - the carry chain leaves limbs < 2^26, d4's carry c < 2^34 comes back
 *    as c * 5 < 2^37 into h0 (64-bit arithmetic), one more carry from
 *    h0 into h1 restores h0 < 2^26 and h1 < 2^26 + 2^11.
 * Nothing depends on secret data but the values themselves: no branches,
 * no tables. The final reduction selects h or h - p with a mask.
 */
#include "crypto/chacha.h"
#include "crypto/util.h"

#include <string.h>

#define M26 0x3ffffffu

void dtls_poly1305_init(dtls_poly1305_ctx *c, const uint8_t key[32])
{
    /* r = key[0..15] with the RFC's clamping, split into 26-bit limbs; the
     * masks do both at once (clamped bits are 0 in the masks). */
    c->r[0] = dtls_load32_le(key) & 0x3ffffffu;
    c->r[1] = (dtls_load32_le(key + 3) >> 2) & 0x3ffff03u;
    c->r[2] = (dtls_load32_le(key + 6) >> 4) & 0x3ffc0ffu;
    c->r[3] = (dtls_load32_le(key + 9) >> 6) & 0x3f03fffu;
    c->r[4] = (dtls_load32_le(key + 12) >> 8) & 0x00fffffu;
    for (unsigned i = 0; i < 5; i++)
        c->h[i] = 0;
    for (unsigned i = 0; i < 4; i++)
        c->pad[i] = dtls_load32_le(key + 16 + 4 * i);
    c->buf_len = 0;
}

#if defined(DTLS_SMALL_CODE) || (defined(__OPTIMIZE_SIZE__) && !defined(DTLS_FAST_CODE))
/*
 * Compact form (builds for size, or -DDTLS_SMALL_CODE; -DDTLS_FAST_CODE forces
 * the other): the same arithmetic with the limbs in arrays and the products
 * in loops, about half the code. Column d_j sums h_i * r_(j-i) for i <= j and
 * h_i * s_(j-i+5) for i > j, exactly the terms written out below; the bounds
 * argued above hold unchanged. Indices are public.
 */
static void poly1305_blocks(dtls_poly1305_ctx *c, const uint8_t *m, size_t nblocks, uint32_t hibit)
{
    uint32_t rs[10]; /* r0..r4, then s0..s4 (s_i = 5 r_i; s0 is unused) */
    uint32_t h[5];
    for (unsigned i = 0; i < 5; i++) {
        rs[i] = c->r[i];
        rs[5 + i] = c->r[i] * 5;
        h[i] = c->h[i];
    }
    while (nblocks-- > 0) {
        uint64_t d[5], cy = 0;
        for (unsigned i = 0; i < 5; i++)
            h[i] += (dtls_load32_le(m + 3 * i) >> (2 * i)) & M26; /* limb 4: 24 bits */
        h[4] += hibit;
        for (unsigned j = 0; j < 5; j++) {
            d[j] = 0;
            for (unsigned i = 0; i < 5; i++)
                d[j] += (uint64_t)h[i] * rs[i <= j ? j - i : j - i + 10];
        }
        for (unsigned j = 0; j < 5; j++) {
            d[j] += cy;
            cy = d[j] >> 26;
            h[j] = (uint32_t)d[j] & M26;
        }
        cy = (uint64_t)h[0] + cy * 5;
        h[0] = (uint32_t)cy & M26;
        h[1] += (uint32_t)(cy >> 26);
        m += 16;
    }
    for (unsigned i = 0; i < 5; i++)
        c->h[i] = h[i];
    dtls_wipe(rs, sizeof rs);
}
#else
/* Absorb nblocks 16-byte blocks; hibit is 2^24 (the 2^128 pad bit in limb 4) or 0. */
static void poly1305_blocks(dtls_poly1305_ctx *c, const uint8_t *m, size_t nblocks, uint32_t hibit)
{
    const uint64_t r0 = c->r[0], r1 = c->r[1], r2 = c->r[2], r3 = c->r[3], r4 = c->r[4];
    const uint64_t s1 = r1 * 5, s2 = r2 * 5, s3 = r3 * 5, s4 = r4 * 5;
    uint32_t h0 = c->h[0], h1 = c->h[1], h2 = c->h[2], h3 = c->h[3], h4 = c->h[4];

    while (nblocks-- > 0) {
        uint64_t d0, d1, d2, d3, d4, cy;
        h0 += dtls_load32_le(m) & M26;
        h1 += (dtls_load32_le(m + 3) >> 2) & M26;
        h2 += (dtls_load32_le(m + 6) >> 4) & M26;
        h3 += (dtls_load32_le(m + 9) >> 6) & M26;
        h4 += (dtls_load32_le(m + 12) >> 8) | hibit;

        d0 = (uint64_t)h0 * r0 + (uint64_t)h1 * s4 + (uint64_t)h2 * s3 + (uint64_t)h3 * s2 + (uint64_t)h4 * s1;
        d1 = (uint64_t)h0 * r1 + (uint64_t)h1 * r0 + (uint64_t)h2 * s4 + (uint64_t)h3 * s3 + (uint64_t)h4 * s2;
        d2 = (uint64_t)h0 * r2 + (uint64_t)h1 * r1 + (uint64_t)h2 * r0 + (uint64_t)h3 * s4 + (uint64_t)h4 * s3;
        d3 = (uint64_t)h0 * r3 + (uint64_t)h1 * r2 + (uint64_t)h2 * r1 + (uint64_t)h3 * r0 + (uint64_t)h4 * s4;
        d4 = (uint64_t)h0 * r4 + (uint64_t)h1 * r3 + (uint64_t)h2 * r2 + (uint64_t)h3 * r1 + (uint64_t)h4 * r0;

        cy = d0 >> 26; h0 = (uint32_t)d0 & M26;
        d1 += cy; cy = d1 >> 26; h1 = (uint32_t)d1 & M26;
        d2 += cy; cy = d2 >> 26; h2 = (uint32_t)d2 & M26;
        d3 += cy; cy = d3 >> 26; h3 = (uint32_t)d3 & M26;
        d4 += cy; cy = d4 >> 26; h4 = (uint32_t)d4 & M26;
        cy = (uint64_t)h0 + cy * 5;
        h0 = (uint32_t)cy & M26;
        h1 += (uint32_t)(cy >> 26);
        m += 16;
    }
    c->h[0] = h0; c->h[1] = h1; c->h[2] = h2; c->h[3] = h3; c->h[4] = h4;
}
#endif

void dtls_poly1305_update(dtls_poly1305_ctx *c, const uint8_t *data, size_t len)
{
    if (c->buf_len > 0) {
        size_t n = 16 - c->buf_len;
        if (n > len)
            n = len;
        memcpy(c->buf + c->buf_len, data, n);
        c->buf_len += n;
        data += n;
        len -= n;
        if (c->buf_len < 16)
            return;
        poly1305_blocks(c, c->buf, 1, 1u << 24);
        c->buf_len = 0;
    }
    if (len >= 16) {
        poly1305_blocks(c, data, len / 16, 1u << 24);
        data += len & ~(size_t)15;
        len &= 15;
    }
    if (len > 0) {
        memcpy(c->buf, data, len);
        c->buf_len = len;
    }
}

void dtls_poly1305_final(dtls_poly1305_ctx *c, uint8_t tag[16])
{
    uint32_t h0, h1, h2, h3, h4, g0, g1, g2, g3, g4, cy, mask;
    uint64_t f;

    if (c->buf_len > 0) {
        /* Last partial block: the pad bit goes right after the message. */
        c->buf[c->buf_len] = 1;
        for (size_t i = c->buf_len + 1; i < 16; i++)
            c->buf[i] = 0;
        poly1305_blocks(c, c->buf, 1, 0);
    }

    /* Full carry: limbs < 2^26, h < 2^130 (h may still be >= p). */
    h0 = c->h[0]; h1 = c->h[1]; h2 = c->h[2]; h3 = c->h[3]; h4 = c->h[4];
    cy = h1 >> 26; h1 &= M26;
    h2 += cy; cy = h2 >> 26; h2 &= M26;
    h3 += cy; cy = h3 >> 26; h3 &= M26;
    h4 += cy; cy = h4 >> 26; h4 &= M26;
    h0 += cy * 5; cy = h0 >> 26; h0 &= M26;
    h1 += cy;

    /* g = h + 5 - 2^130 = h - p; take it when it did not borrow (h >= p). */
    g0 = h0 + 5; cy = g0 >> 26; g0 &= M26;
    g1 = h1 + cy; cy = g1 >> 26; g1 &= M26;
    g2 = h2 + cy; cy = g2 >> 26; g2 &= M26;
    g3 = h3 + cy; cy = g3 >> 26; g3 &= M26;
    g4 = h4 + cy - (1u << 26);
    mask = (g4 >> 31) - 1u; /* all ones when g4 did not go negative */
    h0 = (h0 & ~mask) | (g0 & mask);
    h1 = (h1 & ~mask) | (g1 & mask);
    h2 = (h2 & ~mask) | (g2 & mask);
    h3 = (h3 & ~mask) | (g3 & mask);
    h4 = (h4 & ~mask) | (g4 & mask);

    /* h mod 2^128 as four 32-bit words, plus the pad (s) mod 2^128. */
    h0 = h0 | (h1 << 26);
    h1 = (h1 >> 6) | (h2 << 20);
    h2 = (h2 >> 12) | (h3 << 14);
    h3 = (h3 >> 18) | (h4 << 8);
    f = (uint64_t)h0 + c->pad[0];              dtls_store32_le(tag, (uint32_t)f);
    f = (uint64_t)h1 + c->pad[1] + (f >> 32);  dtls_store32_le(tag + 4, (uint32_t)f);
    f = (uint64_t)h2 + c->pad[2] + (f >> 32);  dtls_store32_le(tag + 8, (uint32_t)f);
    f = (uint64_t)h3 + c->pad[3] + (f >> 32);  dtls_store32_le(tag + 12, (uint32_t)f);

    dtls_wipe(c, sizeof *c);
}
