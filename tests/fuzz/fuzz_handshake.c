/*
 * libFuzzer target: the TLS client fed arbitrary server bytes.
 *
 *   scripts/fuzz handshake 60
 *
 * Input: 3 option bytes (fuzz_tls.h: suites, groups, ALPN, max_fragment,
 * client authentication, resumption, shared buffer, read/write splitting and
 * WANT_READ/WANT_WRITE, KeyUpdate, verification on/off, buffer sizes), then
 * for resumption the ticket to offer, then everything "the server" sends.
 * The client runs as an application would (fuzz_drive: handshake, request,
 * read to the end, close) with a deterministic rng, the clock at 2030-01-01
 * and the seed PKI's root as its only trust anchor.
 *
 * Asserted beyond memory safety (ASan, UBSan, LSan): a failed handshake
 * returns a negative code that stays the same from every later call (sticky
 * errors) and has a message; a completed one reports TLS 1.3 and a known
 * suite; read/write never return more than asked; the engine never asks the
 * transport to move zero bytes; session tickets handed out are within their
 * documented bounds.
 *
 * Seeds (tests/fuzz/corpus/handshake) are real OpenSSL and GnuTLS server
 * flights, recorded by tests/fuzz/record-seeds.py with this same file built
 * with -DFUZZ_RECORD: the rng is deterministic, so the client's ClientHello
 * is the same at replay and the recorded flight decrypts, verifies and
 * finishes. (A change to the ClientHello makes the seeds stale: they then stop
 * at the ServerHello's Finished check. Re-run record-seeds.py.)
 */
#include "fuzz_tls.h"

/* One input; returns the handshake result (DTLS_E_CONFIG if the options are unusable). */
static int fuzz_one(const uint8_t *data, size_t size)
{
    struct fuzz_ctx *f;
    struct fuzz_bufs b;
    struct dtls_config cfg;
    struct dtls_client *c;
    struct fuzz_io io;
    size_t used = 0;
    int rc;

    if (size < FUZZ_OPT_BYTES)
        return DTLS_E_CONFIG;
    f = (struct fuzz_ctx *)malloc(sizeof *f);
    c = (struct dtls_client *)malloc(sizeof *c);
    if (!f || !c)
        abort();
    fuzz_ctx_init(f, data);
    data += FUZZ_OPT_BYTES;
    size -= FUZZ_OPT_BYTES;
    if (f->o.resume)
        used = fuzz_session_parse(f, data, size);
    fuzz_config(&cfg, f);
    fuzz_bufs_alloc(&b, &f->o);
    fuzz_io_init(&io, f, c, data + used, size - used);

    rc = dtls_client_init(c, &cfg, b.rx, b.rx_len, b.tx, b.tx_len);
    if (rc == DTLS_OK) {
        dtls_client_set_io(c, fuzz_read, fuzz_write, &io);
        rc = fuzz_drive(c, &f->o, NULL, NULL);
    }
    fuzz_io_free(&io);
    fuzz_bufs_free(&b);
    free(c);
    free(f);
    return rc;
}

#ifndef FUZZ_RECORD

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    (void)fuzz_one(data, size);
    return 0;
}

#else /* FUZZ_RECORD: record a seed from a live server */

/*
 *   record-handshake HOST PORT OPTIONS_HEX OUT [--resume]
 *   record-handshake --replay SEED...      (do the seeds still replay?)
 *
 * Connects, runs the fuzz driver with the options and writes OUT = options
 * [ticket] server-bytes. With --resume (the resumption option bit is set in
 * OUT), a first connection gets a ticket and the second, recorded one offers it.
 */
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

struct rec_io {
    int fd;
    uint8_t *log;
    size_t len, cap;
};

static long rec_read(void *ctx, uint8_t *buf, size_t len)
{
    struct rec_io *r = (struct rec_io *)ctx;
    struct pollfd p = { r->fd, POLLIN, 0 };
    ssize_t n;
    if (poll(&p, 1, 1500) <= 0)
        return 0; /* the server went quiet: the end of the recording */
    n = recv(r->fd, buf, len, 0);
    if (n < 0)
        return DTLS_E_IO;
    if (r->len + (size_t)n > r->cap) {
        r->cap = (r->len + (size_t)n) * 2;
        r->log = (uint8_t *)realloc(r->log, r->cap);
        if (!r->log)
            abort();
    }
    memcpy(r->log + r->len, buf, (size_t)n);
    r->len += (size_t)n;
    return (long)n;
}

static long rec_write(void *ctx, const uint8_t *buf, size_t len)
{
    struct rec_io *r = (struct rec_io *)ctx;
    ssize_t n = send(r->fd, buf, len, MSG_NOSIGNAL);
    return n < 0 ? DTLS_E_IO : (long)n;
}

static int tcp(const char *host, const char *port)
{
    struct addrinfo hints, *ai;
    int fd;
    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, port, &hints, &ai) != 0)
        return -1;
    fd = socket(ai->ai_family, ai->ai_socktype, 0);
    if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
        close(fd);
        fd = -1;
    }
    freeaddrinfo(ai);
    return fd;
}

static uint16_t rec_suite;

/*
 * The recording as sealed entries (fuzz_tls.h): plaintext handshake records
 * (before the first protected one) become entries of their type, change_cipher_spec
 * stays raw, protected ones are opened with the server secrets the client
 * logged, in order (the next one is tried when a record does not open), and
 * become entries of their inner type and content. Returns the length written.
 */
static size_t to_sealed(const struct fuzz_ctx *f, const uint8_t *log, size_t len, uint8_t *out)
{
    size_t off = 0, o = 0;
    unsigned k = 0;
    int seen_protected = 0;
    uint64_t seq = 0;
    dtls_aead_ctx aead;
    const struct dtls_aead *a = NULL;
    uint8_t iv[12], nonce[12];
    static uint8_t tmp[70000];

    if (f->s_secret_gen)
        fuzz_keys(f->s_hist[0], rec_suite, &aead, &a, iv);
    while (off + 5 <= len) {
        const uint8_t *r = log + off;
        size_t n = (size_t)r[3] << 8 | r[4], m;
        uint8_t type = r[0];
        if (off + 5 + n > len)
            break;
        memcpy(tmp, r + 5, n);
        m = n;
        if (type == 23 && a) {
            for (;;) {
                memcpy(tmp, r + 5, n);
                fuzz_nonce(iv, seq, nonce);
                if (n >= 17 && a->open(&aead, nonce, r, 5, tmp, n - 16, tmp + n - 16) == 0)
                    break;
                if (++k >= f->s_secret_gen || k >= 8) {
                    fprintf(stderr, "record-handshake: a record opens with no logged secret\n");
                    exit(1);
                }
                fuzz_keys(f->s_hist[k], rec_suite, &aead, &a, iv);
                seq = 0;
            }
            seq++;
            for (m = n - 16; m > 0 && tmp[m - 1] == 0; m--)
                ;
            if (m == 0)
                abort();
            type = tmp[--m];
        }
        if (r[0] == 23 || (type != 20 && !seen_protected)) {
            out[o++] = 1;
            out[o++] = type;
            out[o++] = (uint8_t)(m >> 8);
            out[o++] = (uint8_t)m;
            memcpy(out + o, tmp, m);
            o += m;
        } else { /* change_cipher_spec, or plaintext once keys are on: as it is */
            out[o++] = 0;
            out[o++] = (uint8_t)((5 + n) >> 8);
            out[o++] = (uint8_t)(5 + n);
            memcpy(out + o, r, 5 + n);
            o += 5 + n;
        }
        seen_protected |= r[0] == 23;
        off += 5 + n;
    }
    if (off < len) { /* a partial record at the end: raw */
        out[o++] = 0;
        out[o++] = (uint8_t)((len - off) >> 8);
        out[o++] = (uint8_t)(len - off);
        memcpy(out + o, log + off, len - off);
        o += len - off;
    }
    return o;
}

static int run(const char *host, const char *port, struct fuzz_ctx *f, struct rec_io *r)
{
    static struct dtls_client c;
    struct dtls_config cfg;
    struct fuzz_bufs b;
    int rc;
    r->fd = tcp(host, port);
    if (r->fd < 0) {
        fprintf(stderr, "record-handshake: cannot connect to %s:%s\n", host, port);
        return -1;
    }
    fuzz_config(&cfg, f);
    fuzz_bufs_alloc(&b, &f->o);
    rc = dtls_client_init(&c, &cfg, b.rx, b.rx_len, b.tx, b.tx_len);
    if (rc == DTLS_OK) {
        dtls_client_set_io(&c, rec_read, rec_write, r);
        struct dtls_info info;
        rc = fuzz_drive(&c, &f->o, NULL, NULL);
        dtls_get_info(&c, &info);
        rec_suite = info.cipher_suite;
    }
    close(r->fd);
    fuzz_bufs_free(&b);
    if (rc != DTLS_OK)
        fprintf(stderr, "record-handshake: handshake failed: %s\n", dtls_strerror(rc));
    return rc;
}

int main(int argc, char **argv)
{
    uint8_t op[FUZZ_OPT_BYTES], blob[57 + 4096];
    size_t blob_len = 0;
    struct fuzz_ctx f;
    struct rec_io r = { -1, NULL, 0, 0 };
    int rc, resume = argc > 5 && strcmp(argv[5], "--resume") == 0;
    FILE *out;

    if (argc > 1 && strcmp(argv[1], "--replay") == 0) {
        /* record-handshake --replay SEED...: how many seeds still complete the handshake */
        int good = 0;
        for (int i = 2; i < argc; i++) {
            static uint8_t seed[1 << 20];
            FILE *in = fopen(argv[i], "rb");
            size_t n = in ? fread(seed, 1, sizeof seed, in) : 0;
            if (in)
                fclose(in);
            rc = fuzz_one(seed, n);
            if (rc == DTLS_OK)
                good++;
            else
                printf("stale: %s (%s)\n", argv[i], dtls_strerror(rc));
        }
        printf("%d of %d seeds complete the handshake\n", good, argc - 2);
        return good == argc - 2 ? 0 : 1;
    }
    if (argc < 5 || strlen(argv[3]) != 2 * FUZZ_OPT_BYTES) {
        fprintf(stderr, "usage: record-handshake HOST PORT OPTIONS_HEX(%d bytes) OUT [--resume]\n",
                FUZZ_OPT_BYTES);
        return 2;
    }
    for (int i = 0; i < FUZZ_OPT_BYTES; i++)
        op[i] = (uint8_t)(fuzz_hexval(argv[3][2 * i]) << 4 | fuzz_hexval(argv[3][2 * i + 1]));
    op[1] = (uint8_t)(resume ? op[1] | 2 : op[1] & ~2);
    fuzz_ctx_init(&f, op);
    if (resume) {
        f.o.resume = 0;
        if (run(argv[1], argv[2], &f, &r) != DTLS_OK || !f.stored_ok) {
            fprintf(stderr, "record-handshake: no ticket from the first connection\n");
            return 1;
        }
        blob[0] = (uint8_t)(f.stored.suite >> 8);
        blob[1] = (uint8_t)f.stored.suite;
        blob[2] = f.stored.psk_len;
        memcpy(blob + 3, f.stored.psk, 48);
        blob[51] = (uint8_t)(f.stored.age_add >> 24);
        blob[52] = (uint8_t)(f.stored.age_add >> 16);
        blob[53] = (uint8_t)(f.stored.age_add >> 8);
        blob[54] = (uint8_t)f.stored.age_add;
        blob[55] = (uint8_t)(f.stored.ticket_len >> 8);
        blob[56] = (uint8_t)f.stored.ticket_len;
        memcpy(blob + 57, f.stored.ticket, f.stored.ticket_len);
        blob_len = 57 + f.stored.ticket_len;
        /* the recorded connection starts from the same state as a replay */
        fuzz_ctx_init(&f, op);
        if (fuzz_session_parse(&f, blob, blob_len) != blob_len)
            abort();
        free(r.log);
        r.log = NULL;
        r.len = r.cap = 0;
    }
    if (run(argv[1], argv[2], &f, &r) != DTLS_OK)
        return 1;
    for (int sealed = 0; sealed < 2; sealed++) {
        /* the seed must replay through the whole handshake, deterministically */
        size_t n = sizeof op + blob_len + (sealed ? 2 * r.len + 64 : r.len);
        uint8_t *seed = (uint8_t *)malloc(n);
        char path[4096];
        if (!seed)
            abort();
        memcpy(seed, op, sizeof op);
        seed[3] = (uint8_t)(sealed ? op[3] | 1 : op[3] & ~1);
        memcpy(seed + sizeof op, blob, blob_len);
        if (sealed)
            n = sizeof op + blob_len + to_sealed(&f, r.log, r.len, seed + sizeof op + blob_len);
        else
            memcpy(seed + sizeof op + blob_len, r.log, r.len);
        snprintf(path, sizeof path, "%s%s", argv[4], sealed ? "-sealed" : "");
        out = fopen(path, "wb");
        if (!out || fwrite(seed, 1, n, out) != n || fclose(out) != 0) {
            perror(path);
            return 1;
        }
        rc = fuzz_one(seed, n);
        if (rc != DTLS_OK) {
            char bad[4200];
            snprintf(bad, sizeof bad, "%s.bad", path);
            rename(path, bad);
            fprintf(stderr, "record-handshake: the %s recording does not replay (%s), left in %s\n",
                    sealed ? "sealed" : "raw", dtls_strerror(rc), bad);
            return 1;
        }
        free(seed);
    }
    free(r.log);
    return 0;
}

#endif
