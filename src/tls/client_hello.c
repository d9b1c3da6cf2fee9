/*
 * The ClientHello (RFC 8446 4.1.2), first and after a HelloRetryRequest.
 *
 * It is written straight into an outgoing plaintext record. The first one is
 * not hashed yet: the transcript hash function depends on the suite the
 * server picks, so the message stays in tx (c->u.hs.ch_off/ch_len; at the end
 * of a shared buffer, where incoming records cannot reach it) until the
 * ServerHello or HelloRetryRequest says which hash to use. The second one is
 * hashed as soon as it is built (the suite is known by then).
 *
 * pre_shared_key goes last (4.2.11). Its binder is an HMAC over the
 * transcript of the ClientHello truncated just before the binders list, so
 * the message is first built with a zero binder and then patched.
 */
#include <string.h>

#include "tls/tls.h"
#include "tls/tls_test.h"

static const uint16_t default_suites[] = { DTLS_TLS_AES_128_GCM_SHA256,
                                           DTLS_TLS_CHACHA20_POLY1305_SHA256,
                                           DTLS_TLS_AES_256_GCM_SHA384, 0 };
static const uint16_t default_groups[] = { DTLS_GROUP_X25519, DTLS_GROUP_SECP256R1, 0 };

const uint16_t *dtls_ch_suites(const struct dtls_client *c)
{
    return c->cfg->suites ? c->cfg->suites : default_suites;
}

const uint16_t *dtls_ch_groups(const struct dtls_client *c)
{
    return c->cfg->groups ? c->cfg->groups : default_groups;
}

static int suite_available(const struct dtls_client *c, uint16_t s)
{
    return dtls_ks_suite_aead(c, s) != NULL && dtls_ks_suite_hash(c, s) != NULL;
}

static int group_available(const struct dtls_client *c, uint16_t g)
{
    if (g == DTLS_GROUP_X25519)
        return c->cr->x25519 && c->cr->x25519_base;
    if (g == DTLS_GROUP_SECP256R1)
        return c->cr->p256_pubkey && c->cr->p256_ecdh;
    return 0;
}

int dtls_ch_offers_suite(const struct dtls_client *c, uint16_t suite)
{
    for (const uint16_t *s = dtls_ch_suites(c); *s; s++)
        if (*s == suite)
            return suite_available(c, suite);
    return 0;
}

int dtls_ch_offers_group(const struct dtls_client *c, uint16_t group)
{
    for (const uint16_t *g = dtls_ch_groups(c); *g; g++)
        if (*g == group)
            return group_available(c, group);
    return 0;
}

size_t dtls_ch_sig_schemes(const struct dtls_client *c, uint16_t *out, int for_certs)
{
    const struct dtls_crypto *cr = c->cr;
    size_t n = 0;
    if (cr->p256_verify)
        out[n++] = DTLS_SIG_ECDSA_SECP256R1_SHA256;
    if (cr->ed25519_verify)
        out[n++] = DTLS_SIG_ED25519;
    if (cr->p384_verify && cr->sha384)
        out[n++] = DTLS_SIG_ECDSA_SECP384R1_SHA384;
#ifndef DTLS_CONFIG_NO_RSA /* (an RSA hook in the table goes unused) */
    if (cr->rsa_pss_verify) {
        out[n++] = DTLS_SIG_RSA_PSS_RSAE_SHA256;
        if (cr->sha384)
            out[n++] = DTLS_SIG_RSA_PSS_RSAE_SHA384;
        out[n++] = DTLS_SIG_RSA_PSS_PSS_SHA256;
        if (cr->sha384)
            out[n++] = DTLS_SIG_RSA_PSS_PSS_SHA384;
    }
    if (for_certs && cr->rsa_pkcs1_verify) {
        out[n++] = DTLS_SIG_RSA_PKCS1_SHA256;
        if (cr->sha384)
            out[n++] = DTLS_SIG_RSA_PKCS1_SHA384;
        if (cr->sha512)
            out[n++] = DTLS_SIG_RSA_PKCS1_SHA512; /* certificates only */
    }
#else
    (void)for_certs;
#endif
    out[n] = 0;
    return n;
}

static int rng(struct dtls_client *c, uint8_t *out, size_t len)
{
    if (c->cfg->rng(c->cfg->ctx, out, len) != 0)
        return dtls_tls_fail(c, DTLS_E_RNG);
    return DTLS_OK;
}

/* A fresh key share for group: private key in c->u.hs.priv, public value in pub. */
static int make_share(struct dtls_client *c, uint16_t group, uint8_t pub[65], size_t *pub_len)
{
    if (group == DTLS_GROUP_X25519) {
        TRY(rng(c, c->u.hs.priv, 32));
        c->cr->x25519_base(pub, c->u.hs.priv);
        *pub_len = 32;
        return DTLS_OK;
    }
    /* P-256: a uniformly random scalar in [1, n-1] by rejection; the chance that 8
       draws all fall outside is below 2^-256. */
    for (int i = 0; i < 8; i++) {
        TRY(rng(c, c->u.hs.priv, 32));
        if (c->cr->p256_pubkey(pub, c->u.hs.priv) == 0) {
            *pub_len = 65;
            return DTLS_OK;
        }
    }
    return dtls_tls_fail(c, DTLS_E_RNG);
}

static int is_ip_literal(const char *s)
{
    int dots = 0;
    if (strchr(s, ':'))
        return 1;
    for (; *s; s++) {
        if (*s == '.')
            dots++;
        else if (*s < '0' || *s > '9')
            return 0;
    }
    return dots == 3;
}

/* A ticket we may offer now, or -1. */
static int load_psk(struct dtls_client *c, struct dtls_session *s)
{
    memset(s, 0, sizeof *s);
#ifdef DTLS_CONFIG_NO_RESUMPTION
    (void)c;
    return -1;
#else
    const struct dtls_hash *h;
    if (!c->cfg->session_load || c->cfg->session_load(c->cfg->ctx, s) != 0)
        goto no;
    if (!dtls_ch_offers_suite(c, s->suite))
        goto no;
    h = dtls_ks_suite_hash(c, s->suite);
    if (s->psk_len != h->digest_len || !s->ticket || s->ticket_len == 0 || s->ticket_len > 0xffff)
        goto no;
    /* After a HelloRetryRequest only a PSK of the chosen suite's hash is usable (4.1.4). */
    if (c->u.hs.hrr_suite && dtls_ks_suite_hash(c, c->u.hs.hrr_suite) != h)
        goto no;
    if (c->cfg->now) {
        int64_t age = c->cfg->now(c->cfg->ctx) - s->received;
        if (age < 0 || age > (int64_t)s->lifetime)
            goto no;
    }
    return 0;
no:
    dtls_wipe(s, sizeof *s);
    return -1;
#endif
}

#ifndef DTLS_CONFIG_NO_RESUMPTION
static uint32_t ticket_age(const struct dtls_client *c, const struct dtls_session *s)
{
    int64_t age = c->cfg->now ? c->cfg->now(c->cfg->ctx) - s->received : 0;
    return (uint32_t)((uint64_t)age * 1000u) + s->age_add;
}
#endif

/* What offering an extension commits us to. */
static void note_sent(struct dtls_client *c, uint16_t type, const uint8_t *body, size_t len)
{
    int bit = dtls_ext_bit(type);
    if (bit >= 0)
        c->sent_ext |= 1u << bit;
    if (type == EXT_RECORD_SIZE_LIMIT && len == 2)
        c->rsl_sent = ld16(body);
    if (type == EXT_MAX_FRAGMENT_LENGTH && len == 1)
        c->mfl_sent = body[0];
}

static size_t ext_begin(struct tls_wr *w, uint16_t type)
{
    wr_u16(w, type);
    return wr_open(w, 2);
}

static void ext_end(struct dtls_client *c, struct tls_wr *w, size_t at, uint16_t type)
{
    wr_close(w, at, 2);
    if (!w->err)
        note_sent(c, type, w->p + at + 2, w->len - at - 2);
}

static void write_extensions(struct dtls_client *c, struct tls_wr *w, const uint8_t *pub,
                             size_t pub_len, const uint8_t *cookie, size_t cookie_len)
{
    const struct dtls_config *cfg = c->cfg;
    uint16_t schemes[16];
    size_t at, l, n;

    if (cfg->server_name && !is_ip_literal(cfg->server_name)) {
        size_t sl = strlen(cfg->server_name);
        if (sl && cfg->server_name[sl - 1] == '.')
            sl--;   /* SNI carries no trailing dot (RFC 6066 3) */
        at = ext_begin(w, EXT_SERVER_NAME);
        l = wr_open(w, 2);
        wr_u8(w, 0); /* host_name */
        wr_u16(w, (unsigned)sl);
        wr_bytes(w, cfg->server_name, sl);
        wr_close(w, l, 2);
        ext_end(c, w, at, EXT_SERVER_NAME);
    }

    at = ext_begin(w, EXT_SUPPORTED_VERSIONS);
    wr_u8(w, 2);
    wr_u16(w, DTLS_TLS13);
    ext_end(c, w, at, EXT_SUPPORTED_VERSIONS);

    at = ext_begin(w, EXT_SUPPORTED_GROUPS);
    l = wr_open(w, 2);
    for (const uint16_t *g = dtls_ch_groups(c); *g; g++)
        if (group_available(c, *g))
            wr_u16(w, *g);
    wr_close(w, l, 2);
    ext_end(c, w, at, EXT_SUPPORTED_GROUPS);

    at = ext_begin(w, EXT_KEY_SHARE);
    l = wr_open(w, 2);
    wr_u16(w, c->u.hs.share_group);
    wr_u16(w, (unsigned)pub_len);
    wr_bytes(w, pub, pub_len);
    wr_close(w, l, 2);
    ext_end(c, w, at, EXT_KEY_SHARE);

    for (int certs = 0; certs < 2; certs++) {
        uint16_t type = certs ? EXT_SIGNATURE_ALGORITHMS_CERT : EXT_SIGNATURE_ALGORITHMS;
        n = dtls_ch_sig_schemes(c, schemes, certs);
        at = ext_begin(w, type);
        l = wr_open(w, 2);
        for (size_t i = 0; i < n; i++)
            wr_u16(w, schemes[i]);
        wr_close(w, l, 2);
        ext_end(c, w, at, type);
    }

    if (cfg->alpn && cfg->alpn[0]) {
        at = ext_begin(w, EXT_ALPN);
        l = wr_open(w, 2);
        for (const char *const *p = cfg->alpn; *p; p++) {
            size_t pl = strlen(*p);
            wr_u8(w, (unsigned)pl);
            wr_bytes(w, *p, pl);
        }
        wr_close(w, l, 2);
        ext_end(c, w, at, EXT_ALPN);
    }

    if (cfg->max_fragment) {
        unsigned code = cfg->max_fragment == 512 ? 1 : cfg->max_fragment == 1024 ? 2
                      : cfg->max_fragment == 2048 ? 3 : 4;
        at = ext_begin(w, EXT_MAX_FRAGMENT_LENGTH);
        wr_u8(w, code);
        ext_end(c, w, at, EXT_MAX_FRAGMENT_LENGTH);
        /* RFC 8449 4: in TLS 1.3 the limit counts the content type byte too */
        at = ext_begin(w, EXT_RECORD_SIZE_LIMIT);
        wr_u16(w, cfg->max_fragment + 1u);
        ext_end(c, w, at, EXT_RECORD_SIZE_LIMIT);
    }

#ifndef DTLS_CONFIG_NO_RESUMPTION
    /* Also what makes a server send tickets (4.2.9): left out without resumption. */
    at = ext_begin(w, EXT_PSK_KEY_EXCHANGE_MODES);
    wr_u8(w, 1);
    wr_u8(w, 1); /* psk_dhe_ke */
    ext_end(c, w, at, EXT_PSK_KEY_EXCHANGE_MODES);
#endif

    if (cookie) {
        at = ext_begin(w, EXT_COOKIE);
        wr_u16(w, (unsigned)cookie_len);
        wr_bytes(w, cookie, cookie_len);
        ext_end(c, w, at, EXT_COOKIE);
    }
}

#ifndef DTLS_CONFIG_NO_RESUMPTION
/* pre_shared_key with one identity and a zero binder of hl bytes; returns the
 * offset of the binder within w. */
static size_t write_psk(struct dtls_client *c, struct tls_wr *w, const struct dtls_session *s, size_t hl)
{
    size_t at = ext_begin(w, EXT_PRE_SHARED_KEY), l, binder;
    l = wr_open(w, 2);
    wr_u16(w, (unsigned)s->ticket_len);
    wr_bytes(w, s->ticket, s->ticket_len);
    wr_u32(w, ticket_age(c, s));
    wr_close(w, l, 2);
    wr_u16(w, (unsigned)(1 + hl));
    wr_u8(w, (unsigned)hl);
    binder = w->len;
    (void)wr_take(w, hl);
    if (!w->err)
        memset(w->p + binder, 0, hl);
    ext_end(c, w, at, EXT_PRE_SHARED_KEY);
    return binder;
}
#endif

/* The supplied extension block of the test seam: copy, and learn what it offers.
 * Returns the offset of a trailing pre_shared_key binder within w, or 0. */
static size_t write_seam_extensions(struct dtls_client *c, struct tls_wr *w, const uint8_t *b, size_t len,
                                    size_t *binder_len)
{
    struct tls_rd r, body;
    uint16_t type = 0;
    size_t start = w->len;
    wr_bytes(w, b, len);
    rd_init(&r, b, len);
    while (rd_left(&r)) {
        if (rd_u16(&r, &type) != 0 || rd_vec(&r, 2, 0, 0xffff, &body) != 0)
            return 0;
        note_sent(c, type, body.p, body.len);
    }
    if (type != EXT_PRE_SHARED_KEY || body.len < 3)
        return 0;
    {
        /* identities, then the binders list (one binder) */
        struct tls_rd p, ids, binders, one;
        rd_init(&p, body.p, body.len);
        if (rd_vec(&p, 2, 7, 0xffff, &ids) != 0 || rd_vec(&p, 2, 33, 0xffff, &binders) != 0 ||
            rd_vec(&binders, 1, 32, 255, &one) != 0)
            return 0;
        *binder_len = one.len;
        return start + (size_t)(one.p - b);
    }
}

int dtls_ch_send(struct dtls_client *c, const uint8_t *cookie, size_t cookie_len)
{
    const struct dtls_test_seam *seam = dtls_test_seam_of(c);
    int second = (c->flags & F_HRR) != 0;
    uint8_t pub[65], *pt;
    size_t pub_len = 0, cap, rec, binder = 0, hl = 0;
    struct dtls_session s;
    struct tls_wr w;
    int psk;

    if (!second) {
        const uint16_t *g = dtls_ch_groups(c);
        while (*g && !group_available(c, *g))
            g++;
        c->u.hs.share_group = *g;
        TRY(rng(c, c->random, 32));
        c->u.hs.sid_len = (uint8_t)(seam ? seam->session_id_len : 32);
        if (c->u.hs.sid_len)
            TRY(rng(c, c->u.hs.sid, c->u.hs.sid_len));
    }
    TRY(make_share(c, c->u.hs.share_group, pub, &pub_len));

    /* Middlebox compatibility (D.4): a dummy change_cipher_spec before our second flight,
       here the second ClientHello. */
    if (second && c->u.hs.sid_len && !(c->flags & F_CCS_SENT)) {
        if (dtls_rec_out_space(c, &pt) < 1)
            return dtls_tls_fail(c, DTLS_E_BUFFER);
        pt[0] = 1;
        dtls_rec_seal(c, CT_CCS, 1);
        c->flags |= F_CCS_SENT;
    }

    psk = load_psk(c, &s) == 0;
    for (;;) {
        size_t at, l;
        cap = dtls_rec_out_space(c, &pt);
        wr_init(&w, pt, cap > TLS_MAX_PLAINTEXT ? TLS_MAX_PLAINTEXT : cap);
        c->sent_ext = 0;
        c->rsl_sent = 0;
        c->mfl_sent = 0;
        wr_u8(&w, HT_CLIENT_HELLO);
        at = wr_open(&w, 3);
        wr_u16(&w, 0x0303);
        wr_bytes(&w, c->random, 32);
        wr_u8(&w, c->u.hs.sid_len);
        wr_bytes(&w, c->u.hs.sid, c->u.hs.sid_len);
        l = wr_open(&w, 2);
        for (const uint16_t *p = dtls_ch_suites(c); *p; p++)
            if (suite_available(c, *p))
                wr_u16(&w, *p);
        wr_close(&w, l, 2);
        wr_u8(&w, 1);
        wr_u8(&w, 0);
        l = wr_open(&w, 2);
        if (seam) {
            binder = write_seam_extensions(c, &w, seam->ext[second], seam->ext_len[second], &hl);
            if (binder && (!psk || hl != s.psk_len))
                return dtls_tls_fail(c, DTLS_E_CONFIG);
            psk = binder != 0;
        } else {
            write_extensions(c, &w, pub, pub_len, cookie, cookie_len);
#ifndef DTLS_CONFIG_NO_RESUMPTION
            if (psk) {
                hl = s.psk_len;
                binder = write_psk(c, &w, &s, hl);
            }
#endif
        }
        wr_close(&w, l, 2);
        wr_close(&w, at, 3);
        if (!w.err)
            break;
        if (!psk || seam)
            return dtls_tls_fail(c, DTLS_E_BUFFER);
        psk = 0; /* the ticket does not fit: do a full handshake */
        dtls_wipe(&s, sizeof s);
    }

    c->u.hs.psk_suite = 0;
#ifndef DTLS_CONFIG_NO_RESUMPTION
    if (psk) {
        const struct dtls_hash *h = dtls_ks_suite_hash(c, s.suite);
        uint8_t eh[DTLS_HASH_MAX_DIGEST], bk[DTLS_HASH_MAX_DIGEST], th[DTLS_HASH_MAX_DIGEST];
        dtls_hash_ctx t;
        size_t trunc = binder - 3;  /* up to the binders list length */
        dtls_ks_early(h, c->u.hs.secret, s.psk, hl);
        h->init(&t);
        h->final(&t, eh);
        dtls_derive_secret(h, c->u.hs.secret, "res binder", eh, bk);
        if (second)
            t = c->u.hs.th;
        else
            h->init(&t);
        h->update(&t, w.p, trunc);
        h->final(&t, th);
        dtls_ks_finished(h, bk, th, w.p + binder);
        dtls_wipe(bk, sizeof bk);
        c->u.hs.psk_suite = s.suite;
    }
#endif
    dtls_wipe(&s, sizeof s);

    rec = c->out_end;
    dtls_rec_seal(c, CT_HANDSHAKE, w.len);
    if (second) {
        dtls_ks_th_update(c, c->tx + rec + 5, w.len);
        c->u.hs.ch_len = 0;
    } else {
        if (c->flags & F_MONO) {
            /* keep it out of the way of the incoming records */
            size_t to = c->tx_cap - (5 + w.len);
            memmove(c->tx + to, c->tx + rec, 5 + w.len);
            c->out_off = to;
            c->out_end = c->tx_cap;
            rec = to;
        }
        c->u.hs.ch_off = rec + 5;
        c->u.hs.ch_len = w.len;
    }
    return DTLS_OK;
}
