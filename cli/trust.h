/*
 * dtls-send's certificate side: trust anchors (--cacert or the system bundle),
 * the client identity (--cert/--key), public-key pinning, and describing the
 * server's certificate for reports.
 */
#ifndef DTLS_SEND_TRUST_H
#define DTLS_SEND_TRUST_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "conn.h"

int trust_load(struct conn_settings *s, const struct options *o, struct conn_error *err);
/* --pinnedpubkey only (trust_load does it too): with -k the pin is still checked, as curl does. */
int trust_load_pins(struct conn_settings *s, const struct options *o, struct conn_error *err);
void trust_free(struct conn_settings *s);
int client_identity_load(struct conn_settings *s, const struct options *o, struct conn_error *err);
/* After a handshake: --pinnedpubkey against the leaf the server sent. 0 or fills err. */
int trust_check_pin(const struct conn_settings *s, struct conn_error *err);
/* subject, issuer, not_before, not_after, san[] of a DER certificate into obj (nothing when len is 0). */
void cert_describe(const uint8_t *der, size_t len, cJSON *obj);
/* Read a whole file (NUL-terminated); NULL with errno set on failure. */
char *read_file(const char *path, size_t *len);
/* The first of the usual system CA bundle paths that exists, or NULL. */
const char *system_ca_bundle(void);
/* Seconds since the epoch as "YYYY-MM-DDTHH:MM:SSZ". */
void format_time(int64_t t, char out[32]);

#endif
