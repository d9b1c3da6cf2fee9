/*
 * dtls POSIX glue (optional; not part of the portable core): TCP connect with
 * a timeout, socket I/O callbacks for dtls_client_set_io(), randomness from
 * getrandom(), and the wall clock.
 *
 *   struct dtls_posix_sock s;
 *   int rc = dtls_posix_connect(&s, "cloud.example", "443", 5000);   // 5 s connect timeout
 *   if (rc != 0) { fprintf(stderr, "%s\n", dtls_posix_strerror(rc)); ... }
 *   s.deadline_ms = dtls_posix_now_ms() + 30000;                       // optional overall limit
 *   cfg.rng = dtls_posix_rng;  cfg.now = dtls_posix_now;
 *   dtls_client_set_io(&c, dtls_posix_recv, dtls_posix_send, &s);
 *   ...
 *   dtls_posix_close(&s);
 *
 * Blocking by default: recv/send wait (with poll) until data moves, the
 * deadline passes, or the socket fails. With s.nonblocking = 1 they return
 * DTLS_WANT_READ / DTLS_WANT_WRITE instead of waiting (see examples/posix-poll.c).
 */
#ifndef DTLS_POSIX_H
#define DTLS_POSIX_H

#include <stddef.h>
#include <stdint.h>

struct dtls_posix_sock {
    int fd;
    int nonblocking;        /* 1: return WANT_READ/WANT_WRITE instead of waiting */
    int64_t deadline_ms;    /* 0: none; else absolute dtls_posix_now_ms() limit for every wait */
    int timed_out;          /* set when a wait hit the deadline */
    int sys_errno;          /* errno of the last failure */
    char peer[64];          /* numeric address actually connected to */
};

/* Connect results (0 on success). */
enum {
    DTLS_POSIX_E_RESOLVE = -1001,   /* getaddrinfo failed (curl exit 6) */
    DTLS_POSIX_E_CONNECT = -1002,   /* every address refused or failed (curl exit 7) */
    DTLS_POSIX_E_TIMEOUT = -1003,   /* connect timeout or deadline (curl exit 28) */
    DTLS_POSIX_E_IO = -1004         /* read/write failure after connecting */
};

/* Resolve host (name, IPv4 or IPv6 literal; brackets allowed) and connect to each
 * address in turn with a non-blocking connect + poll, within timeout_ms overall
 * (0 = no limit). On success s is ready, blocking mode, deadline 0. */
int dtls_posix_connect(struct dtls_posix_sock *s, const char *host, const char *port, int timeout_ms);
void dtls_posix_close(struct dtls_posix_sock *s);
const char *dtls_posix_strerror(int rc);

/* I/O callbacks with the dtls socket shape; ctx is a struct dtls_posix_sock *. */
long dtls_posix_recv(void *ctx, uint8_t *buf, size_t len);
long dtls_posix_send(void *ctx, const uint8_t *buf, size_t len);

/* Randomness (getrandom, blocking until the pool is seeded); returns 0 or -1. */
int dtls_posix_rng(void *ctx, uint8_t *out, size_t len);
/* Seconds since the epoch (the certificate-validity clock). */
int64_t dtls_posix_now(void *ctx);
/* Monotonic milliseconds (timeouts, measurements). */
int64_t dtls_posix_now_ms(void);

#endif
