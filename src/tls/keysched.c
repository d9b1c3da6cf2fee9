/*
 * The TLS 1.3 key schedule (RFC 8446 7.1) and the transcript hash (4.4.1).
 *
 *            0 (or PSK)
 *            |
 *   0 -> HKDF-Extract = Early Secret ---> "res binder" -> binder key
 *            |
 *        Derive-Secret(., "derived", "")
 *            v
 *   ECDHE -> HKDF-Extract = Handshake Secret --> "c hs traffic", "s hs traffic"
 *            |
 *        Derive-Secret(., "derived", "")
 *            v
 *   0 ----> HKDF-Extract = Master Secret --> "c ap traffic", "s ap traffic", "res master"
 *
 * One 48-byte slot (c->u.hs.secret) walks down the left column; the traffic
 * secrets are kept only as long as they are needed (the handshake ones until
 * the Finished messages, the application ones for KeyUpdate). Everything goes
 * through the provider's struct dtls_hash, so an accelerated SHA-2 serves the
 * HMAC/HKDF code too.
 */
#include <string.h>

#include "tls/tls.h"

const struct dtls_hash *dtls_ks_suite_hash(const struct dtls_client *c, uint16_t suite)
{
    return suite == DTLS_TLS_AES_256_GCM_SHA384 ? c->cr->sha384 : c->cr->sha256;
}

const struct dtls_aead *dtls_ks_suite_aead(const struct dtls_client *c, uint16_t suite)
{
    switch (suite) {
    case DTLS_TLS_AES_128_GCM_SHA256: return c->cr->aes128gcm;
    case DTLS_TLS_AES_256_GCM_SHA384: return c->cr->aes256gcm;
    case DTLS_TLS_CHACHA20_POLY1305_SHA256: return c->cr->chacha20poly1305;
    default: return NULL;
    }
}

void dtls_ks_th_update(struct dtls_client *c, const uint8_t *b, size_t n)
{
    dtls_ks_suite_hash(c, c->suite)->update(&c->u.hs.th, b, n);
}

void dtls_ks_th_snapshot(const struct dtls_client *c, uint8_t *out)
{
    dtls_hash_ctx t = c->u.hs.th;
    dtls_ks_suite_hash(c, c->suite)->final(&t, out);
}

static void empty_hash(const struct dtls_hash *h, uint8_t *out)
{
    dtls_hash_ctx t;
    h->init(&t);
    h->final(&t, out);
}

void dtls_ks_early(const struct dtls_hash *h, uint8_t *secret, const uint8_t *psk, size_t psk_len)
{
    static const uint8_t zeros[48] = { 0 };
    if (!psk) {
        psk = zeros;
        psk_len = h->digest_len;
    }
    dtls_hkdf_extract(h, NULL, 0, psk, psk_len, secret);
}

void dtls_ks_advance(struct dtls_client *c, uint8_t *secret, const uint8_t *ikm, size_t ikm_len)
{
    static const uint8_t zeros[48] = { 0 };
    const struct dtls_hash *h = dtls_ks_suite_hash(c, c->suite);
    uint8_t eh[DTLS_HASH_MAX_DIGEST], derived[DTLS_HASH_MAX_DIGEST];
    empty_hash(h, eh);
    dtls_derive_secret(h, secret, "derived", eh, derived);
    if (!ikm) {
        ikm = zeros;
        ikm_len = h->digest_len;
    }
    dtls_hkdf_extract(h, derived, h->digest_len, ikm, ikm_len, secret);
    dtls_wipe(derived, sizeof derived);
}

void dtls_ks_finished(const struct dtls_hash *h, const uint8_t *base, const uint8_t *hash, uint8_t *out)
{
    uint8_t fk[DTLS_HASH_MAX_DIGEST];
    (void)dtls_hkdf_expand_label(h, base, "finished", NULL, 0, fk, h->digest_len);
    dtls_hmac(h, fk, h->digest_len, hash, h->digest_len, out);
    dtls_wipe(fk, sizeof fk);
}

void dtls_ks_next_secret(struct dtls_client *c, uint8_t *secret)
{
    const struct dtls_hash *h = dtls_ks_suite_hash(c, c->suite);
    uint8_t next[DTLS_HASH_MAX_DIGEST];
    (void)dtls_hkdf_expand_label(h, secret, "traffic upd", NULL, 0, next, h->digest_len);
    memcpy(secret, next, h->digest_len);
    dtls_wipe(next, sizeof next);
}

#ifndef DTLS_CONFIG_NO_KEYLOG
static char *put_hex(char *p, const uint8_t *b, size_t n)
{
    static const char hx[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        *p++ = hx[b[i] >> 4];
        *p++ = hx[b[i] & 15];
    }
    return p;
}

/* "LABEL <client random hex> <secret hex>", NSS key log format. A label ending in
 * '_' gets the KeyUpdate generation appended (CLIENT_TRAFFIC_SECRET_0, _1, ...). */
void dtls_ks_keylog(struct dtls_client *c, const char *label, const uint8_t *secret)
{
    char line[48 + 1 + 64 + 1 + 2 * DTLS_HASH_MAX_DIGEST + 1];
    size_t n = strlen(label);
    char *p = line;
    if (!c->cfg->keylog || n > 40)
        return;
    memcpy(p, label, n);
    p += n;
    if (label[n - 1] == '_') {
        uint32_t gen = label[0] == 'C' ? c->ku_c : c->ku_s;
        char d[10];
        int k = 0;
        do {
            d[k++] = (char)('0' + gen % 10);
            gen /= 10;
        } while (gen);
        while (k)
            *p++ = d[--k];
    }
    *p++ = ' ';
    p = put_hex(p, c->random, 32);
    *p++ = ' ';
    p = put_hex(p, secret, dtls_ks_suite_hash(c, c->suite)->digest_len);
    *p = 0;
    c->cfg->keylog(c->cfg->ctx, line);
    dtls_wipe(line, sizeof line);
}
#endif
