/* dtls-send output: human lines on stderr, --json events on stdout. */
#ifndef DTLS_SEND_OUTPUT_H
#define DTLS_SEND_OUTPUT_H

#include <cjson/cJSON.h>

#include "conn.h"
#include "options.h"

/* Report a failure (error event with --json; a "dtls-send: ..." line on stderr unless -s)
 * and return its exit code. */
int out_error(const struct options *o, const struct conn_error *e);
/* Print one JSON event (takes ownership of ev) as a single line on stdout. */
void out_event(cJSON *ev);

#endif
