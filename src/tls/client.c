/*
 * The public API: checking the config, and the drivers that pump records
 * through the engine until the caller's request can be answered.
 *
 * Every driver has the same shape: report a sticky error (after getting the
 * pending alert out), write pending output before reading (the peer may be
 * waiting for it), then read one record at a time and dispatch it by content
 * type. Any callback may say WANT_READ/WANT_WRITE; the state needed to resume
 * is all in the struct, so the caller just calls again.
 */
#include <string.h>

#include "tls/tls.h"

static int valid_suite(uint16_t s)
{
    return s == DTLS_TLS_AES_128_GCM_SHA256 || s == DTLS_TLS_AES_256_GCM_SHA384 ||
           s == DTLS_TLS_CHACHA20_POLY1305_SHA256;
}

static int check_config(struct dtls_client *c)
{
    const struct dtls_config *cfg = c->cfg;
    size_t total = 0, n = 0;

    if (!cfg->rng || (cfg->verify != DTLS_VERIFY_FULL && cfg->verify != DTLS_VERIFY_NONE))
        return -1;
    if (cfg->verify == DTLS_VERIFY_FULL && (!cfg->trust || !cfg->now || !cfg->server_name))
        return -1;
    if (!c->cr->sha256)
        return -1;
    if (cfg->server_name && strlen(cfg->server_name) > 253)
        return -1;
    if (cfg->suites) {
        for (const uint16_t *s = cfg->suites; *s; s++, n++)
            if (!valid_suite(*s) || !dtls_ch_offers_suite(c, *s))
                return -1;
    } else {
        for (const uint16_t *s = dtls_ch_suites(c); *s; s++)
            n += (size_t)dtls_ch_offers_suite(c, *s);
    }
    if (n == 0)
        return -1;
    n = 0;
    if (cfg->groups) {
        for (const uint16_t *g = cfg->groups; *g; g++, n++)
            if (!dtls_ch_offers_group(c, *g))
                return -1;
    } else {
        for (const uint16_t *g = dtls_ch_groups(c); *g; g++)
            n += (size_t)dtls_ch_offers_group(c, *g);
    }
    if (n == 0)
        return -1;
    if (cfg->max_fragment != 0 && cfg->max_fragment != 512 && cfg->max_fragment != 1024 &&
        cfg->max_fragment != 2048 && cfg->max_fragment != 4096)
        return -1;
    if (cfg->alpn) {
        for (n = 0; cfg->alpn[n]; n++) {
            size_t l = strlen(cfg->alpn[n]);
            if (l == 0 || l > 255 || n >= 254)
                return -1;
            total += 1 + l;
        }
        if (total > 0xffff)
            return -1;
    }
    if (cfg->client_chain_len && (!cfg->client_chain || !cfg->sign || !cfg->client_schemes))
        return -1;
    /* A feature this build left out is refused, not silently ignored (<dtls/dtls.h>). */
#ifdef DTLS_CONFIG_NO_RESUMPTION
    if (cfg->session_load || cfg->session_store)
        return -1;
#endif
#ifdef DTLS_CONFIG_NO_CLIENT_AUTH
    if (cfg->client_chain_len || cfg->sign)
        return -1;
#endif
#ifdef DTLS_CONFIG_NO_KEYLOG
    if (cfg->keylog)
        return -1;
#endif
    return 0;
}

int dtls_client_init(struct dtls_client *c, const struct dtls_config *cfg, uint8_t *rx,
                     size_t rx_len, uint8_t *tx, size_t tx_len)
{
    if (!c)
        return DTLS_E_CONFIG;
    memset(c, 0, sizeof *c);
    c->alert_sent = c->alert_recv = -1;
    if (!cfg || !rx || !tx) {
        c->error = DTLS_E_CONFIG;
        return DTLS_E_CONFIG;
    }
    c->cfg = cfg;
#ifdef DTLS_CONFIG_NO_BUILTIN_CRYPTO
    if (!cfg->crypto) {
        c->error = DTLS_E_CONFIG; /* no default table in this build */
        return DTLS_E_CONFIG;
    }
    c->cr = cfg->crypto;
#else
    c->cr = cfg->crypto ? cfg->crypto : &dtls_crypto_builtin;
#endif
    if (rx == tx) {
        c->flags |= F_MONO;
        if (tx_len < rx_len)
            rx_len = tx_len;
        tx_len = rx_len;
    } else if (rx < tx + tx_len && tx < rx + rx_len) {
        c->error = DTLS_E_CONFIG; /* overlapping but different buffers */
        return DTLS_E_CONFIG;
    }
    c->rx = rx;
    c->tx = tx;
    c->rx_cap = rx_len;
    c->tx_cap = tx_len;
    c->stage_off = tx_len;
    c->send_limit = TLS_MAX_PLAINTEXT;
    c->state = ST_START;
    if (check_config(c) != 0) {
        c->error = DTLS_E_CONFIG;
        return DTLS_E_CONFIG;
    }
    if (rx_len < 512 || tx_len < 512) {
        c->error = DTLS_E_BUFFER;
        return DTLS_E_BUFFER;
    }
    return DTLS_OK;
}

void dtls_client_set_io(struct dtls_client *c, dtls_read_fn read, dtls_write_fn write, void *io_ctx)
{
    c->io_read = read;
    c->io_write = write;
    c->io_ctx = io_ctx;
}

/* The sticky error, once the alert that goes with it is out. */
static int report(struct dtls_client *c)
{
    int rc = dtls_rec_send_alert(c);
    if (rc == DTLS_WANT_READ || rc == DTLS_WANT_WRITE)
        return rc;
    return c->error;
}

static int outcome(struct dtls_client *c, int rc)
{
    if (rc == DTLS_WANT_READ || rc == DTLS_WANT_WRITE)
        return rc;
    if (c->error)
        return report(c);
    return rc;
}

/* Read one record and dispatch it. */
static int pump(struct dtls_client *c)
{
    uint8_t type, *p;
    size_t len;
    TRY(dtls_rec_read(c, &type, &p, &len));
    switch (type) {
    case CT_ALERT:
        return dtls_rec_on_alert(c, p, len);
    case CT_HANDSHAKE:
        return dtls_hs_on_record(c, p, len);
    case CT_APPDATA:
        /* not before the handshake is done (so always in rx), never in the middle of a
           handshake message */
        REQUIRE(c->state == ST_CONNECTED && c->hs_off == c->hs_end, DTLS_E_UNEXPECTED_MESSAGE);
        c->app_off = (size_t)(p - c->rx);
        c->app_end = c->app_off + len;
        return DTLS_OK;
    default: /* a dropped change_cipher_spec */
        return DTLS_OK;
    }
}

int dtls_handshake(struct dtls_client *c)
{
    int rc;
    if (c->error)
        return report(c);
    if (!c->io_read || !c->io_write)
        return DTLS_E_CONFIG;
    for (;;) {
        if (c->out_off != c->out_end) {
            rc = dtls_rec_flush(c);
            if (rc < 0)
                return outcome(c, rc);
        }
        switch (c->state) {
        case ST_CONNECTED:
            return DTLS_OK;
        case ST_START:
            rc = dtls_ch_send(c, NULL, 0);
            if (rc < 0)
                return outcome(c, rc);
            c->state = ST_WAIT_SH;
            break;
        case ST_FLIGHT:
            rc = dtls_hs_flight(c);
            if (rc < 0)
                return outcome(c, rc);
            break;
        default:
            rc = pump(c);
            if (rc < 0)
                return outcome(c, rc);
            break;
        }
    }
}

/* Send a pending KeyUpdate (requested by the peer, by us, or by the record limit). */
static int key_update_due(struct dtls_client *c)
{
    uint32_t limit = c->cfg->key_update_records ? c->cfg->key_update_records : TLS_DEFAULT_KU_RECORDS;
    if (c->wr.seq >= limit)
        c->flags |= F_KU_PENDING;
    if (c->rd.seq >= limit && !(c->flags & F_KU_ASKED)) {
        /* the server's keys are worn too: ask it to update (once per read key) */
        c->flags |= F_KU_PENDING | F_KU_REQUEST | F_KU_ASKED;
    }
    if (!(c->flags & F_KU_PENDING) || (c->flags & F_CLOSED))
        return DTLS_OK;
    return dtls_hs_send_key_update(c, (c->flags & F_KU_REQUEST) != 0);
}

/* After the handshake: send what is due, then receive and handle one record. */
static int receive_one(struct dtls_client *c)
{
    int rc = key_update_due(c);
    if (rc == DTLS_E_BUSY)
        rc = DTLS_OK;
    if (rc == DTLS_OK && c->out_off != c->out_end)
        rc = dtls_rec_flush(c);
    if (rc == DTLS_OK)
        rc = pump(c);
    return rc < 0 ? outcome(c, rc) : DTLS_OK;
}

int dtls_receive(struct dtls_client *c)
{
    int rc;
    if (c->error)
        return report(c);
    if (c->state != ST_CONNECTED) {
        rc = dtls_handshake(c);
        if (rc != DTLS_OK)
            return rc;
    }
    if (c->app_off < c->app_end || (c->flags & F_PEER_CLOSED))
        return DTLS_OK;
    return receive_one(c);
}

long dtls_read(struct dtls_client *c, uint8_t *buf, size_t len)
{
    int rc;
    if (c->error)
        return report(c);
    if (c->state != ST_CONNECTED) {
        rc = dtls_handshake(c);
        if (rc != DTLS_OK)
            return rc;
    }
    if (len == 0)
        return 0;
    for (;;) {
        if (c->app_off < c->app_end) {
            size_t n = c->app_end - c->app_off;
            if (n > len)
                n = len;
            memcpy(buf, c->rx + c->app_off, n);
            c->app_off += n;
            if (c->app_off == c->app_end)
                c->app_off = c->app_end = 0;
            return (long)n;
        }
        c->app_off = c->app_end = 0;
        if (c->flags & F_PEER_CLOSED)
            return 0;
        rc = receive_one(c);
        if (rc < 0)
            return rc;
    }
}

long dtls_write(struct dtls_client *c, const uint8_t *buf, size_t len)
{
    uint8_t *pt;
    size_t n;
    int rc;
    if (c->error)
        return report(c);
    if (c->flags & F_CLOSED)
        return DTLS_E_CLOSED;
    if (c->state != ST_CONNECTED) {
        rc = dtls_handshake(c);
        if (rc != DTLS_OK)
            return rc;
    }
    if (len == 0)
        return 0;
    rc = dtls_rec_flush(c);
    if (rc == DTLS_OK)
        rc = key_update_due(c);
    if (rc < 0)
        return rc == DTLS_E_BUSY ? rc : outcome(c, rc);
    n = dtls_rec_out_space(c, &pt);
    if (n == 0) {
        rc = dtls_rec_flush(c);
        if (rc < 0)
            return outcome(c, rc);
        n = dtls_rec_out_space(c, &pt);
        if (n == 0)
            return (c->flags & F_MONO) ? DTLS_E_BUSY : dtls_tls_fail(c, DTLS_E_BUFFER);
    }
    if (n > len)
        n = len;
    memcpy(pt, buf, n);
    dtls_rec_seal(c, CT_APPDATA, n);
    rc = dtls_rec_flush(c);
    if (rc < 0 && rc != DTLS_WANT_WRITE && rc != DTLS_WANT_READ)
        return outcome(c, rc);
    return (long)n;
}

int dtls_flush(struct dtls_client *c)
{
    int rc;
    if (c->error)
        return report(c);
    rc = dtls_rec_flush(c);
    return rc < 0 ? outcome(c, rc) : DTLS_OK;
}

size_t dtls_pending(const struct dtls_client *c)
{
    return c->app_end - c->app_off;
}

int dtls_close(struct dtls_client *c)
{
    int rc;
    if (c->error)
        return report(c);
    if (!c->io_write)
        return DTLS_E_CONFIG;
    if (!(c->flags & F_CLOSED)) {
        c->flags |= F_CLOSED;
        c->alert_out = 0x100 | AL_CLOSE_NOTIFY;
    }
    rc = dtls_rec_send_alert(c);
    if (rc < 0)
        return outcome(c, rc);
    if (c->state == ST_CONNECTED && !c->alert_out) {
        /* nothing more will be written: the write keys can go */
        dtls_wipe(&c->wr, sizeof c->wr);
        dtls_wipe(c->c_ap, sizeof c->c_ap);
    }
    return DTLS_OK;
}

int dtls_key_update(struct dtls_client *c, int request_peer)
{
    int rc;
    if (c->error)
        return report(c);
    if (c->state != ST_CONNECTED || (c->flags & F_CLOSED))
        return DTLS_E_CONFIG;
    rc = dtls_rec_flush(c);
    if (rc < 0)
        return outcome(c, rc); /* nothing queued yet: call again */
    rc = dtls_hs_send_key_update(c, request_peer);
    if (rc < 0)
        return rc == DTLS_E_BUSY ? rc : outcome(c, rc);
    /* queued and the keys switched: from here on this is dtls_flush()'s job */
    rc = dtls_rec_flush(c);
    return rc == DTLS_WANT_WRITE || rc == DTLS_WANT_READ ? DTLS_OK : outcome(c, rc);
}

long dtls_io_read(void *ctx, uint8_t *buf, size_t len)
{
    return dtls_read((struct dtls_client *)ctx, buf, len);
}

long dtls_io_write(void *ctx, const uint8_t *buf, size_t len)
{
    return dtls_write((struct dtls_client *)ctx, buf, len);
}

void dtls_get_info(const struct dtls_client *c, struct dtls_info *info)
{
    memset(info, 0, sizeof *info);
    info->version = c->state == ST_CONNECTED ? DTLS_TLS13 : 0;
    info->cipher_suite = c->suite;
    info->group = c->group;
    info->signature_scheme = c->sig_scheme;
    info->alpn = c->alpn_index ? c->cfg->alpn[c->alpn_index - 1] : NULL;
    info->hello_retry = (c->flags & F_HRR) != 0;
    info->resumed = (c->flags & F_PSK) != 0;
    if (c->flags & F_MFL)
        info->max_fragment = 256u << c->mfl_code;
    else if (c->flags & F_RSL)
        info->max_fragment = c->cfg->max_fragment;
    info->peer_record_limit = c->send_limit;
    info->chain_length = c->chain_len;
    info->client_auth = (c->flags & F_CR) != 0;
    info->client_cert_sent = (c->flags & F_CERT_SENT) != 0;
}

int dtls_last_alert(const struct dtls_client *c, int direction)
{
    return direction == DTLS_ALERT_RECEIVED ? c->alert_recv : c->alert_sent;
}
