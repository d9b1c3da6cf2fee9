/*
 * Internal: the leaf's names as the validator keeps them for name
 * constraints, and the matching functions of name.c.
 *
 * Packed list: entries of (form, length, bytes) with form 2 (dNSName) or 7
 * (iPAddress, 4 or 16 octets).
 */
#ifndef DTLS_X509_NAMES_H
#define DTLS_X509_NAMES_H

#include "x509/x509_int.h"

#define X509_NAMES_OVERFLOW 0x1000u  /* some dNSName/iPAddress did not fit */
#define X509_NAMES_SUBJECT 0x2000u   /* the subject Name is not empty */
/* bits 0..8: other GeneralName forms present in the SAN (1 << tag number) */

size_t x509_names_pack(const struct dtls_x509_cert *c, uint8_t *names, size_t cap, unsigned *forms);
int x509_nc_check(const uint8_t *nc, size_t nc_len, const uint8_t *names, size_t names_len, unsigned forms);
int x509_host_matches(const struct dtls_x509_cert *c, const char *host, size_t host_len, const uint8_t *ip,
                      size_t ip_len);

#endif
