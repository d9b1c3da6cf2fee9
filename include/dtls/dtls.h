/*
 * dtls: a TLS 1.3 client for devices. No heap, caller-owned buffers, any
 * transport (blocking or not) behind two callbacks.
 *
 *   static uint8_t rx[DTLS_RX_BUFFER_SIZE(0)], tx[DTLS_TX_BUFFER_SIZE(0)];
 *   static const char *const alpn[] = { "http/1.1", NULL };
 *   struct dtls_config cfg = {          // zero means default
 *       .server_name = "cloud.example",
 *       .trust = &anchors,              // NULL only together with .verify = DTLS_VERIFY_NONE
 *       .rng = my_rng,                  // required
 *       .now = my_clock,                // seconds since the epoch
 *       .alpn = alpn,
 *   };
 *   struct dtls_client c;
 *   int rc = dtls_client_init(&c, &cfg, rx, sizeof rx, tx, sizeof tx);
 *   dtls_client_set_io(&c, my_recv, my_send, &sock);
 *   if (rc == DTLS_OK)
 *       rc = dtls_handshake(&c);        // DTLS_OK, DTLS_WANT_READ/WRITE, or DTLS_E_*
 *   if (rc < 0) { printf("%s\n", dtls_strerror(rc)); ... }
 *   long n = dtls_write(&c, req, req_len);   // like send(): bytes taken, or < 0
 *   n = dtls_read(&c, buf, sizeof buf);      // like recv(): bytes, 0 at close_notify, or < 0
 *   dtls_close(&c);                          // sends close_notify
 *
 * Shape of the I/O. The two callbacks have the shape of recv()/send() on a
 * socket: they return the number of bytes moved (> 0), 0 for end of stream
 * (read only), DTLS_WANT_READ / DTLS_WANT_WRITE when a non-blocking transport
 * cannot move anything now, or another negative value for an I/O error. Every
 * call of this API that needs I/O returns DTLS_WANT_READ / DTLS_WANT_WRITE in
 * the same way; call it again (with the same arguments for dtls_write) once
 * the transport is ready. The engine can stop at any byte and resume, so the
 * same calls serve blocking and non-blocking code. dtls_io_read/dtls_io_write
 * have exactly the callback shape, so a protocol written over a socket's
 * (read, write, ctx) triple runs over TLS by passing (dtls_io_read,
 * dtls_io_write, &client).
 *
 * Errors are sticky: the first failure is recorded, the matching fatal alert
 * is sent to the peer (before the error is returned), and every later call
 * returns the same error. Fatal alerts received from the peer are reported as
 * DTLS_E_PEER_ALERT(description).
 *
 * Memory. struct dtls_client is a plain struct with no pointers except to the
 * caller's config, buffers and callback context. The engine's own state is
 * about 1.5 KB on x86-64 and 1.4 KB on Cortex-M4 (the two AEAD key contexts
 * are most of it; test_record.c checks it stays under 2 KB and prints the
 * sizes); the X.509 chain validator embedded for the handshake adds about
 * 4 KB (the whole struct: 5472 bytes on x86-64 when this was written). The
 * receive buffer must hold one whole record (DTLS_RECORD_SIZE of the fragment
 * length the server will use) and, during the handshake, the largest single
 * certificate of the server's chain (certificates are handed to the X.509
 * layer one at a time, never the whole chain; the records of the server's
 * flight are received in the then idle transmit buffer): see "Sizing the
 * buffers" below. The transmit buffer bounds the size of the records we send
 * (smaller buffer, smaller records) and must hold the ClientHello
 * (DTLS_TX_MIN is plenty unless the session ticket is large). rx and tx may be
 * the same buffer: the connection is then half-duplex (see dtls_write), and
 * the buffer must hold a certificate plus a record.
 * No function of the library allocates memory, touches global state or calls
 * the operating system.
 */
#ifndef DTLS_DTLS_H
#define DTLS_DTLS_H

#include <stddef.h>
#include <stdint.h>

#include <dtls/crypto.h>
#include <dtls/x509.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- result codes ------------------------------------------------------ */

#define DTLS_OK 0
#define DTLS_WANT_READ (-1)          /* the transport must become readable; call again */
#define DTLS_WANT_WRITE (-2)         /* the transport must become writable; call again */

enum {
    /* Local conditions (no alert is sent for these, except where noted). */
    DTLS_E_IO = -10,                 /* an I/O callback returned an error */
    DTLS_E_EOF = -11,                /* peer closed the transport without close_notify */
    DTLS_E_CLOSED = -12,             /* dtls_close() was called; no more writing */
    DTLS_E_CONFIG = -13,             /* invalid config/arguments (missing rng, unknown suite...) */
    DTLS_E_BUFFER = -14,             /* a buffer is too small for a record or message (alert internal_error) */
    DTLS_E_RNG = -15,                /* the rng callback failed (alert internal_error) */
    DTLS_E_BUSY = -16,               /* shared rx/tx buffer: read the pending data first */
    DTLS_E_SIGN = -17,               /* the client-key sign callback failed (alert internal_error) */
    DTLS_E_INTERNAL = -18,           /* should not happen (alert internal_error) */

    /* Protocol failures detected here; the alert in parentheses is sent. */
    DTLS_E_UNEXPECTED_MESSAGE = -20, /* (unexpected_message) message or record out of place */
    DTLS_E_BAD_RECORD_MAC = -21,     /* (bad_record_mac) a record failed authentication */
    DTLS_E_RECORD_OVERFLOW = -22,    /* (record_overflow) record longer than allowed */
    DTLS_E_HANDSHAKE_FAILURE = -23,  /* (handshake_failure) no acceptable parameters */
    DTLS_E_ILLEGAL_PARAMETER = -24,  /* (illegal_parameter) a field has a forbidden value */
    DTLS_E_DECODE_ERROR = -25,       /* (decode_error) a message does not parse */
    DTLS_E_DECRYPT_ERROR = -26,      /* (decrypt_error) bad Finished or CertificateVerify */
    DTLS_E_PROTOCOL_VERSION = -27,   /* (protocol_version) the server does not speak TLS 1.3 */
    DTLS_E_MISSING_EXTENSION = -28,  /* (missing_extension) a required extension is absent */
    DTLS_E_UNSUPPORTED_EXTENSION = -29, /* (unsupported_extension) an extension we did not offer */
    DTLS_E_NO_APPLICATION_PROTOCOL = -30, /* (no_application_protocol) */

    /* Certificate problems (reported by the X.509 layer; alert in parentheses). */
    DTLS_E_BAD_CERTIFICATE = -40,    /* (bad_certificate) malformed, bad signature, ... */
    DTLS_E_UNSUPPORTED_CERTIFICATE = -41, /* (unsupported_certificate) key type or algorithm */
    DTLS_E_CERTIFICATE_EXPIRED = -42, /* (certificate_expired) outside its validity period */
    DTLS_E_CERTIFICATE_UNKNOWN = -43, /* (certificate_unknown) e.g. constraints, usage */
    DTLS_E_UNKNOWN_CA = -44,         /* (unknown_ca) no path to a trust anchor */
    DTLS_E_HOSTNAME = -45,           /* (bad_certificate) certificate not valid for server_name */
    DTLS_E_CERTIFICATE_REVOKED = -46 /* (certificate_revoked) reserved */
};

/* X.509 validation errors (DTLS_X509_E_*, <dtls/x509.h>) use -200 .. -299 and may be
 * returned as they are. */

/* A fatal alert received from the peer: -(512 + description), e.g.
 * DTLS_E_PEER_ALERT(40) for handshake_failure. Range -512 .. -767. */
#define DTLS_E_PEER_ALERT(desc) (-512 - (int)(desc))
#define DTLS_E_IS_PEER_ALERT(rc) ((rc) <= -512 && (rc) >= -767)
#define DTLS_E_PEER_ALERT_DESC(rc) (-(rc) - 512)

/* Text for any value returned by this API ("ok", "bad record MAC", "peer alert: handshake_failure");
 * short identifiers ("ok", "bad_record_mac", "handshake_failure") in a build with
 * DTLS_CONFIG_NO_NAMES (see "compile-time switches" below). */
const char *dtls_strerror(int rc);

/* ---- alerts ------------------------------------------------------------ */

#define DTLS_ALERT_SENT 0
#define DTLS_ALERT_RECEIVED 1
/* dtls_last_alert(c, DTLS_ALERT_SENT or DTLS_ALERT_RECEIVED), declared below. */
/* RFC 8446 name of an alert description ("handshake_failure"), or "unknown". */
const char *dtls_alert_name(int desc);

/* ---- IANA codes and names ---------------------------------------------- */

#define DTLS_TLS13 0x0304

#define DTLS_TLS_AES_128_GCM_SHA256 0x1301
#define DTLS_TLS_AES_256_GCM_SHA384 0x1302
#define DTLS_TLS_CHACHA20_POLY1305_SHA256 0x1303

#define DTLS_GROUP_SECP256R1 0x0017
#define DTLS_GROUP_X25519 0x001d

#define DTLS_SIG_RSA_PKCS1_SHA256 0x0401
#define DTLS_SIG_RSA_PKCS1_SHA384 0x0501
#define DTLS_SIG_RSA_PKCS1_SHA512 0x0601   /* certificate signatures only */
#define DTLS_SIG_ECDSA_SECP256R1_SHA256 0x0403
#define DTLS_SIG_ECDSA_SECP384R1_SHA384 0x0503
#define DTLS_SIG_RSA_PSS_RSAE_SHA256 0x0804
#define DTLS_SIG_RSA_PSS_RSAE_SHA384 0x0805
#define DTLS_SIG_ED25519 0x0807
#define DTLS_SIG_RSA_PSS_PSS_SHA256 0x0809
#define DTLS_SIG_RSA_PSS_PSS_SHA384 0x080a

/* Names ("TLSv1.3", "TLS_AES_128_GCM_SHA256", "x25519", "ecdsa_secp256r1_sha256");
 * NULL for a code this library does not know. */
const char *dtls_version_name(uint16_t version);
const char *dtls_cipher_suite_name(uint16_t suite);
const char *dtls_group_name(uint16_t group);
const char *dtls_signature_scheme_name(uint16_t scheme);
/* Reverse look-ups for option parsing (case-insensitive; groups also accept
 * "X25519", "P-256", "prime256v1"); 0 when unknown or not supported. */
uint16_t dtls_cipher_suite_from_name(const char *name);
uint16_t dtls_group_from_name(const char *name);

/* ---- compile-time switches --------------------------------------------------
 *
 * Defined (-D...) when the library is compiled, each leaves out code a device may
 * not need; none changes a struct, so code using the library may be compiled with
 * or without them. Asking at run time for what was left out is DTLS_E_CONFIG from
 * dtls_client_init, never silently ignored. What the protocol requires stays in
 * every build: HelloRetryRequest, KeyUpdate (received, answered, and sent when a
 * key's record limit is reached), a CertificateRequest (answered with an empty
 * Certificate), a NewSessionTicket (dropped).
 *
 *   DTLS_CONFIG_NO_BUILTIN_CRYPTO  nothing refers to dtls_crypto_builtin: cfg.crypto
 *                                  is required (a table of your own, <dtls/crypto_algs.h>)
 *   DTLS_CONFIG_NO_RESUMPTION      no tickets: session_load / session_store refused,
 *                                  no pre_shared_key or psk_key_exchange_modes sent
 *   DTLS_CONFIG_NO_CLIENT_AUTH     no client certificate: client_chain / sign refused
 *   DTLS_CONFIG_NO_KEYLOG          keylog refused
 *   DTLS_CONFIG_NO_RSA             no RSA: RSA keys and RSA-PSS parameters are not parsed
 *                                  (certificates with them are of an unsupported
 *                                  algorithm), no RSA scheme offered, the table's RSA
 *                                  hooks unused
 *   DTLS_CONFIG_NO_NAMES           dtls_strerror() returns short identifiers instead of
 *                                  sentences: "unknown_ca", "buffer", a received alert's name
 *
 * docs/PORTING.md lists what each saves on a Cortex-M4.
 */

/* ---- configuration ------------------------------------------------------ */

#define DTLS_VERIFY_FULL 0   /* default: chain to .trust, validity at .now(), host name */
#define DTLS_VERIFY_NONE 1   /* explicit opt-out: no chain validation (CertificateVerify
                                is still checked against the leaf key) */

struct dtls_x509_anchors;    /* <dtls/x509.h> */

/*
 * A resumption ticket (RFC 8446 4.6.1), as handed to session_store and asked
 * back from session_load. psk is a secret: store it like a key, wipe it when
 * done. In session_store, ticket points into the engine's receive buffer and
 * is valid only during the call: copy it. In session_load, ticket must stay
 * valid until session_load is called again or the handshake ends.
 */
struct dtls_session {
    uint16_t suite;              /* cipher suite the ticket was issued under */
    uint8_t psk_len;             /* 32 (SHA-256 suites) or 48 (SHA-384) */
    uint8_t psk[48];             /* HKDF-Expand-Label(resumption_master_secret, "resumption", nonce) */
    uint32_t lifetime;           /* seconds (at most 7 days) */
    uint32_t age_add;            /* ticket_age_add */
    int64_t received;            /* now() when the ticket arrived, seconds since the epoch */
    uint32_t max_early_data;     /* from the early_data extension; 0-RTT is not used by this client */
    const uint8_t *ticket;       /* opaque ticket */
    size_t ticket_len;
};

/* A DER certificate in a client chain. */
struct dtls_der {
    const uint8_t *der;
    size_t len;
};

struct dtls_config {
    const char *server_name;     /* SNI and the host name checked in the certificate; an IP
                                    literal is checked but not sent as SNI */
    const struct dtls_x509_anchors *trust; /* required unless verify == DTLS_VERIFY_NONE */
    int verify;                  /* DTLS_VERIFY_FULL (0) or DTLS_VERIFY_NONE */

    /* Context passed to every callback below. */
    void *ctx;
    /* Required: fill out with len unpredictable bytes; 0 on success, -1 on failure. */
    int (*rng)(void *ctx, uint8_t *out, size_t len);
    /* Seconds since the epoch; needed for certificate validity and ticket ages. */
    int64_t (*now)(void *ctx);

    const char *const *alpn;     /* NULL-terminated list of protocols, preference order; NULL: none */
    const uint16_t *suites;      /* 0-terminated IANA codes, preference order; NULL: all three,
                                    AES-128-GCM, ChaCha20-Poly1305, AES-256-GCM */
    const uint16_t *groups;      /* 0-terminated, preference order; the first is the key share
                                    sent in the ClientHello; NULL: x25519 then secp256r1 */
    uint16_t max_fragment;       /* 0 (none), 512, 1024, 2048 or 4096: asked for with both
                                    max_fragment_length (RFC 6066) and record_size_limit (RFC 8449) */
    uint32_t key_update_records; /* send a KeyUpdate after this many records under one key;
                                    0: default 2^24 (well under the AES-GCM limits of RFC 8446 5.5) */

    /* Resumption (optional). session_load fills *s and returns 0 to offer that ticket, or
     * returns -1 for none. session_store is called for every NewSessionTicket received. The
     * callbacks are responsible for keying tickets by server. */
    int (*session_load)(void *ctx, struct dtls_session *s);
    void (*session_store)(void *ctx, const struct dtls_session *s);

    /* Key log (optional): one NSS key log line per secret, without a trailing newline:
     * CLIENT_HANDSHAKE_TRAFFIC_SECRET, SERVER_HANDSHAKE_TRAFFIC_SECRET,
     * CLIENT_TRAFFIC_SECRET_0, SERVER_TRAFFIC_SECRET_0 (then _1, _2... after KeyUpdates). */
    void (*keylog)(void *ctx, const char *line);

    /* Observer (optional): each certificate the server sent, in order, index 0 = leaf,
     * before it is validated. For reporting (subject, SAN) only. */
    void (*peer_cert)(void *ctx, unsigned index, const uint8_t *der, size_t len);

    /* Client authentication (optional). Sent when the server asks with CertificateRequest;
     * without a chain an empty Certificate is sent. client_schemes lists what the key can
     * sign, preference order, 0-terminated (e.g. DTLS_SIG_ECDSA_SECP256R1_SHA256).
     * sign() signs for the scheme: for ECDSA and RSA-PSS, msg is the hash (SHA-256 or
     * SHA-384 per the scheme) of the content to sign and the signature is returned as
     * r || s (ECDSA, 2 x 32 or 2 x 48 bytes; the engine DER-encodes it) or the RSA-PSS
     * signature; for Ed25519 msg is the content itself. *sig_len is the capacity on entry
     * (at least 512), the length on return. Returns 0, or -1 on failure. */
    const struct dtls_der *client_chain; /* leaf first */
    size_t client_chain_len;
    const uint16_t *client_schemes;
    int (*sign)(void *ctx, uint16_t scheme, const uint8_t *msg, size_t len, uint8_t *sig,
                size_t *sig_len);

    /* Crypto provider; NULL: dtls_crypto_builtin. */
    const struct dtls_crypto *crypto;
};

/* ---- buffers ------------------------------------------------------------ */

/* Bytes of one record carrying up to frag bytes of data: header 5, content type 1,
 * AEAD tag 16. A server that ignores max_fragment may send up to 2^14 + 256 bytes
 * of ciphertext, which is what frag == 0 means. */
#define DTLS_RECORD_SIZE(frag) ((frag) == 0 ? 5 + 16384 + 256 : 5 + (frag) + 1 + 16)
/*
 * Sizing the buffers: the rule.
 *
 * The server's Certificate message is taken one certificate at a time: each
 * CertificateEntry (DER + 5 bytes) is assembled whole in rx, handed to the
 * X.509 validator (which copies what it needs, the leaf's key included) and
 * dropped. So the chain never has to fit, only its largest certificate.
 * DTLS_CERT_ROOM is that size: the largest certificate (and largest other
 * handshake message: CertificateVerify is 520 bytes with RSA-4096) the server
 * will send. Certificates with RSA-4096 keys are about 1.4 KB, ECDSA ones
 * 0.5-1 KB; a long subjectAltName list adds to that.
 *
 * Separate rx and tx (the usual case). While the server's encrypted flight
 * arrives, tx is idle, so records are received into tx and only their
 * plaintext is moved into rx. Then
 *     rx >= max(DTLS_RECORD_SIZE(frag), DTLS_CERT_ROOM)   = DTLS_RX_BUFFER_SIZE(frag)
 *     tx >= DTLS_RECORD_SIZE(frag), at least DTLS_TX_MIN  = DTLS_TX_BUFFER_SIZE(frag)
 * where frag is the record size the server will use: cfg.max_fragment if the
 * server honours it (max_fragment_length or record_size_limit), else 0 (2^14).
 * Example: frag 1024 with RSA-4096 chains: rx 2048, tx 1046 (the test in
 * tests/unit/test_x509_stream.c). A record larger than tx (a server that
 * ignores max_fragment) is received in rx instead, when it fits there.
 *
 * One shared buffer (rx == tx): a certificate and the record that completes
 * it must fit together: buf >= DTLS_SHARED_BUFFER_SIZE(frag).
 *
 * Too small a buffer fails the handshake with DTLS_E_BUFFER (alert
 * internal_error), never with a partial check. A NewSessionTicket too big
 * for rx is skipped (no resumption), not an error.
 */
#ifndef DTLS_CERT_ROOM
#define DTLS_CERT_ROOM 4096
#endif
#define DTLS_RX_BUFFER_SIZE(frag) \
    (DTLS_RECORD_SIZE(frag) > DTLS_CERT_ROOM ? DTLS_RECORD_SIZE(frag) : DTLS_CERT_ROOM)
#define DTLS_SHARED_BUFFER_SIZE(frag) (DTLS_RECORD_SIZE(frag) + DTLS_CERT_ROOM)
/* The transmit buffer: records we send are sized to fit it (and the server's limit).
 * It must hold the ClientHello, and while client authentication runs, one record
 * plus the CertificateVerify. */
#define DTLS_TX_MIN 1024
#define DTLS_TX_BUFFER_SIZE(frag) \
    (DTLS_RECORD_SIZE(frag) > DTLS_TX_MIN ? DTLS_RECORD_SIZE(frag) : DTLS_TX_MIN)

/* ---- the connection -------------------------------------------------------- */

typedef long (*dtls_read_fn)(void *ctx, uint8_t *buf, size_t len);
typedef long (*dtls_write_fn)(void *ctx, const uint8_t *buf, size_t len);

/* Per direction record protection state. */
struct dtls_record_keys {
    dtls_aead_ctx aead;
    uint8_t iv[12];
    uint8_t on;                  /* 0: plaintext records */
    uint64_t seq;
};

/*
 * The connection. A plain struct: allocate it anywhere (static, stack, inside your own
 * object). Every field is private to the library and may change between versions.
 */
struct dtls_client {
    const struct dtls_config *cfg;
    const struct dtls_crypto *cr;
    dtls_read_fn io_read;
    dtls_write_fn io_write;
    void *io_ctx;
    const void *test_seam;       /* internal test hook (src/tls/tls_test.h); always NULL otherwise */

    uint8_t *rx;
    uint8_t *tx;
    size_t rx_cap, tx_cap;

    /* Receive side: rx[hs_off, hs_end) handshake bytes not yet consumed, rx[hs_end,
       hs_end + rec_have) the record being received (or tx[0, rec_have) during the
       server's flight), rx[app_off, app_end) application data not yet read. */
    size_t hs_off, hs_end, rec_have, app_off, app_end;
    /* Transmit side: tx[out_off, out_end) sealed records still to write; tx[stage_off,
       tx_cap) a handshake message being cut into records, stage_pos bytes of it done. */
    size_t out_off, out_end, stage_off, stage_pos;

    struct dtls_record_keys rd, wr;

    uint8_t c_ap[48], s_ap[48];  /* application traffic secrets (for KeyUpdate) */
    uint8_t res[48];             /* resumption master secret (for NewSessionTicket) */
    uint8_t random[32];          /* client random (key log lines) */

    int error;                   /* sticky error, 0 if none */
    uint32_t flags;
    uint32_t sent_ext;           /* extensions offered in the ClientHello (bit per known type) */
    uint32_t cert_left;          /* bytes of the certificate_list (or skipped message) to come */
    uint32_t ku_c, ku_s;         /* KeyUpdate generations (key log labels) */
    uint16_t suite, group, sig_scheme, client_scheme;
    uint16_t send_limit;         /* largest plaintext we put in one record */
    uint16_t rsl_sent;           /* record_size_limit we offered (0: none) */
    uint16_t alert_out;          /* 0x100 | description while an alert waits to be sent */
    int16_t alert_sent, alert_recv;
    uint8_t state, flight, cert_phase, mfl_sent, mfl_code, alpn_index, chain_len;

    /* During the handshake only. */
    union {
        struct {
            dtls_hash_ctx th;        /* transcript hash (started once the suite is known; the
                                        ClientHello waits in the transmit buffer until then) */
            uint8_t secret[48];      /* early, then handshake, then master secret */
            uint8_t c_hs[48], s_hs[48];
            uint8_t priv[32];        /* our key-share private key */
            uint8_t sid[32];         /* legacy_session_id */
            size_t ch_off, ch_len;   /* the first ClientHello in tx, until the ServerHello */
            uint16_t share_group;    /* group of the share we sent */
            uint16_t hrr_suite;      /* suite of the HelloRetryRequest, 0 if none */
            uint16_t psk_suite;      /* suite of the ticket offered, 0 if none */
            uint8_t sid_len;
            struct dtls_x509_validator x509; /* chain validation, certificate by certificate */
        } hs;
        uint8_t done;                /* nothing is kept after the handshake */
    } u;
};

/*
 * Prepare c for one connection. cfg must stay valid (and unchanged) for the life of c.
 * rx/tx are the caller's buffers (they may be the same buffer, see above). Returns
 * DTLS_OK or DTLS_E_CONFIG / DTLS_E_BUFFER.
 */
int dtls_client_init(struct dtls_client *c, const struct dtls_config *cfg, uint8_t *rx,
                     size_t rx_len, uint8_t *tx, size_t tx_len);
void dtls_client_set_io(struct dtls_client *c, dtls_read_fn read, dtls_write_fn write, void *io_ctx);

/* Run the handshake to completion: DTLS_OK, DTLS_WANT_READ/WRITE, or DTLS_E_*. Called
 * after completion it returns DTLS_OK (or the sticky error). dtls_read and dtls_write
 * run the handshake themselves if it has not completed. */
int dtls_handshake(struct dtls_client *c);

/* Like recv(): returns 1..len bytes of application data, 0 after the peer's
 * close_notify, or a negative code. Post-handshake messages (NewSessionTicket,
 * KeyUpdate) are handled inside. A record larger than len is kept for the next calls. */
long dtls_read(struct dtls_client *c, uint8_t *buf, size_t len);
/* Like send(): takes up to len bytes (one record's worth) and returns how many, or a
 * negative code. The record may still be in the transmit buffer when this returns;
 * with non-blocking I/O call dtls_flush() until DTLS_OK before waiting to read (dtls_read
 * also flushes first). On a shared rx/tx buffer, returns DTLS_E_BUSY while data received
 * earlier has not been read out. */
long dtls_write(struct dtls_client *c, const uint8_t *buf, size_t len);
/* Write out buffered records: DTLS_OK, DTLS_WANT_WRITE or an error. */
int dtls_flush(struct dtls_client *c);
/* Bytes of application data that dtls_read can return without I/O. */
size_t dtls_pending(const struct dtls_client *c);
/* Receive and handle at most one record without returning application data: a
 * NewSessionTicket or KeyUpdate is handled inside, an alert ends the connection
 * with its error, application data stays for dtls_read (dtls_pending). Returns
 * DTLS_OK (a record was handled, or data or the peer's close_notify is already
 * waiting), DTLS_WANT_READ/WRITE, or an error. For instance: in TLS 1.3 the
 * server judges the client's certificate after the client's handshake is done,
 * so a client that must know its certificate was accepted before it sends
 * anything calls this (non-blocking, with a timeout) until a record arrives:
 * servers send a NewSessionTicket once they accepted the client's Finished, and
 * a rejection comes as an alert (DTLS_E_PEER_ALERT(116): certificate_required). */
int dtls_receive(struct dtls_client *c);
/* Send close_notify (and flush). Further writes return DTLS_E_CLOSED; reading may go on
 * until the peer's close_notify. DTLS_OK, DTLS_WANT_WRITE or an error. */
int dtls_close(struct dtls_client *c);
/* Send a KeyUpdate now and switch to new write keys; request_peer = 1 asks the server to
 * update its keys too. DTLS_OK, DTLS_WANT_WRITE or an error. */
int dtls_key_update(struct dtls_client *c, int request_peer);

/* The same calls with the I/O callback shape (ctx is a struct dtls_client *). */
long dtls_io_read(void *ctx, uint8_t *buf, size_t len);
long dtls_io_write(void *ctx, const uint8_t *buf, size_t len);

/* ---- what was negotiated ------------------------------------------------- */

struct dtls_info {
    uint16_t version;            /* DTLS_TLS13 once the handshake completed, else 0 */
    uint16_t cipher_suite;       /* 0 until the ServerHello */
    uint16_t group;              /* key-exchange group */
    uint16_t signature_scheme;   /* server CertificateVerify; 0 when resumed */
    const char *alpn;            /* the protocol, pointing into cfg->alpn; NULL if none */
    int hello_retry;             /* 1 if the server sent a HelloRetryRequest */
    int resumed;                 /* 1 if the server accepted our ticket */
    unsigned max_fragment;       /* max_fragment the server accepted (either extension), 0 if none */
    unsigned peer_record_limit;  /* largest plaintext per record we send (server's limit) */
    unsigned chain_length;       /* certificates in the server's Certificate message */
    int client_auth;             /* 1 if the server sent CertificateRequest */
    int client_cert_sent;        /* 1 if we answered with a non-empty chain */
};
void dtls_get_info(const struct dtls_client *c, struct dtls_info *info);

/* The description of the last alert sent (direction DTLS_ALERT_SENT) or received
 * (DTLS_ALERT_RECEIVED), 0..255, or -1 if none. */
int dtls_last_alert(const struct dtls_client *c, int direction);

#ifdef __cplusplus
}
#endif

#endif
