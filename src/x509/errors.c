/*
 * Error names (stable: the CLI prints them in JSON) and the TLS alert each
 * error is reported with. The table and its reasoning are in <dtls/x509.h>.
 */
#include <dtls/x509.h>

static const struct {
    int16_t code;
    uint8_t alert;
    const char *name;
} errors[] = {
    { DTLS_X509_E_BAD_CERTIFICATE, 42, "bad_certificate" },
    { DTLS_X509_E_UNSUPPORTED_ALGORITHM, 43, "unsupported_algorithm" },
    { DTLS_X509_E_BAD_SIGNATURE, 42, "bad_signature" },
    { DTLS_X509_E_WEAK_SIGNATURE, 43, "weak_signature" },
    { DTLS_X509_E_WEAK_KEY, 43, "weak_key" },
    { DTLS_X509_E_EXPIRED, 45, "certificate_expired" },
    { DTLS_X509_E_NOT_YET_VALID, 45, "certificate_not_yet_valid" },
    { DTLS_X509_E_UNKNOWN_CA, 48, "unknown_ca" },
    { DTLS_X509_E_NOT_A_CA, 48, "not_a_ca" },
    { DTLS_X509_E_PATH_LENGTH, 48, "path_length_exceeded" },
    { DTLS_X509_E_KEY_USAGE, 43, "bad_key_usage" },
    { DTLS_X509_E_EXT_KEY_USAGE, 43, "bad_extended_key_usage" },
    { DTLS_X509_E_NAME_CONSTRAINTS, 46, "name_constraints_violation" },
    { DTLS_X509_E_CRITICAL_EXTENSION, 43, "unsupported_critical_extension" },
    { DTLS_X509_E_HOSTNAME, 46, "hostname_mismatch" },
    { DTLS_X509_E_CHAIN_TOO_LONG, 48, "chain_too_long" },
    { DTLS_X509_E_TOO_LARGE, 43, "certificate_too_large" },
    { DTLS_X509_E_NO_CERTIFICATE, 42, "no_certificate" },
    { DTLS_X509_E_PIN_MISMATCH, 46, "pinned_key_mismatch" },
    { DTLS_X509_E_BAD_PEM, 80, "bad_pem" },
    { DTLS_X509_E_BAD_KEY, 80, "bad_private_key" },
    { DTLS_X509_E_BUFFER_TOO_SMALL, 80, "buffer_too_small" },
    { DTLS_X509_E_INVALID_ARGUMENT, 80, "invalid_argument" },
};

const char *dtls_x509_error_name(int err)
{
    if (err == 0)
        return "ok";
    for (size_t i = 0; i < sizeof errors / sizeof errors[0]; i++)
        if (errors[i].code == err)
            return errors[i].name;
    return "unknown_error";
}

int dtls_x509_alert(int err)
{
    if (err == 0)
        return 0;
    for (size_t i = 0; i < sizeof errors / sizeof errors[0]; i++)
        if (errors[i].code == err)
            return errors[i].alert;
    return 80; /* internal_error */
}
