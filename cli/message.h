/*
 * The message a publish sends: -d JSON|@FILE|@- (validated, then sent byte
 * for byte as given), ITEMs key=string / key:=json (an object, httpie style),
 * or --data-binary @FILE (as-is), with its Content-Type.
 *
 *   struct message m;
 *   struct conn_error err;
 *   if (message_build(o, &m, &err) != 0)         // nothing has been sent yet
 *       return out_error(o, &err);               // exit 2 (bad JSON, bad item) or 26 (unreadable)
 *   ... send m.data / m.len with m.content_type ...
 *   message_free(&m);
 *
 *   size_t line, col; const char *why;
 *   if (json_check(buf, len, &line, &col, &why) != 0)
 *       fprintf(stderr, "invalid JSON at line %zu, column %zu: %s\n", line, col, why);
 */
#ifndef DTLS_SEND_MESSAGE_H
#define DTLS_SEND_MESSAGE_H

#include <stddef.h>
#include <stdint.h>

#include "conn.h"
#include "options.h"

struct message {
    uint8_t *data;              /* malloc'd (NUL after len bytes); len may be 0 */
    size_t len;
    const char *content_type;   /* NULL when there is no body and no --content-type */
    int json;                   /* the body is JSON (-d or items) */
};

/* Build the message from the options. 0, or an exit code with err filled: EXIT_USAGE for
 * invalid JSON (the message names the line and column), a bad item or conflicting
 * options; EXIT_READ_INPUT when a file or stdin cannot be read. */
int message_build(const struct options *o, struct message *m, struct conn_error *err);
void message_free(struct message *m);

/* Is p[0..n) exactly one JSON value (UTF-8, surrounding whitespace allowed)? 0 if so; else
 * -1 with the 1-based line and column (in characters) of the first error and a short
 * reason. Thread-safe. */
int json_check(const uint8_t *p, size_t n, size_t *line, size_t *col, const char **why);

/* Build the JSON object text of httpie-style items ("key=string", "key:=json"); a key given
 * twice keeps the last value; ":=" values are copied as written. Returns a malloc'd
 * string, or NULL with err filled (EXIT_USAGE). */
char *items_to_json(const char *const *items, size_t n, struct conn_error *err);

/* Read all of path ("-" = standard input). Returns malloc'd bytes (NUL-terminated) and the
 * length, or NULL with errno set. */
uint8_t *slurp(const char *path, size_t *len);

#endif
