#include "tls_replay.h"

#include <criterion/criterion.h>
#include <openssl/evp.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vectors.h"
#include "tls/tls_test.h"

/* ---- RFC 8448 fields -------------------------------------------------------- */

static cJSON *trace;

int rfc_load(void)
{
    if (!trace)
        trace = vec_json("rfc8448/rfc8448_fields.json");
    return trace ? 0 : -1;
}

const uint8_t *rfc_get(int sec, const char *actor, const char *step, const char *field, int nth,
                       size_t *len)
{
    static uint8_t *cache[1024];
    static size_t cache_len[1024];
    cJSON *fields = cJSON_GetObjectItem(trace, "fields"), *f;
    int idx = -1;
    char prefix[8];
    if (!trace)
        cr_assert(rfc_load() == 0, "%s", vec_missing_msg());
    fields = cJSON_GetObjectItem(trace, "fields");
    snprintf(prefix, sizeof prefix, "%d.", sec);
    cJSON_ArrayForEach(f, fields)
    {
        const char *s = cJSON_GetObjectItem(f, "section")->valuestring;
        idx++;
        if (strncmp(s, prefix, strlen(prefix)) != 0)
            continue;
        if (strcmp(cJSON_GetObjectItem(f, "actor")->valuestring, actor) != 0)
            continue;
        if (strncmp(cJSON_GetObjectItem(f, "step")->valuestring, step, strlen(step)) != 0)
            continue;
        if (strcmp(cJSON_GetObjectItem(f, "field")->valuestring, field) != 0)
            continue;
        if (nth-- > 0)
            continue;
        /* decoded once and kept (reachable) for the life of the process */
        if (idx < 1024) {
            if (!cache[idx])
                cache[idx] = vec_hex(cJSON_GetObjectItem(f, "hex")->valuestring, &cache_len[idx]);
            *len = cache_len[idx];
            return cache[idx];
        }
        return vec_hex(cJSON_GetObjectItem(f, "hex")->valuestring, len);
    }
    cr_assert_fail("RFC 8448 field not found: %d %s %s %s", sec, actor, step, field);
    return NULL;
}

const uint8_t *rfc_rsa(const char *name, size_t *len)
{
    cJSON *k = cJSON_GetObjectItem(trace, "server_rsa_key");
    cJSON *v = cJSON_GetObjectItem(k, name);
    cr_assert(v && cJSON_IsString(v), "RSA key field %s", name);
    return vec_hex(v->valuestring, len);
}

const uint8_t *ch_random(const uint8_t *ch)
{
    return ch + 6;
}

const uint8_t *ch_session_id(const uint8_t *ch, size_t *len)
{
    *len = ch[38];
    return ch + 39;
}

const uint8_t *ch_extensions(const uint8_t *ch, size_t ch_len, size_t *len)
{
    size_t p = 4 + 2 + 32;
    p += 1 + ch[p];
    p += 2 + (size_t)((ch[p] << 8) | ch[p + 1]);
    p += 1 + ch[p];
    *len = (size_t)((ch[p] << 8) | ch[p + 1]);
    cr_assert(p + 2 + *len == ch_len, "ClientHello layout");
    return ch + p + 2;
}

/* ---- scripted transport -------------------------------------------------------- */

void pipe_init(struct pipe *p)
{
    memset(p, 0, sizeof *p);
}

void pipe_feed(struct pipe *p, const uint8_t *b, size_t n)
{
    if (p->in_off == p->in_len)
        p->in_off = p->in_len = 0;
    cr_assert(p->in_len + n <= PIPE_CAP, "pipe overflow");
    memcpy(p->in + p->in_len, b, n);
    p->in_len += n;
}

long pipe_read(void *ctx, uint8_t *buf, size_t len)
{
    struct pipe *p = ctx;
    size_t n = p->in_len - p->in_off;
    p->reads++;
    if (n == 0)
        return p->eof ? 0 : DTLS_WANT_READ;
    if (n > len)
        n = len;
    if (p->rchunk && n > p->rchunk)
        n = p->rchunk;
    if (p->seed) {
        uint32_t r = test_rand_u32(&p->seed);
        if (r % 4 == 0)
            return DTLS_WANT_READ;
        n = 1 + (r >> 8) % n;
    }
    memcpy(buf, p->in + p->in_off, n);
    p->in_off += n;
    return (long)n;
}

long pipe_write(void *ctx, const uint8_t *buf, size_t len)
{
    struct pipe *p = ctx;
    p->writes++;
    if (p->block_writes && p->wblocked < p->block_writes) {
        p->wblocked++;
        return DTLS_WANT_WRITE;
    }
    p->wblocked = 0;
    if (p->wchunk && len > p->wchunk)
        len = p->wchunk;
    if (p->seed) {
        uint32_t r = test_rand_u32(&p->seed);
        if (r % 4 == 0)
            return DTLS_WANT_WRITE;
        len = 1 + (r >> 8) % len;
    }
    cr_assert(p->out_len + len <= PIPE_CAP, "pipe out overflow");
    memcpy(p->out + p->out_len, buf, len);
    p->out_len += len;
    return (long)len;
}

void pipe_take(struct pipe *p, uint8_t *out, size_t n)
{
    cr_assert(n <= p->out_len, "client wrote %zu bytes, wanted %zu", p->out_len, n);
    if (out)
        memcpy(out, p->out, n);
    memmove(p->out, p->out + n, p->out_len - n);
    p->out_len -= n;
}

/* ---- config callbacks ----------------------------------------------------------- */

void tctx_init(struct tctx *t)
{
    memset(t, 0, sizeof *t);
    t->now = 1500000000;
}

void tctx_rng_add(struct tctx *t, const uint8_t *b, size_t n)
{
    cr_assert(t->rng_len + n <= sizeof t->rng);
    memcpy(t->rng + t->rng_len, b, n);
    t->rng_len += n;
}

int tctx_rng(void *ctx, uint8_t *out, size_t len)
{
    struct tctx *t = ctx;
    if (t->rng_len - t->rng_off < len)
        return -1;
    memcpy(out, t->rng + t->rng_off, len);
    t->rng_off += len;
    return 0;
}

int64_t tctx_now(void *ctx)
{
    return ((struct tctx *)ctx)->now;
}

int tctx_session_load(void *ctx, struct dtls_session *s)
{
    struct tctx *t = ctx;
    if (!t->have_ticket)
        return -1;
    *s = t->ticket;
    s->ticket = t->ticket_bytes;
    return 0;
}

void tctx_session_store(void *ctx, const struct dtls_session *s)
{
    struct tctx *t = ctx;
    cr_assert(s->ticket_len <= sizeof t->ticket_bytes);
    t->ticket = *s;
    memcpy(t->ticket_bytes, s->ticket, s->ticket_len);
    t->ticket.ticket = t->ticket_bytes;
    t->have_ticket = 1;
    t->tickets_stored++;
}

void tctx_keylog(void *ctx, const char *line)
{
    struct tctx *t = ctx;
    if (t->nkeylog < 16)
        snprintf(t->keylog[t->nkeylog++], sizeof t->keylog[0], "%s", line);
}

void tctx_config(struct dtls_config *cfg, struct tctx *t)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->verify = DTLS_VERIFY_NONE;
    cfg->ctx = t;
    cfg->rng = tctx_rng;
    cfg->now = tctx_now;
    cfg->session_load = tctx_session_load;
    cfg->session_store = tctx_session_store;
    cfg->keylog = tctx_keylog;
    cfg->crypto = tls_test_provider();
}

/* ---- record protection ---------------------------------------------------------- */

void rkeys_set(struct rkeys *k, int suite, const uint8_t *key, const uint8_t *iv)
{
    memset(k, 0, sizeof *k);
    k->suite = suite;
    memcpy(k->key, key, suite == 0x1301 ? 16 : 32);
    memcpy(k->iv, iv, 12);
}

static const EVP_CIPHER *cipher_of(int suite)
{
    return suite == 0x1301 ? EVP_aes_128_gcm() : suite == 0x1302 ? EVP_aes_256_gcm() : EVP_chacha20_poly1305();
}

static void nonce(const struct rkeys *k, uint8_t n[12])
{
    memcpy(n, k->iv, 12);
    for (int i = 0; i < 8; i++)
        n[4 + i] ^= (uint8_t)(k->seq >> (56 - 8 * i));
}

size_t rec_seal_inner(struct rkeys *k, uint8_t *out, const uint8_t *inner, size_t len)
{
    EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
    uint8_t n[12];
    int ol = 0;
    size_t clen = len + 16;
    out[0] = 23;
    out[1] = 3;
    out[2] = 3;
    out[3] = (uint8_t)(clen >> 8);
    out[4] = (uint8_t)clen;
    nonce(k, n);
    cr_assert(EVP_EncryptInit_ex(x, cipher_of(k->suite), NULL, NULL, NULL) == 1);
    cr_assert(EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_SET_IVLEN, 12, NULL) == 1);
    cr_assert(EVP_EncryptInit_ex(x, NULL, NULL, k->key, n) == 1);
    cr_assert(EVP_EncryptUpdate(x, NULL, &ol, out, 5) == 1);
    cr_assert(EVP_EncryptUpdate(x, out + 5, &ol, inner, (int)len) == 1);
    cr_assert(EVP_EncryptFinal_ex(x, out + 5 + ol, &ol) == 1);
    cr_assert(EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_GET_TAG, 16, out + 5 + len) == 1);
    EVP_CIPHER_CTX_free(x);
    k->seq++;
    return 5 + clen;
}

size_t rec_seal(struct rkeys *k, uint8_t *out, uint8_t type, const uint8_t *pt, size_t len, size_t pad)
{
    uint8_t *inner = malloc(len + 1 + pad);
    size_t r;
    if (len)
        memcpy(inner, pt, len);
    inner[len] = type;
    memset(inner + len + 1, 0, pad);
    r = rec_seal_inner(k, out, inner, len + 1 + pad);
    free(inner);
    return r;
}

int rec_open(struct rkeys *k, const uint8_t *rec, size_t rec_len, uint8_t *type, uint8_t *pt, size_t *len)
{
    EVP_CIPHER_CTX *x;
    uint8_t n[12];
    int ol = 0, ok;
    size_t clen;
    if (rec_len < 5 + 17 || rec[0] != 23)
        return -1;
    clen = (size_t)((rec[3] << 8) | rec[4]);
    if (clen + 5 != rec_len)
        return -1;
    x = EVP_CIPHER_CTX_new();
    nonce(k, n);
    EVP_DecryptInit_ex(x, cipher_of(k->suite), NULL, NULL, NULL);
    EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_SET_IVLEN, 12, NULL);
    EVP_DecryptInit_ex(x, NULL, NULL, k->key, n);
    EVP_DecryptUpdate(x, NULL, &ol, rec, 5);
    EVP_DecryptUpdate(x, pt, &ol, rec + 5, (int)(clen - 16));
    EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_SET_TAG, 16, (void *)(rec + rec_len - 16));
    ok = EVP_DecryptFinal_ex(x, pt + ol, &ol);
    EVP_CIPHER_CTX_free(x);
    if (ok != 1)
        return -1;
    k->seq++;
    *len = clen - 16;
    while (*len && pt[*len - 1] == 0)
        (*len)--;
    if (*len == 0)
        return -1;
    *type = pt[--*len];
    return 0;
}

size_t rec_plain(uint8_t *out, uint8_t type, const uint8_t *pt, size_t len)
{
    out[0] = type;
    out[1] = 3;
    out[2] = 3;
    out[3] = (uint8_t)(len >> 8);
    out[4] = (uint8_t)len;
    if (len)
        memmove(out + 5, pt, len);
    return 5 + len;
}

/* ---- asserts -------------------------------------------------------------------- */

static void dump(const char *label, const uint8_t *p, size_t n)
{
    fprintf(stderr, "  %s (%zu): ", label, n);
    for (size_t i = 0; i < n; i++)
        fprintf(stderr, "%02x", p[i]);
    fprintf(stderr, "\n");
}

void expect_bytes(const uint8_t *got, size_t got_len, const uint8_t *want, size_t want_len, const char *what)
{
    if (got_len != want_len || memcmp(got, want, want_len) != 0) {
        fprintf(stderr, "mismatch: %s\n", what);
        dump("got ", got, got_len);
        dump("want", want, want_len);
        cr_assert_fail("%s: bytes differ", what);
    }
}

/* ---- test crypto provider --------------------------------------------------------- */

#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>

#include "crypto/rsa.h"

static int ossl_rsa_pss_verify(const uint8_t *n, size_t n_len, const uint8_t *e, size_t e_len,
                               const struct dtls_hash *h, const uint8_t *hash, size_t salt_len,
                               const uint8_t *sig, size_t sig_len)
{
    OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
    BIGNUM *bn = BN_bin2bn(n, (int)n_len, NULL), *be = BN_bin2bn(e, (int)e_len, NULL);
    OSSL_PARAM *params;
    EVP_PKEY_CTX *kc = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL), *vc = NULL;
    EVP_PKEY *pk = NULL;
    const EVP_MD *md = h->digest_len == 32 ? EVP_sha256() : h->digest_len == 48 ? EVP_sha384() : EVP_sha512();
    int ok = 0;

    if (dtls_rsa_modulus_bits(n, n_len) >= DTLS_RSA_MIN_BITS) {
        BN_free(bn);
        BN_free(be);
        OSSL_PARAM_BLD_free(b);
        EVP_PKEY_CTX_free(kc);
        return dtls_rsa_pss_verify(n, n_len, e, e_len, h, hash, salt_len, sig, sig_len);
    }
    OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_N, bn);
    OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_E, be);
    params = OSSL_PARAM_BLD_to_param(b);
    if (EVP_PKEY_fromdata_init(kc) == 1 && EVP_PKEY_fromdata(kc, &pk, EVP_PKEY_PUBLIC_KEY, params) == 1) {
        vc = EVP_PKEY_CTX_new(pk, NULL);
        ok = EVP_PKEY_verify_init(vc) == 1 && EVP_PKEY_CTX_set_rsa_padding(vc, RSA_PKCS1_PSS_PADDING) == 1 &&
             EVP_PKEY_CTX_set_signature_md(vc, md) == 1 && EVP_PKEY_CTX_set_rsa_mgf1_md(vc, md) == 1 &&
             EVP_PKEY_CTX_set_rsa_pss_saltlen(vc, (int)salt_len) == 1 &&
             EVP_PKEY_verify(vc, sig, sig_len, hash, h->digest_len) == 1;
    }
    EVP_PKEY_CTX_free(vc);
    EVP_PKEY_free(pk);
    EVP_PKEY_CTX_free(kc);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(b);
    BN_free(bn);
    BN_free(be);
    return ok ? 0 : -1;
}

static struct dtls_crypto make_test_crypto(void);
static struct dtls_crypto test_crypto_rw;

const struct dtls_crypto *tls_test_provider(void)
{
    test_crypto_rw = make_test_crypto();
    return &test_crypto_rw;
}

static struct dtls_crypto make_test_crypto(void)
{
    struct dtls_crypto c = dtls_crypto_builtin;
    c.rsa_pss_verify = ossl_rsa_pss_verify;
    return c;
}

/* ---- one client over a scripted transport ------------------------------------------ */

static const uint16_t run_suites[] = { 0x1301, 0x1303, 0x1302, 0 };
static const uint16_t run_groups[] = { DTLS_GROUP_X25519, DTLS_GROUP_SECP256R1, 0 };

struct run *run_new(void)
{
    struct run *r = calloc(1, sizeof *r);
    tctx_init(&r->t);
    tctx_config(&r->cfg, &r->t);
    r->cfg.suites = run_suites;
    r->cfg.groups = run_groups;
    pipe_init(&r->p);
    return r;
}

void run_start(struct run *r, int sec)
{
    size_t chl, n, sidl;
    /* the record payload: section 4's "ClientHello" field stops before the binders */
    const uint8_t *ch = rfc_get(sec, "client", "send handshake record", "payload", 0, &chl);
    const uint8_t *sid = ch_session_id(ch, &sidl);
    tctx_rng_add(&r->t, ch_random(ch), 32);
    if (sidl)
        tctx_rng_add(&r->t, sid, sidl);
    const uint8_t *priv = rfc_get(sec, "client", "create an ephemeral x25519", "private key", 0, &n);
    tctx_rng_add(&r->t, priv, n);
    r->seam.ext[0] = ch_extensions(ch, chl, &r->seam.ext_len[0]);
    r->seam.session_id_len = (int)sidl;
    cr_assert_eq(dtls_client_init(&r->c, &r->cfg, r->rx, sizeof r->rx, r->tx, sizeof r->tx), DTLS_OK);
    dtls_test_set_seam(&r->c, &r->seam);
    dtls_client_set_io(&r->c, pipe_read, pipe_write, &r->p);
}

/* The client must have written exactly this trace record (next in its output). */
void expect_sent(struct run *r, int sec, const char *step, int nth, const char *what)
{
    size_t n;
    const uint8_t *want = rfc_get(sec, "client", step, "complete record", nth, &n);
    uint8_t got[4096];
    cr_assert(r->p.out_len >= n, "%s: client wrote %zu bytes, trace has %zu", what, r->p.out_len, n);
    pipe_take(&r->p, got, n);
    expect_bytes(got, n, want, n, what);
}

void feed(struct run *r, int sec, const char *step, int nth)
{
    size_t n;
    const uint8_t *rec = rfc_get(sec, "server", step, "complete record", nth, &n);
    pipe_feed(&r->p, rec, n);
}

/* The key log line for label must carry this secret. */
void expect_keylog(struct run *r, const char *label, const uint8_t *secret, size_t n)
{
    char hex[200] = { 0 };
    for (size_t i = 0; i < n; i++)
        sprintf(hex + 2 * i, "%02x", secret[i]);
    for (int i = 0; i < r->t.nkeylog; i++) {
        if (strncmp(r->t.keylog[i], label, strlen(label)) == 0 && r->t.keylog[i][strlen(label)] == ' ') {
            cr_assert(strstr(r->t.keylog[i], hex) != NULL, "keylog %s has the wrong secret", label);
            return;
        }
    }
    cr_assert_fail("no keylog line %s", label);
}


void run_start_native(struct run *r)
{
    size_t chl, n;
    uint8_t sid[32];
    const uint8_t *ch = rfc_get(3, "client", "send handshake record", "payload", 0, &chl);
    const uint8_t *priv = rfc_get(3, "client", "create an ephemeral x25519", "private key", 0, &n);
    memset(sid, 0x5a, sizeof sid);
    tctx_rng_add(&r->t, ch_random(ch), 32);
    tctx_rng_add(&r->t, sid, 32);
    tctx_rng_add(&r->t, priv, n);
    if (!r->cfg.server_name)
        r->cfg.server_name = "server";
    if (r->shared)
        cr_assert_eq(dtls_client_init(&r->c, &r->cfg, r->rx, r->shared, r->rx, r->shared), DTLS_OK);
    else
        cr_assert_eq(dtls_client_init(&r->c, &r->cfg, r->rx, sizeof r->rx, r->tx, sizeof r->tx), DTLS_OK);
    dtls_client_set_io(&r->c, pipe_read, pipe_write, &r->p);
}

long take_record(struct run *r, uint8_t *type, uint8_t *body, size_t cap)
{
    size_t n;
    if (r->p.out_len < 5)
        return -1;
    n = (size_t)((r->p.out[3] << 8) | r->p.out[4]);
    if (r->p.out_len < 5 + n || n > cap)
        return -1;
    *type = r->p.out[0];
    memcpy(body, r->p.out + 5, n);
    pipe_take(&r->p, NULL, 5 + n);
    return (long)n;
}

int client_alert(struct run *r, struct rkeys *k)
{
    int alert = -1;
    uint8_t rec[PIPE_CAP / 4], pt[PIPE_CAP / 4], type;
    while (r->p.out_len >= 5) {
        size_t n = 5 + (size_t)((r->p.out[3] << 8) | r->p.out[4]), len;
        if (n > r->p.out_len || n > sizeof rec)
            break;
        pipe_take(&r->p, rec, n);
        if (rec[0] == 21 && n == 7) {
            alert = rec[6];
        } else if (rec[0] == 23 && k) {
            if (rec_open(k, rec, n, &type, pt, &len) == 0 && type == 21 && len == 2)
                alert = pt[1];
        }
    }
    return alert;
}

/* ---- scripted server --------------------------------------------------------------- */

#include <openssl/hmac.h>

static void hmac256(const uint8_t *k, size_t kl, const uint8_t *d, size_t dl, uint8_t out[32])
{
    unsigned int l = 32;
    HMAC(EVP_sha256(), k, (int)kl, d, dl, out, &l);
}

static void expand_label(const uint8_t secret[32], const char *label, const uint8_t *ctx, size_t cl,
                         uint8_t *out, size_t len)
{
    uint8_t info[600], t[32];
    size_t n = 0, ll = strlen(label);
    info[n++] = (uint8_t)(len >> 8);
    info[n++] = (uint8_t)len;
    info[n++] = (uint8_t)(6 + ll);
    memcpy(info + n, "tls13 ", 6);
    n += 6;
    memcpy(info + n, label, ll);
    n += ll;
    info[n++] = (uint8_t)cl;
    if (cl)
        memcpy(info + n, ctx, cl);
    n += cl;
    info[n++] = 1;
    hmac256(secret, 32, info, n, t); /* len <= 32: one block */
    memcpy(out, t, len);
}

static void th_now(struct tserver *s, uint8_t out[32])
{
    EVP_MD_CTX *t = EVP_MD_CTX_new();
    unsigned int l;
    EVP_MD_CTX_copy_ex(t, s->th);
    EVP_DigestFinal_ex(t, out, &l);
    EVP_MD_CTX_free(t);
}

static void empty_hash(uint8_t out[32])
{
    unsigned int l;
    EVP_Digest("", 0, out, &l, EVP_sha256(), NULL);
}

static void set_keys(struct rkeys *k, uint16_t suite, const uint8_t secret[32])
{
    uint8_t key[32], iv[12];
    expand_label(secret, "key", NULL, 0, key, suite == 0x1301 ? 16 : 32);
    expand_label(secret, "iv", NULL, 0, iv, 12);
    rkeys_set(k, suite, key, iv);
}

void ts_begin(struct tserver *s, uint16_t suite, const uint8_t *ch, size_t ch_len)
{
    memset(s, 0, sizeof *s);
    cr_assert(suite == 0x1301 || suite == 0x1303, "scripted server: SHA-256 suites only");
    s->suite = suite;
    s->th = EVP_MD_CTX_new();
    EVP_DigestInit_ex(s->th, EVP_sha256(), NULL);
    ts_hash(s, ch, ch_len);
}

void ts_free(struct tserver *s)
{
    EVP_MD_CTX_free(s->th);
    s->th = NULL;
}

void ts_hash(struct tserver *s, const uint8_t *m, size_t n)
{
    EVP_DigestUpdate(s->th, m, n);
}

void ts_handshake_keys(struct tserver *s, const uint8_t ecdhe[32])
{
    static const uint8_t zeros[32];
    uint8_t early[32], eh[32], derived[32], th[32];
    hmac256(zeros, 32, zeros, 32, early);
    empty_hash(eh);
    expand_label(early, "derived", eh, 32, derived, 32);
    hmac256(derived, 32, ecdhe, 32, s->hs);
    th_now(s, th);
    expand_label(s->hs, "c hs traffic", th, 32, s->c_hs, 32);
    expand_label(s->hs, "s hs traffic", th, 32, s->s_hs, 32);
    set_keys(&s->shs, s->suite, s->s_hs);
    set_keys(&s->chs, s->suite, s->c_hs);
    expand_label(s->hs, "derived", eh, 32, derived, 32);
    hmac256(derived, 32, zeros, 32, s->master);
}

size_t ts_finished(struct tserver *s, uint8_t *out)
{
    uint8_t fk[32], th[32];
    expand_label(s->s_hs, "finished", NULL, 0, fk, 32);
    th_now(s, th);
    out[0] = 20;
    out[1] = 0;
    out[2] = 0;
    out[3] = 32;
    hmac256(fk, 32, th, 32, out + 4);
    ts_hash(s, out, 36);
    th_now(s, th);
    expand_label(s->master, "c ap traffic", th, 32, s->c_ap, 32);
    expand_label(s->master, "s ap traffic", th, 32, s->s_ap, 32);
    set_keys(&s->sap, s->suite, s->s_ap);
    set_keys(&s->cap, s->suite, s->c_ap);
    return 36;
}

void ts_client_finished(struct tserver *s, uint8_t out[32])
{
    uint8_t fk[32], th[32];
    expand_label(s->c_hs, "finished", NULL, 0, fk, 32);
    th_now(s, th);
    hmac256(fk, 32, th, 32, out);
}

#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>

static EVP_PKEY *rfc_rsa_key(void)
{
    static EVP_PKEY *pk;
    const char *names[8] = { "modulus", "public exponent", "private exponent", "prime1", "prime2",
                             "exponent1", "exponent2", "coefficient" };
    const char *params[8] = { OSSL_PKEY_PARAM_RSA_N, OSSL_PKEY_PARAM_RSA_E, OSSL_PKEY_PARAM_RSA_D,
                              OSSL_PKEY_PARAM_RSA_FACTOR1, OSSL_PKEY_PARAM_RSA_FACTOR2,
                              OSSL_PKEY_PARAM_RSA_EXPONENT1, OSSL_PKEY_PARAM_RSA_EXPONENT2,
                              OSSL_PKEY_PARAM_RSA_COEFFICIENT1 };
    if (!pk) {
        OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
        EVP_PKEY_CTX *kc = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
        OSSL_PARAM *p;
        BIGNUM *bn[8];
        for (int i = 0; i < 8; i++) {
            size_t n;
            const uint8_t *v = rfc_rsa(names[i], &n);
            bn[i] = BN_bin2bn(v, (int)n, NULL);
            free((void *)v);
            OSSL_PARAM_BLD_push_BN(b, params[i], bn[i]);
        }
        p = OSSL_PARAM_BLD_to_param(b);
        for (int i = 0; i < 8; i++)
            BN_free(bn[i]);
        cr_assert(EVP_PKEY_fromdata_init(kc) == 1 && EVP_PKEY_fromdata(kc, &pk, EVP_PKEY_KEYPAIR, p) == 1);
        OSSL_PARAM_free(p);
        OSSL_PARAM_BLD_free(b);
        EVP_PKEY_CTX_free(kc);
    }
    return pk;
}

size_t ts_cert_verify(struct tserver *s, uint8_t *out)
{
    uint8_t content[130], d[32];
    size_t sl = 512;
    unsigned int l;
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(rfc_rsa_key(), NULL);
    memset(content, 0x20, 64);
    memcpy(content + 64, "TLS 1.3, server CertificateVerify", 33);
    content[97] = 0;
    th_now(s, content + 98);
    EVP_Digest(content, 130, d, &l, EVP_sha256(), NULL);
    cr_assert(EVP_PKEY_sign_init(c) == 1);
    EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PSS_PADDING);
    EVP_PKEY_CTX_set_signature_md(c, EVP_sha256());
    EVP_PKEY_CTX_set_rsa_mgf1_md(c, EVP_sha256());
    EVP_PKEY_CTX_set_rsa_pss_saltlen(c, 32);
    cr_assert(EVP_PKEY_sign(c, out + 8, &sl, d, 32) == 1);
    EVP_PKEY_CTX_free(c);
    out[0] = 15;
    out[1] = 0;
    out[2] = (uint8_t)((4 + sl) >> 8);
    out[3] = (uint8_t)(4 + sl);
    out[4] = 0x08;
    out[5] = 0x04;
    out[6] = (uint8_t)(sl >> 8);
    out[7] = (uint8_t)sl;
    ts_hash(s, out, 8 + sl);
    return 8 + sl;
}

size_t ts_server_hello(uint8_t *out, const uint8_t *random, const uint8_t *sid, size_t sid_len,
                       uint16_t suite, const uint8_t *ext, size_t ext_len)
{
    size_t n = 4;
    out[n++] = 3;
    out[n++] = 3;
    memcpy(out + n, random, 32);
    n += 32;
    out[n++] = (uint8_t)sid_len;
    memcpy(out + n, sid, sid_len);
    n += sid_len;
    out[n++] = (uint8_t)(suite >> 8);
    out[n++] = (uint8_t)suite;
    out[n++] = 0;
    out[n++] = (uint8_t)(ext_len >> 8);
    out[n++] = (uint8_t)ext_len;
    if (ext_len)
        memcpy(out + n, ext, ext_len);
    n += ext_len;
    out[0] = 2;
    out[1] = (uint8_t)((n - 4) >> 16);
    out[2] = (uint8_t)((n - 4) >> 8);
    out[3] = (uint8_t)(n - 4);
    return n;
}

void ext_add(uint8_t *out, size_t *len, uint16_t type, const uint8_t *body, size_t n)
{
    out[(*len)++] = (uint8_t)(type >> 8);
    out[(*len)++] = (uint8_t)type;
    out[(*len)++] = (uint8_t)(n >> 8);
    out[(*len)++] = (uint8_t)n;
    if (n)
        memcpy(out + *len, body, n);
    *len += n;
}

void ts_update(struct tserver *s, int client)
{
    uint8_t *sec = client ? s->c_ap : s->s_ap, next[32];
    expand_label(sec, "traffic upd", NULL, 0, next, 32);
    memcpy(sec, next, 32);
    set_keys(client ? &s->cap : &s->sap, s->suite, sec);
}

/* ---- a client against the scripted server -------------------------------------------- */


const uint8_t *server_pub(void)
{
    size_t n;
    return rfc_get(3, "server", "create an ephemeral x25519", "public key", 0, &n);
}

const uint8_t *ecdhe(void)
{
    size_t n;
    return rfc_get(3, "server", "extract secret \"handshake\"", "IKM", 0, &n);
}

const uint8_t *server_random(void)
{
    size_t n;
    const uint8_t *sh = rfc_get(3, "server", "construct a ServerHello", "ServerHello", 0, &n);
    return sh + 6;
}

/* Start a client (cfg tweaks applied by the caller through r->cfg before this call when
 * needed) and take its ClientHello. */
void hs_start_with(struct hs *h, struct run *r)
{
    uint8_t type;
    long n;
    if (rfc_load() != 0)
        cr_skip_test("%s", vec_missing_msg());
    memset(h, 0, sizeof *h);
    h->r = r;
    run_start_native(r);
    cr_assert_eq(dtls_handshake(&r->c), DTLS_WANT_READ);
    n = take_record(r, &type, h->ch, sizeof h->ch);
    cr_assert(n > 0 && type == 22, "ClientHello record");
    h->ch_len = (size_t)n;
    h->sid_len = h->ch[38];
    memcpy(h->sid, h->ch + 39, h->sid_len);
    ts_begin(&h->s, 0x1301, h->ch, h->ch_len);
}

void hs_start(struct hs *h)
{
    hs_start_with(h, run_new());
}

void hs_end(struct hs *h)
{
    ts_free(&h->s);
    free(h->r);
}

/* supported_versions(TLS 1.3) + key_share(x25519, the trace's server share) */
size_t std_sh_ext(uint8_t *ext)
{
    size_t n = 0;
    uint8_t ks[36] = { 0x00, 0x1d, 0x00, 0x20 };
    memcpy(ks + 4, server_pub(), 32);
    ext_add(ext, &n, 43, (const uint8_t[]){ 0x03, 0x04 }, 2);
    ext_add(ext, &n, 51, ks, 36);
    return n;
}

void send_plain(struct hs *h, uint8_t type, const uint8_t *m, size_t n)
{
    uint8_t rec[20000];
    pipe_feed(&h->r->p, rec, rec_plain(rec, type, m, n));
}

void send_enc(struct hs *h, struct rkeys *k, uint8_t type, const uint8_t *m, size_t n)
{
    uint8_t rec[20000];
    pipe_feed(&h->r->p, rec, rec_seal(k, rec, type, m, n, 0));
}

/* A normal ServerHello (plus extra extensions), hashed, keys derived, fed. */
void server_hello_ext(struct hs *h, const uint8_t *extra, size_t extra_len)
{
    uint8_t ext[512], sh[600];
    size_t n = std_sh_ext(ext), shl;
    if (extra_len)
        memcpy(ext + n, extra, extra_len);
    shl = ts_server_hello(sh, server_random(), h->sid, h->sid_len, 0x1301, ext, n + extra_len);
    ts_hash(&h->s, sh, shl);
    ts_handshake_keys(&h->s, ecdhe());
    send_plain(h, 22, sh, shl);
}

void server_hello(struct hs *h)
{
    server_hello_ext(h, NULL, 0);
}

size_t ee_msg(uint8_t *out, const uint8_t *ext, size_t n)
{
    out[0] = 8;
    out[1] = 0;
    out[2] = (uint8_t)((n + 2) >> 8);
    out[3] = (uint8_t)(n + 2);
    out[4] = (uint8_t)(n >> 8);
    out[5] = (uint8_t)n;
    if (n)
        memcpy(out + 6, ext, n);
    return 6 + n;
}

const uint8_t *trace_cert(size_t *n)
{
    return rfc_get(3, "server", "construct a Certificate", "Certificate", 0, n);
}

/* EE(ext) + Certificate + CertificateVerify + Finished in one record. */
void server_flight_ee(struct hs *h, const uint8_t *ext, size_t ext_len)
{
    uint8_t f[4096];
    size_t n = ee_msg(f, ext, ext_len), cl;
    const uint8_t *cert = trace_cert(&cl);
    ts_hash(&h->s, f, n);
    memcpy(f + n, cert, cl);
    ts_hash(&h->s, cert, cl);
    n += cl;
    n += ts_cert_verify(&h->s, f + n);
    n += ts_finished(&h->s, f + n);
    send_enc(h, &h->s.shs, 22, f, n);
}

void server_flight(struct hs *h)
{
    server_flight_ee(h, NULL, 0);
}

/* EE(ext) + CertificateRequest + Certificate + CertificateVerify + Finished in one record. */
void server_flight_cr(struct hs *h, const uint8_t *ext, size_t ext_len, const uint8_t *cr, size_t cr_len)
{
    uint8_t f[4096];
    size_t n = ee_msg(f, ext, ext_len), cl;
    const uint8_t *cert = trace_cert(&cl);
    cr_assert(n + cr_len + cl + 600 <= sizeof f);
    memcpy(f + n, cr, cr_len);
    n += cr_len;
    memcpy(f + n, cert, cl);
    n += cl;
    ts_hash(&h->s, f, n);
    n += ts_cert_verify(&h->s, f + n);
    n += ts_finished(&h->s, f + n);
    send_enc(h, &h->s.shs, 22, f, n);
}

/* After a CertificateRequest and no client chain: the handshake completes and the
 * client sent CCS, an empty Certificate (no CertificateVerify) and its Finished. */
void expect_empty_certificate(struct hs *h)
{
    uint8_t type, pt[512], fin[32];
    size_t n, l;
    struct dtls_info info;
    long rl;
    cr_assert_eq(dtls_handshake(&h->r->c), DTLS_OK);
    rl = take_record(h->r, &type, pt, sizeof pt); /* CCS */
    cr_assert(rl == 1 && type == 20);
    l = 5 + (size_t)((h->r->p.out[3] << 8) | h->r->p.out[4]);
    cr_assert_eq(rec_open(&h->s.chs, h->r->p.out, l, &type, pt, &n), 0);
    pipe_take(&h->r->p, NULL, l);
    cr_assert(type == 22 && n == 8 && memcmp(pt, (const uint8_t[]){ 11, 0, 0, 4, 0, 0, 0, 0 }, 8) == 0,
              "empty Certificate");
    ts_hash(&h->s, pt, 8);
    l = 5 + (size_t)((h->r->p.out[3] << 8) | h->r->p.out[4]);
    cr_assert_eq(rec_open(&h->s.chs, h->r->p.out, l, &type, pt, &n), 0);
    ts_client_finished(&h->s, fin);
    cr_assert(type == 22 && n == 36 && memcmp(pt + 4, fin, 32) == 0, "client Finished");
    dtls_get_info(&h->r->c, &info);
    cr_assert_eq(info.client_auth, 1);
    cr_assert_eq(info.client_cert_sent, 0);
}

/* The handshake fails with rc and the client sent `alert` (encrypted under its
 * handshake keys when enc). */
void expect_fail(struct hs *h, int rc, int alert, int enc)
{
    int got = dtls_handshake(&h->r->c);
    cr_assert_eq(got, rc, "handshake returned %d (%s), expected %d (%s)", got, dtls_strerror(got), rc,
                 dtls_strerror(rc));
    cr_assert_eq(dtls_last_alert(&h->r->c, DTLS_ALERT_SENT), alert);
    got = client_alert(h->r, enc ? &h->s.chs : NULL);
    cr_assert_eq(got, alert, "alert on the wire %d, expected %d", got, alert);
    /* sticky, nothing more on the wire */
    cr_assert_eq(dtls_handshake(&h->r->c), rc);
    cr_assert_eq(dtls_write(&h->r->c, (const uint8_t *)"x", 1), rc);
    cr_assert_eq(h->r->p.out_len, 0);
}

/* Complete the handshake and check the client's Finished. */
void expect_connected(struct hs *h)
{
    uint8_t type, body[512], pt[512], fin[32];
    size_t n;
    long l;
    int rc = dtls_handshake(&h->r->c);
    cr_assert_eq(rc, DTLS_OK, "handshake: %s", dtls_strerror(rc));
    /* compatibility mode: a dummy CCS first */
    l = take_record(h->r, &type, body, sizeof body);
    cr_assert(l == 1 && type == 20 && body[0] == 1, "client dummy change_cipher_spec");
    cr_assert(h->r->p.out_len > 5);
    n = 5 + (size_t)((h->r->p.out[3] << 8) | h->r->p.out[4]);
    cr_assert_eq(rec_open(&h->s.chs, h->r->p.out, n, &type, pt, &n), 0, "client Finished decrypts");
    cr_assert_eq(type, 22);
    cr_assert_eq(n, 36);
    ts_client_finished(&h->s, fin);
    cr_assert(memcmp(pt + 4, fin, 32) == 0, "client Finished verify_data");
    ts_hash(&h->s, pt, 36);
    pipe_take(&h->r->p, NULL, 5 + (size_t)((h->r->p.out[3] << 8) | h->r->p.out[4]));
}


void ts_ticket_psk(struct tserver *s, const uint8_t *nonce, size_t nonce_len, uint8_t psk[32])
{
    uint8_t th[32], res[32];
    th_now(s, th);
    expand_label(s->master, "res master", th, 32, res, 32);
    expand_label(res, "resumption", nonce, nonce_len, psk, 32);
}
