/*
 * libFuzzer target: the text formats. PEM armour and base64 (into a scratch
 * buffer and in place), PEM trust-anchor bundles, PEM private keys (EC, Ed25519,
 * RSA), curl-style
 * pin lists, and the host-name / IP-literal matchers.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude -Isrc \
 *       src/crypto/[a-z]*.c src/x509/[a-z]*.c tests/fuzz/fuzz_pem.c -o fuzz_pem   (all .c files)
 *   ./fuzz_pem -max_total_time=60 tests/fuzz/corpus/pem
 *
 * The input is copied into an exactly-sized heap buffer for every call so
 * AddressSanitizer sees any read past its end.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <dtls/x509.h>
#include <dtls/crypto_algs.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t scratch[8192];
    char *text = malloc(size ? size : 1);
    if (!text)
        return 0;

    /* PEM blocks into scratch */
    memcpy(text, data, size);
    size_t pos = 0;
    struct dtls_pem_block b;
    int guard = 0;
    while (guard++ < 1000) {
        int r = dtls_pem_next(text, size, &pos, scratch, sizeof scratch, &b);
        if (r == 0 || (r < 0 && r != DTLS_X509_E_BUFFER_TOO_SMALL))
            break;
        if (r == 1 && (b.der < scratch || b.der + b.der_len > scratch + sizeof scratch))
            abort();
    }
    /* in place */
    pos = 0;
    guard = 0;
    while (guard++ < 1000) {
        int r = dtls_pem_next_inplace(text, size, &pos, &b);
        if (r != 1)
            break;
        if ((char *)b.der < text || (char *)b.der + b.der_len > text + size)
            abort();
    }

    /* bundles and keys */
    struct dtls_x509_anchor a[4];
    size_t skipped;
    memcpy(text, data, size);
    dtls_x509_anchors_from_pem(text, size, scratch, sizeof scratch, a, 4, &skipped);
    dtls_x509_anchors_from_pem(text, size, scratch, sizeof scratch, NULL, 0, &skipped);
    dtls_x509_anchors_from_pem_inplace(text, size, a, 4, &skipped);
    memcpy(text, data, size);
    struct dtls_x509_private_key k;
    if (dtls_x509_private_key_from_pem(text, size, scratch, 512, &k) == 0)
        dtls_x509_private_key_wipe(&k);
    dtls_x509_private_key_from_der(data, size, &k);
    dtls_x509_private_key_wipe(&k);
    struct dtls_rsa_private_key rk;
    memcpy(text, data, size);
    if (dtls_x509_rsa_private_key_from_der((const uint8_t *)text, size, &rk) == 0) {
        const uint8_t *ps[7] = { rk.n, rk.e, rk.p, rk.q, rk.dp, rk.dq, rk.qinv };
        size_t ls[7] = { rk.n_len, rk.e_len, rk.p_len, rk.q_len, rk.dp_len, rk.dq_len, rk.qinv_len };
        for (int i = 0; i < 7; i++)
            if (ps[i] < (const uint8_t *)text || ps[i] + ls[i] > (const uint8_t *)text + size)
                abort();
    }

    /* base64 and pins */
    dtls_base64_decode(text, size, scratch, sizeof scratch);
    char *z = malloc(size + 1);
    if (z) {
        memcpy(z, data, size);
        z[size] = 0;
        static const uint8_t h[32];
        dtls_x509_pin_check(z, h);
        free(z);
    }

    /* names: pattern and host split at the first newline */
    const char *nl = memchr(text, '\n', size);
    size_t plen = nl ? (size_t)(nl - text) : size;
    const char *host = nl ? nl + 1 : text + size;
    size_t hlen = nl ? size - plen - 1 : 0;
    dtls_x509_dns_match(text, plen, host, hlen);
    uint8_t ip[16];
    dtls_x509_parse_ip(text, size, ip);
    dtls_x509_parse_ip(host, hlen, ip);
    free(text);
    return 0;
}
