/*
 * Constant-time checks of the TLS layer (run by tests/ct/run-ct.sh under
 * valgrind memcheck, the same way as ct_crypto.c): the RFC 8446 key schedule
 * from a secret (EC)DHE or PSK input to every traffic secret and Finished
 * value, traffic-key installation, record sealing, record opening (the
 * engine's own receive path, fed through its I/O callback) and the KeyUpdate
 * secret step, for each of the three cipher suites.
 *
 *   ct_tls list        the names of the checks
 *   ct_tls NAME        run one check (under valgrind)
 *
 * What is secret: the (EC)DHE shared secret or the PSK, and everything derived
 * from them (secrets, keys, IVs, AEAD contexts). What is public again: what
 * goes on the wire (sealed records, our Finished), the outcome of the Finished
 * comparison, and a record's plaintext once the AEAD has authenticated it
 * (the peer sent it; the engine must parse it, which is what padding removal
 * and content-type checks do). The last one is declassified by wrapping the
 * crypto provider's AEAD open, the way a caller could wrap any primitive.
 * Not covered here: the key log callback (it writes secrets out on purpose,
 * as hex), and the signature and key-exchange primitives (ct_crypto.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <valgrind/memcheck.h>

#include <dtls/crypto.h>
#include <dtls/dtls.h>

#include "crypto/hmac.h"
#include "crypto/util.h"
#include "tls/tls.h"

#define BAD 3

static void secret(const void *p, size_t n) { (void)VALGRIND_MAKE_MEM_UNDEFINED(p, n); }
static void public(const void *p, size_t n) { (void)VALGRIND_MAKE_MEM_DEFINED(p, n); }

static int expect(int cond, const char *what)
{
    if (!cond)
        fprintf(stderr, "functional check failed: %s\n", what);
    return cond ? 0 : BAD;
}

static void fill(uint8_t *p, size_t n, uint32_t seed)
{
    uint32_t x = seed * 2654435761u + 1;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        p[i] = (uint8_t)(x >> 24);
    }
}

/* ---- a provider whose AEAD open declassifies what it authenticated ---------- */

static const struct dtls_aead *real_aead[3];

#define OPEN_WRAPPER(i)                                                                          \
    static int open_##i(const dtls_aead_ctx *c, const uint8_t nonce[12], const uint8_t *aad,   \
                        size_t aad_len, uint8_t *data, size_t len, const uint8_t tag[16])      \
    {                                                                                          \
        int rc = real_aead[i]->open(c, nonce, aad, aad_len, data, len, tag);                   \
        public(&rc, sizeof rc);                                                                \
        if (rc == 0)                                                                           \
            public(data, len);                                                                 \
        return rc;                                                                             \
    }
OPEN_WRAPPER(0)
OPEN_WRAPPER(1)
OPEN_WRAPPER(2)

static struct dtls_aead wrapped_aead[3];
static struct dtls_crypto provider;

static void provider_init(void)
{
    provider = dtls_crypto_builtin;
    real_aead[0] = provider.aes128gcm;
    real_aead[1] = provider.aes256gcm;
    real_aead[2] = provider.chacha20poly1305;
    int (*opens[3])(const dtls_aead_ctx *, const uint8_t[12], const uint8_t *, size_t, uint8_t *, size_t,
                    const uint8_t[16]) = { open_0, open_1, open_2 };
    for (int i = 0; i < 3; i++) {
        wrapped_aead[i] = *real_aead[i];
        wrapped_aead[i].open = opens[i];
    }
    provider.aes128gcm = &wrapped_aead[0];
    provider.aes256gcm = &wrapped_aead[1];
    provider.chacha20poly1305 = &wrapped_aead[2];
}

/* ---- a client with a loop-back transport ------------------------------------ */

static uint8_t wire[1 << 16];
static size_t wire_len, wire_off;

static long loop_read(void *ctx, uint8_t *buf, size_t len)
{
    (void)ctx;
    if (wire_off == wire_len)
        return DTLS_WANT_READ;
    size_t n = wire_len - wire_off < len ? wire_len - wire_off : len;
    memcpy(buf, wire + wire_off, n);
    wire_off += n;
    return (long)n;
}

static long loop_write(void *ctx, const uint8_t *buf, size_t len)
{
    (void)ctx;
    if (len > sizeof wire - wire_len)
        return DTLS_WANT_WRITE;
    memcpy(wire + wire_len, buf, len);
    public(wire + wire_len, len); /* on the wire: public */
    wire_len += len;
    return (long)len;
}

static int zero_rng(void *ctx, uint8_t *out, size_t len)
{
    (void)ctx;
    memset(out, 0, len);
    return 0;
}

static struct dtls_config cfg;
static struct dtls_client cl;
static uint8_t rxb[DTLS_RX_BUFFER_SIZE(0)], txb[DTLS_TX_BUFFER_SIZE(0)];

static int client_for(uint16_t suite)
{
    memset(&cfg, 0, sizeof cfg);
    cfg.crypto = &provider;
    cfg.rng = zero_rng;
    cfg.verify = DTLS_VERIFY_NONE;
    if (dtls_client_init(&cl, &cfg, rxb, sizeof rxb, txb, sizeof txb) != DTLS_OK)
        return expect(0, "dtls_client_init");
    dtls_client_set_io(&cl, loop_read, loop_write, NULL);
    cl.suite = suite;
    wire_len = wire_off = 0;
    return 0;
}

static const uint16_t suites[] = { DTLS_TLS_AES_128_GCM_SHA256, DTLS_TLS_AES_256_GCM_SHA384,
                                   DTLS_TLS_CHACHA20_POLY1305_SHA256 };

/* ---- the key schedule ------------------------------------------------------------ */

/* RFC 8446 7.1 from an (EC)DHE secret (and a PSK when psk): handshake secrets, both
 * Finished values (ours declassified as it is sent; theirs compared in constant time),
 * master, application and resumption secrets, one KeyUpdate step. */
static int key_schedule(uint16_t suite, int with_psk)
{
    int rc = client_for(suite);
    if (rc)
        return rc;
    const struct dtls_hash *h = dtls_ks_suite_hash(&cl, suite);
    uint8_t ecdhe[32], psk[48], s[48], c_hs[48], s_hs[48], c_ap[48], s_ap[48], res[48];
    uint8_t th[48], fin_c[48], fin_s[48], fin_s_peer[48];
    fill(ecdhe, sizeof ecdhe, 7u + suite);
    fill(psk, sizeof psk, 9u + suite);
    fill(th, sizeof th, 11u + suite); /* a transcript hash: public */
    secret(ecdhe, sizeof ecdhe);
    secret(psk, sizeof psk);

    dtls_ks_early(h, s, with_psk ? psk : NULL, h->digest_len);
    dtls_ks_advance(&cl, s, ecdhe, sizeof ecdhe);
    dtls_derive_secret(h, s, "c hs traffic", th, c_hs);
    dtls_derive_secret(h, s, "s hs traffic", th, s_hs);
    dtls_rec_set_keys(&cl, &cl.rd, s_hs);
    dtls_rec_set_keys(&cl, &cl.wr, c_hs);

    /* the server's Finished: computed, then compared with what "arrived" */
    dtls_ks_finished(h, s_hs, th, fin_s);
    memcpy(fin_s_peer, fin_s, sizeof fin_s_peer);
    public(fin_s_peer, h->digest_len);      /* it came off the wire */
    int same = dtls_ct_memeq(fin_s, fin_s_peer, h->digest_len);
    public(&same, sizeof same);
    dtls_ks_finished(h, c_hs, th, fin_c);
    public(fin_c, h->digest_len);           /* ours goes on the wire */

    dtls_ks_advance(&cl, s, NULL, 0);
    dtls_derive_secret(h, s, "c ap traffic", th, c_ap);
    dtls_derive_secret(h, s, "s ap traffic", th, s_ap);
    dtls_derive_secret(h, s, "res master", th, res);
    dtls_ks_next_secret(&cl, c_ap);
    dtls_rec_set_keys(&cl, &cl.wr, c_ap);
    dtls_wipe(s, sizeof s);
    /* (the functional check below looks at secrets: declassified for it, test-side) */
    public(fin_s, h->digest_len);
    public(c_hs, h->digest_len);
    public(s_hs, h->digest_len);
    return expect(same == 1, "the server Finished compares equal") |
           expect(memcmp(fin_c, fin_s, h->digest_len) != 0 && memcmp(c_hs, s_hs, h->digest_len) != 0,
                  "client and server secrets differ");
}

static int check_ks_aes128(void) { return key_schedule(suites[0], 0); }
static int check_ks_aes256(void) { return key_schedule(suites[1], 0); }
static int check_ks_chacha(void) { return key_schedule(suites[2], 0); }
static int check_ks_psk(void) { return key_schedule(suites[0], 1) | key_schedule(suites[1], 1); }

/* ---- records ------------------------------------------------------------------------ */

/* Seal n application-data records under secret keys, then read them back through the
 * engine's receive path (the read keys equal the write keys), and once more with a
 * flipped tag bit, which must be refused. */
static int records(uint16_t suite)
{
    int rc = client_for(suite);
    if (rc)
        return rc;
    uint8_t ts[48], msg[300], got[300];
    fill(ts, sizeof ts, 21u + suite);
    secret(ts, sizeof ts);
    dtls_rec_set_keys(&cl, &cl.wr, ts);
    dtls_rec_set_keys(&cl, &cl.rd, ts);
    cl.state = ST_CONNECTED;

    for (unsigned i = 0; i < 4; i++) {
        uint8_t *pt;
        size_t len = 50u + 80u * i;
        fill(msg, len, i);
        if (dtls_rec_out_space(&cl, &pt) < len)
            return expect(0, "room for a record");
        memcpy(pt, msg, len);
        dtls_rec_seal(&cl, CT_APPDATA, len);
        if (dtls_rec_flush(&cl) != DTLS_OK)
            return expect(0, "flush");

        uint8_t type, *content;
        size_t n;
        cl.hs_end = 0;
        if (dtls_rec_read(&cl, &type, &content, &n) != DTLS_OK)
            return expect(0, "the record opens");
        if (n > sizeof got)
            return expect(0, "record length");
        memcpy(got, content, n);
        rc |= expect(type == CT_APPDATA && n == len && memcmp(got, msg, len) == 0, "round trip");
    }

    /* a damaged tag: refused (bad_record_mac), the outcome public */
    uint8_t *pt;
    (void)dtls_rec_out_space(&cl, &pt);
    memset(pt, 'x', 40);
    dtls_rec_seal(&cl, CT_APPDATA, 40);
    (void)dtls_rec_flush(&cl);
    wire[wire_len - 1] ^= 1;
    uint8_t type, *content;
    size_t n;
    cl.hs_end = 0;
    rc |= expect(dtls_rec_read(&cl, &type, &content, &n) == DTLS_E_BAD_RECORD_MAC, "a damaged tag is refused");
    return rc;
}

static int check_rec_aes128(void) { return records(suites[0]); }
static int check_rec_aes256(void) { return records(suites[1]); }
static int check_rec_chacha(void) { return records(suites[2]); }

struct check {
    const char *name;
    int (*run)(void);
};

static const struct check checks[] = {
    { "tls-keysched-aes128gcm", check_ks_aes128 },
    { "tls-keysched-aes256gcm", check_ks_aes256 },
    { "tls-keysched-chacha20", check_ks_chacha },
    { "tls-keysched-psk", check_ks_psk },
    { "tls-records-aes128gcm", check_rec_aes128 },
    { "tls-records-aes256gcm", check_rec_aes256 },
    { "tls-records-chacha20", check_rec_chacha },
};

int main(int argc, char **argv)
{
    size_t n = sizeof checks / sizeof checks[0];
    if (argc == 2 && strcmp(argv[1], "list") == 0) {
        for (size_t i = 0; i < n; i++)
            printf("%s\n", checks[i].name);
        return 0;
    }
    provider_init();
    for (size_t i = 0; argc == 2 && i < n; i++)
        if (strcmp(argv[1], checks[i].name) == 0) {
            int rc = checks[i].run();
            printf("ct_crypto: %s rc=%d\n", checks[i].name, rc);
            return rc;
        }
    fprintf(stderr, "usage: ct_tls list | ct_tls NAME\n");
    return 2;
}
