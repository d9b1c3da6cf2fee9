/*
 * The library compiled as a firmware compiles it: with the DTLS_CONFIG_*
 * switches that leave features out, with the 32-bit bitsliced AES core of
 * 32-bit targets, and with the compact forms of the crypto loops that builds
 * for size get (DTLS_SMALL_CODE) (this program links its own copy of the
 * library sources, built with TRIMMED_DEFS, see Makefile.am). What was left out must be refused
 * when asked for, not silently ignored; what the protocol requires must still
 * work: a CertificateRequest is answered with an empty Certificate, a
 * NewSessionTicket the server sends anyway is dropped. The handshakes below
 * run their records through that AES core; it is also checked against
 * OpenSSL directly.
 */
#include <criterion/criterion.h>
#include <openssl/evp.h>

#include <stdlib.h>
#include <string.h>

#include <dtls/crypto_algs.h>
#include <dtls/dtls.h>

#include "crypto/aes.h"
#include "crypto/aes_ct64.h"
#include "tls_replay.h"
#include "vectors.h"

#if !defined(DTLS_CONFIG_NO_RESUMPTION) || !defined(DTLS_CONFIG_NO_CLIENT_AUTH) || \
    !defined(DTLS_CONFIG_NO_KEYLOG) || !defined(DTLS_CONFIG_NO_BUILTIN_CRYPTO) || !defined(DTLS_CONFIG_NO_NAMES)
#error "build with TRIMMED_DEFS (Makefile.am)"
#endif
#if !DTLS_AES_CT32 || !defined(DTLS_SMALL_CODE)
#error "build with -DDTLS_AES_CT32=1 -DDTLS_SMALL_CODE (TRIMMED_DEFS)"
#endif

static struct run *trimmed_run(void)
{
    struct run *r = run_new();
    r->cfg.session_load = NULL;
    r->cfg.session_store = NULL;
    r->cfg.keylog = NULL;
    return r;
}

static int init(struct run *r)
{
    return dtls_client_init(&r->c, &r->cfg, r->rx, sizeof r->rx, r->tx, sizeof r->tx);
}

static int sign_stub(void *ctx, uint16_t scheme, const uint8_t *msg, size_t len, uint8_t *sig, size_t *sig_len)
{
    (void)ctx, (void)scheme, (void)msg, (void)len, (void)sig, (void)sig_len;
    return -1;
}

Test(trimmed, features_left_out_are_refused)
{
    static const uint8_t der[1] = { 0x30 };
    static const struct dtls_der chain[1] = { { der, 1 } };
    static const uint16_t schemes[] = { DTLS_SIG_ECDSA_SECP256R1_SHA256, 0 };
    struct run *r = run_new();   /* session callbacks and key log set */
    const struct dtls_crypto *cr = r->cfg.crypto;

    cr_assert_eq(init(r), DTLS_E_CONFIG, "session_load/store and keylog in a build without them");
    r->cfg.session_load = NULL;
    cr_assert_eq(init(r), DTLS_E_CONFIG, "session_store");
    r->cfg.session_store = NULL;
    cr_assert_eq(init(r), DTLS_E_CONFIG, "keylog");
    r->cfg.keylog = NULL;
    cr_assert_eq(init(r), DTLS_OK);

    r->cfg.client_chain = chain;
    r->cfg.client_chain_len = 1;
    r->cfg.client_schemes = schemes;
    r->cfg.sign = sign_stub;
    cr_assert_eq(init(r), DTLS_E_CONFIG, "client authentication");
    r->cfg.client_chain = NULL;
    r->cfg.client_chain_len = 0;
    r->cfg.client_schemes = NULL;
    r->cfg.sign = NULL;
    cr_assert_eq(init(r), DTLS_OK);

    r->cfg.crypto = NULL; /* no built-in table to fall back to */
    cr_assert_eq(init(r), DTLS_E_CONFIG, "cfg.crypto is required");
    r->cfg.crypto = cr;
    cr_assert_eq(init(r), DTLS_OK);
    free(r);
}

/* The extension types of a ClientHello message (header included). */
static size_t ch_ext_types(const uint8_t *ch, size_t len, uint16_t *types, size_t cap)
{
    size_t off = 4 + 2 + 32, n = 0, end;
    off += 1 + ch[off];                                    /* session id */
    off += 2 + (size_t)((ch[off] << 8) | ch[off + 1]);     /* suites */
    off += 1 + ch[off];                                    /* compression */
    end = off + 2 + (size_t)((ch[off] << 8) | ch[off + 1]);
    cr_assert_eq(end, len, "extension block ends the ClientHello");
    for (off += 2; off + 4 <= end && n < cap; n++) {
        types[n] = (uint16_t)((ch[off] << 8) | ch[off + 1]);
        off += 4 + (size_t)((ch[off + 2] << 8) | ch[off + 3]);
    }
    cr_assert_eq(off, end);
    return n;
}

Test(trimmed, client_hello_offers_no_resumption)
{
    struct hs h;
    uint16_t types[32];
    int key_share = 0;
    hs_start_with(&h, trimmed_run());
    size_t n = ch_ext_types(h.ch, h.ch_len, types, 32);
    for (size_t i = 0; i < n; i++) {
        cr_assert_neq(types[i], 41, "pre_shared_key offered");
        /* psk_key_exchange_modes is also what makes a server send tickets (RFC 8446 4.2.9) */
        cr_assert_neq(types[i], 45, "psk_key_exchange_modes offered");
        key_share |= types[i] == 51;
    }
    cr_assert(key_share);
    hs_end(&h);
}

Test(trimmed, certificate_request_gets_an_empty_certificate)
{
    /* the same exchange as handshake::certificate_request_without_client_certificate */
    struct hs h;
    static const uint8_t cr[] = { 13, 0, 0, 11, 0, 0, 8, 0, 13, 0, 4, 0, 2, 4, 3 };
    hs_start_with(&h, trimmed_run());
    server_hello(&h);
    server_flight_cr(&h, NULL, 0, cr, sizeof cr);
    expect_empty_certificate(&h);
    hs_end(&h);
}

Test(trimmed, new_session_ticket_is_dropped)
{
    struct hs h;
    uint8_t buf[16];
    /* lifetime 60 s, age_add 1, empty nonce, a 2-byte ticket, no extensions */
    static const uint8_t nst[] = { 4, 0, 0, 15, 0, 0, 0, 60, 0, 0, 0, 1, 0, 0, 2, 0xaa, 0xbb, 0, 0 };
    hs_start_with(&h, trimmed_run());
    server_hello(&h);
    server_flight(&h);
    expect_connected(&h);
    send_enc(&h, &h.s.sap, 22, nst, sizeof nst);
    send_enc(&h, &h.s.sap, 23, (const uint8_t *)"hello", 5);
    cr_assert_eq(dtls_read(&h.r->c, buf, sizeof buf), 5);
    cr_assert(memcmp(buf, "hello", 5) == 0);
    cr_assert_eq(h.r->p.out_len, 0, "nothing sent back");
    hs_end(&h);
}

Test(trimmed, short_error_names)
{
    cr_assert_str_eq(dtls_strerror(DTLS_OK), "ok");
    cr_assert_str_eq(dtls_strerror(DTLS_E_BUFFER), "buffer");
    cr_assert_str_eq(dtls_strerror(DTLS_E_UNKNOWN_CA), "unknown_ca");
    cr_assert_str_eq(dtls_strerror(DTLS_E_BAD_RECORD_MAC), "bad_record_mac");
    cr_assert_str_eq(dtls_strerror(DTLS_E_PEER_ALERT(40)), "handshake_failure");
    cr_assert_str_eq(dtls_strerror(DTLS_X509_E_EXPIRED), "certificate_expired");
    cr_assert_str_eq(dtls_strerror(-99), "unknown_error");
    cr_assert_str_eq(dtls_alert_name(48), "unknown_ca");
    cr_assert_str_eq(dtls_alert_name(7), "unknown");
    cr_assert_str_eq(dtls_cipher_suite_name(DTLS_TLS_AES_128_GCM_SHA256), "TLS_AES_128_GCM_SHA256");
}

/* The 32-bit AES core against OpenSSL: ECB over every key size and 1..7 blocks
 * (so both halves of the interface's 64-bit words), and AES-GCM seal/open. */
Test(trimmed, aes_on_32_bit_words_matches_openssl)
{
    uint64_t rs = 0x32;
    for (int it = 0; it < 600; it++) {
        size_t kl = it % 3 == 0 ? 16 : it % 3 == 1 ? 24 : 32, nb = 1 + (size_t)it % 7;
        uint8_t key[32], in[112], out[112], ref[112];
        int l;
        for (size_t i = 0; i < sizeof key; i++)
            key[i] = (uint8_t)test_rand_u32(&rs);
        for (size_t i = 0; i < sizeof in; i++)
            in[i] = (uint8_t)test_rand_u32(&rs);
        dtls_aes_key k;
        cr_assert_eq(dtls_aes_set_key(&k, key, kl), 0);
        dtls_aes_encrypt_blocks(&k, in, out, nb);
        EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
        EVP_EncryptInit_ex(c, kl == 16 ? EVP_aes_128_ecb() : kl == 24 ? EVP_aes_192_ecb() : EVP_aes_256_ecb(), NULL,
                           key, NULL);
        EVP_CIPHER_CTX_set_padding(c, 0);
        cr_assert(EVP_EncryptUpdate(c, ref, &l, in, (int)(16 * nb)) == 1);
        EVP_CIPHER_CTX_free(c);
        cr_assert(memcmp(out, ref, 16 * nb) == 0, "AES-%zu, %zu blocks, iteration %d", 8 * kl, nb, it);
    }
    for (int it = 0; it < 200; it++) {
        const struct dtls_aead *a = it & 1 ? &dtls_aead_aes256gcm_portable : &dtls_aead_aes128gcm_portable;
        uint8_t key[32], nonce[12], aad[13], buf[300], ref[300], tag[16], rtag[16];
        size_t n = (size_t)test_rand_u32(&rs) % sizeof buf;
        int l;
        for (size_t i = 0; i < sizeof key; i++)
            key[i] = (uint8_t)test_rand_u32(&rs);
        for (size_t i = 0; i < sizeof nonce; i++)
            nonce[i] = (uint8_t)test_rand_u32(&rs);
        for (size_t i = 0; i < sizeof aad; i++)
            aad[i] = (uint8_t)test_rand_u32(&rs);
        for (size_t i = 0; i < n; i++)
            buf[i] = ref[i] = (uint8_t)test_rand_u32(&rs);
        dtls_aead_ctx ctx;
        a->init(&ctx, key);
        a->seal(&ctx, nonce, aad, sizeof aad, buf, n, tag);
        EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
        EVP_EncryptInit_ex(c, a->key_len == 16 ? EVP_aes_128_gcm() : EVP_aes_256_gcm(), NULL, key, nonce);
        cr_assert(EVP_EncryptUpdate(c, NULL, &l, aad, (int)sizeof aad) == 1);
        if (n)
            cr_assert(EVP_EncryptUpdate(c, ref, &l, ref, (int)n) == 1);
        cr_assert(EVP_EncryptFinal_ex(c, ref + n, &l) == 1);
        cr_assert(EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, rtag) == 1);
        EVP_CIPHER_CTX_free(c);
        cr_assert(memcmp(buf, ref, n) == 0 && memcmp(tag, rtag, 16) == 0, "%s, %zu bytes", a->name, n);
        cr_assert_eq(a->open(&ctx, nonce, aad, sizeof aad, buf, n, tag), 0);
        tag[it % 16] ^= 1;
        cr_assert_eq(a->open(&ctx, nonce, aad, sizeof aad, buf, n, tag), -1);
    }
}

/* ChaCha20-Poly1305 (compact forms) against OpenSSL, every length to 300. */
Test(trimmed, chacha20_poly1305_matches_openssl)
{
    uint64_t rs = 0x20;
    for (size_t n = 0; n <= 300; n++) {
        uint8_t key[32], nonce[12], aad[17], buf[300], ref[316], tag[16];
        size_t al = n % sizeof aad;
        int l;
        for (size_t i = 0; i < sizeof key; i++)
            key[i] = (uint8_t)test_rand_u32(&rs);
        for (size_t i = 0; i < sizeof nonce; i++)
            nonce[i] = (uint8_t)test_rand_u32(&rs);
        for (size_t i = 0; i < sizeof aad; i++)
            aad[i] = (uint8_t)test_rand_u32(&rs);
        for (size_t i = 0; i < n; i++)
            buf[i] = ref[i] = (uint8_t)test_rand_u32(&rs);
        dtls_aead_ctx ctx;
        dtls_aead_chacha20poly1305.init(&ctx, key);
        dtls_aead_chacha20poly1305.seal(&ctx, nonce, aad, al, buf, n, tag);
        EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
        cr_assert(EVP_EncryptInit_ex(c, EVP_chacha20_poly1305(), NULL, key, nonce) == 1);
        cr_assert(EVP_EncryptUpdate(c, NULL, &l, aad, (int)al) == 1);
        if (n)
            cr_assert(EVP_EncryptUpdate(c, ref, &l, ref, (int)n) == 1);
        cr_assert(EVP_EncryptFinal_ex(c, ref + n, &l) == 1);
        cr_assert(EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, 16, ref + n) == 1);
        EVP_CIPHER_CTX_free(c);
        cr_assert(memcmp(buf, ref, n) == 0 && memcmp(tag, ref + n, 16) == 0, "%zu bytes", n);
        cr_assert_eq(dtls_aead_chacha20poly1305.open(&ctx, nonce, aad, al, buf, n, tag), 0);
    }
}
