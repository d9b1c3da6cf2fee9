/*
 * The option table. Every option is one row: getopt_long's table, --help and
 * the man page's OPTIONS section are all generated from these rows, so they
 * cannot disagree.
 */
#include "options.h"
#include "exitcodes.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0"
#endif

enum opt_id {
    O_DATA = 1000, O_DATA_BINARY, O_HEADER, O_CONTENT_TYPE, O_DIALECT, O_USER, O_PASSWORD_FILE, O_WAIT,
    O_ON_COMMAND, O_STREAM, O_SPOOL, O_POLL_INTERVAL, O_CACERT, O_CERT, O_KEY, O_INSECURE, O_SERVERNAME,
    O_CONNECT_TO, O_ALPN, O_CIPHERS, O_GROUPS, O_MAX_FRAGMENT, O_KEYLOG, O_PINNED, O_ENGINE, O_RETRY,
    O_CONNECT_TIMEOUT, O_MAX_TIME, O_CONFIG, O_PROFILE, O_VERBOSE, O_SILENT, O_JSON, O_VERSION, O_HELP,
    O_REPEAT, O_RESUME, O_UNTRUSTED, O_HOST, O_IP, O_TIME, O_PURPOSE, O_MAN
};

#define ALL (CMD_PUBLISH | CMD_LISTEN | CMD_PROBE | CMD_VERIFY)
#define NET (CMD_PUBLISH | CMD_LISTEN | CMD_PROBE)
#define HTTP (CMD_PUBLISH | CMD_LISTEN)

struct opt_def {
    const char *name;
    char letter;            /* 0: long only */
    const char *arg;        /* NULL: flag; else the argument's name in help */
    enum opt_id id;
    unsigned cmds;
    const char *help;
};

static const struct opt_def opts[] = {
    { "data", 'd', "JSON|@FILE|@-", O_DATA, CMD_PUBLISH,
      "message body; validated as JSON (a clear error with line and column otherwise), then sent byte for byte" },
    { "data-binary", 0, "@FILE", O_DATA_BINARY, CMD_PUBLISH, "send FILE as-is (e.g. protobuf); pair with --content-type" },
    { "header", 'H', "'Name: value'", O_HEADER, HTTP, "extra request header (repeatable)" },
    { "content-type", 0, "TYPE", O_CONTENT_TYPE, CMD_PUBLISH, "Content-Type of the message (default application/json)" },
    { "dialect", 0, "NAME", O_DIALECT, HTTP, "drogue (default), hono, thingsboard or plain" },
    { "user", 'u', "USER[:PASS]", O_USER, HTTP, "credentials; the password may also come from DTLS_SEND_PASSWORD or --password-file" },
    { "password-file", 0, "FILE", O_PASSWORD_FILE, HTTP, "read the password from the first line of FILE" },
    { "wait", 'w', "SECONDS", O_WAIT, CMD_PUBLISH, "after publishing, long-poll up to SECONDS for a command" },
    { "on-command", 0, "PROG", O_ON_COMMAND, HTTP, "run PROG per command (payload on stdin); its stdout is the response" },
    { "stream", 0, NULL, O_STREAM, CMD_PUBLISH, "publish each JSON line read from stdin over a kept-open connection" },
    { "spool", 0, "DIR", O_SPOOL, CMD_PUBLISH, "durable queue: messages are on disk before they are sent" },
    { "poll-interval", 0, "SECONDS", O_POLL_INTERVAL, HTTP, "poll every SECONDS instead of holding a long poll open" },
    { "cacert", 0, "FILE", O_CACERT, ALL, "trust anchors (PEM); default: the system bundle" },
    { "cert", 0, "FILE", O_CERT, NET, "client certificate chain (PEM)" },
    { "key", 0, "FILE", O_KEY, NET, "client private key (PEM: EC P-256, Ed25519 or RSA; PKCS#8, SEC1 or PKCS#1)" },
    { "insecure", 'k', NULL, O_INSECURE, NET, "do NOT verify the server certificate (prints a warning)" },
    { "servername", 0, "NAME", O_SERVERNAME, NET, "SNI and the name checked in the certificate (default: the URL's host)" },
    { "connect-to", 0, "HOST:PORT", O_CONNECT_TO, NET, "connect to HOST:PORT instead of the URL's host and port" },
    { "alpn", 0, "LIST", O_ALPN, NET, "ALPN protocols, comma-separated, preference order (e.g. h2,http/1.1)" },
    { "ciphers", 0, "A:B", O_CIPHERS, NET, "TLS 1.3 cipher suites, colon-separated, preference order" },
    { "groups", 0, "A:B", O_GROUPS, NET, "key-exchange groups, colon-separated (x25519:secp256r1); the first is the key share sent" },
    { "max-fragment", 0, "N", O_MAX_FRAGMENT, NET, "ask for records of at most N bytes: 512, 1024, 2048 or 4096" },
    { "keylog", 0, "FILE", O_KEYLOG, NET, "append NSS key log lines to FILE (also from SSLKEYLOGFILE)" },
    { "pinnedpubkey", 0, "sha256//BASE64", O_PINNED, NET, "require the server key's SHA-256 (SubjectPublicKeyInfo) to match" },
    { "engine", 0, "NAME", O_ENGINE, HTTP, "embedded (default: libdtls) or curl (libcurl and the system TLS)" },
    { "retry", 0, "N", O_RETRY, HTTP, "retry a failed publish N times with backoff" },
    { "connect-timeout", 0, "SECONDS", O_CONNECT_TIMEOUT, NET, "limit for the TCP connect" },
    { "max-time", 0, "SECONDS", O_MAX_TIME, ALL, "limit for the whole operation" },
    { "config", 0, "FILE", O_CONFIG, ALL, "JSON config (default $XDG_CONFIG_HOME/dtls-send/config.json)" },
    { "profile", 0, "NAME", O_PROFILE, ALL, "use the named profile of the config file" },
    { "verbose", 'v', NULL, O_VERBOSE, ALL, "trace the handshake and HTTP on stderr (never secrets)" },
    { "silent", 's', NULL, O_SILENT, ALL, "print nothing but errors" },
    { "json", 0, NULL, O_JSON, ALL, "one JSON object per event on stdout" },
    { "repeat", 0, "N", O_REPEAT, CMD_PROBE, "probe: run N handshakes and report min/median/max" },
    { "resume", 0, NULL, O_RESUME, CMD_PROBE, "probe: a second handshake resuming the first session" },
    { "untrusted", 0, "FILE", O_UNTRUSTED, CMD_VERIFY, "verify: intermediate certificates (PEM)" },
    { "host", 0, "NAME", O_HOST, CMD_VERIFY, "verify: the host name the certificate must be valid for" },
    { "ip", 0, "ADDR", O_IP, CMD_VERIFY, "verify: the IP address the certificate must be valid for" },
    { "time", 0, "RFC3339", O_TIME, CMD_VERIFY, "verify: check validity at this time instead of now" },
    { "purpose", 0, "server|client", O_PURPOSE, CMD_VERIFY, "verify: the extended key usage required (default server)" },
    { "version", 'V', NULL, O_VERSION, ALL, "print the version and exit" },
    { "help", 'h', NULL, O_HELP, ALL, "print this help and exit" },
    { "man-options", 0, NULL, O_MAN, 0, NULL }, /* internal: the man page's option list */
};
#define N_OPTS (sizeof opts / sizeof opts[0])

static const char *cmd_name(enum command c)
{
    switch (c) {
    case CMD_LISTEN: return "listen";
    case CMD_PROBE: return "probe";
    case CMD_VERIFY: return "verify";
    default: return "publish";
    }
}

static void usage(FILE *f)
{
    fputs("Usage:\n"
          "  dtls-send [OPTIONS] URL [ITEM...]          publish one message; optionally wait for a command\n"
          "  dtls-send [OPTIONS] --stream URL           publish each JSON line read from stdin\n"
          "  dtls-send listen [OPTIONS] URL             only wait for commands (long-poll)\n"
          "  dtls-send probe [OPTIONS] URL|HOST[:PORT]  TLS handshake only; report what was negotiated\n"
          "  dtls-send verify [OPTIONS] CERT.pem        validate a certificate chain offline\n"
          "ITEM is key=string or key:=json (builds a JSON object).\n\nOptions:\n", f);
    for (size_t i = 0; i < N_OPTS; i++) {
        if (!opts[i].help)
            continue;
        char left[64];
        snprintf(left, sizeof left, "%s%c%s--%s%s%s", opts[i].letter ? "-" : "  ", opts[i].letter ? opts[i].letter : ' ',
                 opts[i].letter ? ", " : "  ", opts[i].name, opts[i].arg ? " " : "", opts[i].arg ? opts[i].arg : "");
        fprintf(f, "  %-36s %s\n", left, opts[i].help);
    }
    fputs("\nExit codes: 0 ok, 2 usage, 3 bad URL, 6 resolve, 7 connect, 22 HTTP >= 400, 26 input,\n"
          "28 timeout, 35 TLS handshake, 55 send, 56 receive, 58 client cert, 60 server cert, 77 CA file.\n", f);
}

void options_man(void)
{
    for (size_t i = 0; i < N_OPTS; i++) {
        if (!opts[i].help)
            continue;
        printf(".TP\n");
        if (opts[i].letter)
            printf("\\fB\\-%c\\fR, ", opts[i].letter);
        printf("\\fB\\-\\-%s\\fR", opts[i].name);
        if (opts[i].arg)
            printf(" \\fI%s\\fR", opts[i].arg);
        printf("\n%s\n", opts[i].help);
    }
}

static int parse_double(const char *name, const char *s, double *out)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end || v < 0) {
        fprintf(stderr, "dtls-send: --%s needs a number of seconds >= 0, got '%s'\n", name, s);
        return EXIT_USAGE;
    }
    *out = v;
    return -1;
}

static int parse_int(const char *name, const char *s, int lo, int hi, int *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (end == s || *end || v < lo || v > hi) {
        fprintf(stderr, "dtls-send: --%s needs a whole number from %d to %d, got '%s'\n", name, lo, hi, s);
        return EXIT_USAGE;
    }
    *out = (int)v;
    return -1;
}

int options_parse(struct options *o, int argc, char **argv)
{
    memset(o, 0, sizeof *o);
    o->wait = -1;
    o->poll_interval = -1;
    o->repeat = 1;

    int first = 1;
    if (argc > 1) {
        if (strcmp(argv[1], "probe") == 0) o->cmd = CMD_PROBE;
        else if (strcmp(argv[1], "verify") == 0) o->cmd = CMD_VERIFY;
        else if (strcmp(argv[1], "listen") == 0) o->cmd = CMD_LISTEN;
        if (o->cmd)
            first = 2;
    }
    if (!o->cmd)
        o->cmd = CMD_PUBLISH;

    struct option lopts[N_OPTS + 1];
    char shorts[2 * N_OPTS + 2];
    size_t ns = 0;
    for (size_t i = 0; i < N_OPTS; i++) {
        lopts[i].name = opts[i].name;
        lopts[i].has_arg = opts[i].arg ? required_argument : no_argument;
        lopts[i].flag = NULL;
        lopts[i].val = (int)opts[i].id;
        if (opts[i].letter) {
            shorts[ns++] = opts[i].letter;
            if (opts[i].arg)
                shorts[ns++] = ':';
        }
    }
    memset(&lopts[N_OPTS], 0, sizeof lopts[N_OPTS]);
    shorts[ns] = 0;

    int sub_argc = argc - first + 1;
    char **sub_argv = argv + first - 1;
    optind = 1;
    opterr = 0;
    int c, rc;
    while ((c = getopt_long(sub_argc, sub_argv, shorts, lopts, NULL)) != -1) {
        const struct opt_def *d = NULL;
        for (size_t i = 0; i < N_OPTS; i++)
            if ((int)opts[i].id == c || (opts[i].letter && opts[i].letter == c))
                d = &opts[i];
        if (!d) {
            const char *bad = sub_argv[optind - 1];
            if (c == '?' && optopt)
                fprintf(stderr, "dtls-send: option -%c is unknown or needs an argument\n", optopt);
            else
                fprintf(stderr, "dtls-send: unknown option or missing argument: %s\n", bad);
            fprintf(stderr, "Try 'dtls-send --help'.\n");
            return EXIT_USAGE;
        }
        if (d->cmds && !(d->cmds & o->cmd)) {
            fprintf(stderr, "dtls-send: --%s does not apply to %s\n", d->name, cmd_name(o->cmd));
            return EXIT_USAGE;
        }
        switch (d->id) {
        case O_DATA: o->data = optarg; break;
        case O_DATA_BINARY: o->data_binary = optarg; break;
        case O_HEADER:
            if (o->n_headers == MAX_HEADERS) {
                fprintf(stderr, "dtls-send: at most %d -H headers\n", MAX_HEADERS);
                return EXIT_USAGE;
            }
            o->headers[o->n_headers++] = optarg;
            break;
        case O_CONTENT_TYPE: o->content_type = optarg; break;
        case O_DIALECT: o->dialect = optarg; break;
        case O_USER: {
            /* Keep a copy and blank the password in argv, so that ps and
             * /proc/PID/cmdline show "-u user:****" from now on (as curl does). */
            static char user_copy[1024];
            if (strlen(optarg) >= sizeof user_copy) {
                fprintf(stderr, "dtls-send: --user is too long\n");
                return EXIT_USAGE;
            }
            strcpy(user_copy, optarg);
            o->user = user_copy;
            char *colon = strchr(optarg, ':');
            if (colon)
                for (char *p = colon + 1; *p; p++)
                    *p = '*';
            break;
        }
        case O_PASSWORD_FILE: o->password_file = optarg; break;
        case O_WAIT: if ((rc = parse_double(d->name, optarg, &o->wait)) >= 0) return rc; break;
        case O_ON_COMMAND: o->on_command = optarg; break;
        case O_STREAM: o->stream = 1; break;
        case O_SPOOL: o->spool = optarg; break;
        case O_POLL_INTERVAL: if ((rc = parse_double(d->name, optarg, &o->poll_interval)) >= 0) return rc; break;
        case O_CACERT: o->cacert = optarg; break;
        case O_CERT: o->cert = optarg; break;
        case O_KEY: o->key = optarg; break;
        case O_INSECURE: o->insecure = 1; break;
        case O_SERVERNAME: o->servername = optarg; break;
        case O_CONNECT_TO: o->connect_to = optarg; break;
        case O_ALPN: o->alpn = optarg; break;
        case O_CIPHERS: o->ciphers = optarg; break;
        case O_GROUPS: o->groups = optarg; break;
        case O_MAX_FRAGMENT: {
            int v;
            if ((rc = parse_int(d->name, optarg, 512, 4096, &v)) >= 0)
                return rc;
            if (v != 512 && v != 1024 && v != 2048 && v != 4096) {
                fprintf(stderr, "dtls-send: --max-fragment must be 512, 1024, 2048 or 4096\n");
                return EXIT_USAGE;
            }
            o->max_fragment = (unsigned)v;
            break;
        }
        case O_KEYLOG: o->keylog = optarg; break;
        case O_PINNED: o->pinnedpubkey = optarg; break;
        case O_ENGINE: o->engine = optarg; break;
        case O_RETRY: if ((rc = parse_int(d->name, optarg, 0, 1000, &o->retry)) >= 0) return rc; break;
        case O_CONNECT_TIMEOUT: if ((rc = parse_double(d->name, optarg, &o->connect_timeout)) >= 0) return rc; break;
        case O_MAX_TIME: if ((rc = parse_double(d->name, optarg, &o->max_time)) >= 0) return rc; break;
        case O_CONFIG: o->config = optarg; break;
        case O_PROFILE: o->profile = optarg; break;
        case O_VERBOSE: o->verbose++; break;
        case O_SILENT: o->silent = 1; break;
        case O_JSON: o->json = 1; break;
        case O_REPEAT: if ((rc = parse_int(d->name, optarg, 1, 100000, &o->repeat)) >= 0) return rc; break;
        case O_RESUME: o->resume = 1; break;
        case O_UNTRUSTED: o->untrusted = optarg; break;
        case O_HOST: o->host = optarg; break;
        case O_IP: o->ip = optarg; break;
        case O_TIME: o->time = optarg; break;
        case O_PURPOSE:
            if (strcmp(optarg, "server") != 0 && strcmp(optarg, "client") != 0) {
                fprintf(stderr, "dtls-send: --purpose must be server or client\n");
                return EXIT_USAGE;
            }
            o->purpose = optarg;
            break;
        case O_VERSION: printf("dtls-send %s (libdtls %s)\n", PACKAGE_VERSION, PACKAGE_VERSION); return EXIT_OK;
        case O_HELP: usage(stdout); return EXIT_OK;
        case O_MAN: options_man(); return EXIT_OK;
        }
    }
    if (optind >= sub_argc) {
        fprintf(stderr, "dtls-send: no %s given\nTry 'dtls-send --help'.\n",
                o->cmd == CMD_VERIFY ? "certificate file" : o->cmd == CMD_PROBE ? "URL or HOST[:PORT]" : "URL");
        return EXIT_USAGE;
    }
    o->url = sub_argv[optind++];
    for (; optind < sub_argc; optind++) {
        if (o->cmd != CMD_PUBLISH) {
            fprintf(stderr, "dtls-send: unexpected argument '%s'\n", sub_argv[optind]);
            return EXIT_USAGE;
        }
        if (o->n_items == MAX_ITEMS) {
            fprintf(stderr, "dtls-send: at most %d items\n", MAX_ITEMS);
            return EXIT_USAGE;
        }
        o->items[o->n_items++] = sub_argv[optind];
    }
    if (o->silent && o->verbose)
        o->verbose = 0;
    return -1;
}
