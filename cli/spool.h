/*
 * spool: a durable on-disk FIFO of messages for `dtls-send --stream --spool DIR`.
 *
 *     struct spool *sp;
 *     char err[256];
 *     if (spool_open("/var/lib/dtls-send", &sp, err, sizeof err) != SPOOL_OK) { ... err ... }
 *     uint64_t id;
 *     spool_put(sp, line, len, &id);          // on disk (fsync'ed) when this returns 0
 *     char *msg; size_t n;
 *     while (spool_next(sp, &id, &msg, &n) == 1) {   // oldest first, each entry once
 *         if (send(msg, n) == accepted) spool_done(sp, id);   // removed only now
 *         free(msg);
 *     }
 *     spool_close(sp);
 *
 * On disk, DIR holds one file per message, named by a 20-digit zero-padded sequence
 * number: 00000000000000000042.msg. The file's content is the message, byte for byte.
 *
 * The invariants that make a crash (SIGKILL, power loss) lose nothing:
 *   - put: write DIR/.tmp.<seq> (mode 0600), fsync it, rename it to <seq>.msg, fsync
 *     DIR. Until the rename the message does not exist; after it, it is complete (its
 *     bytes were flushed before the name appeared). spool_put returns only after the
 *     directory fsync, so a put that returned survives power loss too.
 *   - done: unlink <seq>.msg, fsync DIR. Callers call it only after the cloud
 *     accepted the message; a crash between acceptance and unlink re-sends it on the
 *     next start (at-least-once: duplicates are possible, losses are not).
 *   - open: take flock(DIR/.lock) (one process per spool), delete the .tmp.* files a
 *     crash left behind (never renamed, so never pending), and list the <seq>.msg files
 *     in sequence order. New messages get sequence numbers above the highest found.
 * Files with other names are left alone and ignored. Sequence numbers only order the
 * pending messages: after a restart with nothing pending, numbering starts again at 1.
 *
 * A spool may be used from two threads at once, one putting and one taking (next, done):
 * the lists are under the spool's mutex, the file I/O (and its fsync waits) is not, so
 * taking and finishing messages does not wait for a put's fsync.
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
    SPOOL_E_NOENT = -5    /* spool_done: no such pending message */
};

struct spool;

/* Create DIR (mode 0700, parents too) if missing, lock it and recover what a previous
 * run left. On failure *out is NULL and err holds a one-line explanation. */
int spool_open(const char *dir, struct spool **out, char *err, size_t errlen);

/* Append one message durably; *id is its sequence number. */
int spool_put(struct spool *sp, const void *data, size_t len, uint64_t *id);

/* The oldest pending message not yet returned by spool_next since the open (or the
 * last spool_rewind): 1 with *id, *data (malloc'ed, NUL-terminated, caller frees) and
 * *len; 0 when there is none; a negative SPOOL_E_* code on error. */
int spool_next(struct spool *sp, uint64_t *id, char **data, size_t *len);

/* Make spool_next start again from the oldest pending message. */
void spool_rewind(struct spool *sp);

/* The cloud accepted message id: remove it durably. */
int spool_done(struct spool *sp, uint64_t id);

/* Messages on disk and not yet done (including those handed out by spool_next). */
size_t spool_count(struct spool *sp);

/* Unlock and free. Pending messages stay on disk for the next run. */
void spool_close(struct spool *sp);

/* The last failure's explanation (errno text included), for SPOOL_E_IO. */
const char *spool_last_error(struct spool *sp);

#endif
