#include "vectors.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef TOP_SRCDIR
#define TOP_SRCDIR "."
#endif

static char dir_buf[4096];
static char missing_buf[4400];

const char *vec_dir(void)
{
    const char *env = getenv("DTLS_VECTORS");
    const char *cands[3] = { env, TOP_SRCDIR "/../shared/vectors", "../shared/vectors" };
    struct stat st;
    for (int i = 0; i < 3; i++) {
        if (cands[i] && *cands[i] && stat(cands[i], &st) == 0 && S_ISDIR(st.st_mode)) {
            snprintf(dir_buf, sizeof dir_buf, "%s", cands[i]);
            return dir_buf;
        }
    }
    return NULL;
}

const char *vec_missing_msg(void)
{
    snprintf(missing_buf, sizeof missing_buf,
             "test vectors not found (looked in $DTLS_VECTORS and %s/../shared/vectors); skipped",
             TOP_SRCDIR);
    return missing_buf;
}

FILE *vec_open(const char *rel)
{
    const char *d = vec_dir();
    if (!d)
        return NULL;
    char path[8192];
    snprintf(path, sizeof path, "%s/%s", d, rel);
    return fopen(path, "rb");
}

cJSON *vec_json(const char *rel)
{
    FILE *f = vec_open(rel);
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    if (!s || fread(s, 1, (size_t)n, f) != (size_t)n) {
        fclose(f);
        free(s);
        return NULL;
    }
    s[n] = 0;
    fclose(f);
    cJSON *j = cJSON_Parse(s);
    free(s);
    return j;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

uint8_t *vec_hex(const char *hex, size_t *len)
{
    size_t n = strlen(hex);
    if (n % 2) {
        fprintf(stderr, "vec_hex: odd-length hex string\n");
        abort();
    }
    uint8_t *out = malloc(n / 2 + 1);
    if (!out)
        abort();
    for (size_t i = 0; i < n / 2; i++) {
        int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            fprintf(stderr, "vec_hex: bad hex digit\n");
            abort();
        }
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    *len = n / 2;
    return out;
}

size_t vec_hex_into(const char *hex, uint8_t *out, size_t cap)
{
    size_t n;
    uint8_t *b = vec_hex(hex, &n);
    if (n > cap) {
        fprintf(stderr, "vec_hex_into: %zu bytes do not fit in %zu\n", n, cap);
        abort();
    }
    memcpy(out, b, n);
    free(b);
    return n;
}

int vec_has_flag(const cJSON *test, const char *flag)
{
    const cJSON *flags = cJSON_GetObjectItemCaseSensitive(test, "flags");
    const cJSON *f;
    cJSON_ArrayForEach(f, flags) {
        if (cJSON_IsString(f) && strcmp(f->valuestring, flag) == 0)
            return 1;
    }
    return 0;
}

const char *vec_str(const cJSON *obj, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    if (!cJSON_IsString(v)) {
        fprintf(stderr, "vec_str: missing string member '%s'\n", name);
        abort();
    }
    return v->valuestring;
}

void vec_report(const char *what, unsigned ran, unsigned skipped)
{
    fprintf(stderr, "%s: %u vectors run, %u skipped\n", what, ran, skipped);
}

uint32_t test_rand_u32(uint64_t *s)
{
    /* xorshift64* */
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return (uint32_t)((x * 0x2545F4914F6CDD1DULL) >> 32);
}

void test_rand_bytes(uint64_t *s, uint8_t *out, size_t len)
{
    for (size_t i = 0; i < len; i++)
        out[i] = (uint8_t)test_rand_u32(s);
}

/* ---- the gen-pki PKI of the X.509 tests ------------------------------------------ */

static char pki_tmp[256];

void test_pki_setup(void)
{
    const char *d = getenv("DTLS_PKI_DIR");
    char p[4096];
    if (d && *d) {
        snprintf(p, sizeof p, "%s/cases.txt", d);
        if (access(p, R_OK) == 0)
            return;
    }
    snprintf(pki_tmp, sizeof pki_tmp, "/tmp/dtls-pki-XXXXXX");
    if (!mkdtemp(pki_tmp)) {
        pki_tmp[0] = 0;
        return;
    }
    snprintf(p, sizeof p, "'%s/scripts/gen-pki' '%s' >/dev/null", TOP_SRCDIR, pki_tmp);
    if (system(p) != 0) {
        fprintf(stderr, "scripts/gen-pki failed\n");
        return;
    }
    setenv("DTLS_PKI_DIR", pki_tmp, 1);
}

void test_pki_cleanup(void)
{
    if (pki_tmp[0]) {
        char cmd[512];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", pki_tmp);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", pki_tmp);
    }
}

char *test_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    cr_assert(f, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    cr_assert(s && fread(s, 1, (size_t)n, f) == (size_t)n);
    fclose(f);
    s[n] = 0;
    *len = (size_t)n;
    return s;
}
