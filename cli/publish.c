/*
 * dtls-send publishing and listening:
 *   dtls-send [OPTIONS] URL [ITEM...]   one message; -w waits for a command afterwards
 *   dtls-send listen [OPTIONS] URL      commands only, until SIGINT/SIGTERM
 * (--stream is cmd_stream in stream.c). The message is built and checked
 * before anything is sent; the dialect layer builds the requests and judges
 * the responses; the transport carries them over one kept-alive connection.
 */
#define _GNU_SOURCE
#include "commands.h"
#include "dialect.h"
#include "exitcodes.h"
#include "message.h"
#include "oncommand.h"
#include "output.h"
#include "transport.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BACKOFF_MAX_S 60.0
#define RETRY_AFTER_MAX_S 600.0

struct run {
    const struct options *o;
    struct dialect d;
    struct transport *t;
    int64_t deadline_ms;        /* --max-time, absolute; 0 = none */
};

static volatile sig_atomic_t stop_requested;
static struct transport *volatile listening;

static void on_stop_signal(int sig)
{
    stop_requested = 1;
    struct transport *t = listening;
    if (t)
        transport_abort(t);
    signal(sig, SIG_DFL); /* a second ^C ends the process at once */
}

static double left_s(const struct run *r)
{
    if (!r->deadline_ms)
        return INFINITY;
    return (double)(r->deadline_ms - dtls_posix_now_ms()) / 1000;
}

/* Sleep s seconds; 0, or -1 when a stop signal came first. */
static int nap(double s)
{
    if (s <= 0)
        return stop_requested ? -1 : 0;
    struct timespec ts = { (time_t)s, (long)((s - floor(s)) * 1e9) };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        if (stop_requested)
            return -1;
    return stop_requested ? -1 : 0;
}

static int bad_url(const struct options *o, int rc)
{
    struct conn_error err = { .exit = EXIT_BAD_URL, .name = "bad_url" };
    snprintf(err.message, sizeof err.message, "bad URL '%s': %s", o->url, dtls_url_strerror(rc));
    return out_error(o, &err);
}

/* Send a dialect request and judge the answer, trying again (up to --retry times, with
 * exponential backoff or the server's Retry-After) after failures that may pass: connect
 * errors, timeouts, lost connections, 429, 5xx. Returns DIALECT_NONE or DIALECT_COMMAND
 * (rs filled; free it), or DIALECT_FAIL with err filled. */
static int exchange(struct run *r, struct dialect_req *q, enum dialect_op op, struct http_resp *rs,
                    struct cloud_command *cmd, int retries, struct conn_error *err)
{
    const struct options *o = r->o;
    for (int attempt = 0;; attempt++) {
        int rc = transport_request(r->t, &q->rq, rs, err);
        double delay = fmin(pow(2, attempt), BACKOFF_MAX_S);
        int again;
        if (rc == 0) {
            int v = dialect_read_response(&r->d, op, rs, cmd, err);
            if (v != DIALECT_FAIL)
                return v;
            again = http_status_retriable(rs->status) && !(op == DIALECT_OP_POLL && rs->status == 408);
            if (rs->retry_after_s >= 0)
                delay = fmin(rs->retry_after_s, RETRY_AFTER_MAX_S);
            http_resp_free(rs);
        } else {
            again = rs->retriable && !rs->aborted;
            if (again && rs->maybe_sent && op != DIALECT_OP_POLL && !o->silent && attempt < retries)
                fprintf(stderr, "dtls-send: the connection was lost after the request was sent; it may have "
                                "arrived, sending it again (--retry)\n");
        }
        if (!again || attempt >= retries || stop_requested)
            return DIALECT_FAIL;
        if (delay > left_s(r)) {
            if (!o->silent)
                fprintf(stderr, "dtls-send: %s; no time left for another attempt (--max-time)\n", err->message);
            return DIALECT_FAIL;
        }
        if (!o->silent)
            fprintf(stderr, "dtls-send: %s; trying again in %.3g s (%d of %d)\n", err->message, delay, attempt + 1,
                    retries);
        if (nap(delay) != 0)
            return DIALECT_FAIL;
    }
}

static void report_published(const struct run *r, const struct http_resp *rs, int command)
{
    const struct options *o = r->o;
    if (o->json) {
        cJSON *ev = cJSON_CreateObject();
        cJSON_AddStringToObject(ev, "event", "published");
        cJSON_AddNumberToObject(ev, "status", rs->status);
        cJSON_AddNumberToObject(ev, "ms", round(rs->ms * 1000) / 1000);
        out_event(ev);
        return;
    }
    if (o->verbose)
        fprintf(stderr, "* published: HTTP %d in %.3f ms\n", rs->status, rs->ms);
    /* like curl, a response body is data: it goes to stdout (not a command's payload,
     * which is shown as the command) */
    if (!o->silent && !command && rs->body_len > 0) {
        fwrite(rs->body, 1, rs->body_len, stdout);
        if (rs->body[rs->body_len - 1] != '\n')
            fputc('\n', stdout);
        fflush(stdout);
    }
}

static int setup(struct run *r, const struct options *o, struct dtls_url *u, struct conn_error *err)
{
    memset(r, 0, sizeof *r);
    r->o = o;
    if (o->max_time > 0)
        r->deadline_ms = dtls_posix_now_ms() + (int64_t)(o->max_time * 1000);
    if (dialect_init(&r->d, o, u, err) != 0)
        return err->exit;
    r->t = transport_open(o, u, err);
    if (!r->t) {
        dialect_free(&r->d);
        return err->exit;
    }
    return 0;
}

static void teardown(struct run *r)
{
    transport_close(r->t);
    r->t = NULL;
    dialect_free(&r->d);
}

int cmd_publish(const struct options *o)
{
    if (o->stream)
        return cmd_stream(o);
    struct conn_error err = { 0 };
    if (o->spool) {
        err.exit = EXIT_USAGE;
        err.name = "usage";
        snprintf(err.message, sizeof err.message, "--spool works with --stream");
        return out_error(o, &err);
    }
    struct dtls_url u;
    int rc = dtls_url_parse(&u, o->url);
    if (rc != DTLS_URL_OK)
        return bad_url(o, rc);

    /* everything the user gave is checked before anything is sent */
    struct message m;
    if (message_build(o, &m, &err) != 0)
        return out_error(o, &err);
    if (o->wait >= 0 && o->dialect && strcmp(o->dialect, "plain") == 0) {
        message_free(&m);
        err.exit = EXIT_USAGE;
        err.name = "usage";
        snprintf(err.message, sizeof err.message, "-w: the plain dialect has no commands");
        return out_error(o, &err);
    }
    struct run r;
    if (setup(&r, o, &u, &err) != 0) {
        message_free(&m);
        return out_error(o, &err);
    }

    struct dialect_req q;
    struct http_resp rs;
    struct cloud_command cmd;
    rc = EXIT_OK;
    if (dialect_publish_req(&r.d, &q, m.data, m.len, m.content_type, o->wait, &err) != 0) {
        rc = out_error(o, &err);
        goto done;
    }
    int v = exchange(&r, &q, DIALECT_OP_PUBLISH, &rs, &cmd, o->retry, &err);
    dialect_req_free(&q);
    if (v == DIALECT_FAIL) {
        rc = out_error(o, &err);
        goto done;
    }
    report_published(&r, &rs, v == DIALECT_COMMAND);
    http_resp_free(&rs);

    if (v == DIALECT_NONE && o->wait >= 0 && !dialect_waits_in_publish(&r.d)) {
        /* thingsboard: the command comes from a separate RPC poll */
        if (dialect_poll_req(&r.d, &q, o->wait, &err) != 0) {
            rc = out_error(o, &err);
            goto done;
        }
        v = exchange(&r, &q, DIALECT_OP_POLL, &rs, &cmd, o->retry, &err);
        dialect_req_free(&q);
        if (v == DIALECT_FAIL) {
            rc = out_error(o, &err);
            goto done;
        }
        http_resp_free(&rs);
    }
    if (v == DIALECT_COMMAND) {
        if (command_handle(o, &r.d, r.t, &cmd, &err) != 0)
            rc = out_error(o, &err);
        command_free(&cmd);
    } else if (o->wait >= 0 && o->verbose) {
        fprintf(stderr, "* no command within %.3g s\n", o->wait);
    }
done:
    teardown(&r);
    message_free(&m);
    return rc;
}

int cmd_listen(const struct options *o)
{
    struct conn_error err = { 0 };
    struct dtls_url u;
    int rc = dtls_url_parse(&u, o->url);
    if (rc != DTLS_URL_OK)
        return bad_url(o, rc);
    if (o->dialect && strcmp(o->dialect, "plain") == 0) {
        err.exit = EXIT_USAGE;
        err.name = "usage";
        snprintf(err.message, sizeof err.message, "listen: the plain dialect has no commands");
        return out_error(o, &err);
    }
    struct run r;
    if (setup(&r, o, &u, &err) != 0)
        return out_error(o, &err);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: sleeps and waits end on the signal */
    listening = r.t;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    /* Until a poll has reached the cloud, a failure ends the run (a wrong host or CA should
     * not be retried forever); afterwards the connection is re-opened with backoff, without
     * limit unless --retry N caps the consecutive failures. */
    int ever_ok = 0, failures = 0;
    int timer = o->poll_interval >= 0;
    rc = EXIT_OK;
    while (!stop_requested) {
        double left = left_s(&r);
        if (left < 1)
            break; /* --max-time: listening is over */
        double wait = timer ? 0 : fmin(DIALECT_LISTEN_WAIT_S, floor(left - 1));
        int64_t started = dtls_posix_now_ms();
        struct dialect_req q;
        struct http_resp rs;
        struct cloud_command cmd;
        if (dialect_poll_req(&r.d, &q, wait, &err) != 0) {
            rc = out_error(o, &err);
            break;
        }
        int v = exchange(&r, &q, DIALECT_OP_POLL, &rs, &cmd, 0, &err);
        dialect_req_free(&q);
        if (stop_requested) {
            /* an answer that came in as the stop did is freed; a command the cloud handed
             * over is shown (it is off the cloud's queue, so dropping it would lose it) but
             * not run */
            if (v != DIALECT_FAIL)
                http_resp_free(&rs);
            if (v == DIALECT_COMMAND) {
                struct options shown = *o;
                shown.on_command = NULL;
                command_handle(&shown, &r.d, r.t, &cmd, &err);
                command_free(&cmd);
            }
            break;
        }
        if (v == DIALECT_FAIL) {
            int transient = (rs.retriable && !rs.aborted) || (rs.status && http_status_retriable(rs.status));
            if (rs.status == 0 && left_s(&r) < 1)
                break;
            if (rs.status || rs.maybe_sent)
                ever_ok = 1; /* we did get through to the cloud: this is not a wrong host or CA */
            failures++;
            if (!transient || (!ever_ok && o->retry == 0) || (o->retry > 0 && failures > o->retry)) {
                rc = out_error(o, &err);
                break;
            }
            double delay = fmin(pow(2, failures - 1), BACKOFF_MAX_S);
            if (rs.retry_after_s >= 0)
                delay = fmin(rs.retry_after_s, RETRY_AFTER_MAX_S);
            /* jitter, so that many listeners do not come back at the same moment */
            delay *= 0.75 + 0.5 * ((double)(dtls_posix_now_ms() % 1000) / 1000);
            if (!o->silent)
                fprintf(stderr, "dtls-send: %s; polling again in %.1f s\n", err.message, delay);
            if (nap(delay) != 0)
                break;
            transport_reset(r.t);
            continue;
        }
        ever_ok = 1;
        failures = 0;
        http_resp_free(&rs);
        if (v == DIALECT_COMMAND) {
            int h = command_handle(o, &r.d, r.t, &cmd, &err);
            command_free(&cmd);
            if (h != 0 && !stop_requested) {
                /* a refused command response is reported; listening goes on */
                out_error(o, &err);
            }
            continue; /* more commands may be queued: poll again at once */
        }
        if (timer) {
            double next = (double)(started - dtls_posix_now_ms()) / 1000 + o->poll_interval;
            if (nap(fmin(next, left_s(&r))) != 0)
                break;
        }
    }
    listening = NULL;
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    if (stop_requested && o->verbose)
        fprintf(stderr, "* stopped\n");
    teardown(&r);
    return rc;
}
