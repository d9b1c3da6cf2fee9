/*
 * Shared by the TLS fuzz targets (fuzz_handshake.c, fuzz_record.c): the
 * option bytes that choose the client's configuration, a deterministic rng
 * and clock, the client-key signer, I/O callbacks over the fuzz input, and
 * the driver that runs a connection the way an application does
 * (handshake, write a request, optionally KeyUpdate, read to the end, close).
 *
 * Determinism is the point: with the same option bytes the client sends the
 * same ClientHello byte for byte, so a server flight recorded once (by
 * fuzz_handshake.c built with -DFUZZ_RECORD, see record-seeds.py) replays
 * through the whole handshake. Only the I/O differs between recording and
 * replay, and the engine is written so that how bytes are split and when
 * the transport says "would block" cannot change what it sends.
 *
 * Option bytes (3):
 *   o[0] bits 0-2 suites (0, 5-7: default list; 1 AES-128; 2 AES-256; 3 ChaCha; 4 all, AES-256 first)
 *        bits 3-4 groups (0 default; 1 x25519; 2 secp256r1; 3 secp256r1 then x25519)
 *        bit 5 ALPN {http/1.1, h2}
 *        bits 6-7 max_fragment (0, 512, 1024, 4096)
 *   o[1] bit 0 client authentication (a P-256 client certificate)
 *        bit 1 resumption: a ticket follows the option bytes (see fuzz_session_parse)
 *        bit 2 one shared rx/tx buffer
 *        bits 3-4 reads: 0 as much as asked, 1 one byte at a time, 2 pseudo-random sizes
 *                 and partial writes, 3 every other call says WANT_READ / WANT_WRITE
 *        bit 5 after the handshake, dtls_key_update(request_peer = 1)
 *        bit 6 verification off (DTLS_VERIFY_NONE)
 *        bit 7 buffers by the sizing rule for the max_fragment (else 20000 bytes each)
 *   o[2] size of the application's read buffer - 1 (1..256)
 *   o[3] bit 0 sealed input: the server stream is a list of entries (fuzz_next_entry)
 *        whose records the harness encrypts with the server's current keys, so
 *        the fuzzer reaches the encrypted handshake messages and what follows
 *
 * Sealed entries: kind (1), [content type (1) for sealed kinds], length (2), bytes.
 *   kind bits 0-1: 0 raw bytes on the wire as given; 1 a record sealed with the
 *   server's current traffic keys (content || type || padding); 2 the same with a
 *   corrupted tag; 3 (fuzz_record.c) a client action; bits 2-7: padding = 8 x that.
 * "Current keys" are the last SERVER_*_SECRET the client logged: the client logs
 * the handshake secret while processing the ServerHello, the application
 * secret at the server's Finished and each new one at a KeyUpdate, always
 * before it reads the next record, which is when the harness seals it.
 */
#ifndef DTLS_FUZZ_TLS_H
#define DTLS_FUZZ_TLS_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <dtls/dtls.h>
#include <dtls/x509.h>

#include "crypto/ec.h"
#include "crypto/hmac.h"
#include "fuzz_pki.h"

#define FUZZ_NOW 1893456000 /* 2030-01-01T00:00:00Z, inside the seed PKI's validity */
#define FUZZ_OPT_BYTES 4

struct fuzz_opts {
    const uint16_t *suites, *groups;
    int alpn, client_auth, resume, shared, reads, key_update, verify_none, small, sealed;
    uint16_t max_fragment;
    size_t read_len;
};

static const uint16_t fuzz_suite_sets[5][4] = {
    { 0 },
    { DTLS_TLS_AES_128_GCM_SHA256, 0 },
    { DTLS_TLS_AES_256_GCM_SHA384, 0 },
    { DTLS_TLS_CHACHA20_POLY1305_SHA256, 0 },
    { DTLS_TLS_AES_256_GCM_SHA384, DTLS_TLS_CHACHA20_POLY1305_SHA256, DTLS_TLS_AES_128_GCM_SHA256, 0 },
};
static const uint16_t fuzz_group_sets[4][3] = {
    { 0 },
    { DTLS_GROUP_X25519, 0 },
    { DTLS_GROUP_SECP256R1, 0 },
    { DTLS_GROUP_SECP256R1, DTLS_GROUP_X25519, 0 },
};
static const char *const fuzz_alpn[] = { "http/1.1", "h2", NULL };

static inline void fuzz_opts_parse(struct fuzz_opts *o, const uint8_t op[FUZZ_OPT_BYTES])
{
    static const uint16_t mfl[4] = { 0, 512, 1024, 4096 };
    unsigned s = op[0] & 7, g = (op[0] >> 3) & 3;
    memset(o, 0, sizeof *o);
    o->suites = (s >= 1 && s <= 4) ? fuzz_suite_sets[s] : NULL;
    o->groups = g ? fuzz_group_sets[g] : NULL;
    o->alpn = (op[0] >> 5) & 1;
    o->max_fragment = mfl[op[0] >> 6];
    o->client_auth = op[1] & 1;
    o->resume = (op[1] >> 1) & 1;
    o->shared = (op[1] >> 2) & 1;
    o->reads = (op[1] >> 3) & 3;
    o->key_update = (op[1] >> 5) & 1;
    o->verify_none = (op[1] >> 6) & 1;
    o->small = (op[1] >> 7) & 1;
    o->read_len = (size_t)op[2] % 256 + 1;
    o->sealed = op[3] & 1;
}

/* ---- per-connection context: rng, clock, tickets, client key ---------------- */

struct fuzz_ctx {
    struct fuzz_opts o;
    uint64_t rng;
    /* the ticket offered (from the input) and the last one stored */
    int have_ticket;
    struct dtls_session offer;
    struct dtls_session stored;
    uint8_t stored_ticket[4096];
    int stored_ok;
    /* the last server secret from the key log (handshake, then application, then
       one per KeyUpdate), and the first few of them in order (for the recorder) */
    uint8_t s_secret[48];
    size_t s_secret_len;
    unsigned s_secret_gen;
    uint8_t s_hist[8][48];
};

static inline int fuzz_rng(void *ctx, uint8_t *out, size_t len)
{
    struct fuzz_ctx *f = (struct fuzz_ctx *)ctx;
    for (size_t i = 0; i < len; i++) {
        f->rng = f->rng * 6364136223846793005ull + 1442695040888963407ull;
        out[i] = (uint8_t)(f->rng >> 56);
    }
    return 0;
}

static int64_t fuzz_now(void *ctx)
{
    (void)ctx;
    return FUZZ_NOW;
}

static inline int fuzz_sign(void *ctx, uint16_t scheme, const uint8_t *msg, size_t len, uint8_t *sig, size_t *sig_len)
{
    (void)ctx;
    if (scheme != DTLS_SIG_ECDSA_SECP256R1_SHA256 || len != 32 || *sig_len < 64)
        return -1;
    if (dtls_p256_ecdsa_sign(sig, fuzz_client_key, msg, 32) != 0)
        return -1;
    *sig_len = 64;
    return 0;
}

static inline int fuzz_session_load(void *ctx, struct dtls_session *s)
{
    struct fuzz_ctx *f = (struct fuzz_ctx *)ctx;
    if (!f->have_ticket)
        return -1;
    *s = f->offer;
    return 0;
}

static inline void fuzz_session_store(void *ctx, const struct dtls_session *s)
{
    struct fuzz_ctx *f = (struct fuzz_ctx *)ctx;
    if (s->psk_len > sizeof s->psk || s->ticket_len == 0 || s->ticket_len > sizeof f->stored_ticket)
        abort(); /* the engine must only hand out what it documents */
    f->stored = *s;
    memcpy(f->stored_ticket, s->ticket, s->ticket_len);
    f->stored.ticket = f->stored_ticket;
    f->stored_ok = 1;
}

static inline int fuzz_hexval(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    return -1;
}

static inline void fuzz_keylog(void *ctx, const char *line)
{
    struct fuzz_ctx *f = (struct fuzz_ctx *)ctx;
    const char *hex;
    size_t n = 0;
    if (strncmp(line, "SERVER_", 7) != 0)
        return;
    hex = strrchr(line, ' ');
    if (!hex)
        abort();
    for (hex++; hex[0] && hex[1] && n < sizeof f->s_secret; hex += 2) {
        int a = fuzz_hexval(hex[0]), b = fuzz_hexval(hex[1]);
        if (a < 0 || b < 0)
            abort();
        f->s_secret[n++] = (uint8_t)(a << 4 | b);
    }
    if (n != 32 && n != 48)
        abort();
    f->s_secret_len = n;
    if (f->s_secret_gen < 8)
        memcpy(f->s_hist[f->s_secret_gen], f->s_secret, 48);
    f->s_secret_gen++;
}

/*
 * Resumption blob after the option bytes (o[1] bit 1): suite (2), psk_len (1),
 * psk (48, the first psk_len used), age_add (4), ticket_len (2), ticket. Returns
 * the bytes used, or 0 when the input is too short (no ticket is then offered).
 */
static inline size_t fuzz_session_parse(struct fuzz_ctx *f, const uint8_t *d, size_t n)
{
    size_t tl;
    if (n < 57)
        return 0;
    tl = (size_t)d[55] << 8 | d[56];
    if (n - 57 < tl)
        return 0;
    memset(&f->offer, 0, sizeof f->offer);
    f->offer.suite = (uint16_t)(d[0] << 8 | d[1]);
    f->offer.psk_len = d[2];
    if (f->offer.psk_len > 48)
        f->offer.psk_len = 48;
    memcpy(f->offer.psk, d + 3, 48);
    f->offer.age_add = (uint32_t)d[51] << 24 | (uint32_t)d[52] << 16 | (uint32_t)d[53] << 8 | d[54];
    f->offer.lifetime = 7200;
    f->offer.received = FUZZ_NOW;
    f->offer.ticket = d + 57;
    f->offer.ticket_len = tl;
    f->have_ticket = 1;
    return 57 + tl;
}

static inline const struct dtls_x509_anchors *fuzz_anchors(void)
{
    static struct dtls_x509_anchor a;
    static struct dtls_x509_anchors set;
    if (!set.list) {
        if (dtls_x509_anchor_from_der(fuzz_root_der, sizeof fuzz_root_der, &a) != 0)
            abort();
        set.list = &a;
        set.count = 1;
    }
    return &set;
}

static inline void fuzz_config(struct dtls_config *cfg, struct fuzz_ctx *f)
{
    static const struct dtls_der client_chain[1] = { { fuzz_client_der, sizeof fuzz_client_der } };
    static const uint16_t client_schemes[] = { DTLS_SIG_ECDSA_SECP256R1_SHA256, 0 };
    const struct fuzz_opts *o = &f->o;
    memset(cfg, 0, sizeof *cfg);
    cfg->server_name = "localhost";
    cfg->verify = o->verify_none ? DTLS_VERIFY_NONE : DTLS_VERIFY_FULL;
    cfg->trust = o->verify_none ? NULL : fuzz_anchors();
    cfg->ctx = f;
    cfg->rng = fuzz_rng;
    cfg->now = fuzz_now;
    cfg->alpn = o->alpn ? fuzz_alpn : NULL;
    cfg->suites = o->suites;
    cfg->groups = o->groups;
    cfg->max_fragment = o->max_fragment;
    cfg->session_load = fuzz_session_load;
    cfg->session_store = fuzz_session_store;
    cfg->keylog = fuzz_keylog;
    if (o->client_auth) {
        cfg->client_chain = client_chain;
        cfg->client_chain_len = 1;
        cfg->client_schemes = client_schemes;
        cfg->sign = fuzz_sign;
    }
}

static inline void fuzz_ctx_init(struct fuzz_ctx *f, const uint8_t op[FUZZ_OPT_BYTES])
{
    memset(f, 0, sizeof *f);
    fuzz_opts_parse(&f->o, op);
    f->rng = 0x64746c73ull; /* "dtls" */
}

/* ---- buffers ---------------------------------------------------------------------- */

struct fuzz_bufs {
    uint8_t *rx, *tx;
    size_t rx_len, tx_len;
};

/* Exactly sized heap buffers, so ASan sees a byte read or written past either end. */
static inline void fuzz_bufs_alloc(struct fuzz_bufs *b, const struct fuzz_opts *o)
{
    unsigned frag = o->max_fragment;
    if (o->shared) {
        b->rx_len = b->tx_len = o->small ? DTLS_SHARED_BUFFER_SIZE(frag) : 24000;
        b->rx = b->tx = (uint8_t *)malloc(b->rx_len);
    } else {
        b->rx_len = o->small ? DTLS_RX_BUFFER_SIZE(frag) : 20000;
        b->tx_len = o->small ? DTLS_TX_BUFFER_SIZE(frag) : 20000;
        b->rx = (uint8_t *)malloc(b->rx_len);
        b->tx = (uint8_t *)malloc(b->tx_len);
    }
    if (!b->rx || !b->tx)
        abort();
}

static inline void fuzz_bufs_free(struct fuzz_bufs *b)
{
    free(b->rx);
    if (b->tx != b->rx)
        free(b->tx);
}

/* ---- I/O over the input ------------------------------------------------------------- */

struct fuzz_io {
    const uint8_t *p;
    size_t n, off;         /* the bytes being served to the client */
    int reads;             /* fuzz_opts.reads */
    uint32_t prng;
    unsigned flip_r, flip_w;
    uint32_t sum;          /* of every byte written: makes ASan check the whole range */
    /* called when p[off..n) runs out: > 0 p/n refilled, 0 end of stream, or
       DTLS_WANT_READ (fuzz_record.c: a client action is next) */
    int (*refill)(struct fuzz_io *io);
    /* sealed entries (fuzz_opts.sealed) */
    const uint8_t *in;
    size_t in_len, in_off;
    struct fuzz_ctx *f;
    struct dtls_client *c;
    unsigned gen;          /* s_secret_gen the keys below belong to */
    dtls_aead_ctx aead;
    const struct dtls_aead *a;
    uint8_t iv[12];
    uint64_t seq;
    uint8_t *rec;          /* the record being served (FUZZ_REC_MAX bytes) */
    int actions;           /* kind 3 entries are client actions (else raw bytes) */
};

#define FUZZ_REC_MAX (5 + 65535 + 1 + 8 * 63 + 16)

static inline const struct dtls_hash *fuzz_suite_hash(uint16_t suite)
{
    return suite == DTLS_TLS_AES_256_GCM_SHA384 ? dtls_crypto_builtin.sha384 : dtls_crypto_builtin.sha256;
}

static inline const struct dtls_aead *fuzz_suite_aead(uint16_t suite)
{
    if (suite == DTLS_TLS_AES_256_GCM_SHA384)
        return dtls_crypto_builtin.aes256gcm;
    if (suite == DTLS_TLS_CHACHA20_POLY1305_SHA256)
        return dtls_crypto_builtin.chacha20poly1305;
    return dtls_crypto_builtin.aes128gcm;
}

/* Traffic keys (RFC 8446 7.3) from a secret, for suite. */
static inline void fuzz_keys(const uint8_t *secret, uint16_t suite, dtls_aead_ctx *aead, const struct dtls_aead **a,
                      uint8_t iv[12])
{
    const struct dtls_hash *h = fuzz_suite_hash(suite);
    uint8_t key[32];
    *a = fuzz_suite_aead(suite);
    (void)dtls_hkdf_expand_label(h, secret, "key", NULL, 0, key, (*a)->key_len);
    (void)dtls_hkdf_expand_label(h, secret, "iv", NULL, 0, iv, 12);
    (*a)->init(aead, key);
}

static inline void fuzz_nonce(const uint8_t iv[12], uint64_t seq, uint8_t nonce[12])
{
    memcpy(nonce, iv, 12);
    for (int i = 0; i < 8; i++)
        nonce[4 + i] ^= (uint8_t)(seq >> (56 - 8 * i));
}

/* Seal content || type || pad zeros as a record at out with the given keys; returns
 * its length. */
static inline size_t fuzz_seal(const dtls_aead_ctx *aead, const struct dtls_aead *a, const uint8_t iv[12], uint64_t seq,
                        uint8_t type, const uint8_t *content, size_t len, size_t pad, int bad_tag, uint8_t *out)
{
    size_t n = len + 1 + pad;
    uint8_t nonce[12];
    out[0] = 23;
    out[1] = 3;
    out[2] = 3;
    out[3] = (uint8_t)((n + 16) >> 8);
    out[4] = (uint8_t)(n + 16);
    if (len)
        memmove(out + 5, content, len);
    out[5 + len] = type;
    memset(out + 6 + len, 0, pad);
    fuzz_nonce(iv, seq, nonce);
    a->seal(aead, nonce, out, 5, out + 5, n, out + 5 + n);
    if (bad_tag)
        out[5 + n + 15] ^= 0x40;
    return 5 + n + 16;
}

/* The next sealed entry into io->rec (see the top of this file). Before the
 * client has keys, a "sealed" entry is framed as a plaintext record of its type. */
static inline int fuzz_next_entry(struct fuzz_io *io)
{
    while (io->in_off < io->in_len) {
        const uint8_t *d = io->in + io->in_off;
        size_t left = io->in_len - io->in_off, len, hdr;
        unsigned kind = d[0] & 3;
        uint8_t type = 0;
        if (kind == 3 && io->actions)
            return DTLS_WANT_READ; /* a client action (fuzz_record.c), done by the driver */
        if (kind == 3)
            kind = 0;
        hdr = kind == 0 ? 3 : 4;
        if (left < hdr)
            break;
        if (kind)
            type = d[1];
        len = (size_t)d[hdr - 2] << 8 | d[hdr - 1];
        if (len > left - hdr)
            len = left - hdr;
        io->in_off += hdr + len;
        io->off = 0;
        io->p = io->rec;
        if (kind == 0) {
            memcpy(io->rec, d + hdr, len);
            io->n = len;
        } else if (io->f->s_secret_gen == 0) {
            io->rec[0] = type;
            io->rec[1] = 3;
            io->rec[2] = 3;
            io->rec[3] = (uint8_t)(len >> 8);
            io->rec[4] = (uint8_t)len;
            memcpy(io->rec + 5, d + hdr, len);
            io->n = 5 + len;
        } else {
            if (io->gen != io->f->s_secret_gen) {
                struct dtls_info info;
                dtls_get_info(io->c, &info);
                fuzz_keys(io->f->s_secret, info.cipher_suite, &io->aead, &io->a, io->iv);
                io->gen = io->f->s_secret_gen;
                io->seq = 0;
            }
            io->n = fuzz_seal(&io->aead, io->a, io->iv, io->seq++, type, d + hdr, len, (size_t)(d[0] >> 2) * 8,
                              kind == 2, io->rec);
        }
        if (io->n)
            return 1;
    }
    io->in_off = io->in_len;
    return 0;
}

/* Serve the input to c: as it is, or as sealed entries. */
static inline void fuzz_io_init(struct fuzz_io *io, struct fuzz_ctx *f, struct dtls_client *c, const uint8_t *in,
                         size_t len)
{
    memset(io, 0, sizeof *io);
    io->reads = f->o.reads;
    io->prng = (uint32_t)len;
    io->f = f;
    io->c = c;
    if (f->o.sealed) {
        io->in = in;
        io->in_len = len;
        io->refill = fuzz_next_entry;
        io->rec = (uint8_t *)malloc(FUZZ_REC_MAX);
        if (!io->rec)
            abort();
    } else {
        io->p = in;
        io->n = len;
    }
}

static inline void fuzz_io_free(struct fuzz_io *io)
{
    free(io->rec);
}

static inline long fuzz_read(void *ctx, uint8_t *buf, size_t len)
{
    struct fuzz_io *io = (struct fuzz_io *)ctx;
    size_t k;
    if (len == 0)
        abort(); /* the engine never asks for nothing */
    if (io->reads == 3 && (io->flip_r ^= 1))
        return DTLS_WANT_READ;
    while (io->off == io->n) {
        int r = io->refill ? io->refill(io) : 0;
        if (r <= 0)
            return r; /* 0: end of stream; DTLS_WANT_READ: let the driver act */
    }
    k = io->n - io->off;
    if (k > len)
        k = len;
    if (io->reads == 1) {
        k = 1;
    } else if (io->reads == 2) {
        io->prng = io->prng * 1103515245u + 12345u;
        if (k > 1 + (io->prng >> 16) % 64)
            k = 1 + (io->prng >> 16) % 64;
    }
    memcpy(buf, io->p + io->off, k);
    io->off += k;
    return (long)k;
}

static inline long fuzz_write(void *ctx, const uint8_t *buf, size_t len)
{
    struct fuzz_io *io = (struct fuzz_io *)ctx;
    if (len == 0)
        abort();
    if (io->reads == 3 && (io->flip_w ^= 1))
        return DTLS_WANT_WRITE;
    if (io->reads == 2) {
        io->prng = io->prng * 1103515245u + 12345u;
        if (len > 1 + (io->prng >> 16) % 200)
            len = 1 + (io->prng >> 16) % 200;
    }
    for (size_t i = 0; i < len; i++)
        io->sum += buf[i];
    return (long)len;
}

/* ---- the application ------------------------------------------------------------------ */

static inline int fuzz_is_want(long rc)
{
    return rc == DTLS_WANT_READ || rc == DTLS_WANT_WRITE;
}

/* A failed connection stays failed with the same code, whatever is called next. */
static inline void fuzz_check_sticky(struct dtls_client *c, int rc)
{
    uint8_t b[4] = { 0 };
    const char *s = dtls_strerror(rc);
    if (!s || !*s)
        abort();
    if (dtls_handshake(c) != rc || dtls_read(c, b, sizeof b) != rc || dtls_write(c, b, sizeof b) != rc ||
        dtls_flush(c) != rc || dtls_close(c) != rc)
        abort();
}

/*
 * Handshake, then write a request, optionally ask for a KeyUpdate, read until the
 * peer closes or fails, and close. act (may be NULL) is called when a read says
 * WANT_READ while more input is pending (fuzz_record.c's client actions). Returns the
 * handshake result.
 */
static inline int fuzz_drive(struct dtls_client *c, const struct fuzz_opts *o, void (*act)(struct dtls_client *, void *),
                      void *act_ctx)
{
    static const uint8_t req[] = "GET / HTTP/1.0\r\n\r\n";
    struct dtls_info info;
    uint8_t *buf;
    long n = 0;
    size_t off = 0;
    int rc = DTLS_WANT_READ, guard;

    for (guard = 0; guard < 1000000 && fuzz_is_want(rc); guard++)
        rc = dtls_handshake(c);
    if (fuzz_is_want(rc))
        abort(); /* no progress in a million calls: a livelock */
    dtls_get_info(c, &info);
    if (rc != DTLS_OK) {
        if (info.version != 0 || rc >= 0)
            abort();
        fuzz_check_sticky(c, rc);
        return rc;
    }
    if (info.version != DTLS_TLS13 || !dtls_cipher_suite_name(info.cipher_suite))
        abort();
    (void)dtls_last_alert(c, DTLS_ALERT_RECEIVED);

    for (guard = 0; guard < 100000 && off < sizeof req - 1; guard++) {
        n = dtls_write(c, req + off, sizeof req - 1 - off);
        if (n > 0) {
            if ((size_t)n > sizeof req - 1 - off)
                abort();
            off += (size_t)n;
        } else if (!fuzz_is_want(n) && n != DTLS_E_BUSY) {
            break;
        }
        if (n == DTLS_E_BUSY)
            break; /* shared buffer holding unread data: read first */
    }
    if (o->key_update)
        for (guard = 0; guard < 1000 && fuzz_is_want(n = dtls_key_update(c, 1)); guard++)
            ;
    buf = NULL;
    for (guard = 0; guard < 1000000; guard++) {
        size_t len = o->read_len; /* (an action may change it: a buffer of exactly that size) */
        free(buf);
        buf = (uint8_t *)malloc(len);
        if (!buf)
            abort();
        n = dtls_read(c, buf, len);
        if (n > 0) {
            if ((size_t)n > len)
                abort();
            (void)dtls_pending(c);
            continue;
        }
        if (fuzz_is_want(n)) {
            if (act)
                act(c, act_ctx);
            continue;
        }
        break;
    }
    free(buf);
    if (n < 0 && n != DTLS_E_BUSY && n != DTLS_E_CLOSED)
        fuzz_check_sticky(c, (int)n);
    for (guard = 0; guard < 1000 && fuzz_is_want(dtls_close(c)); guard++)
        ;
    return DTLS_OK;
}

#endif
