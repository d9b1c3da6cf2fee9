/*
 * The config file: a JSON object of option defaults (long names as keys) and
 * optional named profiles. The parsed file is kept for the whole run: the
 * options it sets point at its strings.
 */
#include "config.h"
#include "exitcodes.h"
#include "message.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *password;
/* The parsed file stays for the whole run: the options point at its strings. */
static cJSON *kept;

const char *config_password(void)
{
    return password;
}

enum kind { K_STR, K_NUM, K_INT, K_FLAG, K_COUNT, K_LIST, K_SECRET };

struct key {
    const char *name;
    enum kind kind;
    size_t off;         /* offset in struct options */
};

#define F(m) offsetof(struct options, m)
/* The options that make sense as defaults. Per-message and per-run options (-d, --stream,
 * --config itself, probe/verify arguments) are left to the command line. */
static const struct key keys[] = {
    { "dialect", K_STR, F(dialect) },
    { "user", K_STR, F(user) },
    { "password", K_SECRET, 0 },
    { "password-file", K_STR, F(password_file) },
    { "header", K_LIST, F(headers) },
    { "content-type", K_STR, F(content_type) },
    { "wait", K_NUM, F(wait) },
    { "on-command", K_STR, F(on_command) },
    { "poll-interval", K_NUM, F(poll_interval) },
    { "spool", K_STR, F(spool) },
    { "cacert", K_STR, F(cacert) },
    { "cert", K_STR, F(cert) },
    { "key", K_STR, F(key) },
    { "insecure", K_FLAG, F(insecure) },
    { "servername", K_STR, F(servername) },
    { "connect-to", K_STR, F(connect_to) },
    { "alpn", K_STR, F(alpn) },
    { "ciphers", K_STR, F(ciphers) },
    { "groups", K_STR, F(groups) },
    { "max-fragment", K_INT, F(max_fragment) },
    { "keylog", K_STR, F(keylog) },
    { "pinnedpubkey", K_STR, F(pinnedpubkey) },
    { "engine", K_STR, F(engine) },
    { "retry", K_INT, F(retry) },
    { "connect-timeout", K_NUM, F(connect_timeout) },
    { "max-time", K_NUM, F(max_time) },
    { "verbose", K_COUNT, F(verbose) },
    { "silent", K_FLAG, F(silent) },
    { "json", K_FLAG, F(json) },
};
#define N_KEYS (sizeof keys / sizeof keys[0])

static const struct key *find_key(const char *name)
{
    for (size_t i = 0; i < N_KEYS; i++)
        if (strcmp(keys[i].name, name) == 0)
            return &keys[i];
    return NULL;
}

static int bad(const char *path, const char *msg, const char *key)
{
    fprintf(stderr, "dtls-send: config %s: %s%s%s\n", path, msg, key ? " " : "", key ? key : "");
    return EXIT_USAGE;
}

/* Was the option given on the command line (i.e. does it differ from its default)? */
static int is_set(const struct options *o, const struct key *k)
{
    const char *p = (const char *)o + k->off;
    switch (k->kind) {
    case K_STR: return *(const char *const *)(const void *)p != NULL;
    case K_NUM: {
        double v = *(const double *)(const void *)p;
        /* wait and poll-interval default to -1, the timeouts to 0 */
        return (k->off == F(wait) || k->off == F(poll_interval)) ? v >= 0 : v > 0;
    }
    case K_INT:
        if (k->off == F(max_fragment))
            return *(const unsigned *)(const void *)p != 0;
        return *(const int *)(const void *)p != 0;
    case K_FLAG:
    case K_COUNT: return *(const int *)(const void *)p != 0;
    default: return 0;
    }
}

/* Does the object hold a secret (a password, or a user with a password part)? */
static int holds_secret(const cJSON *obj)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, obj)
    {
        if (!it->string)
            continue;
        if (strcmp(it->string, "password") == 0)
            return 1;
        if (strcmp(it->string, "user") == 0 && cJSON_IsString(it) && strchr(it->valuestring, ':'))
            return 1;
        if (strcmp(it->string, "profiles") == 0 && cJSON_IsObject(it)) {
            const cJSON *p;
            cJSON_ArrayForEach(p, it)
            {
                if (cJSON_IsObject(p) && holds_secret(p))
                    return 1;
            }
        }
    }
    return 0;
}

/* Apply one value (not already set on the command line). */
static int apply_one(struct options *o, const struct key *k, const cJSON *v, const char *path)
{
    char *p = (char *)o + k->off;
    switch (k->kind) {
    case K_SECRET:
        if (!cJSON_IsString(v))
            return bad(path, "must be a string:", k->name);
        if (!password)
            password = v->valuestring;
        return -1;
    case K_LIST: {
        const cJSON *it;
        if (cJSON_IsString(v)) {
            if (o->n_headers == MAX_HEADERS)
                return bad(path, "too many headers in", k->name);
            o->headers[o->n_headers++] = v->valuestring;
            return -1;
        }
        if (!cJSON_IsArray(v))
            return bad(path, "must be a string or an array of strings:", k->name);
        cJSON_ArrayForEach(it, v)
        {
            if (!cJSON_IsString(it))
                return bad(path, "must be a string or an array of strings:", k->name);
            if (o->n_headers == MAX_HEADERS)
                return bad(path, "too many headers in", k->name);
            o->headers[o->n_headers++] = it->valuestring;
        }
        return -1;
    }
    default: break;
    }
    switch (k->kind) {
    case K_STR:
        if (!cJSON_IsString(v))
            return bad(path, "must be a string:", k->name);
        *(const char **)(void *)p = v->valuestring;
        return -1;
    case K_NUM:
        if (!cJSON_IsNumber(v) || v->valuedouble < 0)
            return bad(path, "must be a number of seconds >= 0:", k->name);
        *(double *)(void *)p = v->valuedouble;
        return -1;
    case K_INT: {
        if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 100000 ||
            v->valuedouble != (double)(int)v->valuedouble)
            return bad(path, "must be a whole number:", k->name);
        int n = (int)v->valuedouble;
        if (k->off == F(max_fragment)) {
            if (n != 512 && n != 1024 && n != 2048 && n != 4096)
                return bad(path, "must be 512, 1024, 2048 or 4096:", k->name);
            *(unsigned *)(void *)p = (unsigned)n;
        } else {
            *(int *)(void *)p = n;
        }
        return -1;
    }
    case K_FLAG:
        if (!cJSON_IsBool(v))
            return bad(path, "must be true or false:", k->name);
        *(int *)(void *)p = cJSON_IsTrue(v);
        return -1;
    case K_COUNT:
        if (cJSON_IsBool(v))
            *(int *)(void *)p = cJSON_IsTrue(v);
        else if (cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble <= 10)
            *(int *)(void *)p = (int)v->valuedouble;
        else
            return bad(path, "must be true, false or a small number:", k->name);
        return -1;
    default: return -1;
    }
}

static int check_keys(const cJSON *obj, const char *path, int top)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, obj)
    {
        if (top && (strcmp(it->string, "profiles") == 0 || strcmp(it->string, "profile") == 0))
            continue;
        if (!find_key(it->string)) {
            fprintf(stderr, "dtls-send: config %s: '%s' is not an option that can be set in a config file\n", path,
                    it->string);
            return EXIT_USAGE;
        }
    }
    return -1;
}

/* taken[i]: keys[i] was given on the command line or already set by the profile */
static int apply_obj(struct options *o, const cJSON *obj, const char *path, unsigned char *taken)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, obj)
    {
        const struct key *k = find_key(it->string);
        if (!k)
            continue;
        size_t i = (size_t)(k - keys);
        if (taken[i] && k->kind != K_LIST)
            continue;
        taken[i] = 1;
        int rc = apply_one(o, k, it, path);
        if (rc >= 0)
            return rc;
    }
    return -1;
}

int config_apply(struct options *o)
{
    char def[4096];
    const char *path = o->config;
    int explicit_file = path != NULL;
    if (!path) {
        const char *xdg = getenv("XDG_CONFIG_HOME");
        const char *home = getenv("HOME");
        if (xdg && *xdg)
            snprintf(def, sizeof def, "%s/dtls-send/config.json", xdg);
        else if (home && *home)
            snprintf(def, sizeof def, "%s/.config/dtls-send/config.json", home);
        else
            def[0] = 0;
        path = def;
    }
    int fd = path[0] ? open(path, O_RDONLY | O_CLOEXEC) : -1;
    if (fd < 0) {
        if (explicit_file) {
            fprintf(stderr, "dtls-send: cannot read config %s: %s\n", path, strerror(errno));
            return EXIT_READ_INPUT;
        }
        if (o->profile) {
            fprintf(stderr, "dtls-send: --profile %s: there is no config file (%s)\n", o->profile,
                    path[0] ? path : "$XDG_CONFIG_HOME and $HOME are unset");
            return EXIT_USAGE;
        }
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        fprintf(stderr, "dtls-send: config %s is not a regular file\n", path);
        return EXIT_USAGE;
    }
    char fdpath[32];
    snprintf(fdpath, sizeof fdpath, "/dev/fd/%d", fd);
    size_t len;
    uint8_t *text = slurp(fdpath, &len);
    int e = errno;
    close(fd);
    if (!text) {
        fprintf(stderr, "dtls-send: cannot read config %s: %s\n", path, strerror(e));
        return EXIT_READ_INPUT;
    }
    size_t line, col;
    const char *why;
    if (json_check(text, len, &line, &col, &why) != 0) {
        fprintf(stderr, "dtls-send: config %s: invalid JSON at line %zu, column %zu: %s\n", path, line, col, why);
        free(text);
        return EXIT_USAGE;
    }
    cJSON *root = cJSON_ParseWithLength((const char *)text, len);
    free(text);
    int rc = -1;
    if (!cJSON_IsObject(root)) {
        rc = bad(path, "must be a JSON object of option defaults", NULL);
        goto done;
    }
    if (holds_secret(root) && (st.st_mode & 077)) {
        fprintf(stderr,
                "dtls-send: config %s holds a password but other users can read it (mode %04o); "
                "refusing to use it: chmod 600 %s\n",
                path, (unsigned)(st.st_mode & 07777), path);
        rc = EXIT_USAGE;
        goto done;
    }
    if ((rc = check_keys(root, path, 1)) >= 0)
        goto done;
    const cJSON *profiles = cJSON_GetObjectItemCaseSensitive(root, "profiles");
    if (profiles && !cJSON_IsObject(profiles)) {
        rc = bad(path, "\"profiles\" must be an object of named profiles", NULL);
        goto done;
    }
    unsigned char taken[N_KEYS];
    for (size_t i = 0; i < N_KEYS; i++)
        taken[i] = (unsigned char)is_set(o, &keys[i]); /* the command line wins */
    const char *want = o->profile;
    const cJSON *dp = cJSON_GetObjectItemCaseSensitive(root, "profile");
    if (!want && dp) {
        if (!cJSON_IsString(dp)) {
            rc = bad(path, "\"profile\" must name a profile", NULL);
            goto done;
        }
        want = dp->valuestring;
    }
    if (want) {
        const cJSON *p = profiles ? cJSON_GetObjectItemCaseSensitive(profiles, want) : NULL;
        if (!cJSON_IsObject(p)) {
            fprintf(stderr, "dtls-send: config %s has no profile '%s'\n", path, want);
            rc = EXIT_USAGE;
            goto done;
        }
        if ((rc = check_keys(p, path, 0)) >= 0)
            goto done;
        /* the profile first: what it sets wins over the file's top level */
        if ((rc = apply_obj(o, p, path, taken)) >= 0)
            goto done;
    }
    if ((rc = apply_obj(o, root, path, taken)) >= 0)
        goto done;
    if (o->silent && o->verbose)
        o->verbose = 0;
    if (o->verbose)
        fprintf(stderr, "* config %s%s%s applied\n", path, want ? ", profile " : "", want ? want : "");
    kept = root;
    return -1;
done:
    cJSON_Delete(root);
    return rc;
}
