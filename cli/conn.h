/*
 * One TLS connection of dtls-send over the embedded engine: socket, config
 * built from the options, buffers, key log and session cache. Shared by probe,
 * publish and listen.
 */
#ifndef DTLS_SEND_CONN_H
#define DTLS_SEND_CONN_H

#include <dtls/dtls.h>
#include <dtls/posix.h>
#include <dtls/http.h>
#include <stdio.h>

#include "options.h"

#define CONN_RX_SIZE DTLS_RX_BUFFER_SIZE(0)
#define CONN_TX_SIZE DTLS_TX_BUFFER_SIZE(0)
#define CONN_TICKET_MAX 4096
#define CONN_MAX_CERT 16384

/* What went wrong, for the error event and the exit code. */
struct conn_error {
    int exit;               /* dtls-send exit code */
    const char *name;       /* machine name: "unknown_ca", "connect_failed", ... */
    char message[512];
};

/* Settings derived once from the options, shared by every connection of a run. */
struct conn_settings {
    struct dtls_config cfg;
    uint16_t suites[4], groups[3];
    const char *alpn[MAX_LIST + 1];
    char alpn_buf[256];
    char sni[256];
    char connect_host[256], connect_port[8];
    struct dtls_url url;
    FILE *keylog;
    int64_t connect_timeout_ms;
    int64_t deadline_ms;    /* absolute, 0 = none (from --max-time) */
    int verbose;
    /* session cache for resumption (one ticket, this server only) */
    int have_ticket, use_ticket;
    struct dtls_session session;
    uint8_t ticket[CONN_TICKET_MAX];
    /* the server's leaf certificate as last received (for reporting) */
    uint8_t leaf[CONN_MAX_CERT];
    size_t leaf_len;
    unsigned certs_seen;
    void *trust;            /* struct dtls_trust_anchors storage when verifying */
};

struct conn {
    struct dtls_posix_sock sock;
    struct dtls_client tls;
    uint8_t rx[CONN_RX_SIZE];
    uint8_t tx[CONN_TX_SIZE];
    double handshake_ms;
};

/* Fill s from the options and the target URL. Returns 0 or fills err. */
int conn_settings_init(struct conn_settings *s, const struct options *o, const struct dtls_url *u,
                       struct conn_error *err);
void conn_settings_free(struct conn_settings *s);
/* Connect and run the handshake. Returns 0 or fills err. */
int conn_open(struct conn *k, struct conn_settings *s, struct conn_error *err);
void conn_close(struct conn *k);
/* Map a dtls/posix result to an error (exit code + name + message). */
void conn_fail(struct conn_error *err, const struct conn *k, int rc, const char *during);

#endif
