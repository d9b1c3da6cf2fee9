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

/*
 * Alert names, stored once with the "peer alert: " prefix dtls_strerror()
 * wants for a received alert: dtls_alert_name() returns the same string past
 * the prefix. (With DTLS_CONFIG_NO_NAMES there is no prefix, and the strings
 * are shared with dtls_strerror's short identifiers instead.)
 */
#ifdef DTLS_CONFIG_NO_NAMES
#define PEER ""
#else
#define PEER "peer alert: "
#endif
#define PEER_LEN (sizeof PEER - 1)
static const struct code_name alerts[] = {
    { 0, PEER "close_notify" },
    { 10, PEER "unexpected_message" },
    { 20, PEER "bad_record_mac" },
    { 22, PEER "record_overflow" },
    { 40, PEER "handshake_failure" },
    { 42, PEER "bad_certificate" },
    { 43, PEER "unsupported_certificate" },
    { 44, PEER "certificate_revoked" },
    { 45, PEER "certificate_expired" },
    { 46, PEER "certificate_unknown" },
    { 47, PEER "illegal_parameter" },
    { 48, PEER "unknown_ca" },
    { 49, PEER "access_denied" },
    { 50, PEER "decode_error" },
    { 51, PEER "decrypt_error" },
    { 70, PEER "protocol_version" },
    { 71, PEER "insufficient_security" },
    { 80, PEER "internal_error" },
    { 86, PEER "inappropriate_fallback" },
    { 90, PEER "user_canceled" },
    { 109, PEER "missing_extension" },
    { 110, PEER "unsupported_extension" },
    { 112, PEER "unrecognized_name" },
    { 113, PEER "bad_certificate_status_response" },
    { 115, PEER "unknown_psk_identity" },
    { 116, PEER "certificate_required" },
    { 120, PEER "no_application_protocol" },
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
    return n ? n + PEER_LEN : "unknown";
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

#ifdef DTLS_CONFIG_NO_NAMES
/*
 * Short identifiers instead of sentences: the alert's name for a protocol
 * error (the alert sent) and for a received alert, the X.509 layer's name for
 * its errors, a word for the local conditions. (The identical strings of the
 * alert table are merged by the compiler and linker.)
 */
const char *dtls_strerror(int rc)
{
    static const struct {
        int8_t code;
        const char *name;
    } errs[] = {
        { DTLS_OK, "ok" },
        { DTLS_WANT_READ, "want_read" },
        { DTLS_WANT_WRITE, "want_write" },
        { DTLS_E_IO, "io" },
        { DTLS_E_EOF, "eof" },
        { DTLS_E_CLOSED, "closed" },
        { DTLS_E_CONFIG, "config" },
        { DTLS_E_BUFFER, "buffer" },
        { DTLS_E_RNG, "rng" },
        { DTLS_E_BUSY, "busy" },
        { DTLS_E_SIGN, "sign" },
        { DTLS_E_INTERNAL, "internal_error" },
        { DTLS_E_UNEXPECTED_MESSAGE, "unexpected_message" },
        { DTLS_E_BAD_RECORD_MAC, "bad_record_mac" },
        { DTLS_E_RECORD_OVERFLOW, "record_overflow" },
        { DTLS_E_HANDSHAKE_FAILURE, "handshake_failure" },
        { DTLS_E_ILLEGAL_PARAMETER, "illegal_parameter" },
        { DTLS_E_DECODE_ERROR, "decode_error" },
        { DTLS_E_DECRYPT_ERROR, "decrypt_error" },
        { DTLS_E_PROTOCOL_VERSION, "protocol_version" },
        { DTLS_E_MISSING_EXTENSION, "missing_extension" },
        { DTLS_E_UNSUPPORTED_EXTENSION, "unsupported_extension" },
        { DTLS_E_NO_APPLICATION_PROTOCOL, "no_application_protocol" },
        { DTLS_E_BAD_CERTIFICATE, "bad_certificate" },
        { DTLS_E_UNSUPPORTED_CERTIFICATE, "unsupported_certificate" },
        { DTLS_E_CERTIFICATE_EXPIRED, "certificate_expired" },
        { DTLS_E_CERTIFICATE_UNKNOWN, "certificate_unknown" },
        { DTLS_E_UNKNOWN_CA, "unknown_ca" },
        { DTLS_E_HOSTNAME, "hostname_mismatch" },
        { DTLS_E_CERTIFICATE_REVOKED, "certificate_revoked" },
    };
    if (DTLS_E_IS_PEER_ALERT(rc))
        return dtls_alert_name(DTLS_E_PEER_ALERT_DESC(rc));
    if (rc <= -200 && rc >= -299)
        return dtls_x509_error_name(rc);
    if (rc > 0)
        rc = 0;
    for (size_t i = 0; i < sizeof errs / sizeof errs[0]; i++)
        if (errs[i].code == rc)
            return errs[i].name;
    return "unknown_error";
}
#else
const char *dtls_strerror(int rc)
{
    if (DTLS_E_IS_PEER_ALERT(rc)) {
        int d = DTLS_E_PEER_ALERT_DESC(rc);
        const char *n = alert_name_or_null(d);
        if (d == 0)
            return PEER "close_notify (closed during the handshake)";
        return n ? n : PEER "unknown description";
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
#endif
