/*
 * Host names and IP literals (src/x509/name.c): RFC 6125 matching rules,
 * IPv4/IPv6 parsing against inet_pton on generated and mutated strings,
 * and Name-to-string display.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include <dtls/x509.h>

#include "vectors.h"

static int m(const char *pattern, const char *host)
{
    return dtls_x509_dns_match(pattern, strlen(pattern), host, strlen(host));
}

Test(x509_names, rfc6125_dns_matching)
{
    static const struct {
        const char *pattern, *host;
        int match;
    } t[] = {
        { "example.com", "example.com", 1 },
        { "Example.COM", "eXample.com", 1 },
        { "example.com.", "example.com", 1 },
        { "example.com", "example.com.", 1 },
        { "example.com", "www.example.com", 0 },
        { "www.example.com", "example.com", 0 },
        { "*.example.com", "www.example.com", 1 },
        { "*.example.com", "WWW.EXAMPLE.COM", 1 },
        { "*.example.com", "example.com", 0 },
        { "*.example.com", "a.b.example.com", 0 },
        { "*.example.com", ".example.com", 0 },
        { "*.example.com", "www.example.org", 0 },
        { "*.com", "example.com", 0 },
        { "*.", "a.", 0 },
        { "*", "localhost", 0 },
        { "*.*.example.com", "a.b.example.com", 0 },
        { "f*.example.com", "foo.example.com", 0 },
        { "*o.example.com", "foo.example.com", 0 },
        { "w*w.example.com", "www.example.com", 0 },
        { "www.*.com", "www.example.com", 0 },
        { "*.co.uk", "example.co.uk", 1 }, /* no public suffix list: two labels are enough */
        { "*.example.com", "*.example.com", 0 },
        { "www.example.com", "www..example.com", 0 },
        { "", "", 0 },
        { "example.com", "", 0 },
        { "", "example.com", 0 },
        { ".", ".", 0 },
        { "a..b", "a..b", 0 },
        { "xn--caf-dma.example", "XN--CAF-DMA.example", 1 },
        { "*.xn--caf-dma.example", "a.xn--caf-dma.example", 1 },
        { "ex\xc3\xa4mple.com", "EX\xc3\xa4MPLE.COM", 1 }, /* only ASCII folds */
        { "ex\xc3\xa4mple.com", "EX\xc3\x84MPLE.COM", 0 },
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        cr_expect_eq(m(t[i].pattern, t[i].host), t[i].match, "\"%s\" vs \"%s\"", t[i].pattern, t[i].host);
    /* embedded NUL in a SAN never matches the prefix */
    cr_assert_eq(dtls_x509_dns_match("example.com\0.evil", 17, "example.com", 11), 0);
    cr_assert_eq(dtls_x509_dns_match(NULL, 0, "a", 1), 0);
}

static int parse(const char *s, uint8_t out[16])
{
    return dtls_x509_parse_ip(s, strlen(s), out);
}

/* inet_pton's verdict: 4, 16 or 0 */
static int ref_parse(const char *s, uint8_t out[16])
{
    if (strchr(s, ':'))
        return inet_pton(AF_INET6, s, out) == 1 ? 16 : 0;
    return inet_pton(AF_INET, s, out) == 1 ? 4 : 0;
}

Test(x509_names, ip_literals)
{
    static const struct {
        const char *s;
        int len;
        const char *hex;
    } t[] = {
        { "127.0.0.1", 4, "7f000001" },
        { "0.0.0.0", 4, "00000000" },
        { "255.255.255.255", 4, "ffffffff" },
        { "256.0.0.1", 0, NULL },
        { "1.2.3", 0, NULL },
        { "1.2.3.4.5", 0, NULL },
        { "01.2.3.4", 0, NULL },
        { "1.2.3.04", 0, NULL },
        { "1..2.3", 0, NULL },
        { " 1.2.3.4", 0, NULL },
        { "1.2.3.4 ", 0, NULL },
        { "1.2.3.4.", 0, NULL },
        { "0x7f.0.0.1", 0, NULL },
        { "1234.1.1.1", 0, NULL },
        { "::1", 16, "00000000000000000000000000000001" },
        { "::", 16, "00000000000000000000000000000000" },
        { "1::", 16, "00010000000000000000000000000000" },
        { "2001:DB8::8:800:200C:417A", 16, "20010db8000000000008080020 0c417a" },
        { "0:0:0:0:0:0:0:1", 16, "00000000000000000000000000000001" },
        { "::ffff:127.0.0.1", 16, "00000000000000000000ffff7f000001" },
        { "1:2:3:4:5:6:1.2.3.4", 16, "0001000200030004000500060102 0304" },
        { "1:2:3:4:5:6:7::", 16, "00010002000300040005000600070000" },
        { "::2:3:4:5:6:7:8", 16, "00000002000300040005000600070008" },
        { "1:2:3:4:5:6:7:8:9", 0, NULL },
        { "1::2::3", 0, NULL },
        { ":1::2", 0, NULL },
        { "1::2:", 0, NULL },
        { "12345::", 0, NULL },
        { "1:2:3:4:5:6:7:1.2.3.4", 0, NULL },
        { "::1.2.3.04", 0, NULL },
        { "fe80::1%eth0", 0, NULL },
        { "[::1]", 0, NULL },
        { "g::", 0, NULL },
        { "", 0, NULL },
        { "localhost", 0, NULL },
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        uint8_t out[16], want[16];
        int n = parse(t[i].s, out);
        cr_expect_eq(n, t[i].len, "\"%s\": %d", t[i].s, n);
        if (t[i].hex && n == t[i].len) {
            size_t k = 0;
            for (const char *h = t[i].hex; *h && k < 16; h++) {
                if (*h == ' ')
                    continue;
                unsigned v;
                sscanf(h, "%2x", &v);
                want[k++] = (uint8_t)v;
                h++;
            }
            cr_expect_eq(memcmp(out, want, (size_t)n), 0, "\"%s\" bytes", t[i].s);
        }
    }
}

/* Generated addresses, printed in many forms and mutated: same verdict and bytes as inet_pton. */
Test(x509_names, ip_literals_against_inet_pton)
{
    uint64_t rs = 7;
    unsigned ran = 0, accepted = 0;
    static const char alphabet[] = "0123456789abcdefABCDEF:.:%x ";
    for (int i = 0; i < 60000; i++) {
        char s[80];
        uint8_t a[16];
        test_rand_bytes(&rs, a, 16);
        int kind = (int)(test_rand_u32(&rs) % 4);
        if (kind == 0) {
            snprintf(s, sizeof s, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
        } else {
            /* zero some groups so "::" compression shows up */
            for (int g = 0; g < 8; g++)
                if (test_rand_u32(&rs) % 3 == 0)
                    a[2 * g] = a[2 * g + 1] = 0;
            if (!inet_ntop(AF_INET6, a, s, sizeof s))
                continue;
            if (kind == 2) {
                /* uncompressed, mixed case */
                snprintf(s, sizeof s, "%x:%X:%x:%x:%x:%X:%x:%x", a[0] << 8 | a[1], a[2] << 8 | a[3], a[4] << 8 | a[5],
                         a[6] << 8 | a[7], a[8] << 8 | a[9], a[10] << 8 | a[11], a[12] << 8 | a[13],
                         a[14] << 8 | a[15]);
            } else if (kind == 3) {
                snprintf(s, sizeof s, "::%u.%u.%u.%u", a[12], a[13], a[14], a[15]);
            }
        }
        /* half of them mutated: a character replaced, inserted or removed */
        if (test_rand_u32(&rs) & 1) {
            size_t n = strlen(s);
            size_t p = test_rand_u32(&rs) % (n + 1);
            char c = alphabet[test_rand_u32(&rs) % (sizeof alphabet - 1)];
            switch (test_rand_u32(&rs) % 3) {
            case 0:
                if (p < n)
                    s[p] = c;
                break;
            case 1:
                if (n + 1 < sizeof s) {
                    memmove(s + p + 1, s + p, n - p + 1);
                    s[p] = c;
                }
                break;
            default:
                if (p < n)
                    memmove(s + p, s + p + 1, n - p);
                break;
            }
        }
        uint8_t o1[16], o2[16];
        int r1 = parse(s, o1), r2 = ref_parse(s, o2);
        cr_assert_eq(r1, r2, "\"%s\": ours %d, inet_pton %d", s, r1, r2);
        if (r1)
            cr_assert_eq(memcmp(o1, o2, (size_t)r1), 0, "\"%s\" bytes differ", s);
        accepted += r1 != 0;
        ran++;
    }
    fprintf(stderr, "x509 IP literals vs inet_pton: %u strings, %u accepted\n", ran, accepted);
}
