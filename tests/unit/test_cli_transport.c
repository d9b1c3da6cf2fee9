/* dtls-send's embedded transport over plain http:// against a small scripted HTTP/1.1
 * server on loopback: keep-alive reuse, reconnecting after the server closed an idle
 * connection, never resending a request whose answer was lost unless the caller allows
 * it, chunked / Content-Length / close-delimited bodies, per-request timeouts. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "exitcodes.h"
#include "transport.h"

/* What the server does with the Nth request (1-based) it reads. */
enum act { ANSWER, ANSWER_THEN_CLOSE, ANSWER_CLOSE_HEADER, DROP, SILENT, CHUNKED, TO_EOF };

struct srv {
    int lfd, port;
    pthread_t th;
    enum act script[16];        /* by request number; beyond: ANSWER */
    int requests, connections;
    int closed_after;           /* request number after which the server closed (ANSWER_THEN_CLOSE) */
    char last[4096];
    pthread_mutex_t mu;
    pthread_cond_t cv;
    volatile int stop;
};

static struct srv S;

static int read_request(int fd, char *buf, size_t cap)
{
    size_t n = 0;
    for (;;) {
        ssize_t r = recv(fd, buf + n, cap - 1 - n, 0);
        if (r <= 0)
            return -1;
        n += (size_t)r;
        buf[n] = 0;
        char *end = strstr(buf, "\r\n\r\n");
        if (end) {
            const char *cl = strcasestr(buf, "Content-Length:");
            size_t body = cl ? (size_t)atoi(cl + 15) : 0;
            size_t have = n - (size_t)(end + 4 - buf);
            while (have < body) {
                r = recv(fd, buf + n, cap - 1 - n, 0);
                if (r <= 0)
                    return -1;
                n += (size_t)r;
                have += (size_t)r;
            }
            buf[n] = 0;
            return 0;
        }
    }
}

static void say(int fd, const char *s)
{
    (void)send(fd, s, strlen(s), MSG_NOSIGNAL); /* a short write shows up as a failed request */
}

static void *serve(void *arg)
{
    (void)arg;
    while (!S.stop) {
        struct pollfd p = { .fd = S.lfd, .events = POLLIN };
        if (poll(&p, 1, 50) <= 0)
            continue;
        int fd = accept(S.lfd, NULL, NULL);
        if (fd < 0)
            continue;
        pthread_mutex_lock(&S.mu);
        S.connections++;
        pthread_mutex_unlock(&S.mu);
        char req[4096];
        int closing = 0;
        for (;;) {
            if (read_request(fd, req, sizeof req) != 0)
                break;
            pthread_mutex_lock(&S.mu);
            int n = ++S.requests;
            snprintf(S.last, sizeof S.last, "%s", req);
            pthread_mutex_unlock(&S.mu);
            enum act a = n <= 16 ? S.script[n - 1] : ANSWER;
            if (a == DROP)
                break;
            if (a == SILENT) {
                char b[16];
                while (recv(fd, b, sizeof b, 0) > 0)
                    ;
                break;
            }
            if (a == CHUNKED) {
                say(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n");
                say(fd, "7\r\n, world\r\n0\r\n\r\n");
                continue;
            }
            if (a == TO_EOF) {
                say(fd, "HTTP/1.1 200 OK\r\ncommand: x\r\n\r\nuntil the end");
                break;
            }
            char resp[256];
            snprintf(resp, sizeof resp, "HTTP/1.1 202 Accepted\r\nX-Request: %d\r\nContent-Length: 2\r\n%s\r\nok", n,
                     a == ANSWER_CLOSE_HEADER ? "Connection: close\r\n" : "");
            say(fd, resp);
            if (a == ANSWER_THEN_CLOSE || a == ANSWER_CLOSE_HEADER) {
                closing = n;
                break;
            }
        }
        close(fd); /* on loopback the FIN is in the client's queue when close returns */
        pthread_mutex_lock(&S.mu);
        if (closing)
            S.closed_after = closing;
        pthread_cond_broadcast(&S.cv);
        pthread_mutex_unlock(&S.mu);
    }
    return NULL;
}

static void start(void)
{
    memset(&S, 0, sizeof S);
    pthread_mutex_init(&S.mu, NULL);
    pthread_cond_init(&S.cv, NULL);
    S.lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    cr_assert_eq(bind(S.lfd, (struct sockaddr *)&a, sizeof a), 0);
    socklen_t al = sizeof a;
    getsockname(S.lfd, (struct sockaddr *)&a, &al);
    S.port = ntohs(a.sin_port);
    cr_assert_eq(listen(S.lfd, 8), 0);
    pthread_create(&S.th, NULL, serve, NULL);
}

static void stop(void)
{
    S.stop = 1;
    pthread_join(S.th, NULL);
    close(S.lfd);
}

/* Wait until the server has closed the connection that answered request n. */
static void wait_closed(int n)
{
    pthread_mutex_lock(&S.mu);
    while (S.closed_after < n)
        pthread_cond_wait(&S.cv, &S.mu);
    pthread_mutex_unlock(&S.mu);
}

static struct options o;
static struct dtls_url u;
static char url[128];

static int port_override;

static struct transport *open_t(void)
{
    memset(&o, 0, sizeof o);
    o.wait = -1;
    o.poll_interval = -1;
    snprintf(url, sizeof url, "http://127.0.0.1:%d/v1/telemetry?x=1", port_override ? port_override : S.port);
    o.url = url;
    cr_assert_eq(dtls_url_parse(&u, url), 0);
    struct conn_error err;
    struct transport *t = transport_open(&o, &u, &err);
    cr_assert(t, "%s", err.message);
    return t;
}

static struct http_req post(const char *body)
{
    struct http_req rq;
    memset(&rq, 0, sizeof rq);
    rq.method = "POST";
    rq.body = (const uint8_t *)body;
    rq.body_len = strlen(body);
    rq.content_type = "application/json";
    return rq;
}

TestSuite(transport, .init = start, .fini = stop, .timeout = 30);

Test(transport, keeps_the_connection_and_sends_what_it_was_given)
{
    struct transport *t = open_t();
    struct http_req rq = post("{\"a\":1}");
    rq.authorization = "Basic dTpw";
    http_req_add_header(&rq, "X-Site: north");
    struct http_resp rs;
    struct conn_error err;
    for (int i = 1; i <= 3; i++) {
        cr_assert_eq(transport_request(t, &rq, &rs, &err), 0, "%s", err.message);
        cr_expect_eq(rs.status, 202);
        cr_expect_eq(atoi(http_resp_header(&rs, "x-request")), i);
        cr_expect(rs.body_len == 2 && memcmp(rs.body, "ok", 2) == 0);
        cr_expect_eq(rs.reused, i > 1);
        http_resp_free(&rs);
    }
    cr_expect_eq(S.connections, 1);
    cr_expect_eq(transport_connects(t), 1);
    cr_expect(strstr(S.last, "POST /v1/telemetry?x=1 HTTP/1.1\r\n"), "%s", S.last);
    cr_expect(strstr(S.last, "\r\nX-Site: north\r\n") && strstr(S.last, "\r\nAuthorization: Basic dTpw\r\n"));
    cr_expect(strstr(S.last, "\r\nContent-Length: 7\r\n\r\n{\"a\":1}"), "%s", S.last);
    rq.target = "/other?y=2";
    cr_assert_eq(transport_request(t, &rq, &rs, &err), 0);
    cr_expect(strncmp(S.last, "POST /other?y=2 HTTP/1.1\r\n", 26) == 0, "%s", S.last);
    http_resp_free(&rs);
    transport_close(t);
}

Test(transport, reconnects_when_the_server_closed_the_idle_connection)
{
    S.script[0] = ANSWER_THEN_CLOSE;
    struct transport *t = open_t();
    struct http_req rq = post("{}");
    struct http_resp rs;
    struct conn_error err;
    cr_assert_eq(transport_request(t, &rq, &rs, &err), 0, "%s", err.message);
    http_resp_free(&rs);
    wait_closed(1);
    cr_assert_eq(transport_request(t, &rq, &rs, &err), 0, "%s", err.message);
    cr_expect_eq(rs.reused, 0);
    http_resp_free(&rs);
    cr_expect_eq(S.requests, 2, "each request arrives exactly once");
    cr_expect_eq(S.connections, 2);
    transport_close(t);
}

Test(transport, honours_connection_close)
{
    S.script[0] = ANSWER_CLOSE_HEADER;
    struct transport *t = open_t();
    struct http_req rq = post("{}");
    struct http_resp rs;
    struct conn_error err;
    cr_assert_eq(transport_request(t, &rq, &rs, &err), 0);
    http_resp_free(&rs);
    cr_assert_eq(transport_request(t, &rq, &rs, &err), 0);
    http_resp_free(&rs);
    cr_expect_eq(S.requests, 2);
    cr_expect_eq(S.connections, 2);
    transport_close(t);
}

Test(transport, a_lost_answer_is_reported_not_resent)
{
    S.script[1] = DROP; /* the second request on the kept-alive connection gets no answer */
    struct transport *t = open_t();
    struct http_req rq = post("{\"n\":1}");
    struct http_resp rs;
    struct conn_error err;
    cr_assert_eq(transport_request(t, &rq, &rs, &err), 0);
    http_resp_free(&rs);
    int rc = transport_request(t, &rq, &rs, &err);
    cr_expect_eq(rc, EXIT_RECV, "%s", err.message);
    cr_expect(rs.maybe_sent && rs.retriable && !rs.aborted);
    cr_expect_eq(S.requests, 2, "the request must not be sent again on the transport's own");
    /* the caller decides: the next request goes out on a new connection */
    cr_assert_eq(transport_request(t, &rq, &rs, &err), 0, "%s", err.message);
    http_resp_free(&rs);
    cr_expect_eq(S.requests, 3);
    transport_close(t);
}

Test(transport, a_request_safe_to_repeat_is_resent_once)
{
    S.script[1] = DROP;
    struct transport *t = open_t();
    struct http_req rq = post("");
    rq.resend_ok = 1;
    struct http_resp rs;
    struct conn_error err;
    cr_assert_eq(transport_request(t, &rq, &rs, &err), 0);
    http_resp_free(&rs);
    cr_assert_eq(transport_request(t, &rq, &rs, &err), 0, "%s", err.message);
    cr_expect_eq(atoi(http_resp_header(&rs, "x-request")), 3);
    http_resp_free(&rs);
    cr_expect_eq(S.requests, 3);
    cr_expect_eq(S.connections, 2);
    transport_close(t);
}

Test(transport, chunked_and_close_delimited_bodies)
{
    S.script[0] = CHUNKED;
    S.script[1] = TO_EOF;
    struct transport *t = open_t();
    struct http_req rq = post("{}");
    struct http_resp rs;
    struct conn_error err;
    cr_assert_eq(transport_request(t, &rq, &rs, &err), 0, "%s", err.message);
    cr_expect_eq(rs.status, 200);
    cr_expect(rs.body_len == 12 && memcmp(rs.body, "hello, world", 12) == 0);
    http_resp_free(&rs);
    cr_assert_eq(transport_request(t, &rq, &rs, &err), 0, "%s", err.message);
    cr_expect_str_eq(http_resp_header(&rs, "command"), "x");
    cr_expect(rs.body_len == 13 && memcmp(rs.body, "until the end", 13) == 0);
    http_resp_free(&rs);
    transport_close(t);
}

Test(transport, a_silent_server_times_out)
{
    S.script[0] = SILENT;
    struct transport *t = open_t();
    struct http_req rq = post("{}");
    rq.timeout_s = 0.3;
    struct http_resp rs;
    struct conn_error err;
    cr_expect_eq(transport_request(t, &rq, &rs, &err), EXIT_TIMEOUT);
    cr_expect(rs.retriable && rs.maybe_sent);
    transport_close(t);
}

Test(transport, refused_connection_and_bad_headers)
{
    struct transport *t = open_t();
    struct http_req rq = post("{}");
    struct http_resp rs;
    struct conn_error err;
    http_req_add_header(&rq, "Bad Header");
    cr_expect_eq(transport_request(t, &rq, &rs, &err), EXIT_USAGE);
    rq.n_headers = 0;
    http_req_add_header(&rq, "X-Evil: a\r\nInjected: b");
    cr_expect_eq(transport_request(t, &rq, &rs, &err), EXIT_USAGE);
    cr_expect_eq(S.connections, 0, "nothing is sent for a request refused locally");
    transport_close(t);

    /* a port nobody listens on: bound, never listened, closed */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t al = sizeof a;
    cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    getsockname(fd, (struct sockaddr *)&a, &al);
    port_override = ntohs(a.sin_port);
    close(fd);
    t = open_t();
    rq.n_headers = 0;
    cr_expect_eq(transport_request(t, &rq, &rs, &err), EXIT_CONNECT, "%s", err.message);
    cr_expect(rs.retriable && !rs.maybe_sent);
    transport_close(t);
}
