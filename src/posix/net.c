/*
 * POSIX sockets for dtls: connect with a timeout over every resolved address
 * (IPv6 and IPv4), and the recv/send callbacks with an optional deadline.
 */
#define _GNU_SOURCE
#include <dtls/dtls.h>
#include <dtls/posix.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

int64_t dtls_posix_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t dtls_posix_now(void *ctx)
{
    (void)ctx;
    return (int64_t)time(NULL);
}

int dtls_posix_rng(void *ctx, uint8_t *out, size_t len)
{
    (void)ctx;
    while (len > 0) {
        ssize_t n = getrandom(out, len, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        out += n;
        len -= (size_t)n;
    }
    return 0;
}

const char *dtls_posix_strerror(int rc)
{
    switch (rc) {
    case 0: return "ok";
    case DTLS_POSIX_E_RESOLVE: return "could not resolve host";
    case DTLS_POSIX_E_CONNECT: return "could not connect";
    case DTLS_POSIX_E_TIMEOUT: return "timed out";
    case DTLS_POSIX_E_IO: return "socket error";
    default: return "unknown error";
    }
}

/* Milliseconds left before the deadline: -1 = no limit, 0 = expired. */
static int remaining(int64_t deadline)
{
    if (deadline == 0)
        return -1;
    int64_t left = deadline - dtls_posix_now_ms();
    if (left <= 0)
        return 0;
    return left > 0x7fffffff ? 0x7fffffff : (int)left;
}

static int wait_fd(struct dtls_posix_sock *s, short events)
{
    for (;;) {
        int left = remaining(s->deadline_ms);
        if (left == 0) {
            s->timed_out = 1;
            return DTLS_POSIX_E_TIMEOUT;
        }
        struct pollfd p = { .fd = s->fd, .events = events };
        int r = poll(&p, 1, left);
        if (r > 0)
            return 0;
        if (r == 0) {
            s->timed_out = 1;
            return DTLS_POSIX_E_TIMEOUT;
        }
        if (errno != EINTR) {
            s->sys_errno = errno;
            return DTLS_POSIX_E_IO;
        }
    }
}

int dtls_posix_connect(struct dtls_posix_sock *s, const char *host, const char *port, int timeout_ms)
{
    memset(s, 0, sizeof *s);
    s->fd = -1;
    char name[256];
    size_t hl = strlen(host);
    if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') { /* [::1] */
        if (hl - 2 >= sizeof name)
            return DTLS_POSIX_E_RESOLVE;
        memcpy(name, host + 1, hl - 2);
        name[hl - 2] = 0;
    } else {
        if (hl >= sizeof name)
            return DTLS_POSIX_E_RESOLVE;
        memcpy(name, host, hl + 1);
    }
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_ADDRCONFIG };
    struct addrinfo *res = NULL;
    int g = getaddrinfo(name, port, &hints, &res);
    if (g == EAI_ADDRFAMILY || g == EAI_NONAME) { /* AI_ADDRCONFIG hides loopback-only families */
        hints.ai_flags = 0;
        g = getaddrinfo(name, port, &hints, &res);
    }
    if (g != 0 || !res)
        return DTLS_POSIX_E_RESOLVE;

    int64_t deadline = timeout_ms > 0 ? dtls_posix_now_ms() + timeout_ms : 0;
    int rc = DTLS_POSIX_E_CONNECT;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            s->sys_errno = errno;
            continue;
        }
        int fl = fcntl(fd, F_GETFL);
        fcntl(fd, F_SETFL, fl | O_NONBLOCK);
        int c = connect(fd, ai->ai_addr, ai->ai_addrlen);
        if (c != 0 && errno == EINPROGRESS) {
            s->fd = fd;
            s->deadline_ms = deadline;
            int w = wait_fd(s, POLLOUT);
            s->fd = -1;
            if (w == DTLS_POSIX_E_TIMEOUT) {
                close(fd);
                rc = DTLS_POSIX_E_TIMEOUT;
                break;
            }
            int err = 0;
            socklen_t el = sizeof err;
            if (w != 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0)
                err = errno;
            c = err == 0 ? 0 : -1;
            errno = err;
        }
        if (c != 0) {
            s->sys_errno = errno;
            close(fd);
            continue;
        }
        fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        s->fd = fd;
        s->timed_out = 0;
        s->deadline_ms = 0;
        getnameinfo(ai->ai_addr, ai->ai_addrlen, s->peer, sizeof s->peer, NULL, 0, NI_NUMERICHOST);
        rc = 0;
        break;
    }
    freeaddrinfo(res);
    return rc;
}

void dtls_posix_close(struct dtls_posix_sock *s)
{
    if (s->fd >= 0)
        close(s->fd);
    s->fd = -1;
}

long dtls_posix_recv(void *ctx, uint8_t *buf, size_t len)
{
    struct dtls_posix_sock *s = ctx;
    for (;;) {
        if (!s->nonblocking && (s->deadline_ms != 0)) {
            int w = wait_fd(s, POLLIN);
            if (w != 0)
                return DTLS_E_IO;
        }
        ssize_t n = recv(s->fd, buf, len, s->nonblocking ? MSG_DONTWAIT : 0);
        if (n >= 0)
            return (long)n;
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            if (s->nonblocking)
                return DTLS_WANT_READ;
            continue;
        }
        s->sys_errno = errno;
        return DTLS_E_IO;
    }
}

long dtls_posix_send(void *ctx, const uint8_t *buf, size_t len)
{
    struct dtls_posix_sock *s = ctx;
    for (;;) {
        if (!s->nonblocking && (s->deadline_ms != 0)) {
            int w = wait_fd(s, POLLOUT);
            if (w != 0)
                return DTLS_E_IO;
        }
        ssize_t n = send(s->fd, buf, len, MSG_NOSIGNAL | (s->nonblocking ? MSG_DONTWAIT : 0));
        if (n >= 0)
            return (long)n;
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            if (s->nonblocking)
                return DTLS_WANT_WRITE;
            continue;
        }
        s->sys_errno = errno;
        return DTLS_E_IO;
    }
}
