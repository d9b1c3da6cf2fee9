/* Publishing and listening arrive with the dtls-send issue; until then say so clearly. */
#include "commands.h"
#include "exitcodes.h"

#include <stdio.h>

int cmd_publish(const struct options *o)
{
    (void)o;
    fprintf(stderr, "dtls-send: publishing is not built yet in this version; only 'probe' and 'verify' work\n");
    return EXIT_USAGE;
}

int cmd_listen(const struct options *o)
{
    (void)o;
    fprintf(stderr, "dtls-send: 'listen' is not built yet in this version; only 'probe' and 'verify' work\n");
    return EXIT_USAGE;
}
