/*
 * Extension bookkeeping: which extension may appear in which message (the
 * table of RFC 8446 4.2 plus record_size_limit from RFC 8449), what we offered,
 * and the checks every received extension block goes through:
 *
 *   - well formed (each entry's length inside the block), else decode_error;
 *   - no type twice in one block (4.2), else illegal_parameter;
 *   - a known extension in a message it is not defined for, illegal_parameter;
 *   - in a response (ServerHello, HelloRetryRequest, EncryptedExtensions,
 *     Certificate), anything we did not offer, unsupported_extension -- except a
 *     cookie in a HelloRetryRequest.
 *
 * CertificateRequest and NewSessionTicket are not responses: unknown
 * extensions there are skipped, as the RFC requires.
 */
#include "tls/tls.h"

static const struct {
    uint16_t type;
    uint8_t in;
} ext_table[] = {
    { EXT_SERVER_NAME, IN_CH | IN_EE },
    { EXT_MAX_FRAGMENT_LENGTH, IN_CH | IN_EE },
    { EXT_STATUS_REQUEST, IN_CH | IN_CR | IN_CT },
    { EXT_SUPPORTED_GROUPS, IN_CH | IN_EE },
    { EXT_SIGNATURE_ALGORITHMS, IN_CH | IN_CR },
    { EXT_USE_SRTP, IN_CH | IN_EE },
    { EXT_HEARTBEAT, IN_CH | IN_EE },
    { EXT_ALPN, IN_CH | IN_EE },
    { EXT_SCT, IN_CH | IN_CR | IN_CT },
    { EXT_CLIENT_CERT_TYPE, IN_CH | IN_EE },
    { EXT_SERVER_CERT_TYPE, IN_CH | IN_EE },
    { EXT_PADDING, IN_CH },
    { EXT_RECORD_SIZE_LIMIT, IN_CH | IN_EE },
    { EXT_PRE_SHARED_KEY, IN_CH | IN_SH },
    { EXT_EARLY_DATA, IN_CH | IN_EE | IN_NST },
    { EXT_SUPPORTED_VERSIONS, IN_CH | IN_SH | IN_HRR },
    { EXT_COOKIE, IN_CH | IN_HRR },
    { EXT_PSK_KEY_EXCHANGE_MODES, IN_CH },
    { EXT_CERTIFICATE_AUTHORITIES, IN_CH | IN_CR },
    { EXT_OID_FILTERS, IN_CR },
    { EXT_POST_HANDSHAKE_AUTH, IN_CH },
    { EXT_SIGNATURE_ALGORITHMS_CERT, IN_CH | IN_CR },
    { EXT_KEY_SHARE, IN_CH | IN_SH | IN_HRR },
};

int dtls_ext_bit(uint16_t type)
{
    for (size_t i = 0; i < sizeof ext_table / sizeof ext_table[0]; i++)
        if (ext_table[i].type == type)
            return (int)i;
    return -1;
}

unsigned dtls_ext_allowed(uint16_t type)
{
    int b = dtls_ext_bit(type);
    return b < 0 ? 0u : ext_table[b].in;
}

int dtls_ext_check_block(struct dtls_client *c, const uint8_t *b, size_t len, unsigned in)
{
    struct tls_rd r, body;
    uint16_t type, prev = 0;
    const unsigned responses = IN_SH | IN_HRR | IN_EE | IN_CT;

    rd_init(&r, b, len);
    while (rd_left(&r)) {
        size_t at = r.off;
        struct tls_rd scan;
        int bit;
        unsigned allowed;
        DECODE(rd_u16(&r, &type));
        DECODE(rd_vec(&r, 2, 0, 0xffff, &body));
        /* earlier entries of this block were already checked to be well formed */
        rd_init(&scan, b, at);
        while (rd_left(&scan)) {
            (void)rd_u16(&scan, &prev);
            (void)rd_vec(&scan, 2, 0, 0xffff, &body);
            REQUIRE(prev != type, DTLS_E_ILLEGAL_PARAMETER);
        }
        bit = dtls_ext_bit(type);
        allowed = dtls_ext_allowed(type);
        REQUIRE(!allowed || (allowed & in), DTLS_E_ILLEGAL_PARAMETER);
        if (in & responses) {
            int offered = bit >= 0 && (c->sent_ext & (1u << bit));
            REQUIRE(offered || (in == IN_HRR && type == EXT_COOKIE), DTLS_E_UNSUPPORTED_EXTENSION);
        }
    }
    return DTLS_OK;
}

int dtls_ext_find(const uint8_t *b, size_t len, uint16_t type, struct tls_rd *body)
{
    struct tls_rd r;
    uint16_t t;
    rd_init(&r, b, len);
    while (rd_left(&r)) {
        if (rd_u16(&r, &t) != 0 || rd_vec(&r, 2, 0, 0xffff, body) != 0)
            return -1;
        if (t == type)
            return 0;
    }
    return -1;
}
