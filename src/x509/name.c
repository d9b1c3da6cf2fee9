/*
 * Names: RFC 6125 host-name matching, IP literal parsing, RFC 5280 name
 * constraints (dNSName and iPAddress), and Name-to-string for display.
 *
 * Reference identities (what the client wanted to reach) are matched only
 * against subjectAltName dNSName / iPAddress entries. A reference that parses
 * as an IP address is only ever compared with iPAddress entries, as 4 or 16
 * octets; a DNS reference only with dNSName entries. No CN fallback.
 */
#include <string.h>

#include "x509/oid.h"
#include "x509/x509_int.h"
#include "x509/x509_names.h"

static uint8_t lower(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

/* Labels non-empty, no '*' anywhere. */
static int plain_labels(const uint8_t *s, size_t n)
{
    if (n == 0 || s[0] == '.' || s[n - 1] == '.')
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '*' || (s[i] == '.' && s[i + 1] == '.'))
            return 0;
    }
    return 1;
}

int dtls_x509_dns_match(const char *pattern, size_t plen, const char *host, size_t hlen)
{
    const uint8_t *p = (const uint8_t *)pattern, *h = (const uint8_t *)host;
    if (p == NULL || h == NULL)
        return 0;
    if (plen && p[plen - 1] == '.')
        plen--;
    if (hlen && h[hlen - 1] == '.')
        hlen--;
    if (!plain_labels(h, hlen))
        return 0;
    if (plen >= 2 && p[0] == '*' && p[1] == '.') {
        /* "*.rest": rest has at least two labels, so "*.com" matches nothing. */
        const uint8_t *rest = p + 2;
        size_t rlen = plen - 2;
        if (!plain_labels(rest, rlen) || memchr(rest, '.', rlen) == NULL)
            return 0;
        const uint8_t *dot = memchr(h, '.', hlen);
        if (dot == NULL || dot == h)
            return 0;
        size_t first = (size_t)(dot - h);
        return hlen - first - 1 == rlen && x509_ascii_ieq(dot + 1, rest, rlen);
    }
    return plain_labels(p, plen) && plen == hlen && x509_ascii_ieq(p, h, plen);
}

static int parse_ipv4(const uint8_t *s, size_t n, uint8_t out[4])
{
    size_t i = 0;
    for (int part = 0; part < 4; part++) {
        unsigned v = 0, nd = 0;
        if (part > 0) {
            if (i >= n || s[i] != '.')
                return 0;
            i++;
        }
        while (i < n && s[i] >= '0' && s[i] <= '9' && nd < 4) {
            if (nd == 1 && v == 0)
                return 0;                      /* leading zero (octal in some parsers) */
            v = v * 10 + (unsigned)(s[i] - '0');
            nd++;
            i++;
        }
        if (nd == 0 || nd > 3 || v > 255)
            return 0;
        out[part] = (uint8_t)v;
    }
    return i == n ? 4 : 0;
}

static int hexval(uint8_t c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = lower(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

static int parse_ipv6(const uint8_t *s, size_t n, uint8_t out[16])
{
    uint16_t w[8];
    int nw = 0, dc = -1;
    size_t i = 0;
    if (n >= 2 && s[0] == ':' && s[1] == ':') {
        dc = 0;
        i = 2;
    } else if (n == 0 || s[0] == ':') {
        return 0;
    }
    while (i < n) {
        if (nw == 8)
            return 0;
        if (memchr(s + i, ':', n - i) == NULL && memchr(s + i, '.', n - i) != NULL) {
            /* The last group is a dotted quad: it takes the last two 16-bit groups. */
            uint8_t v4[4];
            if (nw > 6 || !parse_ipv4(s + i, n - i, v4))
                return 0;
            w[nw++] = (uint16_t)(v4[0] << 8 | v4[1]);
            w[nw++] = (uint16_t)(v4[2] << 8 | v4[3]);
            i = n;
            break;
        }
        unsigned v = 0, nd = 0;
        int x;
        while (i < n && nd < 5 && (x = hexval(s[i])) >= 0) {
            v = v << 4 | (unsigned)x;
            nd++;
            i++;
        }
        if (nd == 0 || nd > 4)
            return 0;
        w[nw++] = (uint16_t)v;
        if (i == n)
            break;
        if (s[i] != ':')
            return 0;
        i++;
        if (i < n && s[i] == ':') {
            if (dc >= 0)
                return 0;                      /* only one "::" */
            dc = nw;
            i++;
        } else if (i == n) {
            return 0;                          /* trailing single ':' */
        }
    }
    if (dc < 0 ? nw != 8 : nw > 7)
        return 0;
    memset(out, 0, 16);
    int gap = 8 - nw, k = 0;
    for (int j = 0; j < nw; j++) {
        if (j == dc)
            k += gap;
        out[2 * k] = (uint8_t)(w[j] >> 8);
        out[2 * k + 1] = (uint8_t)w[j];
        k++;
    }
    return 16;
}

int dtls_x509_parse_ip(const char *str, size_t len, uint8_t out[16])
{
    const uint8_t *s = (const uint8_t *)str;
    if (s == NULL || len == 0 || len > 45)
        return 0;
    if (memchr(s, ':', len) != NULL)
        return parse_ipv6(s, len, out);
    return parse_ipv4(s, len, out);
}

/* ---------------------------------------------------------------------- */
/* Name constraints                                                         */
/* ---------------------------------------------------------------------- */

/* Is DNS name n inside the subtree of constraint c (RFC 5280 4.2.1.10)?
 * "example.com" covers itself and every name ending in ".example.com";
 * ".example.com" (a common extension) only the names below it; "" covers all. */
static int dns_within(const uint8_t *n, size_t nl, const uint8_t *c, size_t cl)
{
    if (nl && n[nl - 1] == '.')
        nl--;
    if (cl && c[cl - 1] == '.')
        cl--;
    if (cl == 0)
        return 1;
    if (c[0] == '.')
        return nl > cl && x509_ascii_ieq(n + nl - cl, c, cl);
    if (nl == cl)
        return x509_ascii_ieq(n, c, cl);
    return nl > cl && n[nl - cl - 1] == '.' && x509_ascii_ieq(n + nl - cl, c, cl);
}

/* Could the wildcard name "*.rest" match a name inside subtree c? Beyond
 * dns_within(n, c) this is the case c = "label.rest" (one label more). */
static int wildcard_hits(const uint8_t *n, size_t nl, const uint8_t *c, size_t cl)
{
    if (dns_within(n, nl, c, cl))
        return 1;
    if (nl < 2 || n[0] != '*' || n[1] != '.' || cl == 0 || c[0] == '.')
        return 0;
    const uint8_t *dot = memchr(c, '.', cl);
    if (dot == NULL || dot == c)
        return 0;
    size_t first = (size_t)(dot - c);
    return cl - first - 1 == nl - 2 && x509_ascii_ieq(dot + 1, n + 2, nl - 2);
}

static int ip_within(const uint8_t *ip, size_t il, const uint8_t *c, size_t cl)
{
    if (cl != 2 * il)
        return 0;
    for (size_t i = 0; i < il; i++)
        if ((ip[i] & c[il + i]) != (c[i] & c[il + i]))
            return 0;
    return 1;
}

/*
 * Check the leaf's names (the packed list of x509_names.h) against one CA's
 * NameConstraints contents. For each of the dNSName and iPAddress forms: if
 * any permitted subtree of the form exists, every leaf name of that form must
 * lie in one; no leaf name may lie in an excluded subtree. Constraints on
 * other forms cannot be evaluated (only dNSName / iPAddress names are kept),
 * so they are a violation whenever the leaf has a name of that form
 * (directoryName: any non-empty subject). If the leaf's names did not all fit
 * the store, any dNSName / iPAddress constraint is a violation: fail closed.
 */
int x509_nc_check(const uint8_t *nc, size_t nc_len, const uint8_t *names, size_t names_len, unsigned forms)
{
    int permitted_form[9] = { 0 };
    /* pass 0: which forms have permitted subtrees; forms we cannot evaluate */
    for (int pass = 0; pass < 2; pass++) {
        struct der d = { nc, nc_len };
        while (d.len) {
            struct der_tlv sub;
            if (der_next(&d, &sub) != 0)
                return DTLS_X509_E_NAME_CONSTRAINTS;
            int excluded = sub.num == 1;
            struct der subs = der_inside(&sub);
            while (subs.len) {
                struct der_tlv st, base;
                if (der_next(&subs, &st) != 0)
                    return DTLS_X509_E_NAME_CONSTRAINTS;
                struct der x = der_inside(&st);
                if (der_next(&x, &base) != 0 || base.num > 8)
                    return DTLS_X509_E_NAME_CONSTRAINTS;
                unsigned form = base.num;
                if (pass == 0) {
                    if (!excluded)
                        permitted_form[form] = 1;
                    if (form == 2 || form == 7) {
                        if (forms & X509_NAMES_OVERFLOW)
                            return DTLS_X509_E_NAME_CONSTRAINTS;
                    } else if (form == 4 ? (forms & (X509_NAMES_SUBJECT | 1u << 4)) : (forms & (1u << form))) {
                        return DTLS_X509_E_NAME_CONSTRAINTS;
                    }
                    continue;
                }
                if ((form != 2 && form != 7) || !excluded)
                    continue;
                /* pass 1: no leaf name of this form inside an excluded subtree */
                size_t i = 0;
                while (i + 2 <= names_len) {
                    unsigned t = names[i], l = names[i + 1];
                    const uint8_t *nm = names + i + 2;
                    if (t == form &&
                        (form == 2 ? wildcard_hits(nm, l, base.v, base.len) : ip_within(nm, l, base.v, base.len)))
                        return DTLS_X509_E_NAME_CONSTRAINTS;
                    i += 2 + l;
                }
            }
        }
    }
    /* every name of a form with permitted subtrees must be inside one of them */
    size_t i = 0;
    while (i + 2 <= names_len) {
        unsigned t = names[i], l = names[i + 1];
        const uint8_t *nm = names + i + 2;
        i += 2 + l;
        if (t > 8 || !permitted_form[t])
            continue;
        int inside = 0;
        struct der d2 = { nc, nc_len };
        struct der_tlv sub;
        while (!inside && d2.len && der_next(&d2, &sub) == 0) {
            if (sub.num != 0)
                continue;
            struct der subs = der_inside(&sub);
            struct der_tlv st, base;
            while (!inside && subs.len && der_next(&subs, &st) == 0) {
                struct der x = der_inside(&st);
                if (der_next(&x, &base) != 0 || base.num != t)
                    continue;
                inside = t == 2 ? dns_within(nm, l, base.v, base.len) : ip_within(nm, l, base.v, base.len);
            }
        }
        if (!inside)
            return DTLS_X509_E_NAME_CONSTRAINTS;
    }
    return 0;
}

/* Pack the SAN dNSName / iPAddress entries of the leaf as (form, len, bytes)
 * into names[0..cap); *forms gets a bit per other GeneralName form present
 * (1 << tag number), X509_NAMES_OVERFLOW when something did not fit, and
 * X509_NAMES_SUBJECT for a non-empty subject. Returns the bytes used. */
size_t x509_names_pack(const struct dtls_x509_cert *c, uint8_t *names, size_t cap, unsigned *forms)
{
    size_t pos = 0, used = 0, nl;
    unsigned type;
    const uint8_t *nm;
    *forms = c->subject_len > 2 ? X509_NAMES_SUBJECT : 0u;
    while (dtls_x509_san_next(c, &pos, &type, &nm, &nl)) {
        if (type != 2 && type != 7) {
            *forms |= 1u << type;
            continue;
        }
        if (nl > 255 || cap - used < 2 + nl) {
            *forms |= X509_NAMES_OVERFLOW;
            continue;
        }
        names[used] = (uint8_t)type;
        names[used + 1] = (uint8_t)nl;
        memcpy(names + used + 2, nm, nl);
        used += 2 + nl;
    }
    return used;
}

/* Does the certificate's SAN contain the reference identity? */
int x509_host_matches(const struct dtls_x509_cert *c, const char *host, size_t host_len, const uint8_t *ip,
                      size_t ip_len)
{
    size_t pos = 0, nl;
    unsigned type;
    const uint8_t *nm;
    while (dtls_x509_san_next(c, &pos, &type, &nm, &nl)) {
        if (ip_len) {
            if (type == 7 && nl == ip_len && memcmp(nm, ip, ip_len) == 0)
                return 1;
        } else if (type == 2 && dtls_x509_dns_match((const char *)nm, nl, host, host_len)) {
            return 1;
        }
    }
    return 0;
}

/* ---------------------------------------------------------------------- */
/* Name to string                                                           */
/* ---------------------------------------------------------------------- */

struct sbuf {
    char *p;
    size_t cap, len;
    int overflow;
};

static void put(struct sbuf *b, char ch)
{
    if (b->len + 1 < b->cap)
        b->p[b->len++] = ch;
    else
        b->overflow = 1;
}

static void puts_(struct sbuf *b, const char *s)
{
    while (*s)
        put(b, *s++);
}

static void put_hex(struct sbuf *b, uint8_t v)
{
    static const char hx[] = "0123456789ABCDEF";
    put(b, hx[v >> 4]);
    put(b, hx[v & 15]);
}

static void put_uint(struct sbuf *b, uint64_t v)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        put(b, tmp[--n]);
}

static void put_oid(struct sbuf *b, const uint8_t *o, size_t n)
{
    uint64_t v = 0;
    int first = 1;
    for (size_t i = 0; i < n; i++) {
        if (v > (UINT64_MAX >> 7)) {
            puts_(b, "?");
            return;
        }
        v = v << 7 | (o[i] & 0x7fu);
        if (o[i] & 0x80)
            continue;
        if (first) {
            uint64_t a = v < 40 ? 0 : v < 80 ? 1 : 2;
            put_uint(b, a);
            put(b, '.');
            put_uint(b, v - 40 * a);
            first = 0;
        } else {
            put(b, '.');
            put_uint(b, v);
        }
        v = 0;
    }
}

static void put_atv(struct sbuf *b, const uint8_t *oid, size_t oid_len, const struct der_tlv *val)
{
    static const struct {
        uint8_t oid[10];
        uint8_t len;
        const char *name;
    } names[] = {
        { { 0x55, 0x04, 0x03 }, 3, "CN" },
        { { 0x55, 0x04, 0x05 }, 3, "serialNumber" },
        { { 0x55, 0x04, 0x06 }, 3, "C" },
        { { 0x55, 0x04, 0x07 }, 3, "L" },
        { { 0x55, 0x04, 0x08 }, 3, "ST" },
        { { 0x55, 0x04, 0x0a }, 3, "O" },
        { { 0x55, 0x04, 0x0b }, 3, "OU" },
        { { 0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x19 }, 10, "DC" },
        { { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01 }, 9, "emailAddress" },
    };
    const char *nm = NULL;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (der_oid_eq(oid, oid_len, names[i].oid, names[i].len))
            nm = names[i].name;
    if (nm)
        puts_(b, nm);
    else
        put_oid(b, oid, oid_len);
    put(b, '=');
    /* string types: UTF8String, NumericString, PrintableString, T61String, IA5String, UniversalString, BMPString */
    int is_string = val->id == 0x0c || val->id == 0x12 || val->id == 0x13 || val->id == 0x14 || val->id == 0x16 ||
                    val->id == 0x1c || val->id == 0x1e;
    if (!is_string) {
        put(b, '#');
        for (size_t i = 0; i < val->raw_len; i++)
            put_hex(b, val->raw[i]);
        return;
    }
    for (size_t i = 0; i < val->len; i++) {
        uint8_t ch = val->v[i];
        int special = ch == ',' || ch == '+' || ch == '"' || ch == '\\' || ch == '<' || ch == '>' || ch == ';' ||
                      (i == 0 && (ch == '#' || ch == ' ')) || (i + 1 == val->len && ch == ' ');
        if (ch < 0x20 || ch >= 0x7f) {
            put(b, '\\');
            put_hex(b, ch);
        } else {
            if (special)
                put(b, '\\');
            put(b, (char)ch);
        }
    }
}

int dtls_x509_name_string(const uint8_t *name, size_t name_len, char *out, size_t cap)
{
    struct sbuf b = { out, cap, 0, 0 };
    struct der d = { name, name_len };
    struct der_tlv seq;
    if (cap)
        out[0] = 0;
    if (name == NULL || der_expect(&d, DER_SEQUENCE, &seq) != 0 || der_end(&d) != 0)
        return DTLS_X509_E_BAD_CERTIFICATE;
    /* RFC 4514 prints the RDNs last first: count them, then walk to each. */
    size_t count = 0;
    struct der r = der_inside(&seq);
    struct der_tlv set;
    while (r.len) {
        if (der_expect(&r, DER_SET, &set) != 0)
            return DTLS_X509_E_BAD_CERTIFICATE;
        count++;
    }
    for (size_t k = count; k-- > 0;) {
        r = der_inside(&seq);
        for (size_t j = 0; j <= k; j++)
            (void)der_next(&r, &set);
        struct der atvs = der_inside(&set);
        int first = 1;
        while (atvs.len) {
            struct der_tlv atv, val;
            const uint8_t *oid;
            size_t oid_len;
            if (der_expect(&atvs, DER_SEQUENCE, &atv) != 0)
                return DTLS_X509_E_BAD_CERTIFICATE;
            struct der x = der_inside(&atv);
            if (der_oid(&x, &oid, &oid_len) != 0 || der_next(&x, &val) != 0)
                return DTLS_X509_E_BAD_CERTIFICATE;
            if (!first)
                put(&b, '+');
            else if (k + 1 != count)
                put(&b, ',');
            first = 0;
            put_atv(&b, oid, oid_len, &val);
        }
    }
    if (cap)
        out[b.len] = 0;
    return b.overflow ? DTLS_X509_E_BUFFER_TOO_SMALL : (int)b.len;
}
