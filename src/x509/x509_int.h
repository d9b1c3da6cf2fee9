/*
 * Internal interfaces between the files of src/x509 (not installed).
 */
#ifndef DTLS_X509_INT_H
#define DTLS_X509_INT_H

#include <dtls/x509.h>

#include "x509/der.h"

/* Parse a SubjectPublicKeyInfo SEQUENCE's contents cursor into a key
 * reference (type NONE for an unknown algorithm). 0 or -1 (malformed). */
int x509_parse_spki(struct der *spki, struct dtls_pubkey_ref *key);

/* Validate a GeneralNames SEQUENCE's contents (SAN). 0 or -1. */
int x509_check_general_names(const uint8_t *p, size_t len);

/* Can this key be used (as a leaf, CA or anchor key)? Same codes as x509_key_copy. */
int x509_key_check(const struct dtls_pubkey_ref *k);

/* Copy a key reference into owned storage: 0, DTLS_X509_E_WEAK_KEY (RSA <
 * 2048 bits), DTLS_X509_E_UNSUPPORTED_ALGORITHM (unknown type, RSA above
 * DTLS_X509_MAX_RSA_BITS, exponent longer than 4 octets). */
int x509_key_copy(struct dtls_x509_key *dst, const struct dtls_pubkey_ref *src);

/* Case-insensitive ASCII equality. */
int x509_ascii_ieq(const uint8_t *a, const uint8_t *b, size_t n);

#endif
