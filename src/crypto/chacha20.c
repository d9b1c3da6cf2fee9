/*
 * ChaCha20 stream cipher (RFC 8439, section 2.4). Only additions,
 * rotations and XORs on 32-bit words: constant time by construction.
 *
 * State words: 0..3 the constant "expand 32-byte k", 4..11 the key,
 * 12 the block counter, 13..15 the nonce, all little-endian.
 */
#include "crypto/chacha.h"
#include "crypto/util.h"

static uint32_t rotl32(uint32_t x, unsigned n)
{
    return (x << n) | (x >> (32 - n));
}

#define QUARTER(a, b, c, d)                                                    \
    do {                                                                       \
        a += b; d ^= a; d = rotl32(d, 16);                                     \
        c += d; b ^= c; b = rotl32(b, 12);                                     \
        a += b; d ^= a; d = rotl32(d, 8);                                      \
        c += d; b ^= c; b = rotl32(b, 7);                                      \
    } while (0)

#if defined(DTLS_SMALL_CODE) || (defined(__OPTIMIZE_SIZE__) && !defined(DTLS_FAST_CODE))
/*
 * Compact form (builds for size, or -DDTLS_SMALL_CODE; -DDTLS_FAST_CODE forces
 * the other): the state in an array, each double round as four column and
 * four diagonal quarter rounds by index. Quarter round j of a column round
 * works on words (j, 4 + j, 8 + j, 12 + j); of a diagonal round on
 * (j, 4 + (j + 1) % 4, 8 + (j + 2) % 4, 12 + (j + 3) % 4): the same eight
 * quarter rounds, in the same order, as the written-out form below.
 */
static void quarter(uint32_t x[16], unsigned a, unsigned b, unsigned c, unsigned d)
{
    QUARTER(x[a], x[b], x[c], x[d]);
}

static void chacha20_block(const uint32_t s[16], uint32_t out[16])
{
    for (unsigned i = 0; i < 16; i++)
        out[i] = s[i];
    for (unsigned i = 0; i < 10; i++) {
        for (unsigned j = 0; j < 4; j++)
            quarter(out, j, 4 + j, 8 + j, 12 + j);
        for (unsigned j = 0; j < 4; j++)
            quarter(out, j, 4 + ((j + 1) & 3), 8 + ((j + 2) & 3), 12 + ((j + 3) & 3));
    }
    for (unsigned i = 0; i < 16; i++)
        out[i] += s[i];
}
#else
/* out = ChaCha20 block of state s (20 rounds plus the feed-forward). */
static void chacha20_block(const uint32_t s[16], uint32_t out[16])
{
    uint32_t x0 = s[0], x1 = s[1], x2 = s[2], x3 = s[3];
    uint32_t x4 = s[4], x5 = s[5], x6 = s[6], x7 = s[7];
    uint32_t x8 = s[8], x9 = s[9], x10 = s[10], x11 = s[11];
    uint32_t x12 = s[12], x13 = s[13], x14 = s[14], x15 = s[15];

    for (unsigned i = 0; i < 10; i++) {
        QUARTER(x0, x4, x8, x12);
        QUARTER(x1, x5, x9, x13);
        QUARTER(x2, x6, x10, x14);
        QUARTER(x3, x7, x11, x15);
        QUARTER(x0, x5, x10, x15);
        QUARTER(x1, x6, x11, x12);
        QUARTER(x2, x7, x8, x13);
        QUARTER(x3, x4, x9, x14);
    }
    out[0] = x0 + s[0];   out[1] = x1 + s[1];   out[2] = x2 + s[2];   out[3] = x3 + s[3];
    out[4] = x4 + s[4];   out[5] = x5 + s[5];   out[6] = x6 + s[6];   out[7] = x7 + s[7];
    out[8] = x8 + s[8];   out[9] = x9 + s[9];   out[10] = x10 + s[10]; out[11] = x11 + s[11];
    out[12] = x12 + s[12]; out[13] = x13 + s[13]; out[14] = x14 + s[14]; out[15] = x15 + s[15];
}
#endif

void dtls_chacha20_xor(const uint8_t key[32], const uint8_t nonce[12], uint32_t counter,
                       uint8_t *data, size_t len)
{
    uint32_t s[16], ks[16];

    s[0] = 0x61707865u; /* "expa" */
    s[1] = 0x3320646eu; /* "nd 3" */
    s[2] = 0x79622d32u; /* "2-by" */
    s[3] = 0x6b206574u; /* "te k" */
    for (unsigned i = 0; i < 8; i++)
        s[4 + i] = dtls_load32_le(key + 4 * i);
    s[12] = counter;
    s[13] = dtls_load32_le(nonce);
    s[14] = dtls_load32_le(nonce + 4);
    s[15] = dtls_load32_le(nonce + 8);

    while (len >= 64) {
        chacha20_block(s, ks);
        for (unsigned i = 0; i < 16; i++)
            dtls_store32_le(data + 4 * i, dtls_load32_le(data + 4 * i) ^ ks[i]);
        s[12]++; /* wraps mod 2^32, as RFC 8439 defines the counter */
        data += 64;
        len -= 64;
    }
    if (len > 0) {
        uint8_t b[64];
        chacha20_block(s, ks);
        for (unsigned i = 0; i < 16; i++)
            dtls_store32_le(b + 4 * i, ks[i]);
        for (size_t i = 0; i < len; i++)
            data[i] ^= b[i];
        dtls_wipe(b, sizeof b);
    }
    dtls_wipe(s, sizeof s);
    dtls_wipe(ks, sizeof ks);
}
