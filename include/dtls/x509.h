/*
 * dtls X.509: trust anchors and streaming certificate-chain validation.
 *
 * CONTRACT DRAFT (lead): the X.509 helper completes this header; the names
 * below are what the TLS engine calls and must keep their meaning.
 *
 *   struct dtls_x509_validator v;
 *   dtls_x509_validator_init(&v, &anchors, now, "cloud.example", DTLS_X509_PURPOSE_SERVER);
 *   for each certificate DER in the order the peer sent them:
 *       if ((rc = dtls_x509_validator_add(&v, der, der_len)) < 0) fail(rc);
 *   rc = dtls_x509_validator_finish(&v);        // 0: chain valid; <0: DTLS_X509_E_*
 *   dtls_x509_validator_leaf_key(&v, &key);      // the validated leaf's public key
 *
 * The validator copies what it needs out of each DER buffer, so the caller
 * may reuse the buffer after each add() (this is what lets a chain larger
 * than the receive buffer verify).
 */
#ifndef DTLS_X509_H
#define DTLS_X509_H

#include <stddef.h>
#include <stdint.h>

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
 * strict parsing). Returns 0, or a negative DTLS_X509_E_* code. */
int dtls_x509_cert_pubkey(const uint8_t *der, size_t der_len, struct dtls_pubkey_ref *out);

#endif
