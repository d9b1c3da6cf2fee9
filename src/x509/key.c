/*
 * Private keys for client authentication: PKCS#8 (RFC 5208 / 5958) holding
 * an EC P-256 key (RFC 5915) or an Ed25519 key (RFC 8410), and the bare
 * SEC1 ECPrivateKey ("EC PRIVATE KEY"); RSA keys, PKCS#8 or the bare PKCS#1
 * RSAPrivateKey ("RSA PRIVATE KEY"), at the end.
 *
 *   PrivateKeyInfo ::= SEQUENCE { version INTEGER (0 | 1), privateKeyAlgorithm AlgorithmIdentifier,
 *       privateKey OCTET STRING, attributes [0] IMPLICIT ... OPTIONAL,
 *       publicKey [1] IMPLICIT BIT STRING OPTIONAL -- version 1 only }
 *   ECPrivateKey ::= SEQUENCE { version INTEGER (1), privateKey OCTET STRING,
 *       parameters [0] EXPLICIT ECParameters OPTIONAL, publicKey [1] EXPLICIT BIT STRING OPTIONAL }
 *   CurvePrivateKey ::= OCTET STRING   -- the 32-byte Ed25519 seed
 *
 * Secret handling: the key bytes are copied only into the output struct;
 * every error path wipes it; the PEM variant wipes the scratch buffer the
 * DER went through. The parse branches on the DER structure (public) and
 * never on secret values; the range check of the P-256 scalar is done by
 * dtls_p256_pubkey(), which is constant time.
 */
#include <string.h>

#include "crypto/curve25519.h"
#include "crypto/ec.h"
#include "crypto/rsa.h"
#include "crypto/util.h"
#include "x509/oid.h"
#include "x509/x509_int.h"

/* SEC1 ECPrivateKey for P-256. outer_curve: 1 when PKCS#8 already said P-256. */
static int parse_sec1(const uint8_t *p, size_t n, int outer_curve, struct dtls_x509_private_key *out)
{
    struct der d = { p, n };
    struct der_tlv seq, priv, t;
    uint32_t ver;
    const uint8_t *pub = NULL;
    size_t pub_len = 0;
    int curve_known = outer_curve;
    if (der_expect(&d, DER_SEQUENCE, &seq) != 0 || der_end(&d) != 0)
        return DTLS_X509_E_BAD_KEY;
    struct der in = der_inside(&seq);
    if (der_uint32(&in, &ver) != 0 || ver != 1 || der_expect(&in, DER_OCTET_STRING, &priv) != 0)
        return DTLS_X509_E_BAD_KEY;
    if (der_peek(&in) == DER_CTX_CONS(0)) {
        const uint8_t *oid;
        size_t oid_len;
        if (der_next(&in, &t) != 0)
            return DTLS_X509_E_BAD_KEY;
        struct der x = der_inside(&t);
        if (der_peek(&x) != DER_OID)
            return DTLS_X509_E_UNSUPPORTED_ALGORITHM;   /* explicit curve parameters */
        if (der_oid(&x, &oid, &oid_len) != 0 || der_end(&x) != 0)
            return DTLS_X509_E_BAD_KEY;
        if (!DER_OID_EQ(oid, oid_len, OID_P256))
            return DTLS_X509_E_UNSUPPORTED_ALGORITHM;
        curve_known = 1;
    }
    if (der_peek(&in) == DER_CTX_CONS(1)) {
        if (der_next(&in, &t) != 0)
            return DTLS_X509_E_BAD_KEY;
        struct der x = der_inside(&t);
        if (der_bits_octets(&x, &pub, &pub_len) != 0 || der_end(&x) != 0)
            return DTLS_X509_E_BAD_KEY;
    }
    if (der_end(&in) != 0)
        return DTLS_X509_E_BAD_KEY;
    if (!curve_known)
        return DTLS_X509_E_UNSUPPORTED_ALGORITHM;      /* the curve must be named somewhere */
    /* RFC 5915: the octet string is ceiling(log2(n)/8) = 32 octets. */
    if (priv.len != 32)
        return DTLS_X509_E_BAD_KEY;
    out->type = DTLS_KEY_P256;
    memcpy(out->secret, priv.v, 32);
    if (dtls_p256_pubkey(out->pub, out->secret) != 0)
        return DTLS_X509_E_BAD_KEY;                  /* 0 or >= n */
    out->pub_len = 65;
    if (pub != NULL && (pub_len != 65 || memcmp(pub, out->pub, 65) != 0))
        return DTLS_X509_E_BAD_KEY;
    return 0;
}

/*
 * The rest of a PrivateKeyInfo after its version (in: the SEQUENCE's
 * contents past the version): the algorithm OID with a cursor on its
 * parameters, the privateKey octets, and the optional publicKey (version 1
 * only; NULL when absent). 0 or DTLS_X509_E_BAD_KEY.
 */
static int pkcs8_fields(struct der *in, uint32_t version, const uint8_t **oid, size_t *oid_len, struct der *params,
                        struct der_tlv *priv, const uint8_t **pub, size_t *pub_len)
{
    struct der_tlv alg, t;
    *pub = NULL;
    *pub_len = 0;
    if (version > 1 || der_expect(in, DER_SEQUENCE, &alg) != 0 || der_expect(in, DER_OCTET_STRING, priv) != 0)
        return DTLS_X509_E_BAD_KEY;
    if (der_peek(in) == DER_CTX_CONS(0) && der_next(in, &t) != 0)
        return DTLS_X509_E_BAD_KEY;
    if (der_peek(in) == DER_CTX(1)) {
        unsigned unused;
        if (version != 1 || der_bits(in, DER_CTX(1), pub, pub_len, &unused) != 0 || unused != 0)
            return DTLS_X509_E_BAD_KEY;
    }
    if (der_end(in) != 0)
        return DTLS_X509_E_BAD_KEY;
    *params = der_inside(&alg);
    return der_oid(params, oid, oid_len) != 0 ? DTLS_X509_E_BAD_KEY : 0;
}

static int parse_pkcs8(struct der *in, struct dtls_x509_private_key *out, uint32_t version)
{
    struct der_tlv priv;
    struct der a;
    const uint8_t *oid, *pub;
    size_t oid_len, pub_len;
    int rc = pkcs8_fields(in, version, &oid, &oid_len, &a, &priv, &pub, &pub_len);
    if (rc != 0)
        return rc;
    if (DER_OID_EQ(oid, oid_len, OID_EC_PUBLIC_KEY)) {
        const uint8_t *curve;
        size_t curve_len;
        if (der_peek(&a) != DER_OID)
            return DTLS_X509_E_UNSUPPORTED_ALGORITHM;
        if (der_oid(&a, &curve, &curve_len) != 0 || der_end(&a) != 0)
            return DTLS_X509_E_BAD_KEY;
        if (!DER_OID_EQ(curve, curve_len, OID_P256))
            return DTLS_X509_E_UNSUPPORTED_ALGORITHM;
        rc = parse_sec1(priv.v, priv.len, 1, out);
        if (rc == 0 && pub != NULL && (pub_len != 65 || memcmp(pub, out->pub, 65) != 0))
            rc = DTLS_X509_E_BAD_KEY;
        return rc;
    }
    if (DER_OID_EQ(oid, oid_len, OID_ED25519)) {
        struct der k = { priv.v, priv.len };
        struct der_tlv seed;
        if (der_end(&a) != 0 || der_expect(&k, DER_OCTET_STRING, &seed) != 0 || der_end(&k) != 0 || seed.len != 32)
            return DTLS_X509_E_BAD_KEY;
        out->type = DTLS_KEY_ED25519;
        memcpy(out->secret, seed.v, 32);
        dtls_ed25519_pubkey(out->pub, out->secret);
        out->pub_len = 32;
        if (pub != NULL && (pub_len != 32 || memcmp(pub, out->pub, 32) != 0))
            return DTLS_X509_E_BAD_KEY;
        return 0;
    }
    return DTLS_X509_E_UNSUPPORTED_ALGORITHM;          /* RSA, P-384, X25519, ... */
}

int dtls_x509_private_key_from_der(const uint8_t *der, size_t der_len, struct dtls_x509_private_key *out)
{
    struct der d = { der, der_len };
    struct der_tlv seq;
    uint32_t ver;
    int rc;
    memset(out, 0, sizeof *out);
    if (der == NULL || der_expect(&d, DER_SEQUENCE, &seq) != 0 || der_end(&d) != 0) {
        rc = DTLS_X509_E_BAD_KEY;
    } else {
        struct der in = der_inside(&seq);
        if (der_uint32(&in, &ver) != 0)
            rc = DTLS_X509_E_BAD_KEY;
        else if (der_peek(&in) == DER_SEQUENCE)
            rc = parse_pkcs8(&in, out, ver);
        else
            rc = parse_sec1(der, der_len, 0, out);
    }
    if (rc != 0)
        dtls_x509_private_key_wipe(out);
    return rc;
}

int dtls_x509_private_key_from_pem(const char *pem, size_t pem_len, uint8_t *scratch, size_t scratch_len,
                                   struct dtls_x509_private_key *out)
{
    size_t pos = 0;
    struct dtls_pem_block blk;
    int rc = DTLS_X509_E_BAD_PEM;
    memset(out, 0, sizeof *out);
    if (pem == NULL || scratch == NULL)
        return DTLS_X509_E_INVALID_ARGUMENT;
    for (;;) {
        int r = dtls_pem_next(pem, pem_len, &pos, scratch, scratch_len, &blk);
        int is_key = (blk.label_len == 11 && memcmp(blk.label, "PRIVATE KEY", 11) == 0) ||
                     (blk.label_len == 14 && memcmp(blk.label, "EC PRIVATE KEY", 14) == 0);
        if (r == DTLS_X509_E_BUFFER_TOO_SMALL && !is_key)
            continue;                                  /* e.g. a certificate in the same file */
        if (r <= 0) {
            if (r < 0)
                rc = r;
            break;
        }
        if (is_key) {
            rc = dtls_x509_private_key_from_der(blk.der, blk.der_len, out);
            break;
        }
        if ((blk.label_len == 21 && memcmp(blk.label, "ENCRYPTED PRIVATE KEY", 21) == 0) ||
            (blk.label_len == 15 && memcmp(blk.label, "RSA PRIVATE KEY", 15) == 0)) {
            rc = DTLS_X509_E_UNSUPPORTED_ALGORITHM;
            break;
        }
    }
    dtls_wipe(scratch, scratch_len);
    if (rc != 0)
        dtls_x509_private_key_wipe(out);
    return rc;
}

int dtls_x509_private_key_matches(const struct dtls_x509_private_key *k, const struct dtls_pubkey_ref *pub)
{
    if (k->type == DTLS_KEY_NONE || pub->type != k->type || pub->a_len != k->pub_len)
        return -1;
    return memcmp(pub->a, k->pub, k->pub_len) == 0 ? 0 : -1;
}

void dtls_x509_private_key_wipe(struct dtls_x509_private_key *k)
{
    dtls_wipe(k, sizeof *k);
}

#ifndef DTLS_CONFIG_NO_RSA
/*
 * RSAPrivateKey ::= SEQUENCE { version INTEGER (0), modulus, publicExponent,
 *     privateExponent, prime1, prime2, exponent1, exponent2, coefficient INTEGER }
 * (RFC 8017 A.1.2; version 1, multi-prime, is refused). d is checked for
 * form only: signing uses the CRT values, and dtls_rsa_pss_sign checks each
 * signature with n and e, so a key whose parts disagree never signs.
 */
static int parse_rsa_pkcs1(const uint8_t *p, size_t n, struct dtls_rsa_private_key *out)
{
    struct der d = { p, n };
    struct der_tlv seq;
    uint32_t ver;
    const uint8_t *priv_d;
    size_t priv_d_len;
    if (der_expect(&d, DER_SEQUENCE, &seq) != 0 || der_end(&d) != 0)
        return DTLS_X509_E_BAD_KEY;
    struct der in = der_inside(&seq);
    if (der_uint32(&in, &ver) != 0)
        return DTLS_X509_E_BAD_KEY;
    if (ver != 0)
        return DTLS_X509_E_UNSUPPORTED_ALGORITHM; /* multi-prime */
    if (der_uint(&in, &out->n, &out->n_len) != 0 || der_uint(&in, &out->e, &out->e_len) != 0 ||
        der_uint(&in, &priv_d, &priv_d_len) != 0 || der_uint(&in, &out->p, &out->p_len) != 0 ||
        der_uint(&in, &out->q, &out->q_len) != 0 || der_uint(&in, &out->dp, &out->dp_len) != 0 ||
        der_uint(&in, &out->dq, &out->dq_len) != 0 || der_uint(&in, &out->qinv, &out->qinv_len) != 0 ||
        der_end(&in) != 0)
        return DTLS_X509_E_BAD_KEY;
    size_t bits = dtls_rsa_modulus_bits(out->n, out->n_len);
    if (bits < DTLS_RSA_MIN_BITS)
        return DTLS_X509_E_WEAK_KEY;
    if (bits > DTLS_X509_MAX_RSA_BITS)
        return DTLS_X509_E_UNSUPPORTED_ALGORITHM;
    /* odd modulus and primes, balanced: each prime at most half of the largest modulus */
    if ((out->n[out->n_len - 1] & 1) == 0 || (out->p[out->p_len - 1] & 1) == 0 ||
        (out->q[out->q_len - 1] & 1) == 0 || out->p_len > DTLS_RSA_MAX_BITS / 16 ||
        out->q_len > DTLS_RSA_MAX_BITS / 16 || out->p_len + out->q_len < out->n_len)
        return DTLS_X509_E_BAD_KEY;
    return 0;
}

/* PKCS#8 holding an rsaEncryption key (NULL parameters) */
static int parse_rsa_pkcs8(struct der *in, uint32_t version, struct dtls_rsa_private_key *out)
{
    struct der_tlv priv;
    struct der a;
    const uint8_t *oid, *pub;
    size_t oid_len, pub_len;
    int rc = pkcs8_fields(in, version, &oid, &oid_len, &a, &priv, &pub, &pub_len);
    if (rc != 0)
        return rc;
    if (!DER_OID_EQ(oid, oid_len, OID_RSA_ENCRYPTION))
        return DTLS_X509_E_UNSUPPORTED_ALGORITHM; /* RSASSA-PSS keys, EC, ... */
    if ((der_peek(&a) == DER_NULL && der_null(&a) != 0) || der_end(&a) != 0)
        return DTLS_X509_E_BAD_KEY;
    return parse_rsa_pkcs1(priv.v, priv.len, out);
}
#endif

int dtls_x509_rsa_private_key_from_der(const uint8_t *der, size_t der_len, struct dtls_rsa_private_key *out)
{
    int rc = DTLS_X509_E_BAD_KEY;
    memset(out, 0, sizeof *out);
#ifdef DTLS_CONFIG_NO_RSA
    (void)der;
    (void)der_len;
    rc = DTLS_X509_E_UNSUPPORTED_ALGORITHM;
#else
    struct der d = { der, der_len };
    struct der_tlv seq;
    uint32_t ver;
    if (der != NULL && der_expect(&d, DER_SEQUENCE, &seq) == 0 && der_end(&d) == 0) {
        struct der in = der_inside(&seq);
        if (der_uint32(&in, &ver) != 0)
            rc = DTLS_X509_E_BAD_KEY;
        else if (der_peek(&in) != DER_SEQUENCE)
            rc = parse_rsa_pkcs1(der, der_len, out); /* "RSA PRIVATE KEY" */
        else
            rc = parse_rsa_pkcs8(&in, ver, out);
    }
#endif
    if (rc != 0)
        memset(out, 0, sizeof *out);
    return rc;
}
