/*
 * Public-key pinning, curl style: --pinnedpubkey sha256//BASE64[;sha256//...]
 * where BASE64 is the SHA-256 of the DER SubjectPublicKeyInfo
 * (openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64).
 */
#include <string.h>

#include "crypto/sha2.h"
#include "x509/x509_int.h"

int dtls_x509_spki_sha256(const uint8_t *der, size_t der_len, uint8_t out[32])
{
    struct dtls_x509_cert c;
    int rc = dtls_x509_cert_parse(der, der_len, &c);
    if (rc != 0)
        return rc;
    dtls_sha256(c.spki, c.spki_len, out);
    return 0;
}

int dtls_x509_pin_check(const char *pins, const uint8_t spki_sha256[32])
{
    if (pins == NULL)
        return DTLS_X509_E_INVALID_ARGUMENT;
    size_t n = strlen(pins), i = 0;
    int match = 0;
    if (n == 0)
        return DTLS_X509_E_INVALID_ARGUMENT;
    while (i <= n) {
        size_t end = i;
        while (end < n && pins[end] != ';')
            end++;
        uint8_t h[33];
        /* Every entry must be well formed, so a typo is never silently ignored. */
        if (end - i < 8 || memcmp(pins + i, "sha256//", 8) != 0 ||
            dtls_base64_decode(pins + i + 8, end - i - 8, h, sizeof h) != 32)
            return DTLS_X509_E_INVALID_ARGUMENT;
        if (memcmp(h, spki_sha256, 32) == 0)
            match = 1;
        i = end + 1;
    }
    return match ? 0 : DTLS_X509_E_PIN_MISMATCH;
}
