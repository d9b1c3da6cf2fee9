/*
 * Certificates streamed through a small receive buffer, against a real server.
 *
 * DESIGN.md: "the Certificate message is hashed and parsed certificate by
 * certificate as bytes arrive, so the chain never has to fit in the receive
 * buffer". The test the X.509 issue asks for: a 3-certificate RSA-4096 chain
 * (leaf, intermediate, root: about 4 KB of Certificate message) verified with
 * a 2 KB receive buffer and max_fragment 1024, through the real handshake
 * with `openssl s_server` (which honours max_fragment_length), verification ON.
 * The sizing rule these tests pin down is the one include/dtls/dtls.h states
 * (DTLS_RX_BUFFER_SIZE): with separate buffers the receive buffer must hold
 * the largest single certificate, the transmit buffer one record; a shared
 * buffer must hold a certificate plus a record.
 *
 * Each test starts its own s_server on a free loopback port (killed when the
 * test ends, or when the test process dies). The PKI is scripts/gen-pki's:
 * $DTLS_PKI_DIR when it names one, else made once into a temporary directory.
 */
#include <criterion/criterion.h>
#include <criterion/hooks.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <dtls/dtls.h>
#include <dtls/posix.h>
#include <dtls/x509.h>

#include "vectors.h"


/* ---- the PKI -------------------------------------------------------------------- */

ReportHook(PRE_ALL)(struct criterion_test_set *set)
{
    (void)set;
    test_pki_setup();
}

ReportHook(POST_ALL)(struct criterion_global_stats *stats)
{
    (void)stats;
    test_pki_cleanup();
}

static const char *pki(const char *cas, const char *file)
{
    static char p[8][4096];
    static int k;
    const char *d = getenv("DTLS_PKI_DIR");
    cr_assert(d && *d, "no PKI: scripts/gen-pki failed (is the openssl CLI installed?)");
    k = (k + 1) % 8;
    snprintf(p[k], sizeof p[k], "%s/%s/%s", d, cas, file);
    cr_assert(access(p[k], R_OK) == 0, "missing %s", p[k]);
    return p[k];
}

static struct dtls_x509_anchor anchor_list[4];
static struct dtls_x509_anchors anchors;

static void anchors_from(const char *path)
{
    size_t len;
    char *pem = test_read_file(path, &len);
    int n = dtls_x509_anchors_from_pem_inplace(pem, len, anchor_list, 4, NULL);
    free(pem);
    cr_assert(n > 0, "anchors from %s: %s", path, dtls_x509_error_name(n));
    anchors.list = anchor_list;
    anchors.count = (size_t)n;
}

/* Every certificate after the first of a PEM file, then extra (NULL: none), into a
 * temporary file: what s_server sends after the leaf with -cert_chain. */
static char chain_file[64];

static const char *chain_after_leaf(const char *chain_pem, const char *extra)
{
    size_t len, elen = 0;
    char *s = test_read_file(chain_pem, &len);
    char *e = extra ? test_read_file(extra, &elen) : NULL;
    char *second = strstr(s + 1, "-----BEGIN CERTIFICATE-----");
    cr_assert(second, "%s holds a single certificate", chain_pem);
    snprintf(chain_file, sizeof chain_file, "/tmp/dtls-chain-XXXXXX");
    int fd = mkstemp(chain_file);
    cr_assert(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs(second, f);
    if (e)
        fputs(e, f);
    fclose(f);
    free(s);
    free(e);
    return chain_file;
}

/* ---- openssl s_server ----------------------------------------------------------- */

static pid_t srv_pid;
static int srv_port;
static char srv_log[64];

static int listening(int port)
{
    char want[16];
    snprintf(want, sizeof want, ":%04X", port);
    FILE *f = fopen("/proc/net/tcp", "r");
    char line[512];
    int found = 0;
    if (!f)
        return 0;
    while (!found && fgets(line, sizeof line, f)) {
        char local[64], remote[64], st[8];
        if (sscanf(line, "%*s %63s %63s %7s", local, remote, st) == 3) {
            size_t l = strlen(local);
            found = l > strlen(want) && strcmp(local + l - strlen(want), want) == 0 && strcmp(st, "0A") == 0;
        }
    }
    fclose(f);
    return found;
}

static int free_port(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t al = sizeof a;
    cr_assert(s >= 0 && bind(s, (struct sockaddr *)&a, sizeof a) == 0);
    cr_assert(getsockname(s, (struct sockaddr *)&a, &al) == 0);
    close(s);
    return ntohs(a.sin_port);
}

/* Start `openssl s_server -tls1_3 -www` serving case `cas` (leaf + chain_rest). */
static void srv_start(const char *cas, const char *chain_rest)
{
    char accept_arg[32];
    srv_port = free_port();
    snprintf(accept_arg, sizeof accept_arg, "127.0.0.1:%d", srv_port);
    snprintf(srv_log, sizeof srv_log, "/tmp/dtls-srv-XXXXXX");
    int logfd = mkstemp(srv_log);
    cr_assert(logfd >= 0);
    const char *argv[] = { "openssl", "s_server", "-accept", accept_arg, "-tls1_3", "-www", "-naccept", "1",
                           "-cert", pki(cas, "leaf.pem"), "-key", pki(cas, "key.pem"),
                           "-cert_chain", chain_rest, NULL };
    srv_pid = fork();
    cr_assert(srv_pid >= 0);
    if (srv_pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the test process */
        dup2(logfd, 1);
        dup2(logfd, 2);
        execvp(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(logfd);
    for (int i = 0; i < 400 && !listening(srv_port); i++) {
        int st;
        cr_assert(waitpid(srv_pid, &st, WNOHANG) == 0, "s_server exited early");
        usleep(25000);
    }
    cr_assert(listening(srv_port), "s_server is not listening on %d", srv_port);
}

/* What s_server printed (its log), NUL-terminated, after it ended. */
static char *srv_stop(void)
{
    size_t len;
    char *out;
    if (srv_pid > 0) {
        int st;
        for (int i = 0; i < 200 && waitpid(srv_pid, &st, WNOHANG) == 0; i++)
            usleep(10000);
        kill(srv_pid, SIGKILL);
        waitpid(srv_pid, &st, 0);
        srv_pid = 0;
    }
    out = test_read_file(srv_log, &len);
    return out;
}

static void cleanup(void)
{
    if (srv_pid > 0) {
        kill(srv_pid, SIGKILL);
        waitpid(srv_pid, NULL, 0);
        srv_pid = 0;
    }
    if (srv_log[0])
        unlink(srv_log);
    if (chain_file[0])
        unlink(chain_file);
}

/* ---- the client ---------------------------------------------------------------- */

struct client {
    struct dtls_config cfg;
    struct dtls_client c;
    struct dtls_posix_sock sock;
    uint8_t *rx, *tx;
    unsigned certs_seen;
};

static void count_cert(void *ctx, unsigned index, const uint8_t *der, size_t len)
{
    struct client *k = ctx;
    (void)der;
    (void)len;
    k->certs_seen = index + 1;
}

/* Connect to the server and run the handshake with rx_len/tx_len byte buffers
 * (tx_len 0: one shared buffer of rx_len). Returns the handshake's result. */
static int client_handshake(struct client *k, size_t rx_len, size_t tx_len, uint16_t max_fragment, int nonblocking)
{
    char port[8];
    memset(k, 0, sizeof *k);
    k->cfg.server_name = "localhost";
    k->cfg.trust = &anchors;
    k->cfg.verify = DTLS_VERIFY_FULL;
    k->cfg.rng = dtls_posix_rng;
    k->cfg.now = dtls_posix_now;
    k->cfg.max_fragment = max_fragment;
    k->cfg.ctx = k;
    k->cfg.peer_cert = count_cert;
    snprintf(port, sizeof port, "%d", srv_port);
    cr_assert_eq(dtls_posix_connect(&k->sock, "127.0.0.1", port, 5000), 0);
    k->sock.deadline_ms = dtls_posix_now_ms() + 20000;
    k->sock.nonblocking = nonblocking;
    /* exact sizes from malloc: AddressSanitizer sees any access past them */
    k->rx = malloc(rx_len);
    k->tx = tx_len ? malloc(tx_len) : k->rx;
    cr_assert_eq(dtls_client_init(&k->c, &k->cfg, k->rx, rx_len, k->tx, tx_len ? tx_len : rx_len), DTLS_OK);
    dtls_client_set_io(&k->c, dtls_posix_recv, dtls_posix_send, &k->sock);
    int rc;
    while ((rc = dtls_handshake(&k->c)) == DTLS_WANT_READ || rc == DTLS_WANT_WRITE) {
        struct pollfd p = { k->sock.fd, (short)(rc == DTLS_WANT_READ ? POLLIN : POLLOUT), 0 };
        cr_assert(poll(&p, 1, 10000) == 1, "no progress");
    }
    return rc;
}

/* GET / over the connection (s_server -www answers with a status page) and read it all. */
static void client_get(struct client *k)
{
    static const char req[] = "GET / HTTP/1.0\r\n\r\n";
    size_t off = 0, got = 0;
    char page[65536];
    while (off < sizeof req - 1) {
        long n = dtls_write(&k->c, (const uint8_t *)req + off, sizeof req - 1 - off);
        if (n == DTLS_WANT_WRITE || n == DTLS_WANT_READ)
            continue;
        cr_assert(n > 0, "write: %s", dtls_strerror((int)n));
        off += (size_t)n;
    }
    for (;;) {
        long n = dtls_read(&k->c, (uint8_t *)page + got, sizeof page - 1 - got);
        if (n == DTLS_WANT_READ || n == DTLS_WANT_WRITE) {
            struct pollfd p = { k->sock.fd, POLLIN, 0 };
            cr_assert(poll(&p, 1, 10000) == 1, "no answer");
            continue;
        }
        if (n == 0 || n == DTLS_E_EOF)
            break;
        cr_assert(n > 0, "read: %s", dtls_strerror((int)n));
        got += (size_t)n;
        cr_assert(got < sizeof page - 1);
    }
    page[got] = 0;
    cr_assert(strncmp(page, "HTTP/1.0 200 ok", 15) == 0, "answer: %.60s", page);
}

static void client_end(struct client *k)
{
    dtls_posix_close(&k->sock);
    if (k->tx != k->rx)
        free(k->tx);
    free(k->rx);
}

/* ---- the tests ------------------------------------------------------------------- */

TestSuite(stream, .fini = cleanup, .timeout = 60);

/* The test: leaf + intermediate + root, RSA-4096 (~4 KB of certificates),
 * rx 2048 bytes, tx one 1024-byte record, max_fragment 1024, verification on. */
static void rsa4096_small_rx(int nonblocking)
{
    struct client k;
    struct dtls_info in;
    anchors_from(pki("rsa4096", "ca.pem"));
    srv_start("rsa4096", chain_after_leaf(pki("rsa4096", "chain.pem"), pki("rsa4096", "ca.pem")));
    int rc = client_handshake(&k, 2048, DTLS_TX_BUFFER_SIZE(1024), 1024, nonblocking);
    cr_assert_eq(rc, DTLS_OK, "handshake: %s", dtls_strerror(rc));
    dtls_get_info(&k.c, &in);
    cr_assert_eq(in.chain_length, 3);
    cr_assert_eq(k.certs_seen, 3);
    cr_assert_eq(in.max_fragment, 1024, "the server must have honoured max_fragment_length");
    cr_assert_eq(in.signature_scheme, DTLS_SIG_RSA_PSS_RSAE_SHA256);
    client_get(&k);
    client_end(&k);
    free(srv_stop());
}

Test(stream, rsa4096_chain_through_2k_rx)
{
    rsa4096_small_rx(0);
}

Test(stream, rsa4096_chain_through_2k_rx_nonblocking)
{
    rsa4096_small_rx(1);
}

/* Verification really is on with the small buffer: another root fails the chain. */
Test(stream, rsa4096_chain_wrong_anchor_fails)
{
    struct client k;
    anchors_from(pki("p256", "ca.pem"));
    srv_start("rsa4096", chain_after_leaf(pki("rsa4096", "chain.pem"), pki("rsa4096", "ca.pem")));
    int rc = client_handshake(&k, 2048, DTLS_TX_BUFFER_SIZE(1024), 1024, 0);
    cr_assert_eq(rc, DTLS_X509_E_UNKNOWN_CA, "handshake: %s", dtls_strerror(rc));
    cr_assert_eq(dtls_last_alert(&k.c, DTLS_ALERT_SENT), 48);
    client_end(&k);
    char *log = srv_stop();
    cr_assert(strstr(log, "alert unknown ca") || strstr(log, "alert number 48"), "s_server: %s", log);
    free(log);
}

/* A broken leaf signature is found with the small buffer too. */
Test(stream, bad_signature_through_2k_rx)
{
    struct client k;
    anchors_from(pki("bad-signature", "ca.pem"));
    srv_start("bad-signature", chain_after_leaf(pki("bad-signature", "chain.pem"), NULL));
    int rc = client_handshake(&k, 2048, DTLS_TX_BUFFER_SIZE(1024), 1024, 0);
    cr_assert_eq(rc, DTLS_X509_E_BAD_SIGNATURE, "handshake: %s", dtls_strerror(rc));
    cr_assert_eq(dtls_last_alert(&k.c, DTLS_ALERT_SENT), 42);
    client_end(&k);
    free(srv_stop());
}

/* One shared buffer: a certificate and a record must fit together (at worst the
 * 1414-byte leaf entry less a byte, plus a 1046-byte record). */
Test(stream, rsa4096_chain_shared_buffer)
{
    struct client k;
    anchors_from(pki("rsa4096", "ca.pem"));
    srv_start("rsa4096", chain_after_leaf(pki("rsa4096", "chain.pem"), pki("rsa4096", "ca.pem")));
    int rc = client_handshake(&k, 3072, 0, 1024, 0);
    cr_assert_eq(rc, DTLS_OK, "handshake: %s", dtls_strerror(rc));
    client_get(&k);
    client_end(&k);
    free(srv_stop());
}

/* Below the documented size the handshake fails cleanly (no crash, no partial trust):
 * 1536 bytes cannot hold the ~1 KB of the leaf that arrives with the first record
 * plus the next 1046-byte record. */
Test(stream, shared_buffer_too_small_fails_cleanly)
{
    struct client k;
    anchors_from(pki("rsa4096", "ca.pem"));
    srv_start("rsa4096", chain_after_leaf(pki("rsa4096", "chain.pem"), pki("rsa4096", "ca.pem")));
    int rc = client_handshake(&k, 1536, 0, 1024, 0);
    cr_assert_eq(rc, DTLS_E_BUFFER, "handshake: %s", dtls_strerror(rc));
    cr_assert_eq(dtls_handshake(&k.c), DTLS_E_BUFFER, "sticky");
    client_end(&k);
    free(srv_stop());
}
