/*
 * TEST-ONLY RANDOMNESS. NOT FOR A PRODUCT.
 *
 * QEMU's mps2-an386 has no random number generator, so the test harness
 * hands the firmware a fresh 32-byte seed on the semihosting command line
 * (seed=<64 hex digits>) and this file stretches it with SHA-256 in counter
 * mode. That is only as good as the harness's seed and the secrecy of the
 * console it travelled over. A device must feed dtls's rng callback from its
 * hardware TRNG (or a DRBG seeded from it, reseeded regularly): see
 * docs/PORTING.md, "Randomness".
 */
#include <string.h>

#include <dtls/crypto_algs.h>

#include "fw.h"

static uint8_t drbg_key[32];
static uint32_t drbg_counter;
static int drbg_ready;

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int test_rng_seed(const char *hex, size_t len)
{
    uint8_t seed[32];
    if (len != 64)
        return -1;
    for (size_t i = 0; i < 32; i++) {
        int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        seed[i] = (uint8_t)(hi << 4 | lo);
    }
    dtls_sha256(seed, sizeof seed, drbg_key);
    memset(seed, 0, sizeof seed);
    drbg_counter = 0;
    drbg_ready = 1;
    return 0;
}

/* out = SHA-256(key || counter || 0) blocks; then key = SHA-256(key || counter || 1),
 * so earlier output cannot be recomputed from the state left behind. */
static void block(uint8_t out[32], uint8_t tag)
{
    const struct dtls_hash *sha256 = &dtls_hash_sha256;
    dtls_hash_ctx h;
    uint8_t ctr[5] = { (uint8_t)(drbg_counter >> 24), (uint8_t)(drbg_counter >> 16),
                       (uint8_t)(drbg_counter >> 8), (uint8_t)drbg_counter, tag };
    sha256->init(&h);
    sha256->update(&h, drbg_key, sizeof drbg_key);
    sha256->update(&h, ctr, sizeof ctr);
    sha256->final(&h, out);
    drbg_counter++;
}

int test_rng(void *ctx, uint8_t *out, size_t len)
{
    (void)ctx;
    if (!drbg_ready)
        return -1;
    uint8_t b[32];
    while (len > 0) {
        size_t n = len < 32 ? len : 32;
        block(b, 0);
        memcpy(out, b, n);
        out += n;
        len -= n;
    }
    block(drbg_key, 1);
    memset(b, 0, sizeof b);
    return 0;
}
