/*
 * Running --on-command PROG and answering the cloud. PROG gets the payload on
 * stdin while we read its stdout (both through poll, so neither side can
 * block the other however much it writes), and an environment built before
 * fork (nothing but async-signal-safe calls run between fork and exec, as
 * --stream calls this from a thread).
 */
#define _GNU_SOURCE
#include "oncommand.h"
#include "exitcodes.h"
#include "output.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static int env_skip(const char *e)
{
    static const char *const drop[] = { "DTLS_SEND_PASSWORD=", "DTLS_COMMAND_NAME=", "DTLS_COMMAND_ID=",
                                        "DTLS_DIALECT=" };
    for (size_t i = 0; i < sizeof drop / sizeof drop[0]; i++)
        if (strncmp(e, drop[i], strlen(drop[i])) == 0)
            return 1;
    return 0;
}

static char *env_pair(const char *name, const char *value)
{
    size_t n = strlen(name), v = strlen(value);
    char *p = malloc(n + v + 2);
    if (p) {
        memcpy(p, name, n);
        p[n] = '=';
        memcpy(p + n + 1, value, v + 1);
    }
    return p;
}

int command_run(const char *prog, const char *dialect, const struct cloud_command *c, uint8_t **out, size_t *out_len,
                int *exit_status)
{
    *out = NULL;
    *out_len = 0;
    size_t n_env = 0;
    while (environ[n_env])
        n_env++;
    char **envp = calloc(n_env + 4, sizeof *envp);
    char *mine[3] = { env_pair("DTLS_COMMAND_NAME", c->name ? c->name : ""),
                      env_pair("DTLS_COMMAND_ID", c->id ? c->id : ""), env_pair("DTLS_DIALECT", dialect) };
    uint8_t *buf = malloc(4096);
    size_t cap = 4096, len = 0;
    int in[2] = { -1, -1 }, outp[2] = { -1, -1 };
    int rc = -1;
    if (!envp || !mine[0] || !mine[1] || !mine[2] || !buf)
        goto done;
    size_t k = 0;
    for (size_t i = 0; i < n_env; i++)
        if (!env_skip(environ[i]))
            envp[k++] = environ[i];
    for (int i = 0; i < 3; i++)
        envp[k++] = mine[i];
    envp[k] = NULL;
    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(outp, O_CLOEXEC) != 0)
        goto done;

    pid_t pid = fork();
    if (pid < 0)
        goto done;
    if (pid == 0) {
        /* dup2 clears close-on-exec; a pipe that already sits on 0 or 1 needs it cleared by hand */
        if (in[0] == STDIN_FILENO)
            fcntl(in[0], F_SETFD, 0);
        else
            dup2(in[0], STDIN_FILENO);
        if (outp[1] == STDOUT_FILENO)
            fcntl(outp[1], F_SETFD, 0);
        else
            dup2(outp[1], STDOUT_FILENO);
        signal(SIGPIPE, SIG_DFL); /* we ignore it; PROG should not inherit that */
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        char *argv[] = { "sh", "-c", (char *)prog, NULL };
        execve("/bin/sh", argv, envp);
        _exit(127);
    }
    close(in[0]);
    close(outp[1]);
    in[0] = outp[1] = -1;
    fcntl(in[1], F_SETFL, O_NONBLOCK);

    size_t sent = 0;
    int dropped = 0;
    if (c->payload_len == 0) {
        close(in[1]);
        in[1] = -1;
    }
    while (outp[0] >= 0) {
        struct pollfd p[2] = { { .fd = outp[0], .events = POLLIN }, { .fd = in[1], .events = POLLOUT } };
        int r = poll(p, in[1] >= 0 ? 2 : 1, -1);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (in[1] >= 0 && (p[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
            ssize_t w = write(in[1], c->payload + sent, c->payload_len - sent);
            if (w > 0)
                sent += (size_t)w;
            if ((w < 0 && errno != EAGAIN && errno != EINTR) || sent == c->payload_len) {
                close(in[1]); /* done, or PROG does not read its input */
                in[1] = -1;
            }
        }
        if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            if (len == cap && cap < ONCOMMAND_MAX_OUTPUT) {
                uint8_t *nb = realloc(buf, cap * 2);
                if (nb) {
                    buf = nb;
                    cap *= 2;
                }
            }
            uint8_t sink[4096];
            int full = len == cap;
            ssize_t n = full ? read(outp[0], sink, sizeof sink) : read(outp[0], buf + len, cap - len);
            if (n > 0 && full)
                dropped = 1;
            else if (n > 0)
                len += (size_t)n;
            else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
                close(outp[0]);
                outp[0] = -1;
            }
        }
    }
    if (in[1] >= 0) {
        close(in[1]);
        in[1] = -1;
    }
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    *exit_status = WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : 1;
    if (dropped)
        fprintf(stderr, "dtls-send: --on-command: output beyond %u bytes was dropped\n", ONCOMMAND_MAX_OUTPUT);
    *out = buf;
    *out_len = len;
    buf = NULL;
    rc = 0;
done:
    for (int i = 0; i < 2; i++) {
        if (in[i] >= 0)
            close(in[i]);
        if (outp[i] >= 0)
            close(outp[i]);
    }
    free(buf);
    for (int i = 0; i < 3; i++)
        free(mine[i]);
    free(envp);
    return rc;
}

int command_handle(const struct options *o, const struct dialect *d, struct transport *t, const struct cloud_command *c,
                   struct conn_error *err)
{
    if (o->json) {
        out_event(command_event(c));
    } else if (!o->silent) {
        char *line = command_describe(c);
        if (line) {
            printf("%s\n", line);
            fflush(stdout);
            free(line);
        }
    }
    if (!o->on_command)
        return 0;

    uint8_t *out = NULL;
    size_t out_len = 0;
    int status = 0;
    if (command_run(o->on_command, d->name, c, &out, &out_len, &status) != 0) {
        err->exit = EXIT_USAGE;
        err->name = "on_command";
        snprintf(err->message, sizeof err->message, "--on-command: cannot run '%s': %s", o->on_command,
                 strerror(errno));
        return err->exit;
    }
    if (o->verbose)
        fprintf(stderr, "* --on-command exited with %d, %zu bytes of output\n", status, out_len);
    struct dialect_req r;
    int b = dialect_reply_req(d, &r, c, status == 0, out, out_len, err);
    if (b != 0) {
        free(out);
        if (b < 0)
            return err->exit;
        if (o->verbose)
            fprintf(stderr, "* %s: no command response to send%s\n", d->name,
                    c->id ? "" : " (the command has no id)");
        return 0;
    }
    struct http_resp rs;
    struct cloud_command none;
    int rc = transport_request(t, &r.rq, &rs, err);
    dialect_req_free(&r);
    if (rc == 0) {
        int v = dialect_read_response(d, DIALECT_OP_REPLY, &rs, &none, err);
        int http = rs.status;
        http_resp_free(&rs);
        if (v == DIALECT_FAIL)
            rc = err->exit;
        else if (o->json) {
            cJSON *ev = cJSON_CreateObject();
            cJSON_AddStringToObject(ev, "event", "command_response");
            cJSON_AddStringToObject(ev, "name", c->name ? c->name : "");
            cJSON_AddStringToObject(ev, "id", c->id);
            cJSON_AddNumberToObject(ev, "status", status == 0 ? 200 : 500);
            cJSON_AddNumberToObject(ev, "http_status", http);
            out_event(ev);
        }
    }
    free(out);
    return rc;
}
