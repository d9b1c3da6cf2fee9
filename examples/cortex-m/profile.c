/*
 * The three footprint profiles. A profile is a choice of algorithms (the
 * crypto provider table and the suites/groups offered) plus the features the
 * application turns on; with -ffunction-sections and --gc-sections the link
 * keeps only what a profile names.
 *
 *   minimal  TLS_AES_128_GCM_SHA256, one key-exchange group (make GROUP=),
 *            ECDSA P-256 signatures, full chain validation; X.509 limits
 *            lowered (no out-of-order CA slots, Ed25519-signed certificates
 *            only right under an anchor); the library built without the
 *            built-in table, resumption, client authentication, key log,
 *            error sentences and RSA (the DTLS_CONFIG_* switches in the
 *            Makefile's PROFILE_DEFS, docs/PORTING.md).
 *   default  the library as shipped: every suite, both groups, every signature
 *            algorithm (ECDSA P-256/P-384, RSA-PSS/PKCS#1 up to 4096 bits,
 *            Ed25519), default X.509 limits.
 *   full     default plus ALPN, session tickets kept for resumption, and
 *            client authentication with an ECDSA P-256 key behind a signing
 *            callback (make CLIENT_CERT= CLIENT_KEY=).
 */
#include <string.h>

#include <dtls/crypto_algs.h>

#include "fw.h"

#ifdef FW_PROFILE_MINIMAL
/*
 * The firmware's own provider table: only the algorithms listed here are
 * linked. The library is built with -DDTLS_CONFIG_NO_BUILTIN_CRYPTO (see
 * PROFILE_DEFS in the Makefile), so nothing in it refers to
 * dtls_crypto_builtin, the table of every algorithm, and cfg.crypto is
 * required.
 */
static const struct dtls_crypto fw_crypto = {
    .sha256 = &dtls_hash_sha256,
    .aes128gcm = &dtls_aead_aes128gcm,
#if FW_GROUP == DTLS_GROUP_X25519
    .x25519 = dtls_x25519,
    .x25519_base = dtls_x25519_base,
#else
    .p256_pubkey = dtls_p256_pubkey,
    .p256_ecdh = dtls_p256_ecdh,
#endif
    .p256_verify = dtls_p256_ecdsa_verify,
};

static const uint16_t suites[] = { DTLS_TLS_AES_128_GCM_SHA256, 0 };
static const uint16_t groups[] = { FW_GROUP, 0 };

void profile_configure(struct dtls_config *cfg)
{
    cfg->crypto = &fw_crypto;
    cfg->suites = suites;
    cfg->groups = groups;
}

#else /* default and full */

static const uint16_t groups[] = {
    FW_GROUP, FW_GROUP == DTLS_GROUP_X25519 ? DTLS_GROUP_SECP256R1 : DTLS_GROUP_X25519, 0
};

#ifdef FW_PROFILE_FULL
static const char *const alpn[] = { "http/1.1", NULL };
unsigned fw_tickets;  /* NewSessionTickets received (reported in the result line) */

/* A device would write the ticket to its own storage for the next connection;
 * the example only counts them. (The ticket bytes are valid during the call.) */
static void session_store(void *ctx, const struct dtls_session *s)
{
    (void)ctx;
    (void)s;
    fw_tickets++;
}

#if FW_CLIENT_AUTH
extern const struct dtls_der fw_client_chain[];
extern const size_t fw_client_chain_len;
extern const uint8_t fw_client_key[32];
static const uint16_t client_schemes[] = { DTLS_SIG_ECDSA_SECP256R1_SHA256, 0 };

/*
 * The client key's signing operation, the secure-element seam: the engine
 * hands over the SHA-256 digest of what CertificateVerify signs and wants
 * r || s back. On a device this function sends the digest to the secure
 * element (ATECC608, SE050, a TPM ...) and the private key never enters the
 * MCU's memory. Here a software signer (RFC 6979) over a key compiled into
 * flash stands in for it: TEST ONLY.
 */
static int se_sign(void *ctx, uint16_t scheme, const uint8_t *msg, size_t len, uint8_t *sig,
                   size_t *sig_len)
{
    (void)ctx;
    if (scheme != DTLS_SIG_ECDSA_SECP256R1_SHA256 || len != 32 || *sig_len < 64)
        return -1;
    if (dtls_p256_ecdsa_sign(sig, fw_client_key, msg, len) != 0)
        return -1;
    *sig_len = 64;
    return 0;
}
#endif

void profile_configure(struct dtls_config *cfg)
{
    cfg->groups = groups;
    cfg->alpn = alpn;
    cfg->session_store = session_store;
#if FW_CLIENT_AUTH
    cfg->client_chain = fw_client_chain;
    cfg->client_chain_len = fw_client_chain_len;
    cfg->client_schemes = client_schemes;
    cfg->sign = se_sign;
#endif
}

#else

void profile_configure(struct dtls_config *cfg)
{
    cfg->groups = groups;
}

#endif
#endif
