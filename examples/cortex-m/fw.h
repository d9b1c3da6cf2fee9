/*
 * Pieces of the example firmware shared between its files. The build
 * (Makefile) generates fw_config.h with the make variables:
 *   FW_HOST "localhost"     server name: SNI and the name checked in its certificate
 *   FW_URL "https://localhost/telemetry"   the URL the reading is POSTed to
 *   FW_PROFILE_MINIMAL / FW_PROFILE_DEFAULT / FW_PROFILE_FULL, FW_PROFILE_NAME
 *   FW_GROUP             DTLS_GROUP_X25519 or DTLS_GROUP_SECP256R1 (key share sent)
 *   FW_MAX_FRAGMENT      0 (none), 512, 1024, 2048, 4096
 *   FW_CLIENT_AUTH       1 when a client certificate and key were compiled in
 *   FW_SHARED_BUFFER     1: one buffer for both directions (make BUFFERS=shared)
 * and the C files for the trust anchors (fw_anchors) and, with client
 * authentication, the client chain (fw_client_chain) and key.
 */
#ifndef FW_FW_H
#define FW_FW_H

#include "fw_config.h" /* first: it sets DTLS_CERT_ROOM for <dtls/dtls.h> */

#include <dtls/dtls.h>

extern const struct dtls_x509_anchors fw_anchors;

/* rng_test.c: TEST-ONLY seedable DRBG (see the warning there). */
int test_rng_seed(const char *hex, size_t len);
int test_rng(void *ctx, uint8_t *out, size_t len);

/* profile.c: what the profile configures beyond the defaults. */
void profile_configure(struct dtls_config *cfg);

#endif
