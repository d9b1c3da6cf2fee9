/*
 * libFuzzer target: dtls-send's config file (cli/config.c): the strict JSON
 * check, option defaults by long name, profiles, the "command line wins"
 * rule and the refusal of a readable file that holds a password.
 *
 * fuzz-build: cli/message.c -Icli -lcjson
 *
 * config.c is compiled into this file (not linked) so the harness can free
 * what config_apply keeps for the life of a real process (the parsed file,
 * which the options point into) between inputs.
 *
 * Input: byte 0 bits 0-1 profile (none, "lab", "prod", the name in byte 1..
 * up to a NUL), bit 2 file readable by others (0644, else 0600), bit 3 some
 * options already set on the "command line" (dialect, retry, a header);
 * then the file's bytes.
 * Asserted beyond memory safety: the result is -1 (go on) or an exit code
 * (2 usage, 26 read input); with 0644 and a "password" key the file is
 * refused; options set on the command line keep their values.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../cli/config.c"

static char path[64];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct options o;
    char profile[64];
    size_t off = 1;
    int fd, rc, saved, null;
    mode_t mode;

    if (size < 1)
        return 0;
    if (!path[0]) /* a file per process, in memory when possible, removed after each input */
        snprintf(path, sizeof path, "%s/fuzz_config.%d.json", access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp",
                 (int)getpid());
    memset(&o, 0, sizeof o);
    o.wait = -1;
    o.poll_interval = -1;
    o.config = path;
    switch (data[0] & 3) {
    case 1: o.profile = "lab"; break;
    case 2: o.profile = "prod"; break;
    case 3: {
        size_t n = 0;
        while (off < size && n + 1 < sizeof profile && data[off])
            profile[n++] = (char)data[off++];
        profile[n] = 0;
        off += off < size;
        o.profile = profile;
        break;
    }
    default: break;
    }
    if (data[0] & 8) {
        o.dialect = "plain";
        o.retry = 3;
        o.headers[0] = "X-From: command-line";
        o.n_headers = 1;
    }
    mode = (data[0] & 4) ? 0644 : 0600;
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || fchmod(fd, mode) != 0 || write(fd, data + off, size - off) != (ssize_t)(size - off))
        abort();
    close(fd);

    /* config_apply explains refusals on stderr: not at this rate */
    fflush(stderr);
    saved = dup(2);
    null = open("/dev/null", O_WRONLY | O_CLOEXEC);
    dup2(null, 2);
    rc = config_apply(&o);
    unlink(path);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    close(null);

    if (rc != -1 && rc != EXIT_USAGE && rc != EXIT_READ_INPUT)
        abort();
    if (rc == -1) {
        if ((data[0] & 4) && password)
            abort(); /* a readable file with a password must be refused */
        if ((data[0] & 8) && (strcmp(o.dialect, "plain") != 0 || o.retry != 3 || o.n_headers < 1 ||
                              strcmp(o.headers[0], "X-From: command-line") != 0))
            abort(); /* the command line wins */
    }
    cJSON_Delete(kept);
    kept = NULL;
    password = NULL;
    return 0;
}
