/*
 * libFuzzer target: the record layer and post-handshake messages, after a
 * completed handshake.
 *
 *   scripts/fuzz record 60
 *
 * A small TLS 1.3 server inside the harness (built from the library's own
 * primitives: X25519, HKDF, the AEADs, ECDSA P-256 signing with the seed
 * PKI's leaf key) answers the client's real ClientHello, so the handshake
 * completes whatever the ClientHello looks like. From then on the input is a
 * list of entries (fuzz_tls.h, "sealed entries"): records the harness seals
 * with the server's current application keys (following the KeyUpdates the
 * client accepts, through its key log), records with a corrupted tag, raw
 * bytes, and client actions between reads (write, KeyUpdate with or without
 * request, close, flush, another read size). So the fuzzer writes plaintext
 * records: NewSessionTicket, KeyUpdate, alerts, data, padding, oversized and
 * zero-length records, handshake messages split or coalesced across records.
 *
 * Input: o[0] bits 0-1 suite (AES-128-GCM, AES-256-GCM, ChaCha20-Poly1305 x2),
 *        bits 2-3 max_fragment (0, 512, 1024, 4096), bit 4 one shared buffer,
 *        bits 5-6 read/write splitting (fuzz_tls.h), bit 7 a KeyUpdate every 3
 *        records (key_update_records = 3);
 *        o[1] read size - 1; then entries. Action entries: (3 | op << 2), arg:
 *        op 0 write arg+1 bytes, 1 KeyUpdate, 2 KeyUpdate asking the peer, 3 close,
 *        4 read size arg+1, 5 flush.
 */
#include "fuzz_tls.h"

#include "crypto/curve25519.h"

/* ---- the in-process server's first flight ------------------------------------------- */

struct mini {
    struct fuzz_io *io;
    uint16_t suite;
    unsigned frag;
    uint8_t ch[2048];        /* the client's first record */
    size_t ch_len;
    uint8_t *flight;
    size_t flight_len;
    int done;
};

static size_t put16(uint8_t *p, size_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
    return 2;
}

static size_t put24(uint8_t *p, size_t v)
{
    p[0] = (uint8_t)(v >> 16);
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)v;
    return 3;
}

/* Find extension type in the ClientHello message m; body and its length, or NULL. */
static const uint8_t *ch_ext(const uint8_t *m, size_t len, uint16_t type, size_t *blen, const uint8_t **sid,
                             size_t *sid_len)
{
    size_t off = 4 + 2 + 32, n;
    if (off + 1 > len)
        abort();
    *sid = m + off + 1;
    *sid_len = m[off];
    off += 1 + m[off];
    n = (size_t)m[off] << 8 | m[off + 1];
    off += 2 + n;                          /* cipher suites */
    off += 1 + m[off];                     /* compression */
    off += 2;                              /* extensions length */
    while (off + 4 <= len) {
        uint16_t t = (uint16_t)(m[off] << 8 | m[off + 1]);
        n = (size_t)m[off + 2] << 8 | m[off + 3];
        if (off + 4 + n > len)
            abort();
        if (t == type) {
            *blen = n;
            return m + off + 4;
        }
        off += 4 + n;
    }
    return NULL;
}

static void th_snapshot(const struct dtls_hash *h, const dtls_hash_ctx *t, uint8_t *out)
{
    dtls_hash_ctx c = *t;
    h->final(&c, out);
}

/* Build SH, CCS and the encrypted EE/Certificate/CertificateVerify/Finished. */
static void mini_flight(struct mini *s)
{
    static const uint8_t scalar[32] = { 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42,
                                        0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42,
                                        0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42 };
    const struct dtls_hash *h = fuzz_suite_hash(s->suite);
    const struct dtls_aead *a;
    size_t hl = h->digest_len, klen, sid_len, mlen, off, n, pos;
    const uint8_t *m = s->ch + 5, *ks, *sid, *mfl;
    uint8_t pub[32], shared[32], zero[48] = { 0 }, empty[48], secret[48], derived[48], hs[48];
    uint8_t c_hs[48], s_hs[48], th[48], fk[48], digest[32], rs[64], der[80], iv[12];
    uint8_t msg[4096];
    dtls_hash_ctx t;
    dtls_aead_ctx aead;

    mlen = s->ch_len - 5;
    if (m[0] != 1)
        abort();
    ks = ch_ext(m, mlen, 51, &klen, &sid, &sid_len);
    /* client_shares: 2-byte list length, then x25519 (0x001d), 32 bytes */
    if (!ks || klen < 2 + 4 + 32 || ks[2] != 0 || ks[3] != 0x1d || ks[5] != 32)
        abort();
    dtls_x25519_base(pub, scalar);
    if (dtls_x25519(shared, scalar, ks + 6) != 0)
        abort();
    mfl = ch_ext(m, mlen, 1, &n, &sid, &sid_len);
    s->frag = mfl && n == 1 ? 256u << mfl[0] : 16384;

    s->flight = (uint8_t *)malloc(16384);
    if (!s->flight)
        abort();
    h->init(&t);
    h->update(&t, m, mlen);

    /* ServerHello, in a plaintext record */
    off = 0;
    msg[off++] = 2;
    off += 3;
    off += put16(msg + off, 0x0303);
    memset(msg + off, 0x5e, 32);
    off += 32;
    msg[off++] = (uint8_t)sid_len;
    memcpy(msg + off, sid, sid_len);
    off += sid_len;
    off += put16(msg + off, s->suite);
    msg[off++] = 0;
    off += put16(msg + off, 6 + 40);
    off += put16(msg + off, 43);
    off += put16(msg + off, 2);
    off += put16(msg + off, 0x0304);
    off += put16(msg + off, 51);
    off += put16(msg + off, 36);
    off += put16(msg + off, 0x001d);
    off += put16(msg + off, 32);
    memcpy(msg + off, pub, 32);
    off += 32;
    put24(msg + 1, off - 4);
    h->update(&t, msg, off);
    pos = 0;
    s->flight[pos++] = 22;
    s->flight[pos++] = 3;
    s->flight[pos++] = 3;
    pos += put16(s->flight + pos, off);
    memcpy(s->flight + pos, msg, off);
    pos += off;
    memcpy(s->flight + pos, "\x14\x03\x03\x00\x01\x01", 6);
    pos += 6;

    /* key schedule (RFC 8446 7.1) */
    {
        dtls_hash_ctx e;
        h->init(&e);
        h->final(&e, empty);
    }
    dtls_hkdf_extract(h, zero, hl, zero, hl, secret);
    dtls_derive_secret(h, secret, "derived", empty, derived);
    dtls_hkdf_extract(h, derived, hl, shared, 32, hs);
    th_snapshot(h, &t, th);
    dtls_derive_secret(h, hs, "c hs traffic", th, c_hs);
    dtls_derive_secret(h, hs, "s hs traffic", th, s_hs);
    (void)c_hs;

    /* EncryptedExtensions (max_fragment_length echoed), Certificate, CertificateVerify, Finished */
    off = 0;
    msg[off++] = 8;
    off += put24(msg + off, mfl ? 2 + 5 : 2);
    off += put16(msg + off, mfl ? 5 : 0);
    if (mfl) {
        off += put16(msg + off, 1);
        off += put16(msg + off, 1);
        msg[off++] = mfl[0];
    }
    msg[off++] = 11;
    off += put24(msg + off, 1 + 3 + 3 + sizeof fuzz_leaf_der + 2);
    msg[off++] = 0;
    off += put24(msg + off, 3 + sizeof fuzz_leaf_der + 2);
    off += put24(msg + off, sizeof fuzz_leaf_der);
    memcpy(msg + off, fuzz_leaf_der, sizeof fuzz_leaf_der);
    off += sizeof fuzz_leaf_der;
    off += put16(msg + off, 0);
    h->update(&t, msg, off);
    {
        uint8_t content[64 + 34 + 48];
        dtls_hash_ctx d;
        size_t dl;
        memset(content, 0x20, 64);
        memcpy(content + 64, "TLS 1.3, server CertificateVerify", 34); /* with its 0 byte */
        th_snapshot(h, &t, content + 98);
        dtls_crypto_builtin.sha256->init(&d);
        dtls_crypto_builtin.sha256->update(&d, content, 98 + hl);
        dtls_crypto_builtin.sha256->final(&d, digest);
        if (dtls_p256_ecdsa_sign(rs, fuzz_leaf_key, digest, 32) != 0)
            abort();
        dl = dtls_ecdsa_rs_to_der(der, sizeof der, rs, 32);
        if (dl == 0)
            abort();
        n = off;
        msg[off++] = 15;
        off += put24(msg + off, 4 + dl);
        off += put16(msg + off, 0x0403);
        off += put16(msg + off, dl);
        memcpy(msg + off, der, dl);
        off += dl;
        h->update(&t, msg + n, off - n);
    }
    (void)dtls_hkdf_expand_label(h, s_hs, "finished", NULL, 0, fk, hl);
    th_snapshot(h, &t, th);
    n = off;
    msg[off++] = 20;
    off += put24(msg + off, hl);
    dtls_hmac(h, fk, hl, th, hl, msg + off);
    off += hl;
    (void)n;

    fuzz_keys(s_hs, s->suite, &aead, &a, iv);
    for (size_t at = 0, seq = 0; at < off; seq++) {
        size_t len = off - at < s->frag ? off - at : s->frag;
        pos += fuzz_seal(&aead, a, iv, seq, 22, msg + at, len, 0, 0, s->flight + pos);
        at += len;
    }
    s->flight_len = pos;
    memset(shared, 0, sizeof shared);
}

/* The client's bytes: the first record is its ClientHello; the rest is ignored. */
static long mini_write(void *ctx, const uint8_t *buf, size_t len)
{
    struct mini *s = (struct mini *)ctx;
    long n = fuzz_write(s->io, buf, len);
    if (n > 0 && !s->done) {
        if (s->ch_len + (size_t)n > sizeof s->ch)
            abort();
        memcpy(s->ch + s->ch_len, buf, (size_t)n);
        s->ch_len += (size_t)n;
        if (s->ch_len >= 5 && s->ch_len >= 5 + (size_t)(s->ch[3] << 8 | s->ch[4])) {
            /* the flight depends only on the ClientHello (and the ClientHello only on
               the options): keep the last few, signing is most of a run's time */
            static struct {
                uint8_t ch[2048], flight[16384];
                size_t ch_len, flight_len;
            } cache[8];
            size_t i;
            s->ch_len = 5 + (size_t)(s->ch[3] << 8 | s->ch[4]);
            for (i = 0; i < 8; i++)
                if (cache[i].ch_len == s->ch_len && memcmp(cache[i].ch, s->ch, s->ch_len) == 0)
                    break;
            if (i < 8) {
                s->flight = (uint8_t *)malloc(cache[i].flight_len);
                if (!s->flight)
                    abort();
                memcpy(s->flight, cache[i].flight, cache[i].flight_len);
                s->flight_len = cache[i].flight_len;
            } else {
                mini_flight(s);
                uint32_t hsh = 2166136261u; /* FNV-1a of the ClientHello picks the slot */
                for (size_t k = 0; k < s->ch_len; k++)
                    hsh = (hsh ^ s->ch[k]) * 16777619u;
                i = hsh % 8;
                memcpy(cache[i].ch, s->ch, s->ch_len);
                cache[i].ch_len = s->ch_len;
                memcpy(cache[i].flight, s->flight, s->flight_len);
                cache[i].flight_len = s->flight_len;
            }
            s->io->p = s->flight;
            s->io->n = s->flight_len;
            s->io->off = 0;
            s->done = 1;
        }
    }
    return n;
}

static long mini_read(void *ctx, uint8_t *buf, size_t len)
{
    struct mini *s = (struct mini *)ctx;
    if (!s->done)
        return s->io->reads ? DTLS_WANT_READ : 0;
    return fuzz_read(s->io, buf, len);
}

/* ---- client actions between reads --------------------------------------------------- */

struct actx {
    struct fuzz_io *io;
    struct fuzz_opts *o;
};

static void act(struct dtls_client *c, void *ctx)
{
    struct actx *x = (struct actx *)ctx;
    struct fuzz_io *io = x->io;
    static const uint8_t data[64] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    const uint8_t *d;
    uint8_t arg;
    long n;
    if (io->in_off >= io->in_len || (io->in[io->in_off] & 3) != 3)
        return;
    d = io->in + io->in_off;
    arg = io->in_len - io->in_off >= 2 ? d[1] : 0;
    io->in_off += io->in_len - io->in_off >= 2 ? 2 : 1;
    switch ((d[0] >> 2) % 6) {
    case 0:
        n = dtls_write(c, data, (size_t)arg % 64 + 1);
        if (n > (long)arg % 64 + 1)
            abort();
        break;
    case 1: (void)dtls_key_update(c, 0); break;
    case 2: (void)dtls_key_update(c, 1); break;
    case 3: (void)dtls_close(c); break;
    case 4: x->o->read_len = (size_t)arg + 1; break;
    default: (void)dtls_flush(c); break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint16_t suites[4] = { DTLS_TLS_AES_128_GCM_SHA256, DTLS_TLS_AES_256_GCM_SHA384,
                                        DTLS_TLS_CHACHA20_POLY1305_SHA256, DTLS_TLS_CHACHA20_POLY1305_SHA256 };
    static const uint16_t mfl[4] = { 0, 512, 1024, 4096 };
    static const uint16_t groups[2] = { DTLS_GROUP_X25519, 0 };
    uint16_t suite_list[2] = { 0, 0 };
    uint8_t op[FUZZ_OPT_BYTES] = { 0 };
    struct fuzz_ctx *f;
    struct dtls_client *c;
    struct dtls_config cfg;
    struct fuzz_bufs b;
    struct fuzz_io io;
    struct mini s;
    struct actx x;
    int rc;

    if (size < 2)
        return 0;
    /* the shared options in fuzz_tls.h's layout: reads, shared buffer, sealed input */
    op[1] = (uint8_t)((data[0] & 0x10 ? 0x04 : 0) | ((data[0] >> 5) & 3) << 3 | 0x40);
    op[2] = data[1];
    op[3] = 1;
    f = (struct fuzz_ctx *)malloc(sizeof *f);
    c = (struct dtls_client *)malloc(sizeof *c);
    if (!f || !c)
        abort();
    fuzz_ctx_init(f, op);
    f->o.max_fragment = mfl[(data[0] >> 2) & 3];
    suite_list[0] = suites[data[0] & 3];
    fuzz_config(&cfg, f);
    cfg.suites = suite_list;
    cfg.groups = groups;
    cfg.key_update_records = data[0] & 0x80 ? 3 : 0;
    fuzz_bufs_alloc(&b, &f->o);
    fuzz_io_init(&io, f, c, data + 2, size - 2);
    io.actions = 1;
    memset(&s, 0, sizeof s);
    s.io = &io;
    s.suite = suite_list[0];
    x.io = &io;
    x.o = &f->o;

    if (dtls_client_init(c, &cfg, b.rx, b.rx_len, b.tx, b.tx_len) != DTLS_OK)
        abort();
    dtls_client_set_io(c, mini_read, mini_write, &s);
    rc = fuzz_drive(c, &f->o, act, &x);
    if (rc != DTLS_OK)
        abort(); /* the in-process server must always complete the handshake */
    fuzz_io_free(&io);
    free(s.flight);
    fuzz_bufs_free(&b);
    free(c);
    free(f);
    return 0;
}
