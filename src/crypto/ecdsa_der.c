/*
 * ECDSA signatures between the DER ECDSA-Sig-Value of X.509 and TLS
 * (RFC 3279 2.2.3, SEC1 C.5):
 *
 *   ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }
 *
 * and the fixed-width r || s (n bytes each, big-endian) that the curve code
 * takes. Parsing is strict DER: one SEQUENCE with a definite, minimally
 * encoded length that covers exactly the rest of the input; inside it exactly
 * two INTEGERs, each with a minimal length, minimal contents (a leading 0x00
 * only when the next byte has its top bit set), positive, non-zero and at most
 * n bytes once that 0x00 is dropped. BER forms (indefinite or long-form
 * lengths that fit the short form, padded lengths or integers), negative or
 * zero values, other tags and trailing bytes at either level are rejected.
 * Signatures are public, so nothing here needs constant time.
 */
#include "crypto/ec.h"

#include <string.h>

/*
 * Read a DER length at der[*pos], der_len bytes available in total. Short
 * form for 0..127; long form with 1 or 2 length bytes, no leading zero byte,
 * value >= 128 (a longer length cannot belong to a signature this code can
 * hold). Advances *pos past the length.
 */
static int der_length(const uint8_t *der, size_t der_len, size_t *pos, size_t *len)
{
    size_t p = *pos, v = 0, k;
    uint8_t b;

    if (p >= der_len)
        return -1;
    b = der[p++];
    if (b < 0x80) {
        v = b;
    } else {
        k = b & 0x7fu;
        if (k == 0 || k > 2 || k > der_len - p || der[p] == 0)
            return -1;
        while (k--)
            v = (v << 8) | der[p++];
        if (v < 0x80)
            return -1;
    }
    *pos = p;
    *len = v;
    return 0;
}

/* One INTEGER at der[*pos] into out[0..n-1], left-padded with zeros. */
static int der_integer(uint8_t *out, size_t n, const uint8_t *der, size_t der_len, size_t *pos)
{
    size_t p = *pos, len;
    const uint8_t *v;

    if (p >= der_len || der[p] != 0x02)
        return -1;
    p++;
    if (der_length(der, der_len, &p, &len) != 0 || len == 0 || len > der_len - p)
        return -1;
    v = der + p;
    *pos = p + len;
    if (v[0] & 0x80)
        return -1; /* negative */
    if (v[0] == 0x00) {
        if (len == 1 || !(v[1] & 0x80))
            return -1; /* zero, or a 0x00 that is not needed */
        v++;
        len--;
    }
    /* Now v[0] != 0: the value is positive and has exactly len bytes. */
    if (len > n)
        return -1;
    memset(out, 0, n - len);
    memcpy(out + n - len, v, len);
    return 0;
}

int dtls_ecdsa_der_to_rs(uint8_t *rs, size_t n, const uint8_t *der, size_t der_len)
{
    size_t pos = 1, len;

    if (rs == NULL || n == 0)
        return -1;
    if (der == NULL || der_len < 2 || der[0] != 0x30)
        goto fail;
    if (der_length(der, der_len, &pos, &len) != 0 || len != der_len - pos)
        goto fail;
    if (der_integer(rs, n, der, der_len, &pos) != 0 || der_integer(rs + n, n, der, der_len, &pos) != 0)
        goto fail;
    if (pos != der_len)
        goto fail;
    return 0;
fail:
    memset(rs, 0, 2 * n);
    return -1;
}

/* Bytes needed for the DER length of a content of len bytes. */
static size_t der_length_size(size_t len)
{
    size_t k = 1;
    if (len >= 0x80) {
        while (len) {
            k++;
            len >>= 8;
        }
    }
    return k;
}

static size_t der_put_length(uint8_t *out, size_t len)
{
    size_t k = der_length_size(len);
    if (k == 1) {
        out[0] = (uint8_t)len;
    } else {
        out[0] = (uint8_t)(0x80 | (k - 1));
        for (size_t i = k - 1; i > 0; i--) {
            out[i] = (uint8_t)len;
            len >>= 8;
        }
    }
    return k;
}

/* Minimal INTEGER contents of the n-byte unsigned x: skip, pad. */
static void int_shape(const uint8_t *x, size_t n, size_t *skip, size_t *pad)
{
    size_t i = 0;
    while (i < n - 1 && x[i] == 0)
        i++;
    *skip = i;
    *pad = (x[i] & 0x80) ? 1 : 0;
}

size_t dtls_ecdsa_rs_to_der(uint8_t *der, size_t cap, const uint8_t *rs, size_t n)
{
    size_t skip[2], pad[2], ilen[2], body = 0, total, pos = 0;

    if (der == NULL || rs == NULL || n == 0)
        return 0;
    for (size_t i = 0; i < 2; i++) {
        int_shape(rs + i * n, n, &skip[i], &pad[i]);
        ilen[i] = n - skip[i] + pad[i];
        body += 1 + der_length_size(ilen[i]) + ilen[i];
    }
    total = 1 + der_length_size(body) + body;
    if (total > cap)
        return 0;
    der[pos++] = 0x30;
    pos += der_put_length(der + pos, body);
    for (size_t i = 0; i < 2; i++) {
        der[pos++] = 0x02;
        pos += der_put_length(der + pos, ilen[i]);
        if (pad[i])
            der[pos++] = 0x00;
        memcpy(der + pos, rs + i * n + skip[i], n - skip[i]);
        pos += n - skip[i];
    }
    return pos;
}
