/* cli/spool: the durable queue behind `dtls-send --stream --spool DIR`.
 * What is asserted is what a user of the spool sees: order, what survives a restart
 * or a SIGKILL at any point, what the lock refuses. */
#include <criterion/criterion.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "spool.h"

static char dir[256];

static void make_dir(void)
{
    snprintf(dir, sizeof dir, "%s/dtls-spool-test.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    cr_assert_not_null(mkdtemp(dir));
}

static void remove_dir(void)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            char p[512];
            snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
            unlink(p);
        }
    }
    closedir(d);
    rmdir(dir);
}

TestSuite(spool, .init = make_dir, .fini = remove_dir);

static struct spool *open_ok(void)
{
    struct spool *sp;
    char err[256] = "";
    int rc = spool_open(dir, &sp, err, sizeof err);
    cr_assert_eq(rc, SPOOL_OK, "spool_open: %d %s", rc, err);
    return sp;
}

static uint64_t put_str(struct spool *sp, const char *s)
{
    uint64_t id;
    cr_assert_eq(spool_put(sp, s, strlen(s), &id), SPOOL_OK);
    return id;
}

/* Files in dir whose name ends in .msg. */
static int count_msg_files(void)
{
    int n = 0;
    DIR *d = opendir(dir);
    cr_assert_not_null(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t l = strlen(e->d_name);
        n += l > 4 && strcmp(e->d_name + l - 4, ".msg") == 0;
    }
    closedir(d);
    return n;
}

static void expect_next(struct spool *sp, uint64_t want_id, const char *want)
{
    uint64_t id;
    char *data;
    size_t len;
    cr_assert_eq(spool_next(sp, &id, &data, &len), 1, "expected pending message '%s'", want);
    cr_assert_eq(id, want_id);
    cr_assert_eq(len, strlen(want));
    cr_assert_str_eq(data, want);
    free(data);
}

static void expect_empty(struct spool *sp)
{
    uint64_t id;
    char *data;
    size_t len;
    cr_assert_eq(spool_next(sp, &id, &data, &len), 0, "no more pending messages expected");
}

Test(spool, hands_out_messages_in_the_order_they_were_put)
{
    struct spool *sp = open_ok();
    uint64_t ids[100];
    char msg[64];
    for (int i = 0; i < 100; i++) {
        snprintf(msg, sizeof msg, "{\"n\":%d}", i);
        ids[i] = put_str(sp, msg);
        if (i)
            cr_assert_gt(ids[i], ids[i - 1], "sequence numbers must increase");
    }
    cr_assert_eq(spool_count(sp), 100);
    for (int i = 0; i < 100; i++) {
        snprintf(msg, sizeof msg, "{\"n\":%d}", i);
        expect_next(sp, ids[i], msg);
    }
    expect_empty(sp);
    cr_assert_eq(spool_count(sp), 100, "handing out is not done: all still pending");
    spool_close(sp);
}

Test(spool, keeps_binary_content_byte_for_byte)
{
    struct spool *sp = open_ok();
    unsigned char bin[3000];
    for (size_t i = 0; i < sizeof bin; i++) {
        bin[i] = (unsigned char)(i * 7 + 3);
        if (bin[i] == '\n')
            bin[i] = 0xff;
    }
    bin[10] = 0;
    bin[11] = '\r';
    uint64_t id, got;
    cr_assert_eq(spool_put(sp, bin, sizeof bin, &id), SPOOL_OK);
    spool_close(sp);
    sp = open_ok();
    char *data;
    size_t len;
    cr_assert_eq(spool_next(sp, &got, &data, &len), 1);
    cr_assert_eq(got, id);
    cr_assert_eq(len, sizeof bin);
    cr_assert_eq(memcmp(data, bin, len), 0);
    free(data);
    spool_close(sp);
}

Test(spool, refuses_a_message_with_a_newline)
{
    struct spool *sp = open_ok();
    uint64_t id;
    cr_assert_eq(spool_put(sp, "{\"a\":\n1}", 8, &id), SPOOL_E_INVAL, "messages are lines");
    cr_assert_eq(spool_count(sp), 0);
    cr_assert_eq(count_msg_files(), 0);
    spool_close(sp);
}

static int file_exists(const char *name)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return access(p, F_OK) == 0;
}

Test(spool, a_batch_is_one_file_with_consecutive_ids_and_keeps_its_progress)
{
    struct spool *sp = open_ok();
    struct spool_msg m[5] = { { "b0", 2 }, { "b1", 2 }, { "b2", 2 }, { "b3", 2 }, { "b4", 2 } };
    uint64_t first;
    cr_assert_eq(spool_put_batch(sp, m, 5, &first), SPOOL_OK);
    cr_assert_eq(count_msg_files(), 1, "one fsync'ed file per batch");
    cr_assert_eq(spool_count(sp), 5);
    expect_next(sp, first, "b0");
    expect_next(sp, first + 1, "b1");
    expect_next(sp, first + 2, "b2");
    for (int i = 0; i < 3; i++)
        cr_assert_eq(spool_done(sp, first + (uint64_t)i), SPOOL_OK);
    cr_assert_eq(spool_count(sp), 2);
    cr_assert_eq(count_msg_files(), 1, "the file stays until all of it is done");
    spool_close(sp); /* as after a crash: nothing more was written */

    sp = open_ok();
    cr_assert_eq(spool_count(sp), 2, "the three done are not sent again");
    expect_next(sp, first + 3, "b3");
    expect_next(sp, first + 4, "b4");
    expect_empty(sp);
    cr_assert_eq(spool_done(sp, first + 4), SPOOL_OK, "done out of order");
    cr_assert_eq(spool_done(sp, first + 3), SPOOL_OK);
    cr_assert_eq(spool_count(sp), 0);
    cr_assert_eq(count_msg_files(), 0);
    char done[64];
    snprintf(done, sizeof done, "%020llu.done", (unsigned long long)first);
    cr_assert(!file_exists(done), "no progress file is left behind");
    spool_close(sp);
}

Test(spool, a_stale_progress_file_never_hides_a_new_batch)
{
    /* A crash after a batch's file was removed and before its .done was: the next run
     * may number a new batch the same. */
    char p[512];
    snprintf(p, sizeof p, "%s/00000000000000000001.done", dir);
    FILE *f = fopen(p, "w");
    cr_assert_not_null(f);
    fputs("00000000000000000003\n", f);
    fclose(f);
    struct spool *sp = open_ok();
    struct spool_msg m[3] = { { "n0", 2 }, { "n1", 2 }, { "n2", 2 } };
    uint64_t first;
    cr_assert_eq(spool_put_batch(sp, m, 3, &first), SPOOL_OK);
    cr_assert_eq(first, 1, "numbering starts again in an empty spool");
    spool_close(sp);
    sp = open_ok();
    cr_assert_eq(spool_count(sp), 3, "all three are pending");
    expect_next(sp, 1, "n0");
    expect_next(sp, 2, "n1");
    expect_next(sp, 3, "n2");
    spool_close(sp);
}

Test(spool, done_removes_the_file_and_only_known_ids)
{
    struct spool *sp = open_ok();
    uint64_t a = put_str(sp, "a"), b = put_str(sp, "b"), c = put_str(sp, "c");
    cr_assert_eq(count_msg_files(), 3);
    cr_assert_eq(spool_done(sp, b), SPOOL_OK, "done out of order is allowed");
    cr_assert_eq(count_msg_files(), 2);
    cr_assert_eq(spool_count(sp), 2);
    cr_assert_eq(spool_done(sp, b), SPOOL_E_NOENT, "done twice");
    cr_assert_eq(spool_done(sp, 999999), SPOOL_E_NOENT);
    expect_next(sp, a, "a");
    expect_next(sp, c, "c");
    cr_assert_eq(spool_done(sp, a), SPOOL_OK);
    cr_assert_eq(spool_done(sp, c), SPOOL_OK);
    cr_assert_eq(count_msg_files(), 0);
    cr_assert_eq(spool_count(sp), 0);
    expect_empty(sp);
    spool_close(sp);
}

Test(spool, rewind_hands_out_what_is_not_done_again)
{
    struct spool *sp = open_ok();
    uint64_t a = put_str(sp, "a"), b = put_str(sp, "b");
    expect_next(sp, a, "a");
    expect_next(sp, b, "b");
    expect_empty(sp);
    cr_assert_eq(spool_done(sp, a), SPOOL_OK);
    spool_rewind(sp);
    expect_next(sp, b, "b");
    expect_empty(sp);
    spool_close(sp);
}

Test(spool, a_restart_finds_pending_messages_first_and_in_order)
{
    struct spool *sp = open_ok();
    uint64_t id[5];
    const char *m[5] = { "m0", "m1", "m2", "m3", "m4" };
    for (int i = 0; i < 5; i++)
        id[i] = put_str(sp, m[i]);
    expect_next(sp, id[0], "m0");
    cr_assert_eq(spool_done(sp, id[0]), SPOOL_OK);
    expect_next(sp, id[1], "m1"); /* handed out but never accepted: still pending */
    spool_close(sp);

    sp = open_ok();
    cr_assert_eq(spool_count(sp), 4);
    uint64_t fresh = put_str(sp, "after restart");
    cr_assert_gt(fresh, id[4], "the counter resumes past the highest pending message");
    for (int i = 1; i < 5; i++)
        expect_next(sp, id[i], m[i]);
    expect_next(sp, fresh, "after restart");
    expect_empty(sp);
    spool_close(sp);
}

Test(spool, leftover_temp_files_are_ignored_and_cleaned)
{
    struct spool *sp = open_ok();
    uint64_t a = put_str(sp, "kept");
    spool_close(sp);

    /* What a crash between create and rename leaves behind, plus a stranger's file. */
    char p[512];
    snprintf(p, sizeof p, "%s/.tmp.00000000000000000099", dir);
    FILE *f = fopen(p, "w");
    cr_assert_not_null(f);
    fputs("{\"half\":", f);
    fclose(f);
    char other[512];
    snprintf(other, sizeof other, "%s/README", dir);
    f = fopen(other, "w");
    cr_assert_not_null(f);
    fputs("not a message\n", f);
    fclose(f);

    sp = open_ok();
    cr_assert_eq(spool_count(sp), 1);
    expect_next(sp, a, "kept");
    expect_empty(sp);
    cr_assert_eq(access(p, F_OK), -1, "the temp file is removed on open");
    cr_assert_eq(access(other, F_OK), 0, "files that are not the spool's are left alone");
    uint64_t b = put_str(sp, "next");
    cr_assert_gt(b, a);
    spool_close(sp);
}

Test(spool, a_second_open_is_refused_while_locked)
{
    struct spool *sp = open_ok();
    struct spool *sp2 = (struct spool *)1;
    char err[256] = "";
    cr_assert_eq(spool_open(dir, &sp2, err, sizeof err), SPOOL_E_LOCKED);
    cr_assert_null(sp2);
    cr_assert(strstr(err, "in use") != NULL, "clear message, got: %s", err);

    /* Another process too. */
    pid_t pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) {
        struct spool *s;
        _exit(spool_open(dir, &s, NULL, 0) == SPOOL_E_LOCKED ? 0 : 1);
    }
    int st;
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "another process must be refused the lock");

    spool_close(sp);
    sp = open_ok(); /* released on close */
    spool_close(sp);
}

Test(spool, an_uncreatable_directory_is_a_clear_error)
{
    char file[512], sub[600];
    snprintf(file, sizeof file, "%s/plainfile", dir);
    FILE *f = fopen(file, "w");
    cr_assert_not_null(f);
    fclose(f);
    snprintf(sub, sizeof sub, "%s/spool", file);
    struct spool *sp;
    char err[256] = "";
    cr_assert_eq(spool_open(sub, &sp, err, sizeof err), SPOOL_E_CREATE);
    cr_assert(strstr(err, sub) != NULL, "the message names the directory: %s", err);
}

Test(spool, creates_missing_parents_private)
{
    char sub[600];
    snprintf(sub, sizeof sub, "%s/a", dir);
    char deep[700];
    snprintf(deep, sizeof deep, "%s/b", sub);
    struct spool *sp;
    char err[256] = "";
    cr_assert_eq(spool_open(deep, &sp, err, sizeof err), SPOOL_OK, "%s", err);
    struct stat st;
    cr_assert_eq(stat(deep, &st), 0);
    cr_assert_eq(st.st_mode & 077, 0, "spool directories are private (0700)");
    spool_close(sp);
    char p[800];
    snprintf(p, sizeof p, "%s/.lock", deep);
    unlink(p);
    rmdir(deep);
    rmdir(sub);
}

#include <pthread.h>

struct putter_arg {
    struct spool *sp;
    int n;
};

static void *putter(void *p)
{
    struct putter_arg *a = p;
    char msg[64];
    for (int i = 0; i < a->n; i++) {
        snprintf(msg, sizeof msg, "{\"n\":%d}", i);
        uint64_t id;
        if (spool_put(a->sp, msg, strlen(msg), &id) != SPOOL_OK)
            return (void *)1;
    }
    return NULL;
}

Test(spool, one_thread_puts_while_another_takes_and_finishes)
{
    struct spool *sp = open_ok();
    struct putter_arg a = { sp, 300 };
    pthread_t th;
    cr_assert_eq(pthread_create(&th, NULL, putter, &a), 0);
    int seen = 0;
    char want[64];
    while (seen < a.n) {
        uint64_t id;
        char *data;
        size_t len;
        int rc = spool_next(sp, &id, &data, &len);
        cr_assert_geq(rc, 0);
        if (rc == 0) {
            usleep(100);
            continue;
        }
        snprintf(want, sizeof want, "{\"n\":%d}", seen);
        cr_assert_str_eq(data, want, "taken in the order put");
        free(data);
        cr_assert_eq(spool_done(sp, id), SPOOL_OK);
        seen++;
    }
    void *ret;
    pthread_join(th, &ret);
    cr_assert_null(ret);
    expect_empty(sp);
    cr_assert_eq(spool_count(sp), 0);
    cr_assert_eq(count_msg_files(), 0);
    spool_close(sp);
}

/* ---------------------------------------------------------------- crash test
 * A child puts messages (and marks some done) in a loop and reports over a pipe; the
 * parent SIGKILLs it at a random moment, then opens the spool and checks:
 *   - every message reported as put (after spool_put returned) and not announced as
 *     being done is pending, with exactly its content;
 *   - every message reported as done (after spool_done returned) is gone;
 *   - every pending message is intact (it is one the child generated) and they come
 *     out in the order they were put.
 * The child's work spans many kill points: inside write, fsync, rename, unlink. */

struct report {
    char kind;    /* 'P' put returned, 'I' about to mark done, 'D' done returned */
    uint64_t id;  /* spool sequence number */
    uint64_t n;   /* message number (for 'P') */
};

/* Message n: a prefix naming n, then 1..6000 bytes derived from n. */
static size_t gen_msg(uint64_t n, char *buf, size_t cap)
{
    uint64_t x = n * 0x9E3779B97F4A7C15ull + 1;
    size_t len = (size_t)snprintf(buf, cap, "{\"n\":%llu,\"pad\":\"", (unsigned long long)n);
    size_t pad = 1 + (size_t)(x % 6000);
    for (size_t i = 0; i < pad && len < cap - 3; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        buf[len++] = (char)('a' + x % 26);
    }
    buf[len++] = '"';
    buf[len++] = '}';
    buf[len] = 0;
    return len;
}

static void child_loop(int wfd, uint64_t first_n, unsigned seed)
{
    struct spool *sp;
    if (spool_open(dir, &sp, NULL, 0) != SPOOL_OK)
        _exit(3);
    srand(seed);
    static char buf[16][8192];
    struct spool_msg m[16];
    for (uint64_t n = first_n;;) {
        /* A single message or a batch of up to 16. */
        size_t k = rand() % 2 ? 1 : 1 + (size_t)(rand() % 16);
        for (size_t i = 0; i < k; i++) {
            m[i].data = buf[i];
            m[i].len = gen_msg(n + i, buf[i], sizeof buf[i]);
        }
        uint64_t first;
        if (spool_put_batch(sp, m, k, &first) != SPOOL_OK)
            _exit(4);
        struct report r = { 'P', 0, 0 };
        for (size_t i = 0; i < k; i++) {
            r.id = first + i;
            r.n = n + i;
            if (write(wfd, &r, sizeof r) != sizeof r)
                _exit(5);
        }
        n += k;
        /* Keep the newest message pending: numbers of done messages may be reused
         * after a restart when nothing later is pending (spool.h), and this test
         * tracks messages by number across restarts. */
        int dones = rand() % 2 ? rand() % (int)(k + 2) : 0;
        for (int j = 0; j < dones && spool_count(sp) >= 2; j++) {
            char *data;
            size_t dl;
            struct report d = { 'I', 0, 0 };
            if (spool_next(sp, &d.id, &data, &dl) != 1)
                break;
            free(data);
            if (d.id == r.id)
                break;
            if (write(wfd, &d, sizeof d) != sizeof d)
                _exit(5);
            if (spool_done(sp, d.id) != SPOOL_OK)
                _exit(6);
            d.kind = 'D';
            if (write(wfd, &d, sizeof d) != sizeof d)
                _exit(5);
        }
    }
}

#define MAX_IDS 200000
static uint64_t put_n[MAX_IDS]; /* id -> n + 1 for reported puts (0: none) */
static char state[MAX_IDS];     /* 0 unknown, 'P', 'I', 'D' */

static void take(const struct report *r)
{
    cr_assert_lt(r->id, MAX_IDS);
    if (r->kind == 'P') {
        put_n[r->id] = r->n + 1;
        state[r->id] = 'P';
    } else {
        state[r->id] = r->kind;
    }
}

/* Take the child's reports for timeout_ms (-1: until EOF), and past that until at
 * least min_reports have come in this call (bounded by 20 s), so that on a slow
 * machine (sanitizers, load) a child still gets work done before it is killed. */
static void read_reports_min(int fd, int timeout_ms, int min_reports)
{
    struct pollfd p = { fd, POLLIN, 0 };
    static char buf[sizeof(struct report) * 256];
    static size_t have;
    int got = 0;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        int left = timeout_ms;
        if (timeout_ms >= 0) {
            struct timespec t;
            clock_gettime(CLOCK_MONOTONIC, &t);
            int spent = (int)((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000);
            left = timeout_ms - spent;
            if (left <= 0 && got < min_reports && spent < 20000)
                left = 20000 - spent;
            else if (left <= 0)
                return;
        }
        int rc = poll(&p, 1, left);
        if (rc == 0)
            return;
        if (rc < 0 && errno == EINTR)
            continue;
        ssize_t r = read(fd, buf + have, sizeof buf - have);
        if (r <= 0)
            return; /* EOF: the child is dead and everything is read */
        have += (size_t)r;
        size_t off = 0;
        for (; have - off >= sizeof(struct report); off += sizeof(struct report)) {
            struct report rep;
            memcpy(&rep, buf + off, sizeof rep);
            take(&rep);
            got++;
        }
        if (timeout_ms >= 0 && got >= min_reports) {
            struct timespec t;
            clock_gettime(CLOCK_MONOTONIC, &t);
            if ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 >= timeout_ms)
                return;
        }
        memmove(buf, buf + off, have - off);
        have -= off;
    }
}

static void read_reports(int fd, int timeout_ms) { read_reports_min(fd, timeout_ms, 0); }

static void verify_spool(int round, uint64_t *pending_out)
{
    struct spool *sp = open_ok();
    static char present[MAX_IDS];
    memset(present, 0, sizeof present);
    uint64_t id, prev_id = 0, prev_n = 0;
    char *data;
    size_t len;
    static char want[8192];
    uint64_t pending = 0;
    int rc;
    while ((rc = spool_next(sp, &id, &data, &len)) == 1) {
        cr_assert_lt(id, MAX_IDS);
        unsigned long long n;
        cr_assert_eq(sscanf(data, "{\"n\":%llu", &n), 1, "round %d: message %llu is not one of ours", round,
                     (unsigned long long)id);
        size_t wl = gen_msg(n, want, sizeof want);
        cr_assert(len == wl && memcmp(data, want, len) == 0, "round %d: message %llu is not intact", round,
                  (unsigned long long)id);
        if (put_n[id])
            cr_assert_eq(put_n[id] - 1, n, "round %d: message %llu has another message's content", round,
                         (unsigned long long)id);
        cr_assert(id > prev_id && (prev_id == 0 || n > prev_n), "round %d: pending messages out of order", round);
        prev_id = id;
        prev_n = n;
        present[id] = 1;
        pending++;
        free(data);
    }
    cr_assert_eq(rc, 0, "round %d: spool_next failed: %s", round, spool_last_error(sp));
    for (uint64_t i = 0; i < MAX_IDS; i++) {
        if (state[i] == 'P')
            cr_assert(present[i], "round %d: message %llu was put and is lost", round, (unsigned long long)i);
        if (state[i] == 'D')
            cr_assert(!present[i], "round %d: message %llu was done and is back", round, (unsigned long long)i);
    }
    /* No temp files survive the open. */
    DIR *d = opendir(dir);
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        cr_assert(strncmp(e->d_name, ".tmp.", 5) != 0, "round %d: temp file %s left after open", round, e->d_name);
    closedir(d);
    spool_close(sp);
    *pending_out = pending;
}

Test(spool, sigkill_at_any_point_loses_nothing_put, .timeout = 600)
{
    srand((unsigned)time(NULL) ^ (unsigned)getpid());
    int rounds = getenv("SPOOL_CRASH_ROUNDS") ? atoi(getenv("SPOOL_CRASH_ROUNDS")) : 150;
    uint64_t total_put = 0, pending = 0;
    for (int round = 0; round < rounds; round++) {
        int pfd[2];
        cr_assert_eq(pipe(pfd), 0);
        pid_t pid = fork();
        cr_assert_neq(pid, -1);
        if (pid == 0) {
            close(pfd[0]);
            child_loop(pfd[1], (uint64_t)round * 1000000u, (unsigned)rand());
        }
        close(pfd[1]);
        /* Let it work for 0..40 ms (and sometimes hardly at all), then kill it; every
         * other round not before it reported a put, however slow the machine is. */
        read_reports_min(pfd[0], rand() % 41, round % 2);
        if (rand() % 4 == 0)
            usleep((useconds_t)(rand() % 1000));
        kill(pid, SIGKILL);
        int st;
        cr_assert_eq(waitpid(pid, &st, 0), pid);
        cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "round %d: child failed on its own (status %d)", round,
                  WIFEXITED(st) ? WEXITSTATUS(st) : -1);
        read_reports(pfd[0], -1);
        close(pfd[0]);
        verify_spool(round, &pending);
    }
    for (uint64_t i = 0; i < MAX_IDS; i++)
        total_put += put_n[i] != 0;
    cr_log_info("crash test: %d kills, %llu puts reported, %llu pending at the end", rounds,
                (unsigned long long)total_put, (unsigned long long)pending);
    cr_assert_geq(total_put, (uint64_t)rounds / 2, "the children must get real work done between kills");
}
