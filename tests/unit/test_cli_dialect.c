/* dtls-send dialects: the requests each cloud expects and how its answers are read
 * (DESIGN.md §3 table), without a network. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "dialect.h"
#include "exitcodes.h"
#include "transport_int.h"

static struct options o;
static struct dtls_url url;
static char url_text[512];

static void setup_opts(const char *dialect, const char *u, const char *user)
{
    memset(&o, 0, sizeof o);
    o.wait = -1;
    o.poll_interval = -1;
    o.dialect = dialect;
    o.user = user;
    snprintf(url_text, sizeof url_text, "%s", u);
    o.url = url_text;
    cr_assert_eq(dtls_url_parse(&url, url_text), 0, "bad test URL %s", u);
    unsetenv("DTLS_SEND_PASSWORD");
    /* never a prompt in a test: stdin is not a terminal */
    cr_assert(freopen("/dev/null", "r", stdin));
}

static void init(struct dialect *d, const char *dialect, const char *u, const char *user)
{
    setup_opts(dialect, u, user);
    struct conn_error err;
    cr_assert_eq(dialect_init(d, &o, &url, &err), 0, "%s", err.message);
}

static const char *header(const struct http_req *rq, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < rq->n_headers; i++)
        if (strncasecmp(rq->headers[i], name, n) == 0 && rq->headers[i][n] == ':')
            return rq->headers[i] + n + 2;
    return NULL;
}

static char *event_text(const struct cloud_command *c)
{
    cJSON *ev = command_event(c);
    char *s = cJSON_PrintUnformatted(ev);
    cJSON_Delete(ev);
    return s;
}

static void resp(struct http_resp *rs, int status, const char *const *hdrs, const char *body)
{
    memset(rs, 0, sizeof *rs);
    rs->status = status;
    for (size_t i = 0; hdrs && hdrs[i]; i += 2)
        cr_assert_eq(http_resp_add_header(rs, hdrs[i], strlen(hdrs[i]), hdrs[i + 1], strlen(hdrs[i + 1])), 0);
    size_t cap = 0;
    if (body)
        cr_assert_eq(http_resp_add_body(rs, &cap, (const uint8_t *)body, strlen(body)), 0);
    http_resp_finish(rs);
}

Test(dialect, drogue_publish_with_basic_credentials_and_ct)
{
    struct dialect d;
    init(&d, NULL, "https://cloud.example/v1/telemetry?x=1", "device1@app1:secret");
    cr_expect_str_eq(d.name, "drogue");
    struct dialect_req r;
    struct conn_error err;
    const uint8_t body[] = "{\"t\":1}";
    cr_assert_eq(dialect_publish_req(&d, &r, body, 7, "application/json", -1, &err), 0);
    cr_expect_str_eq(r.rq.method, "POST");
    cr_expect_str_eq(r.rq.target, "/v1/telemetry?x=1");
    /* base64("device1@app1:secret") */
    cr_expect_str_eq(r.rq.authorization, "Basic ZGV2aWNlMUBhcHAxOnNlY3JldA==");
    cr_expect(r.rq.body == body && r.rq.body_len == 7 && !r.rq.resend_ok);
    cr_expect_eq(r.rq.timeout_s, 0);

    cr_assert_eq(dialect_publish_req(&d, &r, body, 7, "application/json", 2.5, &err), 0);
    cr_expect_str_eq(r.rq.target, "/v1/telemetry?x=1&ct=3");
    cr_expect_gt(r.rq.timeout_s, 2.5);
    dialect_free(&d);
}

Test(dialect, password_sources)
{
    struct dialect d;
    struct conn_error err;
    setup_opts("drogue", "https://c/v1/t", "dev@app");
    setenv("DTLS_SEND_PASSWORD", "pw-from-env", 1);
    cr_assert_eq(dialect_init(&d, &o, &url, &err), 0);
    cr_expect_str_eq(d.authorization, "Basic ZGV2QGFwcDpwdy1mcm9tLWVudg=="); /* dev@app:pw-from-env */
    cr_expect_str_eq(d.password_source, "DTLS_SEND_PASSWORD");

    char path[] = "/tmp/test_cli_dialect.XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    cr_assert_eq(write(fd, "from-file\r\nsecond line\n", 23), 23);
    close(fd);
    o.password_file = path;
    cr_assert_eq(dialect_init(&d, &o, &url, &err), 0);
    cr_expect_str_eq(d.authorization, "Basic ZGV2QGFwcDpmcm9tLWZpbGU="); /* dev@app:from-file */
    unlink(path);
    cr_expect_eq(dialect_init(&d, &o, &url, &err), EXIT_READ_INPUT);

    o.password_file = NULL;
    unsetenv("DTLS_SEND_PASSWORD");
    cr_expect_eq(dialect_init(&d, &o, &url, &err), EXIT_USAGE);
    cr_expect(strstr(err.message, "dev@app") && strstr(err.message, "DTLS_SEND_PASSWORD"), "%s", err.message);

    o.user = "dev@app:"; /* an empty password, given on purpose */
    cr_assert_eq(dialect_init(&d, &o, &url, &err), 0);
    cr_expect_str_eq(d.authorization, "Basic ZGV2QGFwcDo=");
    dialect_free(&d);
}

Test(dialect, drogue_reads_commands_and_auth_failures)
{
    struct dialect d;
    init(&d, "drogue", "https://c/v1/t", "device1@app1:s3cr3t-value");
    struct http_resp rs;
    struct cloud_command c;
    struct conn_error err;

    resp(&rs, 202, NULL, NULL);
    cr_expect_eq(dialect_read_response(&d, DIALECT_OP_PUBLISH, &rs, &c, &err), DIALECT_NONE);
    http_resp_free(&rs);

    const char *const h[] = { "Command", "set-led", "Content-Type", "application/json", NULL };
    resp(&rs, 200, h, "{\"on\":true}");
    cr_assert_eq(dialect_read_response(&d, DIALECT_OP_PUBLISH, &rs, &c, &err), DIALECT_COMMAND);
    cr_expect_str_eq(c.name, "set-led");
    cr_expect_null(c.id);
    cr_expect(c.payload_json && c.payload_len == 11 && memcmp(c.payload, "{\"on\":true}", 11) == 0);
    struct dialect_req r;
    cr_expect_eq(dialect_reply_req(&d, &r, &c, 1, (const uint8_t *)"x", 1, &err), 1, "drogue has no reply");
    char *ev = event_text(&c);
    cr_expect_str_eq(ev, "{\"event\":\"command\",\"name\":\"set-led\",\"id\":null,\"payload\":{\"on\":true}}");
    free(ev);
    command_free(&c);
    http_resp_free(&rs);

    resp(&rs, 403, NULL, "bad credentials");
    cr_assert_eq(dialect_read_response(&d, DIALECT_OP_PUBLISH, &rs, &c, &err), DIALECT_FAIL);
    cr_expect_eq(err.exit, EXIT_HTTP);
    cr_expect_str_eq(err.name, "auth_failed");
    cr_expect(strstr(err.message, "device1@app1") && strstr(err.message, "403"), "%s", err.message);
    cr_expect_null(strstr(err.message, "s3cr3t"), "the password must never be shown: %s", err.message);
    http_resp_free(&rs);

    resp(&rs, 503, NULL, NULL);
    cr_expect_eq(dialect_read_response(&d, DIALECT_OP_PUBLISH, &rs, &c, &err), DIALECT_FAIL);
    cr_expect(err.exit == EXIT_HTTP && http_status_retriable(503) && http_status_retriable(429));
    cr_expect(!http_status_retriable(400) && !http_status_retriable(403));
    http_resp_free(&rs);

    const char *const loc[] = { "Location", "https://elsewhere/", NULL };
    resp(&rs, 301, loc, NULL);
    cr_expect_eq(dialect_read_response(&d, DIALECT_OP_PUBLISH, &rs, &c, &err), DIALECT_FAIL);
    cr_expect(err.exit == EXIT_HTTP && strstr(err.message, "not followed"));
    http_resp_free(&rs);
    dialect_free(&d);
}

Test(dialect, drogue_poll_is_an_empty_post_with_ct)
{
    struct dialect d;
    init(&d, "drogue", "https://c/v1/t", "a@b:c");
    struct dialect_req r;
    struct conn_error err;
    cr_assert_eq(dialect_poll_req(&d, &r, 30, &err), 0);
    cr_expect_str_eq(r.rq.target, "/v1/t?ct=30");
    cr_expect(r.rq.body_len == 0 && r.rq.content_type == NULL && r.rq.resend_ok);
    cr_assert_eq(dialect_poll_req(&d, &r, 0, &err), 0);
    cr_expect_str_eq(r.rq.target, "/v1/t?ct=0");
}

Test(dialect, hono_ttd_commands_and_responses)
{
    struct dialect d;
    init(&d, "hono", "https://c:8443/gw/telemetry", "device1@tenant1:secret");
    struct dialect_req r;
    struct conn_error err;
    cr_assert_eq(dialect_publish_req(&d, &r, (const uint8_t *)"{}", 2, "application/json", 10, &err), 0);
    cr_expect_str_eq(r.rq.target, "/gw/telemetry");
    cr_expect_str_eq(header(&r.rq, "hono-ttd"), "10");
    cr_assert_eq(dialect_poll_req(&d, &r, 5, &err), 0);
    cr_expect_str_eq(r.rq.content_type, "application/vnd.eclipse.hono.empty-notification");
    cr_expect_str_eq(header(&r.rq, "hono-ttd"), "5");

    struct http_resp rs;
    struct cloud_command c;
    const char *const h[] = { "hono-command", "reboot", "hono-cmd-req-id", "r1/x y", NULL };
    resp(&rs, 200, h, "not json");
    cr_assert_eq(dialect_read_response(&d, DIALECT_OP_POLL, &rs, &c, &err), DIALECT_COMMAND);
    cr_expect_str_eq(c.name, "reboot");
    cr_expect_str_eq(c.id, "r1/x y");
    cr_expect(!c.payload_json);
    char *ev = event_text(&c);
    cr_expect_str_eq(ev, "{\"event\":\"command\",\"name\":\"reboot\",\"id\":\"r1/x y\",\"payload_base64\":\"bm90IGpzb24=\"}");
    free(ev);

    /* the id comes from the network: percent-encoded in the path */
    cr_assert_eq(dialect_reply_req(&d, &r, &c, 1, (const uint8_t *)"{\"ok\":1}", 8, &err), 0);
    cr_expect_str_eq(r.rq.target, "/gw/command/res/r1%2Fx%20y?hono-cmd-status=200");
    cr_expect_str_eq(r.rq.content_type, "application/json");
    cr_expect_str_eq(r.rq.authorization, d.authorization);
    cr_assert_eq(dialect_reply_req(&d, &r, &c, 0, (const uint8_t *)"oops", 4, &err), 0);
    cr_expect_str_eq(r.rq.target, "/gw/command/res/r1%2Fx%20y?hono-cmd-status=500");
    cr_expect_str_eq(r.rq.content_type, "application/octet-stream");
    command_free(&c);
    http_resp_free(&rs);

    /* a one-way command has no id and needs no response */
    const char *const oneway[] = { "hono-command", "blink", NULL };
    resp(&rs, 200, oneway, NULL);
    cr_assert_eq(dialect_read_response(&d, DIALECT_OP_PUBLISH, &rs, &c, &err), DIALECT_COMMAND);
    cr_expect_eq(dialect_reply_req(&d, &r, &c, 1, NULL, 0, &err), 1);
    command_free(&c);
    http_resp_free(&rs);

    resp(&rs, 401, NULL, NULL);
    cr_expect_eq(dialect_read_response(&d, DIALECT_OP_PUBLISH, &rs, &c, &err), DIALECT_FAIL);
    cr_expect(err.exit == EXIT_HTTP && strstr(err.message, "device1@tenant1") && !strstr(err.message, "secret"));
    http_resp_free(&rs);
    dialect_free(&d);

    init(&d, "hono", "https://c/telemetry", "a@t:p");
    const char *const h2[] = { "hono-command", "x", "hono-cmd-req-id", "7", NULL };
    resp(&rs, 200, h2, NULL);
    cr_assert_eq(dialect_read_response(&d, DIALECT_OP_PUBLISH, &rs, &c, &err), DIALECT_COMMAND);
    cr_assert_eq(dialect_reply_req(&d, &r, &c, 1, NULL, 0, &err), 0);
    cr_expect_str_eq(r.rq.target, "/command/res/7?hono-cmd-status=200");
    cr_expect(r.rq.body_len == 0 && r.rq.content_type == NULL);
    command_free(&c);
    http_resp_free(&rs);
}

Test(dialect, thingsboard_token_rpc_poll_and_reply)
{
    struct dialect d;
    init(&d, "thingsboard", "https://tb:8080/api/v1/TOKEN1/telemetry", NULL);
    cr_expect_str_eq(d.token, "TOKEN1");
    cr_expect(!dialect_waits_in_publish(&d));
    struct dialect_req r;
    struct conn_error err;
    cr_assert_eq(dialect_publish_req(&d, &r, (const uint8_t *)"{}", 2, "application/json", 10, &err), 0);
    cr_expect_str_eq(r.rq.target, "/api/v1/TOKEN1/telemetry");
    cr_expect_null(r.rq.authorization);
    cr_expect_str_eq(r.rq.secret_in_target, "TOKEN1");
    cr_expect_null(header(&r.rq, "hono-ttd"));

    cr_assert_eq(dialect_poll_req(&d, &r, 5, &err), 0);
    cr_expect_str_eq(r.rq.method, "GET");
    cr_expect_str_eq(r.rq.target, "/api/v1/TOKEN1/rpc?timeout=5000");
    cr_expect(r.rq.no_body && r.rq.resend_ok && r.rq.timeout_s > 5);

    struct http_resp rs;
    struct cloud_command c;
    resp(&rs, 408, NULL, NULL);
    cr_expect_eq(dialect_read_response(&d, DIALECT_OP_POLL, &rs, &c, &err), DIALECT_NONE);
    http_resp_free(&rs);
    resp(&rs, 200, NULL, "{\"id\":42,\"method\":\"setValue\",\"params\":{\"v\":[1,2]}}");
    cr_assert_eq(dialect_read_response(&d, DIALECT_OP_POLL, &rs, &c, &err), DIALECT_COMMAND);
    cr_expect_str_eq(c.name, "setValue");
    cr_expect_str_eq(c.id, "42");
    cr_expect_str_eq((char *)c.payload, "{\"v\":[1,2]}");
    http_resp_free(&rs);

    cr_assert_eq(dialect_reply_req(&d, &r, &c, 1, (const uint8_t *)"{\"done\":true}\n", 14, &err), 0);
    cr_expect_str_eq(r.rq.target, "/api/v1/TOKEN1/rpc/42");
    cr_expect(r.rq.body_len == 14 && memcmp(r.rq.body, "{\"done\":true}\n", 14) == 0);
    dialect_req_free(&r);
    cr_assert_eq(dialect_reply_req(&d, &r, &c, 1, (const uint8_t *)"hi\n", 3, &err), 0);
    cr_expect(r.rq.body_len == 15 && memcmp(r.rq.body, "{\"result\":\"hi\"}", 15) == 0);
    dialect_req_free(&r);
    cr_assert_eq(dialect_reply_req(&d, &r, &c, 0, NULL, 0, &err), 0);
    cr_expect(r.rq.body_len > 0 && strstr((const char *)r.rq.body, "\"error\""));
    dialect_req_free(&r);
    command_free(&c);

    resp(&rs, 200, NULL, "{\"nothing\":1}");
    cr_expect_eq(dialect_read_response(&d, DIALECT_OP_POLL, &rs, &c, &err), DIALECT_FAIL);
    http_resp_free(&rs);
    resp(&rs, 401, NULL, NULL);
    cr_expect_eq(dialect_read_response(&d, DIALECT_OP_PUBLISH, &rs, &c, &err), DIALECT_FAIL);
    cr_expect(err.exit == EXIT_HTTP && strstr(err.message, "token") && !strstr(err.message, "TOKEN1"));
    http_resp_free(&rs);
    dialect_free(&d);

    setup_opts("thingsboard", "https://tb/v1/telemetry", NULL);
    cr_expect_eq(dialect_init(&d, &o, &url, &err), EXIT_USAGE);
}

Test(dialect, plain_posts_and_has_no_commands)
{
    struct dialect d;
    init(&d, "plain", "http://gw:8080/plain/x", NULL);
    cr_expect(!dialect_has_commands(&d));
    struct dialect_req r;
    struct conn_error err;
    cr_expect_eq(dialect_poll_req(&d, &r, 5, &err), -1);
    cr_expect_eq(err.exit, EXIT_USAGE);
    struct http_resp rs;
    struct cloud_command c;
    const char *const h[] = { "command", "ignored", NULL };
    resp(&rs, 201, h, "{\"accepted\":true}");
    cr_expect_eq(dialect_read_response(&d, DIALECT_OP_PUBLISH, &rs, &c, &err), DIALECT_NONE);
    http_resp_free(&rs);
    resp(&rs, 500, NULL, "broken");
    cr_expect_eq(dialect_read_response(&d, DIALECT_OP_PUBLISH, &rs, &c, &err), DIALECT_FAIL);
    cr_expect(err.exit == EXIT_HTTP && strstr(err.message, "500") && strstr(err.message, "broken"));
    http_resp_free(&rs);

    setup_opts("mqtt", "https://c/x", NULL);
    cr_expect_eq(dialect_init(&d, &o, &url, &err), EXIT_USAGE);
}

Test(dialect, retry_after_in_seconds_or_as_a_date)
{
    struct http_resp rs;
    const char *const h[] = { "Retry-After", "7", NULL };
    resp(&rs, 503, h, NULL);
    cr_expect_eq(rs.retry_after_s, 7);
    http_resp_free(&rs);
    const char *const past[] = { "Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT", NULL };
    resp(&rs, 429, past, NULL);
    cr_expect_eq(rs.retry_after_s, 0);
    http_resp_free(&rs);
    resp(&rs, 429, NULL, NULL);
    cr_expect_lt(rs.retry_after_s, 0);
    http_resp_free(&rs);
}

Test(dialect, human_form_escapes_what_the_server_sent)
{
    struct cloud_command c = { 0 };
    c.name = strdup("evil\x1b[2Jname");
    c.id = strdup("1");
    c.payload = (uint8_t *)strdup("{\"a\":\"\xc3\xa9\"}");
    c.payload_len = strlen((char *)c.payload);
    c.payload_json = 1;
    char *s = command_describe(&c);
    cr_expect_str_eq(s, "command evil\\x1b[2Jname (id 1): {\"a\":\"\xc3\xa9\"}");
    free(s);
    command_free(&c);
}
