/*
 * Test-vector helpers shared by the unit tests.
 *
 * Vectors live in ../shared/vectors beside the checkout (or $DTLS_VECTORS).
 * A test that needs them does:
 *
 *   cJSON *j = vec_json("wycheproof/x25519_test.json");
 *   if (!j) cr_skip_test("%s", vec_missing_msg());   // says clearly why it skipped
 *   ... vec_hex(cJSON_GetObjectItem(t, "public")->valuestring, &len) ...
 *   vec_report("x25519 wycheproof", ran, skipped);      // prints how many vectors ran
 */
#ifndef DTLS_TEST_VECTORS_H
#define DTLS_TEST_VECTORS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cjson/cJSON.h>

/* Directory of the vectors, or NULL when absent. */
const char *vec_dir(void);
/* "test vectors not found (looked in ...); skipped" */
const char *vec_missing_msg(void);
/* Parse vectors/<rel> as JSON; NULL when the folder or file is absent. Caller cJSON_Delete()s. */
cJSON *vec_json(const char *rel);
/* Open vectors/<rel> for reading (e.g. NIST .rsp); NULL when absent. */
FILE *vec_open(const char *rel);
/* Decode hex into a fresh malloc'd buffer (never NULL; at least 1 byte allocated); *len gets the length.
 * Aborts the test on malformed hex. */
uint8_t *vec_hex(const char *hex, size_t *len);
/* Decode into a fixed buffer; returns the length or aborts when it does not fit. */
size_t vec_hex_into(const char *hex, uint8_t *out, size_t cap);
/* 1 if the Wycheproof test object has the given flag. */
int vec_has_flag(const cJSON *test, const char *flag);
/* Convenience: string member (aborts when missing). */
const char *vec_str(const cJSON *obj, const char *name);
/* Print "<what>: N vectors run, M skipped" to stderr so the count shows in the log. */
void vec_report(const char *what, unsigned ran, unsigned skipped);

/* The throw-away PKI of scripts/gen-pki for the X.509 tests. test_pki_setup() (call it
 * from a ReportHook(PRE_ALL)) keeps $DTLS_PKI_DIR when it holds a PKI (make check makes
 * one per run), else generates one into a temporary directory and points
 * $DTLS_PKI_DIR at it; test_pki_cleanup() (ReportHook(POST_ALL)) removes what it made. */
void test_pki_setup(void);
void test_pki_cleanup(void);
/* A whole file, NUL-terminated, in a fresh malloc'd buffer; aborts the test when it
 * cannot be read. */
char *test_read_file(const char *path, size_t *len);

/* Deterministic pseudo-random bytes for differential tests (xorshift; not for keys in production). */
void test_rand_bytes(uint64_t *state, uint8_t *out, size_t len);
uint32_t test_rand_u32(uint64_t *state);

#endif
