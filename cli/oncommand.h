/*
 * What dtls-send does with a command that arrived (publish -w, listen, and
 * --stream's command path): show it (a human line on stdout, or the "command"
 * JSON event), run --on-command PROG, and send PROG's answer back where the
 * dialect has a command response (hono, thingsboard).
 *
 *   if (command_handle(o, &d, t, &cmd, &err) != 0)
 *       return out_error(o, &err);
 */
#ifndef DTLS_SEND_ONCOMMAND_H
#define DTLS_SEND_ONCOMMAND_H

#include <stddef.h>
#include <stdint.h>

#include "dialect.h"
#include "options.h"
#include "transport.h"

#define ONCOMMAND_MAX_OUTPUT (1u << 20)   /* PROG's stdout beyond this is dropped (with a warning) */

/* Report c, run o->on_command (if any) and send the response over t. Returns 0, or an exit
 * code with err filled (the command response was refused: 22; a transport failure). */
int command_handle(const struct options *o, const struct dialect *d, struct transport *t, const struct cloud_command *c,
                   struct conn_error *err);

/* Run prog with /bin/sh -c, c's payload on its stdin, DTLS_COMMAND_NAME, DTLS_COMMAND_ID (empty when
 * the command has no id) and DTLS_DIALECT in its environment (DTLS_SEND_PASSWORD removed). Its stdout
 * is returned in *out (malloc'd, *out_len bytes); *exit_status is its exit status (128+N when killed
 * by signal N). Returns 0, or -1 when it could not be started. */
int command_run(const char *prog, const char *dialect, const struct cloud_command *c, uint8_t **out, size_t *out_len,
                int *exit_status);

#endif
