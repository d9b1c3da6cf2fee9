/*
 * libFuzzer target: how each cloud dialect reads the cloud's answers
 * (cli/dialect.c): arbitrary HTTP status, headers and body through
 * dialect_read_response for drogue, hono, thingsboard and plain, for a
 * publish, a poll and a command reply; a command found is then turned into
 * its JSON event, its one-line description and its reply request.
 *
 * fuzz-build: cli/dialect.c cli/config.c cli/http_msg.c cli/message.c -Icli -lcjson -lm
 *
 * Input: byte 0 = dialect (bits 0-1), operation (bits 2-3, mod 3), reply
 * status ok (bit 4); bytes 1-2 = HTTP status (100 + value mod 500); then
 * "Name: value" header lines up to an empty line, then the body.
 * Asserted beyond memory safety: a command has a name and a NUL-terminated
 * payload; a failure has an exit code, a name and a message; the password
 * never appears in an error message, nor in the target or headers of a
 * request the dialect builds (it travels only in the Authorization value).
 */
#define _GNU_SOURCE /* memmem */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dialect.h"
#include "transport_int.h"

#define SECRET "fuzzpw-s3cr3t"

static struct dialect dialects[4];

static void setup(void)
{
    static const char *const names[4] = { "drogue", "hono", "thingsboard", "plain" };
    static const char *const urls[4] = { "https://cloud.example/v1/telemetry", "https://cloud.example/telemetry",
                                         "https://cloud.example/api/v1/tbtoken/telemetry",
                                         "https://cloud.example/ingest" };
    static const char *const users[4] = { "dev@app:" SECRET, "dev@tenant:" SECRET, NULL, "dev:" SECRET };
    static struct options o[4];
    static struct dtls_url u[4];
    static int done;
    if (done)
        return;
    if (!freopen("/dev/null", "r", stdin)) /* never a password prompt */
        abort();
    for (int i = 0; i < 4; i++) {
        struct conn_error err;
        memset(&o[i], 0, sizeof o[i]);
        o[i].wait = -1;
        o[i].poll_interval = -1;
        o[i].dialect = names[i];
        o[i].url = urls[i];
        o[i].user = users[i];
        if (dtls_url_parse(&u[i], urls[i]) != 0 || dialect_init(&dialects[i], &o[i], &u[i], &err) != 0)
            abort();
    }
    done = 1;
}

static void no_secret(const char *s, size_t n)
{
    if (s && n >= sizeof SECRET - 1 && memmem(s, n, SECRET, sizeof SECRET - 1))
        abort();
}

static void check_req(const struct dialect_req *r, const uint8_t *data, size_t size)
{
    if (memmem(data, size, SECRET, sizeof SECRET - 1))
        return; /* the answer itself carried the string */
    no_secret(r->rq.target, r->rq.target ? strlen(r->rq.target) : 0);
    for (size_t i = 0; i < r->rq.n_headers; i++)
        no_secret(r->rq.headers[i], strlen(r->rq.headers[i]));
    /* (the body is the caller's data, which may say anything) */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const struct dialect *d;
    enum dialect_op op;
    struct http_resp rs;
    struct cloud_command cmd;
    struct conn_error err;
    size_t off = 3, cap = 0;
    int v, ok;

    if (size < 3)
        return 0;
    setup();
    d = &dialects[data[0] & 3];
    op = (enum dialect_op)(((data[0] >> 2) & 3) % 3);
    ok = (data[0] >> 4) & 1;
    memset(&rs, 0, sizeof rs);
    rs.status = 100 + ((data[1] << 8 | data[2]) % 500);
    rs.retry_after_s = -1;
    /* header lines, then an empty line, then the body */
    while (off < size) {
        const uint8_t *nl = memchr(data + off, '\n', size - off);
        size_t end = nl ? (size_t)(nl - data) : size, colon;
        if (end == off) {
            off++;
            break;
        }
        for (colon = off; colon < end && data[colon] != ':'; colon++)
            ;
        if (colon < end) {
            size_t vs = colon + 1;
            while (vs < end && data[vs] == ' ')
                vs++;
            (void)http_resp_add_header(&rs, (const char *)data + off, colon - off, (const char *)data + vs,
                                       end - vs);
        }
        off = end + 1;
    }
    if (off < size && http_resp_add_body(&rs, &cap, data + off, size - off) != 0)
        abort();
    http_resp_finish(&rs);
    (void)http_resp_header(&rs, "Content-Type");
    (void)http_status_retriable(rs.status);

    memset(&cmd, 0, sizeof cmd);
    memset(&err, 0, sizeof err);
    v = dialect_read_response(d, op, &rs, &cmd, &err);
    if (v == DIALECT_COMMAND) {
        struct dialect_req r;
        cJSON *ev;
        char *s;
        if (!cmd.name || (cmd.payload_len && !cmd.payload) || (cmd.payload && cmd.payload[cmd.payload_len] != 0))
            abort();
        ev = command_event(&cmd);
        s = cJSON_PrintUnformatted(ev);
        if (!s)
            abort();
        free(s);
        cJSON_Delete(ev);
        s = command_describe(&cmd);
        free(s);
        memset(&r, 0, sizeof r);
        if (dialect_reply_req(d, &r, &cmd, ok, cmd.payload, cmd.payload_len, &err) == 0)
            check_req(&r, data, size);
        dialect_req_free(&r);
        command_free(&cmd);
    } else if (v == DIALECT_FAIL) {
        if (err.exit == 0 || !err.name || !memchr(err.message, 0, sizeof err.message))
            abort();
        if (!memmem(data, size, SECRET, sizeof SECRET - 1)) /* (messages may quote the answer) */
            no_secret(err.message, strlen(err.message));
    } else if (v != DIALECT_NONE) {
        abort();
    }
    http_resp_free(&rs);

    /* the requests, with the body as the message (nothing secret may come out) */
    {
        struct dialect_req r;
        memset(&r, 0, sizeof r);
        if (dialect_publish_req(d, &r, data, size, "application/json", (double)(data[2] % 40) - 5, &err) == 0)
            check_req(&r, data, size);
        dialect_req_free(&r);
        memset(&r, 0, sizeof r);
        if (dialect_poll_req(d, &r, (double)(data[1] % 40), &err) == 0)
            check_req(&r, data, size);
        dialect_req_free(&r);
    }
    return 0;
}
