/*
 * Names: IANA code points to the strings the CLI prints, and error text.
 */
#include <dtls/dtls.h>
#include <dtls/x509.h>

struct code_name {
    uint16_t code;
    const char *name;
};

static const struct code_name suites[] = {
    { DTLS_TLS_AES_128_GCM_SHA256, "TLS_AES_128_GCM_SHA256" },
    { DTLS_TLS_AES_256_GCM_SHA384, "TLS_AES_256_GCM_SHA384" },
    { DTLS_TLS_CHACHA20_POLY1305_SHA256, "TLS_CHACHA20_POLY1305_SHA256" },
};

static const struct code_name groups[] = {
    { DTLS_GROUP_X25519, "x25519" },
    { DTLS_GROUP_SECP256R1, "secp256r1" },
};

static const struct code_name schemes[] = {
    { DTLS_SIG_RSA_PKCS1_SHA256, "rsa_pkcs1_sha256" },
    { DTLS_SIG_RSA_PKCS1_SHA384, "rsa_pkcs1_sha384" },
    { DTLS_SIG_RSA_PKCS1_SHA512, "rsa_pkcs1_sha512" },
    { DTLS_SIG_ECDSA_SECP256R1_SHA256, "ecdsa_secp256r1_sha256" },
    { DTLS_SIG_ECDSA_SECP384R1_SHA384, "ecdsa_secp384r1_sha384" },
    { DTLS_SIG_RSA_PSS_RSAE_SHA256, "rsa_pss_rsae_sha256" },
    { DTLS_SIG_RSA_PSS_RSAE_SHA384, "rsa_pss_rsae_sha384" },
    { DTLS_SIG_ED25519, "ed25519" },
    { DTLS_SIG_RSA_PSS_PSS_SHA256, "rsa_pss_pss_sha256" },
    { DTLS_SIG_RSA_PSS_PSS_SHA384, "rsa_pss_pss_sha384" },
};

static const struct code_name alerts[] = {
    { 0, "close_notify" },
    { 10, "unexpected_message" },
    { 20, "bad_record_mac" },
    { 22, "record_overflow" },
    { 40, "handshake_failure" },
    { 42, "bad_certificate" },
    { 43, "unsupported_certificate" },
    { 44, "certificate_revoked" },
    { 45, "certificate_expired" },
    { 46, "certificate_unknown" },
    { 47, "illegal_parameter" },
    { 48, "unknown_ca" },
    { 49, "access_denied" },
    { 50, "decode_error" },
    { 51, "decrypt_error" },
    { 70, "protocol_version" },
    { 71, "insufficient_security" },
    { 80, "internal_error" },
    { 86, "inappropriate_fallback" },
    { 90, "user_canceled" },
    { 109, "missing_extension" },
    { 110, "unsupported_extension" },
    { 112, "unrecognized_name" },
    { 113, "bad_certificate_status_response" },
    { 115, "unknown_psk_identity" },
    { 116, "certificate_required" },
    { 120, "no_application_protocol" },
};

static const char *lookup(const struct code_name *t, size_t n, int code)
{
    for (size_t i = 0; i < n; i++)
        if (t[i].code == code)
            return t[i].name;
    return NULL;
}
#define LOOKUP(table, key) return lookup(table, sizeof table / sizeof table[0], key)

const char *dtls_version_name(uint16_t version)
{
    return version == DTLS_TLS13 ? "TLSv1.3" : NULL;
}

const char *dtls_cipher_suite_name(uint16_t suite)
{
    LOOKUP(suites, suite);
}

const char *dtls_group_name(uint16_t group)
{
    LOOKUP(groups, group);
}

const char *dtls_signature_scheme_name(uint16_t scheme)
{
    LOOKUP(schemes, scheme);
}

static const char *alert_name_or_null(int desc)
{
    LOOKUP(alerts, desc);
}

const char *dtls_alert_name(int desc)
{
    const char *n = alert_name_or_null(desc);
    return n ? n : "unknown";
}

static int lower(int ch)
{
    return ch >= 'A' && ch <= 'Z' ? ch + ('a' - 'A') : ch;
}

static int name_eq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if (lower((unsigned char)*a) != lower((unsigned char)*b))
            return 0;
    return *a == *b;
}

uint16_t dtls_cipher_suite_from_name(const char *name)
{
    for (size_t i = 0; name && i < sizeof suites / sizeof suites[0]; i++)
        if (name_eq(name, suites[i].name))
            return suites[i].code;
    return 0;
}

uint16_t dtls_group_from_name(const char *name)
{
    if (!name)
        return 0;
    if (name_eq(name, "x25519"))
        return DTLS_GROUP_X25519;
    if (name_eq(name, "secp256r1") || name_eq(name, "P-256") || name_eq(name, "prime256v1"))
        return DTLS_GROUP_SECP256R1;
    return 0;
}

/* "peer alert: " + alert name, built in a const table so no buffer is needed. */
static const struct {
    int desc;
    const char *text;
} peer_alerts[] = {
    { 0, "peer alert: close_notify (closed during the handshake)" },
    { 10, "peer alert: unexpected_message" },
    { 20, "peer alert: bad_record_mac" },
    { 22, "peer alert: record_overflow" },
    { 40, "peer alert: handshake_failure" },
    { 42, "peer alert: bad_certificate" },
    { 43, "peer alert: unsupported_certificate" },
    { 44, "peer alert: certificate_revoked" },
    { 45, "peer alert: certificate_expired" },
    { 46, "peer alert: certificate_unknown" },
    { 47, "peer alert: illegal_parameter" },
    { 48, "peer alert: unknown_ca" },
    { 49, "peer alert: access_denied" },
    { 50, "peer alert: decode_error" },
    { 51, "peer alert: decrypt_error" },
    { 70, "peer alert: protocol_version" },
    { 71, "peer alert: insufficient_security" },
    { 80, "peer alert: internal_error" },
    { 86, "peer alert: inappropriate_fallback" },
    { 109, "peer alert: missing_extension" },
    { 110, "peer alert: unsupported_extension" },
    { 112, "peer alert: unrecognized_name" },
    { 113, "peer alert: bad_certificate_status_response" },
    { 115, "peer alert: unknown_psk_identity" },
    { 116, "peer alert: certificate_required" },
    { 120, "peer alert: no_application_protocol" },
};

const char *dtls_strerror(int rc)
{
    if (DTLS_E_IS_PEER_ALERT(rc)) {
        int d = DTLS_E_PEER_ALERT_DESC(rc);
        for (size_t i = 0; i < sizeof peer_alerts / sizeof peer_alerts[0]; i++)
            if (peer_alerts[i].desc == d)
                return peer_alerts[i].text;
        return "peer alert: unknown description";
    }
    if (rc <= -200 && rc >= -299)
        return dtls_x509_error_name(rc);
    switch (rc) {
    case DTLS_OK: return "ok";
    case DTLS_WANT_READ: return "would block (want read)";
    case DTLS_WANT_WRITE: return "would block (want write)";
    case DTLS_E_IO: return "I/O error";
    case DTLS_E_EOF: return "connection closed by peer without close_notify";
    case DTLS_E_CLOSED: return "connection closed (dtls_close was called)";
    case DTLS_E_CONFIG: return "invalid configuration or arguments";
    case DTLS_E_BUFFER: return "buffer too small for a record or handshake message";
    case DTLS_E_RNG: return "random number generator failed";
    case DTLS_E_BUSY: return "shared buffer busy: read the pending data first";
    case DTLS_E_SIGN: return "client key signing callback failed";
    case DTLS_E_INTERNAL: return "internal error";
    case DTLS_E_UNEXPECTED_MESSAGE: return "unexpected message";
    case DTLS_E_BAD_RECORD_MAC: return "bad record MAC";
    case DTLS_E_RECORD_OVERFLOW: return "record overflow";
    case DTLS_E_HANDSHAKE_FAILURE: return "handshake failure";
    case DTLS_E_ILLEGAL_PARAMETER: return "illegal parameter";
    case DTLS_E_DECODE_ERROR: return "decode error";
    case DTLS_E_DECRYPT_ERROR: return "decrypt error (bad Finished or CertificateVerify)";
    case DTLS_E_PROTOCOL_VERSION: return "protocol version: the server does not speak TLS 1.3";
    case DTLS_E_MISSING_EXTENSION: return "missing extension";
    case DTLS_E_UNSUPPORTED_EXTENSION: return "unsupported extension";
    case DTLS_E_NO_APPLICATION_PROTOCOL: return "no application protocol";
    case DTLS_E_BAD_CERTIFICATE: return "bad certificate";
    case DTLS_E_UNSUPPORTED_CERTIFICATE: return "unsupported certificate";
    case DTLS_E_CERTIFICATE_EXPIRED: return "certificate expired or not yet valid";
    case DTLS_E_CERTIFICATE_UNKNOWN: return "certificate not accepted";
    case DTLS_E_UNKNOWN_CA: return "unknown CA";
    case DTLS_E_HOSTNAME: return "certificate does not match the server name";
    case DTLS_E_CERTIFICATE_REVOKED: return "certificate revoked";
    default: return rc > 0 ? "ok" : "unknown error";
    }
}
