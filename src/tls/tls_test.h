/*
 * Test-only seam (NOT public API; used by tests/unit/test_rfc8448.c).
 *
 * RFC 8448's ClientHellos carry extensions this client never sends (ffdhe
 * groups, session_ticket, renegotiation_info, padding, early_data). To replay
 * the traces byte for byte, a test may hand the engine the extension block of
 * each ClientHello verbatim. Everything else stays real: the random, the
 * session id and the key-share private key come from the rng callback, in that
 * order (random, session id when session_id_len is 32, private key; after a
 * HelloRetryRequest only the new private key); the cipher suites come from the
 * config; the engine learns what was "offered" by walking the supplied block
 * (so the server's answers are checked against it); if the block ends with
 * pre_shared_key, the ticket comes from session_load and the engine computes
 * and overwrites the binder (the obfuscated ticket age is kept as supplied).
 *
 * early_data = 1 covers RFC 8448 section 4, whose server accepts 0-RTT: when
 * EncryptedExtensions carries early_data, the engine puts EndOfEarlyData in the
 * transcript before its Finished as RFC 8446 requires. It does not send 0-RTT
 * data or the EndOfEarlyData record itself (this client has no 0-RTT).
 */
#ifndef DTLS_TLS_TEST_H
#define DTLS_TLS_TEST_H

#include <dtls/dtls.h>

struct dtls_test_seam {
    const uint8_t *ext[2];   /* extension block (inside its 2-byte length) of ClientHello 1 and 2 */
    size_t ext_len[2];
    int session_id_len;      /* 0 or 32 */
    int early_data;
};

/* Call between dtls_client_init and the first dtls_handshake; s must outlive c. */
static inline void dtls_test_set_seam(struct dtls_client *c, const struct dtls_test_seam *s)
{
    c->test_seam = s;
}

/* The engine's view of the seam. Only builds with DTLS_TEST_SEAM look at it (the
 * autotools build defines it, for the unit tests); elsewhere, a firmware for one,
 * it is NULL at compile time and the seam's code is not even linked. */
static inline const struct dtls_test_seam *dtls_test_seam_of(const struct dtls_client *c)
{
#ifdef DTLS_TEST_SEAM
    return (const struct dtls_test_seam *)c->test_seam;
#else
    (void)c;
    return NULL;
#endif
}

#endif
