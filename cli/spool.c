/* spool: durable on-disk FIFO (see spool.h for the on-disk invariants). */
#include "spool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define SEQ_DIGITS 20
#define MSG_SUFFIX ".msg"
#define TMP_PREFIX ".tmp."
#define NAME_MAX_LEN (sizeof TMP_PREFIX + SEQ_DIGITS + sizeof MSG_SUFFIX)

struct spool {
    pthread_mutex_t mu;
    int dirfd;
    int lockfd;
    uint64_t next_seq;
    /* Pending sequence numbers, ascending: seq[base .. n). spool_next hands out
     * seq[cursor], base <= cursor <= n. Done entries are nearly always the oldest, so
     * removing at base is O(1); others shift the tail. */
    uint64_t *seq;
    size_t base, cursor, n, cap;
    char err[256];
};

static void set_err(char *buf, size_t len, const char *fmt, ...)
{
    if (!buf || !len)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, len, fmt, ap);
    va_end(ap);
}

static void msg_name(char out[NAME_MAX_LEN], uint64_t seq)
{
    snprintf(out, NAME_MAX_LEN, "%0*" PRIu64 MSG_SUFFIX, SEQ_DIGITS, seq);
}

static void tmp_name(char out[NAME_MAX_LEN], uint64_t seq)
{
    snprintf(out, NAME_MAX_LEN, TMP_PREFIX "%0*" PRIu64, SEQ_DIGITS, seq);
}

/* 1 and *seq when name is exactly 20 digits + ".msg". */
static int parse_msg_name(const char *name, uint64_t *seq)
{
    if (strlen(name) != SEQ_DIGITS + strlen(MSG_SUFFIX) || strcmp(name + SEQ_DIGITS, MSG_SUFFIX) != 0)
        return 0;
    uint64_t v = 0;
    for (int i = 0; i < SEQ_DIGITS; i++) {
        if (name[i] < '0' || name[i] > '9')
            return 0;
        unsigned d = (unsigned)(name[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return 0;
        v = v * 10 + d;
    }
    *seq = v;
    return 1;
}

/* mkdir -p with mode 0700 for what is created. */
static int make_dirs(const char *dir)
{
    char path[4096];
    size_t len = strlen(dir);
    if (len == 0 || len >= sizeof path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(path, dir, len + 1);
    for (size_t i = 1; i <= len; i++) {
        if (path[i] != '/' && path[i] != 0)
            continue;
        char c = path[i];
        path[i] = 0;
        if (mkdir(path, 0700) != 0 && errno != EEXIST)
            return -1;
        path[i] = c;
    }
    return 0;
}

static int write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len) {
        ssize_t w = write(fd, p, len);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

static int fsync_retry(int fd)
{
    int rc;
    while ((rc = fsync(fd)) != 0 && errno == EINTR)
        ;
    return rc;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static int push_seq(struct spool *sp, uint64_t s)
{
    if (sp->n == sp->cap) {
        if (sp->base > sp->cap / 2) { /* reclaim the done prefix before growing */
            memmove(sp->seq, sp->seq + sp->base, (sp->n - sp->base) * sizeof *sp->seq);
            sp->n -= sp->base;
            sp->cursor -= sp->base;
            sp->base = 0;
        } else {
            size_t cap = sp->cap ? sp->cap * 2 : 256;
            uint64_t *p = realloc(sp->seq, cap * sizeof *p);
            if (!p)
                return SPOOL_E_NOMEM;
            sp->seq = p;
            sp->cap = cap;
        }
    }
    sp->seq[sp->n++] = s;
    return SPOOL_OK;
}

/* Delete leftovers of interrupted puts and list the pending messages. */
static int recover(struct spool *sp, char *err, size_t errlen)
{
    int fd = dup(sp->dirfd);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        if (fd >= 0)
            close(fd);
        set_err(err, errlen, "cannot list the spool directory: %s", strerror(errno));
        return SPOOL_E_IO;
    }
    int removed = 0, rc = SPOOL_OK;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        uint64_t s;
        if (strncmp(e->d_name, TMP_PREFIX, strlen(TMP_PREFIX)) == 0) {
            /* Never renamed, so never reported as spooled: safe to drop. */
            if (unlinkat(sp->dirfd, e->d_name, 0) == 0)
                removed = 1;
        } else if (parse_msg_name(e->d_name, &s)) {
            if ((rc = push_seq(sp, s)) != SPOOL_OK) {
                set_err(err, errlen, "out of memory listing the spool");
                break;
            }
        }
    }
    closedir(d);
    if (rc != SPOOL_OK)
        return rc;
    if (removed && fsync_retry(sp->dirfd) != 0) {
        set_err(err, errlen, "cannot sync the spool directory: %s", strerror(errno));
        return SPOOL_E_IO;
    }
    if (sp->n)
        qsort(sp->seq, sp->n, sizeof *sp->seq, cmp_u64);
    sp->next_seq = sp->n ? sp->seq[sp->n - 1] + 1 : 1;
    return SPOOL_OK;
}

int spool_open(const char *dir, struct spool **out, char *err, size_t errlen)
{
    *out = NULL;
    if (make_dirs(dir) != 0) {
        set_err(err, errlen, "cannot create spool directory %s: %s", dir, strerror(errno));
        return SPOOL_E_CREATE;
    }
    struct spool *sp = calloc(1, sizeof *sp);
    if (!sp) {
        set_err(err, errlen, "out of memory");
        return SPOOL_E_NOMEM;
    }
    pthread_mutex_init(&sp->mu, NULL);
    sp->lockfd = -1;
    sp->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (sp->dirfd < 0) {
        set_err(err, errlen, "cannot open spool directory %s: %s", dir, strerror(errno));
        free(sp);
        return SPOOL_E_CREATE;
    }
    /* O_CLOEXEC everywhere: an --on-command child must not inherit (and keep) the lock. */
    sp->lockfd = openat(sp->dirfd, ".lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (sp->lockfd < 0) {
        set_err(err, errlen, "cannot create %s/.lock: %s", dir, strerror(errno));
        spool_close(sp);
        return SPOOL_E_CREATE;
    }
    if (flock(sp->lockfd, LOCK_EX | LOCK_NB) != 0) {
        int locked = errno == EWOULDBLOCK;
        set_err(err, errlen, locked ? "spool directory %s is in use by another dtls-send (%s/.lock is locked)"
                                    : "cannot lock %s/.lock: %s",
                dir, locked ? dir : strerror(errno));
        spool_close(sp);
        return locked ? SPOOL_E_LOCKED : SPOOL_E_CREATE;
    }
    int rc = recover(sp, err, errlen);
    if (rc != SPOOL_OK) {
        spool_close(sp);
        return rc;
    }
    *out = sp;
    return SPOOL_OK;
}

/* Insert s keeping seq[] ascending. With one putting thread (spool.h) s is always the
 * largest, so this appends. */
static int insert_seq(struct spool *sp, uint64_t s)
{
    int rc = push_seq(sp, s);
    if (rc != SPOOL_OK)
        return rc;
    size_t i = sp->n - 1;
    while (i > sp->base && sp->seq[i - 1] > s) {
        sp->seq[i] = sp->seq[i - 1];
        i--;
    }
    sp->seq[i] = s;
    return SPOOL_OK;
}

/* The file I/O runs outside the mutex so that a publisher thread can take and finish
 * messages while the reader thread is waiting for fsync. A message joins the pending
 * list only after the directory fsync: spool_next never hands out what is not durable. */
int spool_put(struct spool *sp, const void *data, size_t len, uint64_t *id)
{
    pthread_mutex_lock(&sp->mu);
    uint64_t s = sp->next_seq++;
    pthread_mutex_unlock(&sp->mu);

    char tmp[NAME_MAX_LEN], name[NAME_MAX_LEN], err[sizeof sp->err];
    tmp_name(tmp, s);
    msg_name(name, s);
    int rc = SPOOL_E_IO, renamed = 0;
    int fd = openat(sp->dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        set_err(err, sizeof err, "cannot create spool file: %s", strerror(errno));
    } else if (write_all(fd, data, len) != 0 || fsync_retry(fd) != 0) {
        set_err(err, sizeof err, "cannot write spool file: %s", strerror(errno));
        close(fd);
        unlinkat(sp->dirfd, tmp, 0);
    } else if (close(fd), renameat(sp->dirfd, tmp, sp->dirfd, name) != 0) {
        set_err(err, sizeof err, "cannot rename spool file: %s", strerror(errno));
        unlinkat(sp->dirfd, tmp, 0);
    } else {
        /* From here the message exists and the next open will find it, so it is
         * listed even if the directory sync fails. */
        renamed = 1;
        if (fsync_retry(sp->dirfd) != 0)
            set_err(err, sizeof err, "cannot sync the spool directory: %s", strerror(errno));
        else
            rc = SPOOL_OK;
    }
    pthread_mutex_lock(&sp->mu);
    if (renamed && insert_seq(sp, s) != SPOOL_OK) {
        set_err(err, sizeof err, "out of memory");
        rc = SPOOL_E_NOMEM;
    }
    if (rc != SPOOL_OK)
        memcpy(sp->err, err, sizeof err);
    pthread_mutex_unlock(&sp->mu);
    if (rc == SPOOL_OK)
        *id = s;
    return rc;
}

static int read_file(int dirfd, const char *name, char **data, size_t *len)
{
    int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        close(fd);
        return -1;
    }
    size_t size = (size_t)st.st_size, got = 0;
    char *buf = malloc(size + 1);
    if (!buf) {
        close(fd);
        errno = ENOMEM;
        return -1;
    }
    while (got < size) {
        ssize_t r = read(fd, buf + got, size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            if (r == 0)
                errno = EIO; /* shrank under us: not ours to trust */
            free(buf);
            close(fd);
            return -1;
        }
        got += (size_t)r;
    }
    close(fd);
    buf[size] = 0;
    *data = buf;
    *len = size;
    return 0;
}

/* Index of id in the pending list, or sp->n when it is not pending. */
static size_t find_seq(const struct spool *sp, uint64_t id)
{
    size_t lo = sp->base, hi = sp->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (sp->seq[mid] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < sp->n && sp->seq[lo] == id ? lo : sp->n;
}

/* Remove seq[i] from the pending list. */
static void drop_index(struct spool *sp, size_t i)
{
    if (i == sp->base) {
        sp->base++;
        if (sp->cursor < sp->base)
            sp->cursor = sp->base;
    } else {
        memmove(sp->seq + i, sp->seq + i + 1, (sp->n - i - 1) * sizeof *sp->seq);
        sp->n--;
        if (sp->cursor > i)
            sp->cursor--;
    }
    if (sp->base == sp->n)
        sp->base = sp->cursor = sp->n = 0;
}

int spool_next(struct spool *sp, uint64_t *id, char **data, size_t *len)
{
    for (;;) {
        pthread_mutex_lock(&sp->mu);
        if (sp->cursor >= sp->n) {
            pthread_mutex_unlock(&sp->mu);
            return 0;
        }
        uint64_t s = sp->seq[sp->cursor++];
        pthread_mutex_unlock(&sp->mu);

        char name[NAME_MAX_LEN];
        msg_name(name, s);
        if (read_file(sp->dirfd, name, data, len) == 0) {
            *id = s;
            return 1;
        }
        int e = errno;
        pthread_mutex_lock(&sp->mu);
        if (e == ENOENT) { /* removed behind our back: nothing left to send */
            size_t i = find_seq(sp, s);
            if (i < sp->n)
                drop_index(sp, i);
            pthread_mutex_unlock(&sp->mu);
            continue;
        }
        set_err(sp->err, sizeof sp->err, "cannot read spool file %s: %s", name, strerror(e));
        pthread_mutex_unlock(&sp->mu);
        return e == ENOMEM ? SPOOL_E_NOMEM : SPOOL_E_IO;
    }
}

void spool_rewind(struct spool *sp)
{
    pthread_mutex_lock(&sp->mu);
    sp->cursor = sp->base;
    pthread_mutex_unlock(&sp->mu);
}

int spool_done(struct spool *sp, uint64_t id)
{
    pthread_mutex_lock(&sp->mu);
    size_t i = find_seq(sp, id);
    if (i == sp->n) {
        pthread_mutex_unlock(&sp->mu);
        return SPOOL_E_NOENT;
    }
    drop_index(sp, i);
    pthread_mutex_unlock(&sp->mu);

    char name[NAME_MAX_LEN], err[sizeof sp->err];
    msg_name(name, id);
    int rc = SPOOL_OK;
    /* If the unlink or the sync fails the file may come back on the next start and be
     * sent again: a duplicate, never a loss. Syncing keeps "done" as durable as "put". */
    if (unlinkat(sp->dirfd, name, 0) != 0 && errno != ENOENT) {
        set_err(err, sizeof err, "cannot remove spool file %s: %s", name, strerror(errno));
        rc = SPOOL_E_IO;
    } else if (fsync_retry(sp->dirfd) != 0) {
        set_err(err, sizeof err, "cannot sync the spool directory: %s", strerror(errno));
        rc = SPOOL_E_IO;
    }
    if (rc != SPOOL_OK) {
        pthread_mutex_lock(&sp->mu);
        memcpy(sp->err, err, sizeof err);
        pthread_mutex_unlock(&sp->mu);
    }
    return rc;
}

size_t spool_count(struct spool *sp)
{
    pthread_mutex_lock(&sp->mu);
    size_t n = sp->n - sp->base;
    pthread_mutex_unlock(&sp->mu);
    return n;
}

const char *spool_last_error(struct spool *sp)
{
    return sp->err;
}

void spool_close(struct spool *sp)
{
    if (!sp)
        return;
    if (sp->lockfd >= 0)
        close(sp->lockfd); /* releases the flock */
    if (sp->dirfd >= 0)
        close(sp->dirfd);
    free(sp->seq);
    pthread_mutex_destroy(&sp->mu);
    free(sp);
}
