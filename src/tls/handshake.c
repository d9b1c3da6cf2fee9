/*
 * The client handshake state machine (RFC 8446 2, 4).
 *
 * The order of the server's messages is data, in one table: for each state,
 * the message types it accepts and their handler. Anything else is an
 * unexpected_message, checked in one place (dtls_hs_on_record), as soon as the
 * 4-byte message header has arrived.
 *
 *   state            accepts                   next
 *   WAIT_SH          ServerHello               WAIT_EE (or WAIT_SH again after a HelloRetryRequest)
 *   WAIT_EE          EncryptedExtensions       WAIT_CERT_CR, or WAIT_FIN when the PSK was accepted
 *   WAIT_CERT_CR     CertificateRequest        WAIT_CERT
 *                    Certificate (streamed)    WAIT_CV
 *   WAIT_CERT        Certificate (streamed)    WAIT_CV
 *   WAIT_CV          CertificateVerify         WAIT_FIN
 *   WAIT_FIN         Finished                  FLIGHT (we send [CCS] [Certificate [CertificateVerify]] Finished)
 *   CONNECTED        NewSessionTicket, KeyUpdate
 *
 * Handlers get the whole message (header included, so they can hash it) and
 * parse it only through struct tls_rd. They return < 0 on failure (already
 * recorded with its alert), 0, or 1 when the message changes keys (ServerHello,
 * HelloRetryRequest, Finished, KeyUpdate): such a message must end its record
 * (5.1), checked by the loop.
 *
 * Handshake bytes are assembled in rx (a message may span records; a record
 * may hold several messages, and a record larger than the room left in rx is
 * taken in pieces, see dtls_hs_on_record). The Certificate message is the
 * exception: it is hashed and consumed entry by entry as entries complete, and
 * each certificate goes to the X.509 validator, which copies what it needs
 * (for the leaf: its public key, used for CertificateVerify). So only one
 * certificate has to fit in the buffer, never the chain.
 */
#include <string.h>

#include <dtls/x509.h>

#include "crypto/ec.h"
#include "tls/tls.h"
#include "tls/tls_test.h"

static const uint8_t hrr_random[32] = {
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c
};
static const uint8_t downgrade_tag[7] = { 0x44, 0x4f, 0x57, 0x4e, 0x47, 0x52, 0x44 };

static const struct dtls_hash *hash_of(const struct dtls_client *c)
{
    return dtls_ks_suite_hash(c, c->suite);
}

/* ---- ServerHello / HelloRetryRequest ------------------------------------------ */

/* A ServerHello without a TLS 1.3 supported_versions: an older server, or a downgrade. */
static int older_server(struct dtls_client *c, const uint8_t *random)
{
    /* 4.1.3: the last 8 bytes of the random say "DOWNGRD" + 01 (TLS 1.2) or 00 (older)
       when a TLS 1.3 server was made to negotiate less: that is an attack. */
    if (memcmp(random + 24, downgrade_tag, 7) == 0 && (random[31] == 0 || random[31] == 1))
        return dtls_tls_fail(c, DTLS_E_ILLEGAL_PARAMETER);
    return dtls_tls_fail(c, DTLS_E_PROTOCOL_VERSION);
}

static int on_hello_retry(struct dtls_client *c, const uint8_t *m, size_t len, uint16_t suite,
                          const struct tls_rd *ext)
{
    const struct dtls_hash *h;
    struct tls_rd body, cookie = { NULL, 0, 0 };
    uint16_t group = 0;
    int has_ks, has_cookie;
    uint8_t d[DTLS_HASH_MAX_DIGEST], hdr[4];
    dtls_hash_ctx t;

    REQUIRE(!(c->flags & F_HRR), DTLS_E_UNEXPECTED_MESSAGE);   /* 4.1.4: at most one */
    has_ks = dtls_ext_find(ext->p, ext->len, EXT_KEY_SHARE, &body) == 0;
    if (has_ks) {
        DECODE(rd_u16(&body, &group));
        DECODE(rd_done(&body));
        /* a group we offered, and not the one whose share we already sent */
        REQUIRE(dtls_ch_offers_group(c, group) && group != c->u.hs.share_group,
                DTLS_E_ILLEGAL_PARAMETER);
    }
    has_cookie = dtls_ext_find(ext->p, ext->len, EXT_COOKIE, &body) == 0;
    if (has_cookie) {
        DECODE(rd_vec(&body, 2, 1, 0xffff, &cookie));
        DECODE(rd_done(&body));
    }
    /* 4.1.4: an HRR that would not change the ClientHello is illegal_parameter */
    REQUIRE(has_ks || has_cookie, DTLS_E_ILLEGAL_PARAMETER);

    c->suite = suite;
    c->u.hs.hrr_suite = suite;
    c->flags |= F_HRR;
    if (has_ks)
        c->u.hs.share_group = group;

    /* 4.4.1: the transcript restarts with message_hash = Hash(ClientHello1). */
    h = hash_of(c);
    h->init(&t);
    h->update(&t, c->tx + c->u.hs.ch_off, c->u.hs.ch_len);
    h->final(&t, d);
    c->u.hs.ch_len = 0;
    hdr[0] = HT_MESSAGE_HASH;
    hdr[1] = 0;
    hdr[2] = 0;
    hdr[3] = (uint8_t)h->digest_len;
    h->init(&c->u.hs.th);
    dtls_ks_th_update(c, hdr, 4);
    dtls_ks_th_update(c, d, h->digest_len);
    dtls_ks_th_update(c, m, len);

    TRY(dtls_ch_send(c, has_cookie ? cookie.p : NULL, cookie.len));
    return 1;
}

static int on_server_hello(struct dtls_client *c, const uint8_t *m, size_t len)
{
    struct tls_rd r, sid, ext, body, ke;
    const uint8_t *random;
    const struct dtls_hash *h;
    uint16_t version, suite, sv, group;
    uint8_t comp, z[32], th[DTLS_HASH_MAX_DIGEST];
    int hrr, rc;

    rd_init(&r, m + 4, len - 4);
    DECODE(rd_u16(&r, &version));
    DECODE(rd_bytes(&r, 32, &random));
    DECODE(rd_vec(&r, 1, 0, 32, &sid));
    DECODE(rd_u16(&r, &suite));
    DECODE(rd_u8(&r, &comp));
    if (rd_left(&r) == 0)
        return older_server(c, random);
    DECODE(rd_vec(&r, 2, 0, 0xffff, &ext));
    DECODE(rd_done(&r));

    /* The version comes from supported_versions only (4.2.1). */
    if (dtls_ext_find(ext.p, ext.len, EXT_SUPPORTED_VERSIONS, &body) != 0)
        return older_server(c, random);
    hrr = memcmp(random, hrr_random, 32) == 0;
    TRY(dtls_ext_check_block(c, ext.p, ext.len, hrr ? IN_HRR : IN_SH));
    DECODE(rd_u16(&body, &sv));
    DECODE(rd_done(&body));
    REQUIRE(sv == DTLS_TLS13 && version == 0x0303, DTLS_E_ILLEGAL_PARAMETER);
    REQUIRE(sid.len == c->u.hs.sid_len && memcmp(sid.p, c->u.hs.sid, sid.len) == 0,
            DTLS_E_ILLEGAL_PARAMETER);
    REQUIRE(dtls_ch_offers_suite(c, suite), DTLS_E_ILLEGAL_PARAMETER);
    REQUIRE(comp == 0, DTLS_E_ILLEGAL_PARAMETER);
    if (hrr)
        return on_hello_retry(c, m, len, suite, &ext);
    /* 4.1.4: the ServerHello keeps the suite of the HelloRetryRequest */
    REQUIRE(!c->u.hs.hrr_suite || suite == c->u.hs.hrr_suite, DTLS_E_ILLEGAL_PARAMETER);

    /* We offer psk_dhe_ke only, so key_share is always required (9.2). */
    REQUIRE(dtls_ext_find(ext.p, ext.len, EXT_KEY_SHARE, &body) == 0, DTLS_E_MISSING_EXTENSION);
    DECODE(rd_u16(&body, &group));
    DECODE(rd_vec(&body, 2, 1, 0xffff, &ke));
    DECODE(rd_done(&body));
    REQUIRE(group == c->u.hs.share_group, DTLS_E_ILLEGAL_PARAMETER);

#ifndef DTLS_CONFIG_NO_RESUMPTION /* (never offered: dtls_ext_check_block refuses it) */
    if (dtls_ext_find(ext.p, ext.len, EXT_PRE_SHARED_KEY, &body) == 0) {
        uint16_t ident;
        DECODE(rd_u16(&body, &ident));
        DECODE(rd_done(&body));
        /* we sent one identity; its hash must be the suite's */
        REQUIRE(c->u.hs.psk_suite && ident == 0 &&
                    dtls_ks_suite_hash(c, c->u.hs.psk_suite) == dtls_ks_suite_hash(c, suite),
                DTLS_E_ILLEGAL_PARAMETER);
        c->flags |= F_PSK;
    }
#endif
    c->suite = suite;
    c->group = group;
    h = hash_of(c);

    if (!(c->flags & F_HRR)) {
        h->init(&c->u.hs.th);
        dtls_ks_th_update(c, c->tx + c->u.hs.ch_off, c->u.hs.ch_len);
    }
    c->u.hs.ch_len = 0;
    dtls_ks_th_update(c, m, len);

    if (group == DTLS_GROUP_X25519)
        rc = ke.len == 32 ? c->cr->x25519(z, c->u.hs.priv, ke.p) : -1;
    else
        rc = c->cr->p256_ecdh(z, c->u.hs.priv, ke.p, ke.len);
    dtls_wipe(c->u.hs.priv, sizeof c->u.hs.priv);
    if (rc != 0) {
        dtls_wipe(z, sizeof z);
        return dtls_tls_fail(c, DTLS_E_ILLEGAL_PARAMETER); /* bad point or all-zero secret */
    }

    if (!(c->flags & F_PSK))
        dtls_ks_early(h, c->u.hs.secret, NULL, 0);
    dtls_ks_advance(c, c->u.hs.secret, z, 32);   /* handshake secret */
    dtls_wipe(z, sizeof z);
    dtls_ks_th_snapshot(c, th);
    dtls_derive_secret(h, c->u.hs.secret, "c hs traffic", th, c->u.hs.c_hs);
    dtls_derive_secret(h, c->u.hs.secret, "s hs traffic", th, c->u.hs.s_hs);
    dtls_ks_keylog(c, "CLIENT_HANDSHAKE_TRAFFIC_SECRET", c->u.hs.c_hs);
    dtls_ks_keylog(c, "SERVER_HANDSHAKE_TRAFFIC_SECRET", c->u.hs.s_hs);
    dtls_rec_set_keys(c, &c->rd, c->u.hs.s_hs);
    dtls_rec_set_keys(c, &c->wr, c->u.hs.c_hs);
    c->state = ST_WAIT_EE;
    return 1;
}

/* ---- EncryptedExtensions ---------------------------------------------------------- */

static int on_encrypted_extensions(struct dtls_client *c, const uint8_t *m, size_t len)
{
    struct tls_rd r, ext, body, list, name;
    const struct dtls_test_seam *seam = dtls_test_seam_of(c);

    rd_init(&r, m + 4, len - 4);
    DECODE(rd_vec(&r, 2, 0, 0xffff, &ext));
    DECODE(rd_done(&r));
    TRY(dtls_ext_check_block(c, ext.p, ext.len, IN_EE));

    if (dtls_ext_find(ext.p, ext.len, EXT_ALPN, &body) == 0) {
        unsigned i = 0;
        DECODE(rd_vec(&body, 2, 2, 0xffff, &list));
        DECODE(rd_done(&body));
        DECODE(rd_vec(&list, 1, 1, 255, &name));
        DECODE(rd_done(&list)); /* exactly one name (RFC 7301 3.1) */
        for (; c->cfg->alpn && c->cfg->alpn[i]; i++)
            if (strlen(c->cfg->alpn[i]) == name.len && memcmp(c->cfg->alpn[i], name.p, name.len) == 0)
                break;
        REQUIRE(c->cfg->alpn && c->cfg->alpn[i], DTLS_E_ILLEGAL_PARAMETER);
        c->alpn_index = (uint8_t)(i + 1);
    }
    if (dtls_ext_find(ext.p, ext.len, EXT_MAX_FRAGMENT_LENGTH, &body) == 0) {
        uint8_t code;
        DECODE(rd_u8(&body, &code));
        DECODE(rd_done(&body));
        REQUIRE(code == c->mfl_sent, DTLS_E_ILLEGAL_PARAMETER); /* RFC 6066 4 */
        c->flags |= F_MFL;
        c->mfl_code = code;
        if (c->send_limit > (256u << code))
            c->send_limit = (uint16_t)(256u << code);
    }
    if (dtls_ext_find(ext.p, ext.len, EXT_RECORD_SIZE_LIMIT, &body) == 0) {
        uint16_t v;
        DECODE(rd_u16(&body, &v));
        DECODE(rd_done(&body));
        REQUIRE(v >= 64, DTLS_E_ILLEGAL_PARAMETER); /* RFC 8449 4 */
        if (v > TLS_MAX_PLAINTEXT + 1)
            v = TLS_MAX_PLAINTEXT + 1;
        c->flags |= F_RSL;
        if (c->send_limit > v - 1)
            c->send_limit = (uint16_t)(v - 1);
    }
    if (dtls_ext_find(ext.p, ext.len, EXT_SERVER_NAME, &body) == 0)
        DECODE(rd_done(&body)); /* an empty acknowledgement */
    if (dtls_ext_find(ext.p, ext.len, EXT_EARLY_DATA, &body) == 0) {
        DECODE(rd_done(&body));
        /* only the test seam ever offers early data */
        REQUIRE(seam && seam->early_data && (c->flags & F_PSK), DTLS_E_ILLEGAL_PARAMETER);
        c->flags |= F_EARLY;
    }
    dtls_ks_th_update(c, m, len);
    c->state = (c->flags & F_PSK) ? ST_WAIT_FIN : ST_WAIT_CERT_CR;
    return 0;
}

/* ---- CertificateRequest -------------------------------------------------------------- */

static const struct dtls_hash *scheme_hash(const struct dtls_client *c, uint16_t scheme)
{
    switch (scheme) {
    case DTLS_SIG_ECDSA_SECP256R1_SHA256:
    case DTLS_SIG_RSA_PSS_RSAE_SHA256:
    case DTLS_SIG_RSA_PSS_PSS_SHA256:
    case DTLS_SIG_RSA_PKCS1_SHA256: return c->cr->sha256;
    case DTLS_SIG_ECDSA_SECP384R1_SHA384:
    case DTLS_SIG_RSA_PSS_RSAE_SHA384:
    case DTLS_SIG_RSA_PSS_PSS_SHA384:
    case DTLS_SIG_RSA_PKCS1_SHA384: return c->cr->sha384;
    default: return NULL;
    }
}

static int on_certificate_request(struct dtls_client *c, const uint8_t *m, size_t len)
{
    struct tls_rd r, ctx, ext, body, list;

    rd_init(&r, m + 4, len - 4);
    DECODE(rd_vec(&r, 1, 0, 255, &ctx));
    DECODE(rd_vec(&r, 2, 2, 0xffff, &ext));
    DECODE(rd_done(&r));
    /* 4.3.2: empty during the handshake (we do not offer post-handshake auth) */
    REQUIRE(ctx.len == 0, DTLS_E_ILLEGAL_PARAMETER);
    TRY(dtls_ext_check_block(c, ext.p, ext.len, IN_CR));
    REQUIRE(dtls_ext_find(ext.p, ext.len, EXT_SIGNATURE_ALGORITHMS, &body) == 0,
            DTLS_E_MISSING_EXTENSION);
    DECODE(rd_vec(&body, 2, 2, 0xfffe, &list));
    DECODE(rd_done(&body));
    DECODE((int)(list.len & 1));

    c->client_scheme = 0;
#ifndef DTLS_CONFIG_NO_CLIENT_AUTH /* (without it: always an empty Certificate) */
    const struct dtls_config *cfg = c->cfg;
    if (cfg->client_chain_len && cfg->sign && cfg->client_schemes) {
        for (const uint16_t *s = cfg->client_schemes; *s && !c->client_scheme; s++) {
            if (*s != DTLS_SIG_ED25519 && !scheme_hash(c, *s))
                continue;
            for (size_t i = 0; i + 1 < list.len; i += 2)
                if (ld16(list.p + i) == *s)
                    c->client_scheme = *s;
        }
    }
#endif
    dtls_ks_th_update(c, m, len);
    c->flags |= F_CR;
    c->state = ST_WAIT_CERT;
    return 0;
}

/* ---- Certificate (streamed) --------------------------------------------------------------- */

/*
 * One certificate of the server's chain, in the order sent (index 0 = leaf). The
 * single place where chain validation plugs in: hand each DER to the validator
 * (it copies what it needs, the leaf's key included; der is not valid after the
 * call). Without validation only the leaf's key is kept, for CertificateVerify.
 */
static int tls_on_certificate(struct dtls_client *c, unsigned index, const uint8_t *der, size_t len)
{
    const struct dtls_config *cfg = c->cfg;
    if (cfg->peer_cert)
        cfg->peer_cert(cfg->ctx, index, der, len);
    if (cfg->verify == DTLS_VERIFY_NONE) {
        int rc = index == 0 ? dtls_x509_cert_key(der, len, &c->u.hs.x509.leaf_key) : 0;
        if (rc == DTLS_X509_E_BAD_CERTIFICATE)
            return dtls_tls_fail(c, DTLS_E_BAD_CERTIFICATE);
        return rc < 0 ? dtls_tls_fail(c, DTLS_E_UNSUPPORTED_CERTIFICATE) : DTLS_OK;
    }
    if (index == 0) {
        dtls_x509_validator_init(&c->u.hs.x509, cfg->trust, cfg->now(cfg->ctx), cfg->server_name,
                                 DTLS_X509_PURPOSE_SERVER);
        dtls_x509_validator_set_crypto(&c->u.hs.x509, c->cr);
    }
    int rc = dtls_x509_validator_add(&c->u.hs.x509, der, len);
    return rc < 0 ? dtls_tls_fail(c, rc) : DTLS_OK;
}

/* After the last certificate: the chain verdict. */
static int tls_on_certificate_end(struct dtls_client *c)
{
    if (c->cfg->verify == DTLS_VERIFY_NONE)
        return DTLS_OK;
    int rc = dtls_x509_validator_finish(&c->u.hs.x509);
    return rc < 0 ? dtls_tls_fail(c, rc) : DTLS_OK;
}

/* Consume the next complete piece of a Certificate message: 1 if progress was
 * made, 0 when more bytes are needed, < 0 on failure. */
static int cert_step(struct dtls_client *c)
{
    const uint8_t *b = c->rx + c->hs_off;
    size_t avail = c->hs_end - c->hs_off;

    if (c->cert_phase == CP_SKIP) {
        size_t n = avail < c->cert_left ? avail : c->cert_left;
        c->hs_off += n;
        c->cert_left -= (uint32_t)n;
        if (c->cert_left == 0)
            c->cert_phase = CP_NONE;
        return n ? 1 : 0;
    }
    if (c->cert_phase == CP_HEADER) {
        uint32_t mlen, list;
        if (avail < 5 || avail < 5u + b[4] + 3u)
            return 0;
        mlen = ld24(b + 1);
        /* 4.4.2: certificate_request_context is empty for server authentication */
        REQUIRE(b[4] == 0, DTLS_E_ILLEGAL_PARAMETER);
        list = ld24(b + 5);
        REQUIRE(mlen == 4 + list, DTLS_E_DECODE_ERROR);
        REQUIRE(list > 0, DTLS_E_DECODE_ERROR); /* 4.4.2.4: an empty chain is decode_error */
        dtls_ks_th_update(c, b, 8);
        c->hs_off += 8;
        c->cert_left = list;
        c->chain_len = 0;
        c->cert_phase = CP_ENTRIES;
        return 1;
    }
    /* CP_ENTRIES: opaque cert_data<1..2^24-1>; Extension extensions<0..2^16-1> */
    {
        uint32_t dlen;
        size_t entry;
        if (avail < 3)
            return 0;
        dlen = ld24(b);
        REQUIRE(dlen >= 1 && (size_t)dlen + 5 <= c->cert_left, DTLS_E_DECODE_ERROR);
        /* the entry must fit in rx whole (the certificate is handed on in one piece) */
        if ((size_t)dlen + 5 > dtls_rec_hs_room(c))
            return dtls_tls_fail(c, DTLS_E_BUFFER);
        if (avail < (size_t)dlen + 5)
            return 0;
        entry = (size_t)dlen + 5 + ld16(b + 3 + dlen);
        REQUIRE(entry <= c->cert_left, DTLS_E_DECODE_ERROR);
        if (entry > dtls_rec_hs_room(c))
            return dtls_tls_fail(c, DTLS_E_BUFFER);
        if (avail < entry)
            return 0;
        TRY(dtls_ext_check_block(c, b + 5 + dlen, entry - 5 - dlen, IN_CT));
        REQUIRE(c->chain_len < 255, DTLS_E_BAD_CERTIFICATE);
        dtls_ks_th_update(c, b, entry);
        TRY(tls_on_certificate(c, c->chain_len, b + 3, dlen));
        c->chain_len++;
        c->hs_off += entry;
        c->cert_left -= (uint32_t)entry;
        if (c->cert_left == 0) {
            c->cert_phase = CP_NONE;
            TRY(tls_on_certificate_end(c));
            c->state = ST_WAIT_CV;
        }
        return 1;
    }
}

/* ---- CertificateVerify ----------------------------------------------------------------- */

static const char cv_server[] = "TLS 1.3, server CertificateVerify";
#ifndef DTLS_CONFIG_NO_CLIENT_AUTH
static const char cv_client[] = "TLS 1.3, client CertificateVerify";
#endif

/* 4.4.3: 64 spaces, the context string, a zero byte, the transcript hash. */
static size_t cv_content(const struct dtls_client *c, const char *label, uint8_t out[146])
{
    size_t hl = hash_of(c)->digest_len;
    memset(out, 0x20, 64);
    memcpy(out + 64, label, 33);
    out[97] = 0;
    dtls_ks_th_snapshot(c, out + 98);
    return 98 + hl;
}

/*
 * The server's CertificateVerify is checked below three handshake frames, and
 * ECDSA verification is the deepest point of the handshake's stack. So what
 * is only needed before the check (the 146-byte content, a hash context sized
 * for SHA-512, the list of schemes we offered) lives in these out-of-line
 * helpers, whose frames are gone by the time the verify function runs.
 */
#if defined(__GNUC__)
#define NOINLINE __attribute__((noinline))
#else
#define NOINLINE
#endif

static NOINLINE void cv_digest(const struct dtls_client *c, const struct dtls_hash *h, uint8_t *out)
{
    uint8_t content[146];
    dtls_hash_ctx t;
    size_t clen = cv_content(c, cv_server, content);
    h->init(&t);
    h->update(&t, content, clen);
    h->final(&t, out);
}

static NOINLINE int cv_ed25519(const struct dtls_client *c, const uint8_t pub[32], const uint8_t sig[64])
{
    uint8_t content[146];
    size_t clen = cv_content(c, cv_server, content);
    return c->cr->ed25519_verify(pub, content, clen, sig);
}

static NOINLINE int scheme_offered(const struct dtls_client *c, uint16_t scheme)
{
    uint16_t offered[16];
    int found = 0;
    size_t n = dtls_ch_sig_schemes(c, offered, 0);
    for (size_t i = 0; i < n; i++)
        found |= offered[i] == scheme;
    return found;
}

static int verify_signature(struct dtls_client *c, uint16_t scheme, const struct dtls_pubkey_ref *k,
                            const uint8_t *sig, size_t slen)
{
    const struct dtls_crypto *cr = c->cr;
    const struct dtls_hash *h = scheme_hash(c, scheme);
    uint8_t d[DTLS_HASH_MAX_DIGEST], rs[96];
    int ok = -1;

    if (h)
        cv_digest(c, h, d);
    switch (scheme) {
    case DTLS_SIG_ECDSA_SECP256R1_SHA256:
        REQUIRE(k->type == DTLS_KEY_P256, DTLS_E_ILLEGAL_PARAMETER);
        if (dtls_ecdsa_der_to_rs(rs, 32, sig, slen) == 0)
            ok = cr->p256_verify(k->a, k->a_len, d, 32, rs);
        break;
    case DTLS_SIG_ECDSA_SECP384R1_SHA384:
        REQUIRE(k->type == DTLS_KEY_P384, DTLS_E_ILLEGAL_PARAMETER);
        if (dtls_ecdsa_der_to_rs(rs, 48, sig, slen) == 0)
            ok = cr->p384_verify(k->a, k->a_len, d, 48, rs);
        break;
    case DTLS_SIG_ED25519:
        REQUIRE(k->type == DTLS_KEY_ED25519 && k->a_len == 32, DTLS_E_ILLEGAL_PARAMETER);
        if (slen == 64)
            ok = cv_ed25519(c, k->a, sig);
        break;
#ifndef DTLS_CONFIG_NO_RSA /* (never offered without an RSA key type) */
    case DTLS_SIG_RSA_PSS_RSAE_SHA256:
    case DTLS_SIG_RSA_PSS_RSAE_SHA384:
        REQUIRE(k->type == DTLS_KEY_RSA, DTLS_E_ILLEGAL_PARAMETER);
        ok = cr->rsa_pss_verify(k->a, k->a_len, k->b, k->b_len, h, d, h->digest_len, sig, slen);
        break;
    case DTLS_SIG_RSA_PSS_PSS_SHA256:
    case DTLS_SIG_RSA_PSS_PSS_SHA384:
        REQUIRE(k->type == DTLS_KEY_RSA_PSS, DTLS_E_ILLEGAL_PARAMETER);
        ok = cr->rsa_pss_verify(k->a, k->a_len, k->b, k->b_len, h, d, h->digest_len, sig, slen);
        break;
#endif
    default:
        break;
    }
    REQUIRE(ok == 0, DTLS_E_DECRYPT_ERROR);
    return DTLS_OK;
}

static int on_certificate_verify(struct dtls_client *c, const uint8_t *m, size_t len)
{
    struct tls_rd r, sig;
    struct dtls_pubkey_ref key;
    uint16_t scheme;

    rd_init(&r, m + 4, len - 4);
    DECODE(rd_u16(&r, &scheme));
    DECODE(rd_vec(&r, 2, 1, 0xffff, &sig));
    DECODE(rd_done(&r));
    REQUIRE(scheme_offered(c, scheme), DTLS_E_ILLEGAL_PARAMETER); /* 4.4.3: a scheme we offered */
    /* the leaf's key, as the validator (or, without validation, tls_on_certificate)
       kept it; a validated chain is the only way past tls_on_certificate_end */
    if (c->cfg->verify == DTLS_VERIFY_NONE)
        dtls_x509_key_ref(&c->u.hs.x509.leaf_key, &key);
    else
        REQUIRE(dtls_x509_validator_leaf_key(&c->u.hs.x509, &key) == 0, DTLS_E_INTERNAL);
    REQUIRE(key.type != DTLS_KEY_NONE, DTLS_E_INTERNAL);
    TRY(verify_signature(c, scheme, &key, sig.p, sig.len));
    dtls_ks_th_update(c, m, len);
    c->sig_scheme = scheme;
    c->state = ST_WAIT_FIN;
    return 0;
}

/* ---- Finished ------------------------------------------------------------------------- */

static int on_finished(struct dtls_client *c, const uint8_t *m, size_t len)
{
    const struct dtls_hash *h = hash_of(c);
    size_t hl = h->digest_len;
    uint8_t th[DTLS_HASH_MAX_DIGEST], expect[DTLS_HASH_MAX_DIGEST];
    int ok;

    REQUIRE(len == 4 + hl, DTLS_E_DECODE_ERROR);
    dtls_ks_th_snapshot(c, th);
    dtls_ks_finished(h, c->u.hs.s_hs, th, expect);
    ok = dtls_ct_memeq(expect, m + 4, hl);
    dtls_wipe(expect, sizeof expect);
    REQUIRE(ok, DTLS_E_DECRYPT_ERROR);
    dtls_ks_th_update(c, m, len);
    dtls_wipe(c->u.hs.s_hs, sizeof c->u.hs.s_hs);

    dtls_ks_advance(c, c->u.hs.secret, NULL, 0); /* master secret */
    dtls_ks_th_snapshot(c, th);
    dtls_derive_secret(h, c->u.hs.secret, "c ap traffic", th, c->c_ap);
    dtls_derive_secret(h, c->u.hs.secret, "s ap traffic", th, c->s_ap);
    dtls_ks_keylog(c, "CLIENT_TRAFFIC_SECRET_", c->c_ap);
    dtls_ks_keylog(c, "SERVER_TRAFFIC_SECRET_", c->s_ap);
    dtls_rec_set_keys(c, &c->rd, c->s_ap);
    c->state = ST_FLIGHT;
    c->flight = FL_STEP_CCS;
    return 1;
}

/* ---- after the handshake --------------------------------------------------------------- */

#ifdef DTLS_CONFIG_NO_RESUMPTION
/* Nothing to store a ticket for (and no psk_key_exchange_modes was sent, so a server
 * should not send any): a ticket that comes anyway is dropped unread. */
static int on_new_session_ticket(struct dtls_client *c, const uint8_t *m, size_t len)
{
    (void)c;
    (void)m;
    (void)len;
    return 0;
}
#else
static int on_new_session_ticket(struct dtls_client *c, const uint8_t *m, size_t len)
{
    const struct dtls_config *cfg = c->cfg;
    const struct dtls_hash *h = hash_of(c);
    struct tls_rd r, nonce, ticket, ext, body;
    struct dtls_session s;
    uint32_t lifetime, age_add, max_early = 0;

    rd_init(&r, m + 4, len - 4);
    DECODE(rd_u32(&r, &lifetime));
    DECODE(rd_u32(&r, &age_add));
    DECODE(rd_vec(&r, 1, 0, 255, &nonce));
    DECODE(rd_vec(&r, 2, 1, 0xffff, &ticket));
    DECODE(rd_vec(&r, 2, 0, 0xfffe, &ext));
    DECODE(rd_done(&r));
    TRY(dtls_ext_check_block(c, ext.p, ext.len, IN_NST));
    if (dtls_ext_find(ext.p, ext.len, EXT_EARLY_DATA, &body) == 0) {
        DECODE(rd_u32(&body, &max_early));
        DECODE(rd_done(&body));
    }
    /* 4.6.1: at most 7 days; 0 means "do not use" */
    if (!cfg->session_store || lifetime == 0 || lifetime > 604800)
        return 0;
    memset(&s, 0, sizeof s);
    s.suite = c->suite;
    s.psk_len = (uint8_t)h->digest_len;
    (void)dtls_hkdf_expand_label(h, c->res, "resumption", nonce.p, nonce.len, s.psk, h->digest_len);
    s.lifetime = lifetime;
    s.age_add = age_add;
    s.received = cfg->now ? cfg->now(cfg->ctx) : 0;
    s.max_early_data = max_early;
    s.ticket = ticket.p;
    s.ticket_len = ticket.len;
    cfg->session_store(cfg->ctx, &s);
    dtls_wipe(&s, sizeof s);
    return 0;
}
#endif

static int on_key_update(struct dtls_client *c, const uint8_t *m, size_t len)
{
    REQUIRE(len == 5, DTLS_E_DECODE_ERROR);
    REQUIRE(m[4] <= 1, DTLS_E_ILLEGAL_PARAMETER);
    dtls_ks_next_secret(c, c->s_ap);
    c->ku_s++;
    dtls_ks_keylog(c, "SERVER_TRAFFIC_SECRET_", c->s_ap);
    dtls_rec_set_keys(c, &c->rd, c->s_ap);
    c->flags &= ~(uint32_t)F_KU_ASKED;
    if (m[4] == 1)
        c->flags |= F_KU_PENDING;  /* answer before our next record (4.6.3) */
    return 1;
}

/* ---- the table --------------------------------------------------------------------------- */

typedef int (*hs_handler)(struct dtls_client *c, const uint8_t *m, size_t len);

static const struct {
    uint8_t state;
    uint8_t type;
    hs_handler fn; /* NULL: streamed (Certificate) */
} hs_table[] = {
    { ST_WAIT_SH, HT_SERVER_HELLO, on_server_hello },
    { ST_WAIT_EE, HT_ENCRYPTED_EXTENSIONS, on_encrypted_extensions },
    { ST_WAIT_CERT_CR, HT_CERTIFICATE_REQUEST, on_certificate_request },
    { ST_WAIT_CERT_CR, HT_CERTIFICATE, NULL },
    { ST_WAIT_CERT, HT_CERTIFICATE, NULL },
    { ST_WAIT_CV, HT_CERTIFICATE_VERIFY, on_certificate_verify },
    { ST_WAIT_FIN, HT_FINISHED, on_finished },
    { ST_CONNECTED, HT_NEW_SESSION_TICKET, on_new_session_ticket },
    { ST_CONNECTED, HT_KEY_UPDATE, on_key_update },
};

/*
 * The handshake bytes of one record. They are appended to rx[hs_off, hs_end) as far
 * as rx has room; every complete message (and every complete Certificate entry) is
 * run through the table and dropped, the rest moved down to rx[0]; then more of the
 * record is taken. A record that came into rx sits right after hs_end, so it always
 * goes in whole; one that came into tx (the server's flight, separate buffers) may
 * go in pieces, which is what lets rx be smaller than a record plus a certificate.
 * A message too big for rx fails with DTLS_E_BUFFER.
 */
int dtls_hs_on_record(struct dtls_client *c, const uint8_t *p, size_t len)
{
    int must_end = 0;

    for (;;) {
        size_t room = dtls_rec_rx_limit(c) - c->hs_end;
        size_t take = len < room ? len : room;

        memmove(c->rx + c->hs_end, p, take);
        c->hs_end += take;
        p += take;
        len -= take;
        for (;;) {
            size_t avail = c->hs_end - c->hs_off, mlen, i;
            const uint8_t *m = c->rx + c->hs_off;
            int rc;

            if (must_end) {
                /* 5.1: handshake messages must not span a key change */
                REQUIRE(avail == 0 && len == 0, DTLS_E_UNEXPECTED_MESSAGE);
                break;
            }
            if (c->cert_phase != CP_NONE) {
                rc = cert_step(c);
                if (rc < 0)
                    return rc;
                if (rc == 0)
                    break;
                continue;
            }
            if (avail < 4)
                break;
            for (i = 0; i < sizeof hs_table / sizeof hs_table[0]; i++)
                if (hs_table[i].state == c->state && hs_table[i].type == m[0])
                    break;
            REQUIRE(i < sizeof hs_table / sizeof hs_table[0], DTLS_E_UNEXPECTED_MESSAGE);
            if (!hs_table[i].fn) {
                c->cert_phase = CP_HEADER;
                continue;
            }
            mlen = 4 + (size_t)ld24(m + 1);
            if (mlen > dtls_rec_hs_room(c)) {
                if (m[0] == HT_NEW_SESSION_TICKET) {
                    /* a ticket too big for our buffer: skip it (we just cannot resume) */
                    c->cert_phase = CP_SKIP;
                    c->cert_left = (uint32_t)mlen;
                    continue;
                }
                return dtls_tls_fail(c, DTLS_E_BUFFER);
            }
            if (avail < mlen)
                break;
            rc = hs_table[i].fn(c, m, mlen);
            if (rc < 0)
                return rc;
            c->hs_off += mlen;
            must_end = rc == 1;
        }
        /* keep the unconsumed bytes at the start of rx */
        if (c->hs_off == c->hs_end) {
            c->hs_off = c->hs_end = 0;
        } else if (c->hs_off > 0) {
            memmove(c->rx, c->rx + c->hs_off, c->hs_end - c->hs_off);
            c->hs_end -= c->hs_off;
            c->hs_off = 0;
        }
        if (len == 0)
            return DTLS_OK;
        /* rx is full of one unfinished message: it can never complete */
        REQUIRE(c->hs_end < dtls_rec_rx_limit(c), DTLS_E_BUFFER);
    }
}

/* ---- our second flight ------------------------------------------------------------------ */

static size_t cert_msg_len(const struct dtls_client *c)
{
    size_t n = 8;
#ifndef DTLS_CONFIG_NO_CLIENT_AUTH
    if (c->flags & F_CERT_SENT)
        for (size_t i = 0; i < c->cfg->client_chain_len; i++)
            n += 5 + c->cfg->client_chain[i].len;
#else
    (void)c;
#endif
    return n;
}

/* Copy the part of segment [*pos, *pos + n) that falls in [off, off + len) to out. */
static void seg(const uint8_t *p, size_t n, size_t *pos, size_t off, uint8_t *out, size_t len)
{
    size_t a = *pos > off ? *pos : off;
    size_t b = *pos + n < off + len ? *pos + n : off + len;
    if (a < b)
        memcpy(out + (a - off), p + (a - *pos), b - a);
    *pos += n;
}

/* Bytes [off, off + len) of our Certificate message, generated on the fly so the chain
 * never has to be copied whole into tx. */
static void cert_msg_copy(const struct dtls_client *c, size_t off, uint8_t *out, size_t len)
{
    size_t total = cert_msg_len(c), pos = 0;
    uint8_t hdr[8] = { HT_CERTIFICATE, (uint8_t)((total - 4) >> 16), (uint8_t)((total - 4) >> 8),
                       (uint8_t)(total - 4), 0, (uint8_t)((total - 8) >> 16),
                       (uint8_t)((total - 8) >> 8), (uint8_t)(total - 8) };
    seg(hdr, 8, &pos, off, out, len);
#ifndef DTLS_CONFIG_NO_CLIENT_AUTH
    static const uint8_t no_ext[2] = { 0, 0 };
    if (!(c->flags & F_CERT_SENT))
        return;
    for (size_t i = 0; i < c->cfg->client_chain_len; i++) {
        size_t dl = c->cfg->client_chain[i].len;
        uint8_t l3[3] = { (uint8_t)(dl >> 16), (uint8_t)(dl >> 8), (uint8_t)dl };
        seg(l3, 3, &pos, off, out, len);
        seg(c->cfg->client_chain[i].der, dl, &pos, off, out, len);
        seg(no_ext, 2, &pos, off, out, len);
    }
#endif
}

/* Cut the staged message into records (hashing it into the transcript during the
 * handshake) until it is all sealed; the flushes on the way may stop at any byte. */
static int cut(struct dtls_client *c)
{
    size_t total;
    if (!(c->flags & F_STAGE_CERT) && c->stage_off == c->tx_cap)
        return DTLS_OK;
    total = (c->flags & F_STAGE_CERT) ? cert_msg_len(c) : c->tx_cap - c->stage_off;
    while (c->stage_pos < total) {
        uint8_t *pt;
        size_t left = total - c->stage_pos;
        size_t n = dtls_rec_out_space(c, &pt);
        if (n < left && n < 256 && c->out_off != c->out_end) {
            TRY(dtls_rec_flush(c));
            n = dtls_rec_out_space(c, &pt);
        }
        REQUIRE(n > 0, DTLS_E_BUFFER);
        if (n > left)
            n = left;
        if (c->flags & F_STAGE_CERT)
            cert_msg_copy(c, c->stage_pos, pt, n);
        else
            memcpy(pt, c->tx + c->stage_off + c->stage_pos, n);
        if (c->state < ST_CONNECTED)
            dtls_ks_th_update(c, pt, n);
        dtls_rec_seal(c, CT_HANDSHAKE, n);
        c->stage_pos += n;
    }
    c->stage_off = c->tx_cap;
    c->stage_pos = 0;
    c->flags &= ~(uint32_t)F_STAGE_CERT;
    return DTLS_OK;
}

/* Reserve len bytes at the end of tx for a message, leaving room for a record. */
static int stage_begin(struct dtls_client *c, size_t len)
{
    uint8_t *pt;
    const size_t rec = 5 + 1 + TLS_TAG + 1;
    (void)dtls_rec_out_space(c, &pt); /* an empty output restarts at its base */
    if (c->out_end + rec + len > c->tx_cap) {
        TRY(dtls_rec_flush(c));
        (void)dtls_rec_out_space(c, &pt);
        REQUIRE(c->out_end + rec + len <= c->tx_cap, DTLS_E_BUFFER);
    }
    c->stage_off = c->tx_cap - len;
    c->stage_pos = 0;
    return DTLS_OK;
}

#ifndef DTLS_CONFIG_NO_CLIENT_AUTH
/* The signature is written straight into the reserved end of tx (no 512-byte buffer on
 * the stack), then the message header is put in front of it. */
#define CV_SIG_MAX 512
static int stage_certificate_verify(struct dtls_client *c)
{
    const struct dtls_config *cfg = c->cfg;
    uint16_t scheme = c->client_scheme;
    const struct dtls_hash *h = scheme_hash(c, scheme);
    uint8_t content[146], d[DTLS_HASH_MAX_DIGEST], *sig, *p;
    const uint8_t *msg = content;
    size_t clen, mlen, slen = CV_SIG_MAX, n = 0;
    dtls_hash_ctx t;

    TRY(stage_begin(c, 8 + CV_SIG_MAX)); /* before signing: sign() runs once */
    sig = c->tx + c->tx_cap - CV_SIG_MAX;
    clen = cv_content(c, cv_client, content);
    mlen = clen;
    if (h) {
        h->init(&t);
        h->update(&t, content, clen);
        h->final(&t, d);
        msg = d;
        mlen = h->digest_len;
    }
    if (cfg->sign(cfg->ctx, scheme, msg, mlen, sig, &slen) != 0 || slen == 0 || slen > CV_SIG_MAX)
        return dtls_tls_fail(c, DTLS_E_SIGN);
    if (scheme == DTLS_SIG_ECDSA_SECP256R1_SHA256)
        n = 32;
    else if (scheme == DTLS_SIG_ECDSA_SECP384R1_SHA384)
        n = 48;
    if (n) {
        /* r || s becomes DER (at most 2n + 9 bytes), at the end of tx */
        uint8_t rs[96], der[2 * 48 + 9];
        REQUIRE(slen == 2 * n, DTLS_E_SIGN);
        memcpy(rs, sig, slen);
        slen = dtls_ecdsa_rs_to_der(der, sizeof der, rs, n);
        REQUIRE(slen > 0, DTLS_E_SIGN);
        sig = c->tx + c->tx_cap - slen;
        memcpy(sig, der, slen);
    } else if (slen < CV_SIG_MAX) {
        memmove(c->tx + c->tx_cap - slen, sig, slen);
        sig = c->tx + c->tx_cap - slen;
    }
    c->stage_off = c->tx_cap - (8 + slen);
    p = c->tx + c->stage_off;
    p[0] = HT_CERTIFICATE_VERIFY;
    p[1] = 0;
    p[2] = (uint8_t)((4 + slen) >> 8);
    p[3] = (uint8_t)(4 + slen);
    p[4] = (uint8_t)(scheme >> 8);
    p[5] = (uint8_t)scheme;
    p[6] = (uint8_t)(slen >> 8);
    p[7] = (uint8_t)slen;
    return DTLS_OK;
}
#endif

static int stage_finished(struct dtls_client *c)
{
    const struct dtls_hash *h = hash_of(c);
    size_t hl = h->digest_len;
    uint8_t th[DTLS_HASH_MAX_DIGEST], *p;

    TRY(stage_begin(c, 4 + hl));
    p = c->tx + c->stage_off;
    p[0] = HT_FINISHED;
    p[1] = 0;
    p[2] = 0;
    p[3] = (uint8_t)hl;
    dtls_ks_th_snapshot(c, th);
    dtls_ks_finished(h, c->u.hs.c_hs, th, p + 4);
    return DTLS_OK;
}

int dtls_hs_flight(struct dtls_client *c)
{
    for (;;) {
        TRY(cut(c));
        switch (c->flight) {
        case FL_STEP_CCS:
            /* D.4: the dummy change_cipher_spec before our second flight, unless it
               already went before a second ClientHello */
            if (c->u.hs.sid_len && !(c->flags & F_CCS_SENT)) {
                uint8_t *pt;
                if (dtls_rec_out_space(c, &pt) < 1) {
                    TRY(dtls_rec_flush(c));
                    REQUIRE(dtls_rec_out_space(c, &pt) >= 1, DTLS_E_BUFFER);
                }
                pt[0] = 1;
                dtls_rec_seal(c, CT_CCS, 1);
                c->flags |= F_CCS_SENT;
            }
            c->flight = FL_STEP_EOED;
            break;
        case FL_STEP_EOED:
            if (c->flags & F_EARLY) {
                static const uint8_t eoed[4] = { HT_END_OF_EARLY_DATA, 0, 0, 0 };
                dtls_ks_th_update(c, eoed, 4);
            }
            c->flight = FL_STEP_CERT;
            break;
        case FL_STEP_CERT:
            if (c->flags & F_CR) {
#ifndef DTLS_CONFIG_NO_CLIENT_AUTH
                if (c->client_scheme)
                    c->flags |= F_CERT_SENT;
#endif
                c->flags |= F_STAGE_CERT;
                c->stage_pos = 0;
            }
            c->flight = FL_STEP_CV;
            break;
        case FL_STEP_CV:
#ifndef DTLS_CONFIG_NO_CLIENT_AUTH
            if (c->flags & F_CERT_SENT)
                TRY(stage_certificate_verify(c));
#endif
            c->flight = FL_STEP_FIN;
            break;
        case FL_STEP_FIN:
            TRY(stage_finished(c));
            c->flight = FL_STEP_DONE;
            break;
        default: {
            dtls_rec_set_keys(c, &c->wr, c->c_ap);
#ifndef DTLS_CONFIG_NO_RESUMPTION
            uint8_t th[DTLS_HASH_MAX_DIGEST];
            dtls_ks_th_snapshot(c, th);
            dtls_derive_secret(hash_of(c), c->u.hs.secret, "res master", th, c->res);
#endif
            dtls_wipe(&c->u, sizeof c->u);
            c->state = ST_CONNECTED;
            return DTLS_OK;
        }
        }
    }
}

int dtls_hs_send_key_update(struct dtls_client *c, int request)
{
    uint8_t *pt;
    if (dtls_rec_out_space(c, &pt) < 5) {
        TRY(dtls_rec_flush(c));
        if (dtls_rec_out_space(c, &pt) < 5)
            return (c->flags & F_MONO) ? DTLS_E_BUSY : dtls_tls_fail(c, DTLS_E_BUFFER);
    }
    pt[0] = HT_KEY_UPDATE;
    pt[1] = 0;
    pt[2] = 0;
    pt[3] = 1;
    pt[4] = (uint8_t)(request ? 1 : 0);
    dtls_rec_seal(c, CT_HANDSHAKE, 5);
    dtls_ks_next_secret(c, c->c_ap);
    c->ku_c++;
    dtls_ks_keylog(c, "CLIENT_TRAFFIC_SECRET_", c->c_ap);
    dtls_rec_set_keys(c, &c->wr, c->c_ap);
    c->flags &= ~(uint32_t)(F_KU_PENDING | F_KU_REQUEST);
    return DTLS_OK;
}
