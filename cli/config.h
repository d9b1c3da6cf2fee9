/*
 * dtls-send's config file: option defaults as JSON, keyed by long option name,
 * with named profiles. The command line always wins.
 *
 *   {
 *     "dialect": "hono",
 *     "cacert": "/etc/dtls-send/ca.pem",
 *     "header": ["X-Site: north"],
 *     "profile": "lab",                      // the profile used when --profile is not given
 *     "profiles": {
 *       "lab":  { "user": "dev1@tenant1", "password-file": "/run/secrets/pw" },
 *       "prod": { "dialect": "drogue", "retry": 5, "max-time": 20 }
 *     }
 *   }
 *
 *   int rc = config_apply(&o);   // after options_parse; -1 to go on, or an exit code
 *
 * Default location: $XDG_CONFIG_HOME/dtls-send/config.json, else
 * ~/.config/dtls-send/config.json; a missing default file is fine, a missing
 * --config FILE is not. A file holding a secret ("password", or "user" with a
 * ":password" part) must not be readable by group or others.
 */
#ifndef DTLS_SEND_CONFIG_H
#define DTLS_SEND_CONFIG_H

#include "options.h"

/* Fill the options not given on the command line from the config file and profile.
 * Returns -1 to continue, or an exit code after printing why (EXIT_USAGE: bad file, unknown
 * key or profile, secret readable by others; EXIT_READ_INPUT: --config FILE unreadable). */
int config_apply(struct options *o);
/* The "password" of the config file (selected profile first), or NULL. */
const char *config_password(void);

#endif
