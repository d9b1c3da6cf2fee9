/*
 * Handshake benchmark client over OpenSSL libssl (see hs_common.h). The
 * newest session is kept through the new-session callback (TLS 1.3 tickets
 * arrive after the handshake, before the server's reply is read).
 */
#include "hs_common.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

static SSL_CTX *ctx;
static SSL_SESSION *newest;

static const char *lib_name(void)
{
    return "openssl";
}

static int new_session(SSL *ssl, SSL_SESSION *sess)
{
    (void)ssl;
    SSL_SESSION_free(newest);
    newest = sess;
    return 1; /* we keep the reference */
}

static int lib_setup(const struct hs_args *a)
{
    ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx || !SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) ||
        !SSL_CTX_set_ciphersuites(ctx, "TLS_AES_128_GCM_SHA256") ||
        !SSL_CTX_set1_groups_list(ctx, strcmp(a->group, "x25519") == 0 ? "X25519" : "P-256") ||
        !SSL_CTX_load_verify_locations(ctx, a->ca, NULL))
        return -1;
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
    SSL_CTX_sess_set_new_cb(ctx, new_session);
    return 0;
}

static int lib_connection(const struct hs_args *a, int fd, int resume)
{
    char buf[64];
    int got = 0, ok = -1;
    SSL *ssl = SSL_new(ctx);
    if (!ssl)
        return -1;
    SSL_set_fd(ssl, fd);
    SSL_set_tlsext_host_name(ssl, a->name);
    SSL_set1_host(ssl, a->name);
    if (resume && newest)
        SSL_set_session(ssl, newest);
    if (SSL_connect(ssl) != 1 || SSL_get_verify_result(ssl) != X509_V_OK) {
        ERR_print_errors_fp(stderr);
        goto out;
    }
    if (SSL_write(ssl, HS_PING, (int)strlen(HS_PING)) != (int)strlen(HS_PING))
        goto out;
    while (got < HS_PONG_LEN) {
        int n = SSL_read(ssl, buf, sizeof buf);
        if (n <= 0)
            goto out;
        got += n;
    }
    ok = resume && !SSL_session_reused(ssl) ? -1 : 0;
    SSL_shutdown(ssl);
out:
    SSL_free(ssl);
    return ok;
}
