/*
 * Record-layer benchmark: MB/s of application data through dtls_write and
 * dtls_read at 16 KiB records, next to OpenSSL's libssl (SSL_write/SSL_read)
 * and OpenSSL's bare AEAD (EVP, the same seal/open with a 5-byte AAD and no
 * record layer), for TLS_AES_128_GCM_SHA256 and TLS_CHACHA20_POLY1305_SHA256.
 * Prints a markdown table (scripts/bench records builds and runs it).
 *
 *   bench_records CERT.pem KEY.pem [SECONDS_PER_ITEM_AND_SIDE]   default 0.5 (or $BENCH_TIME)
 *
 * Everything runs in this process over memory: each client (dtls, or an
 * OpenSSL client) completes a real handshake with an OpenSSL server through
 * byte pipes, then
 *  - write: the client writes 16384-byte records; the bytes go to a sink
 *    that only counts them (the first records are checked: the OpenSSL
 *    server must decrypt them to what was written);
 *  - read: the OpenSSL server writes a batch of 64 records into a pipe
 *    (not timed), and the client reads them back (timed, the client's copy
 *    out of the pipe included for both libraries).
 * The clock runs only around the client's calls. Like bench_crypto, each
 * item is measured in ROUNDS alternating rounds (dtls, OpenSSL, dtls, ...)
 * and the best round of each side is kept; BENCH_CLOCK=cpu uses the
 * thread's CPU time instead of CLOCK_MONOTONIC. The dtls client uses
 * dtls_crypto_builtin (AES-NI where the CPU has it) and, for one extra AES
 * row, dtls_crypto_portable.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>

#include <dtls/dtls.h>

#include "crypto/aes.h"

#define REC 16384
#define BATCH 64
#define ROUNDS 5

static double budget = 0.5;
static clockid_t bench_clock = CLOCK_MONOTONIC;

static double now(void)
{
    struct timespec ts;
    clock_gettime(bench_clock, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void die(const char *what)
{
    fprintf(stderr, "bench_records: %s\n", what);
    ERR_print_errors_fp(stderr);
    exit(1);
}

/* ---- a byte pipe ----------------------------------------------------------- */

struct pipe {
    uint8_t *buf;
    size_t cap, head, tail; /* bytes [head, tail) are pending */
    int sink;               /* 1: writes are counted and dropped */
    size_t dropped;
};

static void pipe_put(struct pipe *p, const uint8_t *d, size_t n)
{
    if (p->sink) {
        p->dropped += n;
        return;
    }
    if (p->head == p->tail)
        p->head = p->tail = 0;
    if (p->tail + n > p->cap) {
        if (p->head > 0) {
            memmove(p->buf, p->buf + p->head, p->tail - p->head);
            p->tail -= p->head;
            p->head = 0;
        }
        if (p->tail + n > p->cap) {
            p->cap = (p->tail + n) * 2;
            p->buf = realloc(p->buf, p->cap);
            if (!p->buf)
                die("out of memory");
        }
    }
    memcpy(p->buf + p->tail, d, n);
    p->tail += n;
}

static size_t pipe_get(struct pipe *p, uint8_t *d, size_t n)
{
    size_t have = p->tail - p->head;
    if (n > have)
        n = have;
    memcpy(d, p->buf + p->head, n);
    p->head += n;
    return n;
}

/* BIO <-> pipe */
static void bio_to_pipe(BIO *b, struct pipe *p)
{
    uint8_t tmp[16384];
    int n;
    while ((n = BIO_read(b, tmp, sizeof tmp)) > 0)
        pipe_put(p, tmp, (size_t)n);
}

static void pipe_to_bio(struct pipe *p, BIO *b)
{
    uint8_t tmp[16384];
    size_t n;
    while ((n = pipe_get(p, tmp, sizeof tmp)) > 0)
        if (BIO_write(b, tmp, (int)n) != (int)n)
            die("BIO_write");
}

/* ---- the OpenSSL server ------------------------------------------------------ */

static const char *cert_file, *key_file;

struct server {
    SSL *ssl;
    BIO *rbio, *wbio; /* what the server reads / writes */
};

static void server_new(struct server *s, const char *suite)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx || !SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) || !SSL_CTX_set_ciphersuites(ctx, suite) ||
        SSL_CTX_use_certificate_chain_file(ctx, cert_file) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, key_file, SSL_FILETYPE_PEM) != 1 || !SSL_CTX_set_num_tickets(ctx, 0))
        die("server context");
    s->ssl = SSL_new(ctx);
    SSL_CTX_free(ctx);
    s->rbio = BIO_new(BIO_s_mem());
    s->wbio = BIO_new(BIO_s_mem());
    if (!s->ssl || !s->rbio || !s->wbio)
        die("server");
    SSL_set_bio(s->ssl, s->rbio, s->wbio);
    SSL_set_accept_state(s->ssl);
}

/* The server sends n records of REC bytes into p (not timed). */
static void server_send(struct server *s, struct pipe *p, const uint8_t *data, int n)
{
    for (int i = 0; i < n; i++)
        if (SSL_write(s->ssl, data, REC) != REC)
            die("server SSL_write");
    bio_to_pipe(s->wbio, p);
}

/* ---- the dtls client ----------------------------------------------------------- */

struct dclient {
    struct dtls_client c;
    struct dtls_config cfg;
    uint16_t suites[2];
    uint8_t rx[DTLS_RX_BUFFER_SIZE(0)], tx[DTLS_TX_BUFFER_SIZE(0)];
    struct pipe in, out; /* from the server / to the server */
};

static long d_read(void *ctx, uint8_t *buf, size_t len)
{
    struct dclient *d = ctx;
    size_t n = pipe_get(&d->in, buf, len);
    return n ? (long)n : DTLS_WANT_READ;
}

static long d_write(void *ctx, const uint8_t *buf, size_t len)
{
    struct dclient *d = ctx;
    pipe_put(&d->out, buf, len);
    return (long)len;
}

static int d_rng(void *ctx, uint8_t *out, size_t len)
{
    (void)ctx;
    for (size_t i = 0; i < len; i++)
        out[i] = (uint8_t)rand();
    return 0;
}

static int64_t d_now(void *ctx)
{
    (void)ctx;
    return (int64_t)time(NULL);
}

static void dclient_connect(struct dclient *d, struct server *s, uint16_t suite, const struct dtls_crypto *cr)
{
    int rc;
    memset(d, 0, sizeof *d);
    d->suites[0] = suite;
    d->cfg.server_name = "localhost";
    d->cfg.verify = DTLS_VERIFY_NONE; /* the record layer is what is measured */
    d->cfg.rng = d_rng;
    d->cfg.now = d_now;
    d->cfg.suites = d->suites;
    d->cfg.crypto = cr;
    if (dtls_client_init(&d->c, &d->cfg, d->rx, sizeof d->rx, d->tx, sizeof d->tx) != DTLS_OK)
        die("dtls_client_init");
    dtls_client_set_io(&d->c, d_read, d_write, d);
    for (int i = 0; i < 100; i++) {
        rc = dtls_handshake(&d->c);
        pipe_to_bio(&d->out, s->rbio);
        SSL_do_handshake(s->ssl);
        bio_to_pipe(s->wbio, &d->in);
        if (rc == DTLS_OK && SSL_is_init_finished(s->ssl))
            return;
        if (rc < 0 && rc != DTLS_WANT_READ && rc != DTLS_WANT_WRITE) {
            fprintf(stderr, "dtls handshake: %s\n", dtls_strerror(rc));
            die("dtls handshake");
        }
    }
    die("dtls handshake did not finish");
}

/* ---- the OpenSSL client ------------------------------------------------------------- */

struct oclient {
    SSL *ssl;
    BIO *rbio, *wbio;
};

static void oclient_connect(struct oclient *o, struct server *s, const char *suite)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    struct pipe t = { 0 };
    if (!ctx || !SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) || !SSL_CTX_set_ciphersuites(ctx, suite))
        die("client context");
    o->ssl = SSL_new(ctx);
    SSL_CTX_free(ctx);
    o->rbio = BIO_new(BIO_s_mem());
    o->wbio = BIO_new(BIO_s_mem());
    SSL_set_bio(o->ssl, o->rbio, o->wbio);
    SSL_set_connect_state(o->ssl);
    for (int i = 0; i < 100; i++) {
        int rc = SSL_do_handshake(o->ssl);
        bio_to_pipe(o->wbio, &t);
        pipe_to_bio(&t, s->rbio);
        SSL_do_handshake(s->ssl);
        bio_to_pipe(s->wbio, &t);
        pipe_to_bio(&t, o->rbio);
        if (rc == 1 && SSL_is_init_finished(s->ssl)) {
            free(t.buf);
            return;
        }
    }
    die("OpenSSL handshake did not finish");
}

/* ---- the measurements ------------------------------------------------------------- */

static uint8_t data[REC], got[REC];

/* One timed round of writes: MB/s. */
static double d_write_round(struct dclient *d)
{
    double t = 0, start = now(), t0;
    size_t bytes = 0;
    d->out.sink = 1;
    do {
        t0 = now();
        for (int i = 0; i < BATCH; i++) {
            if (dtls_write(&d->c, data, REC) != REC || dtls_flush(&d->c) != DTLS_OK)
                die("dtls_write");
        }
        t += now() - t0;
        bytes += (size_t)BATCH * REC;
    } while (now() - start < budget / ROUNDS);
    return (double)bytes / t / 1e6;
}

static double o_write_round(struct oclient *o)
{
    double t = 0, start = now(), t0;
    size_t bytes = 0;
    do {
        t0 = now();
        for (int i = 0; i < BATCH; i++)
            if (SSL_write(o->ssl, data, REC) != REC)
                die("SSL_write");
        t += now() - t0;
        bytes += (size_t)BATCH * REC;
        (void)BIO_reset(o->wbio); /* drop what was written (not timed) */
    } while (now() - start < budget / ROUNDS);
    return (double)bytes / t / 1e6;
}

static double d_read_round(struct dclient *d, struct server *s)
{
    double t = 0, start = now(), t0;
    size_t bytes = 0;
    do {
        server_send(s, &d->in, data, BATCH);
        t0 = now();
        for (int i = 0; i < BATCH; i++) {
            size_t have = 0;
            while (have < REC) {
                long n = dtls_read(&d->c, got + have, REC - have);
                if (n <= 0)
                    die("dtls_read");
                have += (size_t)n;
            }
        }
        t += now() - t0;
        bytes += (size_t)BATCH * REC;
    } while (now() - start < budget / ROUNDS);
    return (double)bytes / t / 1e6;
}

static double o_read_round(struct oclient *o, struct server *s)
{
    double t = 0, start = now(), t0;
    size_t bytes = 0;
    struct pipe p = { 0 };
    do {
        server_send(s, &p, data, BATCH);
        pipe_to_bio(&p, o->rbio);
        t0 = now();
        for (int i = 0; i < BATCH; i++) {
            int have = 0;
            while (have < REC) {
                int n = SSL_read(o->ssl, got + have, REC - have);
                if (n <= 0)
                    die("SSL_read");
                have += n;
            }
        }
        t += now() - t0;
        bytes += (size_t)BATCH * REC;
    } while (now() - start < budget / ROUNDS);
    free(p.buf);
    return (double)bytes / t / 1e6;
}

/* OpenSSL's bare AEAD at the record shape: one round, MB/s. */
static double evp_round(const EVP_CIPHER *ci, int enc)
{
    static uint8_t key[32], nonce[12], aad[5], tag[16], buf[REC];
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    double start = now(), t;
    size_t bytes = 0;
    int n;
    if (!c || !EVP_CipherInit_ex(c, ci, NULL, key, nonce, enc))
        die("EVP init");
    if (!enc) { /* a valid tag for buf under nonce, so every open succeeds */
        EVP_CIPHER_CTX *e = EVP_CIPHER_CTX_new();
        uint8_t ct[REC];
        EVP_EncryptInit_ex(e, ci, NULL, key, nonce);
        EVP_EncryptUpdate(e, NULL, &n, aad, sizeof aad);
        EVP_EncryptUpdate(e, ct, &n, buf, REC);
        EVP_EncryptFinal_ex(e, ct, &n);
        EVP_CIPHER_CTX_ctrl(e, EVP_CTRL_AEAD_GET_TAG, 16, tag);
        EVP_CIPHER_CTX_free(e);
        memcpy(buf, ct, REC);
    }
    do {
        for (int i = 0; i < BATCH; i++) {
            if (!EVP_CipherInit_ex(c, NULL, NULL, NULL, nonce, enc))
                die("EVP");
            if (!enc)
                EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, 16, tag);
            uint8_t out[REC];
            if (!EVP_CipherUpdate(c, NULL, &n, aad, sizeof aad) || !EVP_CipherUpdate(c, out, &n, buf, REC) ||
                EVP_CipherFinal_ex(c, out, &n) != 1)
                die("EVP seal/open");
            if (enc)
                EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, 16, tag);
        }
        bytes += (size_t)BATCH * REC;
        t = now() - start;
    } while (t < budget / ROUNDS);
    EVP_CIPHER_CTX_free(c);
    return (double)bytes / t / 1e6;
}

/* The first records dtls writes must decrypt to what was written. */
static void check_dtls_write(struct dclient *d, struct server *s)
{
    uint8_t back[REC];
    int have = 0;
    if (dtls_write(&d->c, data, REC) != REC || dtls_flush(&d->c) != DTLS_OK)
        die("dtls_write (check)");
    pipe_to_bio(&d->out, s->rbio);
    while (have < REC) {
        int n = SSL_read(s->ssl, back + have, REC - have);
        if (n <= 0)
            die("the OpenSSL server cannot read dtls's record");
        have += n;
    }
    if (memcmp(back, data, REC) != 0)
        die("the OpenSSL server reads something else than dtls wrote");
}

static void row(const char *suite, const char *dir, double ours, double lib, double evp)
{
    printf("| %s | %s | %.0f MB/s | %.0f MB/s | %.2fx | %.0f MB/s | %.2fx |\n", suite, dir, ours, lib, ours / lib,
           evp, ours / evp);
    fflush(stdout);
}

static void bench_suite(const char *label, const char *ossl_name, uint16_t code, const EVP_CIPHER *ci,
                        const struct dtls_crypto *cr)
{
    static struct dclient d;
    struct server sd, so;
    struct oclient o;
    double bw_d = 0, bw_o = 0, br_d = 0, br_o = 0, r;

    server_new(&sd, ossl_name);
    dclient_connect(&d, &sd, code, cr);
    check_dtls_write(&d, &sd);
    server_new(&so, ossl_name);
    oclient_connect(&o, &so, ossl_name);

    for (int i = 0; i < ROUNDS; i++) {
        if ((r = d_write_round(&d)) > bw_d)
            bw_d = r;
        if ((r = o_write_round(&o)) > bw_o)
            bw_o = r;
    }
    double ew = 0, er = 0;
    for (int i = 0; i < ROUNDS; i++) {
        if ((r = evp_round(ci, 1)) > ew)
            ew = r;
    }
    row(label, "write (seal)", bw_d, bw_o, ew);
    for (int i = 0; i < ROUNDS; i++) {
        if ((r = d_read_round(&d, &sd)) > br_d)
            br_d = r;
        if ((r = o_read_round(&o, &so)) > br_o)
            br_o = r;
    }
    for (int i = 0; i < ROUNDS; i++) {
        if ((r = evp_round(ci, 0)) > er)
            er = r;
    }
    row(label, "read (open)", br_d, br_o, er);
    SSL_free(sd.ssl);
    SSL_free(so.ssl);
    SSL_free(o.ssl);
    free(d.in.buf);
    free(d.out.buf);
}

int main(int argc, char **argv)
{
    const char *env = getenv("BENCH_TIME");
    if (argc < 3) {
        fprintf(stderr, "usage: bench_records CERT.pem KEY.pem [SECONDS]\n");
        return 2;
    }
    cert_file = argv[1];
    key_file = argv[2];
    if (argc > 3)
        budget = atof(argv[3]);
    else if (env)
        budget = atof(env);
    if (getenv("BENCH_CLOCK") && strcmp(getenv("BENCH_CLOCK"), "cpu") == 0)
        bench_clock = CLOCK_THREAD_CPUTIME_ID;
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i * 31 + 7);

    dtls_aes_gcm_ctx probe;
    static const uint8_t k16[16];
    dtls_aes_gcm_init(&probe, k16, 16);
    int accel = dtls_aes_gcm_accelerated(&probe);

    printf("<!-- bench_records: %.2f s per item and side, best of %d alternating rounds, %s; %s -->\n", budget,
           ROUNDS, bench_clock == CLOCK_MONOTONIC ? "CLOCK_MONOTONIC" : "CLOCK_THREAD_CPUTIME_ID",
           OpenSSL_version(OPENSSL_VERSION));
    printf("| Cipher suite | Direction | dtls | OpenSSL libssl | dtls/libssl | OpenSSL EVP | dtls/EVP |\n");
    printf("|---|---|---:|---:|---:|---:|---:|\n");
    bench_suite(accel ? "TLS_AES_128_GCM_SHA256 (AES-NI)" : "TLS_AES_128_GCM_SHA256", "TLS_AES_128_GCM_SHA256",
                DTLS_TLS_AES_128_GCM_SHA256, EVP_aes_128_gcm(), &dtls_crypto_builtin);
    if (accel)
        bench_suite("TLS_AES_128_GCM_SHA256 (portable)", "TLS_AES_128_GCM_SHA256", DTLS_TLS_AES_128_GCM_SHA256,
                    EVP_aes_128_gcm(), &dtls_crypto_portable);
    bench_suite("TLS_CHACHA20_POLY1305_SHA256", "TLS_CHACHA20_POLY1305_SHA256", DTLS_TLS_CHACHA20_POLY1305_SHA256,
                EVP_chacha20_poly1305(), &dtls_crypto_builtin);
    return 0;
}
