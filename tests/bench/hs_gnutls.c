/*
 * Handshake benchmark client over GnuTLS (see hs_common.h). The session data
 * (with the TLS 1.3 ticket, received while reading the reply) is taken after
 * each connection and offered on the next.
 */
#include "hs_common.h"

#include <gnutls/gnutls.h>

static gnutls_certificate_credentials_t cred;
static gnutls_priority_t prio;
static gnutls_datum_t newest;

static const char *lib_name(void)
{
    return "gnutls";
}

static int lib_setup(const struct hs_args *a)
{
    char p[256];
    snprintf(p, sizeof p,
             "NONE:+VERS-TLS1.3:+AES-128-GCM:+AEAD:+SIGN-ALL:+CTYPE-X509:+GROUP-%s",
             strcmp(a->group, "x25519") == 0 ? "X25519" : "SECP256R1");
    if (gnutls_global_init() < 0 || gnutls_certificate_allocate_credentials(&cred) < 0 ||
        gnutls_certificate_set_x509_trust_file(cred, a->ca, GNUTLS_X509_FMT_PEM) <= 0 ||
        gnutls_priority_init(&prio, p, NULL) < 0)
        return -1;
    return 0;
}

static int lib_connection(const struct hs_args *a, int fd, int resume)
{
    gnutls_session_t s;
    char buf[64];
    int got = 0, ok = -1, rc;
    if (gnutls_init(&s, GNUTLS_CLIENT) < 0)
        return -1;
    gnutls_priority_set(s, prio);
    gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, cred);
    gnutls_server_name_set(s, GNUTLS_NAME_DNS, a->name, strlen(a->name));
    gnutls_session_set_verify_cert(s, a->name, 0);
    gnutls_transport_set_int(s, fd);
    if (resume && newest.data)
        gnutls_session_set_data(s, newest.data, newest.size);
    do
        rc = gnutls_handshake(s);
    while (rc < 0 && !gnutls_error_is_fatal(rc));
    if (rc < 0) {
        fprintf(stderr, "gnutls: handshake: %s\n", gnutls_strerror(rc));
        goto out;
    }
    if (gnutls_record_send(s, HS_PING, strlen(HS_PING)) != (ssize_t)strlen(HS_PING))
        goto out;
    while (got < HS_PONG_LEN) {
        ssize_t n = gnutls_record_recv(s, buf, sizeof buf);
        if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
            continue;
        if (n <= 0)
            goto out;
        got += (int)n;
    }
    ok = resume && !gnutls_session_is_resumed(s) ? -1 : 0;
    gnutls_free(newest.data);
    newest.data = NULL;
    if (gnutls_session_get_data2(s, &newest) < 0)
        newest.data = NULL;
    gnutls_bye(s, GNUTLS_SHUT_WR);
out:
    gnutls_deinit(s);
    return ok;
}
