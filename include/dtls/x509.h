/*
 * dtls X.509: certificate parsing, trust anchors, streaming chain validation,
 * host-name matching (RFC 6125), public-key pinning, PEM and private keys.
 *
 *   // once: trust anchors from a PEM bundle (decoded in place, no heap)
 *   static struct dtls_x509_anchor list[4];
 *   size_t skipped;
 *   int n = dtls_x509_anchors_from_pem_inplace(pem, pem_len, list, 4, &skipped);
 *   if (n <= 0) fail(n);
 *   struct dtls_x509_anchors anchors = { list, (size_t)n };
 *
 *   // per handshake: each certificate DER in the order the peer sent them
 *   struct dtls_x509_validator v;
 *   dtls_x509_validator_init(&v, &anchors, now, "cloud.example", DTLS_X509_PURPOSE_SERVER);
 *   for each certificate DER:
 *       if ((rc = dtls_x509_validator_add(&v, der, der_len)) < 0) fail(rc);
 *   rc = dtls_x509_validator_finish(&v);        // 0: chain valid; <0: DTLS_X509_E_*
 *   dtls_x509_validator_leaf_key(&v, &key);      // the validated leaf's public key
 *   // on failure: send the alert dtls_x509_alert(rc); dtls_x509_error_name(rc) is
 *   // "certificate_expired", "unknown_ca", ...; dtls_x509_validator_error_depth(&v)
 *   // says which certificate (0 = leaf).
 *
 * The validator copies what it needs out of each DER buffer, so the caller
 * may reuse the buffer after each add() (this is what lets a chain larger
 * than the receive buffer verify).
 *
 * Nothing here allocates, does I/O or keeps global state; every function is
 * safe on hostile input (lengths checked, nothing read past a length).
 */
#ifndef DTLS_X509_H
#define DTLS_X509_H

#include <stddef.h>
#include <stdint.h>

struct dtls_crypto;

/* ===================================================================== */
/* Errors                                                                 */
/* ===================================================================== */

/*
 * All negative, in -200..-299 so the TLS engine can return them unchanged as
 * its own error codes. dtls_x509_error_name() gives the stable name (the CLI
 * prints it verbatim in JSON); dtls_x509_alert() the TLS alert to send.
 *
 *  code                                name                             alert (RFC 8446 6.2)
 *  DTLS_X509_E_BAD_CERTIFICATE         bad_certificate                  bad_certificate(42)
 *  DTLS_X509_E_BAD_SIGNATURE           bad_signature                    bad_certificate(42) [1]
 *  DTLS_X509_E_NO_CERTIFICATE          no_certificate                   bad_certificate(42)
 *  DTLS_X509_E_UNSUPPORTED_ALGORITHM   unsupported_algorithm            unsupported_certificate(43)
 *  DTLS_X509_E_WEAK_SIGNATURE          weak_signature                   unsupported_certificate(43)
 *  DTLS_X509_E_WEAK_KEY                weak_key                         unsupported_certificate(43)
 *  DTLS_X509_E_CRITICAL_EXTENSION      unsupported_critical_extension   unsupported_certificate(43)
 *  DTLS_X509_E_KEY_USAGE               bad_key_usage                    unsupported_certificate(43) [2]
 *  DTLS_X509_E_EXT_KEY_USAGE           bad_extended_key_usage           unsupported_certificate(43) [2]
 *  DTLS_X509_E_TOO_LARGE               certificate_too_large            unsupported_certificate(43)
 *  DTLS_X509_E_EXPIRED                 certificate_expired              certificate_expired(45)
 *  DTLS_X509_E_NOT_YET_VALID           certificate_not_yet_valid        certificate_expired(45) [3]
 *  DTLS_X509_E_HOSTNAME                hostname_mismatch                certificate_unknown(46)
 *  DTLS_X509_E_NAME_CONSTRAINTS        name_constraints_violation       certificate_unknown(46)
 *  DTLS_X509_E_PIN_MISMATCH            pinned_key_mismatch              certificate_unknown(46)
 *  DTLS_X509_E_UNKNOWN_CA              unknown_ca                       unknown_ca(48)
 *  DTLS_X509_E_NOT_A_CA                not_a_ca                         unknown_ca(48) [4]
 *  DTLS_X509_E_PATH_LENGTH             path_length_exceeded             unknown_ca(48) [4]
 *  DTLS_X509_E_CHAIN_TOO_LONG          chain_too_long                   unknown_ca(48) [4]
 *  DTLS_X509_E_BAD_PEM, _BAD_KEY, _BUFFER_TOO_SMALL, _INVALID_ARGUMENT   internal_error(80) [5]
 *
 *  [1] "bad_certificate: a certificate ... contained signatures that did not
 *      verify correctly". decrypt_error(51) is for the handshake's own
 *      CertificateVerify signature, which the TLS engine checks, not this module.
 *  [2] The certificate is not usable for this purpose (OpenSSL maps its
 *      "invalid purpose" the same way).
 *  [3] RFC 8446: certificate_expired is "expired or is not currently valid".
 *  [4] No acceptable path to a known CA exists.
 *  [5] Local problems (configuration files, caller mistakes), never the peer's;
 *      they are not expected to reach a handshake.
 */
#define DTLS_X509_OK 0
#define DTLS_X509_E_BAD_CERTIFICATE (-200)
#define DTLS_X509_E_UNSUPPORTED_ALGORITHM (-201)
#define DTLS_X509_E_BAD_SIGNATURE (-202)
#define DTLS_X509_E_WEAK_SIGNATURE (-203)
#define DTLS_X509_E_WEAK_KEY (-204)
#define DTLS_X509_E_EXPIRED (-205)
#define DTLS_X509_E_NOT_YET_VALID (-206)
#define DTLS_X509_E_UNKNOWN_CA (-207)
#define DTLS_X509_E_NOT_A_CA (-208)
#define DTLS_X509_E_PATH_LENGTH (-209)
#define DTLS_X509_E_KEY_USAGE (-210)
#define DTLS_X509_E_EXT_KEY_USAGE (-211)
#define DTLS_X509_E_NAME_CONSTRAINTS (-212)
#define DTLS_X509_E_CRITICAL_EXTENSION (-213)
#define DTLS_X509_E_HOSTNAME (-214)
#define DTLS_X509_E_CHAIN_TOO_LONG (-215)
#define DTLS_X509_E_TOO_LARGE (-216)
#define DTLS_X509_E_NO_CERTIFICATE (-217)
#define DTLS_X509_E_PIN_MISMATCH (-218)
#define DTLS_X509_E_BAD_PEM (-219)
#define DTLS_X509_E_BAD_KEY (-220)
#define DTLS_X509_E_BUFFER_TOO_SMALL (-221)
#define DTLS_X509_E_INVALID_ARGUMENT (-222)

/* "certificate_expired" etc. (table above); "ok" for 0; "unknown_error" otherwise. */
const char *dtls_x509_error_name(int err);
/* The TLS AlertDescription to send for err (table above); 0 for 0. */
int dtls_x509_alert(int err);

/* ===================================================================== */
/* Keys and certificates                                                  */
/* ===================================================================== */

enum dtls_key_type {
    DTLS_KEY_NONE = 0,
    DTLS_KEY_RSA,        /* rsaEncryption SPKI: usable for PKCS#1 v1.5 and rsa_pss_rsae */
    DTLS_KEY_RSA_PSS,    /* id-RSASSA-PSS SPKI: rsa_pss_pss_* only */
    DTLS_KEY_P256,
    DTLS_KEY_P384,
    DTLS_KEY_ED25519
};

/* A public key as slices into some buffer (a certificate's DER, or a dtls_pubkey_buf). */
struct dtls_pubkey_ref {
    enum dtls_key_type type;
    const uint8_t *a; size_t a_len;   /* RSA: modulus n; EC: uncompressed point 04||X||Y; Ed25519: 32 bytes */
    const uint8_t *b; size_t b_len;   /* RSA: exponent e; others: unused */
};

/* Extract the SubjectPublicKeyInfo of a DER certificate (no validation beyond
 * strict parsing). Returns 0, or a negative DTLS_X509_E_* code
 * (DTLS_X509_E_UNSUPPORTED_ALGORITHM for a key type not listed above).
 * RSA moduli come without a leading zero octet. Weak (RSA < 2048) keys are
 * returned too: only the validator judges them. */
int dtls_x509_cert_pubkey(const uint8_t *der, size_t der_len, struct dtls_pubkey_ref *out);

/* Signature algorithm of a certificate. */
enum dtls_x509_sig_alg {
    DTLS_X509_SIG_UNKNOWN = 0,
    DTLS_X509_SIG_RSA_PKCS1,  /* sha*WithRSAEncryption */
    DTLS_X509_SIG_RSA_PSS,    /* id-RSASSA-PSS with parameters */
    DTLS_X509_SIG_ECDSA,      /* ecdsa-with-SHA* */
    DTLS_X509_SIG_ED25519
};
enum dtls_x509_hash_alg {
    DTLS_X509_HASH_NONE = 0,  /* Ed25519, or unknown */
    DTLS_X509_HASH_MD5,       /* weak: rejected (also MD2) */
    DTLS_X509_HASH_SHA1,      /* weak: rejected */
    DTLS_X509_HASH_SHA224,    /* not supported */
    DTLS_X509_HASH_SHA256,
    DTLS_X509_HASH_SHA384,
    DTLS_X509_HASH_SHA512
};

/* keyUsage bits (bit n of the BIT STRING = 1 << n). */
#define DTLS_X509_KU_DIGITAL_SIGNATURE 0x0001u
#define DTLS_X509_KU_NON_REPUDIATION 0x0002u
#define DTLS_X509_KU_KEY_ENCIPHERMENT 0x0004u
#define DTLS_X509_KU_DATA_ENCIPHERMENT 0x0008u
#define DTLS_X509_KU_KEY_AGREEMENT 0x0010u
#define DTLS_X509_KU_KEY_CERT_SIGN 0x0020u
#define DTLS_X509_KU_CRL_SIGN 0x0040u
#define DTLS_X509_KU_ENCIPHER_ONLY 0x0080u
#define DTLS_X509_KU_DECIPHER_ONLY 0x0100u
/* extendedKeyUsage purposes seen */
#define DTLS_X509_EKU_SERVER 0x01u
#define DTLS_X509_EKU_CLIENT 0x02u
#define DTLS_X509_EKU_ANY 0x04u
#define DTLS_X509_EKU_OTHER 0x08u
/* dtls_x509_cert.flags */
#define DTLS_X509_CERT_CA 0x0001u                /* basicConstraints cA TRUE */
#define DTLS_X509_CERT_HAS_BASIC 0x0002u         /* basicConstraints present */
#define DTLS_X509_CERT_HAS_PATH_LEN 0x0004u      /* pathLenConstraint present */
#define DTLS_X509_CERT_HAS_KU 0x0008u            /* keyUsage present */
#define DTLS_X509_CERT_HAS_EKU 0x0010u           /* extendedKeyUsage present */
#define DTLS_X509_CERT_UNKNOWN_CRITICAL 0x0020u  /* a critical extension this library does not process */
#define DTLS_X509_CERT_SELF_ISSUED 0x0040u       /* issuer Name == subject Name (bytes) */

/*
 * A parsed certificate: slices into the DER it was parsed from (nothing is
 * copied, so the DER must outlive it). Parsing is strict about the encoding
 * (bad_certificate) and lenient about algorithms: an unknown key or signature
 * algorithm parses (key.type NONE, sig_alg UNKNOWN) so that an unusable extra
 * certificate does not break a handshake; an unknown critical extension sets
 * DTLS_X509_CERT_UNKNOWN_CRITICAL (the validator rejects such a certificate).
 * Duplicate extensions, extensions in a v1/v2 certificate, a TBS signature
 * algorithm different from the outer one, and malformed known extensions are
 * bad_certificate.
 */
struct dtls_x509_cert {
    const uint8_t *der; size_t der_len;        /* the whole Certificate */
    const uint8_t *tbs; size_t tbs_len;        /* TBSCertificate, header included: the signed bytes */
    unsigned version;                          /* 1, 2 or 3 */
    const uint8_t *serial; size_t serial_len;  /* INTEGER contents (two's complement) */
    enum dtls_x509_sig_alg sig_alg;
    enum dtls_x509_hash_alg sig_hash;
    unsigned pss_salt;                         /* RSA-PSS salt length */
    const uint8_t *issuer; size_t issuer_len;  /* Name, header included */
    const uint8_t *subject; size_t subject_len;
    int64_t not_before, not_after;             /* seconds since 1970 (UTC) */
    const uint8_t *spki; size_t spki_len;      /* SubjectPublicKeyInfo, header included */
    struct dtls_pubkey_ref key;                /* into der; type NONE for unknown algorithms */
    unsigned flags;                            /* DTLS_X509_CERT_* */
    unsigned path_len;                         /* when HAS_PATH_LEN; capped at 255 */
    unsigned key_usage;                        /* DTLS_X509_KU_* when HAS_KU */
    unsigned ext_key_usage;                    /* DTLS_X509_EKU_* when HAS_EKU */
    const uint8_t *san; size_t san_len;        /* contents of the subjectAltName SEQUENCE (NULL: none) */
    const uint8_t *name_constraints; size_t name_constraints_len; /* contents of NameConstraints (NULL: none) */
    const uint8_t *sig; size_t sig_len;        /* signatureValue octets */
};

/* Strict parse. Returns 0 or DTLS_X509_E_BAD_CERTIFICATE. */
int dtls_x509_cert_parse(const uint8_t *der, size_t der_len, struct dtls_x509_cert *c);

/* Iterate the subjectAltName: *pos starts at 0. Returns 1 with *type the
 * GeneralName tag number (2 dNSName, 7 iPAddress, 1 rfc822Name, 6 URI ...)
 * and the name's contents, 0 at the end. (The SAN was checked by parse.) */
int dtls_x509_san_next(const struct dtls_x509_cert *c, size_t *pos, unsigned *type,
                       const uint8_t **name, size_t *name_len);

/* A DER Name as an RFC 4514-style string ("CN=localhost,O=dtls test"),
 * most specific RDN first, for display. Attributes other than CN, O, OU, C,
 * L, ST, DC, emailAddress, serialNumber print as dotted OIDs; non-printable
 * octets as \XX. Always NUL-terminates when cap > 0; returns the length
 * written, or DTLS_X509_E_BUFFER_TOO_SMALL (the output is then truncated). */
int dtls_x509_name_string(const uint8_t *name, size_t name_len, char *out, size_t cap);

/* SHA-256 of the certificate's DER SubjectPublicKeyInfo: what curl's
 * --pinnedpubkey sha256//BASE64 pins. Returns 0 or DTLS_X509_E_BAD_CERTIFICATE. */
int dtls_x509_spki_sha256(const uint8_t *der, size_t der_len, uint8_t out[32]);
/* Check a SPKI hash against a curl-style pin list "sha256//BASE64[;sha256//BASE64...]".
 * Returns 0 when one pin matches, DTLS_X509_E_PIN_MISMATCH when none does,
 * DTLS_X509_E_INVALID_ARGUMENT when the list is malformed. */
int dtls_x509_pin_check(const char *pins, const uint8_t spki_sha256[32]);

/* Standard base64 (RFC 4648, '+' '/', '=' padding required; no whitespace).
 * Returns the decoded length, or -1 when malformed or out_cap is too small. */
long dtls_base64_decode(const char *in, size_t in_len, uint8_t *out, size_t out_cap);

/* ===================================================================== */
/* Trust anchors                                                          */
/* ===================================================================== */

/* Largest RSA key this build handles (2048..4096). Lower it to shrink the
 * anchors and the validator on devices that only meet smaller keys. */
#ifndef DTLS_X509_MAX_RSA_BITS
#define DTLS_X509_MAX_RSA_BITS 4096
#endif
#define DTLS_X509_KEY_MAX (DTLS_X509_MAX_RSA_BITS / 8 > 97 ? DTLS_X509_MAX_RSA_BITS / 8 : 97)

/* A public key copied out of a certificate (RSA exponent limited to 4 octets). */
struct dtls_x509_key {
    uint8_t type;                 /* enum dtls_key_type */
    uint8_t e_len;                /* RSA: exponent length (1..4) */
    uint16_t len;                 /* key bytes in k */
    uint8_t e[4];                 /* RSA exponent, big-endian */
    uint8_t k[DTLS_X509_KEY_MAX]; /* RSA modulus / EC point 04||X||Y / Ed25519 key */
};

/* The public key of a DER certificate copied into k, with no policy beyond what
 * struct dtls_x509_key can hold (weak RSA keys are copied: the validator, or the
 * crypto provider, judges keys). What a TLS client that does not validate the
 * chain keeps for CertificateVerify. Returns 0, DTLS_X509_E_BAD_CERTIFICATE or
 * DTLS_X509_E_UNSUPPORTED_ALGORITHM (unknown key type, RSA modulus above
 * DTLS_X509_MAX_RSA_BITS, exponent longer than 4 octets). */
int dtls_x509_cert_key(const uint8_t *der, size_t der_len, struct dtls_x509_key *k);
/* A reference to a copied key (valid while k is). */
void dtls_x509_key_ref(const struct dtls_x509_key *k, struct dtls_pubkey_ref *out);

/* Anchor flags */
#define DTLS_X509_ANCHOR_CA 0x01u        /* may issue certificates (cA TRUE, or a v1 certificate) */
#define DTLS_X509_ANCHOR_PATH_LEN 0x02u  /* max_path_len applies */

/*
 * A trust anchor: what a path ends in. Subject Name hash (SHA-256 of its DER),
 * public key, and the constraints a TLS client needs (CA flag and keyUsage
 * keyCertSign folded into ANCHOR_CA, pathLen). Anchors carry no validity
 * dates and no name constraints: they are trusted as configured (RFC 5280
 * 6.1.1 (d) leaves anchor constraints optional). sizeof is about 554 bytes
 * with the default DTLS_X509_MAX_RSA_BITS (4096), 298 with 2048.
 * A certificate that is not a CA can still be an anchor: it then only
 * validates itself (a pinned self-signed server certificate).
 */
struct dtls_x509_anchor {
    uint8_t subject_hash[32];
    uint8_t flags;               /* DTLS_X509_ANCHOR_* */
    uint8_t max_path_len;
    struct dtls_x509_key key;
};

struct dtls_x509_anchors {
    const struct dtls_x509_anchor *list;
    size_t count;
};

/* Make an anchor from a DER certificate (self-signed or not; its own
 * signature and dates are not checked). Returns 0, or
 * DTLS_X509_E_BAD_CERTIFICATE / _UNSUPPORTED_ALGORITHM / _WEAK_KEY. */
int dtls_x509_anchor_from_der(const uint8_t *der, size_t der_len, struct dtls_x509_anchor *out);

/*
 * Load every "CERTIFICATE" block of a PEM bundle as anchors into out[0..cap).
 * Certificates this library cannot use as anchors (unsupported or weak keys,
 * malformed DER) are skipped and counted in *skipped (may be NULL); other PEM
 * blocks are ignored. out may be NULL to only count (cap is then ignored).
 * Returns the number of anchors stored (or counted), or
 * DTLS_X509_E_BAD_PEM (malformed PEM armour or base64),
 * DTLS_X509_E_BUFFER_TOO_SMALL (more usable anchors than cap; out is full).
 *
 * _inplace decodes each block over its own base64 text (pem is overwritten,
 * the text is no longer PEM afterwards); the other variant decodes each block
 * into scratch (scratch_len >= the largest certificate, 8 KiB is plenty).
 */
int dtls_x509_anchors_from_pem_inplace(char *pem, size_t pem_len, struct dtls_x509_anchor *out, size_t cap,
                                       size_t *skipped);
int dtls_x509_anchors_from_pem(const char *pem, size_t pem_len, uint8_t *scratch, size_t scratch_len,
                               struct dtls_x509_anchor *out, size_t cap, size_t *skipped);

/* ===================================================================== */
/* Streaming chain validation                                             */
/* ===================================================================== */

enum dtls_x509_purpose {
    DTLS_X509_PURPOSE_SERVER = 0, /* the peer is a TLS server: EKU serverAuth */
    DTLS_X509_PURPOSE_CLIENT = 1, /* the peer is a TLS client: EKU clientAuth */
    DTLS_X509_PURPOSE_ANY = 2     /* no EKU requirement (offline checks) */
};

/* `now` value that disables validity-period checks (devices without a clock;
 * this is a deliberate, documented weakening). */
#define DTLS_X509_TIME_UNKNOWN INT64_MIN

/* Limits (compile-time; see the size notes on struct dtls_x509_validator). */
#ifndef DTLS_X509_MAX_DEPTH
#define DTLS_X509_MAX_DEPTH 8          /* certificates in a path, leaf included, anchor excluded */
#endif
#ifndef DTLS_X509_MAX_CERTS
#define DTLS_X509_MAX_CERTS 16         /* certificates accepted in one chain (RFC 8446 allows more; nobody sends them) */
#endif
#ifndef DTLS_X509_MAX_PENDING
#define DTLS_X509_MAX_PENDING 2        /* out-of-order CA certificates held until they are needed */
#endif
#ifndef DTLS_X509_NAMES_MAX
#define DTLS_X509_NAMES_MAX 256        /* bytes of leaf SAN names kept for name constraints */
#endif
#ifndef DTLS_X509_ED25519_TBS_MAX
#define DTLS_X509_ED25519_TBS_MAX 512  /* Ed25519-signed TBS kept until its issuer arrives */
#endif
#define DTLS_X509_SIG_MAX (DTLS_X509_MAX_RSA_BITS / 8 > 112 ? DTLS_X509_MAX_RSA_BITS / 8 : 112)
#define DTLS_X509_BLOB_MAX \
    (DTLS_X509_SIG_MAX + 64 > 64 + DTLS_X509_ED25519_TBS_MAX ? DTLS_X509_SIG_MAX + 64 : 64 + DTLS_X509_ED25519_TBS_MAX)

/* Internal: a certificate whose signature waits for its issuer. */
struct dtls_x509_link {
    uint8_t issuer[32], subject[32], spki[32]; /* SHA-256 of issuer Name, subject Name, SPKI */
    uint8_t sig_alg, sig_hash;
    uint16_t pss_salt;
    uint16_t sig_len;                /* signature octets at blob[0] */
    uint16_t msg_len;                /* then the TBS digest (or, for Ed25519, the TBS itself) */
    int16_t verr;                    /* nonzero: why this signature cannot be checked */
    uint8_t blob[DTLS_X509_BLOB_MAX];
};

/* Internal: an out-of-order CA certificate (link + key + constraints). */
struct dtls_x509_pending {
    struct dtls_x509_link link;
    struct dtls_x509_key key;
    uint8_t used, self_issued, has_path_len, path_len;
    int16_t key_err;                 /* its key is unusable (weak, unsupported) */
    int16_t join_err;                /* error if it ever joins the path (dates, usage, name constraints...) */
};

/*
 * The validator. A plain struct the caller owns; no pointers into the peer's
 * DER survive add(). Measured sizeof on Cortex-M4 (x86-64: 16 bytes more):
 *   defaults (RSA 4096, 2 pending slots, Ed25519 TBS 512)          3968 bytes
 *   DTLS_X509_MAX_PENDING 0                                        1552 bytes
 *   ... and DTLS_X509_MAX_RSA_BITS 2048                            1296 bytes
 *   ... and DTLS_X509_ED25519_TBS_MAX 0 (Ed25519-signed certs
 *       only directly under an anchor)                             1040 bytes
 * The big parts: the tip link (682 B: room for an RSA-4096 signature plus a
 * digest, or an Ed25519 signature plus the TBS it signs), each pending slot
 * (1210 B: a link plus a key), the leaf key (520 B), the leaf's names
 * (DTLS_X509_NAMES_MAX). With DTLS_X509_MAX_PENDING 0 an out-of-order chain
 * fails with unknown_ca. The validator is only needed during the handshake
 * and can share memory with other handshake-only state. Stack: add() needs
 * about 1 KB (Cortex-M4, -Os) plus what the provider's verify needs
 * (RSA-4096: ~2.6 KB).
 *
 * How it works (certificates arrive leaf first):
 *  - the leaf is checked at once (dates, key, keyUsage digitalSignature when
 *    present, EKU for the purpose, host name) and becomes the "tip": the
 *    lowest certificate whose signature is not verified yet. Only its
 *    signature and TBS digest are kept.
 *  - every later certificate whose subject is the tip's issuer is a
 *    candidate: it must verify the tip's signature (else it is skipped and
 *    bad_signature is remembered), then be a CA for the path (cA, keyUsage
 *    keyCertSign, EKU compatible with the purpose, pathLen, dates, name
 *    constraints against the leaf's names, depth); then it becomes the tip.
 *  - after every step the tip's issuer is looked up among the anchors: a
 *    matching anchor whose key verifies the tip's signature ends the path.
 *  - a CA certificate that does not fit the tip yet is kept in one of
 *    DTLS_X509_MAX_PENDING slots (a full pool drops it) and joins when the
 *    tip reaches it. Non-CA extra certificates are parsed and dropped.
 *  - once the path is complete, later certificates are only parsed.
 *  - the first verifying candidate wins; a later certificate with the same
 *    subject and key as the tip (a cross-signed twin) is tried against the
 *    anchors too.
 * Names are compared as exact DER bytes (through their SHA-256).
 *
 * Not done, on purpose or for now: revocation (CRL, OCSP), certificate
 * policies (any policy is accepted; a critical policyConstraints or
 * inhibitAnyPolicy is an unknown critical extension), restrictions in an
 * id-RSASSA-PSS key's parameters, name constraints on forms other than
 * dNSName / iPAddress (a constraint on such a form rejects a leaf that has a
 * name of that form; a directoryName constraint rejects any leaf with a
 * subject), name constraints applied to intermediate certificates' own
 * names, and constraints or dates of trust anchors (beyond CA and pathLen).
 */
struct dtls_x509_validator {
    const struct dtls_x509_anchors *anchors;
    const struct dtls_crypto *crypto;
    int64_t now;
    const char *host;                /* reference identity, or NULL (not copied: keep until the first add()) */
    size_t host_len;
    uint8_t ref_ip[16];
    uint8_t ref_ip_len;              /* 4 or 16 when host is an IP literal */
    uint8_t purpose;
    uint8_t ncerts;                  /* certificates added */
    uint8_t depth;                   /* certificates in the path so far (leaf = 1) */
    uint8_t n_below;                 /* non-self-issued CAs below and including the tip */
    uint8_t n_below_prev;            /* n_below before the tip joined (for a cross-signed twin) */
    uint8_t complete;
    uint8_t pad;
    uint16_t names_forms;            /* see src/x509/x509_names.h */
    int16_t err;                     /* sticky fatal error */
    int16_t soft_err;                /* best explanation if no path is found */
    uint8_t err_depth, soft_depth;
    uint16_t names_len;
    uint8_t leaf_spki[32];           /* SHA-256 of the leaf's SubjectPublicKeyInfo (pinning) */
    struct dtls_x509_key leaf_key;
    uint8_t names[DTLS_X509_NAMES_MAX];
    struct dtls_x509_link tip;
#if DTLS_X509_MAX_PENDING > 0
    struct dtls_x509_pending pending[DTLS_X509_MAX_PENDING];
#endif
};

/*
 * Start validating a chain. anchors must stay valid until finish();
 * host (a DNS name, or an IPv4/IPv6 literal without brackets, matched per
 * RFC 6125 against SAN dNSName / iPAddress only, no CN fallback) may be NULL
 * to skip the name check (e.g. for client certificates). now is seconds since
 * 1970 UTC (DTLS_X509_TIME_UNKNOWN skips date checks). Signatures are checked
 * with dtls_crypto_builtin unless dtls_x509_validator_set_crypto() says
 * otherwise.
 */
void dtls_x509_validator_init(struct dtls_x509_validator *v, const struct dtls_x509_anchors *anchors,
                              int64_t now, const char *host, enum dtls_x509_purpose purpose);
/* Use another crypto provider (accelerators) for signature checks. */
void dtls_x509_validator_set_crypto(struct dtls_x509_validator *v, const struct dtls_crypto *crypto);
/* Feed the next certificate of the peer's list. Returns 0, or a (sticky)
 * negative DTLS_X509_E_* when the chain can already be rejected. The DER
 * buffer may be reused as soon as this returns. */
int dtls_x509_validator_add(struct dtls_x509_validator *v, const uint8_t *der, size_t der_len);
/* After the last certificate: 0 when a path from the leaf to an anchor was
 * validated, else the error (sticky). */
int dtls_x509_validator_finish(struct dtls_x509_validator *v);
/* The leaf's public key, pointing into v (valid while v is). Returns 0 only
 * after finish() returned 0; otherwise the error. */
int dtls_x509_validator_leaf_key(const struct dtls_x509_validator *v, struct dtls_pubkey_ref *key);
/* SHA-256 of the leaf's SubjectPublicKeyInfo (for pinning); 0, or an error if no leaf was parsed. */
int dtls_x509_validator_leaf_spki_sha256(const struct dtls_x509_validator *v, uint8_t out[32]);
/* Index in the path (0 = leaf) of the certificate the error is about. */
unsigned dtls_x509_validator_error_depth(const struct dtls_x509_validator *v);

/*
 * RFC 6125 matching of one presented identifier against a reference host,
 * as the validator does for each SAN entry: case-insensitive ASCII, a
 * single trailing dot ignored, wildcard only as the whole left-most label
 * of a name with at least two more labels ("*.example.com" matches
 * "a.example.com", not "example.com", "a.b.example.com"; "*.com" and "f*.com"
 * match nothing). Returns 1 on a match.
 */
int dtls_x509_dns_match(const char *pattern, size_t pattern_len, const char *host, size_t host_len);
/* Parse an IPv4 dotted quad (no leading zeros) or an IPv6 text address
 * (RFC 4291 2.2, "::" and a trailing dotted quad allowed, no zone).
 * Returns 4 or 16 (bytes written to out), or 0 when s is not an IP literal. */
int dtls_x509_parse_ip(const char *s, size_t len, uint8_t out[16]);

/* ===================================================================== */
/* PEM and private keys                                                   */
/* ===================================================================== */

struct dtls_pem_block {
    const char *label; size_t label_len;  /* "CERTIFICATE", "PRIVATE KEY" ... (points into the input) */
    uint8_t *der; size_t der_len;         /* decoded contents */
};

/*
 * Find the next "-----BEGIN <label>-----" ... "-----END <label>-----" block at
 * or after *pos and decode its base64 body (whitespace allowed between
 * characters, '=' padding only at the end, headers such as Proc-Type
 * rejected). Text outside blocks is ignored. On success *pos moves past the
 * END line.
 *   dtls_pem_next: decodes into out[0..out_cap).
 *   dtls_pem_next_inplace: decodes over the block's own base64 text (writes
 *   never overtake reads: 4 characters become at most 3 octets).
 * Returns 1 (a block), 0 (no more blocks), DTLS_X509_E_BAD_PEM, or
 * DTLS_X509_E_BUFFER_TOO_SMALL (blk->label is then set and *pos has moved
 * past the block, so a caller may skip blocks it does not want).
 */
int dtls_pem_next(const char *pem, size_t pem_len, size_t *pos, uint8_t *out, size_t out_cap,
                  struct dtls_pem_block *blk);
int dtls_pem_next_inplace(char *pem, size_t pem_len, size_t *pos, struct dtls_pem_block *blk);

/* A private key for client authentication, decoded (secret: wipe it with
 * dtls_x509_private_key_wipe() when done). */
struct dtls_x509_private_key {
    enum dtls_key_type type;  /* DTLS_KEY_P256 or DTLS_KEY_ED25519 */
    uint8_t secret[32];       /* P-256 scalar (big-endian) / Ed25519 seed */
    uint8_t pub[65];          /* P-256: 04||X||Y; Ed25519: 32 bytes */
    size_t pub_len;
};

/*
 * From DER: PKCS#8 PrivateKeyInfo / OneAsymmetricKey (EC P-256 or Ed25519)
 * or SEC1 ECPrivateKey (P-256). The public key is always derived from the
 * secret; an embedded public key must agree with it. Returns 0,
 * DTLS_X509_E_BAD_KEY (malformed, inconsistent, out of range) or
 * DTLS_X509_E_UNSUPPORTED_ALGORITHM (RSA, P-384, encrypted keys ...).
 * On error out is wiped.
 */
int dtls_x509_private_key_from_der(const uint8_t *der, size_t der_len, struct dtls_x509_private_key *out);
/*
 * From PEM text: the first "PRIVATE KEY" or "EC PRIVATE KEY" block ("EC
 * PARAMETERS" and certificate blocks are skipped; "ENCRYPTED PRIVATE KEY" is
 * DTLS_X509_E_UNSUPPORTED_ALGORITHM). The decoded DER passes through scratch
 * (>= 256 bytes is enough for these keys), which is wiped before returning.
 * Returns 0 or a DTLS_X509_E_* code (DTLS_X509_E_BAD_PEM when no key block).
 */
int dtls_x509_private_key_from_pem(const char *pem, size_t pem_len, uint8_t *scratch, size_t scratch_len,
                                   struct dtls_x509_private_key *out);
/* 0 when the private key's public half equals pub (e.g. the certificate's key), else -1. */
int dtls_x509_private_key_matches(const struct dtls_x509_private_key *k, const struct dtls_pubkey_ref *pub);
void dtls_x509_private_key_wipe(struct dtls_x509_private_key *k);

/*
 * An RSA private key from DER: PKCS#1 RSAPrivateKey ("RSA PRIVATE KEY") or
 * PKCS#8 with rsaEncryption ("PRIVATE KEY"). out points into der (keep it,
 * and wipe it when done: it is the key). For dtls_rsa_pss_sign() in
 * <dtls/crypto_algs.h>. Returns 0, DTLS_X509_E_BAD_KEY (malformed, even
 * modulus or prime, unbalanced primes), DTLS_X509_E_WEAK_KEY (below 2048
 * bits) or DTLS_X509_E_UNSUPPORTED_ALGORITHM (not RSA, multi-prime, above
 * DTLS_X509_MAX_RSA_BITS, or a DTLS_CONFIG_NO_RSA build).
 */
struct dtls_rsa_private_key;
int dtls_x509_rsa_private_key_from_der(const uint8_t *der, size_t der_len, struct dtls_rsa_private_key *out);

#endif
