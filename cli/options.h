/*
 * dtls-send options: one table (long name, short letter, argument, commands,
 * help) drives getopt_long, --help and the man page's option list.
 */
#ifndef DTLS_SEND_OPTIONS_H
#define DTLS_SEND_OPTIONS_H

#include <stddef.h>
#include <stdint.h>

enum command { CMD_PUBLISH = 1, CMD_LISTEN = 2, CMD_PROBE = 4, CMD_VERIFY = 8 };

#define MAX_HEADERS 32
#define MAX_ITEMS 64
#define MAX_LIST 8

struct options {
    enum command cmd;
    const char *url;                 /* URL, HOST[:PORT] (probe) or CERT.pem (verify) */
    const char *items[MAX_ITEMS];    /* key=value / key:=json */
    size_t n_items;

    /* message */
    const char *data;                /* -d JSON|@FILE|@- */
    const char *data_binary;         /* --data-binary @FILE */
    const char *headers[MAX_HEADERS];
    size_t n_headers;
    const char *content_type;

    /* cloud */
    const char *dialect;
    const char *user;
    const char *password_file;
    double wait;                     /* -w seconds, < 0: not set */
    const char *on_command;
    int stream;
    const char *spool;
    double poll_interval;

    /* TLS */
    const char *cacert;
    const char *cert, *key;
    int insecure;
    const char *servername;
    const char *connect_to;
    const char *alpn;
    const char *ciphers;
    const char *groups;
    unsigned max_fragment;
    const char *keylog;
    const char *pinnedpubkey;
    const char *engine;

    /* behaviour */
    int retry;
    double connect_timeout, max_time;
    const char *config;
    const char *profile;

    /* output */
    int verbose, silent, json;

    /* probe */
    int repeat;
    int resume;

    /* verify */
    const char *untrusted;
    const char *host, *ip;
    const char *time;
    const char *purpose;
};

/* Parse argv into o. Returns -1 to continue, or an exit code (0 after --help/-V). */
int options_parse(struct options *o, int argc, char **argv);
/* Write the option list as man-page source (for docs/dtls-send.1) to stdout. */
void options_man(void);

#endif
