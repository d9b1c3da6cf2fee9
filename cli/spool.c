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

#define ID_DIGITS 20
#define MSG_SUFFIX ".msg"
#define DONE_SUFFIX ".done"
#define TMP_PREFIX ".tmp."
#define NAME_LEN (sizeof TMP_PREFIX + ID_DIGITS + sizeof DONE_SUFFIX)

/* One batch file: messages first .. first + count - 1. */
struct batch {
    uint64_t first;
    uint32_t count;
    uint32_t ndone;     /* messages done */
    uint32_t prefix;    /* the first `prefix` messages are done: what <first>.done holds */
    uint8_t *done;      /* one bit per message; NULL while none is done */
};

struct spool {
    pthread_mutex_t mu;
    int dirfd, lockfd;
    uint64_t next_id;
    /* Batches with messages not done, ascending: b[base .. n). Batches finish nearly
     * always oldest first, so removing at base is O(1); others shift the tail. */
    struct batch *b;
    size_t base, n, cap;
    size_t pending;     /* messages not done */
    /* spool_next's position: message cur_m of batch cur_b */
    size_t cur_b;
    uint32_t cur_m;
    /* the batch spool_next reads, cached: its bytes and where each line starts */
    uint64_t cache_first;
    char *cache;
    size_t *cache_off;  /* cache_count + 1 entries: line i is cache[off[i] .. off[i+1] - 1) */
    uint32_t cache_count;
    /* the .done file last written */
    int done_fd;
    uint64_t done_first;
    char err[256];
};

static void set_err(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void set_err(char *buf, size_t len, const char *fmt, ...)
{
    if (!buf || !len)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, len, fmt, ap);
    va_end(ap);
}

static void file_name(char out[NAME_LEN], const char *prefix, uint64_t id, const char *suffix)
{
    snprintf(out, NAME_LEN, "%s%0*" PRIu64 "%s", prefix, ID_DIGITS, id, suffix);
}

/* 1 and *v when s starts with 20 digits that make a valid uint64. */
static int parse_digits(const char *s, uint64_t *out)
{
    uint64_t v = 0;
    for (int i = 0; i < ID_DIGITS; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return 0;
        v = v * 10 + d;
    }
    *out = v;
    return 1;
}

/* 1 and *id when s is exactly 20 digits followed by suffix. */
static int parse_id(const char *s, const char *suffix, uint64_t *id)
{
    return strlen(s) == ID_DIGITS + strlen(suffix) && strcmp(s + ID_DIGITS, suffix) == 0 && parse_digits(s, id);
}

/* mkdir -p; what is created gets mode 0700. */
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

/* Read the whole file (NUL-terminated). 0, or -1 with errno. */
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
                errno = EIO; /* shrank under us: not to be trusted */
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

/* Number of complete lines in p[0..len); with off, also where each starts (count + 1
 * entries). Bytes after the last '\n' cannot come from a put (the rename made the file
 * whole) and are ignored. */
static uint32_t split_lines(const char *p, size_t len, size_t *off)
{
    uint32_t n = 0;
    size_t start = 0;
    const char *nl;
    while (start < len && (nl = memchr(p + start, '\n', len - start)) != NULL) {
        if (off)
            off[n] = start;
        n++;
        start = (size_t)(nl - p) + 1;
    }
    if (off)
        off[n] = start;
    return n;
}

static int bit(const struct batch *b, uint32_t i)
{
    return b->done && (b->done[i / 8] >> (i % 8)) & 1;
}

/* ------------------------------------------------------------------ the batch list */

static int push_batch(struct spool *sp, uint64_t first, uint32_t count)
{
    if (sp->n == sp->cap) {
        if (sp->base > sp->cap / 2) { /* reclaim the finished prefix before growing */
            memmove(sp->b, sp->b + sp->base, (sp->n - sp->base) * sizeof *sp->b);
            sp->n -= sp->base;
            sp->cur_b = sp->cur_b >= sp->base ? sp->cur_b - sp->base : 0;
            sp->base = 0;
        } else {
            size_t cap = sp->cap ? sp->cap * 2 : 64;
            struct batch *p = realloc(sp->b, cap * sizeof *p);
            if (!p)
                return SPOOL_E_NOMEM;
            sp->b = p;
            sp->cap = cap;
        }
    }
    sp->b[sp->n++] = (struct batch){ first, count, 0, 0, NULL };
    sp->pending += count;
    return SPOOL_OK;
}

static void drop_cache(struct spool *sp)
{
    free(sp->cache);
    free(sp->cache_off);
    sp->cache = NULL;
    sp->cache_off = NULL;
    sp->cache_count = 0;
}

/* Remove b[i] (finished or gone) from the list. */
static void drop_batch(struct spool *sp, size_t i)
{
    struct batch *bt = &sp->b[i];
    sp->pending -= bt->count - bt->ndone;
    if (sp->cache && sp->cache_first == bt->first)
        drop_cache(sp);
    free(bt->done);
    if (i == sp->base) {
        sp->base++;
        if (sp->cur_b <= i) {
            sp->cur_b = sp->base;
            sp->cur_m = 0;
        }
    } else {
        memmove(sp->b + i, sp->b + i + 1, (sp->n - i - 1) * sizeof *sp->b);
        sp->n--;
        if (sp->cur_b > i)
            sp->cur_b--;
        else if (sp->cur_b == i)
            sp->cur_m = 0;
    }
    if (sp->base == sp->n)
        sp->base = sp->n = sp->cur_b = sp->cur_m = 0;
}

/* Index of the batch holding id, or sp->n. */
static size_t find_batch(const struct spool *sp, uint64_t id)
{
    size_t lo = sp->base, hi = sp->n; /* the last batch with first <= id */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (sp->b[mid].first <= id)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == sp->base)
        return sp->n;
    const struct batch *bt = &sp->b[lo - 1];
    return id - bt->first < bt->count ? lo - 1 : sp->n;
}

/* Mark message m of bt done. 0, or -1 without memory. */
static int set_done(struct batch *bt, uint32_t m)
{
    if (!bt->done && !(bt->done = calloc((size_t)bt->count / 8 + 1, 1)))
        return -1;
    bt->done[m / 8] |= (uint8_t)(1u << (m % 8));
    bt->ndone++;
    return 0;
}

static int cmp_batch(const void *a, const void *b)
{
    uint64_t x = ((const struct batch *)a)->first, y = ((const struct batch *)b)->first;
    return x < y ? -1 : x > y;
}

/* ------------------------------------------------------------------ open */

/* Delete leftovers of interrupted puts, list the batches, apply their .done counts. */
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
    uint64_t *dones = NULL;
    size_t n_dones = 0, cap_dones = 0;
    int removed = 0, rc = SPOOL_OK;
    struct dirent *e;
    while (rc == SPOOL_OK && (e = readdir(d)) != NULL) {
        uint64_t id;
        if (strncmp(e->d_name, TMP_PREFIX, strlen(TMP_PREFIX)) == 0) {
            /* Never renamed, so never reported as spooled: safe to drop. */
            if (unlinkat(sp->dirfd, e->d_name, 0) == 0)
                removed = 1;
        } else if (parse_id(e->d_name, MSG_SUFFIX, &id)) {
            char *data;
            size_t len;
            if (read_file(sp->dirfd, e->d_name, &data, &len) != 0) {
                set_err(err, errlen, "cannot read spool file %s: %s", e->d_name, strerror(errno));
                rc = SPOOL_E_IO;
                break;
            }
            uint32_t count = split_lines(data, len, NULL);
            free(data);
            if (count == 0) { /* nothing in it: nothing to send */
                if (unlinkat(sp->dirfd, e->d_name, 0) == 0)
                    removed = 1;
            } else if (push_batch(sp, id, count) != SPOOL_OK) {
                rc = SPOOL_E_NOMEM;
            }
        } else if (parse_id(e->d_name, DONE_SUFFIX, &id)) {
            if (n_dones == cap_dones) {
                size_t cap = cap_dones ? cap_dones * 2 : 16;
                uint64_t *p = realloc(dones, cap * sizeof *p);
                if (!p) {
                    rc = SPOOL_E_NOMEM;
                    break;
                }
                dones = p;
                cap_dones = cap;
            }
            dones[n_dones++] = id;
        }
    }
    closedir(d);
    if (rc == SPOOL_E_NOMEM)
        set_err(err, errlen, "out of memory listing the spool");
    if (rc == SPOOL_OK && sp->n)
        qsort(sp->b, sp->n, sizeof *sp->b, cmp_batch);

    /* Apply each <first>.done; delete those whose batch is gone (finished before a
     * crash could remove them): a later batch may get the same first id. */
    for (size_t k = 0; rc == SPOOL_OK && k < n_dones; k++) {
        char name[NAME_LEN];
        file_name(name, "", dones[k], DONE_SUFFIX);
        size_t i = find_batch(sp, dones[k]);
        if (i == sp->n || sp->b[i].first != dones[k]) {
            if (unlinkat(sp->dirfd, name, 0) == 0)
                removed = 1;
            continue;
        }
        char *data;
        size_t len;
        uint64_t v;
        struct batch *bt = &sp->b[i];
        if (read_file(sp->dirfd, name, &data, &len) != 0)
            continue; /* no progress known: its messages are sent again */
        int ok = len == ID_DIGITS + 1 && data[ID_DIGITS] == '\n' && parse_digits(data, &v) && v <= bt->count;
        free(data);
        if (!ok)
            continue; /* not what we write (a power loss?): duplicates at worst */
        for (uint32_t m = 0; m < (uint32_t)v; m++)
            if (set_done(bt, m) != 0) {
                set_err(err, errlen, "out of memory listing the spool");
                rc = SPOOL_E_NOMEM;
                break;
            }
        bt->prefix = (uint32_t)v;
        sp->pending -= (size_t)v;
        if (bt->ndone == bt->count) { /* finished; only the unlink was missing */
            char msg[NAME_LEN];
            file_name(msg, "", bt->first, MSG_SUFFIX);
            unlinkat(sp->dirfd, msg, 0);
            unlinkat(sp->dirfd, name, 0);
            drop_batch(sp, i);
            removed = 1;
        }
    }
    free(dones);
    if (rc != SPOOL_OK)
        return rc;
    if (removed && fsync_retry(sp->dirfd) != 0) {
        set_err(err, errlen, "cannot sync the spool directory: %s", strerror(errno));
        return SPOOL_E_IO;
    }
    sp->next_id = 1;
    for (size_t i = sp->base; i < sp->n; i++)
        if (sp->b[i].first + sp->b[i].count > sp->next_id)
            sp->next_id = sp->b[i].first + sp->b[i].count;
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
    sp->lockfd = sp->done_fd = -1;
    sp->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (sp->dirfd < 0) {
        set_err(err, errlen, "cannot open spool directory %s: %s", dir, strerror(errno));
        spool_close(sp);
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
        if (locked)
            set_err(err, errlen, "spool directory %s is in use by another dtls-send (%s/.lock is locked)", dir, dir);
        else
            set_err(err, errlen, "cannot lock %s/.lock: %s", dir, strerror(errno));
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

/* ------------------------------------------------------------------ put */

int spool_put_batch(struct spool *sp, const struct spool_msg *msgs, size_t n, uint64_t *first_id)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        if (memchr(msgs[i].data, '\n', msgs[i].len)) {
            pthread_mutex_lock(&sp->mu);
            set_err(sp->err, sizeof sp->err, "a spooled message cannot contain a newline");
            pthread_mutex_unlock(&sp->mu);
            return SPOOL_E_INVAL;
        }
        total += msgs[i].len + 1;
    }
    if (n == 0 || n > UINT32_MAX)
        return SPOOL_E_INVAL;
    char *buf = malloc(total);
    if (!buf)
        return SPOOL_E_NOMEM;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        memcpy(buf + o, msgs[i].data, msgs[i].len);
        o += msgs[i].len;
        buf[o++] = '\n';
    }

    pthread_mutex_lock(&sp->mu);
    uint64_t first = sp->next_id;
    sp->next_id += n;
    pthread_mutex_unlock(&sp->mu);

    /* The slow part, outside the mutex. The batch joins the list only after the
     * directory fsync: spool_next never hands out what is not durable. */
    char tmp[NAME_LEN], name[NAME_LEN], err[sizeof sp->err];
    file_name(tmp, TMP_PREFIX, first, "");
    file_name(name, "", first, MSG_SUFFIX);
    int rc = SPOOL_E_IO, renamed = 0;
    int fd = openat(sp->dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        set_err(err, sizeof err, "cannot create spool file: %s", strerror(errno));
    } else if (write_all(fd, buf, total) != 0 || fsync_retry(fd) != 0) {
        set_err(err, sizeof err, "cannot write spool file: %s", strerror(errno));
        close(fd);
        unlinkat(sp->dirfd, tmp, 0);
    } else if (close(fd), renameat(sp->dirfd, tmp, sp->dirfd, name) != 0) {
        set_err(err, sizeof err, "cannot rename spool file: %s", strerror(errno));
        unlinkat(sp->dirfd, tmp, 0);
    } else {
        /* From here the batch exists and the next open will find it, so it is listed
         * even if the directory sync fails. */
        renamed = 1;
        if (fsync_retry(sp->dirfd) != 0)
            set_err(err, sizeof err, "cannot sync the spool directory: %s", strerror(errno));
        else
            rc = SPOOL_OK;
    }
    free(buf);
    pthread_mutex_lock(&sp->mu);
    /* With one putting thread, first is above every listed batch: this appends. */
    if (renamed && push_batch(sp, first, (uint32_t)n) != SPOOL_OK) {
        set_err(err, sizeof err, "out of memory");
        rc = SPOOL_E_NOMEM;
    }
    if (rc != SPOOL_OK)
        memcpy(sp->err, err, sizeof err);
    pthread_mutex_unlock(&sp->mu);
    if (rc == SPOOL_OK)
        *first_id = first;
    return rc;
}

int spool_put(struct spool *sp, const void *data, size_t len, uint64_t *id)
{
    struct spool_msg m = { data, len };
    return spool_put_batch(sp, &m, 1, id);
}

/* ------------------------------------------------------------------ take */

/* Load batch bt into the cache (under the mutex). 0; -1 with errno (ENOENT: gone). */
static int load_cache(struct spool *sp, const struct batch *bt)
{
    if (sp->cache && sp->cache_first == bt->first)
        return 0;
    drop_cache(sp);
    char name[NAME_LEN];
    file_name(name, "", bt->first, MSG_SUFFIX);
    char *data;
    size_t len;
    if (read_file(sp->dirfd, name, &data, &len) != 0)
        return -1;
    uint32_t count = split_lines(data, len, NULL);
    size_t *off = malloc(((size_t)count + 1) * sizeof *off);
    if (!off) {
        free(data);
        errno = ENOMEM;
        return -1;
    }
    split_lines(data, len, off);
    if (count != bt->count) { /* changed behind our back */
        free(data);
        free(off);
        errno = EIO;
        return -1;
    }
    sp->cache = data;
    sp->cache_off = off;
    sp->cache_count = count;
    sp->cache_first = bt->first;
    return 0;
}

int spool_next(struct spool *sp, uint64_t *id, char **data, size_t *len)
{
    pthread_mutex_lock(&sp->mu);
    int rc = 0;
    for (;;) {
        if (sp->cur_b < sp->base) {
            sp->cur_b = sp->base;
            sp->cur_m = 0;
        }
        if (sp->cur_b >= sp->n)
            break;
        struct batch *bt = &sp->b[sp->cur_b];
        if (sp->cur_m >= bt->count) {
            sp->cur_b++;
            sp->cur_m = 0;
            continue;
        }
        if (bit(bt, sp->cur_m)) {
            sp->cur_m++;
            continue;
        }
        if (load_cache(sp, bt) != 0) {
            char name[NAME_LEN];
            file_name(name, "", bt->first, MSG_SUFFIX);
            if (errno == ENOENT) { /* removed behind our back: nothing left to send */
                drop_batch(sp, sp->cur_b);
                continue;
            }
            set_err(sp->err, sizeof sp->err, "cannot read spool file %s: %s", name, strerror(errno));
            rc = errno == ENOMEM ? SPOOL_E_NOMEM : SPOOL_E_IO;
            break;
        }
        size_t a = sp->cache_off[sp->cur_m], z = sp->cache_off[sp->cur_m + 1] - 1;
        char *p = malloc(z - a + 1);
        if (!p) {
            set_err(sp->err, sizeof sp->err, "out of memory");
            rc = SPOOL_E_NOMEM;
            break;
        }
        memcpy(p, sp->cache + a, z - a);
        p[z - a] = 0;
        *data = p;
        *len = z - a;
        *id = bt->first + sp->cur_m;
        sp->cur_m++;
        rc = 1;
        break;
    }
    pthread_mutex_unlock(&sp->mu);
    return rc;
}

void spool_rewind(struct spool *sp)
{
    pthread_mutex_lock(&sp->mu);
    sp->cur_b = sp->base;
    sp->cur_m = 0;
    pthread_mutex_unlock(&sp->mu);
}

/* Record that the first `prefix` messages of batch `first` are done: rewritten in place,
 * not synced (spool.h). A failure only means those may be sent again after a crash. */
static void write_progress(struct spool *sp, uint64_t first, uint32_t prefix)
{
    if (sp->done_fd >= 0 && sp->done_first != first) {
        close(sp->done_fd);
        sp->done_fd = -1;
    }
    if (sp->done_fd < 0) {
        char name[NAME_LEN];
        file_name(name, "", first, DONE_SUFFIX);
        sp->done_fd = openat(sp->dirfd, name, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        sp->done_first = first;
        if (sp->done_fd < 0)
            return;
    }
    char v[ID_DIGITS + 2];
    snprintf(v, sizeof v, "%0*" PRIu32 "\n", ID_DIGITS, prefix);
    ssize_t w = pwrite(sp->done_fd, v, ID_DIGITS + 1, 0);
    (void)w;
}

int spool_done(struct spool *sp, uint64_t id)
{
    pthread_mutex_lock(&sp->mu);
    size_t i = find_batch(sp, id);
    struct batch *bt = i < sp->n ? &sp->b[i] : NULL;
    uint32_t m = bt ? (uint32_t)(id - bt->first) : 0;
    if (!bt || bit(bt, m)) {
        pthread_mutex_unlock(&sp->mu);
        return SPOOL_E_NOENT;
    }
    if (set_done(bt, m) != 0) {
        set_err(sp->err, sizeof sp->err, "out of memory");
        pthread_mutex_unlock(&sp->mu);
        return SPOOL_E_NOMEM;
    }
    sp->pending--;
    if (bt->ndone < bt->count) {
        uint32_t old = bt->prefix;
        while (bt->prefix < bt->count && bit(bt, bt->prefix))
            bt->prefix++;
        if (bt->prefix != old)
            write_progress(sp, bt->first, bt->prefix);
        pthread_mutex_unlock(&sp->mu);
        return SPOOL_OK;
    }

    /* The whole batch is done: remove its file, then its progress. */
    uint64_t first = bt->first;
    drop_batch(sp, i);
    int had_progress = sp->done_fd >= 0 && sp->done_first == first;
    if (had_progress) {
        close(sp->done_fd);
        sp->done_fd = -1;
    }
    pthread_mutex_unlock(&sp->mu);

    char name[NAME_LEN], err[sizeof sp->err];
    file_name(name, "", first, MSG_SUFFIX);
    int rc = SPOOL_OK;
    /* If the unlink or the sync fails the file may come back on the next start and be
     * sent again: a duplicate, never a loss. */
    if (unlinkat(sp->dirfd, name, 0) != 0 && errno != ENOENT) {
        set_err(err, sizeof err, "cannot remove spool file %s: %s", name, strerror(errno));
        rc = SPOOL_E_IO;
    } else if (fsync_retry(sp->dirfd) != 0) {
        set_err(err, sizeof err, "cannot sync the spool directory: %s", strerror(errno));
        rc = SPOOL_E_IO;
    }
    file_name(name, "", first, DONE_SUFFIX);
    unlinkat(sp->dirfd, name, 0); /* after the batch: a lone .done is deleted on open */
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
    size_t n = sp->pending;
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
    if (sp->done_fd >= 0)
        close(sp->done_fd);
    if (sp->lockfd >= 0)
        close(sp->lockfd); /* releases the flock */
    if (sp->dirfd >= 0)
        close(sp->dirfd);
    for (size_t i = sp->base; i < sp->n; i++)
        free(sp->b[i].done);
    free(sp->b);
    drop_cache(sp);
    pthread_mutex_destroy(&sp->mu);
    free(sp);
}
