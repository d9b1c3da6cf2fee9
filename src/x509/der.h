/*
 * Strict DER reader (X.690 distinguished encoding rules), for hostile input.
 *
 *   struct der d = { buf, len };
 *   struct der_tlv seq;
 *   if (der_expect(&d, DER_SEQUENCE, &seq) != 0 || der_end(&d) != 0) ...   // exactly one SEQUENCE
 *   struct der in = der_inside(&seq);                                      // walk its contents
 *
 * A `struct der` is a cursor: the bytes not read yet, as pointer + length.
 * Every function either consumes one whole element and returns 0, or returns
 * -1 and leaves the cursor where it was. Nothing ever reads outside
 * [p, p + len): each length is checked against what remains before use.
 *
 * Rejected, because DER forbids them or X.509 never needs them:
 *   - indefinite lengths (0x80), lengths in more than 4 bytes, non-minimal
 *     lengths (0x81 0x05, 0x82 0x00 0x90 ...), lengths past the end;
 *   - high tag numbers are read (and must be minimal, >= 31) so that such an
 *     element can be skipped, but no X.509 element has one, so der_expect()
 *     never matches them;
 *   - INTEGERs that are empty or not minimal (0x00 0x7f, 0xff 0x80);
 *   - BOOLEANs other than 0x00 / 0xff, NULLs with contents;
 *   - BIT STRINGs without the unused-bits octet, with more than 7 unused
 *     bits, unused bits in an empty string, or unused bits that are not 0;
 *   - OIDs with a non-minimal sub-identifier or a truncated last one;
 *   - times that are not exactly YYMMDDHHMMSSZ / YYYYMMDDHHMMSSZ.
 */
#ifndef DTLS_X509_DER_H
#define DTLS_X509_DER_H

#include <stddef.h>
#include <stdint.h>

/* Identifier octets of the universal and context tags X.509 uses. */
#define DER_BOOLEAN 0x01
#define DER_INTEGER 0x02
#define DER_BIT_STRING 0x03
#define DER_OCTET_STRING 0x04
#define DER_NULL 0x05
#define DER_OID 0x06
#define DER_UTF8_STRING 0x0c
#define DER_PRINTABLE_STRING 0x13
#define DER_IA5_STRING 0x16
#define DER_UTC_TIME 0x17
#define DER_GENERALIZED_TIME 0x18
#define DER_SEQUENCE 0x30
#define DER_SET 0x31
#define DER_CTX(n) (0x80 | (n))         /* [n] IMPLICIT, primitive */
#define DER_CTX_CONS(n) (0xa0 | (n))    /* [n] constructed (EXPLICIT or IMPLICIT SEQUENCE) */

struct der {
    const uint8_t *p;
    size_t len;
};

struct der_tlv {
    uint8_t id;           /* first identifier octet; low 5 bits are 0x1f for high tag numbers */
    uint32_t num;         /* tag number (also for the high-tag form) */
    const uint8_t *v;     /* contents */
    size_t len;           /* contents length */
    const uint8_t *raw;   /* the whole element, identifier octets included */
    size_t raw_len;
};

/* Read the next element, whatever its tag. */
int der_next(struct der *d, struct der_tlv *t);
/* Read the next element; -1 unless its identifier octet is `id`. */
int der_expect(struct der *d, uint8_t id, struct der_tlv *t);
/* Identifier octet of the next element without consuming it; -1 when the cursor is empty. */
int der_peek(const struct der *d);
/* 0 when nothing is left (no trailing data), else -1. */
int der_end(const struct der *d);
/* A cursor over an element's contents. */
struct der der_inside(const struct der_tlv *t);

/* INTEGER, minimal. *v / *len get the two's-complement contents. */
int der_integer(struct der *d, const uint8_t **v, size_t *len);
/* Non-negative INTEGER as big-endian magnitude without the sign octet (may be
 * length 1 and value 0). -1 for a negative value. */
int der_uint(struct der *d, const uint8_t **v, size_t *len);
/* Non-negative INTEGER that fits 32 bits. */
int der_uint32(struct der *d, uint32_t *out);
/* BOOLEAN: *out gets 0 or 1. */
int der_bool(struct der *d, int *out);
/* NULL */
int der_null(struct der *d);
/* OID (contents checked): *v / *len get the contents octets. */
int der_oid(struct der *d, const uint8_t **v, size_t *len);
/* BIT STRING with identifier `id` (DER_BIT_STRING or an IMPLICIT tag): *v /
 * *len get the data octets after the unused-bits octet, *unused the count. */
int der_bits(struct der *d, uint8_t id, const uint8_t **v, size_t *len, unsigned *unused);
/* BIT STRING that must have 0 unused bits (keys, signatures). */
int der_bits_octets(struct der *d, const uint8_t **v, size_t *len);
/* UTCTime or GeneralizedTime, to seconds since 1970-01-01T00:00:00Z. */
int der_time(struct der *d, int64_t *out);

/* OID contents compare: 1 when equal. */
int der_oid_eq(const uint8_t *v, size_t len, const uint8_t *oid, size_t oid_len);
#define DER_OID_EQ(v, len, arr) der_oid_eq((v), (len), (arr), sizeof(arr))

/* Days since 1970-01-01 of a proleptic Gregorian date (year 0..9999, month 1..12). */
int32_t der_days_from_civil(unsigned y, unsigned m, unsigned d);

#endif
