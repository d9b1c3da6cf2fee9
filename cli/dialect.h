/*
 * The cloud dialects (DESIGN.md §3): how a publish, a wait for a command, a
 * command and a command response look for drogue (default), hono,
 * thingsboard and plain. Written once, above the transport: these functions
 * only build struct http_req and read struct http_resp.
 *
 *   struct dialect d;
 *   if (dialect_init(&d, o, &url, &err) != 0) return out_error(o, &err);
 *   struct dialect_req r;
 *   dialect_publish_req(&d, &r, m.data, m.len, m.content_type, o->wait);  // wait < 0: none
 *   transport_request(t, &r.rq, &rs, &err);
 *   struct cloud_command cmd;
 *   int v = dialect_read_response(&d, DIALECT_OP_PUBLISH, &rs, &cmd, &err);
 *   // v: DIALECT_NONE, DIALECT_COMMAND (cmd filled), or DIALECT_FAIL (err filled, exit 22)
 *   if (v == DIALECT_NONE && o->wait >= 0 && !dialect_waits_in_publish(&d)) {
 *       dialect_poll_req(&d, &r, o->wait); ...                              // thingsboard
 *   }
 *   if (v == DIALECT_COMMAND && dialect_reply_req(&d, &r, &cmd, 1, out, out_len) == 0)
 *       ... send r.rq, check with DIALECT_OP_REPLY ...
 *   command_free(&cmd);
 *   dialect_free(&d);                  // wipes the credentials
 *
 * A struct dialect is read-only after dialect_init, so the publish and the
 * poll thread of --stream can share it; each thread uses its own dialect_req.
 */
#ifndef DTLS_SEND_DIALECT_H
#define DTLS_SEND_DIALECT_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "conn.h"
#include "options.h"
#include "transport.h"

enum dialect_id { DIALECT_DROGUE, DIALECT_HONO, DIALECT_THINGSBOARD, DIALECT_PLAIN };

/* How long the cloud holds a poll of `dtls-send listen` (and --stream's command path)
 * open when nothing else is asked for. */
#define DIALECT_LISTEN_WAIT_S 30
/* Added to a long poll's wait for the socket's own limit. */
#define DIALECT_POLL_MARGIN_S 15

struct dialect {
    enum dialect_id id;
    const char *name;                   /* "drogue", "hono", "thingsboard", "plain" */
    struct dtls_url url;                /* the URL given (points into the options' string) */
    char path[DTLS_URL_MAX + 1];        /* its path, without the query */
    char query[DTLS_URL_MAX + 1];       /* its query without '?', may be empty */
    char base[DTLS_URL_MAX + 1];        /* hono: path before /telemetry|/event; thingsboard:
                                           /api/v1/<token> (with any prefix before it) */
    char token[256];                    /* thingsboard's access token (a secret) */
    char user[256];                     /* who we authenticate as, for messages; "" if nobody */
    const char *password_source;        /* "-u", "--password-file", "DTLS_SEND_PASSWORD", ... */
    char authorization[1024];           /* "Basic ..." or "" (wiped by dialect_free) */
    const char *const *headers;         /* -H lines */
    size_t n_headers;
};

/* Parse --dialect, derive the paths, gather the credentials (-u USER[:PASS], --password-file,
 * DTLS_SEND_PASSWORD, the config file's password, or a prompt on the terminal when
 * interactive). 0, or an exit code with err filled (EXIT_USAGE, EXIT_READ_INPUT). */
int dialect_init(struct dialect *d, const struct options *o, const struct dtls_url *u, struct conn_error *err);
void dialect_free(struct dialect *d);
int dialect_from_name(const char *name);    /* enum dialect_id, or -1 */

/* Does the dialect have commands at all (not plain)? */
int dialect_has_commands(const struct dialect *d);
/* Does a publish itself carry the wait for a command (drogue ?ct=, hono hono-ttd) rather than
 * a separate poll (thingsboard)? */
int dialect_waits_in_publish(const struct dialect *d);

/* A request built by the dialect, with the storage its strings live in. */
struct dialect_req {
    struct http_req rq;
    char target[DTLS_URL_MAX + 160];
    char extra[6][192];
    size_t n_extra;
    char *owned;                        /* a body the dialect made (thingsboard's JSON reply) */
};
/* Free what a dialect_req owns (a no-op for most). Safe after any dialect_*_req call, whether it
 * succeeded or not, and safe to call twice. */
void dialect_req_free(struct dialect_req *r);

/* The publish of one message; wait_s >= 0 asks drogue/hono to hold the response up to wait_s
 * seconds for a command (0: a short poll). Returns 0, or -1 (EXIT_USAGE, err filled) when the
 * request does not fit. */
int dialect_publish_req(const struct dialect *d, struct dialect_req *r, const uint8_t *body, size_t len,
                        const char *content_type, double wait_s, struct conn_error *err);
/* A request that only waits for a command, up to wait_s seconds (0: a short poll): drogue an
 * empty POST with ?ct=, hono an empty notification with hono-ttd, thingsboard GET .../rpc.
 * The request is safe to repeat (rq.resend_ok). -1 with err for plain. */
int dialect_poll_req(const struct dialect *d, struct dialect_req *r, double wait_s, struct conn_error *err);

enum dialect_op { DIALECT_OP_PUBLISH, DIALECT_OP_POLL, DIALECT_OP_REPLY };
enum { DIALECT_FAIL = -1, DIALECT_NONE = 0, DIALECT_COMMAND = 1 };

struct cloud_command {
    char *name;                         /* drogue "command", hono "hono-command", thingsboard "method" */
    char *id;                           /* hono "hono-cmd-req-id", thingsboard "id"; NULL when none
                                           (drogue; hono one-way commands): nothing to answer */
    uint8_t *payload;                   /* malloc'd, NUL after payload_len bytes */
    size_t payload_len;
    int payload_json;                   /* the payload is valid JSON */
};

/* Judge a response: DIALECT_NONE (accepted, no command), DIALECT_COMMAND (cmd filled; free it
 * with command_free), or DIALECT_FAIL with err filled: exit 22 for HTTP >= 400 and redirects
 * (an authentication failure names the credential problem, never the password). */
int dialect_read_response(const struct dialect *d, enum dialect_op op, const struct http_resp *rs,
                          struct cloud_command *cmd, struct conn_error *err);
/* Is an HTTP status worth another attempt (429, 5xx; 408 except thingsboard's poll)? */
int http_status_retriable(int status);
void command_free(struct cloud_command *c);

/* The command response (hono: POST <base>/command/res/<id>?hono-cmd-status=200|500; thingsboard:
 * POST <base>/rpc/<id>) carrying out[0..out_len). ok: the handler succeeded. Returns 0 when built,
 * 1 when the dialect or the command has no response (drogue, plain, hono one-way), -1 with err. */
int dialect_reply_req(const struct dialect *d, struct dialect_req *r, const struct cloud_command *c, int ok,
                      const uint8_t *out, size_t out_len, struct conn_error *err);

/* {"event":"command","name":...,"id":...|null,"payload":<json>} or "payload_base64" for a payload
 * that is not JSON (null when empty). */
cJSON *command_event(const struct cloud_command *c);
/* One human line: 'command NAME (id ID): PAYLOAD' with control characters escaped. malloc'd. */
char *command_describe(const struct cloud_command *c);

/* Standard base64 of in[0..n) (malloc'd, NUL-terminated). */
char *base64_encode(const uint8_t *in, size_t n);

#endif
