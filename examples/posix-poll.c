/*
 * A non-blocking dtls client driven by a poll() loop, the shape an
 * event-driven firmware main loop has:
 *
 *   posix-poll (--cacert CA.pem | -k) HOST PORT [MESSAGE]
 *
 * Every dtls call may return DTLS_WANT_READ or DTLS_WANT_WRITE; the loop then
 * waits for the socket to become readable or writable and calls again. The
 * same calls with blocking callbacks are examples/posix-blocking.c.
 */
#include <dtls/dtls.h>
#include <dtls/posix.h>
#include <dtls/x509.h>

#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint8_t rx[DTLS_RX_BUFFER_SIZE(0)], tx[DTLS_TX_BUFFER_SIZE(0)];
static struct dtls_x509_anchor anchors[64];

/* Wait until the socket can do what the engine asked for (10 s limit). */
static int wait_for(int fd, long want)
{
    struct pollfd p = { .fd = fd, .events = want == DTLS_WANT_READ ? POLLIN : POLLOUT };
    return poll(&p, 1, 10000) == 1 ? 0 : -1;
}

int main(int argc, char **argv)
{
    const char *cacert = NULL;
    int insecure = 0, i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "--cacert") == 0 && i + 1 < argc)
            cacert = argv[++i];
        else if (strcmp(argv[i], "-k") == 0)
            insecure = 1;
    }
    if (argc - i < 2 || (!cacert && !insecure)) {
        fprintf(stderr, "usage: %s (--cacert CA.pem | -k) HOST PORT [MESSAGE]\n", argv[0]);
        return 1;
    }
    const char *host = argv[i], *port = argv[i + 1], *msg = argc - i > 2 ? argv[i + 2] : "";
    struct dtls_x509_anchors set = { 0 };
    if (cacert) {
        static char pem[256 * 1024];
        FILE *f = fopen(cacert, "rb");
        size_t n = f ? fread(pem, 1, sizeof pem - 1, f) : 0;
        if (f)
            fclose(f);
        int cnt = dtls_x509_anchors_from_pem_inplace(pem, n, anchors, 64, NULL);
        if (cnt <= 0) {
            fprintf(stderr, "cannot load trust anchors from %s\n", cacert);
            return 1;
        }
        set.list = anchors;
        set.count = (size_t)cnt;
    }
    struct dtls_config cfg = {
        .server_name = host,
        .trust = cacert ? &set : NULL,
        .verify = insecure ? DTLS_VERIFY_NONE : DTLS_VERIFY_FULL,
        .rng = dtls_posix_rng,
        .now = dtls_posix_now,
    };
    struct dtls_posix_sock sock;
    int rc = dtls_posix_connect(&sock, host, port, 5000);
    if (rc != 0) {
        fprintf(stderr, "connect: %s\n", dtls_posix_strerror(rc));
        return 1;
    }
    sock.nonblocking = 1;
    static struct dtls_client c;
    if (dtls_client_init(&c, &cfg, rx, sizeof rx, tx, sizeof tx) != DTLS_OK)
        return 1;
    dtls_client_set_io(&c, dtls_posix_recv, dtls_posix_send, &sock);

    /* 1. handshake */
    while ((rc = dtls_handshake(&c)) == DTLS_WANT_READ || rc == DTLS_WANT_WRITE)
        if (wait_for(sock.fd, rc) != 0)
            goto timeout;
    if (rc != DTLS_OK) {
        fprintf(stderr, "handshake: %s\n", dtls_strerror(rc));
        return 1;
    }
    /* 2. send the message (same arguments again after WANT_*) */
    size_t len = strlen(msg), off = 0;
    while (off < len) {
        long n = dtls_write(&c, (const uint8_t *)msg + off, len - off);
        if (n == DTLS_WANT_READ || n == DTLS_WANT_WRITE) {
            if (wait_for(sock.fd, n) != 0)
                goto timeout;
            continue;
        }
        if (n < 0) {
            fprintf(stderr, "write: %s\n", dtls_strerror((int)n));
            return 1;
        }
        off += (size_t)n;
    }
    while ((rc = dtls_flush(&c)) == DTLS_WANT_WRITE)
        if (wait_for(sock.fd, rc) != 0)
            goto timeout;
    /* 3. print what comes back until the server closes */
    uint8_t buf[1024];
    for (;;) {
        long n = dtls_read(&c, buf, sizeof buf);
        if (n == DTLS_WANT_READ || n == DTLS_WANT_WRITE) {
            if (wait_for(sock.fd, n) != 0)
                goto timeout;
            continue;
        }
        if (n == 0 || n == DTLS_E_EOF)
            break;
        if (n < 0) {
            fprintf(stderr, "read: %s\n", dtls_strerror((int)n));
            return 1;
        }
        fwrite(buf, 1, (size_t)n, stdout);
    }
    while ((rc = dtls_close(&c)) == DTLS_WANT_WRITE)
        if (wait_for(sock.fd, rc) != 0)
            break;
    dtls_posix_close(&sock);
    return 0;
timeout:
    fprintf(stderr, "timed out\n");
    dtls_posix_close(&sock);
    return 1;
}
