/*
 * The record layer, through the public API against a scripted server:
 * records split across reads and coalesced into one read, handshake messages
 * spanning records, records larger than the caller's read buffer, the size
 * limits, authentication and padding failures, the change_cipher_spec rules,
 * KeyUpdate both ways, close_notify, non-blocking writes, and the shared
 * rx/tx buffer.
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dtls/dtls.h>
#include <dtls/x509.h>

#include "tls_replay.h"
#include "vectors.h"

/* Connect (handshake done, client Finished consumed). */
static void connect_to(struct hs *h, struct run *r)
{
    hs_start_with(h, r);
    server_hello(h);
    server_flight(h);
    expect_connected(h);
}

/* The next application record the client wrote (under h->s.cap). */
static size_t client_app(struct hs *h, uint8_t *type, uint8_t *pt)
{
    size_t n, l;
    cr_assert(h->r->p.out_len >= 5, "no record from the client");
    l = 5 + (size_t)((h->r->p.out[3] << 8) | h->r->p.out[4]);
    cr_assert_eq(rec_open(&h->s.cap, h->r->p.out, l, type, pt, &n), 0, "client record decrypts");
    pipe_take(&h->r->p, NULL, l);
    return n;
}

/* dtls_read fails with rc and the client sent alert (under its application keys). */
static void read_fails(struct hs *h, int rc, int alert)
{
    uint8_t buf[64];
    long got = dtls_read(&h->r->c, buf, sizeof buf);
    cr_assert_eq(got, rc, "dtls_read returned %ld (%s), expected %d", got, dtls_strerror((int)got), rc);
    cr_assert_eq(dtls_last_alert(&h->r->c, DTLS_ALERT_SENT), alert);
    cr_assert_eq(client_alert(h->r, &h->s.cap), alert);
    cr_assert_eq(dtls_read(&h->r->c, buf, sizeof buf), rc, "sticky");
}

/* ---- splitting and coalescing --------------------------------------------------------- */

/* The server flight cut into records of `per` handshake bytes, read `chunk` bytes at a time. */
static void split_flight(size_t per, size_t chunk)
{
    struct hs h;
    uint8_t f[4096], buf[64];
    size_t n, cl, off;
    const uint8_t *cert;
    hs_start(&h);
    cert = trace_cert(&cl);
    h.r->p.rchunk = chunk;
    server_hello(&h);
    n = ee_msg(f, NULL, 0);
    memcpy(f + n, cert, cl);
    n += cl;
    ts_hash(&h.s, f, n);
    n += ts_cert_verify(&h.s, f + n);
    n += ts_finished(&h.s, f + n);
    for (off = 0; off < n; off += per)
        send_enc(&h, &h.s.shs, 22, f + off, n - off < per ? n - off : per);
    expect_connected(&h);
    send_enc(&h, &h.s.sap, 23, (const uint8_t *)"after", 5);
    cr_assert_eq(dtls_read(&h.r->c, buf, sizeof buf), 5);
    hs_end(&h);
}

Test(record, handshake_messages_spanning_records)
{
    static const size_t per[] = { 1, 2, 3, 7, 100, 445, 1000 };
    for (size_t i = 0; i < sizeof per / sizeof per[0]; i++)
        split_flight(per[i], 0);
}

Test(record, records_split_across_reads)
{
    static const size_t chunk[] = { 1, 2, 4, 5, 6, 13, 100 };
    for (size_t i = 0; i < sizeof chunk / sizeof chunk[0]; i++)
        split_flight(64, chunk[i]);
}

Test(record, several_records_in_one_read)
{
    struct hs h;
    uint8_t buf[64], nst[] = { 4, 0, 0, 14, 0, 0, 0, 60, 0, 0, 0, 1, 0, 0, 1, 0xaa, 0, 0 };
    connect_to(&h, run_new());
    /* a ticket, three application records and a close_notify, all in one read */
    send_enc(&h, &h.s.sap, 22, nst, sizeof nst);
    send_enc(&h, &h.s.sap, 23, (const uint8_t *)"one", 3);
    send_enc(&h, &h.s.sap, 23, (const uint8_t *)"two", 3);
    send_enc(&h, &h.s.sap, 23, (const uint8_t *)"three", 5);
    send_enc(&h, &h.s.sap, 21, (const uint8_t[]){ 1, 0 }, 2);
    cr_assert_eq(dtls_read(&h.r->c, buf, sizeof buf), 3);
    cr_assert(memcmp(buf, "one", 3) == 0);
    cr_assert_eq(dtls_read(&h.r->c, buf, sizeof buf), 3);
    cr_assert_eq(dtls_read(&h.r->c, buf, sizeof buf), 5);
    cr_assert(memcmp(buf, "three", 5) == 0);
    cr_assert_eq(dtls_read(&h.r->c, buf, sizeof buf), 0, "close_notify");
    cr_assert_eq(h.r->t.tickets_stored, 1);
    /* half close: we may still write */
    cr_assert_eq(dtls_write(&h.r->c, (const uint8_t *)"bye", 3), 3);
    hs_end(&h);
}

Test(record, record_larger_than_the_read_buffer)
{
    struct hs h;
    uint8_t data[3000], got[3000];
    size_t n = 0;
    long r;
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i * 7);
    connect_to(&h, run_new());
    send_enc(&h, &h.s.sap, 23, data, sizeof data);
    r = dtls_read(&h.r->c, got, 1);
    cr_assert_eq(r, 1);
    n = 1;
    cr_assert_eq(dtls_pending(&h.r->c), sizeof data - 1);
    while (n < sizeof data) {
        r = dtls_read(&h.r->c, got + n, 97);
        cr_assert(r > 0);
        n += (size_t)r;
    }
    cr_assert(memcmp(got, data, sizeof data) == 0);
    cr_assert_eq(dtls_pending(&h.r->c), 0);
    cr_assert_eq(dtls_read(&h.r->c, got, 1), DTLS_WANT_READ);
    hs_end(&h);
}

Test(record, padding_is_removed)
{
    struct hs h;
    uint8_t buf[64], rec[1024];
    connect_to(&h, run_new());
    pipe_feed(&h.r->p, rec, rec_seal(&h.s.sap, rec, 23, (const uint8_t *)"padded", 6, 500));
    cr_assert_eq(dtls_read(&h.r->c, buf, sizeof buf), 6);
    cr_assert(memcmp(buf, "padded", 6) == 0);
    hs_end(&h);
}

Test(record, empty_application_record_is_skipped)
{
    struct hs h;
    uint8_t buf[64];
    connect_to(&h, run_new());
    send_enc(&h, &h.s.sap, 23, NULL, 0);
    send_enc(&h, &h.s.sap, 23, (const uint8_t *)"x", 1);
    cr_assert_eq(dtls_read(&h.r->c, buf, sizeof buf), 1);
    hs_end(&h);
}

/* ---- limits ---------------------------------------------------------------------------- */

Test(record, plaintext_record_over_2_14)
{
    struct hs h;
    uint8_t hdr[5] = { 22, 3, 3, 0x40, 0x01 };
    hs_start(&h);
    pipe_feed(&h.r->p, hdr, 5);
    expect_fail(&h, DTLS_E_RECORD_OVERFLOW, 22, 0);
    hs_end(&h);
}

Test(record, ciphertext_over_2_14_plus_256)
{
    struct hs h;
    uint8_t hdr[5] = { 23, 3, 3, 0x41, 0x01 };
    hs_start(&h);
    server_hello(&h);
    pipe_feed(&h.r->p, hdr, 5);
    expect_fail(&h, DTLS_E_RECORD_OVERFLOW, 22, 1);
    hs_end(&h);
}

Test(record, inner_plaintext_over_2_14_plus_1)
{
    struct hs h;
    static uint8_t data[16385], rec[16500];
    connect_to(&h, run_new());
    pipe_feed(&h.r->p, rec, rec_seal(&h.s.sap, rec, 23, data, sizeof data, 0));
    read_fails(&h, DTLS_E_RECORD_OVERFLOW, 22);
    hs_end(&h);
}

Test(record, inner_plaintext_exactly_2_14_plus_1)
{
    struct hs h;
    static uint8_t data[16384], rec[16500], got[16384];
    size_t n = 0;
    connect_to(&h, run_new());
    pipe_feed(&h.r->p, rec, rec_seal(&h.s.sap, rec, 23, data, sizeof data, 0));
    while (n < sizeof data) {
        long r = dtls_read(&h.r->c, got, sizeof got);
        cr_assert(r > 0);
        n += (size_t)r;
    }
    hs_end(&h);
}

static struct run *run_mfl1024(void)
{
    struct run *r = run_new();
    r->cfg.max_fragment = 1024;
    return r;
}

Test(record, record_size_limit_enforced)
{
    /* we offered record_size_limit 1025; the server acknowledged it: 1026 bytes of inner
       plaintext (content + type + padding) is too much, 1025 is fine */
    struct hs h;
    uint8_t e[16], data[1100], buf[2048], rec[2048];
    size_t n = 0;
    hs_start_with(&h, run_mfl1024());
    ext_add(e, &n, 28, (const uint8_t[]){ 0x40, 0x01 }, 2);
    server_hello(&h);
    server_flight_ee(&h, e, n);
    expect_connected(&h);
    memset(data, 'a', sizeof data);
    pipe_feed(&h.r->p, rec, rec_seal(&h.s.sap, rec, 23, data, 1000, 24));
    cr_assert_eq(dtls_read(&h.r->c, buf, sizeof buf), 1000);
    pipe_feed(&h.r->p, rec, rec_seal(&h.s.sap, rec, 23, data, 1000, 25));
    read_fails(&h, DTLS_E_RECORD_OVERFLOW, 22);
    hs_end(&h);
}

Test(record, max_fragment_length_enforced)
{
    struct hs h;
    uint8_t e[16], data[1100], buf[2048], rec[2048];
    size_t n = 0;
    hs_start_with(&h, run_mfl1024());
    ext_add(e, &n, 1, (const uint8_t[]){ 2 }, 1);
    server_hello(&h);
    server_flight_ee(&h, e, n);
    expect_connected(&h);
    memset(data, 'b', sizeof data);
    pipe_feed(&h.r->p, rec, rec_seal(&h.s.sap, rec, 23, data, 1024, 0));
    cr_assert_eq(dtls_read(&h.r->c, buf, sizeof buf), 1024);
    pipe_feed(&h.r->p, rec, rec_seal(&h.s.sap, rec, 23, data, 1025, 0));
    read_fails(&h, DTLS_E_RECORD_OVERFLOW, 22);
    hs_end(&h);
}

Test(record, we_send_within_the_servers_limit)
{
    /* the server's record_size_limit of 100 caps our records at 99 bytes of data */
    struct hs h;
    uint8_t e[16], data[250], type, pt[512];
    size_t n = 0, total = 0;
    long w;
    hs_start_with(&h, run_mfl1024());
    ext_add(e, &n, 28, (const uint8_t[]){ 0, 100 }, 2);
    server_hello(&h);
    server_flight_ee(&h, e, n);
    expect_connected(&h);
    memset(data, 'c', sizeof data);
    while (total < sizeof data) {
        w = dtls_write(&h.r->c, data + total, sizeof data - total);
        cr_assert(w > 0 && w <= 99, "write %ld", w);
        cr_assert_eq(client_app(&h, &type, pt), (size_t)w);
        total += (size_t)w;
    }
    hs_end(&h);
}

Test(record, record_bigger_than_our_buffer)
{
    struct hs h;
    struct run *r = run_new();
    static uint8_t small[2048 + 4096];
    static uint8_t data[3000], rec[4000];
    uint8_t buf[16];
    hs_start_with(&h, r);
    /* re-init with a small receive buffer after the ClientHello (same state otherwise) */
    r->c.rx = small;
    r->c.rx_cap = 2048;
    server_hello(&h);
    server_flight(&h);
    expect_connected(&h);
    pipe_feed(&h.r->p, rec, rec_seal(&h.s.sap, rec, 23, data, sizeof data, 0));
    cr_assert_eq(dtls_read(&h.r->c, buf, sizeof buf), DTLS_E_BUFFER);
    cr_assert_eq(client_alert(h.r, &h.s.cap), 80);
    hs_end(&h);
}

/* ---- protection failures ------------------------------------------------------------- */

Test(record, bad_tag_during_handshake)
{
    struct hs h;
    uint8_t rec[256], ee[8];
    size_t n;
    hs_start(&h);
    server_hello(&h);
    n = rec_seal(&h.s.shs, rec, 22, ee, ee_msg(ee, NULL, 0), 0);
    rec[n - 1] ^= 1;
    pipe_feed(&h.r->p, rec, n);
    expect_fail(&h, DTLS_E_BAD_RECORD_MAC, 20, 1);
    hs_end(&h);
}

Test(record, bad_tag_after_handshake)
{
    struct hs h;
    uint8_t rec[256];
    size_t n;
    connect_to(&h, run_new());
    n = rec_seal(&h.s.sap, rec, 23, (const uint8_t *)"data", 4, 0);
    rec[7] ^= 0x40; /* ciphertext bit */
    pipe_feed(&h.r->p, rec, n);
    read_fails(&h, DTLS_E_BAD_RECORD_MAC, 20);
    hs_end(&h);
}

Test(record, wrong_sequence_number)
{
    /* a record sealed for sequence number 1 arriving first */
    struct hs h;
    uint8_t rec[256];
    connect_to(&h, run_new());
    h.s.sap.seq = 1;
    pipe_feed(&h.r->p, rec, rec_seal(&h.s.sap, rec, 23, (const uint8_t *)"data", 4, 0));
    read_fails(&h, DTLS_E_BAD_RECORD_MAC, 20);
    hs_end(&h);
}

Test(record, encrypted_record_too_short)
{
    struct hs h;
    uint8_t rec[32] = { 23, 3, 3, 0, 10 };
    connect_to(&h, run_new());
    pipe_feed(&h.r->p, rec, 15);
    read_fails(&h, DTLS_E_BAD_RECORD_MAC, 20);
    hs_end(&h);
}

Test(record, all_zero_inner_plaintext)
{
    struct hs h;
    uint8_t rec[256], zeros[40] = { 0 };
    connect_to(&h, run_new());
    pipe_feed(&h.r->p, rec, rec_seal_inner(&h.s.sap, rec, zeros, sizeof zeros));
    read_fails(&h, DTLS_E_UNEXPECTED_MESSAGE, 10);
    hs_end(&h);
}

Test(record, unknown_inner_content_type)
{
    struct hs h;
    uint8_t rec[256];
    connect_to(&h, run_new());
    pipe_feed(&h.r->p, rec, rec_seal(&h.s.sap, rec, 24, (const uint8_t *)"?", 1, 0));
    read_fails(&h, DTLS_E_UNEXPECTED_MESSAGE, 10);
    hs_end(&h);
}

Test(record, unknown_record_type)
{
    struct hs h;
    uint8_t rec[8] = { 24, 3, 3, 0, 1, 0 };
    hs_start(&h);
    pipe_feed(&h.r->p, rec, 6);
    expect_fail(&h, DTLS_E_UNEXPECTED_MESSAGE, 10, 0);
    hs_end(&h);
}

Test(record, plaintext_application_data_before_keys)
{
    struct hs h;
    uint8_t rec[8] = { 23, 3, 3, 0, 1, 'x' };
    hs_start(&h);
    pipe_feed(&h.r->p, rec, 6);
    expect_fail(&h, DTLS_E_UNEXPECTED_MESSAGE, 10, 0);
    hs_end(&h);
}

Test(record, zero_length_handshake_record)
{
    struct hs h;
    uint8_t rec[8] = { 22, 3, 3, 0, 0 };
    hs_start(&h);
    pipe_feed(&h.r->p, rec, 5);
    expect_fail(&h, DTLS_E_DECODE_ERROR, 50, 0);
    hs_end(&h);
}

Test(record, zero_length_encrypted_handshake)
{
    struct hs h;
    uint8_t rec[64];
    hs_start(&h);
    server_hello(&h);
    pipe_feed(&h.r->p, rec, rec_seal(&h.s.shs, rec, 22, NULL, 0, 0));
    expect_fail(&h, DTLS_E_UNEXPECTED_MESSAGE, 10, 1);
    hs_end(&h);
}

/* ---- change_cipher_spec ------------------------------------------------------------------ */

static const uint8_t ccs[6] = { 20, 3, 3, 0, 1, 1 };

Test(record, ccs_tolerated_during_handshake)
{
    struct hs h;
    uint8_t f[4096];
    size_t n, cl;
    const uint8_t *cert;
    hs_start(&h);
    cert = trace_cert(&cl);
    pipe_feed(&h.r->p, ccs, 6); /* before the ServerHello */
    server_hello(&h);
    pipe_feed(&h.r->p, ccs, 6); /* after it */
    n = ee_msg(f, NULL, 0);
    memcpy(f + n, cert, cl);
    n += cl;
    ts_hash(&h.s, f, n);
    send_enc(&h, &h.s.shs, 22, f, n);
    pipe_feed(&h.r->p, ccs, 6); /* in the middle of the encrypted flight */
    n = ts_cert_verify(&h.s, f);
    n += ts_finished(&h.s, f + n);
    send_enc(&h, &h.s.shs, 22, f, n);
    expect_connected(&h);
    hs_end(&h);
}

Test(record, ccs_after_handshake)
{
    struct hs h;
    connect_to(&h, run_new());
    pipe_feed(&h.r->p, ccs, 6);
    read_fails(&h, DTLS_E_UNEXPECTED_MESSAGE, 10);
    hs_end(&h);
}

Test(record, ccs_wrong_value)
{
    struct hs h;
    uint8_t bad[6] = { 20, 3, 3, 0, 1, 2 };
    hs_start(&h);
    pipe_feed(&h.r->p, bad, 6);
    expect_fail(&h, DTLS_E_UNEXPECTED_MESSAGE, 10, 0);
    hs_end(&h);
}

Test(record, ccs_two_bytes)
{
    struct hs h;
    uint8_t bad[7] = { 20, 3, 3, 0, 2, 1, 1 };
    hs_start(&h);
    pipe_feed(&h.r->p, bad, 7);
    expect_fail(&h, DTLS_E_UNEXPECTED_MESSAGE, 10, 0);
    hs_end(&h);
}

Test(record, protected_ccs)
{
    struct hs h;
    uint8_t rec[64];
    hs_start(&h);
    server_hello(&h);
    pipe_feed(&h.r->p, rec, rec_seal(&h.s.shs, rec, 20, (const uint8_t[]){ 1 }, 1, 0));
    expect_fail(&h, DTLS_E_UNEXPECTED_MESSAGE, 10, 1);
    hs_end(&h);
}

/* ---- KeyUpdate --------------------------------------------------------------------------- */

Test(record, key_update_from_server_requested)
{
    struct hs h;
    uint8_t buf[64], type, pt[64];
    size_t n;
    connect_to(&h, run_new());
    send_enc(&h, &h.s.sap, 22, (const uint8_t[]){ 24, 0, 0, 1, 1 }, 5);
    ts_update(&h.s, 0);
    send_enc(&h, &h.s.sap, 23, (const uint8_t *)"new keys", 8);
    cr_assert_eq(dtls_read(&h.r->c, buf, sizeof buf), 8);
    cr_assert(memcmp(buf, "new keys", 8) == 0);
    /* our answer, KeyUpdate(update_not_requested), went out before anything else */
    n = client_app(&h, &type, pt);
    cr_assert(type == 22 && n == 5 && memcmp(pt, (const uint8_t[]){ 24, 0, 0, 1, 0 }, 5) == 0);
    ts_update(&h.s, 1);
    cr_assert_eq(dtls_write(&h.r->c, (const uint8_t *)"reply", 5), 5);
    n = client_app(&h, &type, pt);
    cr_assert(type == 23 && n == 5 && memcmp(pt, "reply", 5) == 0);
    hs_end(&h);
}

Test(record, key_update_from_server_not_requested)
{
    struct hs h;
    uint8_t buf[64], type, pt[64];
    connect_to(&h, run_new());
    send_enc(&h, &h.s.sap, 22, (const uint8_t[]){ 24, 0, 0, 1, 0 }, 5);
    ts_update(&h.s, 0);
    send_enc(&h, &h.s.sap, 23, (const uint8_t *)"k", 1);
    cr_assert_eq(dtls_read(&h.r->c, buf, sizeof buf), 1);
    cr_assert_eq(h.r->p.out_len, 0);
    cr_assert_eq(dtls_write(&h.r->c, (const uint8_t *)"same keys", 9), 9);
    cr_assert_eq(client_app(&h, &type, pt), 9);
    hs_end(&h);
}

Test(record, key_update_bad_value)
{
    struct hs h;
    connect_to(&h, run_new());
    send_enc(&h, &h.s.sap, 22, (const uint8_t[]){ 24, 0, 0, 1, 2 }, 5);
    read_fails(&h, DTLS_E_ILLEGAL_PARAMETER, 47);
    hs_end(&h);
}

Test(record, key_update_must_end_its_record)
{
    struct hs h;
    connect_to(&h, run_new());
    send_enc(&h, &h.s.sap, 22, (const uint8_t[]){ 24, 0, 0, 1, 0, 24, 0, 0, 1, 0 }, 10);
    /* the second KeyUpdate shares the record of the first: spans a key change */
    read_fails(&h, DTLS_E_UNEXPECTED_MESSAGE, 10);
    hs_end(&h);
}

Test(record, key_update_sent_on_request)
{
    struct hs h;
    uint8_t type, pt[64];
    connect_to(&h, run_new());
    cr_assert_eq(dtls_key_update(&h.r->c, 1), DTLS_OK);
    cr_assert_eq(client_app(&h, &type, pt), 5);
    cr_assert(type == 22 && pt[0] == 24 && pt[4] == 1);
    ts_update(&h.s, 1);
    cr_assert_eq(dtls_write(&h.r->c, (const uint8_t *)"z", 1), 1);
    cr_assert_eq(client_app(&h, &type, pt), 1);
    cr_assert_eq(type, 23);
    hs_end(&h);
}

Test(record, key_update_after_record_limit)
{
    struct hs h;
    struct run *r = run_new();
    uint8_t type, pt[64];
    r->cfg.key_update_records = 3;
    connect_to(&h, r);
    for (int i = 0; i < 7; i++) {
        cr_assert_eq(dtls_write(&h.r->c, (const uint8_t *)"m", 1), 1);
        if (i == 3 || i == 6) {
            /* the fourth record under a key is a KeyUpdate, then new keys */
            cr_assert_eq(client_app(&h, &type, pt), 5);
            cr_assert(type == 22 && pt[0] == 24 && pt[4] == 0);
            ts_update(&h.s, 1);
        }
        cr_assert_eq(client_app(&h, &type, pt), 1);
        cr_assert_eq(type, 23);
    }
    hs_end(&h);
}

/* ---- closing ---------------------------------------------------------------------------- */

Test(record, close_then_write)
{
    struct hs h;
    uint8_t type, pt[16];
    connect_to(&h, run_new());
    cr_assert_eq(dtls_close(&h.r->c), DTLS_OK);
    cr_assert_eq(client_app(&h, &type, pt), 2);
    cr_assert(type == 21 && pt[0] == 1 && pt[1] == 0);
    cr_assert_eq(dtls_write(&h.r->c, (const uint8_t *)"x", 1), DTLS_E_CLOSED);
    cr_assert_eq(dtls_last_alert(&h.r->c, DTLS_ALERT_SENT), 0);
    hs_end(&h);
}

Test(record, eof_without_close_notify)
{
    struct hs h;
    uint8_t buf[8];
    connect_to(&h, run_new());
    h.r->p.eof = 1;
    cr_assert_eq(dtls_read(&h.r->c, buf, sizeof buf), DTLS_E_EOF);
    cr_assert_eq(h.r->p.out_len, 0);
    hs_end(&h);
}

Test(record, user_canceled_is_ignored)
{
    struct hs h;
    uint8_t buf[8];
    connect_to(&h, run_new());
    send_enc(&h, &h.s.sap, 21, (const uint8_t[]){ 1, 90 }, 2);
    send_enc(&h, &h.s.sap, 21, (const uint8_t[]){ 1, 0 }, 2);
    cr_assert_eq(dtls_read(&h.r->c, buf, sizeof buf), 0);
    hs_end(&h);
}

Test(record, fatal_alert_after_handshake)
{
    struct hs h;
    uint8_t buf[8];
    connect_to(&h, run_new());
    send_enc(&h, &h.s.sap, 21, (const uint8_t[]){ 2, 80 }, 2);
    cr_assert_eq(dtls_read(&h.r->c, buf, sizeof buf), DTLS_E_PEER_ALERT(80));
    cr_assert_eq(dtls_write(&h.r->c, buf, 1), DTLS_E_PEER_ALERT(80));
    cr_assert_eq(h.r->p.out_len, 0);
    hs_end(&h);
}

/* ---- transport behaviour ----------------------------------------------------------------- */

Test(record, nonblocking_writes)
{
    struct hs h;
    uint8_t type, pt[64];
    int rc;
    long w;
    connect_to(&h, run_new());
    h.r->p.block_writes = 1;
    h.r->p.wchunk = 3;
    w = dtls_write(&h.r->c, (const uint8_t *)"0123456789", 10);
    cr_assert_eq(w, 10, "the record is taken even though the transport blocks");
    while ((rc = dtls_flush(&h.r->c)) == DTLS_WANT_WRITE)
        ;
    cr_assert_eq(rc, DTLS_OK);
    cr_assert_eq(client_app(&h, &type, pt), 10);
    cr_assert(memcmp(pt, "0123456789", 10) == 0);
    hs_end(&h);
}

static long failing_write(void *ctx, const uint8_t *b, size_t n)
{
    (void)ctx;
    (void)b;
    (void)n;
    return -42;
}

Test(record, write_callback_error)
{
    struct hs h;
    connect_to(&h, run_new());
    dtls_client_set_io(&h.r->c, pipe_read, failing_write, &h.r->p);
    cr_assert_eq(dtls_write(&h.r->c, (const uint8_t *)"x", 1), DTLS_E_IO);
    cr_assert_eq(dtls_write(&h.r->c, (const uint8_t *)"x", 1), DTLS_E_IO);
    hs_end(&h);
}

Test(record, shared_buffer_busy_until_read)
{
    /* one 2048-byte buffer for both directions: a 2021-byte record fills it, so nothing
       can be written until it has been read out */
    struct hs h;
    struct run *r = run_new();
    static uint8_t data[2021];
    uint8_t buf[2048], type, pt[64];
    long n, total;
    memset(data, 'q', sizeof data);
    r->shared = 2048;
    connect_to(&h, r);
    send_enc(&h, &h.s.sap, 23, data, sizeof data);
    cr_assert_eq(dtls_read(&h.r->c, buf, 10), 10);
    cr_assert_eq(dtls_write(&h.r->c, data, 5), DTLS_E_BUSY);
    total = 10;
    while (total < (long)sizeof data) {
        n = dtls_read(&h.r->c, buf, sizeof buf);
        cr_assert(n > 0);
        total += n;
    }
    cr_assert_eq(dtls_write(&h.r->c, (const uint8_t *)"ok", 2), 2, "not sticky");
    cr_assert_eq(client_app(&h, &type, pt), 2);
    hs_end(&h);
}

Test(record, shared_buffer_full_exchange)
{
    struct hs h;
    struct run *r = run_new();
    uint8_t buf[64], type, pt[64];
    r->shared = 1200;
    connect_to(&h, r);
    cr_assert_eq(dtls_write(&h.r->c, (const uint8_t *)"req", 3), 3);
    cr_assert_eq(client_app(&h, &type, pt), 3);
    send_enc(&h, &h.s.sap, 23, (const uint8_t *)"resp", 4);
    cr_assert_eq(dtls_read(&h.r->c, buf, sizeof buf), 4);
    hs_end(&h);
}

Test(record, oversized_ticket_is_skipped)
{
    /* a NewSessionTicket larger than the receive buffer, spread over records that each fit:
       skipped, and the connection goes on */
    struct hs h;
    static uint8_t nst[6000];
    uint8_t buf[16];
    size_t tl = sizeof nst - 4 - 4 - 4 - 1 - 2 - 2;
    connect_to(&h, run_new());
    h.r->c.rx_cap = 4096;
    nst[0] = 4;
    nst[1] = (uint8_t)((sizeof nst - 4) >> 16);
    nst[2] = (uint8_t)((sizeof nst - 4) >> 8);
    nst[3] = (uint8_t)(sizeof nst - 4);
    nst[7] = 60;                      /* lifetime */
    nst[12] = 0;                      /* nonce length */
    nst[13] = (uint8_t)(tl >> 8);
    nst[14] = (uint8_t)tl;
    for (size_t off = 0; off < sizeof nst; off += 1000)
        send_enc(&h, &h.s.sap, 22, nst + off, sizeof nst - off < 1000 ? sizeof nst - off : 1000);
    send_enc(&h, &h.s.sap, 23, (const uint8_t *)"still here", 10);
    cr_assert_eq(dtls_read(&h.r->c, buf, sizeof buf), 10);
    cr_assert_eq(h.r->t.tickets_stored, 0);
    hs_end(&h);
}

Test(record, client_struct_size)
{
    /* the engine's own state (everything but the embedded X.509 validator) stays < 2 KB */
    size_t engine = sizeof(struct dtls_client) - sizeof(struct dtls_x509_validator);
    fprintf(stderr, "sizeof(struct dtls_client) = %zu (engine %zu + validator %zu)\n",
            sizeof(struct dtls_client), engine, sizeof(struct dtls_x509_validator));
    cr_assert_lt(engine, 2048);
}

Test(record, random_io_schedules)
{
    /* 200 runs: the server's records cut at random, every read and write of random size,
       spurious WANT_READ / WANT_WRITE, and a KeyUpdate in the middle of the data */
    unsigned runs = 0;
    for (uint64_t seed = 1; seed <= 200; seed++) {
        struct hs h;
        uint8_t f[4096], buf[256], data[700], type, pt[1024];
        size_t n, cl, off = 0, got = 0;
        const uint8_t *cert;
        uint64_t cut = seed * 0x9e3779b97f4a7c15ull;
        int rc, spins = 0;
        long w;

        hs_start(&h);
        cert = trace_cert(&cl);
        h.r->p.seed = seed;
        server_hello(&h);
        n = ee_msg(f, NULL, 0);
        memcpy(f + n, cert, cl);
        n += cl;
        ts_hash(&h.s, f, n);
        n += ts_cert_verify(&h.s, f + n);
        n += ts_finished(&h.s, f + n);
        while (off < n) {
            size_t per = 1 + test_rand_u32(&cut) % 300;
            if (per > n - off)
                per = n - off;
            send_enc(&h, &h.s.shs, 22, f + off, per);
            off += per;
        }
        while ((rc = dtls_handshake(&h.r->c)) == DTLS_WANT_READ || rc == DTLS_WANT_WRITE)
            cr_assert(++spins < 100000);
        cr_assert_eq(rc, DTLS_OK, "seed %llu: %s", (unsigned long long)seed, dtls_strerror(rc));
        while ((rc = dtls_flush(&h.r->c)) == DTLS_WANT_WRITE)
            ;
        h.r->p.seed = 0;
        expect_connected(&h);
        h.r->p.seed = seed;

        for (size_t i = 0; i < sizeof data; i++)
            data[i] = (uint8_t)(i ^ seed);
        send_enc(&h, &h.s.sap, 23, data, 300);
        send_enc(&h, &h.s.sap, 22, (const uint8_t[]){ 24, 0, 0, 1, 1 }, 5);
        ts_update(&h.s, 0);
        send_enc(&h, &h.s.sap, 23, data + 300, 400);
        while (got < sizeof data) {
            long r = dtls_read(&h.r->c, buf, 1 + test_rand_u32(&cut) % sizeof buf);
            if (r == DTLS_WANT_READ || r == DTLS_WANT_WRITE)
                continue;
            cr_assert(r > 0, "read %ld", r);
            cr_assert(memcmp(buf, data + got, (size_t)r) == 0);
            got += (size_t)r;
        }
        do
            w = dtls_write(&h.r->c, (const uint8_t *)"done", 4);
        while (w == DTLS_WANT_WRITE);
        cr_assert_eq(w, 4);
        while ((rc = dtls_flush(&h.r->c)) == DTLS_WANT_WRITE)
            ;
        /* the answer to the KeyUpdate, then "done" under the new key */
        h.r->p.seed = 0;
        n = client_app(&h, &type, pt);
        cr_assert(type == 22 && n == 5 && pt[0] == 24 && pt[4] == 0);
        ts_update(&h.s, 1);
        n = client_app(&h, &type, pt);
        cr_assert(type == 23 && n == 4 && memcmp(pt, "done", 4) == 0);
        hs_end(&h);
        runs++;
    }
    vec_report("random I/O schedules", runs, 0);
}

Test(record, new_session_ticket_stored)
{
    /* unknown extensions in a NewSessionTicket are ignored; early_data is read */
    struct hs h;
    uint8_t buf[8], psk[32];
    static const uint8_t nst[] = { 4, 0, 0, 30,
                                   0, 0, 0x1c, 0x20,       /* lifetime 7200 */
                                   0xaa, 0xbb, 0xcc, 0xdd, /* age_add */
                                   2, 0x01, 0x02,          /* nonce */
                                   0, 3, 't', 'k', 't',    /* ticket */
                                   0, 12,                  /* extensions */
                                   0x7a, 0x7a, 0, 0,       /* unknown (GREASE-like) */
                                   0, 42, 0, 4, 0, 0, 0x40, 0 };
    connect_to(&h, run_new());
    send_enc(&h, &h.s.sap, 22, nst, sizeof nst);
    cr_assert_eq(dtls_read(&h.r->c, buf, sizeof buf), DTLS_WANT_READ);
    cr_assert_eq(h.r->t.tickets_stored, 1);
    cr_assert_eq(h.r->t.ticket.lifetime, 7200);
    cr_assert_eq(h.r->t.ticket.age_add, 0xaabbccdd);
    cr_assert_eq(h.r->t.ticket.max_early_data, 0x4000);
    cr_assert_eq(h.r->t.ticket.suite, 0x1301);
    cr_assert_eq(h.r->t.ticket.received, h.r->t.now);
    cr_assert_eq(h.r->t.ticket.ticket_len, 3);
    cr_assert(memcmp(h.r->t.ticket_bytes, "tkt", 3) == 0);
    ts_ticket_psk(&h.s, (const uint8_t[]){ 1, 2 }, 2, psk);
    cr_assert_eq(h.r->t.ticket.psk_len, 32);
    cr_assert(memcmp(h.r->t.ticket.psk, psk, 32) == 0, "resumption PSK");
    hs_end(&h);
}

Test(record, new_session_ticket_malformed)
{
    struct hs h;
    static const uint8_t nst[] = { 4, 0, 0, 12, 0, 0, 0x1c, 0x20, 0, 0, 0, 0, 0, 0, 0, 0 };
    connect_to(&h, run_new());
    send_enc(&h, &h.s.sap, 22, nst, sizeof nst); /* empty ticket */
    read_fails(&h, DTLS_E_DECODE_ERROR, 50);
    hs_end(&h);
}

/* ---- the server's flight lands in tx: rx holds one certificate, not a record --------------- */

/*
 * With separate buffers, the records of the server's encrypted flight are received in
 * the idle transmit buffer and only their plaintext goes into rx, as the handshake
 * consumes it. The rule (include/dtls/dtls.h): rx must hold the largest certificate
 * entry (DER + 5 bytes) and the largest other message, not that plus a record.
 */

static unsigned certs_seen;
static void count_certs(void *ctx, unsigned index, const uint8_t *der, size_t len)
{
    (void)ctx, (void)der, (void)len;
    certs_seen = index + 1;
}

/* Start a client whose rx is exactly rx_len bytes (malloc'd, so ASan sees an overrun)
 * and, when tx_len is not 0, whose tx is exactly tx_len bytes. */
static void start_sized(struct hs *h, size_t rx_len, size_t tx_len)
{
    struct run *r = run_new();
    r->cfg.peer_cert = count_certs;
    certs_seen = 0;
    hs_start_with(h, r);
    r->c.rx = malloc(rx_len);
    r->c.rx_cap = rx_len;
    if (tx_len) {
        /* nothing of ours is pending (hs_start took the ClientHello off the wire), but the
           ClientHello stays in tx until the ServerHello hashes it */
        cr_assert(r->c.u.hs.ch_off + r->c.u.hs.ch_len <= tx_len);
        r->c.tx = malloc(tx_len);
        memcpy(r->c.tx, r->tx, tx_len);
        r->c.tx_cap = tx_len;
        r->c.stage_off = tx_len;
        r->c.out_off = r->c.out_end = 0;
    }
}

static void end_sized(struct hs *h, int own_tx)
{
    free(h->r->c.rx);
    if (own_tx)
        free(h->r->c.tx);
    hs_end(h);
}

/* The flight messages (EE, Certificate, CertificateVerify, Finished) into f, hashed. */
static size_t flight_bytes(struct hs *h, uint8_t *f)
{
    size_t n = ee_msg(f, NULL, 0), cl;
    const uint8_t *cert = trace_cert(&cl);
    memcpy(f + n, cert, cl);
    n += cl;
    ts_hash(&h->s, f, n);
    n += ts_cert_verify(&h->s, f + n);
    n += ts_finished(&h->s, f + n);
    return n;
}

/* DER length of the trace's (only) certificate: its entry is that + 5. */
static size_t trace_cert_der_len(void)
{
    size_t cl;
    const uint8_t *cert = trace_cert(&cl);
    return (size_t)((cert[8] << 16) | (cert[9] << 8) | cert[10]);
}

Test(record, flight_in_one_record_through_rx_of_one_certificate)
{
    /* one record of ~700 bytes, rx exactly one certificate entry (~450): the record
       lands in tx and its plaintext is taken in pieces */
    for (uint64_t seed = 0; seed <= 50; seed++) {
        struct hs h;
        uint8_t f[4096], buf[16];
        size_t entry = trace_cert_der_len() + 5;
        start_sized(&h, entry, 0);
        h.r->p.seed = seed; /* random read sizes and spurious WANT_READ, from seed 1 on */
        h.r->p.rchunk = seed ? 97 : 0;
        server_hello(&h);
        size_t n = flight_bytes(&h, f);
        cr_assert_gt(n, entry + 100, "the record must be larger than rx");
        send_enc(&h, &h.s.shs, 22, f, n);
        int rc, spins = 0;
        while ((rc = dtls_handshake(&h.r->c)) == DTLS_WANT_READ || rc == DTLS_WANT_WRITE)
            cr_assert(++spins < 100000);
        cr_assert_eq(rc, DTLS_OK, "seed %llu: %s", (unsigned long long)seed, dtls_strerror(rc));
        h.r->p.seed = 0;
        expect_connected(&h);
        cr_assert_eq(certs_seen, 1);
        /* after the handshake, records land in rx again: one that fits is read */
        send_enc(&h, &h.s.sap, 23, (const uint8_t *)"after", 5);
        cr_assert_eq(dtls_read(&h.r->c, buf, sizeof buf), 5);
        end_sized(&h, 0);
    }
}

Test(record, certificate_entry_one_byte_larger_than_rx_fails)
{
    struct hs h;
    uint8_t f[4096];
    start_sized(&h, trace_cert_der_len() + 4, 0);
    server_hello(&h);
    send_enc(&h, &h.s.shs, 22, f, flight_bytes(&h, f));
    expect_fail(&h, DTLS_E_BUFFER, 80, 1);
    cr_assert_eq(certs_seen, 0, "nothing handed on from a certificate that did not fit");
    end_sized(&h, 0);
}

Test(record, flight_record_with_bad_tag_in_tx_is_not_processed)
{
    /* the record is authenticated before a single byte of it reaches the handshake */
    struct hs h;
    uint8_t f[4096], rec[5000];
    start_sized(&h, trace_cert_der_len() + 5, 0);
    server_hello(&h);
    size_t n = flight_bytes(&h, f);
    size_t rl = rec_seal(&h.s.shs, rec, 22, f, n, 0);
    rec[rl - 1] ^= 1;
    pipe_feed(&h.r->p, rec, rl);
    expect_fail(&h, DTLS_E_BAD_RECORD_MAC, 20, 1);
    cr_assert_eq(certs_seen, 0, "no certificate of an unauthenticated record was looked at");
    end_sized(&h, 0);
}

Test(record, finished_must_end_a_record_taken_in_pieces)
{
    /* 5.1: bytes after Finished in the same record, found while the record is still
       being moved into a small rx, are unexpected_message */
    struct hs h;
    uint8_t f[4096];
    start_sized(&h, trace_cert_der_len() + 5, 0);
    server_hello(&h);
    size_t n = flight_bytes(&h, f);
    memset(f + n, 0, 600);
    f[n] = 4; /* a NewSessionTicket header with no body yet */
    f[n + 3] = 200;
    send_enc(&h, &h.s.shs, 22, f, n + 600);
    expect_fail(&h, DTLS_E_UNEXPECTED_MESSAGE, 10, 1);
    end_sized(&h, 0);
}

Test(record, flight_record_larger_than_tx_lands_in_rx)
{
    /* a server that ignores max_fragment: a 3 KB record, tx of 1 KB; rx can hold it */
    struct hs h;
    uint8_t f[4096], rec[8000];
    start_sized(&h, 6000, 1024);
    server_hello(&h);
    size_t n = flight_bytes(&h, f);
    size_t rl = rec_seal(&h.s.shs, rec, 22, f, n, 2500);
    cr_assert_gt(rl, 3000);
    pipe_feed(&h.r->p, rec, rl);
    expect_connected(&h);
    cr_assert_eq(certs_seen, 1);
    end_sized(&h, 1);
}

Test(record, flight_record_larger_than_both_buffers_fails)
{
    struct hs h;
    uint8_t f[4096], rec[8000];
    start_sized(&h, 2048, 1024);
    server_hello(&h);
    size_t n = flight_bytes(&h, f);
    pipe_feed(&h.r->p, rec, rec_seal(&h.s.shs, rec, 22, f, n, 2500));
    expect_fail(&h, DTLS_E_BUFFER, 80, 1);
    cr_assert_eq(certs_seen, 0);
    end_sized(&h, 1);
}

Test(record, shared_buffer_needs_a_certificate_plus_a_record)
{
    /* one buffer: the record cannot land anywhere else, so it must fit after the
       unfinished certificate entry (DTLS_SHARED_BUFFER_SIZE) */
    size_t entry = trace_cert_der_len() + 5;
    for (int fits = 0; fits <= 1; fits++) {
        struct hs h;
        uint8_t f[4096], hdr[300];
        struct run *r = run_new();
        r->shared = 2048;
        hs_start_with(&h, r);
        server_hello(&h);
        cr_assert_eq(dtls_handshake(&h.r->c), DTLS_WANT_READ); /* the ServerHello is in */
        /* EE + the first 100 bytes of the Certificate in one record, the rest in a
           second record */
        size_t n = flight_bytes(&h, f), first = ee_msg(hdr, NULL, 0) + 100;
        send_enc(&h, &h.s.shs, 22, f, first);
        send_enc(&h, &h.s.shs, 22, f + first, n - first);
        /* at the second record the buffer holds 92 bytes of the entry (the rest of the
           100 after the 8-byte message header), then needs the whole record:
           5 + (n - first) + 1 + 16 */
        size_t need = (100 - 8) + 5 + (n - first) + 1 + 16;
        cr_assert_lt(entry, need);
        h.r->c.rx_cap = h.r->c.tx_cap = fits ? need : need - 1;
        h.r->c.stage_off = h.r->c.tx_cap;
        if (fits) {
            expect_connected(&h);
        } else {
            cr_assert_eq(dtls_handshake(&h.r->c), DTLS_E_BUFFER);
            cr_assert_eq(dtls_last_alert(&h.r->c, DTLS_ALERT_SENT), 80);
        }
        hs_end(&h);
    }
}

/* ---- dtls_receive: one record, no application data taken ----------------------------------- */

Test(record, receive_handles_one_record_and_keeps_data)
{
    struct hs h;
    uint8_t buf[16];
    static const uint8_t nst[] = { 4, 0, 0, 14, 0, 0, 0x1c, 0x20, 0, 0, 0, 1, 0, 0, 1, 't', 0, 0 };
    connect_to(&h, run_new());
    cr_assert_eq(dtls_receive(&h.r->c), DTLS_WANT_READ, "nothing there yet");
    send_enc(&h, &h.s.sap, 22, nst, sizeof nst);
    send_enc(&h, &h.s.sap, 23, (const uint8_t *)"data", 4);
    cr_assert_eq(dtls_receive(&h.r->c), DTLS_OK, "the ticket");
    cr_assert_eq(h.r->t.tickets_stored, 1);
    cr_assert_eq(dtls_pending(&h.r->c), 0);
    cr_assert_eq(dtls_receive(&h.r->c), DTLS_OK, "the data record");
    cr_assert_eq(dtls_pending(&h.r->c), 4, "application data is left for dtls_read");
    cr_assert_eq(dtls_receive(&h.r->c), DTLS_OK, "data waiting: no I/O");
    cr_assert_eq(dtls_read(&h.r->c, buf, sizeof buf), 4);
    cr_assert(memcmp(buf, "data", 4) == 0);
    hs_end(&h);
}

Test(record, receive_reports_the_servers_verdict_alert)
{
    /* what a TLS 1.3 server that wanted a client certificate sends after our Finished */
    struct hs h;
    connect_to(&h, run_new());
    send_enc(&h, &h.s.sap, 21, (const uint8_t[]){ 2, 116 }, 2);
    cr_assert_eq(dtls_receive(&h.r->c), DTLS_E_PEER_ALERT(116));
    cr_assert_eq(dtls_last_alert(&h.r->c, DTLS_ALERT_RECEIVED), 116);
    cr_assert_eq(dtls_receive(&h.r->c), DTLS_E_PEER_ALERT(116), "sticky");
    hs_end(&h);
}
