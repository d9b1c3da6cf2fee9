/*
 * The client handshake state machine against a scripted server.
 *
 * The client builds its own ClientHello (no test seam) from a deterministic
 * rng; the scripted server (tests/unit/tls_replay.c: OpenSSL HMAC for its key
 * schedule, RSA-PSS with RFC 8448's key, RFC 8448's x25519 shares) answers
 * with whatever each test wants. Every failure asserts both the error code
 * returned and the alert the client actually put on the wire (decrypted with
 * the client's handshake keys once those are in use), and that the error is
 * sticky.
 */
#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>

#include <dtls/dtls.h>
#include <openssl/evp.h>

#include "tls_replay.h"
#include "vectors.h"

/* ---- the good path ------------------------------------------------------------------ */

Test(handshake, scripted_server_full_handshake)
{
    struct hs h;
    uint8_t buf[64], type, pt[64];
    size_t n;
    hs_start(&h);
    server_hello(&h);
    server_flight(&h);
    expect_connected(&h);
    /* application data both ways under the application keys */
    cr_assert_eq(dtls_write(&h.r->c, (const uint8_t *)"ping", 4), 4);
    cr_assert_eq(rec_open(&h.s.cap, h.r->p.out, h.r->p.out_len, &type, pt, &n), 0);
    cr_assert(type == 23 && n == 4 && memcmp(pt, "ping", 4) == 0);
    pipe_take(&h.r->p, NULL, h.r->p.out_len);
    send_enc(&h, &h.s.sap, 23, (const uint8_t *)"pong", 4);
    cr_assert_eq(dtls_read(&h.r->c, buf, sizeof buf), 4);
    cr_assert(memcmp(buf, "pong", 4) == 0);
    hs_end(&h);
}

/* ---- out of order: every state rejects what it does not expect -------------------------- */

Test(handshake, encrypted_extensions_in_plaintext_before_server_hello)
{
    struct hs h;
    uint8_t ee[8];
    hs_start(&h);
    send_plain(&h, 22, ee, ee_msg(ee, NULL, 0));
    expect_fail(&h, DTLS_E_UNEXPECTED_MESSAGE, 10, 0);
    hs_end(&h);
}

Test(handshake, finished_before_server_hello)
{
    struct hs h;
    uint8_t fin[36] = { 20, 0, 0, 32 };
    hs_start(&h);
    send_plain(&h, 22, fin, 36);
    expect_fail(&h, DTLS_E_UNEXPECTED_MESSAGE, 10, 0);
    hs_end(&h);
}

Test(handshake, client_hello_from_server)
{
    struct hs h;
    hs_start(&h);
    send_plain(&h, 22, h.ch, h.ch_len);
    expect_fail(&h, DTLS_E_UNEXPECTED_MESSAGE, 10, 0);
    hs_end(&h);
}

Test(handshake, certificate_before_encrypted_extensions)
{
    struct hs h;
    size_t cl;
    const uint8_t *cert = trace_cert(&cl);
    hs_start(&h);
    server_hello(&h);
    send_enc(&h, &h.s.shs, 22, cert, cl);
    expect_fail(&h, DTLS_E_UNEXPECTED_MESSAGE, 10, 1);
    hs_end(&h);
}

Test(handshake, certificate_verify_before_certificate)
{
    struct hs h;
    uint8_t f[1024];
    size_t n;
    hs_start(&h);
    server_hello(&h);
    n = ee_msg(f, NULL, 0);
    ts_hash(&h.s, f, n);
    n += ts_cert_verify(&h.s, f + n);
    send_enc(&h, &h.s.shs, 22, f, n);
    expect_fail(&h, DTLS_E_UNEXPECTED_MESSAGE, 10, 1);
    hs_end(&h);
}

Test(handshake, finished_without_certificate)
{
    /* no PSK: the server must authenticate with a certificate */
    struct hs h;
    uint8_t f[256];
    size_t n;
    hs_start(&h);
    server_hello(&h);
    n = ee_msg(f, NULL, 0);
    ts_hash(&h.s, f, n);
    n += ts_finished(&h.s, f + n);
    send_enc(&h, &h.s.shs, 22, f, n);
    expect_fail(&h, DTLS_E_UNEXPECTED_MESSAGE, 10, 1);
    hs_end(&h);
}

Test(handshake, finished_before_certificate_verify)
{
    struct hs h;
    uint8_t f[4096];
    size_t n, cl;
    const uint8_t *cert = trace_cert(&cl);
    hs_start(&h);
    server_hello(&h);
    n = ee_msg(f, NULL, 0);
    memcpy(f + n, cert, cl);
    n += cl;
    ts_hash(&h.s, f, n);
    n += ts_finished(&h.s, f + n);
    send_enc(&h, &h.s.shs, 22, f, n);
    expect_fail(&h, DTLS_E_UNEXPECTED_MESSAGE, 10, 1);
    hs_end(&h);
}

Test(handshake, second_certificate)
{
    struct hs h;
    uint8_t f[4096];
    size_t n, cl;
    const uint8_t *cert = trace_cert(&cl);
    hs_start(&h);
    server_hello(&h);
    n = ee_msg(f, NULL, 0);
    memcpy(f + n, cert, cl);
    n += cl;
    ts_hash(&h.s, f, n);
    n += ts_cert_verify(&h.s, f + n);
    memcpy(f + n, cert, cl);
    n += cl;
    send_enc(&h, &h.s.shs, 22, f, n);
    expect_fail(&h, DTLS_E_UNEXPECTED_MESSAGE, 10, 1);
    hs_end(&h);
}

Test(handshake, new_session_ticket_during_handshake)
{
    struct hs h;
    uint8_t nst[] = { 4, 0, 0, 14, 0, 0, 0, 60, 0, 0, 0, 1, 0, 0, 1, 0xaa, 0, 0 };
    hs_start(&h);
    server_hello(&h);
    send_enc(&h, &h.s.shs, 22, nst, sizeof nst);
    expect_fail(&h, DTLS_E_UNEXPECTED_MESSAGE, 10, 1);
    hs_end(&h);
}

Test(handshake, key_update_during_handshake)
{
    struct hs h;
    uint8_t ku[] = { 24, 0, 0, 1, 0 };
    hs_start(&h);
    server_hello(&h);
    send_enc(&h, &h.s.shs, 22, ku, sizeof ku);
    expect_fail(&h, DTLS_E_UNEXPECTED_MESSAGE, 10, 1);
    hs_end(&h);
}

Test(handshake, unknown_handshake_type)
{
    struct hs h;
    uint8_t m[] = { 99, 0, 0, 1, 0 };
    hs_start(&h);
    server_hello(&h);
    send_enc(&h, &h.s.shs, 22, m, sizeof m);
    expect_fail(&h, DTLS_E_UNEXPECTED_MESSAGE, 10, 1);
    hs_end(&h);
}

Test(handshake, end_of_early_data_from_server)
{
    struct hs h;
    uint8_t m[] = { 5, 0, 0, 0 };
    hs_start(&h);
    server_hello(&h);
    send_enc(&h, &h.s.shs, 22, m, sizeof m);
    expect_fail(&h, DTLS_E_UNEXPECTED_MESSAGE, 10, 1);
    hs_end(&h);
}

Test(handshake, second_server_hello_encrypted)
{
    struct hs h;
    uint8_t ext[512], sh[600];
    size_t n;
    hs_start(&h);
    server_hello(&h);
    n = ts_server_hello(sh, server_random(), h.sid, h.sid_len, 0x1301, ext, std_sh_ext(ext));
    send_enc(&h, &h.s.shs, 22, sh, n);
    expect_fail(&h, DTLS_E_UNEXPECTED_MESSAGE, 10, 1);
    hs_end(&h);
}

Test(handshake, plaintext_handshake_after_keys)
{
    /* unprotected records are refused once the server's handshake keys are on */
    struct hs h;
    uint8_t ee[8];
    hs_start(&h);
    server_hello(&h);
    send_plain(&h, 22, ee, ee_msg(ee, NULL, 0));
    expect_fail(&h, DTLS_E_UNEXPECTED_MESSAGE, 10, 1);
    hs_end(&h);
}

Test(handshake, message_after_server_hello_in_same_record)
{
    /* 5.1: the ServerHello changes keys, so it must end its record */
    struct hs h;
    uint8_t ext[512], m[700];
    size_t n;
    hs_start(&h);
    n = ts_server_hello(m, server_random(), h.sid, h.sid_len, 0x1301, ext, std_sh_ext(ext));
    ts_hash(&h.s, m, n);
    ts_handshake_keys(&h.s, ecdhe());
    n += ee_msg(m + n, NULL, 0);
    send_plain(&h, 22, m, n);
    expect_fail(&h, DTLS_E_UNEXPECTED_MESSAGE, 10, 1);
    hs_end(&h);
}

Test(handshake, data_after_server_finished_in_same_record)
{
    struct hs h;
    uint8_t f[4096];
    size_t n, cl;
    const uint8_t *cert = trace_cert(&cl);
    hs_start(&h);
    server_hello(&h);
    n = ee_msg(f, NULL, 0);
    memcpy(f + n, cert, cl);
    n += cl;
    ts_hash(&h.s, f, n);
    n += ts_cert_verify(&h.s, f + n);
    n += ts_finished(&h.s, f + n);
    memcpy(f + n, (const uint8_t[]){ 4, 0, 0, 1 }, 4); /* start of another message */
    send_enc(&h, &h.s.shs, 22, f, n + 4);
    expect_fail(&h, DTLS_E_UNEXPECTED_MESSAGE, 10, 1);
    hs_end(&h);
}

Test(handshake, application_data_before_finished)
{
    struct hs h;
    hs_start(&h);
    server_hello(&h);
    send_enc(&h, &h.s.shs, 23, (const uint8_t *)"early", 5);
    expect_fail(&h, DTLS_E_UNEXPECTED_MESSAGE, 10, 1);
    hs_end(&h);
}

Test(handshake, post_handshake_certificate_request)
{
    /* we never offer post_handshake_auth */
    struct hs h;
    uint8_t cr[] = { 13, 0, 0, 11, 1, 7, 0, 8, 0, 13, 0, 4, 0, 2, 4, 3 };
    uint8_t buf[8];
    hs_start(&h);
    server_hello(&h);
    server_flight(&h);
    expect_connected(&h);
    send_enc(&h, &h.s.sap, 22, cr, sizeof cr);
    cr_assert_eq(dtls_read(&h.r->c, buf, sizeof buf), DTLS_E_UNEXPECTED_MESSAGE);
    cr_assert_eq(client_alert(h.r, &h.s.cap), 10);
    hs_end(&h);
}

Test(handshake, server_hello_after_handshake)
{
    struct hs h;
    uint8_t ext[512], sh[600], buf[8];
    size_t n;
    hs_start(&h);
    server_hello(&h);
    server_flight(&h);
    expect_connected(&h);
    n = ts_server_hello(sh, server_random(), h.sid, h.sid_len, 0x1301, ext, std_sh_ext(ext));
    send_enc(&h, &h.s.sap, 22, sh, n);
    cr_assert_eq(dtls_read(&h.r->c, buf, sizeof buf), DTLS_E_UNEXPECTED_MESSAGE);
    cr_assert_eq(client_alert(h.r, &h.s.cap), 10);
    hs_end(&h);
}

/* ---- ServerHello contents ------------------------------------------------------------------ */

static void bad_server_hello(const uint8_t *extra, size_t extra_len, int rc, int alert)
{
    struct hs h;
    hs_start(&h);
    server_hello_ext(&h, extra, extra_len);
    expect_fail(&h, rc, alert, 0);
    hs_end(&h);
}

Test(handshake, server_hello_unknown_extension)
{
    uint8_t e[8];
    size_t n = 0;
    ext_add(e, &n, 0x1234, NULL, 0);
    bad_server_hello(e, n, DTLS_E_UNSUPPORTED_EXTENSION, 110);
}

Test(handshake, server_hello_offered_but_misplaced_extension)
{
    /* server_name was offered, but it belongs in EncryptedExtensions */
    uint8_t e[8];
    size_t n = 0;
    ext_add(e, &n, 0, NULL, 0);
    bad_server_hello(e, n, DTLS_E_ILLEGAL_PARAMETER, 47);
}

Test(handshake, server_hello_duplicate_extension)
{
    uint8_t e[8];
    size_t n = 0;
    ext_add(e, &n, 43, (const uint8_t[]){ 3, 4 }, 2);
    bad_server_hello(e, n, DTLS_E_ILLEGAL_PARAMETER, 47);
}

Test(handshake, server_hello_pre_shared_key_not_offered)
{
    uint8_t e[8];
    size_t n = 0;
    ext_add(e, &n, 41, (const uint8_t[]){ 0, 0 }, 2);
    bad_server_hello(e, n, DTLS_E_UNSUPPORTED_EXTENSION, 110);
}

static void custom_server_hello(struct hs *h, const uint8_t *random, const uint8_t *sid, size_t sid_len,
                                uint16_t suite, const uint8_t *ext, size_t ext_len)
{
    uint8_t sh[1024];
    size_t n = ts_server_hello(sh, random, sid, sid_len, suite, ext, ext_len);
    send_plain(h, 22, sh, n);
}

Test(handshake, server_hello_missing_key_share)
{
    struct hs h;
    uint8_t e[8];
    size_t n = 0;
    hs_start(&h);
    ext_add(e, &n, 43, (const uint8_t[]){ 3, 4 }, 2);
    custom_server_hello(&h, server_random(), h.sid, h.sid_len, 0x1301, e, n);
    expect_fail(&h, DTLS_E_MISSING_EXTENSION, 109, 0);
    hs_end(&h);
}

Test(handshake, server_hello_wrong_version)
{
    struct hs h;
    uint8_t e[64], ks[36] = { 0, 0x1d, 0, 32 };
    size_t n = 0;
    hs_start(&h);
    memcpy(ks + 4, server_pub(), 32);
    ext_add(e, &n, 43, (const uint8_t[]){ 3, 3 }, 2);
    ext_add(e, &n, 51, ks, 36);
    custom_server_hello(&h, server_random(), h.sid, h.sid_len, 0x1301, e, n);
    expect_fail(&h, DTLS_E_ILLEGAL_PARAMETER, 47, 0);
    hs_end(&h);
}

Test(handshake, tls12_server_hello)
{
    struct hs h;
    uint8_t e[8];
    size_t n = 0;
    hs_start(&h);
    ext_add(e, &n, 0xff01, (const uint8_t[]){ 0 }, 1);
    custom_server_hello(&h, server_random(), h.sid, h.sid_len, 0xc02f, e, n);
    expect_fail(&h, DTLS_E_PROTOCOL_VERSION, 70, 0);
    hs_end(&h);
}

Test(handshake, tls12_server_hello_with_downgrade_sentinel)
{
    struct hs h;
    uint8_t random[32], e[8];
    size_t n = 0;
    hs_start(&h);
    memcpy(random, server_random(), 32);
    memcpy(random + 24, "DOWNGRD\x01", 8);
    ext_add(e, &n, 0xff01, (const uint8_t[]){ 0 }, 1);
    custom_server_hello(&h, random, h.sid, h.sid_len, 0xc02f, e, n);
    expect_fail(&h, DTLS_E_ILLEGAL_PARAMETER, 47, 0);
    hs_end(&h);
}

Test(handshake, server_hello_session_id_not_echoed)
{
    struct hs h;
    uint8_t e[512], sid[32];
    hs_start(&h);
    memcpy(sid, h.sid, 32);
    sid[5] ^= 1;
    custom_server_hello(&h, server_random(), sid, 32, 0x1301, e, std_sh_ext(e));
    expect_fail(&h, DTLS_E_ILLEGAL_PARAMETER, 47, 0);
    hs_end(&h);
}

Test(handshake, server_hello_suite_not_offered)
{
    struct hs h;
    uint8_t e[512];
    hs_start(&h);
    custom_server_hello(&h, server_random(), h.sid, h.sid_len, 0x1304, e, std_sh_ext(e));
    expect_fail(&h, DTLS_E_ILLEGAL_PARAMETER, 47, 0);
    hs_end(&h);
}

Test(handshake, server_hello_compression)
{
    struct hs h;
    uint8_t e[512], sh[700];
    size_t n;
    hs_start(&h);
    n = ts_server_hello(sh, server_random(), h.sid, h.sid_len, 0x1301, e, std_sh_ext(e));
    sh[4 + 2 + 32 + 1 + h.sid_len + 2] = 1;
    send_plain(&h, 22, sh, n);
    expect_fail(&h, DTLS_E_ILLEGAL_PARAMETER, 47, 0);
    hs_end(&h);
}

Test(handshake, server_hello_truncated)
{
    struct hs h;
    uint8_t e[512], sh[700];
    size_t n;
    hs_start(&h);
    n = ts_server_hello(sh, server_random(), h.sid, h.sid_len, 0x1301, e, std_sh_ext(e));
    sh[3] -= 3; /* message ends inside the key share */
    send_plain(&h, 22, sh, n - 3);
    expect_fail(&h, DTLS_E_DECODE_ERROR, 50, 0);
    hs_end(&h);
}

Test(handshake, key_share_wrong_group)
{
    struct hs h;
    uint8_t e[128], ks[69] = { 0, 0x17, 0, 65, 4 };
    size_t n = 0;
    hs_start(&h);
    ext_add(e, &n, 43, (const uint8_t[]){ 3, 4 }, 2);
    ext_add(e, &n, 51, ks, sizeof ks);
    custom_server_hello(&h, server_random(), h.sid, h.sid_len, 0x1301, e, n);
    expect_fail(&h, DTLS_E_ILLEGAL_PARAMETER, 47, 0);
    hs_end(&h);
}

Test(handshake, x25519_low_order_point)
{
    /* the all-zero shared secret of RFC 8446 7.4.2 */
    struct hs h;
    uint8_t e[128], ks[36] = { 0, 0x1d, 0, 32 };
    size_t n = 0;
    hs_start(&h);
    ext_add(e, &n, 43, (const uint8_t[]){ 3, 4 }, 2);
    ext_add(e, &n, 51, ks, sizeof ks);
    custom_server_hello(&h, server_random(), h.sid, h.sid_len, 0x1301, e, n);
    expect_fail(&h, DTLS_E_ILLEGAL_PARAMETER, 47, 0);
    hs_end(&h);
}

Test(handshake, x25519_share_wrong_length)
{
    struct hs h;
    uint8_t e[128], ks[35] = { 0, 0x1d, 0, 31, 9 };
    size_t n = 0;
    hs_start(&h);
    ext_add(e, &n, 43, (const uint8_t[]){ 3, 4 }, 2);
    ext_add(e, &n, 51, ks, sizeof ks);
    custom_server_hello(&h, server_random(), h.sid, h.sid_len, 0x1301, e, n);
    expect_fail(&h, DTLS_E_ILLEGAL_PARAMETER, 47, 0);
    hs_end(&h);
}

/* ---- HelloRetryRequest -------------------------------------------------------------------- */

static const uint8_t hrr_random[32] = { 0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c,
                                        0x02, 0x1e, 0x65, 0xb8, 0x91, 0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb,
                                        0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c };

static void send_hrr(struct hs *h, uint16_t suite, const uint8_t *ext, size_t n)
{
    custom_server_hello(h, hrr_random, h->sid, h->sid_len, suite, ext, n);
}

/* supported_versions, key_share(group), optional cookie */
static size_t hrr_ext(uint8_t *e, int group, const uint8_t *cookie, size_t cookie_len)
{
    size_t n = 0;
    ext_add(e, &n, 43, (const uint8_t[]){ 3, 4 }, 2);
    if (group >= 0)
        ext_add(e, &n, 51, (const uint8_t[]){ (uint8_t)(group >> 8), (uint8_t)group }, 2);
    if (cookie) {
        uint8_t c[300] = { (uint8_t)(cookie_len >> 8), (uint8_t)cookie_len };
        memcpy(c + 2, cookie, cookie_len);
        ext_add(e, &n, 44, c, cookie_len + 2);
    }
    return n;
}

/* Find extension `type` in a ClientHello message. */
static const uint8_t *ch_find(const uint8_t *ch, size_t ch_len, uint16_t type, size_t *len)
{
    size_t el, p = 0;
    const uint8_t *e = ch_extensions(ch, ch_len, &el);
    while (p + 4 <= el) {
        uint16_t t = (uint16_t)((e[p] << 8) | e[p + 1]);
        size_t l = (size_t)((e[p + 2] << 8) | e[p + 3]);
        if (t == type) {
            *len = l;
            return e + p + 4;
        }
        p += 4 + l;
    }
    return NULL;
}

Test(handshake, hello_retry_request_group_and_cookie)
{
    struct hs h;
    struct run *r = run_new();
    uint8_t e[128], type, ch2[2048];
    const uint8_t cookie[5] = { 1, 2, 3, 4, 5 };
    const uint8_t *x;
    size_t n, l;
    long cl;
    uint8_t p256key[32];
    memset(p256key, 0x11, sizeof p256key);
    hs_start_with(&h, r);
    tctx_rng_add(&r->t, p256key, 32);
    n = hrr_ext(e, 0x17, cookie, sizeof cookie);
    send_hrr(&h, 0x1301, e, n);
    cr_assert_eq(dtls_handshake(&r->c), DTLS_WANT_READ);
    /* compatibility mode: the dummy CCS goes before the second ClientHello */
    cl = take_record(r, &type, ch2, sizeof ch2);
    cr_assert(cl == 1 && type == 20);
    cl = take_record(r, &type, ch2, sizeof ch2);
    cr_assert(cl > 0 && type == 22 && ch2[0] == 1, "second ClientHello");
    cr_assert(memcmp(ch2 + 6, h.ch + 6, 32) == 0, "same random");
    x = ch_find(ch2, (size_t)cl, 44, &l);
    cr_assert(x && l == 7 && memcmp(x + 2, cookie, 5) == 0, "cookie echoed");
    x = ch_find(ch2, (size_t)cl, 51, &l);
    cr_assert(x && l == 2 + 4 + 65 && x[2] == 0 && x[3] == 0x17, "one P-256 share");
    x = ch_find(ch2, (size_t)cl, 42, &l);
    cr_assert_null(x, "no early_data");
    hs_end(&h);
}

Test(handshake, second_hello_retry_request)
{
    struct hs h;
    struct run *r = run_new();
    uint8_t e[128], p256key[32];
    memset(p256key, 0x11, sizeof p256key);
    hs_start_with(&h, r);
    tctx_rng_add(&r->t, p256key, 32);
    send_hrr(&h, 0x1301, e, hrr_ext(e, 0x17, NULL, 0));
    cr_assert_eq(dtls_handshake(&r->c), DTLS_WANT_READ);
    pipe_take(&r->p, NULL, r->p.out_len);
    send_hrr(&h, 0x1301, e, hrr_ext(e, -1, (const uint8_t *)"c", 1));
    expect_fail(&h, DTLS_E_UNEXPECTED_MESSAGE, 10, 0);
    hs_end(&h);
}

Test(handshake, hello_retry_request_changes_nothing)
{
    struct hs h;
    uint8_t e[128];
    hs_start(&h);
    send_hrr(&h, 0x1301, e, hrr_ext(e, -1, NULL, 0));
    expect_fail(&h, DTLS_E_ILLEGAL_PARAMETER, 47, 0);
    hs_end(&h);
}

Test(handshake, hello_retry_request_same_group)
{
    struct hs h;
    uint8_t e[128];
    hs_start(&h);
    send_hrr(&h, 0x1301, e, hrr_ext(e, 0x1d, NULL, 0));
    expect_fail(&h, DTLS_E_ILLEGAL_PARAMETER, 47, 0);
    hs_end(&h);
}

Test(handshake, hello_retry_request_group_not_offered)
{
    struct hs h;
    uint8_t e[128];
    hs_start(&h);
    send_hrr(&h, 0x1301, e, hrr_ext(e, 0x18, NULL, 0));
    expect_fail(&h, DTLS_E_ILLEGAL_PARAMETER, 47, 0);
    hs_end(&h);
}

Test(handshake, hello_retry_request_unknown_extension)
{
    struct hs h;
    uint8_t e[128];
    size_t n;
    hs_start(&h);
    n = hrr_ext(e, 0x17, NULL, 0);
    ext_add(e, &n, 0x4321, NULL, 0);
    send_hrr(&h, 0x1301, e, n);
    expect_fail(&h, DTLS_E_UNSUPPORTED_EXTENSION, 110, 0);
    hs_end(&h);
}

Test(handshake, server_hello_changes_suite_after_hrr)
{
    struct hs h;
    struct run *r = run_new();
    uint8_t e[256], p256key[32];
    memset(p256key, 0x11, sizeof p256key);
    hs_start_with(&h, r);
    tctx_rng_add(&r->t, p256key, 32);
    send_hrr(&h, 0x1301, e, hrr_ext(e, -1, (const uint8_t *)"c", 1));
    cr_assert_eq(dtls_handshake(&r->c), DTLS_WANT_READ);
    pipe_take(&r->p, NULL, r->p.out_len);
    custom_server_hello(&h, server_random(), h.sid, h.sid_len, 0x1303, e, std_sh_ext(e));
    expect_fail(&h, DTLS_E_ILLEGAL_PARAMETER, 47, 0);
    hs_end(&h);
}

/* ---- EncryptedExtensions ---------------------------------------------------------------- */

static void bad_ee(const uint8_t *ext, size_t n, int rc, int alert)
{
    struct hs h;
    uint8_t ee[512];
    hs_start(&h);
    server_hello(&h);
    send_enc(&h, &h.s.shs, 22, ee, ee_msg(ee, ext, n));
    expect_fail(&h, rc, alert, 1);
    hs_end(&h);
}

Test(handshake, ee_key_share_forbidden)
{
    uint8_t e[64], ks[36] = { 0, 0x1d, 0, 32 };
    size_t n = 0;
    ext_add(e, &n, 51, ks, 36);
    bad_ee(e, n, DTLS_E_ILLEGAL_PARAMETER, 47);
}

Test(handshake, ee_supported_versions_forbidden)
{
    uint8_t e[16];
    size_t n = 0;
    ext_add(e, &n, 43, (const uint8_t[]){ 3, 4 }, 2);
    bad_ee(e, n, DTLS_E_ILLEGAL_PARAMETER, 47);
}

Test(handshake, ee_pre_shared_key_forbidden)
{
    uint8_t e[16];
    size_t n = 0;
    ext_add(e, &n, 41, (const uint8_t[]){ 0, 0 }, 2);
    bad_ee(e, n, DTLS_E_ILLEGAL_PARAMETER, 47);
}

Test(handshake, ee_signature_algorithms_forbidden)
{
    uint8_t e[16];
    size_t n = 0;
    ext_add(e, &n, 13, (const uint8_t[]){ 0, 2, 4, 3 }, 4);
    bad_ee(e, n, DTLS_E_ILLEGAL_PARAMETER, 47);
}

Test(handshake, ee_unknown_extension)
{
    uint8_t e[16];
    size_t n = 0;
    ext_add(e, &n, 0x5555, (const uint8_t[]){ 1 }, 1);
    bad_ee(e, n, DTLS_E_UNSUPPORTED_EXTENSION, 110);
}

Test(handshake, ee_alpn_not_offered)
{
    uint8_t e[32];
    size_t n = 0;
    ext_add(e, &n, 16, (const uint8_t[]){ 0, 3, 2, 'h', '2' }, 5);
    bad_ee(e, n, DTLS_E_UNSUPPORTED_EXTENSION, 110);
}

Test(handshake, ee_duplicate_extension)
{
    uint8_t e[16];
    size_t n = 0;
    ext_add(e, &n, 0, NULL, 0);
    ext_add(e, &n, 0, NULL, 0);
    bad_ee(e, n, DTLS_E_ILLEGAL_PARAMETER, 47);
}

Test(handshake, ee_early_data_not_offered)
{
    uint8_t e[16];
    size_t n = 0;
    ext_add(e, &n, 42, NULL, 0);
    bad_ee(e, n, DTLS_E_UNSUPPORTED_EXTENSION, 110);
}

Test(handshake, ee_malformed)
{
    uint8_t e[16];
    size_t n = 0;
    ext_add(e, &n, 0, NULL, 0);
    e[3] = 9; /* entry longer than the block */
    bad_ee(e, n, DTLS_E_DECODE_ERROR, 50);
}

static const char *const alpn_list[] = { "h2", "http/1.1", NULL };

static struct run *run_alpn(void)
{
    struct run *r = run_new();
    r->cfg.alpn = alpn_list;
    return r;
}

Test(handshake, ee_alpn_selected)
{
    struct hs h;
    struct dtls_info info;
    uint8_t e[32];
    size_t n = 0;
    hs_start_with(&h, run_alpn());
    ext_add(e, &n, 16, (const uint8_t[]){ 0, 9, 8, 'h', 't', 't', 'p', '/', '1', '.', '1' }, 11);
    server_hello(&h);
    server_flight_ee(&h, e, n);
    expect_connected(&h);
    dtls_get_info(&h.r->c, &info);
    cr_assert_str_eq(info.alpn, "http/1.1");
    hs_end(&h);
}

Test(handshake, ee_alpn_protocol_not_offered)
{
    struct hs h;
    uint8_t e[32], ee[64];
    size_t n = 0;
    hs_start_with(&h, run_alpn());
    ext_add(e, &n, 16, (const uint8_t[]){ 0, 4, 3, 's', 'p', 'y' }, 6);
    server_hello(&h);
    send_enc(&h, &h.s.shs, 22, ee, ee_msg(ee, e, n));
    expect_fail(&h, DTLS_E_ILLEGAL_PARAMETER, 47, 1);
    hs_end(&h);
}

Test(handshake, ee_alpn_two_protocols)
{
    struct hs h;
    uint8_t e[32], ee[64];
    size_t n = 0;
    hs_start_with(&h, run_alpn());
    ext_add(e, &n, 16, (const uint8_t[]){ 0, 6, 2, 'h', '2', 2, 'h', '2' }, 8);
    server_hello(&h);
    send_enc(&h, &h.s.shs, 22, ee, ee_msg(ee, e, n));
    expect_fail(&h, DTLS_E_DECODE_ERROR, 50, 1);
    hs_end(&h);
}

static struct run *run_mfl(void)
{
    struct run *r = run_new();
    r->cfg.max_fragment = 1024;
    return r;
}

Test(handshake, ee_max_fragment_length_echo)
{
    struct hs h;
    struct dtls_info info;
    uint8_t e[16];
    size_t n = 0;
    hs_start_with(&h, run_mfl());
    ext_add(e, &n, 1, (const uint8_t[]){ 2 }, 1);
    server_hello(&h);
    server_flight_ee(&h, e, n);
    expect_connected(&h);
    dtls_get_info(&h.r->c, &info);
    cr_assert_eq(info.max_fragment, 1024);
    cr_assert_eq(info.peer_record_limit, 1024);
    hs_end(&h);
}

Test(handshake, ee_max_fragment_length_mismatch)
{
    struct hs h;
    uint8_t e[16], ee[32];
    size_t n = 0;
    hs_start_with(&h, run_mfl());
    ext_add(e, &n, 1, (const uint8_t[]){ 1 }, 1);
    server_hello(&h);
    send_enc(&h, &h.s.shs, 22, ee, ee_msg(ee, e, n));
    expect_fail(&h, DTLS_E_ILLEGAL_PARAMETER, 47, 1);
    hs_end(&h);
}

Test(handshake, ee_record_size_limit)
{
    struct hs h;
    struct dtls_info info;
    uint8_t e[16];
    size_t n = 0;
    hs_start_with(&h, run_mfl());
    ext_add(e, &n, 28, (const uint8_t[]){ 0x01, 0x01 }, 2); /* the server takes 257 */
    server_hello(&h);
    server_flight_ee(&h, e, n);
    expect_connected(&h);
    dtls_get_info(&h.r->c, &info);
    cr_assert_eq(info.max_fragment, 1024);
    cr_assert_eq(info.peer_record_limit, 256);
    hs_end(&h);
}

Test(handshake, ee_record_size_limit_too_small)
{
    struct hs h;
    uint8_t e[16], ee[32];
    size_t n = 0;
    hs_start_with(&h, run_mfl());
    ext_add(e, &n, 28, (const uint8_t[]){ 0, 63 }, 2);
    server_hello(&h);
    send_enc(&h, &h.s.shs, 22, ee, ee_msg(ee, e, n));
    expect_fail(&h, DTLS_E_ILLEGAL_PARAMETER, 47, 1);
    hs_end(&h);
}

/* ---- Certificate, CertificateVerify, Finished ------------------------------------------------ */

Test(handshake, empty_certificate)
{
    struct hs h;
    uint8_t f[64];
    size_t n;
    hs_start(&h);
    server_hello(&h);
    n = ee_msg(f, NULL, 0);
    memcpy(f + n, (const uint8_t[]){ 11, 0, 0, 4, 0, 0, 0, 0 }, 8);
    send_enc(&h, &h.s.shs, 22, f, n + 8);
    expect_fail(&h, DTLS_E_DECODE_ERROR, 50, 1);
    hs_end(&h);
}

Test(handshake, certificate_with_request_context)
{
    struct hs h;
    uint8_t f[64];
    size_t n;
    hs_start(&h);
    server_hello(&h);
    n = ee_msg(f, NULL, 0);
    memcpy(f + n, (const uint8_t[]){ 11, 0, 0, 10, 1, 7, 0, 0, 5, 0, 0, 1, 0x30, 0, 0 }, 15);
    send_enc(&h, &h.s.shs, 22, f, n + 15);
    expect_fail(&h, DTLS_E_ILLEGAL_PARAMETER, 47, 1);
    hs_end(&h);
}

Test(handshake, certificate_entry_unknown_extension)
{
    struct hs h;
    uint8_t f[4096];
    size_t n, cl;
    const uint8_t *cert = trace_cert(&cl);
    hs_start(&h);
    server_hello(&h);
    n = ee_msg(f, NULL, 0);
    /* the trace's entry ends with an empty extension block: put one extension there */
    memcpy(f + n, cert, cl);
    f[n + 3] += 4;            /* message length */
    f[n + 7] += 4;            /* certificate_list length */
    f[n + cl - 1] = 4;        /* extensions length */
    memcpy(f + n + cl, (const uint8_t[]){ 0x12, 0x34, 0, 0 }, 4);
    send_enc(&h, &h.s.shs, 22, f, n + cl + 4);
    expect_fail(&h, DTLS_E_UNSUPPORTED_EXTENSION, 110, 1);
    hs_end(&h);
}

Test(handshake, certificate_verify_scheme_not_offered)
{
    struct hs h;
    uint8_t f[4096];
    size_t n, cl, cv;
    const uint8_t *cert = trace_cert(&cl);
    hs_start(&h);
    server_hello(&h);
    n = ee_msg(f, NULL, 0);
    memcpy(f + n, cert, cl);
    n += cl;
    ts_hash(&h.s, f, n);
    cv = ts_cert_verify(&h.s, f + n);
    f[n + 4] = 0x02; /* rsa_pkcs1_sha1 (0x0201): never allowed in CertificateVerify */
    f[n + 5] = 0x01;
    send_enc(&h, &h.s.shs, 22, f, n + cv);
    expect_fail(&h, DTLS_E_ILLEGAL_PARAMETER, 47, 1);
    hs_end(&h);
}

Test(handshake, certificate_verify_scheme_does_not_match_key)
{
    struct hs h;
    uint8_t f[4096];
    size_t n, cl, cv;
    const uint8_t *cert = trace_cert(&cl);
    hs_start(&h);
    server_hello(&h);
    n = ee_msg(f, NULL, 0);
    memcpy(f + n, cert, cl);
    n += cl;
    ts_hash(&h.s, f, n);
    cv = ts_cert_verify(&h.s, f + n);
    f[n + 4] = 0x04; /* ecdsa_secp256r1_sha256 with an RSA key */
    f[n + 5] = 0x03;
    send_enc(&h, &h.s.shs, 22, f, n + cv);
    expect_fail(&h, DTLS_E_ILLEGAL_PARAMETER, 47, 1);
    hs_end(&h);
}

Test(handshake, certificate_verify_bad_signature)
{
    struct hs h;
    uint8_t f[4096];
    size_t n, cl, cv;
    const uint8_t *cert = trace_cert(&cl);
    hs_start(&h);
    server_hello(&h);
    n = ee_msg(f, NULL, 0);
    memcpy(f + n, cert, cl);
    n += cl;
    ts_hash(&h.s, f, n);
    cv = ts_cert_verify(&h.s, f + n);
    f[n + cv - 1] ^= 0x80;
    send_enc(&h, &h.s.shs, 22, f, n + cv);
    expect_fail(&h, DTLS_E_DECRYPT_ERROR, 51, 1);
    hs_end(&h);
}

Test(handshake, bad_server_finished)
{
    struct hs h;
    uint8_t f[4096];
    size_t n, cl;
    const uint8_t *cert = trace_cert(&cl);
    hs_start(&h);
    server_hello(&h);
    n = ee_msg(f, NULL, 0);
    memcpy(f + n, cert, cl);
    n += cl;
    ts_hash(&h.s, f, n);
    n += ts_cert_verify(&h.s, f + n);
    n += ts_finished(&h.s, f + n);
    f[n - 1] ^= 1;
    send_enc(&h, &h.s.shs, 22, f, n);
    expect_fail(&h, DTLS_E_DECRYPT_ERROR, 51, 1);
    hs_end(&h);
}

Test(handshake, finished_wrong_length)
{
    struct hs h;
    uint8_t f[4096];
    size_t n, cl;
    const uint8_t *cert = trace_cert(&cl);
    hs_start(&h);
    server_hello(&h);
    n = ee_msg(f, NULL, 0);
    memcpy(f + n, cert, cl);
    n += cl;
    ts_hash(&h.s, f, n);
    n += ts_cert_verify(&h.s, f + n);
    memcpy(f + n, (const uint8_t[]){ 20, 0, 0, 31 }, 4);
    memset(f + n + 4, 0, 31);
    send_enc(&h, &h.s.shs, 22, f, n + 35);
    expect_fail(&h, DTLS_E_DECODE_ERROR, 50, 1);
    hs_end(&h);
}

/* ---- CertificateRequest ------------------------------------------------------------------- */

Test(handshake, certificate_request_without_client_certificate)
{
    /* no chain configured: an empty Certificate, no CertificateVerify, then Finished */
    struct hs h;
    static const uint8_t cr[] = { 13, 0, 0, 11, 0, 0, 8, 0, 13, 0, 4, 0, 2, 4, 3 };
    hs_start(&h);
    server_hello(&h);
    server_flight_cr(&h, NULL, 0, cr, sizeof cr);
    expect_empty_certificate(&h);
    hs_end(&h);
}

Test(handshake, certificate_request_without_signature_algorithms)
{
    struct hs h;
    uint8_t f[64];
    uint8_t cr[] = { 13, 0, 0, 7, 0, 0, 4, 0, 47, 0, 0 };
    size_t n;
    hs_start(&h);
    server_hello(&h);
    n = ee_msg(f, NULL, 0);
    memcpy(f + n, cr, sizeof cr);
    send_enc(&h, &h.s.shs, 22, f, n + sizeof cr);
    expect_fail(&h, DTLS_E_MISSING_EXTENSION, 109, 1);
    hs_end(&h);
}

Test(handshake, certificate_request_with_context)
{
    struct hs h;
    uint8_t f[64];
    uint8_t cr[] = { 13, 0, 0, 12, 1, 9, 0, 8, 0, 13, 0, 4, 0, 2, 4, 3 };
    size_t n;
    hs_start(&h);
    server_hello(&h);
    n = ee_msg(f, NULL, 0);
    memcpy(f + n, cr, sizeof cr);
    send_enc(&h, &h.s.shs, 22, f, n + sizeof cr);
    expect_fail(&h, DTLS_E_ILLEGAL_PARAMETER, 47, 1);
    hs_end(&h);
}

/* ---- received alerts -------------------------------------------------------------------------- */

Test(handshake, fatal_alert_received)
{
    struct hs h;
    hs_start(&h);
    send_plain(&h, 21, (const uint8_t[]){ 2, 40 }, 2);
    cr_assert_eq(dtls_handshake(&h.r->c), DTLS_E_PEER_ALERT(40));
    cr_assert_eq(dtls_last_alert(&h.r->c, DTLS_ALERT_RECEIVED), 40);
    cr_assert_eq(dtls_last_alert(&h.r->c, DTLS_ALERT_SENT), -1);
    cr_assert_eq(h.r->p.out_len, 0, "no alert answers an alert");
    cr_assert_str_eq(dtls_strerror(DTLS_E_PEER_ALERT(40)), "peer alert: handshake_failure");
    cr_assert_str_eq(dtls_strerror(DTLS_E_PEER_ALERT(0)), "peer alert: close_notify (closed during the handshake)");
    cr_assert_str_eq(dtls_strerror(DTLS_E_PEER_ALERT(7)), "peer alert: unknown description");
    cr_assert_str_eq(dtls_alert_name(40), "handshake_failure");
    cr_assert_str_eq(dtls_alert_name(0), "close_notify");
    cr_assert_str_eq(dtls_alert_name(7), "unknown");
    hs_end(&h);
}

Test(handshake, warning_level_alert_is_fatal_too)
{
    struct hs h;
    hs_start(&h);
    server_hello(&h);
    send_enc(&h, &h.s.shs, 21, (const uint8_t[]){ 1, 112 }, 2);
    cr_assert_eq(dtls_handshake(&h.r->c), DTLS_E_PEER_ALERT(112));
    hs_end(&h);
}

Test(handshake, eof_during_handshake)
{
    struct hs h;
    hs_start(&h);
    h.r->p.eof = 1;
    cr_assert_eq(dtls_handshake(&h.r->c), DTLS_E_EOF);
    cr_assert_eq(dtls_handshake(&h.r->c), DTLS_E_EOF);
    hs_end(&h);
}

/* ---- client authentication ------------------------------------------------------------------ */

#include "crypto/ec.h"

static const uint8_t client_priv[32] = { 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42,
                                         0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42,
                                         0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42 };
static int signs;

static int test_sign(void *ctx, uint16_t scheme, const uint8_t *msg, size_t len, uint8_t *sig, size_t *sig_len)
{
    (void)ctx;
    signs++;
    if (scheme != DTLS_SIG_ECDSA_SECP256R1_SHA256 || len != 32 || *sig_len < 64)
        return -1;
    *sig_len = 64;
    return dtls_p256_ecdsa_sign(sig, client_priv, msg, len);
}

/* Collect the client's handshake messages (decrypting records under k) into out. */
static size_t client_handshake_bytes(struct run *r, struct rkeys *k, uint8_t *out, size_t cap)
{
    size_t total = 0;
    uint8_t pt[20000], type;
    while (r->p.out_len >= 5) {
        size_t l = 5 + (size_t)((r->p.out[3] << 8) | r->p.out[4]), n;
        if (r->p.out[0] == 20) { /* dummy CCS */
            pipe_take(&r->p, NULL, l);
            continue;
        }
        cr_assert(r->p.out[0] == 23 && l - 5 <= 512 + 17, "client record within the server's limit");
        cr_assert_eq(rec_open(k, r->p.out, l, &type, pt, &n), 0);
        cr_assert_eq(type, 22);
        cr_assert(total + n <= cap);
        memcpy(out + total, pt, n);
        total += n;
        pipe_take(&r->p, NULL, l);
    }
    return total;
}

Test(handshake, client_certificate_and_certificate_verify)
{
    struct hs h;
    struct run *r = run_new();
    static uint8_t big[3000], small_der[5] = { 0x30, 0x03, 0x02, 0x01, 0x01 };
    static struct dtls_der chain[2];
    static const uint16_t schemes[] = { DTLS_SIG_ED25519, DTLS_SIG_ECDSA_SECP256R1_SHA256, 0 };
    uint8_t e[16], msgs[8192], pub[65], content[130], d[32], rs[64];
    uint8_t cr[] = { 13, 0, 0, 13, 0, 0, 10, 0, 13, 0, 6, 0, 4, 0x08, 0x04, 0x04, 0x03 };
    size_t n, en = 0, total, off, certlen;
    struct dtls_info info;
    unsigned int dl;

    memset(big, 0x61, sizeof big);
    big[0] = 0x30;
    chain[0].der = big;
    chain[0].len = sizeof big;
    chain[1].der = small_der;
    chain[1].len = sizeof small_der;
    r->cfg.client_chain = chain;
    r->cfg.client_chain_len = 2;
    r->cfg.client_schemes = schemes;
    r->cfg.sign = test_sign;
    r->cfg.max_fragment = 512;
    signs = 0;
    hs_start_with(&h, r);
    /* a small transmit buffer: the 3 KB chain must be cut into records as it goes */
    r->c.tx_cap = DTLS_TX_BUFFER_SIZE(512);
    r->c.stage_off = r->c.tx_cap;
    ext_add(e, &en, 1, (const uint8_t[]){ 1 }, 1); /* max_fragment_length 512 accepted */
    server_hello(&h);
    server_flight_cr(&h, e, en, cr, sizeof cr);
    cr_assert_eq(dtls_handshake(&h.r->c), DTLS_OK, "handshake");
    cr_assert_eq(signs, 1, "sign() called once");

    total = client_handshake_bytes(h.r, &h.s.chs, msgs, sizeof msgs);
    /* Certificate: header, empty context, two entries without extensions */
    certlen = 4 + 1 + 3 + (3 + sizeof big + 2) + (3 + sizeof small_der + 2);
    cr_assert(total > certlen);
    cr_assert_eq(msgs[0], 11);
    cr_assert_eq((size_t)((msgs[1] << 16) | (msgs[2] << 8) | msgs[3]), certlen - 4);
    cr_assert_eq(msgs[4], 0);
    off = 8;
    cr_assert_eq((size_t)((msgs[off] << 16) | (msgs[off + 1] << 8) | msgs[off + 2]), sizeof big);
    cr_assert(memcmp(msgs + off + 3, big, sizeof big) == 0);
    off += 3 + sizeof big + 2;
    cr_assert(memcmp(msgs + off + 3, small_der, sizeof small_der) == 0);
    ts_hash(&h.s, msgs, certlen);

    /* CertificateVerify: ecdsa_secp256r1_sha256 over the client context string */
    off = certlen;
    cr_assert_eq(msgs[off], 15);
    cr_assert(msgs[off + 4] == 0x04 && msgs[off + 5] == 0x03, "scheme chosen from the server's list");
    memset(content, 0x20, 64);
    memcpy(content + 64, "TLS 1.3, client CertificateVerify", 33);
    content[97] = 0;
    n = (size_t)((msgs[off + 6] << 8) | msgs[off + 7]);
    cr_assert_eq(dtls_p256_pubkey(pub, client_priv), 0);
    cr_assert_eq(dtls_ecdsa_der_to_rs(rs, 32, msgs + off + 8, n), 0, "DER signature");
    {
        EVP_MD_CTX *t = EVP_MD_CTX_new();
        EVP_MD_CTX_copy_ex(t, h.s.th);
        EVP_DigestFinal_ex(t, content + 98, &dl);
        EVP_MD_CTX_free(t);
    }
    EVP_Digest(content, 130, d, &dl, EVP_sha256(), NULL);
    cr_assert_eq(dtls_p256_ecdsa_verify(pub, 65, d, 32, rs), 0, "client signature verifies");
    ts_hash(&h.s, msgs + off, 8 + n);
    off += 8 + n;

    /* Finished */
    {
        uint8_t fin[32];
        ts_client_finished(&h.s, fin);
        cr_assert_eq(total, off + 36);
        cr_assert(msgs[off] == 20 && memcmp(msgs + off + 4, fin, 32) == 0, "client Finished");
    }
    dtls_get_info(&h.r->c, &info);
    cr_assert_eq(info.client_auth, 1);
    cr_assert_eq(info.client_cert_sent, 1);
    cr_assert_eq(info.max_fragment, 512);
    hs_end(&h);
}

Test(handshake, client_certificate_sign_failure)
{
    struct hs h;
    struct run *r = run_new();
    static uint8_t der[5] = { 0x30, 0x03, 0x02, 0x01, 0x01 };
    static struct dtls_der chain[1] = { { der, 5 } };
    static const uint16_t schemes[] = { DTLS_SIG_ECDSA_SECP384R1_SHA384, 0 };
    static const uint8_t cr[] = { 13, 0, 0, 11, 0, 0, 8, 0, 13, 0, 4, 0, 2, 0x05, 0x03 };
    r->cfg.client_chain = chain;
    r->cfg.client_chain_len = 1;
    r->cfg.client_schemes = schemes;
    r->cfg.sign = test_sign; /* refuses P-384 */
    hs_start_with(&h, r);
    server_hello(&h);
    server_flight_cr(&h, NULL, 0, cr, sizeof cr);
    cr_assert_eq(dtls_handshake(&h.r->c), DTLS_E_SIGN);
    cr_assert_eq(dtls_last_alert(&h.r->c, DTLS_ALERT_SENT), 80);
    hs_end(&h);
}

/* ---- resumption (PSK) offers ---------------------------------------------------------------- */

static struct run *run_with_ticket(uint16_t suite, int64_t age_seconds)
{
    struct run *r = run_new();
    static const uint8_t ticket[40] = { 0x77 };
    r->t.have_ticket = 1;
    memset(&r->t.ticket, 0, sizeof r->t.ticket);
    r->t.ticket.suite = suite;
    r->t.ticket.psk_len = suite == 0x1302 ? 48 : 32;
    memset(r->t.ticket.psk, 0x33, sizeof r->t.ticket.psk);
    r->t.ticket.lifetime = 3600;
    r->t.ticket.age_add = 0x01020304;
    r->t.ticket.received = r->t.now - age_seconds;
    memcpy(r->t.ticket_bytes, ticket, sizeof ticket);
    r->t.ticket.ticket_len = sizeof ticket;
    return r;
}

Test(handshake, psk_offer_is_last_with_obfuscated_age)
{
    struct hs h;
    const uint8_t *x;
    size_t l, el, p = 0;
    const uint8_t *e;
    uint16_t last = 0;
    hs_start_with(&h, run_with_ticket(0x1301, 5));
    x = ch_find(h.ch, h.ch_len, 41, &l);
    cr_assert(x != NULL, "pre_shared_key offered");
    e = ch_extensions(h.ch, h.ch_len, &el);
    while (p + 4 <= el) {
        last = (uint16_t)((e[p] << 8) | e[p + 1]);
        p += 4 + (size_t)((e[p + 2] << 8) | e[p + 3]);
    }
    cr_assert_eq(last, 41, "pre_shared_key is the last extension");
    /* identities: len 2+40+4, identity len 40, ticket, age */
    cr_assert_eq((x[0] << 8) | x[1], 46);
    cr_assert_eq((x[2] << 8) | x[3], 40);
    cr_assert_eq(x[4], 0x77);
    cr_assert_eq(((uint32_t)x[44] << 24) | ((uint32_t)x[45] << 16) | ((uint32_t)x[46] << 8) | x[47],
                 0x01020304u + 5000u);
    /* one 32-byte binder */
    cr_assert_eq((x[48] << 8) | x[49], 33);
    cr_assert_eq(x[50], 32);
    cr_assert(ch_find(h.ch, h.ch_len, 45, &l) != NULL, "psk_key_exchange_modes");
    hs_end(&h);
}

Test(handshake, expired_ticket_not_offered)
{
    struct hs h;
    size_t l;
    hs_start_with(&h, run_with_ticket(0x1301, 3601));
    cr_assert_null(ch_find(h.ch, h.ch_len, 41, &l));
    hs_end(&h);
}

Test(handshake, psk_selected_identity_out_of_range)
{
    struct hs h;
    uint8_t e[8];
    size_t n = 0;
    hs_start_with(&h, run_with_ticket(0x1301, 0));
    ext_add(e, &n, 41, (const uint8_t[]){ 0, 1 }, 2);
    server_hello_ext(&h, e, n);
    expect_fail(&h, DTLS_E_ILLEGAL_PARAMETER, 47, 0);
    hs_end(&h);
}

Test(handshake, psk_with_suite_of_other_hash)
{
    /* a SHA-256 ticket accepted with TLS_AES_256_GCM_SHA384 */
    struct hs h;
    uint8_t e[128], sh[600];
    size_t n = std_sh_ext(e);
    hs_start_with(&h, run_with_ticket(0x1301, 0));
    ext_add(e, &n, 41, (const uint8_t[]){ 0, 0 }, 2);
    n = ts_server_hello(sh, server_random(), h.sid, h.sid_len, 0x1302, e, n);
    send_plain(&h, 22, sh, n);
    expect_fail(&h, DTLS_E_ILLEGAL_PARAMETER, 47, 0);
    hs_end(&h);
}

Test(handshake, psk_not_accepted_full_handshake)
{
    /* the server ignores the ticket: a normal handshake follows */
    struct hs h;
    struct dtls_info info;
    hs_start_with(&h, run_with_ticket(0x1301, 0));
    server_hello(&h);
    server_flight(&h);
    expect_connected(&h);
    dtls_get_info(&h.r->c, &info);
    cr_assert_eq(info.resumed, 0);
    hs_end(&h);
}

Test(handshake, early_data_in_ee_never_offered)
{
    struct hs h;
    uint8_t e[8], ee[16];
    size_t n = 0;
    hs_start_with(&h, run_with_ticket(0x1301, 0));
    server_hello(&h);
    ext_add(e, &n, 42, NULL, 0);
    send_enc(&h, &h.s.shs, 22, ee, ee_msg(ee, e, n));
    expect_fail(&h, DTLS_E_UNSUPPORTED_EXTENSION, 110, 1);
    hs_end(&h);
}
