/*
 * Example firmware: a Cortex-M4 sends one JSON reading over HTTPS.
 *
 *   1. TLS 1.3 handshake over UART0 (the byte stream QEMU bridges to a TCP
 *      server), with full chain verification against the trust anchor
 *      compiled in (make CA=root.pem) and the server name (make HOST=...);
 *   2. one HTTP POST of a JSON reading (src/http writes the request head);
 *   3. the response parsed as it streams in (status, body);
 *   4. close_notify, and the server's close_notify in return;
 *   5. one result line on the semihosting console, exit status 0; any
 *      failure prints "dtls-fw: FAIL <step>: <dtls error name>" and exits
 *      non-zero (1 TLS, 2 HTTP, 3 set-up).
 *
 * Memory: everything is static, sized at compile time; no heap exists. The
 * buffers follow the library's rule: a record of the max_fragment asked for,
 * and room for the server's largest certificate (make CERT_ROOM=, the
 * library's DTLS_CERT_ROOM); with make BUFFERS=shared one buffer serves both
 * directions and must hold both at once.
 * The same code runs blocking or non-blocking (make IO=nonblocking): every
 * dtls call that returns DTLS_WANT_READ/WRITE is called again after
 * uart_wait(), which sleeps until the UART has something (nonblocking) or
 * returns at once (blocking, where the calls never return DTLS_WANT_*).
 *
 * The semihosting command line (from the test harness) carries the DRBG seed
 * and a run id: "fw.elf seed=<64 hex> id=<word>". TEST ONLY, see rng_test.c.
 */
#include "fw.h" /* first: its generated config sets DTLS_CERT_ROOM */

#include <dtls/dtls.h>
#include <dtls/http.h>
#include <string.h>

#include "board.h"
#include "semihost.h"

/* The sizing rule of <dtls/dtls.h> ("Sizing the buffers"), with DTLS_CERT_ROOM
 * (the largest certificate the server will send) set by make CERT_ROOM=. */

#if FW_SHARED_BUFFER
/* One buffer for both directions: the connection is half-duplex (dtls_write
 * answers DTLS_E_BUSY while received data waits to be read), which is all a
 * request/response exchange needs. */
static uint8_t io_buf[DTLS_SHARED_BUFFER_SIZE(FW_MAX_FRAGMENT)];
#define rx_buf io_buf
#define tx_buf io_buf
#define TX_BYTES 0
#else
static uint8_t rx_buf[DTLS_RX_BUFFER_SIZE(FW_MAX_FRAGMENT)];
static uint8_t tx_buf[DTLS_TX_BUFFER_SIZE(FW_MAX_FRAGMENT)];
#define TX_BYTES sizeof tx_buf
#endif
static struct dtls_client client;
static struct dtls_http_response response;
static char line[384];          /* the result line */
static char args[160];          /* semihosting command line */
static char confirm[64];        /* start of the response body */

#ifdef FW_PROFILE_FULL
extern unsigned fw_tickets;
#endif

/* ---- a tiny string builder for the console (no printf: no stdio linked) */

static size_t line_len;
static void put(const char *s)
{
    while (*s && line_len + 1 < sizeof line)
        line[line_len++] = *s++;
    line[line_len] = '\0';
}
static void put_u(unsigned long v)
{
    char d[12];
    int n = 0;
    do
        d[n++] = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    char s[12];
    for (int i = 0; i < n; i++)
        s[i] = d[n - 1 - i];
    s[n] = '\0';
    put(s);
}
static void put_kv(const char *k, const char *v)
{
    put(" ");
    put(k);
    put("=");
    put(v ? v : "none");
}
static void put_kv_u(const char *k, unsigned long v)
{
    put(" ");
    put(k);
    put("=");
    put_u(v);
}

static int client_ready;

static int fail(int status, const char *step, const char *why)
{
    line_len = 0;
    put("dtls-fw: FAIL ");
    put(step);
    put(": ");
    put(why);
    int sent = client_ready ? dtls_last_alert(&client, DTLS_ALERT_SENT) : -1;
    int recv = client_ready ? dtls_last_alert(&client, DTLS_ALERT_RECEIVED) : -1;
    if (sent >= 0)
        put_kv("alert_sent", dtls_alert_name(sent));
    if (recv >= 0)
        put_kv("alert_received", dtls_alert_name(recv));
    put_kv_u("uart_rx", uart_rx_count);
    put_kv_u("uart_tx", uart_tx_count);
    put("\n");
    semihost_puts(line);
    if (client_ready)
        uart_drain(50, 500);
    return status;
}

/* ---- the semihosting command line: seed=HEX id=WORD */

static const char *arg(const char *name, size_t *len)
{
    size_t nl = strlen(name);
    for (const char *p = args; *p;) {
        while (*p == ' ')
            p++;
        const char *end = p;
        while (*end && *end != ' ')
            end++;
        if ((size_t)(end - p) > nl && memcmp(p, name, nl) == 0 && p[nl] == '=') {
            *len = (size_t)(end - p) - nl - 1;
            return p + nl + 1;
        }
        p = end;
    }
    return NULL;
}

static int64_t clock_now(void *ctx)
{
    (void)ctx;
    return semihost_time();
}

/* Write all of buf through the TLS connection (dtls_write takes a record's worth at a time). */
static long write_all(const uint8_t *buf, size_t len)
{
    size_t off = 0;
    while (off < len) {
        long n = dtls_write(&client, buf + off, len - off);
        if (n == DTLS_WANT_READ || n == DTLS_WANT_WRITE) {
            uart_wait(n);
            continue;
        }
        if (n < 0)
            return n;
        off += (size_t)n;
    }
    int rc;
    while ((rc = dtls_flush(&client)) == DTLS_WANT_WRITE)
        uart_wait(rc);
    return rc;
}

int main(void)
{
    uart_init();

    /* 0. seed (TEST ONLY) and run id from the harness */
    size_t seed_len = 0, id_len = 0;
    if (semihost_cmdline(args, sizeof args) < 0)
        return fail(3, "setup", "no semihosting command line");
    const char *seed = arg("seed", &seed_len);
    const char *id = arg("id", &id_len);
    if (!seed || test_rng_seed(seed, seed_len) != 0)
        return fail(3, "setup", "no seed=<64 hex digits> on the command line");
    if (!id || id_len > 32)
        id = "none", id_len = 4;

    /* 1. configure and handshake */
    struct dtls_config cfg = {
        .server_name = FW_HOST,
        .trust = &fw_anchors,
        .rng = test_rng,
        .now = clock_now,
        .max_fragment = FW_MAX_FRAGMENT,
    };
    profile_configure(&cfg);
    int rc = dtls_client_init(&client, &cfg, rx_buf, sizeof rx_buf, tx_buf, sizeof tx_buf);
    if (rc != DTLS_OK)
        return fail(3, "init", dtls_strerror(rc));
    client_ready = 1;
    dtls_client_set_io(&client, uart_read, uart_write, NULL);
    /* The library's share of the stack: how far the handshake went below this
       frame (main's own locals are the application's, not the library's). */
    size_t stack_base = stack_depth();
    while ((rc = dtls_handshake(&client)) == DTLS_WANT_READ || rc == DTLS_WANT_WRITE)
        uart_wait(rc);
    if (rc != DTLS_OK)
        return fail(1, "handshake", dtls_strerror(rc));
    size_t stack_hs = stack_peak() - stack_base;

    /* 2. POST the reading */
    char body[96];
    size_t blen = 0;
#define APPEND(s, n) (memcpy(body + blen, (s), (n)), blen += (n))
#define APPEND_LIT(s) APPEND(s, sizeof s - 1)
    APPEND_LIT("{\"device\":\"cortex-m4\",\"id\":\"");
    APPEND(id, id_len);
    APPEND_LIT("\",\"temperature\":21.5}");
    struct dtls_url url;
    if (dtls_url_parse(&url, FW_URL) != DTLS_URL_OK)
        return fail(3, "setup", "bad FW_URL");
    static const struct dtls_http_header headers[] = { { "Content-Type", "application/json" } };
    char head[256];
    long hl = dtls_http_request_head(head, sizeof head, "POST", &url, headers, 1, (long)blen, 0);
    if (hl < 0)
        return fail(2, "request", dtls_http_strerror((int)hl));
    long wr = write_all((const uint8_t *)head, (size_t)hl);
    if (wr >= 0)
        wr = write_all((const uint8_t *)body, blen);
    if (wr < 0)
        return fail(1, "write", dtls_strerror((int)wr));

    /* 3. read and parse the response */
    dtls_http_response_init(&response, 0);
    size_t confirm_len = 0, body_bytes = 0;
    int done = 0;
    uint8_t in[128];
    while (!done) {
        long n = dtls_read(&client, in, sizeof in);
        if (n == DTLS_WANT_READ || n == DTLS_WANT_WRITE) {
            uart_wait(n);
            continue;
        }
        if (n == 0 || n == DTLS_E_EOF) {
            rc = dtls_http_parse_eof(&response);
            if (rc != DTLS_HTTP_EV_DONE)
                return fail(2, "response", dtls_http_strerror(rc));
            break;
        }
        if (n < 0)
            return fail(1, "read", dtls_strerror((int)n));
        size_t used = 0;
        while (!done) {
            struct dtls_http_event ev;
            size_t u;
            int e = dtls_http_parse(&response, in + used, (size_t)n - used, &u, &ev);
            used += u;
            if (e < 0)
                return fail(2, "response", dtls_http_strerror(e));
            if (e == DTLS_HTTP_EV_NEED_MORE)
                break;
            if (e == DTLS_HTTP_EV_BODY) {
                body_bytes += ev.len;
                for (size_t i = 0; i < ev.len && confirm_len + 1 < sizeof confirm; i++) {
                    char ch = (char)ev.data[i];
                    confirm[confirm_len++] = (ch < 0x21 || ch > 0x7e) ? '_' : ch;
                }
            }
            if (e == DTLS_HTTP_EV_DONE)
                done = 1;
        }
    }

    /* 4. close_notify, then wait for the server's (dtls_read returns 0) */
    while ((rc = dtls_close(&client)) == DTLS_WANT_WRITE)
        uart_wait(rc);
    if (rc != DTLS_OK)
        return fail(1, "close", dtls_strerror(rc));
    for (;;) {
        long n = dtls_read(&client, in, sizeof in);
        if (n == DTLS_WANT_READ || n == DTLS_WANT_WRITE) {
            uart_wait(n);
            continue;
        }
        if (n == 0)
            break;
        if (n < 0)
            return fail(1, "close", dtls_strerror((int)n));
    }

    /* 5. one line of result */
    struct dtls_info info;
    dtls_get_info(&client, &info);
    line_len = 0;
    put(response.status >= 200 && response.status < 300 ? "dtls-fw: OK" : "dtls-fw: FAIL http:");
    put_kv_u("status", (unsigned long)response.status);
    put_kv("profile", FW_PROFILE_NAME);
    put_kv("suite", dtls_cipher_suite_name(info.cipher_suite));
    put_kv("group", dtls_group_name(info.group));
    put_kv("sig", dtls_signature_scheme_name(info.signature_scheme));
    put_kv_u("chain", info.chain_length);
    put_kv_u("max_fragment", info.max_fragment);
    put_kv("alpn", info.alpn);
    put_kv_u("cert_request", (unsigned long)info.client_auth);
    put_kv_u("client_cert", (unsigned long)info.client_cert_sent);
#ifdef FW_PROFILE_FULL
    put_kv_u("tickets", fw_tickets);
#endif
    put_kv_u("uart_rx", uart_rx_count);
    put_kv_u("uart_tx", uart_tx_count);
    put_kv_u("ctx", sizeof client);
    put_kv_u("rxbuf", sizeof rx_buf);
    put_kv_u("txbuf", TX_BYTES); /* 0: shared with rxbuf */
    put_kv_u("http", sizeof response);
    put_kv_u("stack_peak", stack_peak());
    put_kv_u("stack_hs", stack_hs);
    put_kv_u("stack_size", stack_size());
    put_kv_u("body", body_bytes);
    put_kv("confirm", confirm);
    put("\n");
    semihost_puts(line);
    return response.status >= 200 && response.status < 300 ? 0 : 2;
}
