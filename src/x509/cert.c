/*
 * X.509 v3 certificate parsing (RFC 5280 4.1) into slices of the DER.
 *
 * Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue BIT STRING }
 * TBSCertificate ::= SEQUENCE {
 *     version [0] EXPLICIT INTEGER DEFAULT v1, serialNumber INTEGER,
 *     signature AlgorithmIdentifier, issuer Name, validity SEQUENCE { notBefore, notAfter },
 *     subject Name, subjectPublicKeyInfo,
 *     issuerUniqueID [1] IMPLICIT BIT STRING OPTIONAL, subjectUniqueID [2] ... OPTIONAL,
 *     extensions [3] EXPLICIT SEQUENCE SIZE (1..MAX) OF Extension OPTIONAL }
 *
 * Every element is read through the strict DER cursor (der.h), so a malformed
 * encoding anywhere is bad_certificate. Three deliberate leniencies, because
 * CAs in the wild emit them and they are harmless: an explicitly encoded
 * `critical FALSE` in an Extension and an explicit `cA FALSE` in
 * basicConstraints (DEFAULT values, which DER omits), and trailing zero bits
 * in the keyUsage BIT STRING (seen in roots of the Mozilla bundle).
 */
#include <string.h>

#include "x509/oid.h"
#include "x509/x509_int.h"

#define MAX_EXTENSIONS 64

#ifndef DTLS_CONFIG_NO_RSA
/* AlgorithmIdentifier of a hash inside RSA-PSS parameters: SEQUENCE { OID, NULL OPTIONAL }. */
static int parse_hash_algid(struct der *d, enum dtls_x509_hash_alg *h)
{
    struct der_tlv seq;
    const uint8_t *oid;
    size_t oid_len;
    if (der_expect(d, DER_SEQUENCE, &seq) != 0)
        return -1;
    struct der in = der_inside(&seq);
    if (der_oid(&in, &oid, &oid_len) != 0)
        return -1;
    if (der_peek(&in) == DER_NULL && der_null(&in) != 0)
        return -1;
    if (der_end(&in) != 0)
        return -1;
    if (DER_OID_EQ(oid, oid_len, OID_SHA256))
        *h = DTLS_X509_HASH_SHA256;
    else if (DER_OID_EQ(oid, oid_len, OID_SHA384))
        *h = DTLS_X509_HASH_SHA384;
    else if (DER_OID_EQ(oid, oid_len, OID_SHA512))
        *h = DTLS_X509_HASH_SHA512;
    else if (DER_OID_EQ(oid, oid_len, OID_SHA1))
        *h = DTLS_X509_HASH_SHA1;
    else if (DER_OID_EQ(oid, oid_len, OID_SHA224))
        *h = DTLS_X509_HASH_SHA224;
    else if (DER_OID_EQ(oid, oid_len, OID_MD5))
        *h = DTLS_X509_HASH_MD5;
    else
        *h = DTLS_X509_HASH_NONE;
    return 0;
}

/*
 * RSASSA-PSS-params ::= SEQUENCE {
 *   hashAlgorithm [0] DEFAULT sha1, maskGenAlgorithm [1] DEFAULT mgf1SHA1,
 *   saltLength [2] INTEGER DEFAULT 20, trailerField [3] INTEGER DEFAULT 1 }
 * All four are EXPLICIT. *hash is NONE when the combination is one we do not
 * verify (MGF1 over another hash, another MGF, unknown hash).
 */
static int parse_pss_params(struct der *params, enum dtls_x509_hash_alg *hash, unsigned *salt)
{
    struct der_tlv seq, t;
    enum dtls_x509_hash_alg h = DTLS_X509_HASH_SHA1, mh = DTLS_X509_HASH_SHA1;
    uint32_t s = 20, trailer = 1;
    int mgf_ok = 1;
    if (der_expect(params, DER_SEQUENCE, &seq) != 0)
        return -1;
    struct der in = der_inside(&seq);
    if (der_peek(&in) == DER_CTX_CONS(0)) {
        if (der_next(&in, &t) != 0)
            return -1;
        struct der x = der_inside(&t);
        if (parse_hash_algid(&x, &h) != 0 || der_end(&x) != 0)
            return -1;
    }
    if (der_peek(&in) == DER_CTX_CONS(1)) {
        struct der_tlv alg;
        const uint8_t *oid;
        size_t oid_len;
        if (der_next(&in, &t) != 0)
            return -1;
        struct der x = der_inside(&t);
        if (der_expect(&x, DER_SEQUENCE, &alg) != 0 || der_end(&x) != 0)
            return -1;
        struct der a = der_inside(&alg);
        if (der_oid(&a, &oid, &oid_len) != 0)
            return -1;
        if (DER_OID_EQ(oid, oid_len, OID_MGF1)) {
            if (parse_hash_algid(&a, &mh) != 0 || der_end(&a) != 0)
                return -1;
        } else {
            mgf_ok = 0;
        }
    }
    if (der_peek(&in) == DER_CTX_CONS(2)) {
        if (der_next(&in, &t) != 0)
            return -1;
        struct der x = der_inside(&t);
        if (der_uint32(&x, &s) != 0 || der_end(&x) != 0)
            return -1;
    }
    if (der_peek(&in) == DER_CTX_CONS(3)) {
        if (der_next(&in, &t) != 0)
            return -1;
        struct der x = der_inside(&t);
        if (der_uint32(&x, &trailer) != 0 || der_end(&x) != 0)
            return -1;
    }
    if (der_end(&in) != 0)
        return -1;
    if (!mgf_ok || mh != h || trailer != 1 || s > 1024)
        h = (h == DTLS_X509_HASH_SHA1 || h == DTLS_X509_HASH_MD5) ? h : DTLS_X509_HASH_NONE;
    *hash = h;
    *salt = (unsigned)s;
    return 0;
}
#endif

/* signatureAlgorithm AlgorithmIdentifier (contents cursor of the SEQUENCE). */
static int parse_sig_algid(struct der *in, struct dtls_x509_cert *c)
{
    const uint8_t *oid;
    size_t n;
    c->sig_alg = DTLS_X509_SIG_UNKNOWN;
    c->sig_hash = DTLS_X509_HASH_NONE;
    c->pss_salt = 0;
    if (der_oid(in, &oid, &n) != 0)
        return -1;
    static const struct {
        const uint8_t *oid;
        uint8_t len;
        uint8_t alg, hash;
    } tab[] = {
        { OID_SHA256_RSA, sizeof OID_SHA256_RSA, DTLS_X509_SIG_RSA_PKCS1, DTLS_X509_HASH_SHA256 },
        { OID_SHA384_RSA, sizeof OID_SHA384_RSA, DTLS_X509_SIG_RSA_PKCS1, DTLS_X509_HASH_SHA384 },
        { OID_SHA512_RSA, sizeof OID_SHA512_RSA, DTLS_X509_SIG_RSA_PKCS1, DTLS_X509_HASH_SHA512 },
        { OID_SHA224_RSA, sizeof OID_SHA224_RSA, DTLS_X509_SIG_RSA_PKCS1, DTLS_X509_HASH_SHA224 },
        { OID_SHA1_RSA, sizeof OID_SHA1_RSA, DTLS_X509_SIG_RSA_PKCS1, DTLS_X509_HASH_SHA1 },
        { OID_MD5_RSA, sizeof OID_MD5_RSA, DTLS_X509_SIG_RSA_PKCS1, DTLS_X509_HASH_MD5 },
        { OID_MD2_RSA, sizeof OID_MD2_RSA, DTLS_X509_SIG_RSA_PKCS1, DTLS_X509_HASH_MD5 },
        { OID_ECDSA_SHA256, sizeof OID_ECDSA_SHA256, DTLS_X509_SIG_ECDSA, DTLS_X509_HASH_SHA256 },
        { OID_ECDSA_SHA384, sizeof OID_ECDSA_SHA384, DTLS_X509_SIG_ECDSA, DTLS_X509_HASH_SHA384 },
        { OID_ECDSA_SHA512, sizeof OID_ECDSA_SHA512, DTLS_X509_SIG_ECDSA, DTLS_X509_HASH_SHA512 },
        { OID_ECDSA_SHA224, sizeof OID_ECDSA_SHA224, DTLS_X509_SIG_ECDSA, DTLS_X509_HASH_SHA224 },
        { OID_ECDSA_SHA1, sizeof OID_ECDSA_SHA1, DTLS_X509_SIG_ECDSA, DTLS_X509_HASH_SHA1 },
    };
    for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++) {
        if (der_oid_eq(oid, n, tab[i].oid, tab[i].len)) {
            /* RFC 4055 / 5758: RSA parameters NULL (absent tolerated), ECDSA absent. */
            if (tab[i].alg == DTLS_X509_SIG_RSA_PKCS1 && der_peek(in) == DER_NULL && der_null(in) != 0)
                return -1;
            if (der_end(in) != 0)
                return -1;
            c->sig_alg = (enum dtls_x509_sig_alg)tab[i].alg;
            c->sig_hash = (enum dtls_x509_hash_alg)tab[i].hash;
            return 0;
        }
    }
    if (DER_OID_EQ(oid, n, OID_ED25519)) {
        if (der_end(in) != 0)
            return -1;                         /* RFC 8410: parameters absent */
        c->sig_alg = DTLS_X509_SIG_ED25519;
        return 0;
    }
#ifndef DTLS_CONFIG_NO_RSA /* (without RSA: an unknown algorithm, below) */
    if (DER_OID_EQ(oid, n, OID_RSA_PSS)) {
        enum dtls_x509_hash_alg h;
        unsigned salt;
        if (parse_pss_params(in, &h, &salt) != 0 || der_end(in) != 0)
            return -1;
        c->sig_alg = h == DTLS_X509_HASH_NONE ? DTLS_X509_SIG_UNKNOWN : DTLS_X509_SIG_RSA_PSS;
        c->sig_hash = h;
        c->pss_salt = salt;
        return 0;
    }
#endif
    /* Unknown algorithm: any parameters, one element at most. */
    if (in->len) {
        struct der_tlv t;
        if (der_next(in, &t) != 0 || der_end(in) != 0)
            return -1;
    }
    return 0;
}

int x509_parse_spki(struct der *spki, struct dtls_pubkey_ref *key)
{
    struct der_tlv alg;
    const uint8_t *oid, *bits;
    size_t oid_len, bits_len;
    unsigned unused;
    memset(key, 0, sizeof *key);
    if (der_expect(spki, DER_SEQUENCE, &alg) != 0 || der_bits(spki, DER_BIT_STRING, &bits, &bits_len, &unused) != 0 ||
        der_end(spki) != 0)
        return -1;
    struct der a = der_inside(&alg);
    if (der_oid(&a, &oid, &oid_len) != 0)
        return -1;
    key->type = DTLS_KEY_NONE;
    key->a = bits;
    key->a_len = bits_len;
#ifndef DTLS_CONFIG_NO_RSA /* (without RSA: a key of unknown type, below) */
    if (DER_OID_EQ(oid, oid_len, OID_RSA_ENCRYPTION) || DER_OID_EQ(oid, oid_len, OID_RSA_PSS)) {
        int pss = DER_OID_EQ(oid, oid_len, OID_RSA_PSS);
        if (pss) {
            if (a.len) {
                enum dtls_x509_hash_alg h;
                unsigned salt;
                if (parse_pss_params(&a, &h, &salt) != 0)
                    return -1;
            }
        } else if (der_peek(&a) == DER_NULL && der_null(&a) != 0) {
            return -1;
        }
        if (der_end(&a) != 0 || unused != 0)
            return -1;
        /* RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }, both positive. */
        struct der kd = { bits, bits_len };
        struct der_tlv seq;
        const uint8_t *n, *e;
        size_t n_len, e_len;
        if (der_expect(&kd, DER_SEQUENCE, &seq) != 0 || der_end(&kd) != 0)
            return -1;
        struct der k = der_inside(&seq);
        if (der_uint(&k, &n, &n_len) != 0 || der_uint(&k, &e, &e_len) != 0 || der_end(&k) != 0)
            return -1;
        if (n[0] == 0 || e[0] == 0 || !(n[n_len - 1] & 1) || !(e[e_len - 1] & 1) || (e_len == 1 && e[0] < 3))
            return -1;                         /* zero, even modulus, even or tiny exponent */
        key->type = pss ? DTLS_KEY_RSA_PSS : DTLS_KEY_RSA;
        key->a = n;
        key->a_len = n_len;
        key->b = e;
        key->b_len = e_len;
        return 0;
    }
#endif
    if (DER_OID_EQ(oid, oid_len, OID_EC_PUBLIC_KEY)) {
        const uint8_t *curve;
        size_t curve_len;
        /* ECParameters: only namedCurve (RFC 5480); implicit / specified curves are unknown keys. */
        if (der_peek(&a) != DER_OID) {
            struct der_tlv t;
            if (der_next(&a, &t) != 0 || der_end(&a) != 0)
                return -1;
            return 0;
        }
        if (der_oid(&a, &curve, &curve_len) != 0 || der_end(&a) != 0 || unused != 0)
            return -1;
        size_t plen;
        enum dtls_key_type kt;
        if (DER_OID_EQ(curve, curve_len, OID_P256)) {
            plen = 65;
            kt = DTLS_KEY_P256;
        } else if (DER_OID_EQ(curve, curve_len, OID_P384)) {
            plen = 97;
            kt = DTLS_KEY_P384;
        } else {
            return 0;                          /* another curve: parsed, unusable */
        }
        if (bits_len == 0)
            return -1;
        if (bits[0] != 0x04)                   /* compressed or hybrid: not supported */
            return (bits[0] == 0x02 || bits[0] == 0x03 || bits[0] == 0x06 || bits[0] == 0x07) ? 0 : -1;
        if (bits_len != plen)
            return -1;
        key->type = kt;
        return 0;
    }
    if (DER_OID_EQ(oid, oid_len, OID_ED25519)) {
        if (der_end(&a) != 0 || unused != 0 || bits_len != 32)
            return -1;
        key->type = DTLS_KEY_ED25519;
        return 0;
    }
    /* Unknown algorithm: at most one parameters element. */
    if (a.len) {
        struct der_tlv t;
        if (der_next(&a, &t) != 0 || der_end(&a) != 0)
            return -1;
    }
    return 0;
}

/* Name ::= SEQUENCE OF SET SIZE (1..MAX) OF SEQUENCE { type OID, value ANY } */
static int check_name(const struct der_tlv *name)
{
    struct der rdns = der_inside(name);
    while (rdns.len) {
        struct der_tlv set;
        if (der_expect(&rdns, DER_SET, &set) != 0 || set.len == 0)
            return -1;
        struct der atvs = der_inside(&set);
        while (atvs.len) {
            struct der_tlv atv, val;
            const uint8_t *oid;
            size_t oid_len;
            if (der_expect(&atvs, DER_SEQUENCE, &atv) != 0)
                return -1;
            struct der x = der_inside(&atv);
            if (der_oid(&x, &oid, &oid_len) != 0 || der_next(&x, &val) != 0 || der_end(&x) != 0)
                return -1;
        }
    }
    return 0;
}

/* One GeneralName (RFC 5280 4.2.1.6). in_nc: inside NameConstraints, where
 * iPAddress is address+mask (8 or 32 octets) and empty strings are allowed. */
static int check_general_name(struct der *d, int in_nc)
{
    struct der_tlv t;
    if (der_next(d, &t) != 0 || (t.id & 0xc0) != 0x80 || t.num > 8)
        return -1;
    int constructed = (t.id & 0x20) != 0;
    switch (t.num) {
    case 1: /* rfc822Name */
    case 2: /* dNSName */
    case 6: /* uniformResourceIdentifier: IA5String */
        if (constructed || (!in_nc && t.len == 0))
            return -1;
        for (size_t i = 0; i < t.len; i++)
            if (t.v[i] & 0x80)
                return -1;
        return 0;
    case 7: /* iPAddress */
        if (constructed)
            return -1;
        if (in_nc)
            return (t.len == 8 || t.len == 32) ? 0 : -1;
        return (t.len == 4 || t.len == 16) ? 0 : -1;
    case 4: { /* directoryName [4] EXPLICIT Name */
        struct der x = der_inside(&t);
        struct der_tlv name;
        if (!constructed || der_expect(&x, DER_SEQUENCE, &name) != 0 || der_end(&x) != 0)
            return -1;
        return check_name(&name);
    }
    case 0: /* otherName, x400Address, ediPartyName: constructed, contents not interpreted */
    case 3:
    case 5:
        return constructed ? 0 : -1;
    case 8: /* registeredID: IMPLICIT OID */
        return (!constructed && t.len > 0) ? 0 : -1;
    default:
        return -1;
    }
}

int x509_check_general_names(const uint8_t *p, size_t len)
{
    struct der d = { p, len };
    if (len == 0)
        return -1;                             /* SIZE (1..MAX) */
    while (d.len)
        if (check_general_name(&d, 0) != 0)
            return -1;
    return 0;
}

/* GeneralSubtrees ::= SEQUENCE SIZE (1..MAX) OF SEQUENCE { base GeneralName,
 * minimum [0] DEFAULT 0, maximum [1] OPTIONAL }; RFC 5280 forbids both
 * minimum (DER: the default 0 is never encoded) and maximum. */
static int check_subtrees(const struct der_tlv *t)
{
    struct der d = der_inside(t);
    if (d.len == 0)
        return -1;
    while (d.len) {
        struct der_tlv st;
        if (der_expect(&d, DER_SEQUENCE, &st) != 0)
            return -1;
        struct der x = der_inside(&st);
        if (check_general_name(&x, 1) != 0 || der_end(&x) != 0)
            return -1;
    }
    return 0;
}

static int parse_extension_value(struct dtls_x509_cert *c, const uint8_t *oid, size_t oid_len, int critical,
                                 const uint8_t *v, size_t len)
{
    struct der d = { v, len };
    struct der_tlv t;
    if (DER_OID_EQ(oid, oid_len, OID_EXT_BASIC)) {
        int ca = 0;
        if (der_expect(&d, DER_SEQUENCE, &t) != 0 || der_end(&d) != 0)
            return -1;
        struct der in = der_inside(&t);
        if (der_peek(&in) == DER_BOOLEAN && der_bool(&in, &ca) != 0)
            return -1;
        c->flags |= DTLS_X509_CERT_HAS_BASIC | (ca ? DTLS_X509_CERT_CA : 0u);
        if (in.len) {
            uint32_t pl;
            const uint8_t *iv;
            size_t il;
            struct der save = in;
            if (der_uint32(&in, &pl) != 0) {
                in = save;
                if (der_uint(&in, &iv, &il) != 0)  /* a huge non-negative value: no limit in practice */
                    return -1;
                pl = 255;
            }
            if (!ca || der_end(&in) != 0)
                return -1;                          /* RFC 5280: pathLen only when cA is TRUE */
            c->flags |= DTLS_X509_CERT_HAS_PATH_LEN;
            c->path_len = pl > 255 ? 255u : (unsigned)pl;
        }
        return 0;
    }
    if (DER_OID_EQ(oid, oid_len, OID_EXT_KEY_USAGE)) {
        const uint8_t *b;
        size_t n;
        unsigned unused;
        if (der_bits(&d, DER_BIT_STRING, &b, &n, &unused) != 0 || der_end(&d) != 0)
            return -1;
        /* Named bit list; 9 bits defined. DER forbids trailing zero bits
         * (03 03 07 06 00 should be 03 02 01 06) but roots in the Mozilla
         * bundle carry them, so they are tolerated: the bits are what count. */
        if (n == 0 || n > 4)
            return -1;
        unsigned ku = 0;
        for (unsigned i = 0; i < 8 * n && i < 9; i++)
            if (b[i / 8] & (0x80u >> (i % 8)))
                ku |= 1u << i;
        c->flags |= DTLS_X509_CERT_HAS_KU;
        c->key_usage = ku;
        return 0;
    }
    if (DER_OID_EQ(oid, oid_len, OID_EXT_EKU)) {
        if (der_expect(&d, DER_SEQUENCE, &t) != 0 || der_end(&d) != 0 || t.len == 0)
            return -1;
        struct der in = der_inside(&t);
        unsigned eku = 0;
        while (in.len) {
            const uint8_t *p;
            size_t pl;
            if (der_oid(&in, &p, &pl) != 0)
                return -1;
            if (DER_OID_EQ(p, pl, OID_EKU_SERVER))
                eku |= DTLS_X509_EKU_SERVER;
            else if (DER_OID_EQ(p, pl, OID_EKU_CLIENT))
                eku |= DTLS_X509_EKU_CLIENT;
            else if (DER_OID_EQ(p, pl, OID_EKU_ANY))
                eku |= DTLS_X509_EKU_ANY;
            else
                eku |= DTLS_X509_EKU_OTHER;
        }
        c->flags |= DTLS_X509_CERT_HAS_EKU;
        c->ext_key_usage = eku;
        return 0;
    }
    if (DER_OID_EQ(oid, oid_len, OID_EXT_SAN)) {
        if (der_expect(&d, DER_SEQUENCE, &t) != 0 || der_end(&d) != 0 || x509_check_general_names(t.v, t.len) != 0)
            return -1;
        c->san = t.v;
        c->san_len = t.len;
        return 0;
    }
    if (DER_OID_EQ(oid, oid_len, OID_EXT_NAME_CONSTRAINTS)) {
        if (der_expect(&d, DER_SEQUENCE, &t) != 0 || der_end(&d) != 0 || t.len == 0)
            return -1;
        struct der in = der_inside(&t);
        struct der_tlv sub;
        if (der_peek(&in) == DER_CTX_CONS(0) && (der_next(&in, &sub) != 0 || check_subtrees(&sub) != 0))
            return -1;
        if (der_peek(&in) == DER_CTX_CONS(1) && (der_next(&in, &sub) != 0 || check_subtrees(&sub) != 0))
            return -1;
        if (der_end(&in) != 0)
            return -1;
        c->name_constraints = t.v;
        c->name_constraints_len = t.len;
        return 0;
    }
    /* Understood well enough to ignore even when critical: identifiers, and
     * certificate policies (no policy processing: any policy is acceptable,
     * as for every TLS client that does not ask for a policy). */
    if (DER_OID_EQ(oid, oid_len, OID_EXT_SKI) || DER_OID_EQ(oid, oid_len, OID_EXT_AKI) ||
        DER_OID_EQ(oid, oid_len, OID_EXT_POLICIES))
        return 0;
    if (critical)
        c->flags |= DTLS_X509_CERT_UNKNOWN_CRITICAL;
    return 0;
}

static int parse_extensions(struct dtls_x509_cert *c, const struct der_tlv *wrap)
{
    struct der w = der_inside(wrap);
    struct der_tlv seq;
    if (der_expect(&w, DER_SEQUENCE, &seq) != 0 || der_end(&w) != 0 || seq.len == 0)
        return -1;
    struct der all = der_inside(&seq), exts = all;
    unsigned count = 0;
    while (exts.len) {
        struct der_tlv ext, val;
        const uint8_t *oid;
        size_t oid_len;
        int critical = 0;
        if (++count > MAX_EXTENSIONS || der_expect(&exts, DER_SEQUENCE, &ext) != 0)
            return -1;
        struct der in = der_inside(&ext);
        if (der_oid(&in, &oid, &oid_len) != 0)
            return -1;
        if (der_peek(&in) == DER_BOOLEAN && der_bool(&in, &critical) != 0)
            return -1;
        if (der_expect(&in, DER_OCTET_STRING, &val) != 0 || der_end(&in) != 0)
            return -1;
        /* RFC 5280 4.2: one instance of an extension per certificate. The
         * earlier extensions were all well formed, so re-walking them cannot fail. */
        struct der prev = all;
        for (unsigned i = 1; i < count; i++) {
            struct der_tlv pe;
            const uint8_t *po;
            size_t pol;
            if (der_expect(&prev, DER_SEQUENCE, &pe) != 0)
                return -1;
            struct der px = der_inside(&pe);
            if (der_oid(&px, &po, &pol) != 0)
                return -1;
            if (der_oid_eq(po, pol, oid, oid_len))
                return -1;
        }
        if (parse_extension_value(c, oid, oid_len, critical, val.v, val.len) != 0)
            return -1;
    }
    return 0;
}

int dtls_x509_cert_parse(const uint8_t *der, size_t der_len, struct dtls_x509_cert *c)
{
    struct der d = { der, der_len };
    struct der_tlv cert, tbs, alg, tbs_alg, t, issuer, subject, validity, spki;
    memset(c, 0, sizeof *c);
    if (der == NULL || der_expect(&d, DER_SEQUENCE, &cert) != 0 || der_end(&d) != 0)
        goto bad;
    c->der = der;
    c->der_len = cert.raw_len;
    struct der cd = der_inside(&cert);
    if (der_expect(&cd, DER_SEQUENCE, &tbs) != 0 || der_expect(&cd, DER_SEQUENCE, &alg) != 0 ||
        der_bits_octets(&cd, &c->sig, &c->sig_len) != 0 || der_end(&cd) != 0)
        goto bad;
    c->tbs = tbs.raw;
    c->tbs_len = tbs.raw_len;

    struct der in = der_inside(&tbs);
    c->version = 1;
    if (der_peek(&in) == DER_CTX_CONS(0)) {
        uint32_t ver;
        if (der_next(&in, &t) != 0)
            goto bad;
        struct der x = der_inside(&t);
        /* v1 is the DEFAULT and so never encoded in DER. */
        if (der_uint32(&x, &ver) != 0 || der_end(&x) != 0 || ver < 1 || ver > 2)
            goto bad;
        c->version = ver + 1;
    }
    if (der_integer(&in, &c->serial, &c->serial_len) != 0)
        goto bad;
    if (der_expect(&in, DER_SEQUENCE, &tbs_alg) != 0)
        goto bad;
    /* The two copies of the signature algorithm must agree (RFC 5280 4.1.1.2). */
    if (tbs_alg.raw_len != alg.raw_len || memcmp(tbs_alg.raw, alg.raw, alg.raw_len) != 0)
        goto bad;
    struct der ad = der_inside(&alg);
    if (parse_sig_algid(&ad, c) != 0)
        goto bad;
    if (der_expect(&in, DER_SEQUENCE, &issuer) != 0 || check_name(&issuer) != 0)
        goto bad;
    c->issuer = issuer.raw;
    c->issuer_len = issuer.raw_len;
    if (der_expect(&in, DER_SEQUENCE, &validity) != 0)
        goto bad;
    struct der vd = der_inside(&validity);
    if (der_time(&vd, &c->not_before) != 0 || der_time(&vd, &c->not_after) != 0 || der_end(&vd) != 0)
        goto bad;
    if (der_expect(&in, DER_SEQUENCE, &subject) != 0 || check_name(&subject) != 0)
        goto bad;
    c->subject = subject.raw;
    c->subject_len = subject.raw_len;
    if (der_expect(&in, DER_SEQUENCE, &spki) != 0)
        goto bad;
    c->spki = spki.raw;
    c->spki_len = spki.raw_len;
    struct der sd = der_inside(&spki);
    if (x509_parse_spki(&sd, &c->key) != 0)
        goto bad;
    for (unsigned id = 1; id <= 2; id++) {
        if (der_peek(&in) == (int)DER_CTX(id)) {
            const uint8_t *b;
            size_t bl;
            unsigned unused;
            if (c->version < 2 || der_bits(&in, (uint8_t)DER_CTX(id), &b, &bl, &unused) != 0)
                goto bad;
        }
    }
    if (der_peek(&in) == DER_CTX_CONS(3)) {
        if (c->version != 3 || der_next(&in, &t) != 0 || parse_extensions(c, &t) != 0)
            goto bad;
    }
    if (der_end(&in) != 0)
        goto bad;
    if (c->issuer_len == c->subject_len && memcmp(c->issuer, c->subject, c->issuer_len) == 0)
        c->flags |= DTLS_X509_CERT_SELF_ISSUED;
    return 0;
bad:
    memset(c, 0, sizeof *c);
    return DTLS_X509_E_BAD_CERTIFICATE;
}

int dtls_x509_cert_pubkey(const uint8_t *der, size_t der_len, struct dtls_pubkey_ref *out)
{
    struct dtls_x509_cert c;
    int rc = dtls_x509_cert_parse(der, der_len, &c);
    memset(out, 0, sizeof *out);
    if (rc != 0)
        return rc;
    if (c.key.type == DTLS_KEY_NONE)
        return DTLS_X509_E_UNSUPPORTED_ALGORITHM;
    *out = c.key;
    return 0;
}

int dtls_x509_cert_key(const uint8_t *der, size_t der_len, struct dtls_x509_key *out)
{
    struct dtls_pubkey_ref k;
    memset(out, 0, sizeof *out);
    int rc = dtls_x509_cert_pubkey(der, der_len, &k);
    if (rc != 0)
        return rc;
    if (k.a_len > sizeof out->k || k.b_len > sizeof out->e)
        return DTLS_X509_E_UNSUPPORTED_ALGORITHM;
    memcpy(out->k, k.a, k.a_len);
    out->len = (uint16_t)k.a_len;
    if (k.b_len)
        memcpy(out->e, k.b, k.b_len);
    out->e_len = (uint8_t)k.b_len;
    out->type = (uint8_t)k.type;
    return 0;
}

void dtls_x509_key_ref(const struct dtls_x509_key *k, struct dtls_pubkey_ref *out)
{
    out->type = (enum dtls_key_type)k->type;
    out->a = k->k;
    out->a_len = k->len;
    out->b = k->e;
    out->b_len = k->e_len;
}

int dtls_x509_san_next(const struct dtls_x509_cert *c, size_t *pos, unsigned *type, const uint8_t **name,
                       size_t *name_len)
{
    if (c->san == NULL || *pos >= c->san_len)
        return 0;
    struct der d = { c->san + *pos, c->san_len - *pos };
    struct der_tlv t;
    if (der_next(&d, &t) != 0)
        return 0;
    *pos += t.raw_len;
    *type = t.num;
    *name = t.v;
    *name_len = t.len;
    return 1;
}

int x509_ascii_ieq(const uint8_t *a, const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z')
            x = (uint8_t)(x + 32);
        if (y >= 'A' && y <= 'Z')
            y = (uint8_t)(y + 32);
        if (x != y)
            return 0;
    }
    return 1;
}

int x509_key_check(const struct dtls_pubkey_ref *k)
{
    switch (k->type) {
    case DTLS_KEY_RSA:
    case DTLS_KEY_RSA_PSS: {
        /* The parser guarantees a[0] != 0, so bits = 8 * len - leading zero bits of a[0]. */
        size_t bits = 8 * k->a_len;
        for (uint8_t top = k->a[0]; !(top & 0x80); top = (uint8_t)(top << 1))
            bits--;
        if (bits < 2048)
            return DTLS_X509_E_WEAK_KEY;
        if (bits > DTLS_X509_MAX_RSA_BITS || k->b_len > 4)
            return DTLS_X509_E_UNSUPPORTED_ALGORITHM;
        return 0;
    }
    case DTLS_KEY_P256:
        return k->a_len == 65 ? 0 : DTLS_X509_E_UNSUPPORTED_ALGORITHM;
    case DTLS_KEY_P384:
        return k->a_len == 97 ? 0 : DTLS_X509_E_UNSUPPORTED_ALGORITHM;
    case DTLS_KEY_ED25519:
        return k->a_len == 32 ? 0 : DTLS_X509_E_UNSUPPORTED_ALGORITHM;
    default:
        return DTLS_X509_E_UNSUPPORTED_ALGORITHM;
    }
}

int x509_key_copy(struct dtls_x509_key *dst, const struct dtls_pubkey_ref *src)
{
    memset(dst, 0, sizeof *dst);
    int rc = x509_key_check(src);
    if (rc != 0)
        return rc;
    /* a_len <= DTLS_X509_MAX_RSA_BITS / 8 or 97, both <= sizeof dst->k; b_len <= 4 */
    memcpy(dst->k, src->a, src->a_len);
    dst->len = (uint16_t)src->a_len;
    if (src->b_len)
        memcpy(dst->e, src->b, src->b_len);
    dst->e_len = (uint8_t)src->b_len;
    dst->type = (uint8_t)src->type;
    return 0;
}
