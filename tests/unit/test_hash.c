/*
 * SHA-256/384/512, HMAC, HKDF and the TLS 1.3 HKDF-Expand-Label /
 * Derive-Secret helpers: NIST CAVP and Wycheproof vectors, RFC examples,
 * the RFC 8448 key-schedule trace, streaming and context-copy behaviour,
 * and differential tests against OpenSSL's libcrypto on random inputs.
 */
#include <criterion/criterion.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>

#include <stdlib.h>
#include <string.h>

#include "crypto/hmac.h"
#include "crypto/sha2.h"
#include "vectors.h"

/* ---- helpers ------------------------------------------------------------ */

static void hexdump(const char *label, const uint8_t *p, size_t n)
{
    fprintf(stderr, "  %s: ", label);
    for (size_t i = 0; i < n; i++)
        fprintf(stderr, "%02x", p[i]);
    fprintf(stderr, "\n");
}

/* Asserts equality, printing both values on mismatch. */
static void expect_eq(const uint8_t *got, const uint8_t *want, size_t n, const char *what)
{
    if (memcmp(got, want, n) != 0) {
        fprintf(stderr, "mismatch: %s\n", what);
        hexdump("got ", got, n);
        hexdump("want", want, n);
        cr_assert_fail("%s: mismatch", what);
    }
}

static void expect_hex(const uint8_t *got, size_t n, const char *hex, const char *what)
{
    size_t len;
    uint8_t *want = vec_hex(hex, &len);
    cr_assert_eq(len, n, "%s: expected %zu bytes, vector has %zu", what, n, len);
    expect_eq(got, want, n, what);
    free(want);
}

/* One-shot digest through the struct dtls_hash interface. */
static void hash_oneshot(const struct dtls_hash *h, const void *data, size_t len, uint8_t *out)
{
    dtls_hash_ctx c;
    h->init(&c);
    h->update(&c, data, len);
    h->final(&c, out);
}

static const EVP_MD *evp_of(const struct dtls_hash *h)
{
    switch (h->digest_len) {
    case 32:
        return EVP_sha256();
    case 48:
        return EVP_sha384();
    default:
        return EVP_sha512();
    }
}

/* ---- basic properties of the hash descriptors --------------------------- */

Test(hash, descriptors)
{
    cr_assert_str_eq(dtls_hash_sha256.name, "SHA-256");
    cr_assert_str_eq(dtls_hash_sha384.name, "SHA-384");
    cr_assert_str_eq(dtls_hash_sha512.name, "SHA-512");
    cr_assert_eq(dtls_hash_sha256.digest_len, 32);
    cr_assert_eq(dtls_hash_sha384.digest_len, 48);
    cr_assert_eq(dtls_hash_sha512.digest_len, 64);
    cr_assert_eq(dtls_hash_sha256.block_len, 64);
    cr_assert_eq(dtls_hash_sha384.block_len, 128);
    cr_assert_eq(dtls_hash_sha512.block_len, 128);
}

/* ---- FIPS 180-4 examples ------------------------------------------------ */

static const char ABC448[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
static const char ABC896[] = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
                             "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";

Test(hash, fips_examples)
{
    uint8_t md[64];

    dtls_sha256("abc", 3, md);
    expect_hex(md, 32, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "sha256 abc");
    dtls_sha256("", 0, md);
    expect_hex(md, 32, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "sha256 empty");
    dtls_sha256(ABC448, strlen(ABC448), md);
    expect_hex(md, 32, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1", "sha256 448-bit");

    dtls_sha384("abc", 3, md);
    expect_hex(md, 48,
               "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed"
               "8086072ba1e7cc2358baeca134c825a7",
               "sha384 abc");
    dtls_sha384(ABC896, strlen(ABC896), md);
    expect_hex(md, 48,
               "09330c33f71147e83d192fc782cd1b4753111b173b3b05d22fa08086e3b0f712"
               "fcc7c71a557e2db966c3e9fa91746039",
               "sha384 896-bit");

    dtls_sha512("abc", 3, md);
    expect_hex(md, 64,
               "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
               "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
               "sha512 abc");
    dtls_sha512(ABC896, strlen(ABC896), md);
    expect_hex(md, 64,
               "8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018"
               "501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909",
               "sha512 896-bit");
}

/* One million 'a', fed in 1000-byte pieces (so the test also streams). */
Test(hash, fips_million_a)
{
    static uint8_t chunk[1000];
    uint8_t md[64];
    dtls_sha256_ctx c256;
    dtls_sha512_ctx c384, c512;

    memset(chunk, 'a', sizeof chunk);
    dtls_sha256_init(&c256);
    dtls_sha384_init(&c384);
    dtls_sha512_init(&c512);
    for (int i = 0; i < 1000; i++) {
        dtls_sha256_update(&c256, chunk, sizeof chunk);
        dtls_sha512_update(&c384, chunk, sizeof chunk);
        dtls_sha512_update(&c512, chunk, sizeof chunk);
    }
    dtls_sha256_final(&c256, md);
    expect_hex(md, 32, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0", "sha256 1M a");
    dtls_sha384_final(&c384, md);
    expect_hex(md, 48,
               "9d0e1809716474cb086e834e310a4a1ced149e9c00f248527972cec5704c2a5b"
               "07b8b3dc38ecc4ebae97ddd87f3d8985",
               "sha384 1M a");
    dtls_sha512_final(&c512, md);
    expect_hex(md, 64,
               "e718483d0ce769644e2e42c7bc15b4638e1f98b13b2044285632a803afa973eb"
               "de0ff244877ea60a4cb0432ce577c31beb009c5c2c49aa2e4eadb217ad8cc09b",
               "sha512 1M a");
}

/* final wipes the context (sha2.h contract). */
Test(hash, final_wipes_context)
{
    static const uint8_t zero[sizeof(dtls_sha512_ctx)];
    uint8_t md[64];
    dtls_sha256_ctx c256;
    dtls_sha512_ctx c512;

    dtls_sha256_init(&c256);
    dtls_sha256_update(&c256, "abc", 3);
    dtls_sha256_final(&c256, md);
    cr_assert(memcmp(&c256, zero, sizeof c256) == 0, "sha256 context not wiped");
    dtls_sha384_init(&c512);
    dtls_sha512_update(&c512, "abc", 3);
    dtls_sha384_final(&c512, md);
    cr_assert(memcmp(&c512, zero, sizeof c512) == 0, "sha384 context not wiped");
}

/* ---- NIST CAVP SHAVS byte-oriented responses ----------------------------- */

/* Reads the whole file; NULL when the vectors are absent. */
static char *slurp(const char *rel)
{
    FILE *f = vec_open(rel);
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0, r;
    char *s = malloc(cap + 1);
    cr_assert_not_null(s);
    while ((r = fread(s + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap) {
            cap *= 2;
            s = realloc(s, cap + 1);
            cr_assert_not_null(s);
        }
    }
    fclose(f);
    s[n] = 0;
    return s;
}

/*
 * Records are "Len = <bits>", "Msg = <hex>", "MD = <hex>" lines (LF or
 * CRLF); "#" comments and "[L = ..]" headers are skipped. Len = 0 comes
 * with Msg = 00, which stands for the empty message. Each message is hashed
 * one-shot and, to exercise buffering, split at a varying point.
 */
static void run_rsp(const char *rel, const struct dtls_hash *h, unsigned expect_min)
{
    char *text = slurp(rel);
    if (!text)
        cr_skip_test("%s", vec_missing_msg());

    unsigned ran = 0;
    long bits = -1;
    uint8_t *msg = NULL;
    size_t msg_len = 0;
    char *line = text;
    while (*line) {
        char *end = line + strcspn(line, "\r\n");
        char *next = end + strspn(end, "\r\n");
        *end = 0;
        if (strncmp(line, "Len = ", 6) == 0) {
            bits = strtol(line + 6, NULL, 10);
            cr_assert(bits >= 0 && bits % 8 == 0, "%s: bad Len line '%s'", rel, line);
        } else if (strncmp(line, "Msg = ", 6) == 0) {
            free(msg);
            msg = vec_hex(line + 6, &msg_len);
        } else if (strncmp(line, "MD = ", 5) == 0) {
            cr_assert(bits >= 0 && msg, "%s: MD before Len/Msg", rel);
            size_t len = (size_t)bits / 8;
            cr_assert(len <= msg_len, "%s: Msg shorter than Len", rel);
            uint8_t md[64];
            char what[96];
            snprintf(what, sizeof what, "%s Len=%ld one-shot", rel, bits);
            hash_oneshot(h, msg, len, md);
            expect_hex(md, h->digest_len, line + 5, what);

            dtls_hash_ctx c;
            size_t cut = len ? (ran * 7u) % (len + 1) : 0;
            h->init(&c);
            h->update(&c, msg, cut);
            h->update(&c, msg + cut, len - cut);
            h->final(&c, md);
            snprintf(what, sizeof what, "%s Len=%ld split at %zu", rel, bits, cut);
            expect_hex(md, h->digest_len, line + 5, what);
            ran++;
            bits = -1;
        }
        line = next;
    }
    free(msg);
    free(text);
    vec_report(rel, ran, 0);
    cr_assert(ran >= expect_min, "%s: only %u records parsed", rel, ran);
}

Test(hash, nist_sha256_short)
{
    run_rsp("nist/SHA256ShortMsg.rsp", &dtls_hash_sha256, 65);
}

Test(hash, nist_sha256_long)
{
    run_rsp("nist/SHA256LongMsg.rsp", &dtls_hash_sha256, 64);
}

Test(hash, nist_sha384_short)
{
    run_rsp("nist/SHA384ShortMsg.rsp", &dtls_hash_sha384, 129);
}

/*
 * SHA-256 has two compression functions: the x86 SHA extensions where the
 * CPU has them (what the hashing above ran on such a CPU) and the portable
 * one. They must agree on any state and data, and the fast one must really
 * be taken where the CPU has the instructions.
 */
Test(hash, sha256_fast_path_matches_portable)
{
    static uint8_t data[64 * 9];
    uint64_t rng = 0x5ba256;
    int have = 0;
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12
    have = __builtin_cpu_supports("sha") && __builtin_cpu_supports("sse4.1") && __builtin_cpu_supports("ssse3");
#endif
    cr_assert_eq(dtls_sha256_accelerated(), have, "SHA extensions %s", have ? "present but not used" : "used?");
    for (int iter = 0; iter < 2000; iter++) {
        uint32_t a[8], b[8];
        size_t n = 1 + test_rand_u32(&rng) % 9;
        test_rand_bytes(&rng, (uint8_t *)a, sizeof a);
        if (iter == 0)
            memset(a, 0xff, sizeof a);
        memcpy(b, a, sizeof a);
        test_rand_bytes(&rng, data, 64 * n);
        dtls_sha256_blocks(a, data, n);
        dtls_sha256_blocks_portable(b, data, n);
        cr_assert(memcmp(a, b, sizeof a) == 0, "iteration %d, %zu blocks", iter, n);
    }
    fprintf(stderr, "sha256: the SHA-extensions path is %s on this CPU\n", have ? "used (and tested)" : "not available");
}

/* ---- streaming and context copies ---------------------------------------- */

static const struct dtls_hash *const ALL[3] = {&dtls_hash_sha256, &dtls_hash_sha384, &dtls_hash_sha512};

/* The same bytes fed in random pieces (including empty ones) give the one-shot digest. */
Test(hash, streaming_random_splits)
{
    static uint8_t data[5000];
    uint64_t rng = 0x5eed0001;
    test_rand_bytes(&rng, data, sizeof data);

    for (int k = 0; k < 3; k++) {
        const struct dtls_hash *h = ALL[k];
        for (int iter = 0; iter < 300; iter++) {
            size_t len = test_rand_u32(&rng) % (sizeof data + 1);
            uint8_t want[64], got[64];
            dtls_hash_ctx c;
            hash_oneshot(h, data, len, want);
            h->init(&c);
            size_t off = 0;
            while (off < len) {
                /* mostly small pieces, sometimes large, sometimes empty */
                uint32_t r = test_rand_u32(&rng);
                size_t piece = (r & 3) == 0 ? r % 700 : (r >> 2) % 140;
                if (piece > len - off)
                    piece = len - off;
                h->update(&c, data + off, piece);
                off += piece;
            }
            h->final(&c, got);
            expect_eq(got, want, h->digest_len, h->name);
        }
    }
}

/*
 * Copying a running context forks the hash: both copies continue
 * independently (the TLS transcript takes intermediate hashes this way).
 */
Test(hash, context_copy_forks)
{
    static uint8_t data[3000];
    uint64_t rng = 0x5eed0002;
    test_rand_bytes(&rng, data, sizeof data);

    for (int k = 0; k < 3; k++) {
        const struct dtls_hash *h = ALL[k];
        for (int iter = 0; iter < 100; iter++) {
            size_t pre = test_rand_u32(&rng) % 1000;
            size_t a = test_rand_u32(&rng) % 1000, b = test_rand_u32(&rng) % 1000;
            uint8_t want_a[64], want_b[64], want_pre[64], got[64];
            uint8_t *buf = malloc(pre + 1000);
            cr_assert_not_null(buf);

            memcpy(buf, data, pre);
            memcpy(buf + pre, data + 1000, a);
            hash_oneshot(h, buf, pre + a, want_a);
            memcpy(buf + pre, data + 2000, b);
            hash_oneshot(h, buf, pre + b, want_b);
            hash_oneshot(h, buf, pre, want_pre);
            free(buf);

            dtls_hash_ctx run, fork1, fork2;
            h->init(&run);
            h->update(&run, data, pre);
            fork1 = run;
            fork2 = run;
            h->final(&fork2, got); /* intermediate hash, run unaffected */
            expect_eq(got, want_pre, h->digest_len, "intermediate");
            h->update(&run, data + 1000, a);
            h->update(&fork1, data + 2000, b);
            h->final(&run, got);
            expect_eq(got, want_a, h->digest_len, "original after fork");
            h->final(&fork1, got);
            expect_eq(got, want_b, h->digest_len, "fork");
        }
    }
}

/* ---- HMAC: RFC 4231 ------------------------------------------------------ */

struct rfc4231 {
    const char *key_hex; /* NULL: key is `fill` repeated key_len times */
    uint8_t fill;
    size_t key_len;
    const char *data; /* ASCII, or NULL: `dfill` repeated 50 times */
    uint8_t dfill;
    size_t tag_len; /* bytes compared: 16 for case 5, else the full digest */
    const char *sha256, *sha384, *sha512;
};

static const struct rfc4231 RFC4231[] = {
    {NULL, 0x0b, 20, "Hi There", 0, 0, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
     "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59cfaea9ea9076ede7f4af152e8b2fa9cb6",
     "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274eaea3f4e4"
     "be9d914eeb61f1702e696c203a126854"},
    {"4a656665", 0, 4, "what do ya want for nothing?", 0, 0,
     "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
     "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649",
     "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fd"
     "caeab1a34d4a6b4b636e070a38bce737"},
    {NULL, 0xaa, 20, NULL, 0xdd, 0, "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
     "88062608d3e6ad8a0aa2ace014c8a86f0aa635d947ac9febe83ef4e55966144b2a5ab39dc13814b94e3ab6e101a34f27",
     "fa73b0089d56a284efb0f0756c890be9b1b5dbdd8ee81a3655f83e33b2279d39bf3e848279a722c806b485a47e67c807"
     "b946a337bee8942674278859e13292fb"},
    {"0102030405060708090a0b0c0d0e0f10111213141516171819", 0, 25, NULL, 0xcd, 0,
     "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
     "3e8a69b7783c25851933ab6290af6ca77a9981480850009cc5577c6e1f573b4e6801dd23c4a7d679ccf8a386c674cffb",
     "b0ba465637458c6990e5a8c5f61d4af7e576d97ff94b872de76f8050361ee3dba91ca5c11aa25eb4d679275cc5788063"
     "a5f19741120c4f2de2adebeb10a298dd"},
    {NULL, 0x0c, 20, "Test With Truncation", 0, 16, "a3b6167473100ee06e0c796c2955552b",
     "3abf34c3503b2a23a46efc619baef897", "415fad6271580a531d4179bc891d87a6"},
    {NULL, 0xaa, 131, "Test Using Larger Than Block-Size Key - Hash Key First", 0, 0,
     "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
     "4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f3cd11f05033ac4c60c2ef6ab4030fe8296248df163f44952",
     "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f3526b56d037e05f2598bd0fd2215d6a1e52"
     "95e64f73f63f0aec8b915a985d786598"},
    {NULL, 0xaa, 131,
     "This is a test using a larger than block-size key and a larger than block-size data. "
     "The key needs to be hashed before being used by the HMAC algorithm.",
     0, 0, "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
     "6617178e941f020d351e2f254e8fd32c602420feb0b8fb9adccebb82461e99c5a678cc31e799176d3860e6110c46523e",
     "e37b6a775dc87dbaa4dfa9f96e5e3ffddebd71f8867289865df5a32d20cdc944b6022cac3c4982b10d5eeb55c3e4de15"
     "134676fb6de0446065c97440fa8c6a58"},
};

Test(hmac, rfc4231)
{
    unsigned ran = 0;
    for (size_t i = 0; i < sizeof RFC4231 / sizeof RFC4231[0]; i++) {
        const struct rfc4231 *t = &RFC4231[i];
        uint8_t key[131], data[160];
        size_t data_len;
        if (t->key_hex)
            vec_hex_into(t->key_hex, key, sizeof key);
        else
            memset(key, t->fill, t->key_len);
        if (t->data) {
            data_len = strlen(t->data);
            memcpy(data, t->data, data_len);
        } else {
            data_len = 50;
            memset(data, t->dfill, data_len);
        }
        const char *want[3] = {t->sha256, t->sha384, t->sha512};
        for (int k = 0; k < 3; k++) {
            uint8_t tag[64];
            char what[64];
            size_t n = t->tag_len ? t->tag_len : ALL[k]->digest_len;
            snprintf(what, sizeof what, "RFC 4231 case %zu %s", i + 1, ALL[k]->name);
            dtls_hmac(ALL[k], key, t->key_len, data, data_len, tag);
            expect_hex(tag, n, want[k], what);

            /* streaming, byte by byte */
            dtls_hmac_ctx c;
            dtls_hmac_init(&c, ALL[k], key, t->key_len);
            for (size_t j = 0; j < data_len; j++)
                dtls_hmac_update(&c, data + j, 1);
            dtls_hmac_final(&c, tag);
            expect_hex(tag, n, want[k], what);
            ran++;
        }
    }
    vec_report("HMAC RFC 4231 (cases x hashes)", ran, 0);
}

/* ---- HMAC: Wycheproof ---------------------------------------------------- */

static void run_wycheproof_hmac(const char *rel, const struct dtls_hash *h)
{
    cJSON *j = vec_json(rel);
    if (!j)
        cr_skip_test("%s", vec_missing_msg());
    unsigned ran = 0, skipped = 0, invalid = 0;
    const cJSON *g, *t;
    cJSON_ArrayForEach(g, cJSON_GetObjectItemCaseSensitive(j, "testGroups"))
    {
        const cJSON *ts = cJSON_GetObjectItemCaseSensitive(g, "tagSize");
        cr_assert(cJSON_IsNumber(ts), "%s: group without tagSize", rel);
        size_t tag_bytes = (size_t)ts->valueint / 8;
        cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(g, "tests"))
        {
            int id = cJSON_GetObjectItemCaseSensitive(t, "tcId")->valueint;
            const char *result = vec_str(t, "result");
            size_t key_len, msg_len, tag_len;
            uint8_t *key = vec_hex(vec_str(t, "key"), &key_len);
            uint8_t *msg = vec_hex(vec_str(t, "msg"), &msg_len);
            uint8_t *tag = vec_hex(vec_str(t, "tag"), &tag_len);
            uint8_t out[64];

            if (tag_bytes > h->digest_len || strcmp(result, "acceptable") == 0) {
                skipped++;
            } else {
                dtls_hmac(h, key, key_len, msg, msg_len, out);
                int eq = tag_len == tag_bytes && memcmp(out, tag, tag_bytes) == 0;
                if (strcmp(result, "valid") == 0) {
                    cr_assert(tag_len == tag_bytes, "%s tcId %d: tag length %zu", rel, id, tag_len);
                    if (!eq) {
                        hexdump("got ", out, tag_bytes);
                        hexdump("want", tag, tag_len);
                    }
                    cr_assert(eq, "%s tcId %d: valid tag not reproduced", rel, id);
                } else {
                    cr_assert(!eq, "%s tcId %d: invalid tag matched", rel, id);
                    invalid++;
                }
                ran++;
            }
            free(key);
            free(msg);
            free(tag);
        }
    }
    cJSON_Delete(j);
    vec_report(rel, ran, skipped);
    cr_assert(ran > 100 && invalid > 50, "%s: too few vectors (%u, %u invalid)", rel, ran, invalid);
}

Test(hmac, wycheproof_sha256)
{
    run_wycheproof_hmac("wycheproof/hmac_sha256_test.json", &dtls_hash_sha256);
}

Test(hmac, wycheproof_sha384)
{
    run_wycheproof_hmac("wycheproof/hmac_sha384_test.json", &dtls_hash_sha384);
}

/* ---- HKDF: RFC 5869 and Wycheproof --------------------------------------- */

Test(hkdf, rfc5869_sha256)
{
    uint8_t ikm[80], salt[80], info[80], prk[32], okm[82];
    for (int i = 0; i < 80; i++) {
        ikm[i] = (uint8_t)i;
        salt[i] = (uint8_t)(0x60 + i);
        info[i] = (uint8_t)(0xb0 + i);
    }

    /* Test case 2: 80-byte inputs, 82-byte output (three T blocks). */
    dtls_hkdf_extract(&dtls_hash_sha256, salt, 80, ikm, 80, prk);
    expect_hex(prk, 32, "06a6b88c5853361a06104c9ceb35b45cef760014904671014a193f40c15fc244", "case 2 PRK");
    cr_assert_eq(dtls_hkdf_expand(&dtls_hash_sha256, prk, 32, info, 80, okm, 82), 0);
    expect_hex(okm, 82,
               "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c"
               "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71"
               "cc30c58179ec3e87c14c01d5c1f3434f1d87",
               "case 2 OKM");

    /* Test case 1 */
    memset(ikm, 0x0b, 22);
    for (int i = 0; i < 13; i++)
        salt[i] = (uint8_t)i;
    for (int i = 0; i < 10; i++)
        info[i] = (uint8_t)(0xf0 + i);
    dtls_hkdf_extract(&dtls_hash_sha256, salt, 13, ikm, 22, prk);
    expect_hex(prk, 32, "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5", "case 1 PRK");
    cr_assert_eq(dtls_hkdf_expand(&dtls_hash_sha256, prk, 32, info, 10, okm, 42), 0);
    expect_hex(okm, 42,
               "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
               "34007208d5b887185865",
               "case 1 OKM");

    /* Test case 3: empty salt and info; NULL salt means the same. */
    dtls_hkdf_extract(&dtls_hash_sha256, NULL, 0, ikm, 22, prk);
    expect_hex(prk, 32, "19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04", "case 3 PRK");
    dtls_hkdf_extract(&dtls_hash_sha256, salt, 0, ikm, 22, prk);
    expect_hex(prk, 32, "19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04", "case 3 PRK");
    cr_assert_eq(dtls_hkdf_expand(&dtls_hash_sha256, prk, 32, NULL, 0, okm, 42), 0);
    expect_hex(okm, 42,
               "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d"
               "9d201395faa4b61a96c8",
               "case 3 OKM");

    /* out may be the PRK buffer itself */
    cr_assert_eq(dtls_hkdf_expand(&dtls_hash_sha256, prk, 32, NULL, 0, prk, 32), 0);
    expect_hex(prk, 32, "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d", "aliased");
    vec_report("HKDF RFC 5869 cases 1-3", 3, 0);
}

Test(hkdf, expand_limits)
{
    static uint8_t out[255 * 64 + 1];
    uint8_t prk[64] = {1};
    for (int k = 0; k < 3; k++) {
        const struct dtls_hash *h = ALL[k];
        size_t max = 255 * h->digest_len;
        memset(out, 0xa5, sizeof out);
        cr_assert_eq(dtls_hkdf_expand(h, prk, h->digest_len, NULL, 0, out, max + 1), -1);
        for (size_t i = 0; i <= max; i++)
            cr_assert_eq(out[i], 0xa5, "%s: output written on failure", h->name);
        cr_assert_eq(dtls_hkdf_expand(h, prk, h->digest_len, NULL, 0, out, max), 0);
        cr_assert_eq(dtls_hkdf_expand(h, prk, h->digest_len, NULL, 0, out, 0), 0);
    }
}

static void run_wycheproof_hkdf(const char *rel, const struct dtls_hash *h)
{
    cJSON *j = vec_json(rel);
    if (!j)
        cr_skip_test("%s", vec_missing_msg());
    unsigned ran = 0, invalid = 0;
    const cJSON *g, *t;
    cJSON_ArrayForEach(g, cJSON_GetObjectItemCaseSensitive(j, "testGroups"))
    {
        cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(g, "tests"))
        {
            int id = cJSON_GetObjectItemCaseSensitive(t, "tcId")->valueint;
            const char *result = vec_str(t, "result");
            const cJSON *sz = cJSON_GetObjectItemCaseSensitive(t, "size");
            cr_assert(cJSON_IsNumber(sz) && sz->valueint >= 0, "%s tcId %d: bad size", rel, id);
            size_t size = (size_t)sz->valueint, ikm_len, salt_len, info_len, okm_len;
            uint8_t *ikm = vec_hex(vec_str(t, "ikm"), &ikm_len);
            uint8_t *salt = vec_hex(vec_str(t, "salt"), &salt_len);
            uint8_t *info = vec_hex(vec_str(t, "info"), &info_len);
            uint8_t *okm = vec_hex(vec_str(t, "okm"), &okm_len);
            uint8_t *out = malloc(size + 1);
            uint8_t prk[64];
            cr_assert_not_null(out);

            dtls_hkdf_extract(h, salt, salt_len, ikm, ikm_len, prk);
            int rc = dtls_hkdf_expand(h, prk, h->digest_len, info, info_len, out, size);
            if (strcmp(result, "valid") == 0) {
                cr_assert_eq(rc, 0, "%s tcId %d: expand failed", rel, id);
                cr_assert_eq(okm_len, size, "%s tcId %d: okm length", rel, id);
                char what[80];
                snprintf(what, sizeof what, "%s tcId %d", rel, id);
                expect_eq(out, okm, size, what);
            } else {
                cr_assert(vec_has_flag(t, "SizeTooLarge"), "%s tcId %d: unexpected invalid kind", rel, id);
                cr_assert_eq(rc, -1, "%s tcId %d: oversized expand accepted", rel, id);
                invalid++;
            }
            ran++;
            free(ikm);
            free(salt);
            free(info);
            free(okm);
            free(out);
        }
    }
    cJSON_Delete(j);
    vec_report(rel, ran, 0);
    cr_assert(ran > 50 && invalid >= 1, "%s: too few vectors (%u, %u invalid)", rel, ran, invalid);
}

Test(hkdf, wycheproof_sha256)
{
    run_wycheproof_hkdf("wycheproof/hkdf_sha256_test.json", &dtls_hash_sha256);
}

Test(hkdf, wycheproof_sha384)
{
    run_wycheproof_hkdf("wycheproof/hkdf_sha384_test.json", &dtls_hash_sha384);
}

/* ---- HKDF-Expand-Label / Derive-Secret ----------------------------------- */

/* The HkdfLabel encoding, checked against HKDF-Expand with a hand-built info. */
Test(tls13, expand_label_encoding)
{
    uint8_t secret[48], ctx[255], a[100], b[100], info[2 + 1 + 255 + 1 + 255];
    uint64_t rng = 0x5eed0003;
    test_rand_bytes(&rng, secret, sizeof secret);
    test_rand_bytes(&rng, ctx, sizeof ctx);
    static const char *const labels[] = {"key", "iv", "c hs traffic", "derived", "finished", ""};
    const size_t ctx_lens[] = {0, 1, 32, 48, 255};
    const size_t out_lens[] = {0, 12, 16, 32, 48, 100};

    for (int k = 0; k < 2; k++) {
        const struct dtls_hash *h = ALL[k];
        for (size_t li = 0; li < sizeof labels / sizeof labels[0]; li++) {
            for (size_t ci = 0; ci < sizeof ctx_lens / sizeof ctx_lens[0]; ci++) {
                for (size_t oi = 0; oi < sizeof out_lens / sizeof out_lens[0]; oi++) {
                    size_t ll = strlen(labels[li]), cl = ctx_lens[ci], ol = out_lens[oi], n = 0;
                    info[n++] = (uint8_t)(ol >> 8);
                    info[n++] = (uint8_t)ol;
                    info[n++] = (uint8_t)(6 + ll);
                    memcpy(info + n, "tls13 ", 6);
                    n += 6;
                    memcpy(info + n, labels[li], ll);
                    n += ll;
                    info[n++] = (uint8_t)cl;
                    memcpy(info + n, ctx, cl);
                    n += cl;
                    cr_assert_eq(dtls_hkdf_expand(h, secret, h->digest_len, info, n, a, ol), 0);
                    cr_assert_eq(dtls_hkdf_expand_label(h, secret, labels[li], cl ? ctx : NULL, cl, b, ol),
                                 0);
                    expect_eq(b, a, ol, labels[li]);
                }
            }
        }
    }
}

Test(tls13, expand_label_limits)
{
    char label[252];
    uint8_t secret[32] = {0}, ctx[256] = {0}, out[32];
    static uint8_t big[255 * 32 + 1];

    memset(label, 'x', sizeof label);
    label[249] = 0; /* 249 + 6 = 255: the longest label */
    cr_assert_eq(dtls_hkdf_expand_label(&dtls_hash_sha256, secret, label, NULL, 0, out, 32), 0);
    label[249] = 'x';
    label[250] = 0;
    cr_assert_eq(dtls_hkdf_expand_label(&dtls_hash_sha256, secret, label, NULL, 0, out, 32), -1);
    cr_assert_eq(dtls_hkdf_expand_label(&dtls_hash_sha256, secret, "key", ctx, 255, out, 32), 0);
    cr_assert_eq(dtls_hkdf_expand_label(&dtls_hash_sha256, secret, "key", ctx, 256, out, 32), -1);
    cr_assert_eq(dtls_hkdf_expand_label(&dtls_hash_sha256, secret, "key", NULL, 0, big, 255 * 32), 0);
    cr_assert_eq(dtls_hkdf_expand_label(&dtls_hash_sha256, secret, "key", NULL, 0, big, 255 * 32 + 1), -1);
}

/* ---- RFC 8448 key schedule ----------------------------------------------- */

/* One "{actor} step" of the trace: consecutive fields with the same section, actor and heading. */
struct step {
    const char *section, *actor, *name;
    const cJSON *field[12];
    size_t n;
};

static const cJSON *step_field(const struct step *s, const char *name)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(vec_str(s->field[i], "field"), name) == 0)
            return s->field[i];
    return NULL;
}

/* Hex of a field into a fresh buffer; *len gets the length. Asserts that it exists. */
static uint8_t *step_bytes(const struct step *s, const char *name, size_t *len)
{
    const cJSON *f = step_field(s, name);
    cr_assert_not_null(f, "RFC 8448 %s / %s %s: no field '%s'", s->section, s->actor, s->name, name);
    uint8_t *b = vec_hex(vec_str(f, "hex"), len);
    const cJSON *oct = cJSON_GetObjectItemCaseSensitive(f, "octets");
    cr_assert(cJSON_IsNumber(oct) && (size_t)oct->valueint == *len, "octet count of '%s'", name);
    return b;
}

/* The quoted label of a heading without "tls13 " ('derive secret "tls13 c hs traffic"' -> "c hs traffic"). */
static int heading_label(const char *heading, char *out, size_t cap)
{
    const char *q = strchr(heading, '"');
    if (!q || strncmp(q + 1, "tls13 ", 6) != 0)
        return -1;
    q += 7;
    const char *e = strchr(q, '"');
    if (!e || (size_t)(e - q) >= cap)
        return -1;
    memcpy(out, q, (size_t)(e - q));
    out[e - q] = 0;
    return 0;
}

/*
 * Counters of what was checked, by kind, so the test can insist that the
 * Section 3 values the brief names were all found.
 */
struct tally {
    unsigned extract, derive, keys, finished, transcript, binder, total;
    unsigned s3_early, s3_hs, s3_derived, s3_keys_hs;
};

/*
 * The transcript of sections 3, 6 and 7 is the plain concatenation of the
 * handshake messages in the order the trace constructs them, so a running
 * hash, forked at every "hash" field, must give that field. Section 4
 * (the resumption ClientHello goes through a binder computation) and
 * section 5 (HelloRetryRequest replaces ClientHello1 by message_hash) need
 * TLS logic, not hashing, and are left to the key-schedule tests.
 */
static int plain_transcript(const char *section)
{
    return section[0] == '3' || section[0] == '6' || section[0] == '7';
}

static void check_step(const struct step *s, dtls_sha256_ctx *transcript, struct tally *t)
{
    const struct dtls_hash *h = &dtls_hash_sha256; /* every trace uses TLS_AES_128_GCM_SHA256 */
    int s3 = s->section[0] == '3';
    char label[64];
    size_t n1, n2, n3, n4;

    if (strncmp(s->name, "construct a", 11) == 0 && strstr(s->name, "handshake message")) {
        uint8_t *m = step_bytes(s, vec_str(s->field[0], "field"), &n1);
        dtls_sha256_update(transcript, m, n1);
        free(m);
        return;
    }

    if (strncmp(s->name, "extract secret", 14) == 0) {
        uint8_t *salt = step_field(s, "salt") ? step_bytes(s, "salt", &n1) : NULL;
        uint8_t *ikm = step_bytes(s, "IKM", &n2);
        uint8_t *want = step_bytes(s, "secret", &n3);
        uint8_t got[32];
        cr_assert_eq(n3, 32);
        dtls_hkdf_extract(h, salt, salt ? n1 : 0, ikm, n2, got);
        expect_eq(got, want, 32, s->name);
        t->extract++;
        if (s3 && strstr(s->name, "\"early\""))
            t->s3_early++;
        if (s3 && strstr(s->name, "\"handshake\""))
            t->s3_hs++;
        free(salt);
        free(ikm);
        free(want);
        return;
    }

    if (step_field(s, "PRK") && step_field(s, "info") && step_field(s, "expanded") && step_field(s, "hash")) {
        uint8_t *prk = step_bytes(s, "PRK", &n1);
        uint8_t *hash = step_bytes(s, "hash", &n2);
        uint8_t *info = step_bytes(s, "info", &n3);
        uint8_t *want = step_bytes(s, "expanded", &n4);
        uint8_t got[64];
        cr_assert(n1 == 32 && n4 <= sizeof got);

        /* the label: from the heading when quoted, else from the info itself (PSK binder) */
        if (heading_label(s->name, label, sizeof label) != 0) {
            cr_assert(n3 >= 9 && info[2] >= 6 && (size_t)info[2] + 3 < n3 && info[2] - 6 < (int)sizeof label);
            memcpy(label, info + 9, (size_t)info[2] - 6);
            label[info[2] - 6] = 0;
        }
        /* HKDF-Expand with the trace's own info */
        cr_assert_eq(dtls_hkdf_expand(h, prk, n1, info, n3, got, n4), 0);
        expect_eq(got, want, n4, s->name);
        /* HKDF-Expand-Label building the info itself */
        memset(got, 0, sizeof got);
        cr_assert_eq(dtls_hkdf_expand_label(h, prk, label, hash, n2, got, n4), 0);
        expect_eq(got, want, n4, s->name);
        if (n2 == 32 && n4 == 32) {
            memset(got, 0, sizeof got);
            dtls_derive_secret(h, prk, label, hash, got);
            expect_eq(got, want, 32, s->name);
            if (strcmp(label, "derived") == 0) {
                uint8_t empty[32];
                dtls_sha256("", 0, empty);
                expect_eq(hash, empty, 32, "\"derived\" uses Hash(\"\")");
                if (s3)
                    t->s3_derived++;
            } else if (plain_transcript(s->section)) {
                dtls_sha256_ctx fork = *transcript;
                dtls_sha256_final(&fork, got);
                expect_eq(got, hash, 32, "transcript hash");
                t->transcript++;
            }
        }
        t->derive++;

        if (strncmp(s->name, "calculate finished", 18) == 0 && plain_transcript(s->section)) {
            /* verify_data = HMAC(finished_key, Transcript-Hash(messages so far)) */
            uint8_t th[32], *fin = step_bytes(s, "finished", &n1);
            dtls_sha256_ctx fork = *transcript;
            dtls_sha256_final(&fork, th);
            dtls_hmac(h, want, 32, th, 32, got);
            expect_eq(got, fin, 32, "finished verify_data");
            t->finished++;
            free(fin);
        }
        if (strcmp(s->name, "calculate PSK binder") == 0) {
            /* binder = HMAC(finished_key, Hash(truncated ClientHello)) */
            uint8_t th[32], *prefix = step_bytes(s, "ClientHello prefix", &n1);
            uint8_t *bh = step_bytes(s, "binder hash", &n2);
            uint8_t *fin = step_bytes(s, "finished", &n3);
            dtls_sha256(prefix, n1, th);
            expect_eq(th, bh, 32, "binder hash");
            dtls_hmac(h, want, 32, th, 32, got);
            expect_eq(got, fin, 32, "PSK binder");
            t->binder++;
            free(prefix);
            free(bh);
            free(fin);
        }
        free(prk);
        free(hash);
        free(info);
        free(want);
        return;
    }

    if (strncmp(s->name, "derive ", 7) == 0 && strstr(s->name, "traffic keys")) {
        uint8_t *prk = step_bytes(s, "PRK", &n1);
        uint8_t *key = step_bytes(s, "key expanded", &n2);
        uint8_t *iv = step_bytes(s, "iv expanded", &n3);
        uint8_t got[32];
        cr_assert(n1 == 32 && n2 == 16 && n3 == 12);
        cr_assert_eq(dtls_hkdf_expand_label(h, prk, "key", NULL, 0, got, 16), 0);
        expect_eq(got, key, 16, "traffic key");
        cr_assert_eq(dtls_hkdf_expand_label(h, prk, "iv", NULL, 0, got, 12), 0);
        expect_eq(got, iv, 12, "traffic iv");
        t->keys++;
        if (s3 && strstr(s->name, "handshake data"))
            t->s3_keys_hs++;
        free(prk);
        free(key);
        free(iv);
    }
}

Test(tls13, rfc8448_key_schedule)
{
    cJSON *j = vec_json("rfc8448/rfc8448_fields.json");
    if (!j)
        cr_skip_test("%s", vec_missing_msg());
    const cJSON *fields = cJSON_GetObjectItemCaseSensitive(j, "fields");
    cr_assert(cJSON_IsArray(fields));

    struct tally t;
    memset(&t, 0, sizeof t);
    struct step s;
    memset(&s, 0, sizeof s);
    dtls_sha256_ctx transcript;
    const char *cur_section = "";
    const cJSON *f;
    cJSON_ArrayForEach(f, fields)
    {
        const char *sec = vec_str(f, "section"), *actor = vec_str(f, "actor"), *name = vec_str(f, "step");
        if (s.n == 0 || strcmp(sec, s.section) != 0 || strcmp(actor, s.actor) != 0 ||
            strcmp(name, s.name) != 0) {
            if (s.n) {
                check_step(&s, &transcript, &t);
                t.total++;
            }
            if (strcmp(sec, cur_section) != 0) {
                dtls_sha256_init(&transcript);
                cur_section = sec;
            }
            s.section = sec;
            s.actor = actor;
            s.name = name;
            s.n = 0;
        }
        cr_assert(s.n < sizeof s.field / sizeof s.field[0], "step with too many fields");
        s.field[s.n++] = f;
    }
    if (s.n) {
        check_step(&s, &transcript, &t);
        t.total++;
    }
    fprintf(stderr,
            "RFC 8448: %u steps read; checked %u extracts, %u expand-label/derive-secret, %u key/iv pairs, "
            "%u transcript hashes, %u finished, %u PSK binders\n",
            t.total, t.extract, t.derive, t.keys, t.transcript, t.finished, t.binder);
    vec_report("RFC 8448 key-schedule values",
               t.extract + t.derive + 2 * t.keys + t.transcript + t.finished + t.binder, 0);
    /* Section 3: early secret, "derived" (x2), handshake secret from the x25519 shared secret, and
     * the handshake traffic key/iv of both sides (server write + client's read of it, client write). */
    cr_assert(t.s3_early >= 1 && t.s3_hs >= 1 && t.s3_derived >= 2 && t.s3_keys_hs >= 2,
              "section 3 values missing: early %u hs %u derived %u hs keys %u", t.s3_early, t.s3_hs,
              t.s3_derived, t.s3_keys_hs);
    cr_assert(t.transcript >= 15 && t.finished >= 6 && t.binder == 1);
    cJSON_Delete(j);
}

/* ---- differential tests against OpenSSL ---------------------------------- */

#define DIFF_ITERS 2000

Test(diff, digests_vs_openssl, .timeout = 60)
{
    static uint8_t data[4096];
    uint64_t rng = 0xd1ff0001;
    unsigned ran = 0;
    for (int iter = 0; iter < DIFF_ITERS; iter++) {
        size_t len = test_rand_u32(&rng) % 4097;
        test_rand_bytes(&rng, data, len);
        for (int k = 0; k < 3; k++) {
            uint8_t a[64], b[64];
            unsigned bl = 0;
            hash_oneshot(ALL[k], data, len, a);
            cr_assert_eq(EVP_Digest(data, len, b, &bl, evp_of(ALL[k]), NULL), 1);
            cr_assert_eq(bl, ALL[k]->digest_len);
            expect_eq(a, b, bl, ALL[k]->name);
            ran++;
        }
    }
    fprintf(stderr, "diff digests: %u comparisons (SHA-256/384/512, lengths 0..4096)\n", ran);
}

Test(diff, hmac_vs_openssl, .timeout = 60)
{
    static uint8_t data[4096];
    uint8_t key[200];
    uint64_t rng = 0xd1ff0002;
    unsigned ran = 0;
    for (int iter = 0; iter < DIFF_ITERS; iter++) {
        size_t len = test_rand_u32(&rng) % 4097;
        size_t key_len = test_rand_u32(&rng) % 201;
        test_rand_bytes(&rng, data, len);
        test_rand_bytes(&rng, key, key_len);
        for (int k = 0; k < 3; k++) {
            uint8_t a[64], b[64];
            unsigned bl = 0;
            dtls_hmac(ALL[k], key, key_len, data, len, a);
            cr_assert_not_null(HMAC(evp_of(ALL[k]), key, (int)key_len, data, len, b, &bl));
            cr_assert_eq(bl, ALL[k]->digest_len);
            expect_eq(a, b, bl, ALL[k]->name);
            ran++;
        }
    }
    fprintf(stderr, "diff HMAC: %u comparisons (SHA-256/384/512, keys 0..200, data 0..4096)\n", ran);
}

/* OpenSSL HKDF in one of the three modes; returns 1 on success. */
static int ossl_hkdf(const EVP_MD *md, int mode, const uint8_t *salt, size_t salt_len, const uint8_t *key,
                     size_t key_len, const uint8_t *info, size_t info_len, uint8_t *out, size_t out_len)
{
    EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, NULL);
    int ok = pc && EVP_PKEY_derive_init(pc) > 0 && EVP_PKEY_CTX_set_hkdf_mode(pc, mode) > 0 &&
             EVP_PKEY_CTX_set_hkdf_md(pc, md) > 0 &&
             (mode == EVP_PKEY_HKDEF_MODE_EXPAND_ONLY ||
              EVP_PKEY_CTX_set1_hkdf_salt(pc, salt, (int)salt_len) > 0) &&
             EVP_PKEY_CTX_set1_hkdf_key(pc, key, (int)key_len) > 0 &&
             (mode == EVP_PKEY_HKDEF_MODE_EXTRACT_ONLY || info_len == 0 ||
              EVP_PKEY_CTX_add1_hkdf_info(pc, info, (int)info_len) > 0) &&
             EVP_PKEY_derive(pc, out, &out_len) > 0;
    EVP_PKEY_CTX_free(pc);
    return ok;
}

Test(diff, hkdf_vs_openssl, .timeout = 60)
{
    uint8_t ikm[200], salt[200], info[1024];
    static uint8_t a[255 * 48], b[255 * 48];
    uint64_t rng = 0xd1ff0003;
    unsigned ran = 0;
    for (int iter = 0; iter < DIFF_ITERS; iter++) {
        const struct dtls_hash *h = ALL[iter & 1]; /* SHA-256 and SHA-384, the TLS 1.3 hashes */
        size_t hl = h->digest_len;
        size_t ikm_len = 1 + test_rand_u32(&rng) % 200; /* OpenSSL refuses an empty key */
        size_t salt_len = test_rand_u32(&rng) % 201;
        size_t info_len = test_rand_u32(&rng) % 1025; /* OpenSSL 3.0 caps info at 1024 bytes */
        uint32_t r = test_rand_u32(&rng);
        size_t out_len = (r & 7) == 0 ? r % (255 * hl + 1) : (r >> 3) % (4 * hl + 1);
        if (out_len == 0)
            out_len = 1; /* OpenSSL refuses a zero-length output */
        test_rand_bytes(&rng, ikm, ikm_len);
        test_rand_bytes(&rng, salt, salt_len);
        test_rand_bytes(&rng, info, info_len);

        /* extract + expand */
        uint8_t prk[64], prk2[64];
        dtls_hkdf_extract(h, salt, salt_len, ikm, ikm_len, prk);
        cr_assert_eq(dtls_hkdf_expand(h, prk, hl, info, info_len, a, out_len), 0);
        cr_assert(ossl_hkdf(evp_of(h), EVP_PKEY_HKDEF_MODE_EXTRACT_AND_EXPAND, salt, salt_len, ikm, ikm_len,
                            info, info_len, b, out_len),
                  "OpenSSL HKDF failed");
        expect_eq(a, b, out_len, "HKDF");

        /* extract alone */
        cr_assert(ossl_hkdf(evp_of(h), EVP_PKEY_HKDEF_MODE_EXTRACT_ONLY, salt, salt_len, ikm, ikm_len, NULL,
                            0, prk2, hl),
                  "OpenSSL HKDF-Extract failed");
        expect_eq(prk, prk2, hl, "HKDF-Extract");

        /* expand alone, with a PRK of any length (here the random ikm) */
        cr_assert_eq(dtls_hkdf_expand(h, ikm, ikm_len, info, info_len, a, out_len), 0);
        cr_assert(ossl_hkdf(evp_of(h), EVP_PKEY_HKDEF_MODE_EXPAND_ONLY, NULL, 0, ikm, ikm_len, info, info_len,
                            b, out_len),
                  "OpenSSL HKDF-Expand failed");
        expect_eq(a, b, out_len, "HKDF-Expand");
        ran += 3;
    }
    fprintf(stderr, "diff HKDF: %u comparisons (SHA-256/384; extract+expand, extract, expand)\n", ran);
}
