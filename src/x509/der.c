/*
 * Strict DER reader. See der.h for what is rejected and why.
 *
 * Invariant kept by every function: on success the cursor advanced by exactly
 * the element's raw length, which was checked to be <= the bytes remaining;
 * on failure the cursor is unchanged. Element lengths are limited to 32 bits
 * (4 length octets), so `hdr + len` cannot overflow a size_t once len has
 * been compared with the remaining input.
 */
#include "x509/der.h"

#include <string.h>

int der_next(struct der *d, struct der_tlv *t)
{
    const uint8_t *p = d->p;
    size_t n = d->len, i = 0;
    if (n < 2)
        return -1;
    uint8_t id = p[i++];
    uint32_t num = id & 0x1fu;
    if (num == 0x1f) {
        /* High tag number: base-128, first octet not 0x80 (minimal), value >= 31,
         * at most 4 octets (28 bits) so it fits num. */
        num = 0;
        unsigned k = 0;
        for (;;) {
            if (i >= n || k == 4)
                return -1;
            uint8_t b = p[i++];
            if (k == 0 && b == 0x80)
                return -1;
            num = (num << 7) | (b & 0x7fu);
            k++;
            if (!(b & 0x80))
                break;
        }
        if (num < 31)
            return -1;
    }
    if (i >= n)
        return -1;
    uint8_t l0 = p[i++];
    size_t len;
    if (l0 < 0x80) {
        len = l0;
    } else {
        unsigned k = l0 & 0x7fu;
        /* 0x80 is the indefinite form; more than 4 octets is beyond any certificate. */
        if (k == 0 || k > 4 || n - i < k)
            return -1;
        if (p[i] == 0)
            return -1;                     /* leading zero octet: not minimal */
        uint32_t v = 0;
        for (unsigned j = 0; j < k; j++)
            v = (v << 8) | p[i + j];
        i += k;
        if (v < 0x80)
            return -1;                     /* fits the short form: not minimal */
        len = v;
    }
    if (len > n - i)
        return -1;
    t->id = id;
    t->num = num;
    t->v = p + i;
    t->len = len;
    t->raw = p;
    t->raw_len = i + len;
    d->p = p + i + len;
    d->len = n - i - len;
    return 0;
}

int der_expect(struct der *d, uint8_t id, struct der_tlv *t)
{
    struct der save = *d;
    if (der_next(d, t) != 0)
        return -1;
    if (t->id != id || (id & 0x1f) == 0x1f) {
        *d = save;
        return -1;
    }
    return 0;
}

int der_peek(const struct der *d)
{
    return d->len ? d->p[0] : -1;
}

int der_end(const struct der *d)
{
    return d->len == 0 ? 0 : -1;
}

struct der der_inside(const struct der_tlv *t)
{
    struct der in = { t->v, t->len };
    return in;
}

int der_integer(struct der *d, const uint8_t **v, size_t *len)
{
    struct der save = *d;
    struct der_tlv t;
    if (der_expect(d, DER_INTEGER, &t) != 0)
        return -1;
    if (t.len == 0 ||
        (t.len > 1 && ((t.v[0] == 0x00 && !(t.v[1] & 0x80)) || (t.v[0] == 0xff && (t.v[1] & 0x80))))) {
        *d = save;
        return -1;
    }
    *v = t.v;
    *len = t.len;
    return 0;
}

int der_uint(struct der *d, const uint8_t **v, size_t *len)
{
    struct der save = *d;
    const uint8_t *p;
    size_t n;
    if (der_integer(d, &p, &n) != 0)
        return -1;
    if (p[0] & 0x80) {
        *d = save;
        return -1;
    }
    if (n > 1 && p[0] == 0) {
        p++;
        n--;
    }
    *v = p;
    *len = n;
    return 0;
}

int der_uint32(struct der *d, uint32_t *out)
{
    struct der save = *d;
    const uint8_t *p;
    size_t n;
    if (der_uint(d, &p, &n) != 0)
        return -1;
    if (n > 4) {
        *d = save;
        return -1;
    }
    uint32_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = (v << 8) | p[i];
    *out = v;
    return 0;
}

int der_bool(struct der *d, int *out)
{
    struct der save = *d;
    struct der_tlv t;
    if (der_expect(d, DER_BOOLEAN, &t) != 0)
        return -1;
    if (t.len != 1 || (t.v[0] != 0x00 && t.v[0] != 0xff)) {
        *d = save;
        return -1;
    }
    *out = t.v[0] ? 1 : 0;
    return 0;
}

int der_null(struct der *d)
{
    struct der save = *d;
    struct der_tlv t;
    if (der_expect(d, DER_NULL, &t) != 0)
        return -1;
    if (t.len != 0) {
        *d = save;
        return -1;
    }
    return 0;
}

int der_oid(struct der *d, const uint8_t **v, size_t *len)
{
    struct der save = *d;
    struct der_tlv t;
    if (der_expect(d, DER_OID, &t) != 0)
        return -1;
    /* Each sub-identifier: base-128 octets, the last without bit 8; the first
     * octet of a sub-identifier is never 0x80 (that would be a leading zero). */
    int ok = t.len > 0 && !(t.v[t.len - 1] & 0x80);
    int start = 1;
    for (size_t i = 0; ok && i < t.len; i++) {
        if (start && t.v[i] == 0x80)
            ok = 0;
        start = !(t.v[i] & 0x80);
    }
    if (!ok) {
        *d = save;
        return -1;
    }
    *v = t.v;
    *len = t.len;
    return 0;
}

int der_bits(struct der *d, uint8_t id, const uint8_t **v, size_t *len, unsigned *unused)
{
    struct der save = *d;
    struct der_tlv t;
    if (der_expect(d, id, &t) != 0)
        return -1;
    if (t.len == 0 || t.v[0] > 7 || (t.len == 1 && t.v[0] != 0) ||
        (t.len > 1 && (t.v[t.len - 1] & ((1u << t.v[0]) - 1u)) != 0)) {
        *d = save;
        return -1;
    }
    *unused = t.v[0];
    *v = t.v + 1;
    *len = t.len - 1;
    return 0;
}

int der_bits_octets(struct der *d, const uint8_t **v, size_t *len)
{
    struct der save = *d;
    unsigned unused;
    if (der_bits(d, DER_BIT_STRING, v, len, &unused) != 0)
        return -1;
    if (unused != 0) {
        *d = save;
        return -1;
    }
    return 0;
}

int der_oid_eq(const uint8_t *v, size_t len, const uint8_t *oid, size_t oid_len)
{
    return len == oid_len && memcmp(v, oid, len) == 0;
}

/*
 * Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. The year
 * is shifted to start in March so the leap day is the last day of the
 * shifted year; then a 400-year era has exactly 146097 days, and within an
 * era the day is 365*yoe + yoe/4 - yoe/100 + day-of-year. 719468 is the day
 * number of 1970-01-01 counted from 0000-03-01. The year is moved up by one
 * era (400 years, 146097 days) so that January and February of year 0 are
 * not negative either: every intermediate value is unsigned and below
 * 10400 / 400 * 146097 + 146097 < 2^22, so this is 32-bit arithmetic only
 * (no 64-bit division from the compiler's run-time library on a 32-bit MCU).
 */
int32_t der_days_from_civil(unsigned y, unsigned m, unsigned d)
{
    uint32_t ys = (uint32_t)y + 400u - (m <= 2);                   /* 399..10399 */
    uint32_t era = ys / 400u, yoe = ys % 400u;                     /* yoe 0..399 */
    uint32_t mp = m > 2 ? m - 3u : m + 9u;                         /* March = 0 */
    uint32_t doy = (153u * mp + 2u) / 5u + d - 1u;                 /* 0..365 */
    uint32_t doe = yoe * 365u + yoe / 4u - yoe / 100u + doy;       /* 0..146096 */
    return (int32_t)(era * 146097u + doe) - (719468 + 146097);
}

static int digits(const uint8_t *p, size_t n, unsigned *out)
{
    unsigned v = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return -1;
        v = v * 10 + (unsigned)(p[i] - '0');
    }
    *out = v;
    return 0;
}

int der_time(struct der *d, int64_t *out)
{
    struct der save = *d;
    struct der_tlv t;
    if (der_next(d, &t) != 0)
        return -1;
    unsigned y, mo, dd, h, mi, s;
    const uint8_t *p = t.v;
    size_t yl;
    if (t.id == DER_UTC_TIME && t.len == 13)
        yl = 2;
    else if (t.id == DER_GENERALIZED_TIME && t.len == 15)
        yl = 4;
    else
        goto bad;
    /* RFC 5280 4.1.2.5: seconds always present, 'Z' always, no fractions. */
    if (p[t.len - 1] != 'Z' || digits(p, yl, &y) || digits(p + yl, 2, &mo) || digits(p + yl + 2, 2, &dd) ||
        digits(p + yl + 4, 2, &h) || digits(p + yl + 6, 2, &mi) || digits(p + yl + 8, 2, &s))
        goto bad;
    if (yl == 2)
        y += y >= 50 ? 1900 : 2000;
    static const uint8_t mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    if (mo < 1 || mo > 12 || dd < 1 || dd > mdays[mo - 1] || h > 23 || mi > 59 || s > 59)
        goto bad;
    if (mo == 2 && dd == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        goto bad;
    *out = (int64_t)der_days_from_civil(y, mo, dd) * 86400 + (int32_t)(h * 3600 + mi * 60 + s);
    return 0;
bad:
    *d = save;
    return -1;
}
