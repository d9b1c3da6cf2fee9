/*
 * Constant-time checks for the crypto, the ctgrind way (Adam Langley, 2010):
 * the secret inputs of an operation are marked *undefined* for valgrind's
 * memcheck, the operation runs, and memcheck reports every conditional
 * branch and every memory address that depends on an undefined value, i.e.
 * on a secret. Arithmetic on secrets (and cmov, which memcheck treats as a
 * select) is silent; `if (secret)`, `table[secret]` and secret-dependent
 * loop bounds are not. Outputs are marked defined again ("declassified")
 * before the checks below look at them.
 *
 *   ct_crypto list               the names of the checks
 *   ct_crypto NAME               run one check (meant to run under valgrind;
 *                                run-ct.sh does that, one check per process)
 *
 * Exit status: 0 done (memcheck decides pass/fail through its own
 * --error-exitcode), 3 a functional check of the result failed, 77 the
 * primitive is not linked in (weak reference, see below), 2 usage.
 *
 * What memcheck cannot see: instructions whose *timing* depends on operands
 * (integer division, on some CPUs multiplication) but which do not branch.
 * Those need reading the code (or dudect); this harness does not cover them.
 *
 * Each primitive is referenced weakly so that the program links while the
 * crypto is being written; a check whose primitive is missing exits 77 and
 * run-ct.sh reports it as SKIP. In a complete build nothing is skipped.
 *
 * Plain C, no Criterion: Criterion forks workers, which hides the program
 * under test from valgrind.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <valgrind/memcheck.h>

#include "crypto/aead.h"
#include "crypto/aes.h"
#include "crypto/chacha.h"
#include "crypto/curve25519.h"
#include "crypto/ec.h"
#include "crypto/hmac.h"
#include "crypto/rsa.h"
#include "crypto/sha2.h"
#include "crypto/util.h"

#pragma weak dtls_aes_set_key
#pragma weak dtls_aes_encrypt_blocks
#pragma weak dtls_aes_gcm_init
#pragma weak dtls_aes_gcm_init_portable
#pragma weak dtls_aes_gcm_seal
#pragma weak dtls_aes_gcm_open
#pragma weak dtls_chachapoly_init
#pragma weak dtls_chachapoly_seal
#pragma weak dtls_chachapoly_open
#pragma weak dtls_chacha20_xor
#pragma weak dtls_poly1305_init
#pragma weak dtls_poly1305_update
#pragma weak dtls_poly1305_final
#pragma weak dtls_rsa_pss_sign
#pragma weak dtls_rsa_pss_verify
#pragma weak dtls_x25519
#pragma weak dtls_x25519_base
#pragma weak dtls_ed25519_pubkey
#pragma weak dtls_ed25519_sign
#pragma weak dtls_ed25519_verify
#pragma weak dtls_p256_pubkey
#pragma weak dtls_p256_ecdh
#pragma weak dtls_p256_ecdsa_sign
#pragma weak dtls_p256_ecdsa_verify
#pragma weak dtls_sha256
#pragma weak dtls_sha384
#pragma weak dtls_hash_sha256
#pragma weak dtls_hash_sha384
#pragma weak dtls_hmac
#pragma weak dtls_hkdf_extract
#pragma weak dtls_hkdf_expand
#pragma weak dtls_hkdf_expand_label
#pragma weak dtls_ct_memeq
#pragma weak dtls_aead_aes128gcm
#pragma weak dtls_aead_aes256gcm
#pragma weak dtls_aead_chacha20poly1305

#define SKIP 77
#define BAD 3

#define NEED(fn)                                                                 \
    do {                                                                         \
        if (!(fn)) {                                                             \
            fprintf(stderr, "%s is not linked in\n", #fn);                       \
            return SKIP;                                                         \
        }                                                                        \
    } while (0)

/* The two annotations: what memcheck must treat as secret, and what we
 * declare public again (an output, or a result that is public by nature). */
static void secret(const void *p, size_t n) { (void)VALGRIND_MAKE_MEM_UNDEFINED(p, n); }
static void public(const void *p, size_t n) { (void)VALGRIND_MAKE_MEM_DEFINED(p, n); }

static int public_int(int v)
{
    public(&v, sizeof v);
    return v;
}

static int expect(int cond, const char *what)
{
    if (!cond)
        fprintf(stderr, "functional check failed: %s\n", what);
    return cond ? 0 : BAD;
}

/* Deterministic filler (not a secret in itself; it becomes one when marked). */
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

/* out = the bytes of hex; their number, or 0 for a non-hex digit. */
static size_t unhex(const char *hex, uint8_t *out)
{
    size_t n = strlen(hex) / 2;
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        if (sscanf(&hex[2 * i], "%2x", &v) != 1)
            return 0;
        out[i] = (uint8_t)v;
    }
    return n;
}

static int hexeq(const uint8_t *p, const char *hex)
{
    size_t n = strlen(hex) / 2;
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        if (sscanf(hex + 2 * i, "%2x", &v) != 1 || p[i] != v)
            return 0;
    }
    return 1;
}

/* ------------------------------------------------------------ self tests */

/* These must be REPORTED by memcheck; run-ct.sh expects them to fail, which
 * shows that the harness (annotations, valgrind flags, exit status) can
 * catch a leak at all. noinline + volatile keep gcc from turning the branch
 * into a cmov, which memcheck would rightly not report. */
static volatile uint32_t sink;

__attribute__((noinline)) static void taken(void) { sink++; }

static int selftest_leak(void)
{
    uint8_t key[16];
    fill(key, sizeof key, 1);
    secret(key, sizeof key);
    if (key[3] & 1)          /* secret-dependent branch */
        taken();
    return 0;
}

static const uint8_t table256[256] = { 1, 2, 3, 4, 5 };

static int selftest_leak_index(void)
{
    uint8_t key[16];
    fill(key, sizeof key, 2);
    secret(key, sizeof key);
    sink = *(const volatile uint8_t *)&table256[key[5]];   /* secret-indexed load */
    return 0;
}

/* Must NOT be reported: constant-time work on secrets, a declassified result
 * that is then branched on. Shows the harness has no false positives of its own. */
static int selftest_clean(void)
{
    uint8_t a[16], b[16];
    uint32_t acc = 0;
    fill(a, sizeof a, 3);
    memcpy(b, a, sizeof b);
    secret(a, sizeof a);
    for (size_t i = 0; i < sizeof a; i++)
        acc |= (uint32_t)(a[i] ^ b[i]);
    acc = (acc - 1) >> 31;
    public(&acc, sizeof acc);
    return expect(acc == 1, "selftest-clean equality");
}

/* ------------------------------------------------------------ util */

static int check_ct_memeq(void)
{
    uint8_t a[64], b[64];
    int eq, ne;
    NEED(dtls_ct_memeq);
    fill(a, sizeof a, 4);
    memcpy(b, a, sizeof b);
    secret(a, sizeof a);
    secret(b, sizeof b);
    eq = public_int(dtls_ct_memeq(a, b, sizeof a));
    b[40] ^= 0x10;   /* b stays undefined: xor with a constant keeps it so */
    ne = public_int(dtls_ct_memeq(a, b, sizeof a));
    b[40] ^= 0x10;
    b[0] ^= 0x80;
    ne |= public_int(dtls_ct_memeq(a, b, sizeof a));
    return expect(eq == 1 && ne == 0, "dtls_ct_memeq results");
}

/* ------------------------------------------------------------ hashes, HMAC, HKDF */

static int check_sha256(void)
{
    uint8_t msg[200], md[32];
    NEED(dtls_sha256);
    memset(msg, 'a', sizeof msg);
    secret(msg, sizeof msg);
    dtls_sha256(msg, sizeof msg, md);
    public(md, sizeof md);
    /* SHA-256 of 200 x 'a' */
    return expect(hexeq(md, "c2a908d98f5df987ade41b5fce213067efbcc21ef2240212a41e54b5e7c28ae5"), "SHA-256 of secret data");
}

static int check_sha384(void)
{
    uint8_t msg[300], md[48];
    NEED(dtls_sha384);
    memset(msg, 'a', sizeof msg);
    secret(msg, sizeof msg);
    dtls_sha384(msg, sizeof msg, md);
    public(md, sizeof md);
    /* SHA-384 of 300 x 'a' */
    return expect(hexeq(md, "0541e349b6d06749a852ae0a68db73f98620879de6b5b3743d7fca7dda0f81d83b0ca596f710542ed343f1b4214d508c"), "SHA-384 of secret data");
}

static int check_hmac(const struct dtls_hash *h, const char *expect_hex)
{
    /* RFC 4231 test case 1: key = 0x0b * 20, data = "Hi There". */
    uint8_t key[20], data[8], mac[64];
    NEED(dtls_hmac);
    memset(key, 0x0b, sizeof key);
    memcpy(data, "Hi There", 8);
    secret(key, sizeof key);
    secret(data, sizeof data);
    dtls_hmac(h, key, sizeof key, data, sizeof data, mac);
    public(mac, h->digest_len);
    return expect(hexeq(mac, expect_hex), "HMAC RFC 4231 case 1");
}

static int check_hmac_sha256(void)
{
    NEED(&dtls_hash_sha256);
    return check_hmac(&dtls_hash_sha256,
                      "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}

static int check_hmac_sha384(void)
{
    NEED(&dtls_hash_sha384);
    return check_hmac(&dtls_hash_sha384,
                      "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59c"
                      "faea9ea9076ede7f4af152e8b2fa9cb6");
}

/* Also a long (> block) secret key, which HMAC hashes first. */
static int check_hmac_longkey(void)
{
    uint8_t key[200], data[50], mac[48];
    NEED(dtls_hmac);
    NEED(&dtls_hash_sha384);
    fill(key, sizeof key, 5);
    fill(data, sizeof data, 6);
    secret(key, sizeof key);
    secret(data, sizeof data);
    dtls_hmac(&dtls_hash_sha384, key, sizeof key, data, sizeof data, mac);
    public(mac, sizeof mac);
    return 0;
}

static int check_hkdf(void)
{
    /* RFC 5869 test case 1 (SHA-256), with IKM and salt secret. */
    uint8_t ikm[22], salt[13], info[10], prk[32], okm[42], lab[32];
    NEED(dtls_hkdf_extract);
    NEED(dtls_hkdf_expand);
    NEED(dtls_hkdf_expand_label);
    memset(ikm, 0x0b, sizeof ikm);
    for (unsigned i = 0; i < sizeof salt; i++)
        salt[i] = (uint8_t)i;
    for (unsigned i = 0; i < sizeof info; i++)
        info[i] = (uint8_t)(0xf0 + i);
    secret(ikm, sizeof ikm);
    secret(salt, sizeof salt);
    dtls_hkdf_extract(&dtls_hash_sha256, salt, sizeof salt, ikm, sizeof ikm, prk);
    if (public_int(dtls_hkdf_expand(&dtls_hash_sha256, prk, sizeof prk, info, sizeof info, okm, sizeof okm)))
        return expect(0, "hkdf_expand rc");
    if (public_int(dtls_hkdf_expand_label(&dtls_hash_sha256, prk, "c hs traffic", info, sizeof info,
                                          lab, sizeof lab)))
        return expect(0, "hkdf_expand_label rc");
    public(okm, sizeof okm);
    public(lab, sizeof lab);
    return expect(hexeq(okm, "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
                             "34007208d5b887185865"),
                  "HKDF RFC 5869 case 1");
}

/* ------------------------------------------------------------ AES, GCM */

static int check_aes_block(size_t key_len)
{
    /* FIPS-197 appendix C: key 00 01 02 .., plaintext 00 11 22 .. ff. */
    dtls_aes_key k;
    uint8_t key[32], blk[4 * 16];
    NEED(dtls_aes_set_key);
    NEED(dtls_aes_encrypt_blocks);
    for (unsigned i = 0; i < 32; i++)
        key[i] = (uint8_t)i;
    for (unsigned i = 0; i < sizeof blk; i++)
        blk[i] = (uint8_t)(0x11 * (i % 16));
    secret(key, sizeof key);
    secret(blk, sizeof blk);
    if (public_int(dtls_aes_set_key(&k, key, key_len)) != 0)
        return expect(0, "aes_set_key rc");
    dtls_aes_encrypt_blocks(&k, blk, blk, 1);       /* one block */
    dtls_aes_encrypt_blocks(&k, blk + 16, blk + 16, 3);   /* and a multi-block call */
    public(blk, sizeof blk);
    dtls_wipe(&k, sizeof k);
    return expect(hexeq(blk, key_len == 16 ? "69c4e0d86a7b0430d8cdb78070b4c55a"
                                           : "8ea2b7ca516745bfeafc49904b496089") &&
                      memcmp(blk, blk + 16, 16) == 0,
                  "AES FIPS-197 C.1/C.3");
}

static int check_aes128_block(void) { return check_aes_block(16); }
static int check_aes256_block(void) { return check_aes_block(32); }

/* Lengths that exercise the whole-block path, a partial last block and AAD padding. */
static const size_t aead_lens[] = { 0, 1, 15, 16, 17, 64, 100, 257 };

typedef int (*gcm_init_fn)(dtls_aes_gcm_ctx *, const uint8_t *, size_t);

/* init: dtls_aes_gcm_init (the implementation this CPU gets: AES-NI +
 * PCLMULQDQ on most x86-64) or dtls_aes_gcm_init_portable (always the
 * bitsliced code). */
static int check_gcm(size_t key_len, gcm_init_fn init)
{
    dtls_aes_gcm_ctx g;
    uint8_t key[32], nonce[12], aad[13], pt[300], buf[300], tag[16];
    int rc = 0;
    NEED(init);
    NEED(dtls_aes_gcm_seal);
    NEED(dtls_aes_gcm_open);
    fill(key, sizeof key, 7);
    fill(nonce, sizeof nonce, 8);
    fill(aad, sizeof aad, 9);
    fill(pt, sizeof pt, 10);
    for (size_t li = 0; li < sizeof aead_lens / sizeof aead_lens[0]; li++) {
        size_t len = aead_lens[li];
        int orc;
        secret(key, sizeof key);
        init(&g, key, key_len);
        memcpy(buf, pt, len);
        secret(buf, len);
        dtls_aes_gcm_seal(&g, nonce, aad, sizeof aad, buf, len, tag);
        /* The ciphertext and tag go on the wire: public. */
        public(buf, len);
        public(tag, sizeof tag);
        orc = public_int(dtls_aes_gcm_open(&g, nonce, aad, sizeof aad, buf, len, tag));
        public(buf, len);
        rc |= expect(orc == 0 && memcmp(buf, pt, len) == 0, "GCM seal/open round trip");
        /* A forged tag: the reject path must be constant time too. */
        memcpy(buf, pt, len);
        dtls_aes_gcm_seal(&g, nonce, aad, sizeof aad, buf, len, tag);
        public(buf, len);
        public(tag, sizeof tag);
        tag[len % 16] ^= 1;
        orc = public_int(dtls_aes_gcm_open(&g, nonce, aad, sizeof aad, buf, len, tag));
        rc |= expect(orc == -1, "GCM open rejects a forged tag");
        public(&g, sizeof g);
    }
    dtls_wipe(&g, sizeof g);
    return rc;
}

static int check_aes128_gcm(void) { return check_gcm(16, dtls_aes_gcm_init); }
static int check_aes256_gcm(void) { return check_gcm(32, dtls_aes_gcm_init); }
static int check_aes128_gcm_portable(void) { return check_gcm(16, dtls_aes_gcm_init_portable); }
static int check_aes256_gcm_portable(void) { return check_gcm(32, dtls_aes_gcm_init_portable); }

/* GHASH on its own: the AES key is public, only H (in the context) is secret,
 * and the data is public; anything memcheck reports then is in GHASH. */
static int check_ghash_with(gcm_init_fn init)
{
    dtls_aes_gcm_ctx g;
    uint8_t key[16], nonce[12], aad[40], buf[300], tag[16];
    NEED(init);
    NEED(dtls_aes_gcm_seal);
    fill(key, sizeof key, 11);
    fill(nonce, sizeof nonce, 12);
    fill(aad, sizeof aad, 13);
    fill(buf, sizeof buf, 14);
    init(&g, key, sizeof key);
    secret(g.h, sizeof g.h);
    dtls_aes_gcm_seal(&g, nonce, aad, sizeof aad, buf, 257, tag);
    public(tag, sizeof tag);
    public(&g, sizeof g);
    dtls_wipe(&g, sizeof g);
    return 0;
}

static int check_ghash(void) { return check_ghash_with(dtls_aes_gcm_init); }
static int check_ghash_portable(void) { return check_ghash_with(dtls_aes_gcm_init_portable); }

/* ------------------------------------------------------------ ChaCha20-Poly1305 */

static int check_chachapoly(void)
{
    dtls_chachapoly_ctx c;
    uint8_t key[32], nonce[12], aad[13], pt[300], buf[300], tag[16];
    int rc = 0;
    NEED(dtls_chachapoly_init);
    NEED(dtls_chachapoly_seal);
    NEED(dtls_chachapoly_open);
    fill(key, sizeof key, 15);
    fill(nonce, sizeof nonce, 16);
    fill(aad, sizeof aad, 17);
    fill(pt, sizeof pt, 18);
    for (size_t li = 0; li < sizeof aead_lens / sizeof aead_lens[0]; li++) {
        size_t len = aead_lens[li];
        int orc;
        secret(key, sizeof key);
        dtls_chachapoly_init(&c, key);
        memcpy(buf, pt, len);
        secret(buf, len);
        dtls_chachapoly_seal(&c, nonce, aad, sizeof aad, buf, len, tag);
        public(buf, len);
        public(tag, sizeof tag);
        orc = public_int(dtls_chachapoly_open(&c, nonce, aad, sizeof aad, buf, len, tag));
        public(buf, len);
        rc |= expect(orc == 0 && memcmp(buf, pt, len) == 0, "ChaCha20-Poly1305 round trip");
        memcpy(buf, pt, len);
        dtls_chachapoly_seal(&c, nonce, aad, sizeof aad, buf, len, tag);
        public(buf, len);
        public(tag, sizeof tag);
        tag[len % 16] ^= 1;
        orc = public_int(dtls_chachapoly_open(&c, nonce, aad, sizeof aad, buf, len, tag));
        rc |= expect(orc == -1, "ChaCha20-Poly1305 open rejects a forged tag");
    }
    dtls_wipe(&c, sizeof c);
    return rc;
}

/* The AEAD table as the record layer uses it, all three suites. */
static int check_aead_table(void)
{
    const struct dtls_aead *const all[] = { &dtls_aead_aes128gcm, &dtls_aead_aes256gcm,
                                            &dtls_aead_chacha20poly1305 };
    uint8_t key[32], nonce[12], hdr[5], buf[100], tag[16];
    dtls_aead_ctx k;
    int rc = 0;
    for (size_t i = 0; i < 3; i++) {
        const struct dtls_aead *a = all[i];
        int orc;
        if (!a) {
            fprintf(stderr, "AEAD table %zu is not linked in\n", i);
            return SKIP;
        }
        fill(key, sizeof key, (uint32_t)(20 + i));
        fill(nonce, sizeof nonce, 23);
        fill(hdr, sizeof hdr, 24);
        fill(buf, sizeof buf, 25);
        secret(key, sizeof key);
        secret(buf, sizeof buf);
        a->init(&k, key);
        a->seal(&k, nonce, hdr, sizeof hdr, buf, sizeof buf, tag);
        public(buf, sizeof buf);
        public(tag, sizeof tag);
        orc = public_int(a->open(&k, nonce, hdr, sizeof hdr, buf, sizeof buf, tag));
        rc |= expect(orc == 0, a->name);
        dtls_wipe(&k, sizeof k);
    }
    return rc;
}
/* ------------------------------------------------------------ X25519, Ed25519 */

static int check_x25519(void)
{
    uint8_t a[32], b[32], pa[32], pb[32], s1[32], s2[32];
    int r1, r2;
    NEED(dtls_x25519);
    NEED(dtls_x25519_base);
    fill(a, sizeof a, 30);
    fill(b, sizeof b, 31);
    dtls_x25519_base(pb, b);     /* the peer's share: public */
    secret(a, sizeof a);
    r1 = public_int(dtls_x25519(s1, a, pb));
    public(s1, sizeof s1);
    public(a, sizeof a);
    dtls_x25519_base(pa, a);
    r2 = public_int(dtls_x25519(s2, b, pa));
    return expect(r1 == 0 && r2 == 0 && memcmp(s1, s2, 32) == 0, "X25519 agreement");
}

static int check_x25519_base(void)
{
    uint8_t a[32], pub[32];
    NEED(dtls_x25519_base);
    fill(a, sizeof a, 32);
    secret(a, sizeof a);
    dtls_x25519_base(pub, a);
    public(pub, sizeof pub);
    return 0;
}

/* The all-zero result (a small-order peer point) is rejected with -1; the
 * rejection is public, the scalar is not. */
static int check_x25519_zero(void)
{
    uint8_t a[32], s[32], zero_point[32] = { 0 };
    int r;
    NEED(dtls_x25519);
    fill(a, sizeof a, 33);
    secret(a, sizeof a);
    r = public_int(dtls_x25519(s, a, zero_point));
    return expect(r == -1, "X25519 rejects an all-zero shared secret");
}

static int check_ed25519_sign(void)
{
    uint8_t seed[32], pub[32], sig[64], msg[100];
    NEED(dtls_ed25519_pubkey);
    NEED(dtls_ed25519_sign);
    fill(seed, sizeof seed, 34);
    fill(msg, sizeof msg, 35);
    secret(seed, sizeof seed);
    dtls_ed25519_pubkey(pub, seed);
    public(pub, sizeof pub);
    dtls_ed25519_sign(sig, seed, pub, msg, sizeof msg);
    public(sig, sizeof sig);
    if (!dtls_ed25519_verify)
        return 0;
    return expect(dtls_ed25519_verify(pub, msg, sizeof msg, sig) == 0, "Ed25519 sign/verify");
}

/* ------------------------------------------------------------ P-256 */

static int check_p256_pubkey(void)
{
    uint8_t d[32], pub[65];
    int r;
    NEED(dtls_p256_pubkey);
    fill(d, sizeof d, 40);
    secret(d, sizeof d);
    r = public_int(dtls_p256_pubkey(pub, d));
    public(pub, sizeof pub);
    return expect(r == 0 && pub[0] == 4, "P-256 pubkey");
}

static int check_p256_ecdh(void)
{
    uint8_t a[32], b[32], pa[65], pb[65], z1[32], z2[32];
    int r;
    NEED(dtls_p256_pubkey);
    NEED(dtls_p256_ecdh);
    fill(a, sizeof a, 41);
    fill(b, sizeof b, 42);
    r = dtls_p256_pubkey(pa, a);
    r |= dtls_p256_pubkey(pb, b);
    public(pa, sizeof pa);    /* a's pubkey was made above without annotation; the */
    public(pb, sizeof pb);    /* secret-scalar path is check p256-pubkey's job */
    secret(a, sizeof a);
    r |= public_int(dtls_p256_ecdh(z1, a, pb, sizeof pb));
    public(z1, sizeof z1);
    public(a, sizeof a);
    r |= dtls_p256_ecdh(z2, b, pa, sizeof pa);
    return expect(r == 0 && memcmp(z1, z2, 32) == 0, "P-256 ECDH agreement");
}

static int check_p256_sign(void)
{
    uint8_t d[32], pub[65], hash[32], sig[64];
    int r;
    NEED(dtls_p256_pubkey);
    NEED(dtls_p256_ecdsa_sign);
    fill(d, sizeof d, 43);
    fill(hash, sizeof hash, 44);
    r = dtls_p256_pubkey(pub, d);
    public(pub, sizeof pub);
    secret(d, sizeof d);
    r |= public_int(dtls_p256_ecdsa_sign(sig, d, hash, sizeof hash));
    public(sig, sizeof sig);
    if (!dtls_p256_ecdsa_verify)
        return expect(r == 0, "P-256 ECDSA sign rc");
    r |= dtls_p256_ecdsa_verify(pub, sizeof pub, hash, sizeof hash, sig);
    return expect(r == 0, "P-256 ECDSA sign/verify");
}

/* RFC 6979 A.2.5, P-256 / SHA-256 / "sample": checks that the deterministic
 * nonce (secret, derived from the key) is what is used, under the same
 * annotations. */
static int check_p256_sign_rfc6979(void)
{
    uint8_t d[32], hash[32], sig[64];
    int r;
    NEED(dtls_p256_ecdsa_sign);
    NEED(dtls_sha256);
    if (unhex("c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721", d) != 32)
        return BAD;
    dtls_sha256("sample", 6, hash);
    secret(d, sizeof d);
    r = public_int(dtls_p256_ecdsa_sign(sig, d, hash, sizeof hash));
    public(sig, sizeof sig);
    return expect(r == 0 && hexeq(sig, "efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716"
                                       "f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8"),
                  "RFC 6979 A.2.5 signature");
}

/* RSASSA-PSS signing with a 2048-bit CRT key (a test key made for this check with
 * `openssl genrsa 2048`): p, q, dP, dQ and qInv are secret; the signature is output,
 * declassified by the signer itself (DTLS_CT_PUBLIC) before its check with n and e. */
static const char RSA_N[] =
    "a9165c28ec268cc9673f996f0b3d39acc61c624c7a7a8d79b8e62027aa2f897cb36b8f7741460e106a784237dfb678a5"
    "2158c2a689f31a2d54fab3eb93b696bc58177c6a57d32581d238507a745083f20235e1924f42c406adfddacc9142b0c1"
    "2d7049f9da16a8483284549aacfd5f06d07c85224c537f3d2ddf75a7d16182b20b481c858d00d3379256d5f58953833d"
    "33bd9d016aa747288e813d56fd891e5b0327644210e866ab1fde7430d52c90192204fb0c4630e60e9bc37db04ba7f43b"
    "95bc058859c62082197f2d4b972ea4a28627821d22e578922243e719267ec5ace6a269d9340b17e30e574a94f1098f09"
    "68d080bab2f2d3d7ecc8144b62e23a4f";
static const char RSA_P[] =
    "e1cb31e27ad68a04d55cf48b2ccbeefb104b8aa34b34dbecbaa59d77cc112fba4d80cdcc6f53357bfd5551ef3db24841"
    "97203dc8d758adb4f66c1ccf5d91b24e84adb0469c9243d675bcdbe522811972cd16fbd8d2ae1b9a4c3b3d92847f9773"
    "1557714294f7f1e647e6f685008e6205aa6b65da7f4d828b0da2b227ccd911ad";
static const char RSA_Q[] =
    "bfb521314d276cd26eaa70fd467870135b547a8d4e7b1a27dad6de8019e789f8b9b50aff2600c233242635fcdf0b585a"
    "af45c0afa016eb94b8f4e6ca946aa453d1a4fe4f7199e797520cc8c957156cc356ca8942044def0ad7bd8f1c96f58f0f"
    "db5a6ee1816f918ec0d01e2ecda666e42ea060872951ede1313f39393238136b";
static const char RSA_DP[] =
    "6c9bf4eedfef7a8c40a569ebd82c7053cbceca6d29abcf6ddb89f668bd7c36dd0292c66b63d13e94d992c4cab37ea24b"
    "0a8ab3ad7c0867e5f7f2a1190e051b23b1a66a784caffe799640b5f54dd7938a2924b917de9f691f9b3393b67a8d7528"
    "2247e16f09810a969e5776951b6361bb1ff27117dccc47d2e3483331f9d32031";
static const char RSA_DQ[] =
    "2e274b607534c2ac3edc65eb7425d6c5b23d3a6bfeb3006f0beea30eb02de037b36df4c1ccc26dfea5fb5510161ac320"
    "c205c7080140c362c0cca52bac63a8404dbead432f14607f3bcfbc1f4d09e96f75dbb903ddc96d7d6cc744471bc8eeb2"
    "609afb0aeb8092c88d7f0d6533399697e4e9d39376cd34b9fc833e2199078b15";
static const char RSA_QINV[] =
    "3f377eb322ae7cd0473aeed26b785191cc33f5df1fbe437f68b0b62ca598da8ba63bb2ea6dd0c20eeb10b7deada0038e"
    "3fb06ca38a24aa0afe5db542486bbe9a0bda97890aca67ec5a79d10d79e86207a0fa6bdb86d8d37d8de1e818dadc8045"
    "f99a0124d12d65a74952764c39c4dc1a95ac13336c5435ee73a00716ef479628";

static int check_rsa_pss_sign(void)
{
    static uint8_t n[256], e[3] = {1, 0, 1}, p[128], q[128], dp[128], dq[128], qi[128], sig[256];
    uint8_t hash[32], salt[32];
    NEED(dtls_rsa_pss_sign);
    NEED(dtls_rsa_pss_verify);
    struct dtls_rsa_private_key k = {
        .n = n, .e = e, .p = p, .q = q, .dp = dp, .dq = dq, .qinv = qi, .e_len = 3,
        .n_len = unhex(RSA_N, n), .p_len = unhex(RSA_P, p), .q_len = unhex(RSA_Q, q),
        .dp_len = unhex(RSA_DP, dp), .dq_len = unhex(RSA_DQ, dq), .qinv_len = unhex(RSA_QINV, qi),
    };
    fill(hash, sizeof hash, 61);
    fill(salt, sizeof salt, 62);
    secret(p, sizeof p);
    secret(q, sizeof q);
    secret(dp, sizeof dp);
    secret(dq, sizeof dq);
    secret(qi, sizeof qi);
    size_t len = sizeof sig;
    int r = public_int(dtls_rsa_pss_sign(&k, &dtls_hash_sha256, hash, salt, sizeof salt, sig, &len));
    public(sig, sizeof sig);
    r |= dtls_rsa_pss_verify(n, k.n_len, e, 3, &dtls_hash_sha256, hash, sizeof salt, sig, len);
    return expect(r == 0 && len == 256, "RSA-PSS sign/verify");
}

/* ------------------------------------------------------------ table */

struct check {
    const char *name;
    int (*run)(void);
    int expect_leak;   /* 1: memcheck must report it (harness self-test) */
};

static const struct check checks[] = {
    { "selftest-leak", selftest_leak, 1 },
    { "selftest-leak-index", selftest_leak_index, 1 },
    { "selftest-clean", selftest_clean, 0 },
    { "ct-memeq", check_ct_memeq, 0 },
    { "sha256", check_sha256, 0 },
    { "sha384", check_sha384, 0 },
    { "hmac-sha256", check_hmac_sha256, 0 },
    { "hmac-sha384", check_hmac_sha384, 0 },
    { "hmac-longkey", check_hmac_longkey, 0 },
    { "hkdf", check_hkdf, 0 },
    { "aes128-block", check_aes128_block, 0 },
    { "aes256-block", check_aes256_block, 0 },
    { "aes128-gcm", check_aes128_gcm, 0 },
    { "aes256-gcm", check_aes256_gcm, 0 },
    { "ghash", check_ghash, 0 },
    { "aes128-gcm-portable", check_aes128_gcm_portable, 0 },
    { "aes256-gcm-portable", check_aes256_gcm_portable, 0 },
    { "ghash-portable", check_ghash_portable, 0 },
    { "chacha20-poly1305", check_chachapoly, 0 },
    { "aead-table", check_aead_table, 0 },
    { "x25519", check_x25519, 0 },
    { "x25519-base", check_x25519_base, 0 },
    { "x25519-zero", check_x25519_zero, 0 },
    { "ed25519-sign", check_ed25519_sign, 0 },
    { "p256-pubkey", check_p256_pubkey, 0 },
    { "p256-ecdh", check_p256_ecdh, 0 },
    { "p256-ecdsa-sign", check_p256_sign, 0 },
    { "p256-ecdsa-rfc6979", check_p256_sign_rfc6979, 0 },
    { "rsa-pss-sign", check_rsa_pss_sign, 0 },
};

int main(int argc, char **argv)
{
    size_t n = sizeof checks / sizeof checks[0];
    if (argc == 2 && strcmp(argv[1], "list") == 0) {
        for (size_t i = 0; i < n; i++)
            printf("%s%s\n", checks[i].name, checks[i].expect_leak ? " expect-leak" : "");
        return 0;
    }
    if (argc == 2) {
        for (size_t i = 0; i < n; i++)
            if (strcmp(argv[1], checks[i].name) == 0) {
                int rc = checks[i].run();
                /* run-ct.sh reads this line: valgrind's --error-exitcode
                 * replaces the exit status when memcheck reports anything. */
                printf("ct_crypto: %s rc=%d\n", checks[i].name, rc);
                return rc;
            }
    }
    fprintf(stderr, "usage: %s list | CHECK\n", argv[0]);
    return 2;
}
