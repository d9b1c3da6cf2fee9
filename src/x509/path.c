/*
 * Streaming certification-path validation (RFC 5280 6.1, as a TLS client
 * needs it). See the comment on struct dtls_x509_validator in
 * <dtls/x509.h> for the model; the invariants this file keeps:
 *
 *  - v->tip is the highest certificate of the path built so far whose own
 *    signature is not verified yet; v->depth counts the certificates in the
 *    path (leaf = 1), so the tip sits at path index depth - 1 and the next
 *    issuer at index depth.
 *  - v->n_below is the number of non-self-issued CA certificates in the path
 *    from the leaf's issuer up to the tip (the leaf is never counted). A CA
 *    with pathLenConstraint p may sit above at most p of them (RFC 5280
 *    4.2.1.9), so joining requires p >= n_below.
 *  - every certificate that joins the path has had its issuer-independent
 *    checks (ca_check) and its position checks (depth, pathLen) done, and
 *    the signature of the certificate below it verified with its key.
 *  - nothing points into a caller's DER after add() returns.
 *
 * Errors: a failure that no other certificate could fix is fatal and sticky
 * (v->err). A candidate issuer that merely fails to verify the tip (wrong
 * key, unusable key) is skipped and remembered in v->soft_err, which
 * finish() reports instead of unknown_ca if no path is found.
 */
#include <string.h>

#include <dtls/crypto.h>

#include "crypto/ec.h"
#include "crypto/sha2.h"
#include "crypto/util.h"
#include "x509/x509_int.h"
#include "x509/x509_names.h"

/* Without the built-in table (a firmware's own, see <dtls/crypto_algs.h>) the
 * validator needs dtls_x509_validator_set_crypto() before the first add(). */
#ifdef DTLS_CONFIG_NO_BUILTIN_CRYPTO
#define DEFAULT_CRYPTO NULL
#else
#define DEFAULT_CRYPTO (&dtls_crypto_builtin)
#endif

/* The provider's hash for a certificate signature, or NULL: a build whose table has
 * no SHA-384/512 does not link them, and rejects such signatures as unsupported. */
static const struct dtls_hash *hash_of(const struct dtls_crypto *cr, unsigned h)
{
    switch (h) {
    case DTLS_X509_HASH_SHA256:
        return cr->sha256;
    case DTLS_X509_HASH_SHA384:
        return cr->sha384;
    case DTLS_X509_HASH_SHA512:
        return cr->sha512;
    default:
        return NULL;
    }
}

static void sha256(const uint8_t *p, size_t n, uint8_t out[32])
{
    dtls_sha256(p, n, out);
}

/* Why a signature with this algorithm cannot be checked, or 0. */
static int sig_usable(const struct dtls_crypto *cr, unsigned alg, unsigned hash)
{
    if (hash == DTLS_X509_HASH_MD5 || hash == DTLS_X509_HASH_SHA1)
        return DTLS_X509_E_WEAK_SIGNATURE;
    if (alg == DTLS_X509_SIG_UNKNOWN || (alg != DTLS_X509_SIG_ED25519 && hash_of(cr, hash) == NULL))
        return DTLS_X509_E_UNSUPPORTED_ALGORITHM;
    return 0;
}

/*
 * Verify one signature. msg is the TBS digest (hash of `hash`) or, for
 * Ed25519, the TBS itself. Returns 0, DTLS_X509_E_BAD_SIGNATURE (this key
 * did not make this signature, including a key of the wrong type), or
 * another error when the signature cannot be checked at all.
 */
static int verify_sig(const struct dtls_crypto *cr, unsigned alg, unsigned hash, unsigned salt, const uint8_t *sig,
                      size_t sig_len, const uint8_t *msg, size_t msg_len, const struct dtls_pubkey_ref *key)
{
    int rc = sig_usable(cr, alg, hash);
    if (rc)
        return rc;
#ifndef DTLS_CONFIG_NO_RSA
    const struct dtls_hash *h = hash_of(cr, hash);
#else
    (void)salt;
#endif
    switch (alg) {
#ifndef DTLS_CONFIG_NO_RSA /* (no RSA key is ever parsed: unsupported, below) */
    case DTLS_X509_SIG_RSA_PKCS1:
        if (key->type != DTLS_KEY_RSA)
            return DTLS_X509_E_BAD_SIGNATURE;
        if (!cr->rsa_pkcs1_verify)
            return DTLS_X509_E_UNSUPPORTED_ALGORITHM;
        rc = cr->rsa_pkcs1_verify(key->a, key->a_len, key->b, key->b_len, h, msg, sig, sig_len);
        break;
    case DTLS_X509_SIG_RSA_PSS:
        if (key->type != DTLS_KEY_RSA && key->type != DTLS_KEY_RSA_PSS)
            return DTLS_X509_E_BAD_SIGNATURE;
        if (!cr->rsa_pss_verify)
            return DTLS_X509_E_UNSUPPORTED_ALGORITHM;
        rc = cr->rsa_pss_verify(key->a, key->a_len, key->b, key->b_len, h, msg, salt, sig, sig_len);
        break;
#endif
    case DTLS_X509_SIG_ECDSA: {
        uint8_t rs[96];
        if (key->type == DTLS_KEY_P256) {
            if (!cr->p256_verify)
                return DTLS_X509_E_UNSUPPORTED_ALGORITHM;
            rc = dtls_ecdsa_der_to_rs(rs, 32, sig, sig_len);
            if (rc == 0)
                rc = cr->p256_verify(key->a, key->a_len, msg, msg_len, rs);
        } else if (key->type == DTLS_KEY_P384) {
            if (!cr->p384_verify)
                return DTLS_X509_E_UNSUPPORTED_ALGORITHM;
            rc = dtls_ecdsa_der_to_rs(rs, 48, sig, sig_len);
            if (rc == 0)
                rc = cr->p384_verify(key->a, key->a_len, msg, msg_len, rs);
        } else {
            return DTLS_X509_E_BAD_SIGNATURE;
        }
        break;
    }
    case DTLS_X509_SIG_ED25519:
        if (key->type != DTLS_KEY_ED25519 || sig_len != 64)
            return DTLS_X509_E_BAD_SIGNATURE;
        if (!cr->ed25519_verify)
            return DTLS_X509_E_UNSUPPORTED_ALGORITHM;
        rc = cr->ed25519_verify(key->a, msg, msg_len, sig);
        break;
    default:
        return DTLS_X509_E_UNSUPPORTED_ALGORITHM;
    }
    return rc == 0 ? 0 : DTLS_X509_E_BAD_SIGNATURE;
}

static struct dtls_pubkey_ref key_ref(const struct dtls_x509_key *k)
{
    struct dtls_pubkey_ref r;
    dtls_x509_key_ref(k, &r);
    return r;
}

/* Is the key usable as a signer (or TLS leaf) key? 0, weak_key, unsupported_algorithm. */
static int key_usable(const struct dtls_pubkey_ref *k)
{
    return x509_key_check(k);
}

/*
 * The TBS digest of a certificate. Kept out of line so that the hash context
 * (sized for SHA-512) is off the stack again before the signature check runs
 * below the caller: that check is the deepest point of the handshake.
 */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static void tbs_digest(const struct dtls_hash *h, const struct dtls_x509_cert *c, uint8_t *out)
{
    dtls_hash_ctx hc;
    h->init(&hc);
    h->update(&hc, c->tbs, c->tbs_len);
    h->final(&hc, out);
}

/* Fill a link from a parsed certificate: names, SPKI hash, and what its
 * signature check will need once the issuer key is known. */
static void link_from_cert(const struct dtls_crypto *cr, struct dtls_x509_link *L, const struct dtls_x509_cert *c)
{
    sha256(c->issuer, c->issuer_len, L->issuer);
    sha256(c->subject, c->subject_len, L->subject);
    sha256(c->spki, c->spki_len, L->spki);
    L->sig_alg = (uint8_t)c->sig_alg;
    L->sig_hash = (uint8_t)c->sig_hash;
    L->pss_salt = (uint16_t)c->pss_salt;
    L->sig_len = 0;
    L->msg_len = 0;
    L->verr = (int16_t)sig_usable(cr, c->sig_alg, c->sig_hash);
    if (L->verr)
        return;
    if (c->sig_len > DTLS_X509_SIG_MAX) {
        L->verr = DTLS_X509_E_UNSUPPORTED_ALGORITHM;   /* larger than any key this build accepts */
        return;
    }
    memcpy(L->blob, c->sig, c->sig_len);
    L->sig_len = (uint16_t)c->sig_len;
    if (c->sig_alg == DTLS_X509_SIG_ED25519) {
        /* Ed25519 hashes R || A || M: nothing can be computed before the issuer key A is known. */
        if (c->tbs_len > sizeof L->blob - L->sig_len) {
            L->verr = DTLS_X509_E_TOO_LARGE;
            return;
        }
        memcpy(L->blob + L->sig_len, c->tbs, c->tbs_len);
        L->msg_len = (uint16_t)c->tbs_len;
    } else {
        const struct dtls_hash *h = hash_of(cr, c->sig_hash);
        tbs_digest(h, c, L->blob + L->sig_len);
        L->msg_len = (uint16_t)h->digest_len;
    }
}

/* Verify a certificate's signature with key while its DER is still in memory. */
static int verify_cert(const struct dtls_x509_validator *v, const struct dtls_x509_cert *c,
                       const struct dtls_pubkey_ref *key)
{
    if (c->sig_alg == DTLS_X509_SIG_ED25519)
        return verify_sig(v->crypto, c->sig_alg, c->sig_hash, 0, c->sig, c->sig_len, c->tbs, c->tbs_len, key);
    int rc = sig_usable(v->crypto, c->sig_alg, c->sig_hash);
    if (rc)
        return rc;
    const struct dtls_hash *h = hash_of(v->crypto, c->sig_hash);
    uint8_t digest[DTLS_HASH_MAX_DIGEST];
    tbs_digest(h, c, digest);
    return verify_sig(v->crypto, c->sig_alg, c->sig_hash, c->pss_salt, c->sig, c->sig_len, digest, h->digest_len,
                      key);
}

/* Verify the link's signature with key. c, when given, is the link's own
 * certificate, still in memory: it is used directly (so, for one, a large
 * Ed25519-signed TBS that did not fit the link can still be checked). */
static int verify_link(const struct dtls_x509_validator *v, const struct dtls_x509_link *L,
                       const struct dtls_x509_cert *c, const struct dtls_pubkey_ref *key)
{
    if (c != NULL)
        return verify_cert(v, c, key);
    if (L->verr)
        return L->verr;
    return verify_sig(v->crypto, L->sig_alg, L->sig_hash, L->pss_salt, L->blob, L->sig_len, L->blob + L->sig_len,
                      L->msg_len, key);
}

static int eku_ok(unsigned eku, unsigned purpose)
{
    if (purpose == DTLS_X509_PURPOSE_ANY || (eku & DTLS_X509_EKU_ANY))
        return 1;
    return (eku & (purpose == DTLS_X509_PURPOSE_CLIENT ? DTLS_X509_EKU_CLIENT : DTLS_X509_EKU_SERVER)) != 0;
}

static int dates_ok(const struct dtls_x509_validator *v, const struct dtls_x509_cert *c)
{
    if (v->now == DTLS_X509_TIME_UNKNOWN)
        return 0;
    if (v->now < c->not_before)
        return DTLS_X509_E_NOT_YET_VALID;
    if (v->now > c->not_after)
        return DTLS_X509_E_EXPIRED;
    return 0;
}

/* The checks a CA certificate must pass wherever it sits in the path. */
static int ca_check(const struct dtls_x509_validator *v, const struct dtls_x509_cert *c)
{
    int rc;
    if (c->flags & DTLS_X509_CERT_UNKNOWN_CRITICAL)
        return DTLS_X509_E_CRITICAL_EXTENSION;
    if (!(c->flags & DTLS_X509_CERT_CA))
        return DTLS_X509_E_NOT_A_CA;
    if ((c->flags & DTLS_X509_CERT_HAS_KU) && !(c->key_usage & DTLS_X509_KU_KEY_CERT_SIGN))
        return DTLS_X509_E_KEY_USAGE;
    /* As OpenSSL and most clients do: an EKU on a CA restricts what it may issue for. */
    if ((c->flags & DTLS_X509_CERT_HAS_EKU) && !eku_ok(c->ext_key_usage, v->purpose))
        return DTLS_X509_E_EXT_KEY_USAGE;
    if ((rc = dates_ok(v, c)) != 0)
        return rc;
    if (c->name_constraints != NULL &&
        (rc = x509_nc_check(c->name_constraints, c->name_constraints_len, v->names, v->names_len, v->names_forms)) != 0)
        return rc;
    return 0;
}

/* Checks that depend on where the new issuer sits. */
static int position_check(const struct dtls_x509_validator *v, unsigned has_path_len, unsigned path_len,
                          unsigned n_below)
{
    if (v->depth + 1u > DTLS_X509_MAX_DEPTH)
        return DTLS_X509_E_CHAIN_TOO_LONG;
    if (has_path_len && path_len < n_below)
        return DTLS_X509_E_PATH_LENGTH;
    return 0;
}

static int fail(struct dtls_x509_validator *v, int err, unsigned depth)
{
    if (v->err == 0) {
        v->err = (int16_t)err;
        v->err_depth = (uint8_t)depth;
    }
    return v->err;
}

static void soft(struct dtls_x509_validator *v, int err, unsigned depth)
{
    if (v->soft_err == 0) {
        v->soft_err = (int16_t)err;
        v->soft_depth = (uint8_t)depth;
    }
}

static int key_equal(const struct dtls_x509_key *a, const struct dtls_pubkey_ref *b)
{
    return a->type == (uint8_t)b->type && a->len == b->a_len && memcmp(a->k, b->a, b->a_len) == 0 &&
           a->e_len == b->b_len && (b->b_len == 0 || memcmp(a->e, b->b, b->b_len) == 0);
}

/*
 * Can an anchor finish the path above a certificate (link L, or c itself
 * while its DER is in memory) with the given issuer Name hash, sitting at
 * index depth - 1 with n_below CAs below and including it? Returns 1 when
 * it does, 0 when not (soft errors noted), or a fatal error (< 0).
 */
static int try_anchors(struct dtls_x509_validator *v, const uint8_t issuer[32], const struct dtls_x509_link *L,
                       const struct dtls_x509_cert *c, unsigned depth, unsigned n_below)
{
    if (v->anchors == NULL)
        return 0;
    for (size_t i = 0; i < v->anchors->count; i++) {
        const struct dtls_x509_anchor *a = &v->anchors->list[i];
        if (memcmp(a->subject_hash, issuer, 32) != 0)
            continue;
        if (!(a->flags & DTLS_X509_ANCHOR_CA)) {
            soft(v, DTLS_X509_E_NOT_A_CA, depth);
            continue;
        }
        struct dtls_pubkey_ref k = key_ref(&a->key);
        int rc = verify_link(v, L, c, &k);
        if (rc == DTLS_X509_E_BAD_SIGNATURE) {
            soft(v, rc, depth - 1);
            continue;
        }
        if (rc != 0)
            return fail(v, rc, depth - 1);
        if ((a->flags & DTLS_X509_ANCHOR_PATH_LEN) && a->max_path_len < n_below)
            return fail(v, DTLS_X509_E_PATH_LENGTH, depth);
        return 1;
    }
    return 0;
}

/* After the tip moved: finish at an anchor, or pull waiting CAs from the pool. */
static int climb(struct dtls_x509_validator *v, const struct dtls_x509_cert *c)
{
    for (;;) {
        int rc = try_anchors(v, v->tip.issuer, &v->tip, c, v->depth, v->n_below);
        if (rc < 0)
            return rc;
        if (rc == 1) {
            v->complete = 1;
            return 0;
        }
        c = NULL;
        struct dtls_x509_pending *next = NULL;
#if DTLS_X509_MAX_PENDING > 0
        for (size_t i = 0; i < DTLS_X509_MAX_PENDING && next == NULL; i++) {
            struct dtls_x509_pending *p = &v->pending[i];
            if (!p->used || memcmp(p->link.subject, v->tip.issuer, 32) != 0)
                continue;
            p->used = 0;
            if (p->key_err) {
                soft(v, p->key_err, v->depth);
                continue;
            }
            struct dtls_pubkey_ref k = key_ref(&p->key);
            rc = verify_link(v, &v->tip, NULL, &k);
            if (rc == DTLS_X509_E_BAD_SIGNATURE) {
                soft(v, rc, v->depth - 1u);
                continue;
            }
            if (rc != 0)
                return fail(v, rc, v->depth - 1u);
            if (p->join_err)
                return fail(v, p->join_err, v->depth);
            if ((rc = position_check(v, p->has_path_len, p->path_len, v->n_below)) != 0)
                return fail(v, rc, v->depth);
            next = p;
        }
#endif
        if (next == NULL)
            return 0;
        v->tip = next->link;
        v->n_below_prev = v->n_below;
        v->n_below = (uint8_t)(v->n_below + !next->self_issued);
        v->depth++;
        dtls_wipe(next, sizeof *next);
    }
}

void dtls_x509_validator_init(struct dtls_x509_validator *v, const struct dtls_x509_anchors *anchors, int64_t now,
                              const char *host, enum dtls_x509_purpose purpose)
{
    memset(v, 0, sizeof *v);
    v->anchors = anchors;
    v->crypto = DEFAULT_CRYPTO;
    v->now = now;
    v->purpose = (uint8_t)purpose;
    if (purpose != DTLS_X509_PURPOSE_SERVER && purpose != DTLS_X509_PURPOSE_CLIENT && purpose != DTLS_X509_PURPOSE_ANY)
        v->err = DTLS_X509_E_INVALID_ARGUMENT;
    if (host != NULL) {
        v->host = host;
        v->host_len = strlen(host);
        v->ref_ip_len = (uint8_t)dtls_x509_parse_ip(host, v->host_len, v->ref_ip);
    }
}

void dtls_x509_validator_set_crypto(struct dtls_x509_validator *v, const struct dtls_crypto *crypto)
{
    v->crypto = crypto ? crypto : DEFAULT_CRYPTO;
}

static int add_leaf(struct dtls_x509_validator *v, const struct dtls_x509_cert *c)
{
    int rc;
    if (c->flags & DTLS_X509_CERT_UNKNOWN_CRITICAL)
        return fail(v, DTLS_X509_E_CRITICAL_EXTENSION, 0);
    if ((rc = x509_key_copy(&v->leaf_key, &c->key)) != 0)
        return fail(v, rc, 0);
    if ((rc = dates_ok(v, c)) != 0)
        return fail(v, rc, 0);
    if ((c->flags & DTLS_X509_CERT_HAS_KU) && !(c->key_usage & DTLS_X509_KU_DIGITAL_SIGNATURE))
        return fail(v, DTLS_X509_E_KEY_USAGE, 0);
    if ((c->flags & DTLS_X509_CERT_HAS_EKU) && !eku_ok(c->ext_key_usage, v->purpose))
        return fail(v, DTLS_X509_E_EXT_KEY_USAGE, 0);
    if (v->host != NULL && !x509_host_matches(c, v->host, v->host_len, v->ref_ip, v->ref_ip_len))
        return fail(v, DTLS_X509_E_HOSTNAME, 0);
    sha256(c->spki, c->spki_len, v->leaf_spki);
    unsigned forms;
    v->names_len = (uint16_t)x509_names_pack(c, v->names, sizeof v->names, &forms);
    v->names_forms = (uint16_t)forms;
    link_from_cert(v->crypto, &v->tip, c);
    v->depth = 1;
    v->n_below = 0;
    /* A leaf configured as an anchor itself (a pinned self-signed server). */
    if (v->anchors != NULL) {
        for (size_t i = 0; i < v->anchors->count; i++) {
            const struct dtls_x509_anchor *a = &v->anchors->list[i];
            if (memcmp(a->subject_hash, v->tip.subject, 32) == 0 && key_equal(&a->key, &c->key)) {
                v->complete = 1;
                return 0;
            }
        }
    }
    return climb(v, c);
}

/* A CA certificate that does not fit yet: keep what joining will need. */
static void park(struct dtls_x509_validator *v, const struct dtls_x509_cert *c)
{
#if DTLS_X509_MAX_PENDING > 0
    for (size_t i = 0; i < DTLS_X509_MAX_PENDING; i++) {
        struct dtls_x509_pending *p = &v->pending[i];
        if (p->used)
            continue;
        memset(p, 0, sizeof *p);
        link_from_cert(v->crypto, &p->link, c);
        p->key_err = (int16_t)x509_key_copy(&p->key, &c->key);
        p->join_err = (int16_t)ca_check(v, c);
        p->self_issued = (c->flags & DTLS_X509_CERT_SELF_ISSUED) != 0;
        p->has_path_len = (c->flags & DTLS_X509_CERT_HAS_PATH_LEN) != 0;
        p->path_len = (uint8_t)c->path_len;
        p->used = 1;
        return;
    }
#else
    (void)v;
    (void)c;
#endif
    /* Pool full (or none): dropped. If it was needed, finish() says unknown_ca. */
}

int dtls_x509_validator_add(struct dtls_x509_validator *v, const uint8_t *der, size_t der_len)
{
    struct dtls_x509_cert c;
    int rc;
    if (v->err)
        return v->err;
    unsigned index = v->ncerts;
#ifdef DTLS_CONFIG_NO_BUILTIN_CRYPTO
    if (v->crypto == NULL)
        return fail(v, DTLS_X509_E_INVALID_ARGUMENT, index);
#endif
    if (v->ncerts >= DTLS_X509_MAX_CERTS)
        return fail(v, DTLS_X509_E_CHAIN_TOO_LONG, index);
    v->ncerts++;
    if (dtls_x509_cert_parse(der, der_len, &c) != 0)
        return fail(v, DTLS_X509_E_BAD_CERTIFICATE, index);
    if (index == 0)
        return add_leaf(v, &c);
    if (v->complete)
        return 0;

    uint8_t subject[32], spki[32];
    sha256(c.subject, c.subject_len, subject);
    sha256(c.spki, c.spki_len, spki);
    if (memcmp(subject, v->tip.issuer, 32) == 0 &&
        !(memcmp(subject, v->tip.subject, 32) == 0 && memcmp(spki, v->tip.spki, 32) == 0)) {
        /* A candidate issuer of the tip. */
        if ((rc = key_usable(&c.key)) != 0) {
            soft(v, rc, v->depth);
            return 0;
        }
        rc = verify_link(v, &v->tip, NULL, &c.key);
        if (rc == DTLS_X509_E_BAD_SIGNATURE) {
            soft(v, rc, v->depth - 1u);
            return 0;
        }
        if (rc != 0)
            return fail(v, rc, v->depth - 1u);
        if ((rc = ca_check(v, &c)) != 0 ||
            (rc = position_check(v, (c.flags & DTLS_X509_CERT_HAS_PATH_LEN) != 0, c.path_len, v->n_below)) != 0)
            return fail(v, rc, v->depth);
        link_from_cert(v->crypto, &v->tip, &c);
        v->n_below_prev = v->n_below;
        v->n_below = (uint8_t)(v->n_below + !(c.flags & DTLS_X509_CERT_SELF_ISSUED));
        v->depth++;
        rc = climb(v, &c);
        return rc < 0 ? rc : 0;
    }
    if (v->depth > 1 && memcmp(subject, v->tip.subject, 32) == 0 && memcmp(spki, v->tip.spki, 32) == 0) {
        /* Same name and key as the tip (a cross-signed twin, or a copy): it
         * verifies whatever the tip verified. Take it if an anchor signed it. */
        if (ca_check(v, &c) != 0 || ((c.flags & DTLS_X509_CERT_HAS_PATH_LEN) && c.path_len < v->n_below_prev))
            return 0;   /* the twin sits where the tip sits: its depth was checked already */
        uint8_t issuer[32];
        sha256(c.issuer, c.issuer_len, issuer);
        unsigned nb = v->n_below_prev + ((c.flags & DTLS_X509_CERT_SELF_ISSUED) ? 0u : 1u);
        int16_t saved_soft = v->soft_err;
        rc = try_anchors(v, issuer, NULL, &c, v->depth, nb);
        v->soft_err = saved_soft;
        if (rc < 0) {
            /* try_anchors() recorded a fatal error, but a twin's failure must
             * not sink a tip that may still complete (v->err was 0 on entry). */
            v->err = 0;
            v->err_depth = 0;
            return 0;
        }
        if (rc == 1) {
            /* the path is complete: the tip's link is no longer needed */
            v->n_below = (uint8_t)nb;
            v->complete = 1;
        }
        return 0;
    }
    if (c.flags & DTLS_X509_CERT_CA)
        park(v, &c);
    return 0;
}

int dtls_x509_validator_finish(struct dtls_x509_validator *v)
{
    if (v->err)
        return v->err;
    if (v->ncerts == 0)
        return fail(v, DTLS_X509_E_NO_CERTIFICATE, 0);
    if (v->complete)
        return 0;
    if (v->soft_err)
        return fail(v, v->soft_err, v->soft_depth);
    return fail(v, DTLS_X509_E_UNKNOWN_CA, v->depth ? v->depth - 1u : 0u);
}

int dtls_x509_validator_leaf_key(const struct dtls_x509_validator *v, struct dtls_pubkey_ref *key)
{
    memset(key, 0, sizeof *key);
    if (v->err)
        return v->err;
    if (!v->complete)
        return DTLS_X509_E_INVALID_ARGUMENT;
    *key = key_ref(&v->leaf_key);
    return 0;
}

int dtls_x509_validator_leaf_spki_sha256(const struct dtls_x509_validator *v, uint8_t out[32])
{
    if (v->depth == 0)
        return v->err ? v->err : DTLS_X509_E_NO_CERTIFICATE;
    memcpy(out, v->leaf_spki, 32);
    return 0;
}

unsigned dtls_x509_validator_error_depth(const struct dtls_x509_validator *v)
{
    return v->err_depth;
}
