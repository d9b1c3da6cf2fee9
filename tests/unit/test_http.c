/* src/http: URL parser, request writer, streaming response parser. */
#include <criterion/criterion.h>
#include <dtls/http.h>
#include <stdio.h>
#include <string.h>

static int url(const char *s, struct dtls_url *u)
{
    return dtls_url_parse(u, s);
}

static int host_is(const struct dtls_url *u, const char *h)
{
    return u->host_len == strlen(h) && memcmp(u->host, h, u->host_len) == 0;
}

Test(url, accepts_the_usual_forms)
{
    struct dtls_url u;
    cr_assert_eq(url("https://cloud.example/v1/telemetry?ct=30", &u), 0);
    cr_assert(u.https && u.port == 443 && !u.port_explicit && host_is(&u, "cloud.example"));
    cr_assert_eq(u.path_len, strlen("/v1/telemetry?ct=30"));
    cr_assert_eq(url("HTTP://127.0.0.1:8080", &u), 0);
    cr_assert(!u.https && u.port == 8080 && u.host_is_ip == 4 && u.path_len == 1 && u.path[0] == '/');
    cr_assert_eq(url("https://[::1]:8443/x#frag", &u), 0);
    cr_assert(u.host_is_ip == 6 && host_is(&u, "::1") && u.port == 8443);
    cr_assert_eq(u.path_len, 2, "fragment must not be part of the request target");
    cr_assert_eq(url("https://h?q=1", &u), 0);
    cr_assert(u.query_only);
}

Test(url, refuses_bad_input_with_specific_errors)
{
    struct dtls_url u;
    cr_assert_eq(url("ftp://x/", &u), DTLS_URL_E_SCHEME);
    cr_assert_eq(url("cloud.example/x", &u), DTLS_URL_E_SCHEME);
    cr_assert_eq(url("https:///x", &u), DTLS_URL_E_HOST);
    cr_assert_eq(url("https://a b/", &u), DTLS_URL_E_CHAR);
    cr_assert_eq(url("https://h/a\tb", &u), DTLS_URL_E_CHAR);
    cr_assert_eq(url("https://h/%zz", &u), DTLS_URL_E_CHAR);
    cr_assert_eq(url("https://h/%4", &u), DTLS_URL_E_CHAR);
    cr_assert_eq(url("https://h:0/", &u), DTLS_URL_E_PORT);
    cr_assert_eq(url("https://h:65536/", &u), DTLS_URL_E_PORT);
    cr_assert_eq(url("https://h:/", &u), DTLS_URL_E_PORT);
    cr_assert_eq(url("https://user:pw@h/", &u), DTLS_URL_E_USERINFO);
    cr_assert_eq(url("https://[::1/", &u), DTLS_URL_E_HOST);
    cr_assert_eq(url("https://[1:2:3:4:5:6:7:8:9]/", &u), DTLS_URL_E_HOST);
    cr_assert_eq(url("https://999.1.1.1/", &u), DTLS_URL_E_HOST);
    cr_assert_eq(url("https://a..b/", &u), DTLS_URL_E_HOST);
    cr_assert_eq(url("https://caf\xc3\xa9.example/", &u), DTLS_URL_E_CHAR);
    char longu[DTLS_URL_MAX + 20] = "https://h/";
    memset(longu + 10, 'a', DTLS_URL_MAX);
    longu[DTLS_URL_MAX + 10] = 0;
    cr_assert_eq(url(longu, &u), DTLS_URL_E_LONG);
}

Test(url, hostport_for_probe)
{
    struct dtls_url u;
    cr_assert_eq(dtls_url_parse_hostport(&u, "localhost:4433"), 0);
    cr_assert(host_is(&u, "localhost") && u.port == 4433 && u.https);
    cr_assert_eq(dtls_url_parse_hostport(&u, "example.com"), 0);
    cr_assert_eq(u.port, 443);
    cr_assert_eq(dtls_url_parse_hostport(&u, "::1"), 0);
    cr_assert(u.host_is_ip == 6 && u.port == 443);
    cr_assert_eq(dtls_url_parse_hostport(&u, "[::1]:99"), 0);
    cr_assert_eq(u.port, 99);
    cr_assert_eq(dtls_url_parse_hostport(&u, "https://x:5/"), 0);
    cr_assert_eq(u.port, 5);
    cr_assert_eq(dtls_url_parse_hostport(&u, ""), DTLS_URL_E_HOST);
}

Test(request, head_is_exact_and_refuses_injection)
{
    struct dtls_url u;
    char buf[512];
    cr_assert_eq(url("https://cloud.example:8443/v1/t?ct=5", &u), 0);
    struct dtls_http_header h[] = { { "Content-Type", "application/json" }, { "Authorization", "Basic eA==" } };
    long n = dtls_http_request_head(buf, sizeof buf, "POST", &u, h, 2, 7, 1);
    const char *want = "POST /v1/t?ct=5 HTTP/1.1\r\nHost: cloud.example:8443\r\nContent-Type: application/json\r\n"
                       "Authorization: Basic eA==\r\nContent-Length: 7\r\n\r\n";
    cr_assert_eq(n, (long)strlen(want));
    cr_assert(memcmp(buf, want, (size_t)n) == 0);
    n = dtls_http_request_head(buf, sizeof buf, "GET", &u, NULL, 0, -1, 0);
    cr_assert(n > 0 && strstr(buf, "Connection: close\r\n\r\n"));
    struct dtls_http_header bad[] = { { "X", "a\r\nEvil: 1" } };
    cr_assert_eq(dtls_http_request_head(buf, sizeof buf, "GET", &u, bad, 1, -1, 1), DTLS_HTTP_E_BAD_HEADER);
    struct dtls_http_header badname[] = { { "Bad Name", "v" } };
    cr_assert_eq(dtls_http_request_head(buf, sizeof buf, "GET", &u, badname, 1, -1, 1), DTLS_HTTP_E_BAD_HEADER);
    struct dtls_http_header framing[] = { { "content-length", "5" } };
    cr_assert_eq(dtls_http_request_head(buf, sizeof buf, "GET", &u, framing, 1, -1, 1), DTLS_HTTP_E_BAD_HEADER);
    cr_assert_eq(dtls_http_request_head(buf, 20, "GET", &u, NULL, 0, -1, 1), DTLS_HTTP_E_TOO_LONG);
    cr_assert_eq(url("https://[::1]/", &u), 0);
    n = dtls_http_request_head(buf, sizeof buf, "GET", &u, NULL, 0, -1, 1);
    cr_assert(n > 0 && strstr(buf, "Host: [::1]\r\n"));
}

/* Feed a whole response in pieces of `step` bytes; collect status, headers, body. */
struct result {
    int status, keep_alive, err, done, headers;
    char body[4096];
    size_t body_len;
    char hdr[1024];
};

static void run(const char *resp, size_t len, size_t step, int head, int eof, struct result *res)
{
    struct dtls_http_response r;
    struct dtls_http_event ev;
    memset(res, 0, sizeof *res);
    dtls_http_response_init(&r, head);
    size_t off = 0;
    while (off < len && !res->done && !res->err) {
        size_t n = len - off < step ? len - off : step;
        size_t pos = 0;
        for (;;) {
            size_t used;
            int e = dtls_http_parse(&r, (const uint8_t *)resp + off + pos, n - pos, &used, &ev);
            pos += used;
            if (e < 0) {
                res->err = e;
                break;
            }
            if (e == DTLS_HTTP_EV_HEADER) {
                res->headers++;
                strncat(res->hdr, ev.name, ev.name_len);
                strcat(res->hdr, "=");
                strncat(res->hdr, ev.value, ev.value_len);
                strcat(res->hdr, ";");
            }
            if (e == DTLS_HTTP_EV_BODY) {
                memcpy(res->body + res->body_len, ev.data, ev.len);
                res->body_len += ev.len;
            }
            if (e == DTLS_HTTP_EV_DONE) {
                res->done = 1;
                break;
            }
            if (e == DTLS_HTTP_EV_NEED_MORE)
                break;
        }
        off += n;
    }
    if (!res->done && !res->err) {
        /* the parser may still hold a DONE for us */
        size_t used;
        int e = dtls_http_parse(&r, NULL, 0, &used, &ev);
        if (e == DTLS_HTTP_EV_DONE)
            res->done = 1;
        else if (eof) {
            e = dtls_http_parse_eof(&r);
            if (e == DTLS_HTTP_EV_DONE)
                res->done = 1;
            else
                res->err = e;
        }
    }
    res->status = r.status;
    res->keep_alive = r.keep_alive;
}

static void run_all_steps(const char *resp, int head, int eof, void (*check)(const struct result *))
{
    size_t len = strlen(resp);
    for (size_t step = 1; step <= len; step++) {
        struct result res;
        run(resp, len, step, head, eof, &res);
        check(&res);
    }
}

static void check_cl(const struct result *r)
{
    cr_assert_eq(r->err, 0);
    cr_assert(r->done);
    cr_assert_eq(r->status, 202);
    cr_assert(r->keep_alive);
    cr_assert_eq(r->body_len, 5);
    cr_assert(memcmp(r->body, "hello", 5) == 0);
    cr_assert_str_eq(r->hdr, "Content-Length=5;command=set-led;");
}

Test(response, content_length_in_every_split)
{
    run_all_steps("HTTP/1.1 202 Accepted\r\nContent-Length: 5\r\ncommand:  set-led \r\n\r\nhello", 0, 0, check_cl);
}

static void check_chunked(const struct result *r)
{
    cr_assert_eq(r->err, 0);
    cr_assert(r->done);
    cr_assert_eq(r->status, 200);
    cr_assert_eq(r->body_len, 11);
    cr_assert(memcmp(r->body, "hello world", 11) == 0);
}

Test(response, chunked_with_extensions_and_trailers)
{
    run_all_steps("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-T: 1\r\n\r\n",
                  0, 0, check_chunked);
}

static void check_interim(const struct result *r)
{
    cr_assert_eq(r->err, 0);
    cr_assert(r->done);
    cr_assert_eq(r->status, 204);
}

Test(response, interim_1xx_is_skipped_and_204_has_no_body)
{
    run_all_steps("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n", 0, 0, check_interim);
}

static void check_close(const struct result *r)
{
    cr_assert_eq(r->err, 0);
    cr_assert(r->done);
    cr_assert(!r->keep_alive);
    cr_assert_eq(r->body_len, 3);
}

Test(response, body_until_close_and_http10)
{
    run_all_steps("HTTP/1.0 200 OK\r\n\r\nabc", 0, 1, check_close);
    struct result res;
    const char *s = "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";
    run(s, strlen(s), 7, 0, 0, &res);
    cr_assert(res.done && !res.keep_alive);
    s = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc";
    run(s, strlen(s), 5, 0, 1, &res);
    cr_assert_eq(res.err, DTLS_HTTP_E_TRUNCATED);
    s = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n";
    run(s, strlen(s), 100, 1, 0, &res);
    cr_assert(res.done && res.body_len == 0, "HEAD responses have no body");
}

static int parse_err(const char *s)
{
    struct result res;
    run(s, strlen(s), 3, 0, 1, &res);
    return res.err;
}

Test(response, hostile_input_gets_specific_errors)
{
    cr_assert_eq(parse_err("HTTP/2 200 OK\r\n\r\n"), DTLS_HTTP_E_BAD_STATUS);
    cr_assert_eq(parse_err("HTTP/1.1 20 OK\r\n\r\n"), DTLS_HTTP_E_BAD_STATUS);
    cr_assert_eq(parse_err("HTTP/1.1 200OK\r\n\r\n"), DTLS_HTTP_E_BAD_STATUS);
    cr_assert_eq(parse_err("HTTP/1.1 200 OK\r\nNoColon\r\n\r\n"), DTLS_HTTP_E_BAD_HEADER);
    cr_assert_eq(parse_err("HTTP/1.1 200 OK\r\nA: b\r\n folded\r\n\r\n"), DTLS_HTTP_E_BAD_HEADER);
    cr_assert_eq(parse_err("HTTP/1.1 200 OK\r\nA: b\rc\r\n\r\n"), DTLS_HTTP_E_BAD_HEADER);
    cr_assert_eq(parse_err("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n"), DTLS_HTTP_E_BAD_LENGTH);
    cr_assert_eq(parse_err("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n"), DTLS_HTTP_E_BAD_LENGTH);
    cr_assert_eq(parse_err("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n"),
                 DTLS_HTTP_E_BAD_LENGTH);
    cr_assert_eq(parse_err("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n"), DTLS_HTTP_E_BAD_LENGTH);
    cr_assert_eq(parse_err("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"), DTLS_HTTP_E_BAD_CHUNK);
    cr_assert_eq(parse_err("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n"), DTLS_HTTP_E_BAD_CHUNK);
    cr_assert_eq(parse_err("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n"),
                 DTLS_HTTP_E_BAD_CHUNK);
    cr_assert_eq(parse_err("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab"), DTLS_HTTP_E_TRUNCATED);
    char big[DTLS_HTTP_LINE_MAX + 64];
    snprintf(big, sizeof big, "HTTP/1.1 200 OK\r\nX: %0*d\r\n\r\n", DTLS_HTTP_LINE_MAX, 0);
    cr_assert_eq(parse_err(big), DTLS_HTTP_E_TOO_LONG);
    static char many[DTLS_HTTP_HEADERS_MAX * 8 + 64];
    strcpy(many, "HTTP/1.1 200 OK\r\n");
    for (int i = 0; i <= DTLS_HTTP_HEADERS_MAX; i++)
        strcat(many, "A: b\r\n");
    strcat(many, "\r\n");
    cr_assert_eq(parse_err(many), DTLS_HTTP_E_TOO_MANY);
}

Test(response, errors_are_sticky)
{
    struct dtls_http_response r;
    struct dtls_http_event ev;
    size_t used;
    dtls_http_response_init(&r, 0);
    cr_assert_eq(dtls_http_parse(&r, (const uint8_t *)"XTTP/1.1 200 OK\r\n", 17, &used, &ev), DTLS_HTTP_E_BAD_STATUS);
    cr_assert_eq(dtls_http_parse(&r, (const uint8_t *)"HTTP/1.1 200 OK\r\n", 17, &used, &ev), DTLS_HTTP_E_BAD_STATUS);
}
