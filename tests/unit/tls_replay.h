/*
 * Helpers shared by the TLS engine tests (test_rfc8448.c, test_record.c,
 * test_handshake.c): RFC 8448 trace fields, a scripted in-memory transport, a
 * scripted rng, and an independent (OpenSSL EVP) implementation of TLS 1.3
 * record protection so tests can play the server side.
 *
 *   if (rfc_load() != 0) cr_skip_test("%s", vec_missing_msg());
 *   size_t n; const uint8_t *sh = rfc_get(3, "server", "send handshake record", "complete record", 0, &n);
 *   struct pipe p; pipe_init(&p); pipe_feed(&p, sh, n);
 *   dtls_client_set_io(&c, pipe_read, pipe_write, &p);
 */
#ifndef DTLS_TEST_TLS_REPLAY_H
#define DTLS_TEST_TLS_REPLAY_H

#include <stddef.h>
#include <stdint.h>

#include <dtls/dtls.h>

#include "tls/tls_test.h"

/* ---- RFC 8448 fields ------------------------------------------------------ */

/* 0 when the trace is available, -1 otherwise. */
int rfc_load(void);
/* The nth (0-based) field of section sec whose actor, step (prefix match) and field
 * name match. Aborts the test when absent. The bytes live until the process exits. */
const uint8_t *rfc_get(int sec, const char *actor, const char *step, const char *field, int nth,
                       size_t *len);
/* Server RSA key of RFC 8448 section 2 (hex strings): "modulus", "private exponent"... */
const uint8_t *rfc_rsa(const char *name, size_t *len);
/* The extension block (inside its 2-byte length) of a ClientHello message. */
const uint8_t *ch_extensions(const uint8_t *ch, size_t ch_len, size_t *len);
/* The random of a ClientHello message, its session id (and length). */
const uint8_t *ch_random(const uint8_t *ch);
const uint8_t *ch_session_id(const uint8_t *ch, size_t *len);

/* ---- scripted transport ----------------------------------------------------- */

#define PIPE_CAP (1 << 17)
struct pipe {
    uint8_t in[PIPE_CAP];
    size_t in_len, in_off;   /* bytes waiting for the client */
    uint8_t out[PIPE_CAP];
    size_t out_len;          /* bytes the client wrote */
    size_t rchunk, wchunk;   /* at most this many bytes per call (0: no limit) */
    int eof;                 /* input exhausted: 1 = return 0 (EOF), 0 = WANT_READ */
    int block_writes;        /* > 0: that many write calls return WANT_WRITE first (each time) */
    int wblocked;
    long reads, writes;      /* calls */
    uint64_t seed;           /* != 0: random chunk sizes (1..rchunk/wchunk) and spurious WANT_* */
};
void pipe_init(struct pipe *p);
void pipe_feed(struct pipe *p, const uint8_t *b, size_t n);
long pipe_read(void *ctx, uint8_t *buf, size_t len);
long pipe_write(void *ctx, const uint8_t *buf, size_t len);
/* Take the first n bytes the client wrote (shifting the rest down). */
void pipe_take(struct pipe *p, uint8_t *out, size_t n);

/* ---- config callbacks -------------------------------------------------------- */

struct tctx {
    uint8_t rng[512];
    size_t rng_len, rng_off;
    int64_t now;
    /* a stored ticket */
    int have_ticket;
    struct dtls_session ticket;
    uint8_t ticket_bytes[4096];
    int tickets_stored;
    /* key log */
    char keylog[16][256];
    int nkeylog;
};
void tctx_init(struct tctx *t);
void tctx_rng_add(struct tctx *t, const uint8_t *b, size_t n);
int tctx_rng(void *ctx, uint8_t *out, size_t len);
int64_t tctx_now(void *ctx);
int tctx_session_load(void *ctx, struct dtls_session *s);
void tctx_session_store(void *ctx, const struct dtls_session *s);
void tctx_keylog(void *ctx, const char *line);
/* Fill cfg with the callbacks above (ctx = t), VERIFY_NONE. */
void tctx_config(struct dtls_config *cfg, struct tctx *t);

/* ---- record protection (independent implementation, OpenSSL EVP) -------------- */

struct rkeys {
    int suite;             /* 0x1301, 0x1302 or 0x1303 */
    uint8_t key[32];
    uint8_t iv[12];
    uint64_t seq;
};
/* Keys from trace fields. */
void rkeys_set(struct rkeys *k, int suite, const uint8_t *key, const uint8_t *iv);
/* Seal type || pt || pad zero bytes as a TLS 1.3 record into out; returns its length. */
size_t rec_seal(struct rkeys *k, uint8_t *out, uint8_t type, const uint8_t *pt, size_t len, size_t pad);
/* Seal with an explicit inner plaintext (content type included, e.g. all zeros). */
size_t rec_seal_inner(struct rkeys *k, uint8_t *out, const uint8_t *inner, size_t len);
/* Open a protected record: 0 and type/pt/len (padding removed), or -1. */
int rec_open(struct rkeys *k, const uint8_t *rec, size_t rec_len, uint8_t *type, uint8_t *pt, size_t *len);
/* A plaintext record. */
size_t rec_plain(uint8_t *out, uint8_t type, const uint8_t *pt, size_t len);

/* ---- small asserts ------------------------------------------------------------ */

void expect_bytes(const uint8_t *got, size_t got_len, const uint8_t *want, size_t want_len, const char *what);

/* ---- one client over a scripted transport ---------------------------------------- */

struct run {
    struct tctx t;
    struct dtls_config cfg;
    struct dtls_client c;
    struct pipe p;
    struct dtls_test_seam seam;
    uint8_t rx[20000], tx[20000];
    size_t shared;           /* run_start_native: > 0 = one shared buffer of this size (rx) */
};
/* calloc'd; config = tctx_config + suites {1301, 1303, 1302}, groups {x25519, secp256r1}. */
struct run *run_new(void);
/* Init the client for an RFC 8448 section: rng = the trace's random, session id and
 * x25519 key; ClientHello extensions from the trace (test seam). */
void run_start(struct run *r, int sec);
/* Init the client with its own ClientHello (no seam): rng = section 3's random, a
 * 32-byte session id of 0x5a, section 3's x25519 key. */
void run_start_native(struct run *r);
/* The client must have written exactly this trace record next. */
void expect_sent(struct run *r, int sec, const char *step, int nth, const char *what);
/* Feed a server record of the trace. */
void feed(struct run *r, int sec, const char *step, int nth);
/* The key log line for label must carry this secret. */
void expect_keylog(struct run *r, const char *label, const uint8_t *secret, size_t n);
/* Take the next record the client wrote: its outer type and body (returns the body
 * length, -1 if there is no complete record). */
long take_record(struct run *r, uint8_t *type, uint8_t *body, size_t cap);

/* ---- a scripted TLS 1.3 server (SHA-256 suites; OpenSSL HMAC, RSA-PSS) -------------- */

struct tserver {
    uint16_t suite;
    void *th;                 /* EVP_MD_CTX: the transcript */
    uint8_t hs[32], c_hs[32], s_hs[32], master[32], c_ap[32], s_ap[32];
    struct rkeys shs, chs, sap, cap; /* server/client handshake, server/client application */
};
/* Start with the ClientHello message the client sent. */
void ts_begin(struct tserver *s, uint16_t suite, const uint8_t *ch, size_t ch_len);
void ts_free(struct tserver *s);
void ts_hash(struct tserver *s, const uint8_t *m, size_t n);
/* After the ServerHello was hashed: handshake secrets and keys from the ECDHE secret. */
void ts_handshake_keys(struct tserver *s, const uint8_t ecdhe[32]);
/* The server Finished message (hashed), then the application keys. */
size_t ts_finished(struct tserver *s, uint8_t *out);
/* CertificateVerify (rsa_pss_rsae_sha256) with RFC 8448's server RSA key (hashed). */
size_t ts_cert_verify(struct tserver *s, uint8_t *out);
/* A ServerHello message: the trace's section 3 server random, the echo sid, suite, and
 * an extension block given verbatim. */
size_t ts_server_hello(uint8_t *out, const uint8_t *random, const uint8_t *sid, size_t sid_len,
                       uint16_t suite, const uint8_t *ext, size_t ext_len);
/* An extension: type, body. Appends to out at *len. */
void ext_add(uint8_t *out, size_t *len, uint16_t type, const uint8_t *body, size_t n);
/* KeyUpdate: next application secret and keys of the server (client = 0) or client (1). */
void ts_update(struct tserver *s, int client);
/* The resumption PSK for a ticket nonce (after the client Finished was hashed). */
void ts_ticket_psk(struct tserver *s, const uint8_t *nonce, size_t nonce_len, uint8_t psk[32]);
/* The client's expected Finished verify_data over the current transcript. */
void ts_client_finished(struct tserver *s, uint8_t out[32]);

/* The alert in the client's remaining output: its description, or -1 if there is none.
 * Records are opened with k when it is not NULL (advancing its sequence number). */
int client_alert(struct run *r, struct rkeys *k);

/* ---- a client against the scripted server (RFC 8448 section 3 shares and RSA key) ---- */

struct hs {
    struct run *r;
    struct tserver s;
    uint8_t ch[2048];
    size_t ch_len;
    uint8_t sid[32];
    size_t sid_len;
};
const uint8_t *server_pub(void);
const uint8_t *ecdhe(void);
const uint8_t *server_random(void);
/* Start the client of r (its own ClientHello, run_start_native) and take the ClientHello. */
void hs_start_with(struct hs *h, struct run *r);
void hs_start(struct hs *h);
void hs_end(struct hs *h);
/* supported_versions(TLS 1.3) + key_share(x25519, the trace's server share) */
size_t std_sh_ext(uint8_t *ext);
void send_plain(struct hs *h, uint8_t type, const uint8_t *m, size_t n);
void send_enc(struct hs *h, struct rkeys *k, uint8_t type, const uint8_t *m, size_t n);
/* A ServerHello (std extensions + extra), hashed, keys derived, fed. */
void server_hello_ext(struct hs *h, const uint8_t *extra, size_t extra_len);
void server_hello(struct hs *h);
size_t ee_msg(uint8_t *out, const uint8_t *ext, size_t n);
const uint8_t *trace_cert(size_t *n);
/* EE(ext) + Certificate + CertificateVerify + Finished in one record. */
void server_flight_ee(struct hs *h, const uint8_t *ext, size_t ext_len);
void server_flight(struct hs *h);
/* EE(ext) + CertificateRequest (cr, a whole message) + Certificate + CertificateVerify +
 * Finished in one record. */
void server_flight_cr(struct hs *h, const uint8_t *ext, size_t ext_len, const uint8_t *cr, size_t cr_len);
/* The handshake completes; the client answered the CertificateRequest with an empty
 * Certificate and its Finished (both checked and consumed); client_cert_sent is 0. */
void expect_empty_certificate(struct hs *h);
/* The handshake fails with rc, the client sent alert (under its handshake keys if enc), sticky. */
void expect_fail(struct hs *h, int rc, int alert, int enc);
/* The handshake completes; the client's CCS and Finished are checked and consumed. */
void expect_connected(struct hs *h);

#endif

/* ---- a crypto provider for the RFC 8448 traces --------------------------------- */

/* dtls_crypto_builtin, except that RSA-PSS verification of moduli below 2048 bits
 * (which the library refuses by policy; RFC 8448's server key has 1024) is done by
 * OpenSSL. Larger keys still go to the built-in code. */
const struct dtls_crypto *tls_test_provider(void);
