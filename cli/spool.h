/*
 * spool: a durable on-disk FIFO of messages for `dtls-send --stream --spool DIR`.
 *
 *     struct spool *sp;
 *     char err[256];
 *     if (spool_open("/var/lib/dtls-send", &sp, err, sizeof err) != SPOOL_OK) { ... err ... }
 *     uint64_t id;
 *     spool_put(sp, line, len, &id);          // on disk (fsync'ed) when this returns 0
 *     char *msg; size_t n;
 *     while (spool_next(sp, &id, &msg, &n) == 1) {   // oldest first, each message once
 *         if (send(msg, n) == accepted) spool_done(sp, id);   // forgotten only now
 *         free(msg);
 *     }
 *     spool_close(sp);
 *
 * Messages are lines: they must not contain '\n' (--stream's messages are lines of its
 * input). Each message has a sequence number (its id), increasing in the order put.
 *
 * On disk, DIR holds batch files named by the id of their first message, 20 digits
 * zero-padded: 00000000000000000042.msg holds messages 42, 43, ... one per line, byte
 * for byte, as they were read. spool_put writes one
 * message; spool_put_batch writes several in one file, which costs one fsync instead of
 * one per message.
 *
 * The invariants that make a crash (SIGKILL, power loss) lose nothing:
 *   - put: write DIR/.tmp.<id>, fsync it, rename it to <id>.msg, fsync DIR. Until the
 *     rename the batch does not exist; after it, it is complete (its bytes were flushed
 *     before the name appeared). spool_put returns only after the directory fsync, and
 *     spool_next never hands out a message before that.
 *   - done: a batch file is unlinked (then DIR fsync'ed) once every message in it is
 *     done. Until then, DIR/<id>.done records how many of its first messages are done
 *     (rewritten in place, not fsync'ed: after a SIGKILL it is exact; after a power
 *     loss it may lag, and those messages are sent again). Callers mark a message done
 *     only after the cloud accepted it, so a crash can cause duplicates, never losses.
 *   - open: take flock(DIR/.lock) (one process per spool), delete the .tmp.* files of
 *     interrupted puts (never renamed, so never pending) and .done files whose batch is
 *     gone, then list the batches: everything after each batch's done count is pending.
 *     New ids continue above the highest id found.
 * Files with other names are left alone and ignored. Ids only order the pending
 * messages: after a restart with nothing pending, numbering starts again at 1.
 *
 * Two threads may use a spool at once, one putting and one taking (next, done): the
 * lists are under the spool's mutex, the slow part of a put (write and fsync) is not,
 * so taking and finishing messages does not wait for a put's fsync.
 */
#ifndef DTLS_SEND_SPOOL_H
#define DTLS_SEND_SPOOL_H

#include <stddef.h>
#include <stdint.h>

enum {
    SPOOL_OK = 0,
    SPOOL_E_CREATE = -1,  /* DIR cannot be created or opened */
    SPOOL_E_LOCKED = -2,  /* another process holds DIR/.lock */
    SPOOL_E_IO = -3,      /* a read, write, fsync, rename or unlink failed */
    SPOOL_E_NOMEM = -4,
    SPOOL_E_NOENT = -5,   /* spool_done: no such pending message */
    SPOOL_E_INVAL = -6    /* a message contains '\n' */
};

struct spool;

struct spool_msg {
    const void *data;
    size_t len;
};

/* Create DIR (mode 0700, parents too) if missing, lock it and recover what a previous
 * run left. On failure *out is NULL and err holds a one-line explanation. */
int spool_open(const char *dir, struct spool **out, char *err, size_t errlen);

/* Append one message durably; *id is its id. */
int spool_put(struct spool *sp, const void *data, size_t len, uint64_t *id);
/* Append n >= 1 messages durably, in one file; their ids are *first_id, *first_id + 1, ... */
int spool_put_batch(struct spool *sp, const struct spool_msg *msgs, size_t n, uint64_t *first_id);

/* The oldest pending message not yet returned by spool_next since the open (or the
 * last spool_rewind): 1 with *id, *data (malloc'ed, NUL-terminated, caller frees) and
 * *len; 0 when there is none; a negative SPOOL_E_* code on error. */
int spool_next(struct spool *sp, uint64_t *id, char **data, size_t *len);

/* Make spool_next start again from the oldest pending message. */
void spool_rewind(struct spool *sp);

/* The cloud accepted message id: forget it durably (see above). */
int spool_done(struct spool *sp, uint64_t id);

/* Messages not yet done (including those handed out by spool_next). */
size_t spool_count(struct spool *sp);

/* Unlock and free. Pending messages stay on disk for the next run. */
void spool_close(struct spool *sp);

/* The last failure's explanation (errno text included). */
const char *spool_last_error(struct spool *sp);

#endif
