/*
 * HMAC (RFC 2104), HKDF (RFC 5869) and the TLS 1.3 key-schedule helpers
 * (RFC 8446 section 7.1), over any struct dtls_hash.
 *
 * HMAC(K, m) = H((K0 ^ opad) || H((K0 ^ ipad) || m)), where K0 is the key
 * padded with zeros to the block length, or H(K) padded when the key is
 * longer than a block. The context keeps the inner hash with K0 ^ ipad
 * already absorbed and the outer hash with K0 ^ opad absorbed, so a keyed
 * context can be copied and reused (HKDF-Expand does so once per block).
 *
 * Aliasing: key, salt, IKM, PRK and secret are absorbed before any output
 * byte is written, so out may be the same buffer as any of them (the TLS
 * KeyUpdate does secret = HKDF-Expand-Label(secret, "traffic upd", "",
 * Hash.length)). HKDF-Expand (and so Expand-Label) reads info / context
 * again for every output block: out may overlap them only when out_len is
 * at most one digest (Derive-Secret's case).
 *
 * Secrets (K0, intermediate digests, T(i)) are wiped before returning.
 * Branches depend only on lengths.
 */
#include "crypto/hmac.h"
#include "crypto/util.h"

#include <string.h>

void dtls_hmac_init(dtls_hmac_ctx *c, const struct dtls_hash *h, const uint8_t *key, size_t key_len)
{
    uint8_t k0[DTLS_HASH_MAX_BLOCK];
    size_t bl = h->block_len;

    memset(k0, 0, sizeof k0);
    if (key_len > bl) {
        h->init(&c->inner);
        h->update(&c->inner, key, key_len);
        h->final(&c->inner, k0);
    } else if (key_len) {
        memcpy(k0, key, key_len);
    }
    for (size_t i = 0; i < bl; i++)
        k0[i] ^= 0x36;
    c->hash = h;
    h->init(&c->inner);
    h->update(&c->inner, k0, bl);
    /* 0x36 ^ 0x5c turns K0 ^ ipad into K0 ^ opad. */
    for (size_t i = 0; i < bl; i++)
        k0[i] ^= 0x36 ^ 0x5c;
    h->init(&c->outer);
    h->update(&c->outer, k0, bl);
    dtls_wipe(k0, sizeof k0);
}

void dtls_hmac_update(dtls_hmac_ctx *c, const void *data, size_t len)
{
    c->hash->update(&c->inner, data, len);
}

void dtls_hmac_final(dtls_hmac_ctx *c, uint8_t *out)
{
    uint8_t d[DTLS_HASH_MAX_DIGEST];
    const struct dtls_hash *h = c->hash;

    h->final(&c->inner, d);
    h->update(&c->outer, d, h->digest_len);
    h->final(&c->outer, d);
    memcpy(out, d, h->digest_len);
    dtls_wipe(d, sizeof d);
    dtls_wipe(c, sizeof *c);
}

void dtls_hmac(const struct dtls_hash *h, const uint8_t *key, size_t key_len, const void *data, size_t len,
               uint8_t *out)
{
    dtls_hmac_ctx c;
    dtls_hmac_init(&c, h, key, key_len);
    dtls_hmac_update(&c, data, len);
    dtls_hmac_final(&c, out);
}

/*
 * An absent salt is HashLen zero bytes (RFC 5869 2.2). HMAC pads its key
 * with zeros to the block length anyway, so an empty key and HashLen zero
 * bytes give the same K0: no special case is needed.
 */
void dtls_hkdf_extract(const struct dtls_hash *h, const uint8_t *salt, size_t salt_len, const uint8_t *ikm,
                       size_t ikm_len, uint8_t *prk)
{
    dtls_hmac(h, salt, salt ? salt_len : 0, ikm, ikm_len, prk);
}

/*
 * T(0) = empty, T(i) = HMAC(PRK, T(i-1) || info || i) for i = 1..N,
 * OKM = first out_len bytes of T(1) || ... || T(N), N <= 255.
 * T(i) is built in a local buffer and copied out, so out may alias prk.
 */
static int hkdf_expand_parts(const struct dtls_hash *h, const uint8_t *prk, size_t prk_len,
                             const uint8_t *const part[], const size_t part_len[], size_t nparts,
                             uint8_t *out, size_t out_len)
{
    dtls_hmac_ctx base, c;
    uint8_t t[DTLS_HASH_MAX_DIGEST];
    size_t hl = h->digest_len, done = 0;
    uint8_t ctr = 1;

    if (out_len > 255 * hl)
        return -1;
    dtls_hmac_init(&base, h, prk, prk_len);
    while (done < out_len) {
        size_t n = out_len - done < hl ? out_len - done : hl;
        c = base;
        if (done)
            dtls_hmac_update(&c, t, hl);
        for (size_t i = 0; i < nparts; i++)
            dtls_hmac_update(&c, part[i], part_len[i]);
        dtls_hmac_update(&c, &ctr, 1);
        dtls_hmac_final(&c, t);
        memcpy(out + done, t, n);
        done += n;
        ctr++;
    }
    dtls_wipe(t, sizeof t);
    dtls_wipe(&base, sizeof base);
    return 0;
}

int dtls_hkdf_expand(const struct dtls_hash *h, const uint8_t *prk, size_t prk_len, const uint8_t *info,
                     size_t info_len, uint8_t *out, size_t out_len)
{
    const uint8_t *part[1] = {info};
    size_t part_len[1] = {info_len};
    return hkdf_expand_parts(h, prk, prk_len, part, part_len, 1, out, out_len);
}

/*
 * HkdfLabel (RFC 8446 7.1):
 *     uint16 length = out_len;
 *     opaque label<7..255> = "tls13 " + Label;
 *     opaque context<0..255> = Context;
 * is fed to HKDF-Expand as info in four pieces, so no 514-byte buffer is
 * needed on small stacks: a 9-byte header (the length, the label's length
 * byte, "tls13 "), the label, the context's length byte, the context.
 * The label is not checked against the 7-byte minimum: an empty label is
 * encoded as given (no TLS 1.3 label is empty).
 */
int dtls_hkdf_expand_label(const struct dtls_hash *h, const uint8_t *secret, const char *label,
                           const uint8_t *context, size_t context_len, uint8_t *out, size_t out_len)
{
    uint8_t head[9] = {0, 0, 0, 't', 'l', 's', '1', '3', ' '};
    uint8_t clen;
    size_t label_len = strlen(label);
    const uint8_t *part[4];
    size_t part_len[4];

    if (label_len > 255 - 6 || context_len > 255 || out_len > 255 * h->digest_len)
        return -1;
    head[0] = (uint8_t)(out_len >> 8);
    head[1] = (uint8_t)out_len;
    head[2] = (uint8_t)(6 + label_len);
    clen = (uint8_t)context_len;
    part[0] = head;
    part_len[0] = sizeof head;
    part[1] = (const uint8_t *)label;
    part_len[1] = label_len;
    part[2] = &clen;
    part_len[2] = 1;
    part[3] = context;
    part_len[3] = context_len;
    return hkdf_expand_parts(h, secret, h->digest_len, part, part_len, 4, out, out_len);
}

void dtls_derive_secret(const struct dtls_hash *h, const uint8_t *secret, const char *label,
                        const uint8_t *transcript_hash, uint8_t *out)
{
    /* Cannot fail: the caller's label is a short constant and the context is one digest. */
    (void)dtls_hkdf_expand_label(h, secret, label, transcript_hash, h->digest_len, out, h->digest_len);
}
