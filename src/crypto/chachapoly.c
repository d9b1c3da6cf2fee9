/*
 * ChaCha20-Poly1305 AEAD (RFC 8439, section 2.8).
 *
 * One-time Poly1305 key = first 32 bytes of the ChaCha20 block with counter
 * 0; the data is encrypted from counter 1; the MAC covers
 *   aad || pad16 || ciphertext || pad16 || le64(aad_len) || le64(ct_len).
 * open computes the tag over the ciphertext, compares it in constant time,
 * decrypts, and zeroes the data unless the tag matched (with a mask: the
 * returned value is the only thing that depends on the comparison).
 */
#include "crypto/chacha.h"
#include "crypto/util.h"

#include <string.h>

void dtls_chachapoly_init(dtls_chachapoly_ctx *c, const uint8_t key[32])
{
    memcpy(c->key, key, 32);
}

static void chachapoly_tag(const dtls_chachapoly_ctx *c, const uint8_t nonce[12], const uint8_t *aad,
                           size_t aad_len, const uint8_t *ct, size_t len, uint8_t tag[16])
{
    static const uint8_t zeros[16] = { 0 };
    dtls_poly1305_ctx p;
    uint8_t otk[32] = { 0 }, lens[16];

    dtls_chacha20_xor(c->key, nonce, 0, otk, sizeof otk);
    dtls_poly1305_init(&p, otk);
    dtls_poly1305_update(&p, aad, aad_len);
    dtls_poly1305_update(&p, zeros, (16 - (aad_len & 15)) & 15);
    dtls_poly1305_update(&p, ct, len);
    dtls_poly1305_update(&p, zeros, (16 - (len & 15)) & 15);
    dtls_store64_le(lens, (uint64_t)aad_len);
    dtls_store64_le(lens + 8, (uint64_t)len);
    dtls_poly1305_update(&p, lens, sizeof lens);
    dtls_poly1305_final(&p, tag); /* wipes p */
    dtls_wipe(otk, sizeof otk);
}

void dtls_chachapoly_seal(const dtls_chachapoly_ctx *c, const uint8_t nonce[12],
                          const uint8_t *aad, size_t aad_len, uint8_t *data, size_t len, uint8_t tag[16])
{
    dtls_chacha20_xor(c->key, nonce, 1, data, len);
    chachapoly_tag(c, nonce, aad, aad_len, data, len, tag);
}

int dtls_chachapoly_open(const dtls_chachapoly_ctx *c, const uint8_t nonce[12],
                         const uint8_t *aad, size_t aad_len, uint8_t *data, size_t len, const uint8_t tag[16])
{
    uint8_t want[16];
    int ok;

    chachapoly_tag(c, nonce, aad, aad_len, data, len, want);
    ok = dtls_ct_memeq(want, tag, 16);
    dtls_wipe(want, sizeof want);
    /* Decrypt, then keep the result only if the tag matched: masked, not
     * branched on, so nothing but the returned value depends on the tag. */
    dtls_chacha20_xor(c->key, nonce, 1, data, len);
    {
        const uint8_t keep = (uint8_t)(0u - (uint32_t)ok);
        for (size_t i = 0; i < len; i++)
            data[i] &= keep;
    }
    return ok - 1;
}
