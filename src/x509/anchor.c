/*
 * Trust anchors: compact (subject Name hash + key + CA/pathLen), made from
 * DER certificates or PEM bundles over caller memory.
 */
#include <string.h>

#include "crypto/sha2.h"
#include "x509/x509_int.h"

int dtls_x509_anchor_from_der(const uint8_t *der, size_t der_len, struct dtls_x509_anchor *out)
{
    struct dtls_x509_cert c;
    int rc;
    memset(out, 0, sizeof *out);
    if ((rc = dtls_x509_cert_parse(der, der_len, &c)) != 0)
        return rc;
    if ((rc = x509_key_copy(&out->key, &c.key)) != 0) {
        memset(out, 0, sizeof *out);
        return rc;
    }
    dtls_sha256(c.subject, c.subject_len, out->subject_hash);
    /* A CA: cA TRUE; or, without basicConstraints, a v1/v2 certificate or a
     * keyUsage with keyCertSign (old roots). keyUsage without keyCertSign
     * forbids issuing. */
    int ca = (c.flags & DTLS_X509_CERT_CA) != 0;
    if (!(c.flags & DTLS_X509_CERT_HAS_BASIC))
        ca = c.version < 3 || ((c.flags & DTLS_X509_CERT_HAS_KU) && (c.key_usage & DTLS_X509_KU_KEY_CERT_SIGN));
    if ((c.flags & DTLS_X509_CERT_HAS_KU) && !(c.key_usage & DTLS_X509_KU_KEY_CERT_SIGN))
        ca = 0;
    out->flags = (uint8_t)((ca ? DTLS_X509_ANCHOR_CA : 0u) |
                           ((c.flags & DTLS_X509_CERT_HAS_PATH_LEN) ? DTLS_X509_ANCHOR_PATH_LEN : 0u));
    out->max_path_len = (uint8_t)c.path_len;
    return 0;
}

static int load(char *mut, const char *pem, size_t pem_len, uint8_t *scratch, size_t scratch_len,
                struct dtls_x509_anchor *out, size_t cap, size_t *skipped)
{
    size_t pos = 0, n = 0, skip = 0;
    struct dtls_pem_block blk;
    struct dtls_x509_anchor tmp;
    int rc;
    if (skipped)
        *skipped = 0;
    for (;;) {
        rc = mut ? dtls_pem_next_inplace(mut, pem_len, &pos, &blk)
                 : dtls_pem_next(pem, pem_len, &pos, scratch, scratch_len, &blk);
        if (rc < 0)
            return rc;
        if (rc == 0)
            break;
        if (blk.label_len != 11 || memcmp(blk.label, "CERTIFICATE", 11) != 0)
            continue;
        if (dtls_x509_anchor_from_der(blk.der, blk.der_len, &tmp) != 0) {
            skip++;
            continue;
        }
        if (out != NULL) {
            if (n == cap)
                return DTLS_X509_E_BUFFER_TOO_SMALL;
            out[n] = tmp;
        }
        n++;
        if (skipped)
            *skipped = skip;
    }
    if (skipped)
        *skipped = skip;
    return n > 0x7fffffff ? DTLS_X509_E_BUFFER_TOO_SMALL : (int)n;
}

int dtls_x509_anchors_from_pem_inplace(char *pem, size_t pem_len, struct dtls_x509_anchor *out, size_t cap,
                                       size_t *skipped)
{
    if (pem == NULL)
        return DTLS_X509_E_INVALID_ARGUMENT;
    return load(pem, pem, pem_len, NULL, 0, out, cap, skipped);
}

int dtls_x509_anchors_from_pem(const char *pem, size_t pem_len, uint8_t *scratch, size_t scratch_len,
                               struct dtls_x509_anchor *out, size_t cap, size_t *skipped)
{
    if (pem == NULL || scratch == NULL)
        return DTLS_X509_E_INVALID_ARGUMENT;
    return load(NULL, pem, pem_len, scratch, scratch_len, out, cap, skipped);
}
