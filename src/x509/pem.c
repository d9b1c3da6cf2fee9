/*
 * PEM armour (RFC 7468) and base64 (RFC 4648), strict, no heap.
 *
 * Decoding is done one 4-character quantum at a time: the 4 characters are
 * read before the (at most) 3 octets are written, and the write position is
 * 3 * (quanta done) while the read position is at least 4 * (quanta done),
 * so decoding over the input itself (in place) never overwrites a character
 * before it is read.
 */
#include <string.h>

#include "x509/x509_int.h"

static int b64val(uint8_t c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

static int is_ws(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Returns the decoded length, -1 (malformed) or -2 (out too small). out may equal in. */
static long b64_decode(const uint8_t *in, size_t n, uint8_t *out, size_t cap, int allow_ws)
{
    uint32_t acc = 0;
    unsigned nq = 0, pad = 0;
    size_t o = 0;
    int done = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = in[i];
        if (allow_ws && is_ws(c))
            continue;
        if (done)
            return -1;                         /* data after the padded final quantum */
        if (c == '=') {
            if (nq < 2)
                return -1;
            pad++;
        } else {
            int v = b64val(c);
            if (v < 0 || pad)
                return -1;
            acc = acc << 6 | (uint32_t)v;
        }
        if (++nq < 4)
            continue;
        /* 4 - pad characters carry 6 bits each; 3 - pad octets are used; the
         * 2 * pad bits left over must be zero (canonical encoding). */
        size_t bytes = 3 - pad;
        if (acc & ((1u << (2 * pad)) - 1u))
            return -1;
        acc >>= 2 * pad;
        if (cap - o < bytes)
            return -2;
        for (size_t k = bytes; k-- > 0;) {
            out[o + k] = (uint8_t)acc;
            acc >>= 8;
        }
        o += bytes;
        done = pad != 0;
        nq = 0;
        acc = 0;
    }
    if (nq != 0)
        return -1;
    return (long)o;
}

long dtls_base64_decode(const char *in, size_t in_len, uint8_t *out, size_t out_cap)
{
    if (in == NULL || (out == NULL && out_cap))
        return -1;
    long r = b64_decode((const uint8_t *)in, in_len, out, out_cap, 0);
    return r < 0 ? -1 : r;
}

static size_t find(const char *s, size_t n, size_t from, const char *pat, size_t pl)
{
    if (from > n || n - from < pl)
        return n;
    for (size_t i = from; i + pl <= n; i++)
        if (s[i] == pat[0] && memcmp(s + i, pat, pl) == 0)
            return i;
    return n;
}

/* out == NULL: decode in place over the body. */
static int pem_next(const char *pem, size_t len, size_t *pos, uint8_t *out, size_t cap, struct dtls_pem_block *blk)
{
    memset(blk, 0, sizeof *blk);
    if (pem == NULL || *pos > len)
        return DTLS_X509_E_INVALID_ARGUMENT;
    size_t b = find(pem, len, *pos, "-----BEGIN ", 11);
    if (b == len)
        return 0;
    size_t ls = b + 11, le = find(pem, len, ls, "-----", 5);
    if (le == len || le == ls || le - ls > 64)
        return DTLS_X509_E_BAD_PEM;
    for (size_t i = ls; i < le; i++)
        if ((uint8_t)pem[i] < 0x20 || (uint8_t)pem[i] > 0x7e)
            return DTLS_X509_E_BAD_PEM;
    size_t label_len = le - ls, body = le + 5;
    size_t e = find(pem, len, body, "-----END ", 9);
    if (e == len || len - (e + 9) < label_len + 5 || memcmp(pem + e + 9, pem + ls, label_len) != 0 ||
        memcmp(pem + e + 9 + label_len, "-----", 5) != 0)
        return DTLS_X509_E_BAD_PEM;
    /* A BEGIN line inside the body means an unterminated block. */
    if (find(pem, e, body, "-----", 5) != e)
        return DTLS_X509_E_BAD_PEM;
    if (out == NULL) {
        out = (uint8_t *)(uintptr_t)(pem + body);
        cap = e - body;
    }
    long r = b64_decode((const uint8_t *)pem + body, e - body, out, cap, 1);
    if (r == -1)
        return DTLS_X509_E_BAD_PEM;
    blk->label = pem + ls;
    blk->label_len = label_len;
    if (r < 0) {
        /* Too big for out: say which block it was and step over it. */
        *pos = e + 9 + label_len + 5;
        return DTLS_X509_E_BUFFER_TOO_SMALL;
    }
    blk->der = out;
    blk->der_len = (size_t)r;
    *pos = e + 9 + label_len + 5;
    return 1;
}

int dtls_pem_next(const char *pem, size_t pem_len, size_t *pos, uint8_t *out, size_t out_cap,
                  struct dtls_pem_block *blk)
{
    if (out == NULL)
        return DTLS_X509_E_INVALID_ARGUMENT;
    return pem_next(pem, pem_len, pos, out, out_cap, blk);
}

int dtls_pem_next_inplace(char *pem, size_t pem_len, size_t *pos, struct dtls_pem_block *blk)
{
    return pem_next(pem, pem_len, pos, NULL, 0, blk);
}
