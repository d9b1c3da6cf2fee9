/*
 * Internals of the TLS 1.3 client engine, shared by the files of src/tls.
 *
 * Layers inside the engine:
 *   record.c      records in and out: framing, AEAD, padding, limits, flushing, alerts
 *   keysched.c    transcript hash, RFC 8446 7.1 key schedule, traffic keys, key log
 *   extensions.c  which extension may appear in which message; duplicate detection
 *   client_hello.c the ClientHello (both of them, after a HelloRetryRequest)
 *   handshake.c   the message table (state x type -> handler), the handlers and
 *                 our second flight
 *   client.c      the public API: init, handshake/read/write/close drivers, getters
 *   names.c       IANA names, error strings
 *
 * Every parse goes through struct tls_rd (below): a cursor over a byte slice
 * whose reads fail instead of running past the end. A failing read sets
 * nothing; callers turn -1 into decode_error with DECODE().
 */
#ifndef DTLS_TLS_INTERNAL_H
#define DTLS_TLS_INTERNAL_H

#include <string.h>

#include <dtls/dtls.h>

#include "crypto/hmac.h"
#include "crypto/util.h"

/* ---- constants ---------------------------------------------------------- */

enum { CT_CCS = 20, CT_ALERT = 21, CT_HANDSHAKE = 22, CT_APPDATA = 23 };

enum {
    HT_CLIENT_HELLO = 1,
    HT_SERVER_HELLO = 2,
    HT_NEW_SESSION_TICKET = 4,
    HT_END_OF_EARLY_DATA = 5,
    HT_ENCRYPTED_EXTENSIONS = 8,
    HT_CERTIFICATE = 11,
    HT_CERTIFICATE_REQUEST = 13,
    HT_CERTIFICATE_VERIFY = 15,
    HT_FINISHED = 20,
    HT_KEY_UPDATE = 24,
    HT_MESSAGE_HASH = 254
};

enum {
    AL_CLOSE_NOTIFY = 0,
    AL_UNEXPECTED_MESSAGE = 10,
    AL_BAD_RECORD_MAC = 20,
    AL_RECORD_OVERFLOW = 22,
    AL_HANDSHAKE_FAILURE = 40,
    AL_BAD_CERTIFICATE = 42,
    AL_UNSUPPORTED_CERTIFICATE = 43,
    AL_CERTIFICATE_REVOKED = 44,
    AL_CERTIFICATE_EXPIRED = 45,
    AL_CERTIFICATE_UNKNOWN = 46,
    AL_ILLEGAL_PARAMETER = 47,
    AL_UNKNOWN_CA = 48,
    AL_DECODE_ERROR = 50,
    AL_DECRYPT_ERROR = 51,
    AL_PROTOCOL_VERSION = 70,
    AL_INTERNAL_ERROR = 80,
    AL_USER_CANCELED = 90,
    AL_MISSING_EXTENSION = 109,
    AL_UNSUPPORTED_EXTENSION = 110,
    AL_NO_APPLICATION_PROTOCOL = 120
};

/* Extension code points. */
enum {
    EXT_SERVER_NAME = 0,
    EXT_MAX_FRAGMENT_LENGTH = 1,
    EXT_STATUS_REQUEST = 5,
    EXT_SUPPORTED_GROUPS = 10,
    EXT_SIGNATURE_ALGORITHMS = 13,
    EXT_USE_SRTP = 14,
    EXT_HEARTBEAT = 15,
    EXT_ALPN = 16,
    EXT_SCT = 18,
    EXT_CLIENT_CERT_TYPE = 19,
    EXT_SERVER_CERT_TYPE = 20,
    EXT_PADDING = 21,
    EXT_RECORD_SIZE_LIMIT = 28,
    EXT_PRE_SHARED_KEY = 41,
    EXT_EARLY_DATA = 42,
    EXT_SUPPORTED_VERSIONS = 43,
    EXT_COOKIE = 44,
    EXT_PSK_KEY_EXCHANGE_MODES = 45,
    EXT_CERTIFICATE_AUTHORITIES = 47,
    EXT_OID_FILTERS = 48,
    EXT_POST_HANDSHAKE_AUTH = 49,
    EXT_SIGNATURE_ALGORITHMS_CERT = 50,
    EXT_KEY_SHARE = 51
};

/* Messages an extension may appear in (RFC 8446 4.2 table, RFC 8449). */
enum {
    IN_CH = 1 << 0,
    IN_SH = 1 << 1,
    IN_HRR = 1 << 2,
    IN_EE = 1 << 3,
    IN_CT = 1 << 4,
    IN_CR = 1 << 5,
    IN_NST = 1 << 6
};

/* Handshake states (c->state). */
enum {
    ST_START = 0,      /* ClientHello not yet built */
    ST_WAIT_SH,        /* ServerHello or HelloRetryRequest */
    ST_WAIT_EE,
    ST_WAIT_CERT_CR,   /* Certificate or CertificateRequest */
    ST_WAIT_CERT,
    ST_WAIT_CV,
    ST_WAIT_FIN,
    ST_FLIGHT,         /* sending our Certificate/CertificateVerify/Finished (c->flight) */
    ST_CONNECTED
};

/* Steps of our second flight (c->flight). */
enum { FL_STEP_CCS = 0, FL_STEP_EOED, FL_STEP_CERT, FL_STEP_CV, FL_STEP_FIN, FL_STEP_DONE };

/* c->flags */
enum {
    F_MONO = 1 << 0,          /* rx == tx: one shared buffer */
    F_HRR = 1 << 1,           /* a HelloRetryRequest was received */
    F_PSK = 1 << 2,           /* the server accepted our PSK */
    F_CR = 1 << 3,            /* CertificateRequest received */
    F_CERT_SENT = 1 << 4,     /* non-empty client Certificate sent */
    F_CLOSED = 1 << 5,        /* dtls_close() called */
    F_PEER_CLOSED = 1 << 6,   /* close_notify received */
    F_KU_PENDING = 1 << 7,    /* a KeyUpdate must be sent */
    F_KU_REQUEST = 1 << 8,    /* ... with update_requested */
    F_EARLY = 1 << 9,         /* test seam: the server accepted early data */
    F_CCS_SENT = 1 << 10,     /* compatibility-mode dummy ChangeCipherSpec sent */
    F_STAGE_CERT = 1 << 11,   /* the message being cut is the virtual Certificate */
    F_RSL = 1 << 12,          /* the server answered record_size_limit */
    F_MFL = 1 << 13,          /* the server answered max_fragment_length */
    F_KU_ASKED = 1 << 14,     /* we asked the server to update its keys (cleared when it does) */
    F_REC_TX = 1 << 15        /* the record being received lands in tx (see record.c) */
};

/* cert_phase */
enum { CP_NONE = 0, CP_HEADER, CP_ENTRIES, CP_SKIP };

#define TLS_MAX_PLAINTEXT 16384
#define TLS_MAX_CIPHERTEXT (16384 + 256)
#define TLS_TAG 16
#define TLS_DEFAULT_KU_RECORDS (1u << 24)

/* ---- error propagation (s2n style: one macro everywhere) ------------------ */

#define TRY(expr)                       \
    do {                                \
        int trc_ = (expr);              \
        if (trc_ < 0)                   \
            return trc_;                \
    } while (0)
/* A parse step failed: the message is malformed. */
#define DECODE(expr)                                          \
    do {                                                      \
        if ((expr) != 0)                                      \
            return dtls_tls_fail(c, DTLS_E_DECODE_ERROR);     \
    } while (0)
#define REQUIRE(cond, err)                    \
    do {                                      \
        if (!(cond))                          \
            return dtls_tls_fail(c, (err));   \
    } while (0)

/* ---- bounds-checked reader ------------------------------------------------ */

struct tls_rd {
    const uint8_t *p;
    size_t len, off;
};

static inline void rd_init(struct tls_rd *r, const uint8_t *p, size_t len)
{
    r->p = p;
    r->len = len;
    r->off = 0;
}
static inline size_t rd_left(const struct tls_rd *r) { return r->len - r->off; }
static inline int rd_done(const struct tls_rd *r) { return r->off == r->len ? 0 : -1; }
static inline int rd_bytes(struct tls_rd *r, size_t n, const uint8_t **out)
{
    if (rd_left(r) < n)
        return -1;
    *out = r->p + r->off;
    r->off += n;
    return 0;
}
static inline int rd_u8(struct tls_rd *r, uint8_t *v)
{
    if (rd_left(r) < 1)
        return -1;
    *v = r->p[r->off++];
    return 0;
}
static inline int rd_u16(struct tls_rd *r, uint16_t *v)
{
    if (rd_left(r) < 2)
        return -1;
    *v = (uint16_t)((r->p[r->off] << 8) | r->p[r->off + 1]);
    r->off += 2;
    return 0;
}
static inline int rd_u24(struct tls_rd *r, uint32_t *v)
{
    if (rd_left(r) < 3)
        return -1;
    *v = ((uint32_t)r->p[r->off] << 16) | ((uint32_t)r->p[r->off + 1] << 8) | r->p[r->off + 2];
    r->off += 3;
    return 0;
}
static inline int rd_u32(struct tls_rd *r, uint32_t *v)
{
    if (rd_left(r) < 4)
        return -1;
    *v = dtls_load32_be(r->p + r->off);
    r->off += 4;
    return 0;
}
/* A vector with an 8/16/24-bit length prefix becomes a sub-reader; min/max bound its length. */
static inline int rd_vec(struct tls_rd *r, int width, size_t min, size_t max, struct tls_rd *sub)
{
    uint32_t n = 0;
    uint8_t b8;
    uint16_t b16;
    const uint8_t *p;
    if (width == 1) {
        if (rd_u8(r, &b8) != 0)
            return -1;
        n = b8;
    } else if (width == 2) {
        if (rd_u16(r, &b16) != 0)
            return -1;
        n = b16;
    } else if (rd_u24(r, &n) != 0) {
        return -1;
    }
    if (n < min || n > max || rd_bytes(r, n, &p) != 0)
        return -1;
    rd_init(sub, p, n);
    return 0;
}

/* ---- bounds-checked writer ------------------------------------------------ */

struct tls_wr {
    uint8_t *p;
    size_t cap, len;
    int err;                 /* sticky: set when a write did not fit */
};

static inline void wr_init(struct tls_wr *w, uint8_t *p, size_t cap)
{
    w->p = p;
    w->cap = cap;
    w->len = 0;
    w->err = 0;
}
static inline uint8_t *wr_take(struct tls_wr *w, size_t n)
{
    if (w->err || w->cap - w->len < n) {
        w->err = 1;
        return NULL;
    }
    w->len += n;
    return w->p + w->len - n;
}
static inline void wr_u8(struct tls_wr *w, unsigned v)
{
    uint8_t *q = wr_take(w, 1);
    if (q)
        q[0] = (uint8_t)v;
}
static inline void wr_u16(struct tls_wr *w, unsigned v)
{
    uint8_t *q = wr_take(w, 2);
    if (q) {
        q[0] = (uint8_t)(v >> 8);
        q[1] = (uint8_t)v;
    }
}
static inline void wr_u24(struct tls_wr *w, size_t v)
{
    uint8_t *q = wr_take(w, 3);
    if (q) {
        q[0] = (uint8_t)(v >> 16);
        q[1] = (uint8_t)(v >> 8);
        q[2] = (uint8_t)v;
    }
}
static inline void wr_u32(struct tls_wr *w, uint32_t v)
{
    uint8_t *q = wr_take(w, 4);
    if (q)
        dtls_store32_be(q, v);
}
static inline void wr_bytes(struct tls_wr *w, const void *b, size_t n)
{
    uint8_t *q = wr_take(w, n);
    if (q && n)
        memcpy(q, b, n);
}
/* Length prefixes: open() reserves width bytes and returns their position; close()
 * fills in the number of bytes written since. */
static inline size_t wr_open(struct tls_wr *w, int width)
{
    size_t at = w->len;
    (void)wr_take(w, (size_t)width);
    return at;
}
static inline void wr_close(struct tls_wr *w, size_t at, int width)
{
    size_t n;
    if (w->err)
        return;
    n = w->len - at - (size_t)width;
    if ((width == 1 && n > 0xff) || (width == 2 && n > 0xffff) || n > 0xffffff) {
        w->err = 1;
        return;
    }
    for (int i = width - 1; i >= 0; i--, n >>= 8)
        w->p[at + (size_t)i] = (uint8_t)n;
}

static inline uint16_t ld16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }
static inline uint32_t ld24(const uint8_t *p)
{
    return ((uint32_t)p[0] << 16) | ((uint32_t)p[1] << 8) | p[2];
}

/* ---- record.c ------------------------------------------------------------- */

/* Record the first error, queue its alert (chosen from the code), return err. */
int dtls_tls_fail(struct dtls_client *c, int err);
/* Fail with an explicit alert description (-1: none). */
int dtls_tls_fail_alert(struct dtls_client *c, int err, int alert);
/* Where a new outgoing record may be written: fills *pt (its plaintext area) and returns
 * the plaintext capacity (already capped by the peer's record limit), or 0 when the
 * pending output must be flushed first. */
size_t dtls_rec_out_space(struct dtls_client *c, uint8_t **pt);
/* Seal the record whose plaintext (len bytes) was written at the *pt of
 * dtls_rec_out_space and append it to the pending output. */
void dtls_rec_seal(struct dtls_client *c, uint8_t type, size_t len);
/* Write pending output: DTLS_OK, DTLS_WANT_WRITE or an error (recorded). */
int dtls_rec_flush(struct dtls_client *c);
/* Receive one whole record, authenticate and decrypt it. On DTLS_OK, *type, *content
 * and *len give its content, in rx or (during the server's flight) in tx; the bytes
 * stay there until the caller writes anything. */
int dtls_rec_read(struct dtls_client *c, uint8_t *type, uint8_t **content, size_t *len);
/* Handle a received alert record body. Returns DTLS_OK (ignored/close_notify) or the error. */
int dtls_rec_on_alert(struct dtls_client *c, const uint8_t *b, size_t len);
/* Install keys for one direction from a traffic secret. */
void dtls_rec_set_keys(struct dtls_client *c, struct dtls_record_keys *k, const uint8_t *secret);
/* Build the queued fatal alert once the output is free and flush. */
int dtls_rec_send_alert(struct dtls_client *c);
/* The usable end of rx (a kept ClientHello in a shared buffer shortens it). */
size_t dtls_rec_rx_limit(const struct dtls_client *c);
/* The largest handshake message (or Certificate entry) rx can assemble: all of it
 * while records land in tx, else what leaves room for the record that completes it. */
size_t dtls_rec_hs_room(const struct dtls_client *c);

/* ---- keysched.c ------------------------------------------------------------- */

const struct dtls_hash *dtls_ks_suite_hash(const struct dtls_client *c, uint16_t suite);
const struct dtls_aead *dtls_ks_suite_aead(const struct dtls_client *c, uint16_t suite);
void dtls_ks_th_update(struct dtls_client *c, const uint8_t *b, size_t n);
/* Transcript hash so far (hash_len bytes), the running hash unchanged. */
void dtls_ks_th_snapshot(const struct dtls_client *c, uint8_t *out);
/* secret = HKDF-Extract(Derive-Secret(secret, "derived", ""), ikm); ikm NULL = zeros. */
void dtls_ks_advance(struct dtls_client *c, uint8_t *secret, const uint8_t *ikm, size_t ikm_len);
/* early secret = HKDF-Extract(0, psk or zeros) with hash h. */
void dtls_ks_early(const struct dtls_hash *h, uint8_t *secret, const uint8_t *psk, size_t psk_len);
/* finished = HMAC(HKDF-Expand-Label(base, "finished", "", L), hash) */
void dtls_ks_finished(const struct dtls_hash *h, const uint8_t *base, const uint8_t *hash, uint8_t *out);
#ifdef DTLS_CONFIG_NO_KEYLOG
static inline void dtls_ks_keylog(struct dtls_client *c, const char *label, const uint8_t *secret)
{
    (void)c;
    (void)label;
    (void)secret;
}
#else
void dtls_ks_keylog(struct dtls_client *c, const char *label, const uint8_t *secret);
#endif
/* secret = HKDF-Expand-Label(secret, "traffic upd", "", L) */
void dtls_ks_next_secret(struct dtls_client *c, uint8_t *secret);

/* ---- extensions.c ------------------------------------------------------------ */

/* Bit of c->sent_ext for a known extension type, or -1. */
int dtls_ext_bit(uint16_t type);
/* Messages (IN_*) where a known extension may appear; 0 when unknown. */
unsigned dtls_ext_allowed(uint16_t type);
/* Check an extension block (the bytes inside the 2-byte length): well formed, no
 * duplicates, and each extension allowed in message `in` (IN_*). Responses (SH, HRR,
 * EE, CT) must only carry what we offered. Returns DTLS_OK or fails. */
int dtls_ext_check_block(struct dtls_client *c, const uint8_t *b, size_t len, unsigned in);
/* Find an extension in a checked block: 0 and *body set, or -1 when absent. */
int dtls_ext_find(const uint8_t *b, size_t len, uint16_t type, struct tls_rd *body);

/* ---- client_hello.c ---------------------------------------------------------- */

/* Build (and queue) the first or second ClientHello. cookie may be NULL. */
int dtls_ch_send(struct dtls_client *c, const uint8_t *cookie, size_t cookie_len);
/* Configured lists with defaults applied. */
const uint16_t *dtls_ch_suites(const struct dtls_client *c);
const uint16_t *dtls_ch_groups(const struct dtls_client *c);
int dtls_ch_offers_suite(const struct dtls_client *c, uint16_t suite);
int dtls_ch_offers_group(const struct dtls_client *c, uint16_t group);
/* Signature schemes we accept in CertificateVerify (0-terminated into out[16]). */
size_t dtls_ch_sig_schemes(const struct dtls_client *c, uint16_t *out, int for_certs);

/* ---- handshake.c -------------------------------------------------------------- */

/* Take the handshake bytes of a record (content, in rx or tx) and run every complete
 * message through the table. */
int dtls_hs_on_record(struct dtls_client *c, const uint8_t *content, size_t len);
/* Advance our second flight as far as the output allows. */
int dtls_hs_flight(struct dtls_client *c);
/* Queue a KeyUpdate and switch the write keys. */
int dtls_hs_send_key_update(struct dtls_client *c, int request);

#endif
