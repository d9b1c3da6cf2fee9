/*
 * Handshake benchmark client over libdtls (see hs_common.h for what it does).
 * Blocking socket callbacks of its own, getrandom through dtls_posix_rng, the
 * trust anchor parsed once, the newest ticket kept for resumption.
 */
#include "hs_common.h"

#include <dtls/dtls.h>
#include <dtls/posix.h>
#include <dtls/x509.h>

#include <errno.h>

static uint8_t rx[DTLS_RX_BUFFER_SIZE(0)], tx[DTLS_TX_BUFFER_SIZE(0)];
static struct dtls_x509_anchor anchor_list[8];
static struct dtls_x509_anchors anchors;
static struct dtls_config cfg;
static uint16_t groups[2];
static const uint16_t suites[] = { DTLS_TLS_AES_128_GCM_SHA256, 0 };

static struct {
    struct dtls_session s;
    uint8_t ticket[2048];
    int have;
} saved;

static const char *lib_name(void)
{
    return "dtls";
}

static long sock_recv(void *ctx, uint8_t *buf, size_t len)
{
    int fd = *(int *)ctx;
    for (;;) {
        ssize_t n = recv(fd, buf, len, 0);
        if (n >= 0)
            return (long)n;
        if (errno != EINTR)
            return DTLS_E_IO;
    }
}

static long sock_send(void *ctx, const uint8_t *buf, size_t len)
{
    int fd = *(int *)ctx;
    for (;;) {
        ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
        if (n > 0)
            return (long)n;
        if (n < 0 && errno != EINTR)
            return DTLS_E_IO;
    }
}

static int session_load(void *ctx, struct dtls_session *s)
{
    (void)ctx;
    if (!saved.have)
        return -1;
    *s = saved.s;
    s->ticket = saved.ticket;
    return 0;
}

static void session_store(void *ctx, const struct dtls_session *s)
{
    (void)ctx;
    if (s->ticket_len > sizeof saved.ticket)
        return;
    saved.s = *s;
    memcpy(saved.ticket, s->ticket, s->ticket_len);
    saved.s.ticket = saved.ticket;
    saved.have = 1;
}

static int lib_setup(const struct hs_args *a)
{
    static char pem[64 * 1024];
    FILE *f = fopen(a->ca, "rb");
    if (!f)
        return -1;
    size_t len = fread(pem, 1, sizeof pem, f);
    fclose(f);
    int n = dtls_x509_anchors_from_pem_inplace(pem, len, anchor_list, 8, NULL);
    if (n <= 0)
        return -1;
    anchors.list = anchor_list;
    anchors.count = (size_t)n;
    groups[0] = strcmp(a->group, "x25519") == 0 ? DTLS_GROUP_X25519 : DTLS_GROUP_SECP256R1;
    cfg.server_name = a->name;
    cfg.trust = &anchors;
    cfg.rng = dtls_posix_rng;
    cfg.now = dtls_posix_now;
    cfg.suites = suites;
    cfg.groups = groups;
    cfg.session_load = session_load;
    cfg.session_store = session_store;
    return 0;
}

static int lib_connection(const struct hs_args *a, int fd, int resume)
{
    static struct dtls_client c;
    struct dtls_info info;
    uint8_t buf[64];
    size_t got = 0;
    (void)a;
    saved.have &= resume;
    if (dtls_client_init(&c, &cfg, rx, sizeof rx, tx, sizeof tx) != DTLS_OK)
        return -1;
    dtls_client_set_io(&c, sock_recv, sock_send, &fd);
    int rc = dtls_handshake(&c);
    if (rc != DTLS_OK) {
        fprintf(stderr, "dtls: handshake: %s (%d)\n", dtls_strerror(rc), rc);
        return -1;
    }
    if (dtls_write(&c, (const uint8_t *)HS_PING, strlen(HS_PING)) != (long)strlen(HS_PING) ||
        dtls_flush(&c) != DTLS_OK)
        return -1;
    while (got < HS_PONG_LEN) {
        long n = dtls_read(&c, buf, sizeof buf);
        if (n <= 0)
            return -1;
        got += (size_t)n;
    }
    dtls_get_info(&c, &info);
    dtls_close(&c);
    return resume && !info.resumed ? -1 : 0;
}
