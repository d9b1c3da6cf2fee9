/*
 * RFC 8448 replayed through the real engine, byte for byte.
 *
 * The client side is driven by a deterministic rng that returns the trace's
 * client random (and session id, section 7) and ephemeral private keys; the
 * ClientHello extension blocks come from the trace through the internal test
 * seam (src/tls/tls_test.h), since the trace offers extensions this client
 * does not send. Everything the server sent goes through the engine
 * unchanged, and everything the client sends must equal the trace: the
 * ClientHellos (section 4 with the PSK binder recomputed by the engine),
 * Finished, application data and close_notify records.
 *
 * The server's certificate is self-signed and from 2016, so chain validation
 * runs with DTLS_VERIFY_NONE; its CertificateVerify (rsa_pss_rsae_sha256) is
 * still verified (a test below flips one bit of it).
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>

#include <dtls/dtls.h>
#include <dtls/x509.h>

#include "tls/tls_test.h"
#include "tls_replay.h"
#include "vectors.h"

static const uint16_t suites[] = { 0x1301, 0x1303, 0x1302, 0 };
static const uint16_t groups[] = { DTLS_GROUP_X25519, DTLS_GROUP_SECP256R1, 0 };

/* Application data both ways, then close_notify both ways. */
static void app_and_close(struct run *r, int sec, int nst, int app_nth)
{
    size_t n, sn;
    const uint8_t *payload = rfc_get(sec, "client", "send application_data record", "payload", app_nth, &n);
    const uint8_t *spayload = rfc_get(sec, "server", "send application_data record", "payload", 0, &sn);
    uint8_t buf[256];
    long got;

    cr_assert_eq(dtls_write(&r->c, payload, n), (long)n);
    expect_sent(r, sec, "send application_data record", app_nth, "client application data record");

    if (nst)
        feed(r, sec, "send handshake record", 2); /* NewSessionTicket */
    feed(r, sec, "send application_data record", 0);
    got = dtls_read(&r->c, buf, sizeof buf);
    cr_assert_eq(got, (long)sn, "dtls_read returned %ld", got);
    expect_bytes(buf, sn, spayload, sn, "server application data");

    cr_assert_eq(dtls_close(&r->c), DTLS_OK);
    expect_sent(r, sec, "send alert record", 0, "client close_notify record");
    feed(r, sec, "send alert record", 0);
    cr_assert_eq(dtls_read(&r->c, buf, sizeof buf), 0);
    cr_assert_eq(dtls_last_alert(&r->c, DTLS_ALERT_RECEIVED), 0);
    cr_assert_eq(r->p.out_len, 0);
}

/* Section 3 up to the established connection; returns the run (for section 4). */
static struct run *section3(int with_app)
{
    struct run *r = run_new();
    struct dtls_info info;
    size_t n;

    run_start(r, 3);
    cr_assert_eq(dtls_handshake(&r->c), DTLS_WANT_READ);
    expect_sent(r, 3, "send handshake record", 0, "ClientHello record");

    feed(r, 3, "send handshake record", 0); /* ServerHello */
    feed(r, 3, "send handshake record", 1); /* EE, Certificate, CertificateVerify, Finished */
    cr_assert_eq(dtls_handshake(&r->c), DTLS_OK);
    expect_sent(r, 3, "send handshake record", 1, "client Finished record");

    dtls_get_info(&r->c, &info);
    cr_assert_eq(info.version, DTLS_TLS13);
    cr_assert_eq(info.cipher_suite, DTLS_TLS_AES_128_GCM_SHA256);
    cr_assert_eq(info.group, DTLS_GROUP_X25519);
    cr_assert_eq(info.signature_scheme, DTLS_SIG_RSA_PSS_RSAE_SHA256);
    cr_assert_eq(info.chain_length, 1);
    cr_assert_eq(info.hello_retry, 0);
    cr_assert_eq(info.resumed, 0);
    cr_assert_eq(info.alpn, NULL);
    /* the server answered record_size_limit 0x4001 to the trace's offer */
    cr_assert_eq(info.peer_record_limit, 16384);

    { const uint8_t *sec_ = rfc_get(3, "server", "derive secret \"tls13 c hs traffic\"", "expanded", 0, &n); expect_keylog(r, "CLIENT_HANDSHAKE_TRAFFIC_SECRET", sec_, n); }
    { const uint8_t *sec_ = rfc_get(3, "server", "derive secret \"tls13 s hs traffic\"", "expanded", 0, &n); expect_keylog(r, "SERVER_HANDSHAKE_TRAFFIC_SECRET", sec_, n); }
    { const uint8_t *sec_ = rfc_get(3, "server", "derive secret \"tls13 c ap traffic\"", "expanded", 0, &n); expect_keylog(r, "CLIENT_TRAFFIC_SECRET_0", sec_, n); }
    { const uint8_t *sec_ = rfc_get(3, "server", "derive secret \"tls13 s ap traffic\"", "expanded", 0, &n); expect_keylog(r, "SERVER_TRAFFIC_SECRET_0", sec_, n); }

    if (with_app) {
        app_and_close(r, 3, 1, 0);
        cr_assert_eq(r->t.tickets_stored, 1);
    } else {
        /* just take the ticket */
        uint8_t buf[16];
        feed(r, 3, "send handshake record", 2);
        cr_assert_eq(dtls_read(&r->c, buf, sizeof buf), DTLS_WANT_READ);
        cr_assert_eq(r->t.tickets_stored, 1);
    }
    return r;
}

Test(rfc8448, section3_simple_1rtt)
{
    if (rfc_load() != 0)
        cr_skip_test("%s", vec_missing_msg());
    struct run *r = section3(1);
    const uint8_t *nst;
    size_t n;
    /* the ticket handed to the store callback is the one in the trace */
    nst = rfc_get(3, "server", "construct a NewSessionTicket", "NewSessionTicket", 0, &n);
    cr_assert_eq(r->t.ticket.lifetime, 0x1e);
    cr_assert_eq(r->t.ticket.suite, DTLS_TLS_AES_128_GCM_SHA256);
    cr_assert_eq(r->t.ticket.ticket_len, 0xb2);
    cr_assert(memcmp(r->t.ticket_bytes, nst + 4 + 4 + 4 + 1 + 2 + 2, 0xb2) == 0);
    /* PSK = HKDF-Expand-Label(res_master, "resumption", nonce 00 00) */
    const uint8_t *psk = rfc_get(3, "server", "generate resumption secret", "expanded", 0, &n);
    expect_bytes(r->t.ticket.psk, r->t.ticket.psk_len, psk, n, "resumption PSK");
    free(r);
    vec_report("rfc8448 section 3 records", 8, 0);
}

Test(rfc8448, section3_byte_at_a_time)
{
    /* the same exchange with 1-byte reads, 1-byte writes and WANT_WRITE before each write */
    if (rfc_load() != 0)
        cr_skip_test("%s", vec_missing_msg());
    struct run *r = run_new();
    int rc, spins = 0;
    run_start(r, 3);
    r->p.rchunk = 1;
    r->p.wchunk = 1;
    r->p.block_writes = 1;
    feed(r, 3, "send handshake record", 0);
    feed(r, 3, "send handshake record", 1);
    while ((rc = dtls_handshake(&r->c)) == DTLS_WANT_WRITE || rc == DTLS_WANT_READ) {
        cr_assert(++spins < 100000, "no progress");
        if (rc == DTLS_WANT_READ && r->p.in_off == r->p.in_len)
            cr_assert_fail("engine wants more input than the trace has");
    }
    cr_assert_eq(rc, DTLS_OK, "rc %d %s", rc, dtls_strerror(rc));
    /* the client's flush can complete after OK is returned only via dtls_flush */
    while ((rc = dtls_flush(&r->c)) == DTLS_WANT_WRITE)
        ;
    cr_assert_eq(rc, DTLS_OK);
    expect_sent(r, 3, "send handshake record", 0, "ClientHello record");
    expect_sent(r, 3, "send handshake record", 1, "client Finished record");
    free(r);
}

Test(rfc8448, section3_one_shared_buffer)
{
    /* rx == tx: one buffer for both directions */
    if (rfc_load() != 0)
        cr_skip_test("%s", vec_missing_msg());
    struct run *r = run_new();
    size_t chl, sidl, n;
    static uint8_t buf[4096];
    const uint8_t *ch = rfc_get(3, "client", "construct a ClientHello", "ClientHello", 0, &chl);
    (void)ch_session_id(ch, &sidl);
    tctx_rng_add(&r->t, ch_random(ch), 32);
    const uint8_t *priv = rfc_get(3, "client", "create an ephemeral x25519", "private key", 0, &n);
    tctx_rng_add(&r->t, priv, n);
    r->seam.ext[0] = ch_extensions(ch, chl, &r->seam.ext_len[0]);
    cr_assert_eq(dtls_client_init(&r->c, &r->cfg, buf, sizeof buf, buf, sizeof buf), DTLS_OK);
    dtls_test_set_seam(&r->c, &r->seam);
    dtls_client_set_io(&r->c, pipe_read, pipe_write, &r->p);
    cr_assert_eq(dtls_handshake(&r->c), DTLS_WANT_READ);
    expect_sent(r, 3, "send handshake record", 0, "ClientHello record");
    feed(r, 3, "send handshake record", 0);
    feed(r, 3, "send handshake record", 1);
    cr_assert_eq(dtls_handshake(&r->c), DTLS_OK);
    expect_sent(r, 3, "send handshake record", 1, "client Finished record");
    app_and_close(r, 3, 1, 0);
    free(r);
}

Test(rfc8448, section3_bad_certificate_verify)
{
    /* one bit of the server's RSA-PSS signature flipped: decrypt_error, alert sent */
    if (rfc_load() != 0)
        cr_skip_test("%s", vec_missing_msg());
    struct run *r = run_new();
    size_t n, kl, il, ml, cl, el;
    struct rkeys sk, ck;
    uint8_t rec[2048], flight[1024], type, pt[64];
    const uint8_t *ee = rfc_get(3, "server", "construct an EncryptedExtensions", "EncryptedExtensions", 0, &el);
    const uint8_t *cert = rfc_get(3, "server", "construct a Certificate", "Certificate", 0, &cl);
    const uint8_t *cv = rfc_get(3, "server", "construct a CertificateVerify", "CertificateVerify", 0, &ml);
    const uint8_t *key = rfc_get(3, "server", "derive write traffic keys for handshake", "key expanded", 0, &kl);
    const uint8_t *iv = rfc_get(3, "server", "derive write traffic keys for handshake", "iv expanded", 0, &il);
    rkeys_set(&sk, 0x1301, key, iv);
    rkeys_set(&ck, 0x1301, rfc_get(3, "server", "derive read traffic keys for handshake", "key expanded", 0, &kl),
              rfc_get(3, "server", "derive read traffic keys for handshake", "iv expanded", 0, &il));
    memcpy(flight, ee, el);
    memcpy(flight + el, cert, cl);
    memcpy(flight + el + cl, cv, ml);
    flight[el + cl + ml - 10] ^= 0x01;

    run_start(r, 3);
    cr_assert_eq(dtls_handshake(&r->c), DTLS_WANT_READ);
    pipe_take(&r->p, NULL, r->p.out_len);
    feed(r, 3, "send handshake record", 0);
    n = rec_seal(&sk, rec, 22, flight, el + cl + ml, 0);
    pipe_feed(&r->p, rec, n);
    cr_assert_eq(dtls_handshake(&r->c), DTLS_E_DECRYPT_ERROR);
    cr_assert_eq(dtls_last_alert(&r->c, DTLS_ALERT_SENT), 51);
    /* the alert went out encrypted under the client handshake key */
    cr_assert_eq(rec_open(&ck, r->p.out, r->p.out_len, &type, pt, &n), 0);
    cr_assert_eq(type, 21);
    cr_assert_eq(n, 2);
    cr_assert_eq(pt[0], 2);
    cr_assert_eq(pt[1], 51);
    /* sticky */
    cr_assert_eq(dtls_handshake(&r->c), DTLS_E_DECRYPT_ERROR);
    cr_assert_eq(dtls_read(&r->c, pt, 1), DTLS_E_DECRYPT_ERROR);
    free(r);
}

Test(rfc8448, section4_resumption)
{
    if (rfc_load() != 0)
        cr_skip_test("%s", vec_missing_msg());
    struct run *r3 = section3(0), *r = run_new();
    struct dtls_info info;
    size_t n;

    /* the ticket from section 3, received "now" */
    r->t.have_ticket = 1;
    r->t.ticket = r3->t.ticket;
    memcpy(r->t.ticket_bytes, r3->t.ticket_bytes, r3->t.ticket.ticket_len);
    r->t.ticket.ticket = r->t.ticket_bytes;
    r->t.ticket.received = r->t.now;
    free(r3);

    r->seam.early_data = 1;
    run_start(r, 4);
    cr_assert_eq(dtls_handshake(&r->c), DTLS_WANT_READ);
    expect_sent(r, 4, "send handshake record", 0, "ClientHello with PSK binder");

    feed(r, 4, "send handshake record", 0); /* ServerHello */
    feed(r, 4, "send handshake record", 1); /* EE, Finished */
    cr_assert_eq(dtls_handshake(&r->c), DTLS_OK);
    /* the trace's EndOfEarlyData record (0-RTT keys) is not sent by this client; its
       Finished record, which covers EndOfEarlyData in the transcript, must match */
    expect_sent(r, 4, "send handshake record", 2, "client Finished record");

    dtls_get_info(&r->c, &info);
    cr_assert_eq(info.resumed, 1);
    cr_assert_eq(info.signature_scheme, 0);
    cr_assert_eq(info.chain_length, 0);
    { const uint8_t *sec_ = rfc_get(4, "server", "derive secret \"tls13 c ap traffic\"", "expanded", 0, &n); expect_keylog(r, "CLIENT_TRAFFIC_SECRET_0", sec_, n); }
    app_and_close(r, 4, 0, 1); /* the first client record of section 4 is 0-RTT data */
    free(r);
}

Test(rfc8448, section5_hello_retry_request)
{
    if (rfc_load() != 0)
        cr_skip_test("%s", vec_missing_msg());
    struct run *r = run_new();
    struct dtls_info info;
    size_t n, ch2l;
    const uint8_t *ch2 = rfc_get(5, "client", "send handshake record", "payload", 1, &ch2l);

    /* rng: random, x25519 key, then the P-256 key for the second ClientHello */
    r->seam.ext[1] = ch_extensions(ch2, ch2l, &r->seam.ext_len[1]);
    run_start(r, 5);
    const uint8_t *p256 = rfc_get(5, "client", "create an ephemeral P-256", "private key", 0, &n);
    tctx_rng_add(&r->t, p256, n);

    cr_assert_eq(dtls_handshake(&r->c), DTLS_WANT_READ);
    expect_sent(r, 5, "send handshake record", 0, "ClientHello 1");
    feed(r, 5, "send handshake record", 0); /* HelloRetryRequest */
    cr_assert_eq(dtls_handshake(&r->c), DTLS_WANT_READ);
    expect_sent(r, 5, "send handshake record", 1, "ClientHello 2");
    feed(r, 5, "send handshake record", 1); /* ServerHello */
    feed(r, 5, "send handshake record", 2); /* encrypted flight */
    cr_assert_eq(dtls_handshake(&r->c), DTLS_OK);
    expect_sent(r, 5, "send handshake record", 2, "client Finished record");

    dtls_get_info(&r->c, &info);
    cr_assert_eq(info.hello_retry, 1);
    cr_assert_eq(info.group, DTLS_GROUP_SECP256R1);
    cr_assert_eq(info.signature_scheme, DTLS_SIG_RSA_PSS_RSAE_SHA256);

    /* section 5 has no application data: close both ways */
    cr_assert_eq(dtls_close(&r->c), DTLS_OK);
    expect_sent(r, 5, "send alert record", 0, "client close_notify record");
    feed(r, 5, "send alert record", 0);
    uint8_t buf[8];
    cr_assert_eq(dtls_read(&r->c, buf, sizeof buf), 0);
    free(r);
}

Test(rfc8448, section7_compatibility_mode)
{
    if (rfc_load() != 0)
        cr_skip_test("%s", vec_missing_msg());
    struct run *r = run_new();
    uint8_t buf[8];

    run_start(r, 7); /* 32-byte legacy_session_id from the rng */
    cr_assert_eq(dtls_handshake(&r->c), DTLS_WANT_READ);
    expect_sent(r, 7, "send handshake record", 0, "ClientHello record");
    feed(r, 7, "send handshake record", 0);          /* ServerHello */
    feed(r, 7, "send change_cipher_spec record", 0); /* dummy CCS, dropped */
    feed(r, 7, "send handshake record", 1);          /* encrypted flight */
    cr_assert_eq(dtls_handshake(&r->c), DTLS_OK);
    expect_sent(r, 7, "send change_cipher_spec record", 0, "client dummy change_cipher_spec");
    expect_sent(r, 7, "send handshake record", 1, "client Finished record");

    cr_assert_eq(dtls_close(&r->c), DTLS_OK);
    expect_sent(r, 7, "send alert record", 0, "client close_notify record");
    feed(r, 7, "send alert record", 0);
    cr_assert_eq(dtls_read(&r->c, buf, sizeof buf), 0);
    free(r);
}

/* Section 6's client signs with the 1024-bit RSA key of section 2; the trace's signature
 * is returned by this sign callback after checking, with OpenSSL through the test provider,
 * that it is a valid signature over exactly what the engine asked to sign. */
static const uint8_t *s6_sig;
static size_t s6_sig_len;
static int s6_signs;
static const struct dtls_der *s6_leaf;

static int s6_sign(void *ctx, uint16_t scheme, const uint8_t *msg, size_t len, uint8_t *sig, size_t *sig_len)
{
    const struct dtls_der *leaf = s6_leaf;
    struct dtls_pubkey_ref k;
    int ok;
    (void)ctx;
    s6_signs++;
    cr_assert_eq(scheme, DTLS_SIG_RSA_PSS_RSAE_SHA256);
    cr_assert_eq(len, 32, "a SHA-256 hash to sign");
    cr_assert_eq(dtls_x509_cert_pubkey(leaf->der, leaf->len, &k), 0);
    ok = tls_test_provider()->rsa_pss_verify(k.a, k.a_len, k.b, k.b_len, dtls_crypto_builtin.sha256, msg, 32,
                                             s6_sig, s6_sig_len);
    cr_assert_eq(ok, 0, "the trace's signature covers the hash the engine asked to sign");
    cr_assert(*sig_len >= s6_sig_len);
    memcpy(sig, s6_sig, s6_sig_len);
    *sig_len = s6_sig_len;
    return 0;
}

Test(rfc8448, section6_client_authentication)
{
    if (rfc_load() != 0)
        cr_skip_test("%s", vec_missing_msg());
    struct run *r = run_new();
    static struct dtls_der chain[1];
    static const uint16_t schemes[] = { DTLS_SIG_RSA_PSS_RSAE_SHA256, 0 };
    struct rkeys ck;
    struct dtls_info info;
    size_t cl, cvl, kl, il, want_len, got = 0, n;
    uint8_t plain[2048], type, pt[2048], rec[2048];
    const uint8_t *cert = rfc_get(6, "client", "construct a Certificate", "Certificate", 0, &cl);
    const uint8_t *cv = rfc_get(6, "client", "construct a CertificateVerify", "CertificateVerify", 0, &cvl);
    const uint8_t *want = rfc_get(6, "client", "send handshake record", "payload", 1, &want_len);
    const uint8_t *key = rfc_get(6, "server", "derive read traffic keys for handshake", "key expanded", 0, &kl);
    const uint8_t *iv = rfc_get(6, "server", "derive read traffic keys for handshake", "iv expanded", 0, &il);

    /* the chain is the one DER of the trace's Certificate message */
    chain[0].der = cert + 4 + 1 + 3 + 3;
    chain[0].len = ((size_t)cert[8] << 16) | ((size_t)cert[9] << 8) | cert[10];
    s6_leaf = chain;
    s6_sig = cv + 8;
    s6_sig_len = cvl - 8;
    r->cfg.client_chain = chain;
    r->cfg.client_chain_len = 1;
    r->cfg.client_schemes = schemes;
    r->cfg.sign = s6_sign;
    rkeys_set(&ck, 0x1301, key, iv);

    run_start(r, 6);
    cr_assert_eq(dtls_handshake(&r->c), DTLS_WANT_READ);
    expect_sent(r, 6, "send handshake record", 0, "ClientHello record");
    feed(r, 6, "send handshake record", 0); /* ServerHello */
    feed(r, 6, "send handshake record", 1); /* EE, CertificateRequest, Certificate (ECDSA), CV, Finished */
    cr_assert_eq(dtls_handshake(&r->c), DTLS_OK);
    cr_assert_eq(s6_signs, 1);

    /* our Certificate, CertificateVerify and Finished: the trace packs them into one
       record, we send one record per message; the plaintext must be identical */
    while (got < want_len) {
        cr_assert(r->p.out_len >= 5);
        n = 5 + (size_t)((r->p.out[3] << 8) | r->p.out[4]);
        pipe_take(&r->p, rec, n);
        cr_assert_eq(rec_open(&ck, rec, n, &type, pt, &n), 0, "client handshake record decrypts");
        cr_assert_eq(type, 22);
        cr_assert(got + n <= sizeof plain);
        memcpy(plain + got, pt, n);
        got += n;
    }
    expect_bytes(plain, got, want, want_len, "client Certificate + CertificateVerify + Finished");

    dtls_get_info(&r->c, &info);
    cr_assert_eq(info.client_auth, 1);
    cr_assert_eq(info.client_cert_sent, 1);
    cr_assert_eq(info.signature_scheme, DTLS_SIG_ECDSA_SECP256R1_SHA256);

    cr_assert_eq(dtls_close(&r->c), DTLS_OK);
    expect_sent(r, 6, "send alert record", 0, "client close_notify record");
    feed(r, 6, "send alert record", 0);
    uint8_t buf[8];
    cr_assert_eq(dtls_read(&r->c, buf, sizeof buf), 0);
    free(r);
}
