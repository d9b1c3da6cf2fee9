/*
 * The record layer (RFC 8446 section 5): framing, protection, limits, alerts.
 *
 * Receiving. A record is always read whole: first its 5-byte header, then
 * exactly the body it announces, never more, so the transport keeps whatever
 * follows (the engine holds at most one record at a time, and a shared rx/tx
 * buffer never sees incoming bytes land on outgoing ones). The reads may stop
 * at any byte (rec_have counts what arrived); the record is opened in place.
 * Where it lands:
 *
 *   rx: | handshake bytes not yet parsed | hdr | ciphertext ........ | tag |
 *       0                               hs_end                              rx_limit
 *
 * except during the server's encrypted flight (EncryptedExtensions to
 * Finished) with separate buffers: the transmit buffer is idle then (the
 * ClientHello is answered, our second flight not begun), so the record lands
 * at tx[0] and only its plaintext is copied into rx, piece by piece as the
 * handshake layer consumes it (dtls_hs_on_record). rx then only has to hold
 * the largest single handshake message or certificate, not that plus a
 * record; a record too big for tx still lands in rx when it fits there.
 * Nothing is written to tx while a record is being received there
 * (F_REC_TX), and the plaintext is handed on only after its tag verified.
 *
 * Protected records have outer type application_data; the plaintext is
 * TLSInnerPlaintext = content || type || zeros, so the content type is the
 * last non-zero byte. Limits: ciphertext <= 2^14 + 256, inner plaintext
 * <= 2^14 + 1, or our record_size_limit once the server acknowledged it
 * (and the content <= the max_fragment_length it echoed).
 *
 * Sending. Sealed records accumulate in tx[out_off, out_end) and are written
 * out by dtls_rec_flush(), which may stop at any byte as well. Records carry
 * no padding. The nonce is the IV XOR the 64-bit sequence number (5.3).
 */
#include <string.h>

#include "tls/tls.h"

static int alert_for(int err)
{
    switch (err) {
    case DTLS_E_UNEXPECTED_MESSAGE: return AL_UNEXPECTED_MESSAGE;
    case DTLS_E_BAD_RECORD_MAC: return AL_BAD_RECORD_MAC;
    case DTLS_E_RECORD_OVERFLOW: return AL_RECORD_OVERFLOW;
    case DTLS_E_HANDSHAKE_FAILURE: return AL_HANDSHAKE_FAILURE;
    case DTLS_E_ILLEGAL_PARAMETER: return AL_ILLEGAL_PARAMETER;
    case DTLS_E_DECODE_ERROR: return AL_DECODE_ERROR;
    case DTLS_E_DECRYPT_ERROR: return AL_DECRYPT_ERROR;
    case DTLS_E_PROTOCOL_VERSION: return AL_PROTOCOL_VERSION;
    case DTLS_E_MISSING_EXTENSION: return AL_MISSING_EXTENSION;
    case DTLS_E_UNSUPPORTED_EXTENSION: return AL_UNSUPPORTED_EXTENSION;
    case DTLS_E_NO_APPLICATION_PROTOCOL: return AL_NO_APPLICATION_PROTOCOL;
    case DTLS_E_BAD_CERTIFICATE: return AL_BAD_CERTIFICATE;
    case DTLS_E_HOSTNAME: return AL_BAD_CERTIFICATE;
    case DTLS_E_UNSUPPORTED_CERTIFICATE: return AL_UNSUPPORTED_CERTIFICATE;
    case DTLS_E_CERTIFICATE_EXPIRED: return AL_CERTIFICATE_EXPIRED;
    case DTLS_E_CERTIFICATE_UNKNOWN: return AL_CERTIFICATE_UNKNOWN;
    case DTLS_E_CERTIFICATE_REVOKED: return AL_CERTIFICATE_REVOKED;
    case DTLS_E_UNKNOWN_CA: return AL_UNKNOWN_CA;
    case DTLS_E_BUFFER:
    case DTLS_E_RNG:
    case DTLS_E_SIGN:
    case DTLS_E_INTERNAL: return AL_INTERNAL_ERROR;
    default:
        if (err <= -200 && err >= -299) /* the X.509 layer's verdicts carry their own alert */
            return dtls_x509_alert(err);
        return -1; /* I/O, EOF, config, peer alerts: nothing to tell the peer */
    }
}

int dtls_tls_fail_alert(struct dtls_client *c, int err, int alert)
{
    if (c->error)
        return c->error;
    c->error = err;
    /* (nothing is said to a peer we have not spoken to yet) */
    if (alert >= 0 && c->io_write && c->state != ST_START)
        c->alert_out = (uint16_t)(0x100 | alert);
    /* Nothing received is looked at again; the secrets are no longer needed (the write
       keys stay until the alert is out). */
    c->hs_off = c->hs_end = c->rec_have = c->app_off = c->app_end = 0;
    c->cert_phase = CP_NONE;
    c->flags &= ~(uint32_t)F_REC_TX;
    c->stage_off = c->tx_cap;
    c->stage_pos = 0;
    c->flags &= ~(uint32_t)F_STAGE_CERT;
    if (c->state < ST_CONNECTED)
        dtls_wipe(&c->u, sizeof c->u);
    dtls_wipe(&c->rd, sizeof c->rd);
    dtls_wipe(c->c_ap, sizeof c->c_ap);
    dtls_wipe(c->s_ap, sizeof c->s_ap);
    dtls_wipe(c->res, sizeof c->res);
    return err;
}

int dtls_tls_fail(struct dtls_client *c, int err)
{
    return dtls_tls_fail_alert(c, err, alert_for(err));
}

/* ---- sending ----------------------------------------------------------------- */

/*
 * Where outgoing bytes may go. Separate buffers: all of tx. One shared buffer:
 * after whatever the receive side still holds (handshake bytes, unread
 * application data, or the whole extent of a record being received).
 */
static size_t tx_base(const struct dtls_client *c)
{
    size_t base, rec;
    if (c->flags & F_REC_TX)
        return c->tx_cap; /* a record is arriving in tx: nothing goes out meanwhile */
    if (!(c->flags & F_MONO))
        return 0;
    base = c->hs_end;
    if (c->rec_have) {
        rec = c->rec_have >= 5 ? 5 + (size_t)ld16(c->rx + c->hs_end + 3) : 5 + TLS_MAX_CIPHERTEXT;
        base += rec;
    }
    if (c->app_end > base)
        base = c->app_end;
    return base;
}

size_t dtls_rec_out_space(struct dtls_client *c, uint8_t **pt)
{
    size_t end = (c->flags & F_STAGE_CERT) ? c->tx_cap : c->stage_off;
    size_t over = 5 + (c->wr.on ? 1 + TLS_TAG : 0);
    size_t room;
    if (c->out_off == c->out_end)
        c->out_off = c->out_end = tx_base(c);
    if (end < c->out_end || end - c->out_end <= over)
        return 0;
    room = end - c->out_end - over;
    if (room > c->send_limit)
        room = c->send_limit;
    *pt = c->tx + c->out_end + 5;
    return room;
}

static void nonce_for(const struct dtls_record_keys *k, uint8_t nonce[12])
{
    memcpy(nonce, k->iv, 12);
    for (int i = 0; i < 8; i++)
        nonce[4 + i] ^= (uint8_t)(k->seq >> (56 - 8 * i));
}

void dtls_rec_seal(struct dtls_client *c, uint8_t type, size_t len)
{
    uint8_t *r = c->tx + c->out_end;
    struct dtls_record_keys *k = &c->wr;
    uint8_t nonce[12];
    size_t n = len;

    r[1] = 3;
    /* legacy_record_version 0x0301 for the first ClientHello, 0x0303 otherwise (5.1) */
    r[2] = (c->state == ST_START) ? 1 : 3;
    if (k->on && type != CT_CCS) {
        const struct dtls_aead *a = dtls_ks_suite_aead(c, c->suite);
        r[5 + n++] = type;
        r[0] = CT_APPDATA;
        r[3] = (uint8_t)((n + TLS_TAG) >> 8);
        r[4] = (uint8_t)(n + TLS_TAG);
        nonce_for(k, nonce);
        a->seal(&k->aead, nonce, r, 5, r + 5, n, r + 5 + n);
        k->seq++;
        n += TLS_TAG;
    } else {
        r[0] = type;
        r[3] = (uint8_t)(n >> 8);
        r[4] = (uint8_t)n;
    }
    c->out_end += 5 + n;
}

int dtls_rec_flush(struct dtls_client *c)
{
    while (c->out_off < c->out_end) {
        long n = c->io_write(c->io_ctx, c->tx + c->out_off, c->out_end - c->out_off);
        if (n == DTLS_WANT_READ || n == DTLS_WANT_WRITE)
            return (int)n;
        if (n <= 0 || (size_t)n > c->out_end - c->out_off) {
            c->out_off = c->out_end;
            return dtls_tls_fail_alert(c, DTLS_E_IO, -1);
        }
        c->out_off += (size_t)n;
    }
    return DTLS_OK;
}

int dtls_rec_send_alert(struct dtls_client *c)
{
    if (c->alert_out) {
        uint8_t *pt;
        int desc = c->alert_out & 0xff;
        int rc;
        if (dtls_rec_out_space(c, &pt) < 2) {
            TRY(dtls_rec_flush(c));
            if (dtls_rec_out_space(c, &pt) < 2) {
                c->alert_out = 0;   /* no room even in an empty buffer: give up quietly */
                return DTLS_OK;
            }
        }
        pt[0] = (desc == AL_CLOSE_NOTIFY || desc == AL_USER_CANCELED) ? 1 : 2;
        pt[1] = (uint8_t)desc;
        dtls_rec_seal(c, CT_ALERT, 2);
        c->alert_out = 0;
        c->alert_sent = (int16_t)desc;
        rc = dtls_rec_flush(c);
        if (c->error)
            dtls_wipe(&c->wr, sizeof c->wr);
        return rc;
    }
    return dtls_rec_flush(c);
}

/* ---- receiving ----------------------------------------------------------------- */

size_t dtls_rec_rx_limit(const struct dtls_client *c)
{
    /* A shared buffer keeps the first ClientHello at its end until the ServerHello. */
    if ((c->flags & F_MONO) && c->state < ST_CONNECTED && c->u.hs.ch_len)
        return c->u.hs.ch_off - 5;
    return c->rx_cap;
}

/* Can the next record land in tx? Separate buffers, the server's encrypted flight,
 * and nothing of ours in tx (no output pending, nothing staged, no alert queued). */
static int tx_idle(const struct dtls_client *c)
{
    return !(c->flags & F_MONO) && c->state >= ST_WAIT_EE && c->state <= ST_WAIT_FIN &&
           c->out_off == c->out_end && c->stage_off == c->tx_cap && !(c->flags & F_STAGE_CERT) &&
           !c->alert_out;
}

size_t dtls_rec_hs_room(const struct dtls_client *c)
{
    /* In rx, the last byte of a message comes in a record of at least 5 + 1 + 1 + 16
       bytes that must fit after the other mlen - 1: mlen + 22 <= limit. */
    size_t limit = dtls_rec_rx_limit(c), reserve = tx_idle(c) ? 0 : 5 + 1 + TLS_TAG;
    return limit > reserve ? limit - reserve : 0;
}

/* Read until r[0, need) is complete (rec_have bytes of it are there already). */
static int fill(struct dtls_client *c, uint8_t *r, size_t need)
{
    while (c->rec_have < need) {
        long n = c->io_read(c->io_ctx, r + c->rec_have, need - c->rec_have);
        if (n == DTLS_WANT_READ || n == DTLS_WANT_WRITE)
            return (int)n;
        if (n == 0)
            return dtls_tls_fail_alert(c, DTLS_E_EOF, -1);
        if (n < 0 || (size_t)n > need - c->rec_have)
            return dtls_tls_fail_alert(c, DTLS_E_IO, -1);
        c->rec_have += (size_t)n;
    }
    return DTLS_OK;
}

int dtls_rec_read(struct dtls_client *c, uint8_t *type, uint8_t **content, size_t *len)
{
    size_t start = c->hs_end, n, i, limit = dtls_rec_rx_limit(c);
    uint8_t *r;
    uint8_t t;

    if (c->rec_have == 0) {
        c->flags &= ~(uint32_t)F_REC_TX;
        if (tx_idle(c))
            c->flags |= F_REC_TX;
    }
    r = (c->flags & F_REC_TX) ? c->tx : c->rx + start;
    if (!(c->flags & F_REC_TX) && start + 5 > limit)
        return dtls_tls_fail(c, DTLS_E_BUFFER);
    TRY(fill(c, r, 5));
    t = r[0];
    n = ld16(r + 3);
    if (t < CT_CCS || t > CT_APPDATA || r[1] != 3)
        return dtls_tls_fail(c, DTLS_E_UNEXPECTED_MESSAGE);
    if (n > TLS_MAX_CIPHERTEXT || ((!c->rd.on || t == CT_CCS) && n > TLS_MAX_PLAINTEXT))
        return dtls_tls_fail(c, DTLS_E_RECORD_OVERFLOW);
    if (n == 0)
        return dtls_tls_fail(c, DTLS_E_DECODE_ERROR);
    if ((c->flags & F_REC_TX) && 5 + n > c->tx_cap && c->rec_have == 5 && start + 5 <= limit) {
        /* too big for tx (the server ignores max_fragment): rx, if it fits there */
        memcpy(c->rx + start, r, 5);
        c->flags &= ~(uint32_t)F_REC_TX;
        r = c->rx + start;
    }
    if (5 + n > ((c->flags & F_REC_TX) ? c->tx_cap : limit - start))
        return dtls_tls_fail(c, DTLS_E_BUFFER);
    TRY(fill(c, r, 5 + n));
    c->rec_have = 0;
    /* the caller consumes the content before anything is written to tx again */
    c->flags &= ~(uint32_t)F_REC_TX;

    if (t == CT_CCS) {
        /* RFC 8446 5: an unprotected change_cipher_spec of one byte 0x01 is dropped
           between our first ClientHello and the server's Finished; anything else is
           unexpected. */
        if (n != 1 || r[5] != 1 || c->state < ST_WAIT_SH || c->state > ST_WAIT_FIN)
            return dtls_tls_fail(c, DTLS_E_UNEXPECTED_MESSAGE);
        *type = CT_CCS;
        *content = r + 5;
        *len = 0;
        return DTLS_OK;
    }
    if (c->rd.on) {
        const struct dtls_aead *a = dtls_ks_suite_aead(c, c->suite);
        uint8_t nonce[12];
        if (t != CT_APPDATA)
            return dtls_tls_fail(c, DTLS_E_UNEXPECTED_MESSAGE);
        if (n < 1 + TLS_TAG)
            return dtls_tls_fail(c, DTLS_E_BAD_RECORD_MAC);
        n -= TLS_TAG;
        nonce_for(&c->rd, nonce);
        if (a->open(&c->rd.aead, nonce, r, 5, r + 5, n, r + 5 + n) != 0)
            return dtls_tls_fail(c, DTLS_E_BAD_RECORD_MAC);
        c->rd.seq++;
        /* n is the length of the whole TLSInnerPlaintext, padding included */
        if (n > TLS_MAX_PLAINTEXT + 1 || ((c->flags & F_RSL) && n > c->rsl_sent))
            return dtls_tls_fail(c, DTLS_E_RECORD_OVERFLOW);
        for (i = n; i > 0 && r[5 + i - 1] == 0; i--)
            ;
        if (i == 0)
            return dtls_tls_fail(c, DTLS_E_UNEXPECTED_MESSAGE);
        t = r[5 + i - 1];
        n = i - 1;
        if (t != CT_ALERT && t != CT_HANDSHAKE && t != CT_APPDATA)
            return dtls_tls_fail(c, DTLS_E_UNEXPECTED_MESSAGE);
        if ((c->flags & F_MFL) && n > (size_t)(256u << c->mfl_code))
            return dtls_tls_fail(c, DTLS_E_RECORD_OVERFLOW);
        if (n == 0 && t != CT_APPDATA)
            return dtls_tls_fail(c, DTLS_E_UNEXPECTED_MESSAGE);
    } else if (t == CT_APPDATA) {
        return dtls_tls_fail(c, DTLS_E_UNEXPECTED_MESSAGE);
    }
    *type = t;
    *content = r + 5;
    *len = n;
    return DTLS_OK;
}

int dtls_rec_on_alert(struct dtls_client *c, const uint8_t *b, size_t len)
{
    if (len != 2)
        return dtls_tls_fail(c, DTLS_E_DECODE_ERROR);
    c->alert_recv = b[1];
    if (b[1] == AL_CLOSE_NOTIFY) {
        c->flags |= F_PEER_CLOSED;
        if (c->state != ST_CONNECTED)
            return dtls_tls_fail_alert(c, DTLS_E_PEER_ALERT(AL_CLOSE_NOTIFY), -1);
        return DTLS_OK;
    }
    if (b[1] == AL_USER_CANCELED && c->state == ST_CONNECTED)
        return DTLS_OK; /* a close_notify should follow */
    /* RFC 8446 6: every other alert is fatal whatever its level says. */
    return dtls_tls_fail_alert(c, DTLS_E_PEER_ALERT(b[1]), -1);
}

void dtls_rec_set_keys(struct dtls_client *c, struct dtls_record_keys *k, const uint8_t *secret)
{
    const struct dtls_hash *h = dtls_ks_suite_hash(c, c->suite);
    const struct dtls_aead *a = dtls_ks_suite_aead(c, c->suite);
    uint8_t key[32];
    (void)dtls_hkdf_expand_label(h, secret, "key", NULL, 0, key, a->key_len);
    (void)dtls_hkdf_expand_label(h, secret, "iv", NULL, 0, k->iv, 12);
    a->init(&k->aead, key);
    k->on = 1;
    k->seq = 0;
    dtls_wipe(key, sizeof key);
}
