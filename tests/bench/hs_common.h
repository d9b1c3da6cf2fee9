/*
 * The part every handshake benchmark client shares (tests/bench/hs_*.c): the
 * command line, the TCP connection, the timing and the one line of output.
 *
 *   bench_hs_<lib> HOST PORT CA.pem SERVERNAME GROUP N full|resume
 *
 * GROUP is x25519 or secp256r1 (the only group offered, so the key share is
 * always accepted: no HelloRetryRequest). Each of the N connections: TCP
 * connect, full TLS 1.3 handshake with TLS_AES_128_GCM_SHA256 verifying the
 * server's chain against CA.pem and SERVERNAME, write "ping\n", read the
 * reversed line back (`openssl s_server -rev`; reading it also makes the
 * library take in the NewSessionTicket sent before it), close_notify, close.
 * In resume mode one full handshake first (not counted) gets a ticket, and
 * each of the N connections offers the newest ticket received; a connection
 * the server does not resume is an error.
 *
 * Output, one line on stdout:
 *   lib=<name> mode=<full|resume> n=<N> cpu_us=<client CPU per connection>
 *   sys_us=<the kernel's part of it> wall_us=<wall time per connection>
 * CPU is getrusage(RUSAGE_SELF) user + system over the N connections: the
 * whole client process, I/O system calls included, library start-up and the
 * untimed first connection excluded. The exit status is 0 only when every
 * handshake verified (and resumed, in resume mode).
 *
 * A client implements the three functions declared at the end and includes
 * this file once.
 */
#ifndef HS_COMMON_H
#define HS_COMMON_H

#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

struct hs_args {
    const char *host, *port, *ca, *name, *group;
    long n;
    int resume;
};

/* Set up the library once (trust store, context). 0 or -1. */
static int lib_setup(const struct hs_args *a);
/* One connection over the connected socket fd: handshake (offering the newest
 * ticket when resume is set), ping, pong, close. Returns 0 when the handshake
 * verified and, if resume is set, the server resumed. */
static int lib_connection(const struct hs_args *a, int fd, int resume);
static const char *lib_name(void);

static void hs_die(const char *what)
{
    fprintf(stderr, "%s: %s\n", lib_name(), what);
    exit(1);
}

static int hs_connect(const struct hs_args *a)
{
    struct sockaddr_in sa;
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    if (fd < 0)
        hs_die("socket");
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((unsigned short)atoi(a->port));
    if (inet_pton(AF_INET, a->host, &sa.sin_addr) != 1)
        hs_die("HOST must be an IPv4 address");
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0)
        hs_die("connect");
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

/* "\ngnip" is what s_server -rev answers to "ping\n". */
#define HS_PING "ping\n"
#define HS_PONG_LEN 5

/* CPU seconds of this process so far; *sys gets the system (kernel) part. */
static double hs_cpu(double *sys)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    *sys = (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 + *sys;
}

static double hs_wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    struct hs_args a;
    if (argc != 8 || (strcmp(argv[7], "full") && strcmp(argv[7], "resume"))) {
        fprintf(stderr, "usage: %s HOST PORT CA.pem SERVERNAME x25519|secp256r1 N full|resume\n", argv[0]);
        return 2;
    }
    a.host = argv[1];
    a.port = argv[2];
    a.ca = argv[3];
    a.name = argv[4];
    a.group = argv[5];
    a.n = atol(argv[6]);
    a.resume = strcmp(argv[7], "resume") == 0;
    if (a.n < 1 || (strcmp(a.group, "x25519") && strcmp(a.group, "secp256r1")))
        hs_die("bad N or GROUP");
    if (lib_setup(&a) != 0)
        hs_die("setup failed");
    if (a.resume) {
        int fd = hs_connect(&a);
        if (lib_connection(&a, fd, 0) != 0)
            hs_die("first (full) handshake failed");
        close(fd);
    }
    double s0, s1, c0 = hs_cpu(&s0), w0 = hs_wall();
    for (long i = 0; i < a.n; i++) {
        int fd = hs_connect(&a);
        if (lib_connection(&a, fd, a.resume) != 0) {
            fprintf(stderr, "%s: connection %ld failed%s\n", lib_name(), i, a.resume ? " or was not resumed" : "");
            return 1;
        }
        close(fd);
    }
    double cpu = hs_cpu(&s1) - c0, wall = hs_wall() - w0;
    printf("lib=%s mode=%s n=%ld cpu_us=%.1f sys_us=%.1f wall_us=%.1f\n", lib_name(), a.resume ? "resume" : "full",
           a.n, cpu * 1e6 / (double)a.n, (s1 - s0) * 1e6 / (double)a.n, wall * 1e6 / (double)a.n);
    return 0;
}

#endif
