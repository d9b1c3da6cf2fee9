/* dtls-send: publish JSON telemetry over TLS 1.3 (libdtls), probe and verify. */
#include "commands.h"
#include "config.h"
#include "exitcodes.h"
#include "options.h"

#include <signal.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    struct options o;
    signal(SIGPIPE, SIG_IGN);
    int rc = options_parse(&o, argc, argv);
    if (rc >= 0)
        return rc;
    rc = config_apply(&o);
    if (rc >= 0)
        return rc;
    switch (o.cmd) {
    case CMD_PROBE: return cmd_probe(&o);
    case CMD_VERIFY: return cmd_verify(&o);
    case CMD_LISTEN: return cmd_listen(&o);
    default: return cmd_publish(&o);
    }
}
