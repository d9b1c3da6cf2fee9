/*
 * Crypto benchmark: each primitive of src/crypto next to OpenSSL's libcrypto
 * (EVP interface), measured in the same process, same run, same inputs.
 * Prints a markdown table on stdout (scripts/bench crypto builds and runs it).
 *
 *   bench_crypto [SECONDS_PER_ITEM_AND_SIDE]      default 0.5 (or $BENCH_TIME)
 *
 * Method: for each item a calibration finds, for each side, a batch size
 * that takes about 1/30 of the budget; then the two sides run in ROUNDS
 * alternating rounds (ours, OpenSSL, ours, OpenSSL, ...) of budget/ROUNDS
 * seconds each, and the best round of each side is kept: alternation makes
 * a burst of load from another process hit both sides alike, and the best
 * round is the least disturbed one. Time is CLOCK_MONOTONIC, or the
 * thread's CPU time with BENCH_CLOCK=cpu (for a busy machine). Bulk items
 * report MB/s (10^6 bytes per second) of payload; the others operations per
 * second.
 *
 * Inputs are the same for both sides: keys are generated once with OpenSSL
 * and exported to our raw formats, so the two libraries verify the same
 * signatures and derive the same secrets (checked before timing; a mismatch
 * prints WRONG instead of a number).
 *
 * Like tests/ct/ct_crypto.c the library functions are weak references: a
 * primitive that is not built yet shows "n/a".
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/ec.h>
#include <openssl/rsa.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/crypto.h>

#include "crypto/aes.h"
#include "crypto/chacha.h"
#include "crypto/curve25519.h"
#include "crypto/ec.h"
#include "crypto/rsa.h"
#include "crypto/sha2.h"

#pragma weak dtls_sha256_init
#pragma weak dtls_sha256_accelerated
#pragma weak dtls_sha256_update
#pragma weak dtls_sha256_final
#pragma weak dtls_sha384_init
#pragma weak dtls_sha384_final
#pragma weak dtls_sha512_update
#pragma weak dtls_hash_sha256
#pragma weak dtls_hash_sha384
#pragma weak dtls_aes_gcm_init
#pragma weak dtls_aes_gcm_init_portable
#pragma weak dtls_aes_gcm_accelerated
#pragma weak dtls_aes_gcm_seal
#pragma weak dtls_chachapoly_init
#pragma weak dtls_chachapoly_seal
#pragma weak dtls_x25519
#pragma weak dtls_x25519_base
#pragma weak dtls_p256_pubkey
#pragma weak dtls_p256_ecdh
#pragma weak dtls_p256_ecdsa_sign
#pragma weak dtls_p256_ecdsa_verify
#pragma weak dtls_p384_ecdsa_verify
#pragma weak dtls_ecdsa_der_to_rs
#pragma weak dtls_ecdsa_rs_to_der
#pragma weak dtls_rsa_pkcs1_verify
#pragma weak dtls_rsa_pss_verify
#pragma weak dtls_rsa_pss_sign
#pragma weak dtls_ed25519_verify
#pragma weak dtls_ed25519_sign
#pragma weak dtls_ed25519_pubkey

static double budget = 0.5;

/* CLOCK_MONOTONIC (wall time); BENCH_CLOCK=cpu selects the thread's CPU
 * time instead, which a busy shared machine disturbs much less. */
static clockid_t bench_clock = CLOCK_MONOTONIC;

static double now(void)
{
    struct timespec ts;
    clock_gettime(bench_clock, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void die(const char *what)
{
    fprintf(stderr, "bench_crypto: %s failed\n", what);
    ERR_print_errors_fp(stderr);
    exit(1);
}

typedef int (*op_fn)(void *st);   /* one operation; non-zero return = failure */

/*
 * Our side of the current item, registered by want()/checked() and measured
 * by both() together with OpenSSL's: the two sides run in alternating rounds
 * (ours, theirs, ours, theirs, ...) so that a burst of load from another
 * process hits both alike and the ratio stays meaningful.
 */
static op_fn pending_fn;
static void *pending_st;

/* Batch size that takes >= budget/30; 0 if an operation failed. */
static unsigned long calibrate(op_fn fn, void *st)
{
    unsigned long batch = 1;
    for (;;) {
        double t0 = now(), t;
        for (unsigned long i = 0; i < batch; i++)
            if (fn(st) != 0)
                return 0;
        t = now() - t0;
        if (t >= budget / 30 || batch >= (1ul << 30))
            return batch;
        batch *= 2;
    }
}

/* One round of budget/ROUNDS seconds: operations per second. */
#define ROUNDS 5
static double round_rate(op_fn fn, void *st, unsigned long batch)
{
    unsigned long ops = 0;
    double start = now(), end;
    do {
        for (unsigned long i = 0; i < batch; i++)
            fn(st);
        ops += batch;
        end = now();
    } while (end - start < budget / ROUNDS);
    return (double)ops / (end - start);
}

/* Register our operation for the next both(); returns 0 ("to be measured"). */
static double want(op_fn fn, void *st)
{
    pending_fn = fn;
    pending_st = st;
    return 0;
}

/* Our result must verify / agree, or the row says WRONG (-1). */
static double checked(int ok, op_fn fn, void *st)
{
    if (!ok)
        return -1;
    return want(fn, st);
}

/*
 * Measure OpenSSL's operation, and ours if one is pending and *ours is 0;
 * best round of each (the best is the least disturbed). Returns OpenSSL's
 * rate and stores ours in *ours (-1: an operation failed).
 */
static double both(double *ours, op_fn fn, void *st)
{
    unsigned long bt = calibrate(fn, st), bo = 0;
    double best_o = 0, best_t = 0, r;
    int run_ours = pending_fn && *ours == 0;
    if (run_ours && (bo = calibrate(pending_fn, pending_st)) == 0) {
        *ours = -1;
        run_ours = 0;
    }
    for (int round = 0; round < ROUNDS; round++) {
        if (run_ours && (r = round_rate(pending_fn, pending_st, bo)) > best_o)
            best_o = r;
        if (bt && (r = round_rate(fn, st, bt)) > best_t)
            best_t = r;
    }
    if (run_ours)
        *ours = best_o;
    pending_fn = NULL;
    pending_st = NULL;
    return bt ? best_t : -1;
}

/* ---------------------------------------------------------------- output */

static void fmt_num(char *out, size_t cap, double v, int bulk)
{
    if (v == -2)
        snprintf(out, cap, "n/a");
    else if (v < 0)
        snprintf(out, cap, "WRONG");
    else if (bulk)
        snprintf(out, cap, "%.1f MB/s", v);
    else if (v >= 1000)
        snprintf(out, cap, "%.1fk/s", v / 1000);
    else
        snprintf(out, cap, "%.0f/s", v);
}

/*
 * goal_kind: 0 none, 1 ratio to OpenSSL >= goal, 2 absolute MB/s >= goal.
 */
static void row(const char *name, const char *size, double ours, double theirs, int bulk,
                int goal_kind, double goal)
{
    char a[32], b[32], r[32], g[64];
    fmt_num(a, sizeof a, ours, bulk);
    fmt_num(b, sizeof b, theirs, bulk);
    if (ours > 0 && theirs > 0)
        snprintf(r, sizeof r, "%.2fx", ours / theirs);
    else
        snprintf(r, sizeof r, "-");
    g[0] = 0;
    if (goal_kind == 1 && ours > 0 && theirs > 0)
        snprintf(g, sizeof g, ">= %.1fx: %s", goal, ours / theirs >= goal ? "met" : "**missed**");
    else if (goal_kind == 2 && ours > 0)
        snprintf(g, sizeof g, ">= %.0f MB/s: %s", goal, ours >= goal ? "met" : "**missed**");
    else if (goal_kind)
        snprintf(g, sizeof g, "-");
    printf("| %s | %s | %s | %s | %s | %s |\n", name, size, a, b, r, g);
    fflush(stdout);
}

/* ---------------------------------------------------------------- bulk */

static uint8_t buf[16384 + 64];
static uint8_t key32[32], nonce12[12], aad5[5], tag16[16];

struct bulk {
    size_t len;
    const EVP_MD *md;
    const EVP_CIPHER *cipher;
    EVP_MD_CTX *mdctx;
    EVP_CIPHER_CTX *cctx;
    dtls_aes_gcm_ctx gcm;
    dtls_chachapoly_ctx cp;
};

static int ours_sha256(void *p)
{
    struct bulk *b = p;
    dtls_sha256_ctx c;
    dtls_sha256_init(&c);
    dtls_sha256_update(&c, buf, b->len);
    dtls_sha256_final(&c, buf + 16384);
    return 0;
}

static int ours_sha384(void *p)
{
    struct bulk *b = p;
    dtls_sha512_ctx c;
    dtls_sha384_init(&c);
    dtls_sha512_update(&c, buf, b->len);
    dtls_sha384_final(&c, buf + 16384);
    return 0;
}

static int ossl_digest(void *p)
{
    struct bulk *b = p;
    unsigned int n;
    if (!EVP_DigestInit_ex(b->mdctx, b->md, NULL) || !EVP_DigestUpdate(b->mdctx, buf, b->len) ||
        !EVP_DigestFinal_ex(b->mdctx, buf + 16384, &n))
        return -1;
    return 0;
}

static int ours_gcm(void *p)
{
    struct bulk *b = p;
    dtls_aes_gcm_seal(&b->gcm, nonce12, aad5, sizeof aad5, buf, b->len, tag16);
    return 0;
}

static int ours_chachapoly(void *p)
{
    struct bulk *b = p;
    dtls_chachapoly_seal(&b->cp, nonce12, aad5, sizeof aad5, buf, b->len, tag16);
    return 0;
}

/* The TLS record shape: new nonce per record, 5-byte AAD, in place, 16-byte tag. */
static int ossl_aead(void *p)
{
    struct bulk *b = p;
    int n;
    if (!EVP_EncryptInit_ex(b->cctx, NULL, NULL, NULL, nonce12) ||
        !EVP_EncryptUpdate(b->cctx, NULL, &n, aad5, sizeof aad5) ||
        !EVP_EncryptUpdate(b->cctx, buf, &n, buf, (int)b->len) ||
        !EVP_EncryptFinal_ex(b->cctx, buf + b->len, &n) ||
        !EVP_CIPHER_CTX_ctrl(b->cctx, EVP_CTRL_AEAD_GET_TAG, 16, tag16))
        return -1;
    return 0;
}

static double to_mbps(double ops, size_t len)
{
    return ops < 0 ? ops : ops * (double)len / 1e6;
}

static void bench_bulk(void)
{
    static const size_t sizes[] = { 16, 1024, 16384 };
    static const char *const size_names[] = { "16 B", "1 KiB", "16 KiB" };
    struct bulk b;
    memset(&b, 0, sizeof b);
    b.mdctx = EVP_MD_CTX_new();
    b.cctx = EVP_CIPHER_CTX_new();
    if (!b.mdctx || !b.cctx)
        die("EVP ctx");

    /* AES-GCM rows: alg 2, 3 what dtls_aes_gcm_init selects on this CPU (AES-NI +
     * PCLMULQDQ where present), alg 5, 6 the portable code. */
    static const int order[] = { 0, 1, 2, 5, 3, 6, 4 };
    int accel = 0;
    if (dtls_aes_gcm_init && dtls_aes_gcm_accelerated) {
        dtls_aes_gcm_ctx t;
        dtls_aes_gcm_init(&t, key32, 16);
        accel = dtls_aes_gcm_accelerated(&t);
    }
    for (int oi = 0; oi < (int)(sizeof order / sizeof order[0]); oi++) {
        int alg = order[oi];
        if (alg >= 5 && (!accel || !dtls_aes_gcm_init_portable))
            continue; /* the selected implementation is the portable one: rows 2, 3 say it */
        for (int s = 0; s < 3; s++) {
            double ours = -2, theirs;
            const char *name;
            int goal_kind = 0;
            double goal = 0;
            b.len = sizes[s];
            switch (alg) {
            case 0:
                name = dtls_sha256_accelerated && dtls_sha256_accelerated() ? "SHA-256 (SHA ext.)" : "SHA-256";
                b.md = EVP_sha256();
                if (dtls_sha256_init)
                    ours = want(ours_sha256, &b);
                theirs = both(&ours, ossl_digest, &b);
                if (s == 2) { goal_kind = 2; goal = 400; }
                break;
            case 1:
                name = "SHA-384";
                b.md = EVP_sha384();
                if (dtls_sha384_init)
                    ours = want(ours_sha384, &b);
                theirs = both(&ours, ossl_digest, &b);
                break;
            case 2:
            case 3:
            case 5:
            case 6: {
                int k128 = alg == 2 || alg == 5, port = alg >= 5;
                if (port)
                    name = k128 ? "AES-128-GCM seal (portable)" : "AES-256-GCM seal (portable)";
                else if (accel)
                    name = k128 ? "AES-128-GCM seal (AES-NI)" : "AES-256-GCM seal (AES-NI)";
                else
                    name = k128 ? "AES-128-GCM seal" : "AES-256-GCM seal";
                b.cipher = k128 ? EVP_aes_128_gcm() : EVP_aes_256_gcm();
                if (!EVP_EncryptInit_ex(b.cctx, b.cipher, NULL, key32, nonce12))
                    die("EVP_EncryptInit_ex gcm");
                if (dtls_aes_gcm_init && dtls_aes_gcm_seal) {
                    if (port)
                        dtls_aes_gcm_init_portable(&b.gcm, key32, k128 ? 16 : 32);
                    else
                        dtls_aes_gcm_init(&b.gcm, key32, k128 ? 16 : 32);
                    ours = want(ours_gcm, &b);
                }
                theirs = both(&ours, ossl_aead, &b);
                /* issue 6: portable >= 100 MB/s, with AES-NI + PCLMULQDQ >= 0.5x OpenSSL */
                if (k128 && s == 2 && (port || !accel)) { goal_kind = 2; goal = 100; }
                else if (k128 && s == 2) { goal_kind = 1; goal = 0.5; }
                break;
            }
            default:
                name = "ChaCha20-Poly1305 seal";
                if (!EVP_EncryptInit_ex(b.cctx, EVP_chacha20_poly1305(), NULL, key32, nonce12))
                    die("EVP_EncryptInit_ex chacha");
                if (dtls_chachapoly_init && dtls_chachapoly_seal) {
                    dtls_chachapoly_init(&b.cp, key32);
                    ours = want(ours_chachapoly, &b);
                }
                theirs = both(&ours, ossl_aead, &b);
                break;
            }
            row(name, size_names[s], to_mbps(ours, b.len), to_mbps(theirs, b.len), 1, goal_kind, goal);
        }
    }
    EVP_MD_CTX_free(b.mdctx);
    EVP_CIPHER_CTX_free(b.cctx);
}

/* Correctness of the bulk paths against OpenSSL on one input, so a fast but
 * wrong implementation cannot show up as a number. */
static int bulk_agrees(void)
{
    uint8_t msg[1000], a[64], b[64], ct1[1000 + 16], ct2[1000 + 16], t[16];
    unsigned int n;
    int l, ok = 1;
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    for (size_t i = 0; i < sizeof msg; i++)
        msg[i] = (uint8_t)(i * 7 + 1);
    if (dtls_sha256_init) {
        dtls_sha256_ctx s;
        dtls_sha256_init(&s);
        dtls_sha256_update(&s, msg, sizeof msg);
        dtls_sha256_final(&s, a);
        EVP_Digest(msg, sizeof msg, b, &n, EVP_sha256(), NULL);
        if (memcmp(a, b, 32)) { fprintf(stderr, "SHA-256 disagrees with OpenSSL\n"); ok = 0; }
    }
    if (dtls_sha384_init) {
        dtls_sha512_ctx s;
        dtls_sha384_init(&s);
        dtls_sha512_update(&s, msg, sizeof msg);
        dtls_sha384_final(&s, a);
        EVP_Digest(msg, sizeof msg, b, &n, EVP_sha384(), NULL);
        if (memcmp(a, b, 48)) { fprintf(stderr, "SHA-384 disagrees with OpenSSL\n"); ok = 0; }
    }
    for (int alg = 0; alg < 5; alg++) { /* 3, 4: AES-GCM again, the portable code */
        const EVP_CIPHER *ci = alg % 3 == 0 ? EVP_aes_128_gcm() : alg % 3 == 1 ? EVP_aes_256_gcm() : EVP_chacha20_poly1305();
        memcpy(ct1, msg, sizeof msg);
        if (alg != 2) {
            dtls_aes_gcm_ctx g;
            if (!dtls_aes_gcm_init || !dtls_aes_gcm_seal || (alg > 2 && !dtls_aes_gcm_init_portable))
                continue;
            if (alg > 2)
                dtls_aes_gcm_init_portable(&g, key32, alg == 3 ? 16 : 32);
            else
                dtls_aes_gcm_init(&g, key32, alg == 0 ? 16 : 32);
            dtls_aes_gcm_seal(&g, nonce12, aad5, 5, ct1, sizeof msg, ct1 + sizeof msg);
        } else {
            dtls_chachapoly_ctx cp;
            if (!dtls_chachapoly_init || !dtls_chachapoly_seal)
                continue;
            dtls_chachapoly_init(&cp, key32);
            dtls_chachapoly_seal(&cp, nonce12, aad5, 5, ct1, sizeof msg, ct1 + sizeof msg);
        }
        EVP_EncryptInit_ex(c, ci, NULL, key32, nonce12);
        EVP_EncryptUpdate(c, NULL, &l, aad5, 5);
        EVP_EncryptUpdate(c, ct2, &l, msg, (int)sizeof msg);
        EVP_EncryptFinal_ex(c, ct2 + l, &l);
        EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, 16, t);
        memcpy(ct2 + sizeof msg, t, 16);
        if (memcmp(ct1, ct2, sizeof ct1)) {
            fprintf(stderr, "AEAD %d disagrees with OpenSSL\n", alg);
            ok = 0;
        }
    }
    EVP_CIPHER_CTX_free(c);
    return ok;
}

/* ---------------------------------------------------------------- public key */

struct pk {
    /* ours */
    uint8_t priv[48], peer[133], pub[133], hash[64], sig[512], msg[64];
    size_t pub_len, sig_len, hash_len;
    uint8_t n[512], e[8];
    size_t n_len, e_len;
    /* OpenSSL */
    EVP_PKEY_CTX *ctx;
    EVP_MD_CTX *mdctx;
    EVP_PKEY *key;
    uint8_t der[600];
    size_t der_len;
    int ed_reinit;
};

static int ours_x25519(void *p)
{
    struct pk *k = p;
    uint8_t z[32];
    return dtls_x25519(z, k->priv, k->peer);
}

static int ours_x25519_base(void *p)
{
    struct pk *k = p;
    dtls_x25519_base(k->pub, k->priv);
    return 0;
}

static int ours_p256_ecdh(void *p)
{
    struct pk *k = p;
    uint8_t z[32];
    return dtls_p256_ecdh(z, k->priv, k->peer, 65);
}

static int ours_p256_pubkey(void *p)
{
    struct pk *k = p;
    return dtls_p256_pubkey(k->pub, k->priv);
}

static int ours_p256_sign(void *p)
{
    struct pk *k = p;
    return dtls_p256_ecdsa_sign(k->sig, k->priv, k->hash, 32);
}

static int ours_p256_verify(void *p)
{
    struct pk *k = p;
    return dtls_p256_ecdsa_verify(k->pub, 65, k->hash, 32, k->sig);
}

static int ours_p384_verify(void *p)
{
    struct pk *k = p;
    return dtls_p384_ecdsa_verify(k->pub, 97, k->hash, 48, k->sig);
}

static int ours_rsa_pkcs1(void *p)
{
    struct pk *k = p;
    return dtls_rsa_pkcs1_verify(k->n, k->n_len, k->e, k->e_len, &dtls_hash_sha256, k->hash, k->sig,
                                 k->sig_len);
}

static int ours_rsa_pss(void *p)
{
    struct pk *k = p;
    return dtls_rsa_pss_verify(k->n, k->n_len, k->e, k->e_len, &dtls_hash_sha256, k->hash, 32, k->sig,
                               k->sig_len);
}

/* RSA-2048 CRT key for signing (the bench's OpenSSL key) */
static struct {
    struct dtls_rsa_private_key k;
    uint8_t p[128], q[128], dp[128], dq[128], qinv[128];
} rsa_priv;

static int ours_rsa_pss_sign(void *p)
{
    struct pk *k = p;
    static const uint8_t salt[32] = {7};
    size_t len = sizeof k->sig;
    return dtls_rsa_pss_sign(&rsa_priv.k, &dtls_hash_sha256, k->hash, salt, 32, k->sig, &len);
}

static int ours_ed25519_verify(void *p)
{
    struct pk *k = p;
    return dtls_ed25519_verify(k->pub, k->msg, sizeof k->msg, k->sig);
}

static int ours_ed25519_sign(void *p)
{
    struct pk *k = p;
    dtls_ed25519_sign(k->sig, k->priv, k->pub, k->msg, sizeof k->msg);
    return 0;
}

static int ossl_derive(void *p)
{
    struct pk *k = p;
    uint8_t z[64];
    size_t zl = sizeof z;
    return EVP_PKEY_derive(k->ctx, z, &zl) == 1 ? 0 : -1;
}

static int ossl_keygen(void *p)
{
    struct pk *k = p;
    EVP_PKEY *key = NULL;
    if (EVP_PKEY_keygen(k->ctx, &key) != 1)
        return -1;
    EVP_PKEY_free(key);
    return 0;
}

static int ossl_sign(void *p)
{
    struct pk *k = p;
    size_t l = sizeof k->der;
    return EVP_PKEY_sign(k->ctx, k->der, &l, k->hash, k->hash_len) == 1 ? 0 : -1;
}

static int ossl_verify(void *p)
{
    struct pk *k = p;
    return EVP_PKEY_verify(k->ctx, k->der, k->der_len, k->hash, k->hash_len) == 1 ? 0 : -1;
}

static int ossl_ed_sign(void *p)
{
    struct pk *k = p;
    size_t l = 64;
    if (k->ed_reinit && EVP_DigestSignInit(k->mdctx, NULL, NULL, NULL, k->key) != 1)
        return -1;
    return EVP_DigestSign(k->mdctx, k->der, &l, k->msg, sizeof k->msg) == 1 ? 0 : -1;
}

static int ossl_ed_verify(void *p)
{
    struct pk *k = p;
    if (k->ed_reinit && EVP_DigestVerifyInit(k->mdctx, NULL, NULL, NULL, k->key) != 1)
        return -1;
    return EVP_DigestVerify(k->mdctx, k->der, 64, k->msg, sizeof k->msg) == 1 ? 0 : -1;
}

static void get_bn(EVP_PKEY *key, const char *param, uint8_t *out, size_t len)
{
    BIGNUM *bn = NULL;
    if (!EVP_PKEY_get_bn_param(key, param, &bn) || BN_bn2binpad(bn, out, (int)len) < 0)
        die(param);
    BN_free(bn);
}

static void get_pub(EVP_PKEY *key, uint8_t *out, size_t cap, size_t *len)
{
    if (!EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, out, cap, len))
        die("get pub");
}


static void bench_x25519(void)
{
    struct pk k;
    EVP_PKEY *a = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
    EVP_PKEY *b = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
    double ours = -2, theirs;
    size_t l = 32;
    uint8_t z1[32], z2[32];
    memset(&k, 0, sizeof k);
    if (!a || !b || !EVP_PKEY_get_raw_private_key(a, k.priv, &l) ||
        !EVP_PKEY_get_raw_public_key(b, k.peer, &l))
        die("x25519 keys");
    k.ctx = EVP_PKEY_CTX_new(a, NULL);
    if (!k.ctx || EVP_PKEY_derive_init(k.ctx) != 1 || EVP_PKEY_derive_set_peer(k.ctx, b) != 1 ||
        EVP_PKEY_derive(k.ctx, z2, &l) != 1)
        die("x25519 derive");
    if (dtls_x25519)
        ours = checked(dtls_x25519(z1, k.priv, k.peer) == 0 && memcmp(z1, z2, 32) == 0, ours_x25519, &k);
    theirs = both(&ours, ossl_derive, &k);
    row("X25519 shared secret", "", ours, theirs, 0, 1, 0.4);
    EVP_PKEY_CTX_free(k.ctx);

    k.ctx = EVP_PKEY_CTX_new_from_name(NULL, "X25519", NULL);
    if (!k.ctx || EVP_PKEY_keygen_init(k.ctx) != 1)
        die("x25519 keygen");
    ours = -2;
    if (dtls_x25519_base)
        ours = want(ours_x25519_base, &k);
    theirs = both(&ours, ossl_keygen, &k);
    row("X25519 key generation", "", ours, theirs, 0, 0, 0);
    EVP_PKEY_CTX_free(k.ctx);
    EVP_PKEY_free(a);
    EVP_PKEY_free(b);
}

static void bench_p256(void)
{
    struct pk k;
    EVP_PKEY *a = EVP_EC_gen("P-256");
    EVP_PKEY *b = EVP_EC_gen("P-256");
    double ours = -2, theirs;
    size_t l;
    uint8_t z1[32], z2[64];
    memset(&k, 0, sizeof k);
    if (!a || !b)
        die("P-256 keys");
    get_bn(a, OSSL_PKEY_PARAM_PRIV_KEY, k.priv, 32);
    get_pub(a, k.pub, sizeof k.pub, &k.pub_len);
    get_pub(b, k.peer, sizeof k.peer, &l);
    if (k.pub_len != 65 || l != 65 || k.pub[0] != 4)
        die("P-256 uncompressed points");
    for (int i = 0; i < 32; i++)
        k.hash[i] = (uint8_t)(i * 13 + 5);
    k.hash_len = 32;

    /* ECDH */
    k.ctx = EVP_PKEY_CTX_new(a, NULL);
    l = sizeof z2;
    if (!k.ctx || EVP_PKEY_derive_init(k.ctx) != 1 || EVP_PKEY_derive_set_peer(k.ctx, b) != 1 ||
        EVP_PKEY_derive(k.ctx, z2, &l) != 1 || l != 32)
        die("P-256 derive");
    if (dtls_p256_ecdh)
        ours = checked(dtls_p256_ecdh(z1, k.priv, k.peer, 65) == 0 && memcmp(z1, z2, 32) == 0,
                       ours_p256_ecdh, &k);
    theirs = both(&ours, ossl_derive, &k);
    row("P-256 ECDH", "", ours, theirs, 0, 1, 0.4);
    EVP_PKEY_CTX_free(k.ctx);

    /* key generation: ours is priv*G; OpenSSL's includes drawing the scalar */
    k.ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    if (!k.ctx || EVP_PKEY_keygen_init(k.ctx) != 1 ||
        EVP_PKEY_CTX_set_group_name(k.ctx, "P-256") != 1)
        die("P-256 keygen");
    ours = -2;
    if (dtls_p256_pubkey) {
        uint8_t pub[65];
        ours = checked(dtls_p256_pubkey(pub, k.priv) == 0 && memcmp(pub, k.pub, 65) == 0,
                       ours_p256_pubkey, &k);
    }
    theirs = both(&ours, ossl_keygen, &k);
    row("P-256 key generation", "", ours, theirs, 0, 0, 0);
    EVP_PKEY_CTX_free(k.ctx);

    /* sign (ours: RFC 6979 nonce; OpenSSL: random nonce), over a given hash */
    k.ctx = EVP_PKEY_CTX_new(a, NULL);
    if (!k.ctx || EVP_PKEY_sign_init(k.ctx) != 1)
        die("P-256 sign init");
    ours = -2;
    if (dtls_p256_ecdsa_sign) {
        int ok = dtls_p256_ecdsa_sign(k.sig, k.priv, k.hash, 32) == 0;
        /* cross-check: OpenSSL verifies our signature */
        if (ok && dtls_ecdsa_rs_to_der) {
            EVP_PKEY_CTX *v = EVP_PKEY_CTX_new(a, NULL);
            uint8_t der[80];
            size_t dl = dtls_ecdsa_rs_to_der(der, sizeof der, k.sig, 32);
            ok = v && EVP_PKEY_verify_init(v) == 1 && EVP_PKEY_verify(v, der, dl, k.hash, 32) == 1;
            EVP_PKEY_CTX_free(v);
        }
        ours = checked(ok, ours_p256_sign, &k);
    }
    theirs = both(&ours, ossl_sign, &k);
    row("P-256 ECDSA sign", "", ours, theirs, 0, 1, 0.4);
    EVP_PKEY_CTX_free(k.ctx);

    /* verify: one OpenSSL signature, verified by both */
    k.ctx = EVP_PKEY_CTX_new(a, NULL);
    k.der_len = sizeof k.der;
    if (!k.ctx || EVP_PKEY_sign_init(k.ctx) != 1 ||
        EVP_PKEY_sign(k.ctx, k.der, &k.der_len, k.hash, 32) != 1 || EVP_PKEY_verify_init(k.ctx) != 1)
        die("P-256 verify setup");
    ours = -2;
    if (dtls_p256_ecdsa_verify && dtls_ecdsa_der_to_rs)
        ours = checked(dtls_ecdsa_der_to_rs(k.sig, 32, k.der, k.der_len) == 0 && ours_p256_verify(&k) == 0,
                       ours_p256_verify, &k);
    theirs = both(&ours, ossl_verify, &k);
    row("P-256 ECDSA verify", "", ours, theirs, 0, 1, 0.4);
    EVP_PKEY_CTX_free(k.ctx);
    EVP_PKEY_free(a);
    EVP_PKEY_free(b);
}

static void bench_p384(void)
{
    struct pk k;
    EVP_PKEY *a = EVP_EC_gen("P-384");
    double ours = -2, theirs;
    memset(&k, 0, sizeof k);
    if (!a)
        die("P-384 key");
    get_pub(a, k.pub, sizeof k.pub, &k.pub_len);
    if (k.pub_len != 97)
        die("P-384 uncompressed point");
    for (int i = 0; i < 48; i++)
        k.hash[i] = (uint8_t)(i * 11 + 3);
    k.hash_len = 48;
    k.ctx = EVP_PKEY_CTX_new(a, NULL);
    k.der_len = sizeof k.der;
    if (!k.ctx || EVP_PKEY_sign_init(k.ctx) != 1 ||
        EVP_PKEY_sign(k.ctx, k.der, &k.der_len, k.hash, 48) != 1 || EVP_PKEY_verify_init(k.ctx) != 1)
        die("P-384 verify setup");
    if (dtls_p384_ecdsa_verify && dtls_ecdsa_der_to_rs)
        ours = checked(dtls_ecdsa_der_to_rs(k.sig, 48, k.der, k.der_len) == 0 && ours_p384_verify(&k) == 0,
                       ours_p384_verify, &k);
    theirs = both(&ours, ossl_verify, &k);
    row("P-384 ECDSA verify", "", ours, theirs, 0, 1, 1.0);
    EVP_PKEY_CTX_free(k.ctx);
    EVP_PKEY_free(a);
}

static void bench_rsa(void)
{
    struct pk k;
    EVP_PKEY *a = EVP_RSA_gen(2048);
    double ours, theirs;
    memset(&k, 0, sizeof k);
    if (!a)
        die("RSA key");
    k.n_len = 256;
    get_bn(a, OSSL_PKEY_PARAM_RSA_N, k.n, 256);
    get_bn(a, OSSL_PKEY_PARAM_RSA_E, k.e, 3);
    k.e_len = 3;
    for (int i = 0; i < 32; i++)
        k.hash[i] = (uint8_t)(i * 17 + 1);
    k.hash_len = 32;

    for (int pss = 0; pss < 2; pss++) {
        k.ctx = EVP_PKEY_CTX_new(a, NULL);
        k.der_len = sizeof k.der;
        if (!k.ctx || EVP_PKEY_sign_init(k.ctx) != 1 ||
            EVP_PKEY_CTX_set_rsa_padding(k.ctx, pss ? RSA_PKCS1_PSS_PADDING : RSA_PKCS1_PADDING) != 1 ||
            EVP_PKEY_CTX_set_signature_md(k.ctx, EVP_sha256()) != 1 ||
            (pss && (EVP_PKEY_CTX_set_rsa_pss_saltlen(k.ctx, 32) != 1 ||
                     EVP_PKEY_CTX_set_rsa_mgf1_md(k.ctx, EVP_sha256()) != 1)) ||
            EVP_PKEY_sign(k.ctx, k.der, &k.der_len, k.hash, 32) != 1)
            die("RSA sign");
        if (EVP_PKEY_verify_init(k.ctx) != 1 ||
            EVP_PKEY_CTX_set_rsa_padding(k.ctx, pss ? RSA_PKCS1_PSS_PADDING : RSA_PKCS1_PADDING) != 1 ||
            EVP_PKEY_CTX_set_signature_md(k.ctx, EVP_sha256()) != 1 ||
            (pss && (EVP_PKEY_CTX_set_rsa_pss_saltlen(k.ctx, 32) != 1 ||
                     EVP_PKEY_CTX_set_rsa_mgf1_md(k.ctx, EVP_sha256()) != 1)))
            die("RSA verify init");
        memcpy(k.sig, k.der, k.der_len);
        k.sig_len = k.der_len;
        ours = -2;
        if (!pss && dtls_rsa_pkcs1_verify && &dtls_hash_sha256)
            ours = checked(ours_rsa_pkcs1(&k) == 0, ours_rsa_pkcs1, &k);
        if (pss && dtls_rsa_pss_verify && &dtls_hash_sha256)
            ours = checked(ours_rsa_pss(&k) == 0, ours_rsa_pss, &k);
        theirs = both(&ours, ossl_verify, &k);
        row(pss ? "RSA-2048 PSS verify" : "RSA-2048 PKCS#1 v1.5 verify", "", ours, theirs, 0, 1, 0.3);
        if (pss) {
            /* sign (client certificates with RSA keys): OpenSSL's context is set up for PSS */
            if (EVP_PKEY_sign_init(k.ctx) != 1 || EVP_PKEY_CTX_set_rsa_padding(k.ctx, RSA_PKCS1_PSS_PADDING) != 1 ||
                EVP_PKEY_CTX_set_signature_md(k.ctx, EVP_sha256()) != 1 ||
                EVP_PKEY_CTX_set_rsa_pss_saltlen(k.ctx, 32) != 1 || EVP_PKEY_CTX_set_rsa_mgf1_md(k.ctx, EVP_sha256()) != 1)
                die("RSA PSS sign init");
            rsa_priv.k.n = k.n, rsa_priv.k.n_len = k.n_len, rsa_priv.k.e = k.e, rsa_priv.k.e_len = k.e_len;
            rsa_priv.k.p = rsa_priv.p, rsa_priv.k.p_len = 128;
            rsa_priv.k.q = rsa_priv.q, rsa_priv.k.q_len = 128;
            rsa_priv.k.dp = rsa_priv.dp, rsa_priv.k.dp_len = 128;
            rsa_priv.k.dq = rsa_priv.dq, rsa_priv.k.dq_len = 128;
            rsa_priv.k.qinv = rsa_priv.qinv, rsa_priv.k.qinv_len = 128;
            get_bn(a, OSSL_PKEY_PARAM_RSA_FACTOR1, rsa_priv.p, 128);
            get_bn(a, OSSL_PKEY_PARAM_RSA_FACTOR2, rsa_priv.q, 128);
            get_bn(a, OSSL_PKEY_PARAM_RSA_EXPONENT1, rsa_priv.dp, 128);
            get_bn(a, OSSL_PKEY_PARAM_RSA_EXPONENT2, rsa_priv.dq, 128);
            get_bn(a, OSSL_PKEY_PARAM_RSA_COEFFICIENT1, rsa_priv.qinv, 128);
            ours = -2;
            if (dtls_rsa_pss_sign && &dtls_hash_sha256)
                ours = checked(ours_rsa_pss_sign(&k) == 0, ours_rsa_pss_sign, &k);
            theirs = both(&ours, ossl_sign, &k);
            row("RSA-2048 PSS sign", "", ours, theirs, 0, 0, 0);
        }
        EVP_PKEY_CTX_free(k.ctx);
    }
    EVP_PKEY_free(a);
}

static void bench_ed25519(void)
{
    struct pk k;
    EVP_PKEY *a = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    double ours = -2, theirs;
    size_t l = 32, sl = 64;
    memset(&k, 0, sizeof k);
    if (!a || !EVP_PKEY_get_raw_private_key(a, k.priv, &l) || !EVP_PKEY_get_raw_public_key(a, k.pub, &l))
        die("Ed25519 key");
    for (int i = 0; i < 64; i++)
        k.msg[i] = (uint8_t)(i * 3);
    k.key = a;
    k.mdctx = EVP_MD_CTX_new();
    /* One-shot EdDSA on a reused context: re-initialise per operation if the
     * context cannot be reused (it can in OpenSSL 3.0, but do not rely on it). */
    if (!k.mdctx || EVP_DigestSignInit(k.mdctx, NULL, NULL, NULL, a) != 1 ||
        EVP_DigestSign(k.mdctx, k.der, &sl, k.msg, sizeof k.msg) != 1)
        die("Ed25519 sign");
    sl = 64;
    if (EVP_DigestSign(k.mdctx, k.der, &sl, k.msg, sizeof k.msg) != 1) {
        ERR_clear_error();
        k.ed_reinit = 1;
    }
    if (dtls_ed25519_sign) {
        uint8_t pub[32];
        int ok = 1;
        if (dtls_ed25519_pubkey) {
            dtls_ed25519_pubkey(pub, k.priv);
            ok = memcmp(pub, k.pub, 32) == 0;
        }
        dtls_ed25519_sign(k.sig, k.priv, k.pub, k.msg, sizeof k.msg);
        ok = ok && memcmp(k.sig, k.der, 64) == 0;   /* Ed25519 is deterministic */
        ours = checked(ok, ours_ed25519_sign, &k);
    }
    theirs = both(&ours, ossl_ed_sign, &k);
    row("Ed25519 sign", "", ours, theirs, 0, 1, 0.4);

    memcpy(k.sig, k.der, 64);
    if (EVP_DigestVerifyInit(k.mdctx, NULL, NULL, NULL, a) != 1 ||
        EVP_DigestVerify(k.mdctx, k.der, 64, k.msg, sizeof k.msg) != 1)
        die("Ed25519 verify");
    k.ed_reinit = EVP_DigestVerify(k.mdctx, k.der, 64, k.msg, sizeof k.msg) != 1;
    ERR_clear_error();
    ours = -2;
    if (dtls_ed25519_verify)
        ours = checked(ours_ed25519_verify(&k) == 0, ours_ed25519_verify, &k);
    theirs = both(&ours, ossl_ed_verify, &k);
    row("Ed25519 verify", "", ours, theirs, 0, 1, 0.4);
    EVP_MD_CTX_free(k.mdctx);
    EVP_PKEY_free(a);
}

int main(int argc, char **argv)
{
    const char *env = getenv("BENCH_TIME");
    const char *clk = getenv("BENCH_CLOCK");
    if (clk && strcmp(clk, "cpu") == 0)
        bench_clock = CLOCK_THREAD_CPUTIME_ID;
    if (argc > 1)
        budget = atof(argv[1]);
    else if (env)
        budget = atof(env);
    if (!(budget > 0.001))
        budget = 0.5;
    for (int i = 0; i < 32; i++)
        key32[i] = (uint8_t)(0xa0 + i);
    for (int i = 0; i < 12; i++)
        nonce12[i] = (uint8_t)i;
    for (int i = 0; i < 5; i++)
        aad5[i] = (uint8_t)(0x17 + i);

    printf("<!-- bench_crypto: %.2f s per item and side, best of %d alternating rounds, %s; %s -->\n", budget, ROUNDS,
           bench_clock == CLOCK_MONOTONIC ? "CLOCK_MONOTONIC" : "CLOCK_THREAD_CPUTIME_ID",
           OpenSSL_version(OPENSSL_VERSION));
    printf("| Primitive | Size | dtls | OpenSSL | dtls/OpenSSL | Goal |\n");
    printf("|---|---|---:|---:|---:|---|\n");
    if (!bulk_agrees())
        printf("<!-- WARNING: a bulk primitive disagrees with OpenSSL; its numbers are meaningless -->\n");
    bench_bulk();
    bench_x25519();
    bench_p256();
    bench_p384();
    bench_rsa();
    bench_ed25519();
    return 0;
}
