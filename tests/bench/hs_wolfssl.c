/*
 * Handshake benchmark client over wolfSSL as Debian builds it (see
 * hs_common.h). The group is both the only supported group and the key share
 * sent, so there is no HelloRetryRequest. The session (with the TLS 1.3
 * ticket, received while reading the reply) is taken after each connection.
 */
#include "hs_common.h"

#include <wolfssl/options.h>
#include <wolfssl/ssl.h>

static WOLFSSL_CTX *ctx;
static WOLFSSL_SESSION *newest;
static int group;

static const char *lib_name(void)
{
    return "wolfssl";
}

static int lib_setup(const struct hs_args *a)
{
    group = strcmp(a->group, "x25519") == 0 ? WOLFSSL_ECC_X25519 : WOLFSSL_ECC_SECP256R1;
    if (wolfSSL_Init() != WOLFSSL_SUCCESS)
        return -1;
    ctx = wolfSSL_CTX_new(wolfTLSv1_3_client_method());
    if (!ctx || wolfSSL_CTX_load_verify_locations(ctx, a->ca, NULL) != WOLFSSL_SUCCESS ||
        wolfSSL_CTX_set_cipher_list(ctx, "TLS13-AES128-GCM-SHA256") != WOLFSSL_SUCCESS ||
        wolfSSL_CTX_set_groups(ctx, &group, 1) != WOLFSSL_SUCCESS)
        return -1;
    wolfSSL_CTX_set_verify(ctx, WOLFSSL_VERIFY_PEER, NULL);
    return 0;
}

static int lib_connection(const struct hs_args *a, int fd, int resume)
{
    char buf[64];
    int got = 0, ok = -1;
    WOLFSSL *ssl = wolfSSL_new(ctx);
    if (!ssl)
        return -1;
    wolfSSL_set_fd(ssl, fd);
    if (wolfSSL_UseSNI(ssl, WOLFSSL_SNI_HOST_NAME, a->name, (unsigned short)strlen(a->name)) != WOLFSSL_SUCCESS ||
        wolfSSL_check_domain_name(ssl, a->name) != WOLFSSL_SUCCESS ||
        wolfSSL_UseKeyShare(ssl, (unsigned short)group) != WOLFSSL_SUCCESS)
        goto out;
    if (resume && newest)
        wolfSSL_set_session(ssl, newest);
    if (wolfSSL_connect(ssl) != WOLFSSL_SUCCESS) {
        fprintf(stderr, "wolfssl: connect: error %d\n", wolfSSL_get_error(ssl, 0));
        goto out;
    }
    if (wolfSSL_write(ssl, HS_PING, (int)strlen(HS_PING)) != (int)strlen(HS_PING))
        goto out;
    while (got < HS_PONG_LEN) {
        int n = wolfSSL_read(ssl, buf, sizeof buf);
        if (n <= 0)
            goto out;
        got += n;
    }
    ok = resume && !wolfSSL_session_reused(ssl) ? -1 : 0;
    if (newest)
        wolfSSL_SESSION_free(newest);
    newest = wolfSSL_get1_session(ssl);
    wolfSSL_shutdown(ssl);
out:
    wolfSSL_free(ssl);
    return ok;
}
