/* The dtls-send subcommands. Each returns the process exit code. */
#ifndef DTLS_SEND_COMMANDS_H
#define DTLS_SEND_COMMANDS_H

#include "options.h"

int cmd_probe(const struct options *o);
int cmd_verify(const struct options *o);
int cmd_publish(const struct options *o);
int cmd_listen(const struct options *o);
/* --stream (cli/stream.c): publish each JSON line of stdin; commands on a second connection. */
int cmd_stream(const struct options *o);

#endif
