/*
 * The smallest useful dtls client on POSIX, blocking I/O:
 *
 *   posix-blocking [--cacert CA.pem | -k] HOST PORT [MESSAGE]
 *
 * Connects, completes a verified TLS 1.3 handshake, sends MESSAGE (if given),
 * then prints everything the server sends until it closes the connection
 * (close_notify or EOF). Exit status 0 on a clean close, 1 on any error.
 */
#include <dtls/dtls.h>
#include <dtls/posix.h>
#include <dtls/x509.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint8_t rx[DTLS_RX_BUFFER_SIZE(0)], tx[DTLS_TX_BUFFER_SIZE(0)];

static struct dtls_x509_anchor anchors[64];

static int load_anchors(const char *path, struct dtls_x509_anchors *set)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    static char pem[256 * 1024];
    size_t n = fread(pem, 1, sizeof pem - 1, f);
    fclose(f);
    int count = dtls_x509_anchors_from_pem_inplace(pem, n, anchors, 64, NULL);
    if (count <= 0)
        return -1;
    set->list = anchors;
    set->count = (size_t)count;
    return 0;
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
        else
            break;
    }
    if (argc - i < 2 || (!cacert && !insecure)) {
        fprintf(stderr, "usage: %s (--cacert CA.pem | -k) HOST PORT [MESSAGE]\n", argv[0]);
        return 1;
    }
    const char *host = argv[i], *port = argv[i + 1], *msg = argc - i > 2 ? argv[i + 2] : NULL;

    struct dtls_x509_anchors set = { 0 };
    if (cacert && load_anchors(cacert, &set) != 0) {
        fprintf(stderr, "cannot load trust anchors from %s\n", cacert);
        return 1;
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
    static struct dtls_client c;
    rc = dtls_client_init(&c, &cfg, rx, sizeof rx, tx, sizeof tx);
    dtls_client_set_io(&c, dtls_posix_recv, dtls_posix_send, &sock);
    if (rc == DTLS_OK)
        rc = dtls_handshake(&c);
    if (rc != DTLS_OK) {
        fprintf(stderr, "handshake: %s\n", dtls_strerror(rc));
        dtls_posix_close(&sock);
        return 1;
    }
    if (msg) {
        size_t len = strlen(msg), off = 0;
        while (off < len) {
            long n = dtls_write(&c, (const uint8_t *)msg + off, len - off);
            if (n < 0) {
                fprintf(stderr, "write: %s\n", dtls_strerror((int)n));
                return 1;
            }
            off += (size_t)n;
        }
        dtls_flush(&c);
    }
    uint8_t buf[1024];
    for (;;) {
        long n = dtls_read(&c, buf, sizeof buf);
        if (n == 0 || n == DTLS_E_EOF)
            break;
        if (n < 0) {
            fprintf(stderr, "read: %s\n", dtls_strerror((int)n));
            dtls_posix_close(&sock);
            return 1;
        }
        fwrite(buf, 1, (size_t)n, stdout);
        fflush(stdout);
    }
    dtls_close(&c);
    dtls_posix_close(&sock);
    return 0;
}
